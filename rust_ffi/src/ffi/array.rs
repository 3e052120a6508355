//! The array handle and its functions: open or create, describe, read, write.

use std::ffi::{CStr, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use super::selection::{ZcfChunkProjections, ZcfSelection, projections_from_c, selection_from_c};
use super::{copy_text, deref, guard, in_buffer, null, out_buffer, path_str, slice};
use crate::array::{Mode, OpenArray};
use crate::data_type::ZCF_DTYPE_UNSUPPORTED;
use crate::engine::{self, WriteOptions};
use crate::error::{Error, Result};
use crate::plan::Selection;

/// Write flag: store chunks (and inner chunks of shards) whose elements all equal the
/// fill value, instead of deleting them (zarr's `write_empty_chunks=True`).
pub const ZCF_WRITE_EMPTY_CHUNKS: u32 = 1;

/// Create flag: replace a Zarr array or group already at the path (its whole directory
/// is deleted first).
pub const ZCF_CREATE_OVERWRITE: u32 = 1;

/// An array opened from a local directory with `zcf_array_open` (or one of its
/// variants) or created with `zcf_array_create`. Opaque: use it only through pointers,
/// and release it with `zcf_array_free`.
pub struct ZcfArray(OpenArray);

// C callers share one handle between threads, which is sound only while it is both.
const _: () = {
    const fn assert_send_and_sync<T: Send + Sync>() {}
    assert_send_and_sync::<ZcfArray>();
};

/// Facts about an opened array.
#[repr(C)]
pub struct ZcfArrayInfo {
    /// Number of dimensions.
    pub ndim: usize,
    /// One of the `ZCF_DTYPE_*` codes; `ZCF_DTYPE_UNSUPPORTED` if reads are impossible.
    pub data_type: i32,
    /// Bytes per element (0 when the data type is unsupported).
    pub item_size: usize,
    /// The Zarr format version: 2 or 3.
    pub zarr_format: u32,
    /// Whether the metadata declares big-endian elements (Zarr v2 only). Reads always
    /// produce native byte order.
    pub declares_big_endian: bool,
    /// Whether the chunk grid is regular (required for reads).
    pub regular_chunk_grid: bool,
}

/// Opens the Zarr array (format 2 or 3) stored in the local directory `path`, reading
/// and checking its metadata once.
///
/// - `path`: the array's directory, a NUL-terminated UTF-8 string. The library keeps
///   its own copy.
/// - `array_out`: receives the new handle on success; left unchanged on failure.
///
/// Ownership: the caller owns the handle and releases it with `zcf_array_free`.
///
/// An array whose data type cannot be read into a flat buffer (e.g. strings) still
/// opens, so that its metadata can be queried; `zcf_array_info` then reports
/// `ZCF_DTYPE_UNSUPPORTED` and reads fail with `ZCF_STATUS_UNSUPPORTED`.
///
/// Thread safety: may be called from any thread at any time; every call returns an
/// independent handle. A handle is immutable: any number of threads may query and
/// read through it at once.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `path` or `array_out` is NULL.
/// - `ZCF_STATUS_INVALID_ARGUMENT`: `path` is empty, not UTF-8, or not usable as a
///   directory path.
/// - `ZCF_STATUS_NOT_FOUND`: there is no Zarr array metadata at `path`.
/// - `ZCF_STATUS_INVALID_METADATA`: the metadata cannot be parsed, is inconsistent,
///   or describes a group rather than an array.
/// - `ZCF_STATUS_UNSUPPORTED`: the array uses a codec, chunk grid, chunk key encoding,
///   storage transformer or data type that cannot be opened.
/// - `ZCF_STATUS_IO`: the metadata exists but cannot be read (e.g. no permission).
/// - `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// # Safety
/// `path` must be NULL or a NUL-terminated string; `array_out` must be NULL or valid
/// for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_open(path: *const c_char, array_out: *mut *mut ZcfArray) -> i32 {
    guard(|| {
        if array_out.is_null() {
            return Err(null("array_out"));
        }
        // SAFETY: forwarded to the caller.
        let path = unsafe { path_str(path) }?;
        // SAFETY: forwarded to the caller.
        unsafe { hand_out(OpenArray::open(path, Mode::ReadOnly)?, array_out) };
        Ok(())
    })
}

/// Stores a new handle in the caller's `array_out`.
///
/// # Safety
/// `array_out` must be non-null and valid for writing one pointer.
unsafe fn hand_out(array: OpenArray, array_out: *mut *mut ZcfArray) {
    // SAFETY: forwarded to the caller.
    unsafe { *array_out = Box::into_raw(Box::new(ZcfArray(array))) };
}

