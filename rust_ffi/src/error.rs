//! Status codes, the library's error type, and the per-thread last-error message.
//!
//! Status codes are grouped by hundreds so that callers can branch on the group
//! (argument errors, array/store errors, data errors, internal errors) and the
//! values are stable across releases.

use std::cell::RefCell;
use std::fmt;

use zarrs::array::{ArrayCreateError, ArrayError, CodecError};
use zarrs::storage::StorageError;

/// The call succeeded.
pub const ZCF_STATUS_OK: i32 = 0;
/// A required pointer argument was NULL.
pub const ZCF_STATUS_NULL_POINTER: i32 = 100;
/// An argument is invalid (e.g. an empty path or one that is not UTF-8).
pub const ZCF_STATUS_INVALID_ARGUMENT: i32 = 101;
/// The selection plan is malformed (unknown kind or mode, wrong number of dimensions,
/// zero step, index arrays of different lengths in pointwise mode, overflowing sizes).
pub const ZCF_STATUS_INVALID_SELECTION: i32 = 102;
/// The output buffer length does not match the selection's shape times the item size,
/// or a caller-provided array argument has the wrong length.
pub const ZCF_STATUS_BUFFER_MISMATCH: i32 = 103;
/// An index or slice bound lies outside the array.
pub const ZCF_STATUS_OUT_OF_BOUNDS: i32 = 104;
/// A write through a handle opened for reading only (`zcf_array_open`,
/// `zcf_array_open_with_metadata`); nothing was written.
pub const ZCF_STATUS_READ_ONLY: i32 = 105;
/// No Zarr array exists at the given path.
pub const ZCF_STATUS_NOT_FOUND: i32 = 200;
/// The array metadata could not be parsed or is inconsistent.
pub const ZCF_STATUS_INVALID_METADATA: i32 = 201;
/// The array uses a data type, codec or chunk grid this library cannot read.
pub const ZCF_STATUS_UNSUPPORTED: i32 = 202;
/// Reading from or writing to the store failed (permissions, a directory where a file
/// should be, a full disk, ...).
pub const ZCF_STATUS_IO: i32 = 203;
/// Creating an array where a Zarr array or group already exists (without
/// `ZCF_CREATE_OVERWRITE`), or overwriting a directory that holds no Zarr node.
pub const ZCF_STATUS_ALREADY_EXISTS: i32 = 204;
/// A chunk could not be decoded (corrupt or truncated data, checksum mismatch).
pub const ZCF_STATUS_DECODE: i32 = 300;
/// A Rust panic was caught at the C boundary; the library state is still usable.
pub const ZCF_STATUS_PANIC: i32 = 900;
/// An internal invariant failed; this is a bug in the library.
pub const ZCF_STATUS_INTERNAL: i32 = 901;

/// An error carrying its stable status code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub status: i32,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(status: i32, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ZCF_STATUS_INVALID_ARGUMENT, message)
    }

    pub fn invalid_selection(message: impl Into<String>) -> Self {
        Self::new(ZCF_STATUS_INVALID_SELECTION, message)
    }

    pub fn out_of_bounds(message: impl Into<String>) -> Self {
        Self::new(ZCF_STATUS_OUT_OF_BOUNDS, message)
    }

    pub fn buffer_mismatch(message: impl Into<String>) -> Self {
        Self::new(ZCF_STATUS_BUFFER_MISMATCH, message)
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new(ZCF_STATUS_INTERNAL, format!("internal error: {message}"))
    }

    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ZCF_STATUS_UNSUPPORTED, message)
    }

    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ZCF_STATUS_IO, message)
    }

    /// Classifies an error raised while opening the array at `path`.
    pub fn from_open(path: &str, err: ArrayCreateError) -> Self {
        let status = match &err {
            ArrayCreateError::MissingMetadata
            | ArrayCreateError::StorageError(StorageError::MissingMetadata(_)) => {
                ZCF_STATUS_NOT_FOUND
            }
            ArrayCreateError::StorageError(StorageError::IOError(_)) => ZCF_STATUS_IO,
            ArrayCreateError::DataTypeCreateError(_)
            | ArrayCreateError::CodecsCreateError(_)
            | ArrayCreateError::StorageTransformersCreateError(_)
            | ArrayCreateError::ChunkGridCreateError(_)
            | ArrayCreateError::ChunkKeyEncodingCreateError(_)
            | ArrayCreateError::UnsupportedZarrV2Array(_) => ZCF_STATUS_UNSUPPORTED,
            _ => ZCF_STATUS_INVALID_METADATA,
        };
        let message = if status == ZCF_STATUS_NOT_FOUND {
            format!("no Zarr array at '{path}'")
        } else {
            format!("cannot open the Zarr array at '{path}': {err}")
        };
        Self::new(status, message)
    }

    /// Classifies an error raised while reading the chunk stored under `chunk_key`.
    pub fn from_chunk_read(array_path: &str, chunk_key: &str, err: ArrayError) -> Self {
        let status = match &err {
            ArrayError::StorageError(storage) => storage_status(storage),
            ArrayError::CodecError(codec) => codec_status(codec),
            _ => ZCF_STATUS_DECODE,
        };
        Self::new(
            status,
            format!("cannot read chunk '{chunk_key}' of the Zarr array at '{array_path}': {err}"),
        )
    }
}

