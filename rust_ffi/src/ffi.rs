//! The C boundary: every exported function checks its raw pointers, converts them to
//! safe Rust values, calls safe code, and turns the outcome into a status code.
//! Panics never cross the boundary: they become `ZCF_STATUS_PANIC`.

use std::ffi::{CStr, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::array::OpenArray;
use crate::data_type::ZCF_DTYPE_UNSUPPORTED;
use crate::engine;
use crate::error::{Error, Result, ZCF_STATUS_NULL_POINTER, ZCF_STATUS_OK, ZCF_STATUS_PANIC};
use crate::plan::{ChunkRead, DimSelection, Mode, Selection};
use crate::pool;

/// The version of this C ABI. It changes whenever a struct layout, a function signature
/// or the meaning of a status changes; a program built against one version must not
/// load a library reporting another.
pub const ZCF_ABI_VERSION: u32 = 1;

/// `ZcfDimSelection::kind`: a `range`-style slice (`start`, `stop`, `step`).
pub const ZCF_DIM_SLICE: i32 = 1;
/// `ZcfDimSelection::kind`: the single index `start`; the dimension is dropped.
pub const ZCF_DIM_INDEX: i32 = 2;
/// `ZcfDimSelection::kind`: the `num_indices` indices at `indices`.
pub const ZCF_DIM_INDICES: i32 = 3;

/// `ZcfSelection::mode`: each dimension selects independently (numpy basic indexing
/// and zarr's `oindex`); the output has one dimension per non-`ZCF_DIM_INDEX` entry.
pub const ZCF_MODE_ORTHOGONAL: i32 = 1;
/// `ZcfSelection::mode`: every dimension is `ZCF_DIM_INDICES` with the same
/// `num_indices` N; the output is the N elements at those coordinates (zarr's `vindex`).
pub const ZCF_MODE_POINTWISE: i32 = 2;

/// An array opened from a local directory. Opaque; free with `zcf_array_free`.
pub struct ZcfArray(OpenArray);

/// What one dimension of a selection selects.
///
/// Negative indices (`ZCF_DIM_INDEX`, `ZCF_DIM_INDICES`) count from the end, as in numpy.
/// A slice follows Python's `range(start, stop, step)` after `slice.indices()`: `step` is
/// non-zero and may be negative, and every index it yields must lie in the dimension.
#[repr(C)]
pub struct ZcfDimSelection {
    /// One of `ZCF_DIM_SLICE`, `ZCF_DIM_INDEX`, `ZCF_DIM_INDICES`.
    pub kind: i32,
    /// First index of a slice, or the index of `ZCF_DIM_INDEX`.
    pub start: i64,
    /// End of a slice (exclusive).
    pub stop: i64,
    /// Step of a slice.
    pub step: i64,
    /// The indices of `ZCF_DIM_INDICES` (may be NULL when `num_indices` is 0).
    pub indices: *const i64,
    /// Number of elements at `indices`.
    pub num_indices: usize,
}

/// A selection plan: one `ZcfDimSelection` per array dimension.
#[repr(C)]
pub struct ZcfSelection {
    /// `ZCF_MODE_ORTHOGONAL` or `ZCF_MODE_POINTWISE`.
    pub mode: i32,
    /// Number of entries at `dims`; must equal the array's dimensionality.
    pub ndim: usize,
    /// The per-dimension selections (may be NULL when `ndim` is 0).
    pub dims: *const ZcfDimSelection,
}

/// A read whose per-chunk projections the caller computed (as zarr-python's indexers
/// do): for each of `num_chunks` chunks, its grid indices, what to take from it, and
/// where that lands in the output. All arrays are laid out chunk by chunk.
#[repr(C)]
pub struct ZcfChunkReads {
    /// `ZCF_MODE_ORTHOGONAL` or `ZCF_MODE_POINTWISE`.
    pub mode: i32,
    /// Number of chunks.
    pub num_chunks: usize,
    /// `num_chunks * ndim` chunk grid indices.
    pub chunk_indices: *const u64,
    /// `num_chunks * ndim` selections relative to each chunk's origin. Orthogonal mode:
    /// `ZCF_DIM_INDEX` entries are dropped from the output. Pointwise mode: all
    /// `ZCF_DIM_INDICES` of one length per chunk (the points' coordinates).
    pub chunk_selections: *const ZcfDimSelection,
    /// Number of output dimensions (1 in pointwise mode).
    pub out_ndim: usize,
    /// The output shape (`out_ndim` values).
    pub out_shape: *const u64,
    /// `num_chunks * out_ndim` output selections (slices or indices, no `ZCF_DIM_INDEX`),
    /// paired in order with each chunk's kept dimensions (pointwise: the points' positions
    /// in the 1-D output).
    pub out_selections: *const ZcfDimSelection,
}

/// Facts about an opened array.
#[repr(C)]
pub struct ZcfArrayInfo {
    /// Number of dimensions.
    pub ndim: usize,
    /// One of the `ZCF_DTYPE_*` codes; `ZCF_DTYPE_UNSUPPORTED` if reads are impossible.
    pub data_type: i32,
    /// Bytes per element (0 when the data type is unsupported).
    pub item_size: usize,
    /// 2 or 3.
    pub zarr_format: u32,
    /// Whether the metadata declares big-endian elements (Zarr v2 only). Reads always
    /// produce native byte order.
    pub declares_big_endian: bool,
    /// Whether the chunk grid is regular (required for reads).
    pub regular_chunk_grid: bool,
}

/// Runs `body`, records its error for `zcf_last_error_message`, and maps it to a status.
fn guard(body: impl FnOnce() -> Result<()>) -> i32 {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ZCF_STATUS_OK,
        Ok(Err(err)) => {
            crate::error::set_last_error(&err.message);
            err.status
        }
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            crate::error::set_last_error(&format!("internal panic: {detail}"));
            ZCF_STATUS_PANIC
        }
    }
}