/// The NUL-terminated UTF-8 text at `text`, or `None` for NULL.
///
/// # Safety
/// `text` must be NULL or NUL-terminated.
unsafe fn optional_text<'a>(text: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: non-null and NUL-terminated per the caller.
    unsafe { CStr::from_ptr(text) }
        .to_str()
        .map(Some)
        .map_err(|_| Error::invalid_argument(format!("`{name}` is not valid UTF-8")))
}

/// Like `zcf_array_open`, but takes the array's metadata document (the JSON text of its
/// `zarr.json` or `.zarray`) instead of reading it from `path`; chunks are read from
/// `path`. For callers that already hold the authoritative metadata. The handle is
/// released with `zcf_array_free`; on failure `*array_out` is left unchanged.
///
/// Thread safety: may be called from any thread.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `path`, `metadata_json` or `array_out` is NULL.
/// - `ZCF_STATUS_INVALID_ARGUMENT`: `path` is empty or not UTF-8.
/// - `ZCF_STATUS_INVALID_METADATA`: the document is not valid array metadata.
/// - `ZCF_STATUS_UNSUPPORTED`: a data type, codec or chunk grid zarrs cannot create.
///
/// # Safety
/// `path` and `metadata_json` must be NULL or NUL-terminated; `array_out` must be NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_open_with_metadata(
    path: *const c_char,
    metadata_json: *const c_char,
    array_out: *mut *mut ZcfArray,
) -> i32 {
    guard(|| {
        if array_out.is_null() {
            return Err(null("array_out"));
        }
        // SAFETY: forwarded to the caller.
        let path = unsafe { path_str(path) }?;
        // SAFETY: forwarded to the caller.
        let metadata_json = unsafe { optional_text(metadata_json, "metadata_json") }?
            .ok_or_else(|| null("metadata_json"))?;
        let array = OpenArray::with_metadata(path, metadata_json, Mode::ReadOnly)?;
        // SAFETY: forwarded to the caller.
        unsafe { hand_out(array, array_out) };
        Ok(())
    })
}

/// Opens the existing array at `path` for reading and writing: as `zcf_array_open`, or
/// as `zcf_array_open_with_metadata` when `metadata_json` is not NULL. Only handles
/// opened this way (or by `zcf_array_create`) accept `zcf_array_write*` calls.
///
/// - `path`: the array's directory, a NUL-terminated UTF-8 string.
/// - `metadata_json`: NULL to read the metadata from `path`, or the text of the array's
///   `zarr.json` / `.zarray`.
/// - `array_out`: receives the new handle on success; left unchanged on failure.
///
/// Ownership: the caller owns the handle and releases it with `zcf_array_free`.
///
/// Thread safety: may be called from any thread. Any number of threads may read and
/// write through one handle at once; see `zcf_array_write` for writes to one chunk.
///
/// # Errors
/// Those of `zcf_array_open` (and, with `metadata_json`, of
/// `zcf_array_open_with_metadata`).
///
/// # Safety
/// `path` must be NULL or NUL-terminated; `metadata_json` must be NULL or
/// NUL-terminated; `array_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_open_writable(
    path: *const c_char,
    metadata_json: *const c_char,
    array_out: *mut *mut ZcfArray,
) -> i32 {
    guard(|| {
        if array_out.is_null() {
            return Err(null("array_out"));
        }
        // SAFETY: forwarded to the caller.
        let path = unsafe { path_str(path) }?;
        // SAFETY: forwarded to the caller.
        let array = match unsafe { optional_text(metadata_json, "metadata_json") }? {
            None => OpenArray::open(path, Mode::ReadWrite)?,
            Some(metadata_json) => OpenArray::with_metadata(path, metadata_json, Mode::ReadWrite)?,
        };
        // SAFETY: forwarded to the caller.
        unsafe { hand_out(array, array_out) };
        Ok(())
    })
}

