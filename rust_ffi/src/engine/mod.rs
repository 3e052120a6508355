//! The engine: walks the chunks a selection touches, in parallel on the library's pool,
//! and moves elements between them and the caller's buffer.
//!
//! Reads (`read`, with `shard` for parts of shards) fill the caller's buffer from chunks;
//! writes (`write`) store the caller's values into chunks. Both start from the same checked plan (`crate::plan`), the same walk over the chunks
//! (`for_each_chunk_part`) and the same element copies (`copy`). Every check that can fail
//! on the caller's input runs before the first chunk is touched.

mod copy;
mod read;
mod shard;
mod shard_writer;
mod write;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use zarrs::array::CodecOptions;

use crate::array::OpenArray;
use crate::data_type::ElementType;
use crate::error::{Error, Result};
use crate::plan::{ChunkSpan, DimChunkMap};
use crate::pool;

pub use read::{read_chunks_into, read_into};
pub use write::{WriteOptions, write_chunks_from, write_from};

static VALIDATE_CHECKSUMS: AtomicBool = AtomicBool::new(true);

/// Whether later reads verify checksum codecs (crc32c, fletcher32, adler32); on by default.
pub fn set_validate_checksums(validate: bool) {
    VALIDATE_CHECKSUMS.store(validate, Ordering::Relaxed);
}

pub fn validate_checksums() -> bool {
    VALIDATE_CHECKSUMS.load(Ordering::Relaxed)
}

/// zarrs' default codec options, with this library's checksum setting. The defaults are
/// taken once on a worker thread: `CodecOptions::default()` asks rayon for the current
/// pool's size, which on any other thread would start rayon's global pool.
fn base_codec_options() -> Result<CodecOptions> {
    static DEFAULTS: OnceLock<CodecOptions> = OnceLock::new();
    let defaults = match DEFAULTS.get() {
        Some(defaults) => *defaults,
        None => {
            let defaults = pool::current()?.install(CodecOptions::default);
            *DEFAULTS.get_or_init(|| defaults)
        }
    };
    Ok(defaults.with_validate_checksums(validate_checksums()))
}

/// Options for `num_tasks` chunk tasks running in parallel on the current pool: when
/// there are fewer chunks than threads, the spare threads go to the codecs (e.g. the
/// inner chunks of a shard).
fn codec_options(num_tasks: usize) -> CodecOptions {
    let threads = rayon::current_num_threads();
    CodecOptions::default()
        .with_concurrent_target((threads / num_tasks.max(1)).max(1))
        .with_validate_checksums(validate_checksums())
}

/// Checks that a caller's buffer of `actual` bytes holds exactly `shape` elements of
/// `item_size` bytes.
fn check_buffer_len(shape: &[u64], item_size: usize, actual: usize, what: &str) -> Result<()> {
    let expected = shape
        .iter()
        .try_fold(item_size as u64, |acc, &len| acc.checked_mul(len))
        .filter(|&bytes| usize::try_from(bytes).is_ok());
    match expected {
        Some(bytes) if bytes == actual as u64 => Ok(()),
        Some(bytes) => Err(Error::buffer_mismatch(format!(
            "the {what} buffer has {actual} bytes but the selection of shape {shape:?} needs \
             {bytes} ({item_size} per element)"
        ))),
        None => Err(Error::invalid_selection(format!(
            "a selection of shape {shape:?} is too large to address"
        ))),
    }
}

/// Calls `task` for every chunk an orthogonal selection touches, with the chunk's span
/// along each dimension, in parallel on the current pool. Tasks are numbered in C order
/// so that neighbouring tasks are neighbouring chunks; none is materialised up front (a
/// selection may touch millions of chunks).
fn for_each_chunk_part(
    maps: &[DimChunkMap],
    task: impl Fn(&[&ChunkSpan]) -> Result<()> + Sync,
) -> Result<()> {
    let spans_per_dim: Vec<usize> = maps.iter().map(|map| map.spans.len()).collect();
    let num_tasks = chunk_part_count(maps)?;
    (0..num_tasks).into_par_iter().try_for_each(|index| {
        let mut spans: Vec<&ChunkSpan> = Vec::with_capacity(maps.len());
        let mut rest = index;
        for (map, &n) in maps.iter().zip(&spans_per_dim).rev() {
            spans.push(&map.spans[rest % n]);
            rest /= n;
        }
        spans.reverse();
        task(&spans)
    })
}