fn null(name: &str) -> Error {
    Error::new(ZCF_STATUS_NULL_POINTER, format!("`{name}` is NULL"))
}

/// # Safety
/// `ptr` must be NULL or point to a live value of type `T`.
unsafe fn deref<'a, T>(ptr: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: forwarded to the caller.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// # Safety
/// `ptr` must be NULL or point to `len` readable values of type `T`.
unsafe fn slice<'a, T>(ptr: *const T, len: usize, name: &str) -> Result<&'a [T]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-null and, per the caller, valid for `len` reads.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// # Safety
/// `ptr` must be NULL or a NUL-terminated string.
unsafe fn path_str<'a>(ptr: *const c_char) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null("path"));
    }
    // SAFETY: non-null and NUL-terminated per the caller.
    unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .map_err(|_| Error::invalid_argument("the path is not valid UTF-8"))
}

/// # Safety
/// `selection` must be NULL or valid as documented on `ZcfSelection`.
unsafe fn selection_from_c<'a>(selection: *const ZcfSelection) -> Result<Selection<'a>> {
    // SAFETY: forwarded to the caller.
    let selection = unsafe { deref(selection, "selection") }?;
    let mode = mode_from_c(selection.mode)?;
    // SAFETY: `dims` holds `ndim` entries per the caller.
    let dims = unsafe { dims_from_c(selection.dims, selection.ndim, "selection.dims") }?;
    Ok(Selection { mode, dims })
}

/// # Safety
/// `dims` must be NULL or valid as documented on `ZcfDimSelection`, `len` entries long.
unsafe fn dims_from_c<'a>(
    dims: *const ZcfDimSelection,
    len: usize,
    name: &str,
) -> Result<Vec<DimSelection<'a>>> {
    // SAFETY: forwarded to the caller.
    let dims = unsafe { slice(dims, len, name) }?;
    dims.iter()
        .enumerate()
        .map(|(axis, dim)| match dim.kind {
            ZCF_DIM_SLICE => Ok(DimSelection::Slice {
                start: dim.start,
                stop: dim.stop,
                step: dim.step,
            }),
            ZCF_DIM_INDEX => Ok(DimSelection::Index(dim.start)),
            ZCF_DIM_INDICES => {
                // SAFETY: `indices` holds `num_indices` entries per the caller.
                unsafe { slice(dim.indices, dim.num_indices, "indices") }.map(DimSelection::Indices)
            }
            other => Err(Error::invalid_selection(format!(
                "unknown selection kind {other} for axis {axis}"
            ))),
        })
        .collect()
}