/// Creates a new array in the directory `path` from its metadata document and opens it
/// for reading and writing. The document is written as given: `zarr.json` for Zarr v3
/// (attributes inside it), `.zarray` for Zarr v2 (with `.zattrs` from `attributes_json`
/// when that is not NULL). The new array holds no chunks: it reads as its fill value.
///
/// - `path`: the array's directory (created with its parents if missing).
/// - `metadata_json`: the metadata document, NUL-terminated UTF-8 JSON.
/// - `attributes_json`: NULL, or (Zarr v2 only) the `.zattrs` JSON object.
/// - `flags`: 0, or `ZCF_CREATE_OVERWRITE` to replace a Zarr array or group at `path`
///   (its whole directory is deleted first). A directory that holds files but no Zarr
///   node is never deleted.
/// - `array_out`: receives the new handle on success; left unchanged on failure.
///
/// The document is checked before anything is written: a failed call changes nothing
/// on disk, except for an I/O error while writing.
///
/// Ownership: the caller owns the handle and releases it with `zcf_array_free`.
///
/// Thread safety: may be called from any thread; creating the same path from two
/// threads at once leaves one of the two documents.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `path`, `metadata_json` or `array_out` is NULL.
/// - `ZCF_STATUS_INVALID_ARGUMENT`: `path` is empty or not UTF-8; unknown `flags`;
///   `attributes_json` given for Zarr v3 or not a JSON object.
/// - `ZCF_STATUS_INVALID_METADATA`: the document is not valid array metadata.
/// - `ZCF_STATUS_UNSUPPORTED`: a data type the engine cannot write (not fixed-size), a
///   codec or chunk grid it cannot use.
/// - `ZCF_STATUS_ALREADY_EXISTS`: a Zarr array or group exists at `path` and `flags`
///   lacks `ZCF_CREATE_OVERWRITE`; or `path` is a file; or it is a directory holding
///   files but no Zarr node and `ZCF_CREATE_OVERWRITE` is set.
/// - `ZCF_STATUS_IO`: the directory or a document could not be written.
/// - `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// # Safety
/// `path` and `metadata_json` must be NULL or NUL-terminated; `attributes_json` must be
/// NULL or NUL-terminated; `array_out` must be NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_create(
    path: *const c_char,
    metadata_json: *const c_char,
    attributes_json: *const c_char,
    flags: u32,
    array_out: *mut *mut ZcfArray,
) -> i32 {
    guard(|| {
        if array_out.is_null() {
            return Err(null("array_out"));
        }
        // SAFETY: forwarded to the caller.
        let path = unsafe { path_str(path) }?;
        // SAFETY: forwarded to the caller.
        let metadata_json = unsafe { optional_text(metadata_json, "metadata_json") }?
            .ok_or_else(|| null("metadata_json"))?;
        // SAFETY: forwarded to the caller.
        let attributes_json = unsafe { optional_text(attributes_json, "attributes_json") }?;
        if flags & !ZCF_CREATE_OVERWRITE != 0 {
            return Err(Error::invalid_argument(format!(
                "unknown create flags {flags:#x}"
            )));
        }
        let overwrite = flags & ZCF_CREATE_OVERWRITE != 0;
        let array = OpenArray::create(path, metadata_json, attributes_json, overwrite)?;
        // SAFETY: forwarded to the caller.
        unsafe { hand_out(array, array_out) };
        Ok(())
    })
}

/// Whether `array` accepts writes (it was opened with `zcf_array_open_writable` or
/// created with `zcf_array_create`); false for NULL.
///
/// Thread safety: may be called from any thread at any time. Never fails.
///
/// # Safety
/// `array` must be NULL or a live handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_is_writable(array: *const ZcfArray) -> bool {
    // SAFETY: forwarded to the caller.
    unsafe { array.as_ref() }.is_some_and(|array| array.0.check_writable().is_ok())
}

/// Releases a handle returned by `zcf_array_open`, `zcf_array_open_with_metadata`,
/// `zcf_array_open_writable` or `zcf_array_create`, and everything it holds.
///
/// - `array`: the handle, or NULL (then nothing happens).
///
/// Thread safety: the handle must not be in use by any other thread, and must not be
/// used again afterwards. Never fails.
///
/// # Safety
/// `array` must be NULL or a handle from `zcf_array_open` that has not been freed, and
/// no other call may be using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_free(array: *mut ZcfArray) {
    if !array.is_null() {
        // SAFETY: the handle came from `Box::into_raw` in `zcf_array_open` and, per the
        // caller, is freed only once and used by nothing else.
        let array = unsafe { Box::from_raw(array) };
        let _ = catch_unwind(AssertUnwindSafe(move || drop(array)));
    }
}