/// The number of chunks an orthogonal selection touches.
fn chunk_part_count(maps: &[DimChunkMap]) -> Result<usize> {
    maps.iter()
        .try_fold(1usize, |acc, map| acc.checked_mul(map.spans.len()))
        .ok_or_else(|| Error::invalid_selection("the selection touches too many chunks"))
}

/// The facts about an array that every chunk task needs, checked once per call.
#[derive(Clone, Copy)]
struct Grid<'a> {
    array: &'a OpenArray,
    element: ElementType,
    chunk_shape: &'a [u64],
}

impl<'a> Grid<'a> {
    fn new(array: &'a OpenArray) -> Result<Self> {
        Ok(Self {
            array,
            element: array.element()?,
            chunk_shape: array.regular_chunk_shape()?,
        })
    }

    /// The array coordinates of a chunk's first element.
    fn origin(&self, chunk: &[u64]) -> Vec<u64> {
        chunk
            .iter()
            .zip(self.chunk_shape)
            .map(|(index, len)| index * len)
            .collect()
    }

    /// The extent of a chunk that lies inside the array (edge chunks are cut short).
    fn extent(&self, chunk: &[u64]) -> Vec<u64> {
        let shape = self.array.shape();
        chunk
            .iter()
            .zip(self.chunk_shape)
            .enumerate()
            .map(|(axis, (index, len))| (*len).min(shape[axis] - index * len))
            .collect()
    }

    /// Runs a zarrs operation on `chunk` and names the chunk in its errors. Some corrupt
    /// data makes zarrs panic rather than fail (a shard index entry whose offset plus
    /// length overflows); that is a corrupt chunk too, reported as such.
    fn guarded<T>(
        &self,
        chunk: &[u64],
        operation: impl FnOnce() -> std::result::Result<T, zarrs::array::ArrayError>,
    ) -> Result<T> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(operation)) {
            Ok(result) => result.map_err(|err| self.chunk_error(chunk, err)),
            Err(panic) => {
                let detail = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let key = self.array.array.chunk_key(chunk);
                Err(Error::new(
                    crate::error::ZCF_STATUS_DECODE,
                    format!(
                        "cannot read chunk '{}' of the Zarr array at '{}': the chunk is corrupt \
                         (decoding failed: {detail})",
                        key.as_str(),
                        self.array.path
                    ),
                ))
            }
        }
    }

    /// Runs a zarrs encode or store operation for `chunk` and names the chunk in its
    /// errors; a panic in there is a bug, reported as such.
    fn guarded_write<T>(
        &self,
        chunk: &[u64],
        operation: impl FnOnce() -> std::result::Result<T, zarrs::array::ArrayError>,
    ) -> Result<T> {
        let key = || self.array.array.chunk_key(chunk);
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(operation)) {
            Ok(result) => {
                result.map_err(|err| Error::from_chunk_write(&self.array.path, key().as_str(), err))
            }
            Err(_) => Err(Error::internal(format!(
                "writing chunk '{}' of the Zarr array at '{}' panicked",
                key().as_str(),
                self.array.path
            ))),
        }
    }

    fn chunk_error(&self, chunk: &[u64], err: zarrs::array::ArrayError) -> Error {
        let key = self.array.array.chunk_key(chunk);
        Error::from_chunk_read(&self.array.path, key.as_str(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_buffer_sizes_are_rejected() {
        let err = check_buffer_len(&[u64::MAX, u64::MAX], 8, 0, "output").unwrap_err();
        assert_eq!(err.status, crate::error::ZCF_STATUS_INVALID_SELECTION);
        let err = check_buffer_len(&[2, 3], 4, 23, "output").unwrap_err();
        assert_eq!(err.status, crate::error::ZCF_STATUS_BUFFER_MISMATCH);
        assert!(check_buffer_len(&[2, 3], 4, 24, "output").is_ok());
        assert!(check_buffer_len(&[], 4, 4, "output").is_ok());
    }
}