fn mode_from_c(mode: i32) -> Result<Mode> {
    match mode {
        ZCF_MODE_ORTHOGONAL => Ok(Mode::Orthogonal),
        ZCF_MODE_POINTWISE => Ok(Mode::Pointwise),
        other => Err(Error::invalid_selection(format!(
            "unknown selection mode {other}"
        ))),
    }
}

/// # Safety
/// `out` must be NULL or valid for writes of `out_len` bytes.
unsafe fn out_buffer<'a>(out: *mut c_void, out_len: usize) -> Result<&'a mut [u8]> {
    if out_len == 0 {
        return Ok(&mut []);
    }
    if out.is_null() {
        return Err(null("out"));
    }
    // SAFETY: non-null and, per the caller, valid for `out_len` writes with no other
    // live reference to it for the duration of the call.
    Ok(unsafe { std::slice::from_raw_parts_mut(out.cast::<u8>(), out_len) })
}

/// Copies `text` into `buf` (truncated, always NUL-terminated when `buf_len > 0`) and
/// returns the length of the whole text, excluding the NUL.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes.
unsafe fn copy_text(text: &str, buf: *mut c_char, buf_len: usize) -> usize {
    if !buf.is_null() && buf_len > 0 {
        let copied = text.len().min(buf_len - 1);
        // SAFETY: `buf` is valid for `buf_len` bytes and `copied + 1 <= buf_len`.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), copied);
            *buf.add(copied) = 0;
        }
    }
    text.len()
}

/// Returns `ZCF_ABI_VERSION` as compiled into the library.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_abi_version() -> u32 {
    ZCF_ABI_VERSION
}

/// Returns the library version as a static NUL-terminated string (never freed).
#[unsafe(no_mangle)]
pub extern "C" fn zcf_library_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Copies the message of the last failed call made on this thread into `buf`.
///
/// Returns the full length of the message (excluding the NUL terminator); the copy is
/// truncated to `buf_len - 1` bytes and NUL-terminated. Call with `buf_len == 0` to
/// learn the length. The message stays until the next failed call on the same thread.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    // SAFETY: forwarded to the caller.
    crate::error::with_last_error(|message| unsafe { copy_text(message, buf, buf_len) })
}

/// Sets the number of worker threads for later reads; 0 means one per available core
/// (the default). Reads already running finish on the previous threads.
///
/// Thread safety: may be called at any time from any thread.
///
/// # Errors
/// `ZCF_STATUS_PANIC` only if an internal invariant fails.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_set_num_threads(num_threads: usize) -> i32 {
    guard(|| {
        pool::set_num_threads(num_threads);
        Ok(())
    })
}

/// Returns the number of worker threads reads use.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_get_num_threads() -> usize {
    catch_unwind(pool::num_threads).unwrap_or(1)
}

/// Opens the Zarr array (v2 or v3) stored in the directory `path` and stores a new
/// handle in `*array_out`. The handle must be released with `zcf_array_free`.
///
/// A handle is immutable: any number of threads may read through it at once.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `path` or `array_out` is NULL.
/// - `ZCF_STATUS_INVALID_ARGUMENT`: `path` is empty or not UTF-8.
/// - `ZCF_STATUS_NOT_FOUND`: no array metadata at `path`.
/// - `ZCF_STATUS_INVALID_METADATA`, `ZCF_STATUS_UNSUPPORTED`, `ZCF_STATUS_IO`.
///
/// # Safety
/// `path` must be NULL or NUL-terminated; `array_out` must be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_open(path: *const c_char, array_out: *mut *mut ZcfArray) -> i32 {
    guard(|| {
        if array_out.is_null() {
            return Err(null("array_out"));
        }
        // SAFETY: forwarded to the caller.
        let path = unsafe { path_str(path) }?;
        let array = Box::new(ZcfArray(OpenArray::open(path)?));
        // SAFETY: `array_out` is non-null and writable per the caller.
        unsafe { *array_out = Box::into_raw(array) };
        Ok(())
    })
}

/// Like `zcf_array_open`, but takes the array's metadata document (the JSON text of its
/// `zarr.json` or `.zarray`) instead of reading it from `path`; chunks are read from
/// `path`. For callers that already hold the authoritative metadata.
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
        if metadata_json.is_null() {
            return Err(null("metadata_json"));
        }
        // SAFETY: non-null and NUL-terminated per the caller.
        let metadata_json = unsafe { CStr::from_ptr(metadata_json) }
            .to_str()
            .map_err(|_| Error::invalid_argument("the metadata is not valid UTF-8"))?;
        let array = Box::new(ZcfArray(OpenArray::with_metadata(path, metadata_json)?));
        // SAFETY: `array_out` is non-null and writable per the caller.
        unsafe { *array_out = Box::into_raw(array) };
        Ok(())
    })
}