/// Describes an opened array: its dimensionality, data type, element size, Zarr format,
/// declared byte order and whether its chunk grid is regular.
///
/// - `array`: the handle.
/// - `info_out`: receives the description on success; left unchanged on failure.
///
/// Thread safety: any number of threads may call this (and read) on one handle at once.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array` or `info_out` is NULL.
/// - `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// # Safety
/// `array` must be NULL or a live handle; `info_out` must be NULL or valid for writing
/// one `ZcfArrayInfo`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_info(
    array: *const ZcfArray,
    info_out: *mut ZcfArrayInfo,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        if info_out.is_null() {
            return Err(null("info_out"));
        }
        let info = ZcfArrayInfo {
            ndim: array.shape().len(),
            data_type: array.element.map_or(ZCF_DTYPE_UNSUPPORTED, |e| e.code),
            item_size: array.element.map_or(0, |e| e.size),
            zarr_format: array.zarr_format,
            declares_big_endian: array.declares_big_endian,
            regular_chunk_grid: array.chunk_shape.is_some(),
        };
        // SAFETY: non-null and writable per the caller.
        unsafe { info_out.write(info) };
        Ok(())
    })
}

/// Copies `values` to the caller's `out` (named `name` in messages), which has room for
/// `ndim` values.
///
/// # Safety
/// `out` must be NULL or valid for writes of `ndim` values.
unsafe fn copy_dims(values: &[u64], out: *mut u64, ndim: usize, name: &str) -> Result<()> {
    if ndim != values.len() {
        return Err(Error::buffer_mismatch(format!(
            "`{name}` must have room for the array's {} dimensions, not {ndim}",
            values.len()
        )));
    }
    if ndim > 0 {
        if out.is_null() {
            return Err(null(name));
        }
        // SAFETY: `out` is non-null and valid for `ndim` writes per the caller.
        unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), out, ndim) };
    }
    Ok(())
}

/// Writes the array's shape (elements per dimension) to `shape_out`.
///
/// - `array`: the handle.
/// - `shape_out`: room for `ndim` values (may be NULL when `ndim` is 0); written only
///   on success.
/// - `ndim`: must equal the array's dimensionality (`ZcfArrayInfo::ndim`).
///
/// Thread safety: any number of threads may call this (and read) on one handle at once.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array` is NULL, or `shape_out` is NULL while `ndim > 0`.
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `ndim` is not the array's dimensionality.
/// - `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// # Safety
/// `array` must be NULL or a live handle; `shape_out` must be NULL or valid for writes
/// of `ndim` values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_shape(
    array: *const ZcfArray,
    shape_out: *mut u64,
    ndim: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        unsafe { copy_dims(array.shape(), shape_out, ndim, "shape_out") }
    })
}

/// Writes the shape of the array's chunks (of its outer chunks, for sharded arrays) to
/// `chunk_shape_out`. Chunks at the array's upper edges may extend past the array.
///
/// - `array`: the handle.
/// - `chunk_shape_out`: room for `ndim` values (may be NULL when `ndim` is 0); written
///   only on success.
/// - `ndim`: must equal the array's dimensionality (`ZcfArrayInfo::ndim`).
///
/// Thread safety: any number of threads may call this (and read) on one handle at once.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array` is NULL, or `chunk_shape_out` is NULL while
///   `ndim > 0`.
/// - `ZCF_STATUS_UNSUPPORTED`: the chunk grid is not regular.
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `ndim` is not the array's dimensionality.
/// - `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// # Safety
/// `array` must be NULL or a live handle; `chunk_shape_out` must be NULL or valid for
/// writes of `ndim` values.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_chunk_shape(
    array: *const ZcfArray,
    chunk_shape_out: *mut u64,
    ndim: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        let chunk_shape = array.regular_chunk_shape()?;
        // SAFETY: forwarded to the caller.
        unsafe { copy_dims(chunk_shape, chunk_shape_out, ndim, "chunk_shape_out") }
    })
}

/// Copies the array's fill value, the value of elements in chunks that were never
/// written, as one element in native byte order.
///
/// - `array`: the handle.
/// - `out`: receives the element on success; left unchanged on failure.
/// - `out_len`: the size of `out` in bytes; must equal `ZcfArrayInfo::item_size`.
///
/// Thread safety: any number of threads may call this (and read) on one handle at once.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array` is NULL, or `out` is NULL while `out_len > 0`.
/// - `ZCF_STATUS_UNSUPPORTED`: the data type cannot be read (`ZCF_DTYPE_UNSUPPORTED`).
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `out_len` is not the element size.
/// - `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// # Safety
/// `array` must be NULL or a live handle; `out` must be NULL or valid for writes of
/// `out_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_fill_value(
    array: *const ZcfArray,
    out: *mut c_void,
    out_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        let size = array.element()?.size;
        let fill = array.fill_value_bytes();
        if out_len != size || fill.len() != size {
            return Err(Error::buffer_mismatch(format!(
                "the fill value has {size} bytes, the buffer {out_len}"
            )));
        }
        // SAFETY: forwarded to the caller.
        unsafe { out_buffer(out, out_len) }?.copy_from_slice(fill);
        Ok(())
    })
}

