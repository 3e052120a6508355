//! An array opened from a local directory, with the facts the engine and callers need.

use std::sync::Arc;

use zarrs::array::{Array, ArrayCreateError, ArrayMetadata};
use zarrs::filesystem::FilesystemStore;
use zarrs::metadata::v2::{ArrayMetadataV2, DataTypeMetadataV2};

use crate::data_type::ElementType;
use crate::error::{Error, Result};

/// An opened Zarr array (v2 or v3) on the local filesystem.
///
/// Opening parses the metadata once; reads through the same `OpenArray` reuse it.
pub struct OpenArray {
    pub path: String,
    pub array: Array<FilesystemStore>,
    /// `None` when the data type cannot be read by the engine.
    pub element: Option<ElementType>,
    /// The regular chunk shape, or `None` for other chunk grids.
    pub chunk_shape: Option<Vec<u64>>,
    pub zarr_format: u32,
    /// Whether the metadata declares big-endian elements (only Zarr v2 dtypes carry a
    /// byte order); reads always produce native-endian bytes.
    pub declares_big_endian: bool,
}

impl OpenArray {
    pub fn open(path: &str) -> Result<Self> {
        if path.is_empty() {
            return Err(Error::invalid_argument("the array path is empty"));
        }
        let store = FilesystemStore::new(path)
            .map_err(|err| Error::invalid_argument(format!("invalid path '{path}': {err}")))?;
        let array = open_array(Arc::new(store), path).map_err(|err| Error::from_open(path, err))?;
        let element = ElementType::from_data_type(array.data_type());
        let (zarr_format, declares_big_endian, regular) = match array.metadata() {
            ArrayMetadata::V3(metadata) => (3, false, metadata.chunk_grid.name() == "regular"),
            ArrayMetadata::V2(metadata) => {
                let big_endian = matches!(
                    &metadata.dtype,
                    DataTypeMetadataV2::Simple(dtype) if dtype.starts_with('>')
                );
                (2, big_endian, true)
            }
        };
        let chunk_shape = if regular {
            let origin = vec![0; array.dimensionality()];
            let shape = array.chunk_shape(&origin).map_err(|err| {
                Error::new(crate::error::ZCF_STATUS_INVALID_METADATA, err.to_string())
            })?;
            Some(shape.iter().map(|len| len.get()).collect())
        } else {
            None
        };
        Ok(Self {
            path: path.to_owned(),
            array,
            element,
            chunk_shape,
            zarr_format,
            declares_big_endian,
        })
    }

    pub fn shape(&self) -> &[u64] {
        self.array.shape()
    }

    /// The element type, or an `Unsupported` error naming the array's data type.
    pub fn element(&self) -> Result<ElementType> {
        self.element.ok_or_else(|| {
            Error::unsupported(format!(
                "the Zarr array at '{}' has data type '{}', which cannot be read into a \
                 fixed-size buffer",
                self.path,
                self.data_type_name()
            ))
        })
    }

    /// The regular chunk shape, or an `Unsupported` error for other chunk grids.
    pub fn regular_chunk_shape(&self) -> Result<&[u64]> {
        self.chunk_shape.as_deref().ok_or_else(|| {
            Error::unsupported(format!(
                "the Zarr array at '{}' does not use a regular chunk grid",
                self.path
            ))
        })
    }

    /// The data type as named in the array metadata.
    pub fn data_type_name(&self) -> String {
        match self.array.metadata() {
            ArrayMetadata::V3(metadata) => metadata.data_type.name().to_owned(),
            ArrayMetadata::V2(metadata) => metadata.dtype.to_string(),
        }
    }

    /// The fill value in native byte order.
    pub fn fill_value_bytes(&self) -> &[u8] {
        self.array.fill_value().as_ne_bytes()
    }
}

fn open_array(
    store: Arc<FilesystemStore>,
    path: &str,
) -> std::result::Result<Array<FilesystemStore>, ArrayCreateError> {
    match Array::open(Arc::clone(&store), "/") {
        Err(err @ ArrayCreateError::InvalidFillValueMetadata { .. }) => {
            match v2_metadata_with_default_fill(path) {
                Some(metadata) => Array::new_with_metadata(store, "/", ArrayMetadata::V2(metadata)),
                None => Err(err),
            }
        }
        opened => opened,
    }
}

/// zarr-python writes `"fill_value": null` for Zarr v2 arrays created without one and
/// reads it as zero; zarrs maps null to the scalar 0, which complex types reject. Returns
/// the metadata with the fill value spelled out as a complex zero, if that is the case.
fn v2_metadata_with_default_fill(path: &str) -> Option<ArrayMetadataV2> {
    let text = std::fs::read_to_string(std::path::Path::new(path).join(".zarray")).ok()?;
    let mut json: serde_json::Value = serde_json::from_str(&text).ok()?;
    let is_complex = json.get("dtype")?.as_str()?.get(1..2) == Some("c");
    if !is_complex || !json.get("fill_value")?.is_null() {
        return None;
    }
    json["fill_value"] = serde_json::json!([0.0, 0.0]);
    serde_json::from_value(json).ok()
}
