//! An array opened (or created) in a local directory, with the facts the engine and
//! callers need.

use std::sync::Arc;

use zarrs::array::codec::CodecChain;
use zarrs::array::{Array, ArrayCreateError, ArrayMetadata, ArrayShardedExt};
use zarrs::filesystem::FilesystemStore;
use zarrs::metadata::v2::{ArrayMetadataV2, DataTypeMetadataV2};
use zarrs::metadata::v3::{ArrayMetadataV3, MetadataV3};

use crate::data_type::ElementType;
use crate::error::{
    Error, Result, ZCF_STATUS_ALREADY_EXISTS, ZCF_STATUS_INVALID_METADATA, ZCF_STATUS_IO,
    ZCF_STATUS_READ_ONLY,
};
use crate::store::{DirectoryStore, Store};

/// Whether an opened array accepts writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    ReadOnly,
    ReadWrite,
}

/// An opened Zarr array (v2 or v3) on the local filesystem.
///
/// Opening parses the metadata once; reads through the same `OpenArray` reuse it.
pub struct OpenArray {
    pub path: String,
    pub array: Array<Store>,
    pub mode: Mode,
    /// `None` when the data type cannot be read by the engine.
    pub element: Option<ElementType>,
    /// The regular chunk shape, or `None` for other chunk grids.
    pub chunk_shape: Option<Vec<u64>>,
    pub zarr_format: u32,
    /// Whether the metadata declares big-endian elements (only Zarr v2 dtypes carry a
    /// byte order); reads always produce native-endian bytes.
    pub declares_big_endian: bool,
    /// What reading part of a chunk costs; decides how the engine reads it.
    pub access: ChunkAccess,
    /// The shape of the inner chunks of a sharded array.
    pub inner_chunk_shape: Option<Vec<u64>>,
    /// Whether a checksum codec guards whole chunks or the inner chunks of shards. zarrs'
    /// partial decoders skip the check, so such chunks are decoded whole when checksums
    /// are validated.
    pub checksummed_chunks: bool,
    /// The sharding codec taken apart, when it is the array's only codec: writes then
    /// assemble shards themselves.
    pub shard_codecs: Option<ShardCodecs>,
}

/// The parts of a sharding codec: the inner chunks' shape and codecs, and the index's.
pub struct ShardCodecs {
    pub inner_shape: Vec<u64>,
    pub inner: Arc<CodecChain>,
    pub index: Arc<CodecChain>,
    pub index_at_start: bool,
}

impl ShardCodecs {
    /// Those of an array whose codecs are exactly one `sharding_indexed` codec (other codecs
    /// around it would transform whole shards, which then cannot be assembled piecewise).
    fn of(metadata: &ArrayMetadata) -> Option<Self> {
        let ArrayMetadata::V3(metadata) = metadata else {
            return None;
        };
        let [codec] = metadata.codecs.as_slice() else {
            return None;
        };
        if codec.name() != "sharding_indexed" {
            return None;
        }
        let json = serde_json::to_value(codec).ok()?;
        let configuration = json.get("configuration")?;
        let chain = |key: &str| -> Option<Arc<CodecChain>> {
            let codecs: Vec<MetadataV3> =
                serde_json::from_value(configuration.get(key)?.clone()).ok()?;
            CodecChain::from_metadata(&codecs).ok().map(Arc::new)
        };
        Some(Self {
            inner_shape: serde_json::from_value(configuration.get("chunk_shape")?.clone()).ok()?,
            inner: chain("codecs")?,
            index: chain("index_codecs")?,
            index_at_start: configuration
                .get("index_location")
                .and_then(serde_json::Value::as_str)
                == Some("start"),
        })
    }
}

const CHECKSUM_CODECS: [&str; 5] = [
    "crc32c",
    "adler32",
    "fletcher32",
    "numcodecs.adler32",
    "numcodecs.fletcher32",
];