/// Copies the name of the array's data type as its metadata spells it (e.g. "uint16"
/// for Zarr 3, "<f8" for Zarr 2, "string") into `buf`; useful in messages, and for
/// arrays whose data type is `ZCF_DTYPE_UNSUPPORTED`.
///
/// - `array`: the handle.
/// - `buf`, `buf_len`: as for `zcf_last_error_message` (truncated, NUL-terminated).
///
/// Returns the length of the whole name in bytes, excluding the NUL terminator, or 0
/// when `array` is NULL. Does not change the last error message.
///
/// Thread safety: any number of threads may call this (and read) on one handle at once.
///
/// # Safety
/// `array` must be NULL or a live handle; `buf` must be NULL or valid for writes of
/// `buf_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_data_type_name(
    array: *const ZcfArray,
    buf: *mut c_char,
    buf_len: usize,
) -> usize {
    // SAFETY: forwarded to the caller.
    let Some(array) = (unsafe { array.as_ref() }) else {
        return 0;
    };
    catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: forwarded to the caller.
        unsafe { copy_text(&array.0.data_type_name(), buf, buf_len) }
    }))
    .unwrap_or(0)
}

/// Reads the elements that `selection` picks out of `array` into `out`.
///
/// - `array`: the handle.
/// - `selection`: what to read; see `ZcfSelection` and `ZcfDimSelection`. Read only
///   during the call.
/// - `out`: the caller's buffer, filled in C order with the selection's output shape,
///   `ZcfArrayInfo::item_size` bytes per element in native byte order. Elements of
///   chunks that were never written read as the fill value.
/// - `out_len`: the size of `out` in bytes: the product of the output shape times the
///   item size, exactly.
///
/// Everything the caller passed is checked before the first byte of `out` is written:
/// a call that fails with a 1xx status (or `ZCF_STATUS_UNSUPPORTED`) leaves `out`
/// untouched. Other failures may leave `out` partly written, but never beyond its
/// `out_len` bytes.
///
/// The chunks are read and decoded in parallel on the library's worker threads (see
/// `zcf_set_num_threads`) and written straight into `out`; the call returns when all
/// are done.
///
/// Thread safety: any number of threads may read through one handle at once, into
/// distinct buffers. A process forked after a read can keep reading: the library
/// starts new worker threads in the child.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array` or `selection` is NULL; `selection->dims` is
///   NULL while `ndim > 0`; an `indices` is NULL while its `num_indices > 0`; or `out`
///   is NULL while `out_len > 0`.
/// - `ZCF_STATUS_INVALID_SELECTION`: unknown mode or kind, `ndim` differs from the
///   array's dimensionality, a zero slice step, a pointwise selection with a dimension
///   that is not `ZCF_DIM_INDICES` or index arrays of different lengths, or an output
///   too large to address.
/// - `ZCF_STATUS_OUT_OF_BOUNDS`: an index, or an index a slice yields, lies outside
///   the array.
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `out_len` differs from the selection's size in bytes.
/// - `ZCF_STATUS_UNSUPPORTED`: the data type cannot be read (`ZCF_DTYPE_UNSUPPORTED`),
///   the chunk grid is not regular, or a codec cannot decode this data type.
/// - `ZCF_STATUS_IO`: a chunk could not be read from the store, or the worker threads
///   could not start.
/// - `ZCF_STATUS_DECODE`: a chunk is corrupt (truncated, bad checksum, undecodable).
/// - `ZCF_STATUS_INVALID_METADATA`: a chunk contradicts the metadata (e.g. a
///   malformed shard index).
/// - `ZCF_STATUS_INTERNAL`, `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// The messages of chunk failures name the chunk key and the array's path.
///
/// # Safety
/// `array` must be NULL or a live handle; `selection` must be NULL or point to a
/// `ZcfSelection` whose `dims` and `indices` pointers are valid for the counts it
/// gives; `out` must be NULL or valid for writes of `out_len` bytes, and nothing else
/// may access it during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_read(
    array: *const ZcfArray,
    selection: *const ZcfSelection,
    out: *mut c_void,
    out_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        let selection = unsafe { selection_from_c(selection) }?;
        // SAFETY: forwarded to the caller.
        let out = unsafe { out_buffer(out, out_len) }?;
        engine::read_into(array, &selection, out)
    })
}

