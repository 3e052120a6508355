//! An array opened from a local directory, with the facts the engine and callers need.

use std::sync::Arc;

use zarrs::array::{Array, ArrayMetadata};
use zarrs::filesystem::FilesystemStore;
use zarrs::metadata::v2::DataTypeMetadataV2;

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
        let array = Array::open(Arc::new(store), "/").map_err(|err| Error::from_open(path, err))?;
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
            let shape = array
                .chunk_shape(&origin)
                .map_err(|err| Error::new(crate::error::ZCF_STATUS_INVALID_METADATA, err.to_string()))?;
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