/// Releases a handle from `zcf_array_open`. NULL is ignored.
///
/// # Safety
/// `array` must be NULL or a handle from `zcf_array_open` not yet freed, and no other
/// thread may be using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_free(array: *mut ZcfArray) {
    if !array.is_null() {
        // SAFETY: the handle came from `Box::into_raw` in `zcf_array_open`.
        let array = unsafe { Box::from_raw(array) };
        let _ = catch_unwind(AssertUnwindSafe(move || drop(array)));
    }
}

/// Fills `*info_out` with the array's dimensionality, data type and format.
///
/// # Errors
/// `ZCF_STATUS_NULL_POINTER` when `array` or `info_out` is NULL.
///
/// # Safety
/// `array` must be NULL or a live handle; `info_out` must be NULL or writable.
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

fn copy_dims(values: &[u64], out: *mut u64, ndim: usize) -> Result<()> {
    if ndim != values.len() {
        return Err(Error::buffer_mismatch(format!(
            "expected room for {} dimensions, got {ndim}",
            values.len()
        )));
    }
    if ndim > 0 {
        if out.is_null() {
            return Err(null("shape_out"));
        }
        // SAFETY: `out` is valid for `ndim` writes per the callers' contracts.
        unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), out, ndim) };
    }
    Ok(())
}

/// Writes the array's shape to `shape_out`, which has room for `ndim` values.
///
/// # Errors
/// `ZCF_STATUS_NULL_POINTER`; `ZCF_STATUS_BUFFER_MISMATCH` when `ndim` is not the array's
/// dimensionality.
///
/// # Safety
/// `array` must be NULL or a live handle; `shape_out` must be valid for `ndim` writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_shape(
    array: *const ZcfArray,
    shape_out: *mut u64,
    ndim: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        copy_dims(array.shape(), shape_out, ndim)
    })
}

/// Writes the array's regular chunk shape to `chunk_shape_out` (room for `ndim` values).
///
/// # Errors
/// `ZCF_STATUS_NULL_POINTER`; `ZCF_STATUS_BUFFER_MISMATCH` when `ndim` is not the array's
/// dimensionality; `ZCF_STATUS_UNSUPPORTED` when the chunk grid is not regular.
///
/// # Safety
/// `array` must be NULL or a live handle; `chunk_shape_out` must be valid for `ndim` writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_chunk_shape(
    array: *const ZcfArray,
    chunk_shape_out: *mut u64,
    ndim: usize,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        copy_dims(array.regular_chunk_shape()?, chunk_shape_out, ndim)
    })
}

/// Copies the fill value (native byte order) into `out`, which must hold exactly
/// `item_size` bytes (see `zcf_array_info`).
///
/// # Errors
/// `ZCF_STATUS_NULL_POINTER`; `ZCF_STATUS_BUFFER_MISMATCH` when `out_len` is not the item
/// size; `ZCF_STATUS_UNSUPPORTED` for unsupported data types.
///
/// # Safety
/// `array` must be NULL or a live handle; `out` must be valid for `out_len` writes.
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

/// Copies the data type name from the array metadata (e.g. "uint16", "<f8", "string")
/// into `buf`, with the truncation rules of `zcf_last_error_message`. Returns the full
/// length, or 0 when `array` is NULL.
///
/// # Safety
/// `array` must be NULL or a live handle; `buf` must be NULL or valid for `buf_len` writes.
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