/// Reads the box `[start[i], start[i] + shape[i])` on every axis `i` of `array` into
/// `out`: the common case of `zcf_array_read`, without building a selection.
///
/// - `array`: the handle.
/// - `start`: `ndim` values, the box's first index on each axis.
/// - `shape`: `ndim` values, the box's extent on each axis (0 makes an empty box).
/// - `ndim`: must equal the array's dimensionality (0 for a zero-dimensional array,
///   where `start` and `shape` may be NULL and the box is its single element).
/// - `out`: the caller's buffer, filled in C order with an array of shape `shape`,
///   `ZcfArrayInfo::item_size` bytes per element in native byte order. Elements of
///   chunks that were never written read as the fill value.
/// - `out_len`: the size of `out` in bytes: the product of `shape` times the item
///   size, exactly.
///
/// The box must lie inside the array: `start[i] + shape[i] <= array shape[i]` on every
/// axis, even where `shape[i]` is 0. The rest (checks before writing, parallel chunk
/// reads, partial writes on failure) is as for `zcf_array_read`.
///
/// Thread safety: any number of threads may read through one handle at once, into
/// distinct buffers.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array` is NULL; `start` or `shape` is NULL while
///   `ndim > 0`; or `out` is NULL while `out_len > 0`.
/// - `ZCF_STATUS_INVALID_SELECTION`: `ndim` differs from the array's dimensionality, or
///   the box ends beyond `INT64_MAX` or is too large to address.
/// - `ZCF_STATUS_OUT_OF_BOUNDS`: the box reaches outside the array on some axis
///   (including a `start[i] + shape[i]` that overflows).
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `out_len` differs from the box's size in bytes.
/// - `ZCF_STATUS_UNSUPPORTED`, `ZCF_STATUS_IO`, `ZCF_STATUS_DECODE`,
///   `ZCF_STATUS_INVALID_METADATA`, `ZCF_STATUS_INTERNAL`, `ZCF_STATUS_PANIC`: as for
///   `zcf_array_read`.
///
/// # Safety
/// `array` must be NULL or a live handle; `start` and `shape` must each be NULL or
/// valid for reads of `ndim` values; `out` must be NULL or valid for writes of
/// `out_len` bytes, and nothing else may access it during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_read_box(
    array: *const ZcfArray,
    start: *const u64,
    shape: *const u64,
    ndim: usize,
    out: *mut c_void,
    out_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        let start = unsafe { slice(start, ndim, "start") }?;
        // SAFETY: forwarded to the caller.
        let box_shape = unsafe { slice(shape, ndim, "shape") }?;
        // SAFETY: forwarded to the caller.
        let out = unsafe { out_buffer(out, out_len) }?;
        let selection = Selection::from_box(start, box_shape, array.shape())?;
        engine::read_into(array, &selection, out)
    })
}

/// Opens the array at `path`, reads `selection` into `out` as `zcf_array_read` does,
/// and releases the array: the one-call form for a single read. Programs that read
/// an array more than once save the metadata parsing by keeping a handle instead.
///
/// Parameters and ownership are those of `zcf_array_open` (`path`) and
/// `zcf_array_read` (`selection`, `out`, `out_len`).
///
/// Thread safety: may be called from any thread at any time.
///
/// # Errors
/// Those of `zcf_array_open` and of `zcf_array_read`.
///
/// # Safety
/// As for `zcf_array_open` (`path`) and `zcf_array_read` (`selection`, `out`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_read(
    path: *const c_char,
    selection: *const ZcfSelection,
    out: *mut c_void,
    out_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let path = unsafe { path_str(path) }?;
        // SAFETY: forwarded to the caller.
        let selection = unsafe { selection_from_c(selection) }?;
        // SAFETY: forwarded to the caller.
        let out = unsafe { out_buffer(out, out_len) }?;
        engine::read_into(&OpenArray::open(path, Mode::ReadOnly)?, &selection, out)
    })
}