/// What reading part of a chunk costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkAccess {
    /// Chunks are plain bytes: part of a chunk is read as byte ranges, one per
    /// contiguous run of elements.
    ByteRanges,
    /// Chunks are shards: part of a shard reads and decodes only the inner chunks it
    /// touches.
    InnerChunks,
    /// Chunks are compressed or checksummed: any part costs decoding the whole chunk.
    /// (zarrs' partial decoders would also skip checksum validation.)
    Whole,
}

impl ChunkAccess {
    /// From the names of a chunk's codecs, in order (Zarr v3 `codecs`; the filters and
    /// compressor of Zarr v2, which always end in an implicit `bytes`).
    fn from_codec_names(names: &[&str]) -> Self {
        match names {
            [] | ["bytes"] => Self::ByteRanges,
            [.., "sharding_indexed"] => Self::InnerChunks,
            _ => Self::Whole,
        }
    }
}

/// The metadata documents a Zarr node keeps at the top of its directory.
const NODE_DOCUMENTS: [&str; 3] = ["zarr.json", ".zarray", ".zgroup"];

impl OpenArray {
    /// Opens the array whose metadata is stored at `path`.
    pub fn open(path: &str, mode: Mode) -> Result<Self> {
        on_pool(|| Ok(Self::new(path, Self::open_here(path)?, mode)))
    }

    fn open_here(path: &str) -> Result<Array<Store>> {
        let store = filesystem_store(path)?;
        let array = match Array::open(Arc::clone(&store), "/") {
            // zarr-python writes `"fill_value": null` for Zarr v2 arrays created without
            // one; zarrs cannot map that to a complex value, so spell out the default.
            Err(ArrayCreateError::InvalidFillValueMetadata { .. }) => {
                let text = std::fs::read_to_string(std::path::Path::new(path).join(".zarray"))
                    .map_err(|err| {
                        Error::new(
                            ZCF_STATUS_IO,
                            format!("cannot read '{path}/.zarray': {err}"),
                        )
                    })?;
                array_from_json(store, path, &text)?
            }
            opened => opened.map_err(|err| Error::from_open(path, err))?,
        };
        Ok(array)
    }

    /// Opens the array stored at `path` from its metadata document (the contents of
    /// `zarr.json` or `.zarray`) without reading the metadata from the store.
    pub fn with_metadata(path: &str, metadata_json: &str, mode: Mode) -> Result<Self> {
        on_pool(|| {
            let store = filesystem_store(path)?;
            let array = array_from_json(store, path, metadata_json)?;
            Ok(Self::new(path, array, mode))
        })
    }

    /// Creates a new array at `path` from its metadata document (the text of `zarr.json`,
    /// or of `.zarray` plus optionally `.zattrs` for Zarr v2), written as given, and
    /// opens it for writing.
    ///
    /// Everything is checked before the first file is touched: the document must describe
    /// an array the engine can write (a fixed-size data type, a regular chunk grid). A
    /// Zarr node already at `path` is an error unless `overwrite`, which deletes it (its
    /// whole directory) first; a directory that holds other files but no Zarr node is
    /// never deleted.
    pub fn create(
        path: &str,
        metadata_json: &str,
        attributes_json: Option<&str>,
        overwrite: bool,
    ) -> Result<Self> {
        on_pool(|| {
            let store = filesystem_store(path)?;
            let array = array_from_json(Arc::clone(&store), path, metadata_json)?;
            let created = Self::new(path, array, Mode::ReadWrite);
            created.element()?;
            created.regular_chunk_shape()?;
            let mut documents = Vec::new();
            match (created.zarr_format, attributes_json) {
                (3, None) => documents.push(("zarr.json", metadata_json)),
                (3, Some(_)) => {
                    return Err(Error::invalid_argument(
                        "Zarr v3 arrays keep their attributes in the metadata document; pass no \
                         separate attributes",
                    ));
                }
                (_, attributes) => {
                    if let Some(attributes) = attributes {
                        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(
                            attributes,
                        )
                        .map_err(|err| {
                            Error::invalid_argument(format!(
                                "the attributes are not a JSON object: {err}"
                            ))
                        })?;
                        documents.push((".zattrs", attributes));
                    }
                    // Last, so that the array appears only once it is complete.
                    documents.push((".zarray", metadata_json));
                }
            }
            prepare_directory(path, overwrite)?;
            for (key, text) in documents {
                let key = zarrs::storage::StoreKey::new(key).map_err(Error::internal)?;
                store
                    .set(&key, text.as_bytes().to_vec().into())
                    .map_err(|err| Error::io(format!("cannot write '{path}/{key}': {err}")))?;
            }
            Ok(created)
        })
    }