/// Reads `selection` of `array` into `out`: a C-ordered buffer of the selection's output
/// shape, `item_size` bytes per element in native byte order, `out_len` bytes long.
/// Missing chunks read as the fill value. The library's worker threads decode chunks in
/// parallel and write straight into `out`.
///
/// Everything the caller passed is checked before the first byte of `out` is written:
/// a call that fails with a 1xx status leaves `out` untouched. A 2xx/3xx failure may
/// leave `out` partly written, but never outside the selection's `out_len` bytes.
///
/// Thread safety: any number of threads may read through one handle at once.
///
/// # Errors
/// - `ZCF_STATUS_NULL_POINTER`: `array`, `selection`, a needed `indices`, or `out` (with
///   `out_len > 0`) is NULL.
/// - `ZCF_STATUS_INVALID_SELECTION`: unknown mode or kind, `ndim` differs from the array,
///   zero step, pointwise arrays of different lengths, sizes that overflow.
/// - `ZCF_STATUS_OUT_OF_BOUNDS`: an index or slice outside the array.
/// - `ZCF_STATUS_BUFFER_MISMATCH`: `out_len` differs from the selection's byte size.
/// - `ZCF_STATUS_UNSUPPORTED`: unsupported data type or chunk grid.
/// - `ZCF_STATUS_IO`, `ZCF_STATUS_DECODE`: a chunk could not be read or decoded; the
///   message names the chunk key and the array.
///
/// # Safety
/// `array` must be NULL or a live handle; `selection` must be NULL or valid as documented
/// on `ZcfSelection`; `out` must be NULL or valid for writes of `out_len` bytes and not
/// accessed by anything else during the call.
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

/// Opens the array at `path`, reads `selection` into `out` as `zcf_array_read` does,
/// and releases the array: the one-call form for a single read.
///
/// # Errors
/// Those of `zcf_array_open` and `zcf_array_read`.
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
        engine::read_into(&OpenArray::open(path)?, &selection, out)
    })
}

/// Sets whether later reads verify checksum codecs (crc32c, fletcher32, adler32). On by
/// default; a failed check is `ZCF_STATUS_DECODE`.
///
/// Thread safety: may be called at any time from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_set_validate_checksums(validate: bool) {
    engine::set_validate_checksums(validate);
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
/// `ZcfChunkReads` whose pointers are valid for the documented lengths; `out` must be
/// NULL or valid for writes of `out_len` bytes; `missing_out` must be NULL or valid for
/// `reads->num_chunks` writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_array_read_chunks(
    array: *const ZcfArray,
    reads: *const ZcfChunkReads,
    out: *mut c_void,
    out_len: usize,
    missing_out: *mut u8,
) -> i32 {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let array = &unsafe { deref(array, "array") }?.0;
        // SAFETY: forwarded to the caller.
        let reads = unsafe { deref(reads, "reads") }?;
        let mode = mode_from_c(reads.mode)?;
        let ndim = array.shape().len();
        let chunk_values = reads
            .num_chunks
            .checked_mul(ndim)
            .ok_or_else(|| Error::invalid_selection("num_chunks overflows"))?;
        let out_values = reads
            .num_chunks
            .checked_mul(reads.out_ndim)
            .ok_or_else(|| Error::invalid_selection("num_chunks overflows"))?;
        // SAFETY: the pointers hold the documented numbers of values per the caller.
        let (chunk_indices, out_shape) = unsafe {
            (
                slice(reads.chunk_indices, chunk_values, "reads.chunk_indices")?,
                slice(reads.out_shape, reads.out_ndim, "reads.out_shape")?,
            )
        };
        // SAFETY: as above.
        let chunk_dims = unsafe {
            dims_from_c(
                reads.chunk_selections,
                chunk_values,
                "reads.chunk_selections",
            )
        }?;
        // SAFETY: as above.
        let out_dims =
            unsafe { dims_from_c(reads.out_selections, out_values, "reads.out_selections") }?;
        let chunk_reads: Vec<ChunkRead<'_>> = (0..reads.num_chunks)
            .map(|chunk| ChunkRead {
                chunk: &chunk_indices[chunk * ndim..(chunk + 1) * ndim],
                chunk_dims: chunk_dims[chunk * ndim..(chunk + 1) * ndim].to_vec(),
                out_dims: out_dims[chunk * reads.out_ndim..(chunk + 1) * reads.out_ndim].to_vec(),
            })
            .collect();
        let missing = if missing_out.is_null() {
            None
        } else {
            // SAFETY: non-null and valid for `num_chunks` writes per the caller.
            Some(unsafe { std::slice::from_raw_parts_mut(missing_out, reads.num_chunks) })
        };
        // SAFETY: forwarded to the caller.
        let out = unsafe { out_buffer(out, out_len) }?;
        engine::read_chunks_into(array, mode, &chunk_reads, out_shape, out, missing)
    })
}