/// Reads the chunk projections in `reads` into `out`: a C-ordered buffer of
/// `reads->out_shape`, `item_size` bytes per element in native byte order, `out_len`
/// bytes long. The library's worker threads read and decode the chunks in parallel.
/// This is the entry for callers that computed per-chunk projections themselves (a
/// zarr-python codec pipeline); `zcf_array_read` computes them from a selection.
///
/// When `missing_out` is not NULL it receives `num_chunks` flags: 1 for a chunk absent
/// from the store (its part of `out` holds the fill value), 0 otherwise.
///
/// The output regions of different chunks must not overlap (overlapping writes land in
/// an unspecified order). Every chunk read is checked against the array, the chunk and
/// the output before anything is written; a 1xx status leaves `out` untouched.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: a required pointer is NULL.
/// - `ZCF_STATUS_INVALID_SELECTION`: unknown mode or kind, counts that disagree (chunk
///   and output selection lengths, kept dimensions and `out_ndim`).
/// - `ZCF_STATUS_OUT_OF_BOUNDS`: a chunk outside the grid, a selection outside the
///   chunk's part of the array, or an output selection outside `out_shape`.
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `out_len` differs from the output's byte size.
/// - `ZCF_STATUS_UNSUPPORTED`, `ZCF_STATUS_IO`, `ZCF_STATUS_DECODE`: as `zcf_array_read`.
///
/// # Safety
/// `array` must be NULL or a live handle; `reads` must be NULL or point to a
/// `ZcfChunkProjections` whose pointers are valid for the documented lengths; `out` must be
/// NULL or valid for writes of `out_len` bytes; `missing_out` must be NULL or valid for
/// `reads->num_chunks` writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_read_chunks(
    array: *const ZcfArray,
    reads: *const ZcfChunkProjections,
    out: *mut c_void,
    out_len: usize,
    missing_out: *mut u8,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        let reads = unsafe { projections_from_c(reads, array.shape().len(), "reads") }?;
        let missing = if missing_out.is_null() {
            None
        } else {
            // SAFETY: non-null and valid for `num_chunks` writes per the caller.
            Some(unsafe { std::slice::from_raw_parts_mut(missing_out, reads.projections.len()) })
        };
        // SAFETY: forwarded to the caller.
        let out = unsafe { out_buffer(out, out_len) }?;
        engine::read_chunks_into(
            array,
            reads.mode,
            &reads.projections,
            reads.buffer_shape,
            out,
            missing,
        )
    })
}

fn write_options(flags: u32) -> Result<WriteOptions> {
    if flags & !ZCF_WRITE_EMPTY_CHUNKS != 0 {
        return Err(Error::invalid_argument(format!(
            "unknown write flags {flags:#x}"
        )));
    }
    Ok(WriteOptions {
        write_empty_chunks: flags & ZCF_WRITE_EMPTY_CHUNKS != 0,
    })
}

/// Writes `values` into the elements that `selection` picks out of `array`.
///
/// - `array`: a handle opened for writing (`zcf_array_open_writable`,
///   `zcf_array_create`).
/// - `selection`: where to write; see `ZcfSelection` and `ZcfDimSelection`. Read only
///   during the call.
/// - `values`: the caller's values in C order with the selection's output shape (what
///   `zcf_array_read` would fill), `ZcfArrayInfo::item_size` bytes per element in native
///   byte order; or a single element, written to every selected position. Read only
///   during the call.
/// - `values_len`: the size of `values` in bytes: the selection's size in bytes, or the
///   item size.
/// - `flags`: 0, or `ZCF_WRITE_EMPTY_CHUNKS`.
///
/// Everything the caller passed is checked before the first chunk is read or written: a
/// call that fails with a 1xx status (or `ZCF_STATUS_UNSUPPORTED` for the data type)
/// changes nothing in the store. The chunks are then written in parallel on the
/// library's worker threads. A chunk whose every element is written is encoded from
/// `values` alone; any other is read (the fill value when absent), updated and
/// re-encoded. Each chunk file is replaced atomically (written beside it, then renamed):
/// a concurrent reader, or a process killed mid-write, sees every chunk old or new, never
/// torn. A failure after the checks (I/O, a corrupt chunk that must be updated) may
/// leave some chunks written and others not, each of them whole.
///
/// As zarr-python does, a chunk whose elements all equal the fill value is deleted
/// rather than stored, unless `flags` has `ZCF_WRITE_EMPTY_CHUNKS`. An index selected
/// twice takes the value given last.
///
/// Thread safety: any number of threads may write through one handle (or different
/// handles, or processes) at once to distinct chunks. Two writes to the same chunk at
/// the same time each replace it whole: the one renamed last wins, and a partial write
/// may undo the other's change to that chunk (no torn data, but lost updates).
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array` or `selection` is NULL; a pointer inside
///   `selection` is NULL while its count is not 0; `values` is NULL while
///   `values_len > 0`.
/// - `ZCF_STATUS_READ_ONLY`: the handle was opened for reading only.
/// - `ZCF_STATUS_INVALID_ARGUMENT`: unknown `flags`.
/// - `ZCF_STATUS_INVALID_SELECTION`, `ZCF_STATUS_OUT_OF_BOUNDS`: as `zcf_array_read`.
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `values_len` is neither the selection's size in bytes
///   nor the item size.
/// - `ZCF_STATUS_UNSUPPORTED`: the data type or chunk grid cannot be written, or a codec
///   failed to encode a chunk.
/// - `ZCF_STATUS_IO`: a chunk could not be read or written (permissions, a full disk).
/// - `ZCF_STATUS_DECODE`: a chunk that must be updated is corrupt (it is left as it was).
/// - `ZCF_STATUS_INTERNAL`, `ZCF_STATUS_PANIC`: a bug inside the library was caught.
///
/// # Safety
/// `array` must be NULL or a live handle; `selection` must be NULL or point to a
/// `ZcfSelection` whose pointers are valid for the counts it gives; `values` must be
/// NULL or valid for reads of `values_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_write(
    array: *const ZcfArray,
    selection: *const ZcfSelection,
    values: *const c_void,
    values_len: usize,
    flags: u32,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        let selection = unsafe { selection_from_c(selection) }?;
        // SAFETY: forwarded to the caller.
        let values = unsafe { in_buffer(values, values_len, "values") }?;
        engine::write_from(array, &selection, values, write_options(flags)?)
    })
}