    /// Refuses writes through a handle opened for reading.
    pub fn check_writable(&self) -> Result<()> {
        match self.mode {
            Mode::ReadWrite => Ok(()),
            Mode::ReadOnly => Err(Error::new(
                ZCF_STATUS_READ_ONLY,
                format!(
                    "the Zarr array at '{}' was opened for reading only; open it for writing \
                     to change it",
                    self.path
                ),
            )),
        }
    }

    fn new(path: &str, array: Array<Store>, mode: Mode) -> Self {
        let element = ElementType::from_data_type(array.data_type());
        let checksummed_chunks = match array.metadata() {
            ArrayMetadata::V3(metadata) => metadata.codecs.iter().any(|codec| {
                serde_json::to_value(codec).is_ok_and(|codec| guards_with_checksum(&codec))
            }),
            ArrayMetadata::V2(metadata) => metadata
                .filters
                .iter()
                .flatten()
                .chain(&metadata.compressor)
                .any(|codec| CHECKSUM_CODECS.contains(&codec.id())),
        };
        let codec_names: Vec<&str> = match array.metadata() {
            ArrayMetadata::V3(metadata) => metadata.codecs.iter().map(|c| c.name()).collect(),
            ArrayMetadata::V2(metadata) => metadata
                .filters
                .iter()
                .flatten()
                .chain(&metadata.compressor)
                .map(|c| c.id())
                .collect(),
        };
        let access = ChunkAccess::from_codec_names(&codec_names);
        let shard_codecs = ShardCodecs::of(array.metadata());
        let inner_chunk_shape = array
            .subchunk_shape()
            .map(|shape| shape.iter().map(|len| len.get()).collect());
        let (zarr_format, declares_big_endian, chunk_shape) = match array.metadata() {
            ArrayMetadata::V3(metadata) => {
                let chunk_shape = (metadata.chunk_grid.name() == "regular")
                    .then(|| serde_json::to_value(&metadata.chunk_grid).ok())
                    .flatten()
                    .and_then(|grid| {
                        serde_json::from_value(grid.pointer("/configuration/chunk_shape")?.clone())
                            .ok()
                    });
                (3, false, chunk_shape)
            }
            ArrayMetadata::V2(metadata) => {
                let big_endian = matches!(
                    &metadata.dtype,
                    DataTypeMetadataV2::Simple(dtype) if dtype.starts_with('>')
                );
                (
                    2,
                    big_endian,
                    Some(metadata.chunks.iter().map(|len| len.get()).collect()),
                )
            }
        };
        Self {
            path: path.to_owned(),
            array,
            mode,
            element,
            chunk_shape,
            zarr_format,
            declares_big_endian,
            access,
            inner_chunk_shape,
            checksummed_chunks,
            shard_codecs,
        }
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

/// Whether a v3 codec (as JSON: a name, or a name and a configuration) is a checksum
/// codec or a sharding codec whose inner chunks pass through one. A sharding index's own
/// checksum does not count: the index is always decoded whole, so its check always runs.
fn guards_with_checksum(codec: &serde_json::Value) -> bool {
    let name = codec
        .as_str()
        .or_else(|| codec.get("name").and_then(serde_json::Value::as_str));
    name.is_some_and(|name| CHECKSUM_CODECS.contains(&name))
        || codec
            .pointer("/configuration/codecs")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|inner| inner.iter().any(guards_with_checksum))
}

/// Runs `open` on the library's pool. Creating a zarrs array asks rayon how many threads
/// the current pool has; on any thread outside a pool that starts rayon's global pool,
/// threads nobody asked for.
fn on_pool<T: Send>(open: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    crate::pool::current()?.install(open)
}

/// Makes the directory `path` ready for a new array (see `OpenArray::create`).
fn prepare_directory(path: &str, overwrite: bool) -> Result<()> {
    let dir = std::path::Path::new(path);
    let io = |err: std::io::Error| Error::io(format!("cannot prepare '{path}': {err}"));
    match std::fs::metadata(dir) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return std::fs::create_dir_all(dir).map_err(io);
        }
        Err(err) => return Err(io(err)),
        Ok(metadata) if !metadata.is_dir() => {
            return Err(Error::new(
                ZCF_STATUS_ALREADY_EXISTS,
                format!("'{path}' exists and is not a directory"),
            ));
        }
        Ok(_) => {}
    }
    let node = NODE_DOCUMENTS
        .iter()
        .find(|document| dir.join(document).exists());
    match (node, overwrite) {
        (Some(document), false) => Err(Error::new(
            ZCF_STATUS_ALREADY_EXISTS,
            format!(
                "a Zarr node already exists at '{path}' ({document}); overwrite it to replace it"
            ),
        )),
        (Some(_), true) => {
            std::fs::remove_dir_all(dir).map_err(io)?;
            std::fs::create_dir_all(dir).map_err(io)
        }
        (None, true) if std::fs::read_dir(dir).map_err(io)?.next().is_some() => Err(Error::new(
            ZCF_STATUS_ALREADY_EXISTS,
            format!(
                "'{path}' holds files but no Zarr node; they are not deleted to make room for \
                 an array"
            ),
        )),
        (None, _) => Ok(()),
    }
}