impl Error {
    /// Classifies an error raised while encoding or storing the chunk under `chunk_key`.
    pub fn from_chunk_write(array_path: &str, chunk_key: &str, err: ArrayError) -> Self {
        let status = match &err {
            ArrayError::StorageError(_) | ArrayError::CodecError(CodecError::StorageError(_)) => {
                ZCF_STATUS_IO
            }
            ArrayError::CodecError(_) => ZCF_STATUS_UNSUPPORTED,
            _ => ZCF_STATUS_INTERNAL,
        };
        Self::new(
            status,
            format!("cannot write chunk '{chunk_key}' of the Zarr array at '{array_path}': {err}"),
        )
    }
}

fn storage_status(err: &StorageError) -> i32 {
    match err {
        StorageError::InvalidMetadata(..) => ZCF_STATUS_INVALID_METADATA,
        // Chunk data (a shard index) asked for bytes the stored value does not have.
        StorageError::InvalidByteRangeError(_) => ZCF_STATUS_DECODE,
        _ => ZCF_STATUS_IO,
    }
}

fn codec_status(err: &CodecError) -> i32 {
    match err {
        // Codecs work on bytes already read: their I/O errors come from decompressors
        // (zstd, gzip, ...) rejecting the data, so the chunk is corrupt.
        CodecError::IOError(_) => ZCF_STATUS_DECODE,
        CodecError::StorageError(storage) => storage_status(storage),
        CodecError::UnsupportedDataType(..) | CodecError::UnsupportedDataTypeCodec(_) => {
            ZCF_STATUS_UNSUPPORTED
        }
        _ => ZCF_STATUS_DECODE,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

thread_local! {
    // Per thread because cffi releases the GIL around every call: two Python threads
    // failing at once must each see their own message.
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Records `message` as this thread's last error.
pub fn set_last_error(message: &str) {
    LAST_ERROR.with(|last| {
        let mut last = last.borrow_mut();
        last.clear();
        last.push_str(message);
    });
}

/// Runs `f` with this thread's last error message.
pub fn with_last_error<R>(f: impl FnOnce(&str) -> R) -> R {
    LAST_ERROR.with(|last| f(&last.borrow()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_error_is_per_thread() {
        set_last_error("main thread");
        std::thread::spawn(|| {
            with_last_error(|message| assert_eq!(message, ""));
            set_last_error("other thread");
        })
        .join()
        .unwrap();
        with_last_error(|message| assert_eq!(message, "main thread"));
    }

    #[test]
    fn missing_metadata_is_not_found() {
        let err = Error::from_open("/nowhere", ArrayCreateError::MissingMetadata);
        assert_eq!(err.status, ZCF_STATUS_NOT_FOUND);
        assert!(err.message.contains("/nowhere"));
    }
}