/// Writes `values` into the box `[start[i], start[i] + shape[i])` on every axis `i` of
/// `array`: the common case of `zcf_array_write`, without building a selection.
///
/// - `array`: a handle opened for writing.
/// - `start`, `shape`, `ndim`: the box, as for `zcf_array_read_box`.
/// - `values`, `values_len`: an array of shape `shape` in C order (or a single element
///   for every position), as for `zcf_array_write`.
/// - `flags`: 0, or `ZCF_WRITE_EMPTY_CHUNKS`.
///
/// The rest (checks before writing, atomic chunk replacement, threads) is as for
/// `zcf_array_write`.
///
/// # Errors
/// As `zcf_array_write`, with the box errors of `zcf_array_read_box`.
///
/// # Safety
/// `array` must be NULL or a live handle; `start` and `shape` must each be NULL or
/// valid for reads of `ndim` values; `values` must be NULL or valid for reads of
/// `values_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_write_box(
    array: *const ZcfArray,
    start: *const u64,
    shape: *const u64,
    ndim: usize,
    values: *const c_void,
    values_len: usize,
    flags: u32,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        let start = unsafe { slice(start, ndim, "start") }?;
        // SAFETY: forwarded to the caller.
        let box_shape = unsafe { slice(shape, ndim, "shape") }?;
        // SAFETY: forwarded to the caller.
        let values = unsafe { in_buffer(values, values_len, "values") }?;
        let selection = Selection::from_box(start, box_shape, array.shape())?;
        engine::write_from(array, &selection, values, write_options(flags)?)
    })
}

/// Writes the chunk projections in `writes`: for each chunk, the part of `values` (a
/// C-ordered buffer of `writes->out_shape`) that its output selection picks goes to the
/// part of the chunk that its chunk selection picks. The entry for callers that computed
/// per-chunk projections themselves (a zarr-python codec pipeline); `zcf_array_write`
/// computes them from a selection. The engine works out which chunks are written whole
/// from the selections themselves.
///
/// - `array`: a handle opened for writing.
/// - `writes`: the projections; no chunk may appear twice.
/// - `values`, `values_len`: `writes->out_shape` elements in C order, native byte order
///   (or a single element for every position).
/// - `flags`: 0, or `ZCF_WRITE_EMPTY_CHUNKS`.
///
/// Every projection is checked against the array, its chunk and `values` before anything
/// is read or written; the rest is as for `zcf_array_write`.
///
/// # Errors
/// As `zcf_array_write`, plus `ZCF_STATUS_INVALID_SELECTION` for a chunk given twice and
/// the projection errors of `zcf_array_read_chunks`.
///
/// # Safety
/// `array` must be NULL or a live handle; `writes` must be NULL or point to a
/// `ZcfChunkProjections` whose pointers are valid for the documented lengths; `values`
/// must be NULL or valid for reads of `values_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_write_chunks(
    array: *const ZcfArray,
    writes: *const ZcfChunkProjections,
    values: *const c_void,
    values_len: usize,
    flags: u32,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        let writes = unsafe { projections_from_c(writes, array.shape().len(), "writes") }?;
        // SAFETY: forwarded to the caller.
        let values = unsafe { in_buffer(values, values_len, "values") }?;
        engine::write_chunks_from(
            array,
            writes.mode,
            &writes.projections,
            writes.buffer_shape,
            values,
            write_options(flags)?,
        )
    })
}