fn filesystem_store(path: &str) -> Result<Arc<Store>> {
    if path.is_empty() {
        return Err(Error::invalid_argument("the array path is empty"));
    }
    // Only to check the path the way zarrs does; reads go through `DirectoryStore`.
    FilesystemStore::new(path)
        .map(|_| Arc::new(DirectoryStore::new(path)) as Arc<Store>)
        .map_err(|err| Error::invalid_argument(format!("invalid path '{path}': {err}")))
}

/// Builds the array from a metadata document, Zarr v2 or v3.
fn array_from_json(store: Arc<Store>, path: &str, text: &str) -> Result<Array<Store>> {
    let invalid = |err: &dyn std::fmt::Display| {
        Error::new(
            ZCF_STATUS_INVALID_METADATA,
            format!("invalid metadata for the Zarr array at '{path}': {err}"),
        )
    };
    let mut json: serde_json::Value = serde_json::from_str(text).map_err(|err| invalid(&err))?;
    let metadata = if json.get("zarr_format").and_then(serde_json::Value::as_u64) == Some(2) {
        let is_complex = json
            .get("dtype")
            .and_then(serde_json::Value::as_str)
            .and_then(|d| d.get(1..2))
            == Some("c");
        if is_complex
            && json
                .get("fill_value")
                .is_some_and(serde_json::Value::is_null)
        {
            json["fill_value"] = serde_json::json!([0.0, 0.0]);
        }
        ArrayMetadata::V2(
            serde_json::from_value::<ArrayMetadataV2>(json).map_err(|err| invalid(&err))?,
        )
    } else {
        ArrayMetadata::V3(
            serde_json::from_value::<ArrayMetadataV3>(json).map_err(|err| invalid(&err))?,
        )
    };
    Array::new_with_metadata(store, "/", metadata).map_err(|err| Error::from_open(path, err))
}
