//! The C boundary: every exported function checks its raw pointers, converts them to
//! safe Rust values, calls safe code, and turns the outcome into a status code.
//! Panics never cross the boundary: they become `ZCF_STATUS_PANIC`.
//!
//! `array` holds the array handle and its functions, `selection` the selection structs;
//! this module the library-wide functions and the pointer helpers they all share.

mod array;
mod selection;

use std::ffi::{CStr, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::engine;
use crate::error::{Error, Result, ZCF_STATUS_NULL_POINTER, ZCF_STATUS_OK, ZCF_STATUS_PANIC};
use crate::pool;

pub use array::*;
pub use selection::*;
/// The version of this C ABI. It changes whenever a struct layout, a function signature
/// or the meaning of a status changes (adding functions or constants does not change
/// it); a program built against one version must not use a library whose
/// `zcf_abi_version()` reports another.
pub const ZCF_ABI_VERSION: u32 = 1;

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
/// `values` must be NULL or valid for reads of `len` bytes.
unsafe fn in_buffer<'a>(values: *const c_void, len: usize, name: &str) -> Result<&'a [u8]> {
    // SAFETY: forwarded to the caller.
    unsafe { slice(values.cast::<u8>(), len, name) }
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

/// Returns the ABI version of the loaded library.
///
/// A program compares it with the `ZCF_ABI_VERSION` of the header it was compiled
/// against, once at startup, and must not use the library when they differ.
///
/// Thread safety: may be called from any thread at any time. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_abi_version() -> u32 {
    ZCF_ABI_VERSION
}

/// Returns the library's release version, e.g. "0.1.0".
///
/// Ownership: the string is static, NUL-terminated and owned by the library; it stays
/// valid while the library is loaded and must not be freed.
///
/// Thread safety: may be called from any thread at any time. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_library_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Copies the message of the last failed call made on the calling thread into `buf`.
///
/// - `buf`: where to write the message (may be NULL when `buf_len` is 0).
/// - `buf_len`: the size of `buf` in bytes. The copy is truncated to `buf_len - 1`
///   bytes and always NUL-terminated when `buf_len > 0`.
///
/// Returns the length of the whole message in bytes, excluding the NUL terminator, so
/// that `zcf_last_error_message(NULL, 0) + 1` is the buffer size that holds it all.
/// Returns 0 (and writes an empty string) when no call on this thread has failed yet.
/// The message is UTF-8. Successful calls leave it in place; the next failed call on
/// the same thread replaces it.
///
/// Thread safety: each thread has its own message, so a failure on one thread never
/// changes what another thread reads. Never fails.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `buf_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn zcf_last_error_message(buf: *mut c_char, buf_len: usize) -> usize {
    // SAFETY: forwarded to the caller.
    crate::error::with_last_error(|message| unsafe { copy_text(message, buf, buf_len) })
}

/// Sets the number of worker threads that later reads decode chunks on.
///
/// - `num_threads`: the thread count, at most 1024; 0 restores the default, one per
///   available core.
///
/// The library starts its worker threads on the first read after this call. Reads
/// already running finish on the threads they started with.
///
/// Thread safety: may be called from any thread at any time, also while other threads
/// read.
///
/// # Errors
/// - `ZCF_STATUS_INVALID_ARGUMENT`: more than 1024 threads; nothing changed.
/// - `ZCF_STATUS_PANIC`: a bug inside the library was caught; nothing changed.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_set_num_threads(num_threads: usize) -> i32 {
    guard(|| pool::set_num_threads(num_threads))
}

/// Returns the number of worker threads reads use: the value set with
/// `zcf_set_num_threads`, or the number of available cores when that is 0 or unset.
///
/// Thread safety: may be called from any thread at any time. Never fails.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_get_num_threads() -> usize {
    catch_unwind(pool::num_threads).unwrap_or(1)
}

/// Sets whether later reads verify checksum codecs (crc32c, fletcher32, adler32). On by
/// default; a failed check is `ZCF_STATUS_DECODE`.
///
/// Thread safety: may be called at any time from any thread.
#[unsafe(no_mangle)]
pub extern "C" fn zcf_set_validate_checksums(validate: bool) {
    engine::set_validate_checksums(validate);
}
