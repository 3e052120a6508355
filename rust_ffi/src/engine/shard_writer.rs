//! Writing shards piece by piece: every inner chunk a write touches is encoded on its own
//! worker thread (decoded first unless the write covers it); every other inner chunk keeps
//! its encoded bytes, untouched; the shard is then assembled with a fresh index and
//! replaced whole. So a write to part of a shard costs the inner chunks it touches, and
//! the shard on disk is always valid and never grows with rewrites.
//!
//! Inner chunks follow zarr-python's rule for chunks: one left holding only the fill value
//! is dropped from the shard unless empty chunks are written, and a shard left with no
//! inner chunk is deleted.

use std::borrow::Cow;
use std::num::NonZeroU64;

use rayon::prelude::*;
use zarrs::array::{ArrayBytes, ArrayToBytesCodecTraits, CodecOptions, FillValue};
use zarrs::storage::{Bytes, ReadableStorageTraits, WritableStorageTraits};

use super::copy::{c_strides, for_each_run};
use super::write::{ChunkWriter, all_fill};
use crate::array::ShardCodecs;
use crate::error::{Error, Result, ZCF_STATUS_DECODE};
use crate::plan::{DimPart, PointGroup};

/// What a write puts into one inner chunk.
enum InnerUpdate<'a> {
    /// The part of the values paired with the inner chunk, per dimension (indices relative
    /// to the inner chunk's origin).
    Part(Vec<&'a DimPart>),
    /// Points, as (in-inner-chunk coordinates, position in the values).
    Points(Vec<(Vec<u64>, u64)>),
}

/// The encoded inner chunks of a shard, and the bytes they borrow from.
struct Shard {
    bytes: Option<Bytes>,
    /// Per inner chunk (C order), its byte range in `bytes`, or None when absent.
    entries: Vec<Option<(usize, usize)>>,
}

impl ChunkWriter<'_> {
    /// Writes the part of the values that `parts` pairs with the shard `shard`.
    pub(super) fn write_shard_part(
        &self,
        codecs: &ShardCodecs,
        shard: &[u64],
        parts: &[&DimPart],
        values_extents: &[u64],
        options: &CodecOptions,
    ) -> Result<()> {
        let splits: Vec<Vec<(u64, DimPart)>> = parts
            .iter()
            .zip(&codecs.inner_shape)
            .map(|(part, &len)| part.split_by(len))
            .collect();
        let counts: Vec<usize> = splits.iter().map(Vec::len).collect();
        let grid = self.inner_grid(codecs);
        let updates: Vec<(usize, InnerUpdate<'_>)> = (0..counts.iter().product::<usize>())
            .map(|task| {
                let mut rest = task;
                let mut inner = vec![0u64; counts.len()];
                let mut inner_parts = Vec::with_capacity(counts.len());
                for axis in (0..counts.len()).rev() {
                    let (block, part) = &splits[axis][rest % counts[axis]];
                    rest /= counts[axis];
                    inner[axis] = *block;
                    inner_parts.push(part);
                }
                inner_parts.reverse();
                (linear(&inner, &grid), InnerUpdate::Part(inner_parts))
            })
            .collect();
        self.write_shard(codecs, shard, updates, values_extents, options)
    }

    /// Writes the points of one shard into it.
    pub(super) fn write_shard_points(
        &self,
        codecs: &ShardCodecs,
        group: &PointGroup,
        options: &CodecOptions,
    ) -> Result<()> {
        let ndim = codecs.inner_shape.len();
        let grid = self.inner_grid(codecs);
        let mut by_inner: std::collections::BTreeMap<usize, Vec<(Vec<u64>, u64)>> =
            Default::default();
        for (point, &position) in group.coords.chunks_exact(ndim.max(1)).zip(&group.outs) {
            let point = &point[..ndim];
            let inner: Vec<u64> = point
                .iter()
                .zip(&codecs.inner_shape)
                .map(|(c, len)| c / len)
                .collect();
            let within = point
                .iter()
                .zip(&codecs.inner_shape)
                .map(|(c, len)| c % len)
                .collect();
            by_inner
                .entry(linear(&inner, &grid))
                .or_default()
                .push((within, position));
        }
        let updates = by_inner
            .into_iter()
            .map(|(inner, points)| (inner, InnerUpdate::Points(points)))
            .collect();
        self.write_shard(codecs, &group.chunk, updates, &[], options)
    }

    /// The number of inner chunks per shard along each dimension.
    fn inner_grid(&self, codecs: &ShardCodecs) -> Vec<u64> {
        self.grid
            .chunk_shape
            .iter()
            .zip(&codecs.inner_shape)
            .map(|(shard, inner)| shard.div_ceil(*inner))
            .collect()
    }

    fn write_shard(
        &self,
        codecs: &ShardCodecs,
        shard: &[u64],
        updates: Vec<(usize, InnerUpdate<'_>)>,
        values_extents: &[u64],
        options: &CodecOptions,
    ) -> Result<()> {
        let grid = self.inner_grid(codecs);
        let num_inner = grid.iter().product::<u64>() as usize;
        let extent = self.grid.extent(shard);
        let covered: Vec<bool> = updates
            .iter()
            .map(|(inner, update)| self.covers(codecs, &extent, &unravel(*inner, &grid), update))
            .collect();
        // The old shard is needed unless the write covers every inner chunk.
        let old = if updates.len() == num_inner && covered.iter().all(|&c| c) {
            Shard {
                bytes: None,
                entries: vec![None; num_inner],
            }
        } else {
            self.read_shard(codecs, shard, num_inner, options)?
        };
        let inner_options = options.with_concurrent_target(1);
        let encoded: Vec<(usize, Option<Vec<u8>>)> = updates
            .par_iter()
            .zip(&covered)
            .map(|((inner, update), &covered)| {
                let origin = unravel(*inner, &grid);
                let previous = old.entry(*inner);
                let bytes = self.update_inner(
                    codecs,
                    shard,
                    &origin,
                    &extent,
                    update,
                    previous,
                    covered,
                    values_extents,
                    &inner_options,
                )?;
                Ok((*inner, bytes))
            })
            .collect::<Result<_>>()?;
        let mut entries: Vec<Option<Cow<'_, [u8]>>> = (0..num_inner)
            .map(|inner| old.entry(inner).map(Cow::Borrowed))
            .collect();
        for (inner, bytes) in encoded {
            entries[inner] = bytes.map(Cow::Owned);
        }
        let array = &self.grid.array.array;
        let key = array.chunk_key(shard);
        if entries.iter().all(Option::is_none) {
            return self
                .grid
                .guarded_write(shard, || Ok(array.storage().erase(&key)?));
        }
        let assembled = self.assemble(codecs, &grid, &entries, shard)?;
        self.grid.guarded_write(shard, || {
            Ok(array.storage().set(&key, Bytes::from(assembled))?)
        })
    }

    /// Whether the update writes every element of the inner chunk that lies in the array.
    fn covers(
        &self,
        codecs: &ShardCodecs,
        shard_extent: &[u64],
        inner: &[u64],
        update: &InnerUpdate<'_>,
    ) -> bool {
        let InnerUpdate::Part(parts) = update else {
            return false;
        };
        parts.iter().enumerate().all(|(axis, part)| {
            let origin = inner[axis] * codecs.inner_shape[axis];
            let len = codecs.inner_shape[axis].min(shard_extent[axis].saturating_sub(origin));
            part.covers(len)
        })
    }

    /// The new encoded bytes of one inner chunk (None when it is to be dropped).
    #[allow(clippy::too_many_arguments)]
    fn update_inner(
        &self,
        codecs: &ShardCodecs,
        shard: &[u64],
        inner: &[u64],
        shard_extent: &[u64],
        update: &InnerUpdate<'_>,
        previous: Option<&[u8]>,
        covered: bool,
        values_extents: &[u64],
        options: &CodecOptions,
    ) -> Result<Option<Vec<u8>>> {
        let array = &self.grid.array.array;
        let element = self.grid.element;
        let inner_shape = &codecs.inner_shape;
        let shape = non_zero(inner_shape)?;
        let fill = self.grid.array.fill_value_bytes();
        let within_array = inner
            .iter()
            .enumerate()
            .all(|(axis, &block)| (block + 1) * inner_shape[axis] <= shard_extent[axis]);
        let mut bytes = match previous {
            // Not written whole: the rest of it keeps its values.
            Some(encoded) if !covered => self.grid.guarded(shard, || {
                Ok(codecs
                    .inner
                    .decode(
                        Cow::Borrowed(encoded),
                        &shape,
                        array.data_type(),
                        array.fill_value(),
                        options,
                    )?
                    .into_fixed()?
                    .into_owned())
            })?,
            // Written whole inside the array: every byte is about to be overwritten.
            _ if covered && within_array => {
                vec![0; super::write::chunk_bytes(inner_shape, element)?]
            }
            _ => self.fill_value_chunk(inner_shape)?,
        };
        let item = element.size;
        match update {
            InnerUpdate::Part(parts) => {
                let lo = vec![0; parts.len()];
                for_each_run(
                    parts,
                    &lo,
                    inner_shape,
                    values_extents,
                    item,
                    |to, from, len| self.copy_values(&mut bytes, to, from, len),
                )?;
            }
            InnerUpdate::Points(points) => {
                let strides = c_strides(inner_shape, item);
                for (coords, position) in points {
                    let to: usize = coords
                        .iter()
                        .zip(&strides)
                        .map(|(&c, &stride)| c as usize * stride)
                        .sum();
                    self.copy_values(&mut bytes, to, *position as usize * item, item)?;
                }
            }
        }
        if !self.options.write_empty_chunks && all_fill(&bytes, fill, element) {
            return Ok(None);
        }
        let encoded = self.grid.guarded_write(shard, || {
            Ok(codecs.inner.encode(
                ArrayBytes::new_flen(Cow::Borrowed(&bytes[..])),
                &shape,
                array.data_type(),
                array.fill_value(),
                options,
            )?)
        })?;
        Ok(Some(encoded.into_owned()))
    }

    /// Reads a shard and decodes its index (an absent shard has no inner chunks).
    fn read_shard(
        &self,
        codecs: &ShardCodecs,
        shard: &[u64],
        num_inner: usize,
        options: &CodecOptions,
    ) -> Result<Shard> {
        let array = &self.grid.array.array;
        let key = array.chunk_key(shard);
        let Some(bytes) = self
            .grid
            .guarded(shard, || Ok(array.storage().get(&key)?))?
        else {
            return Ok(Shard {
                bytes: None,
                entries: vec![None; num_inner],
            });
        };
        let corrupt = |why: &str| {
            Error::new(
                ZCF_STATUS_DECODE,
                format!(
                    "cannot read chunk '{}' of the Zarr array at '{}': the shard is corrupt ({why})",
                    key.as_str(),
                    self.grid.array.path
                ),
            )
        };
        let shape = index_shape(&self.inner_grid(codecs))?;
        let index_len = index_len(codecs, &shape)?;
        if bytes.len() < index_len {
            return Err(corrupt("shorter than its index"));
        }
        let index_bytes = if codecs.index_at_start {
            &bytes[..index_len]
        } else {
            &bytes[bytes.len() - index_len..]
        };
        let index = self.grid.guarded(shard, || {
            Ok(codecs
                .index
                .decode(
                    Cow::Borrowed(index_bytes),
                    &shape,
                    &zarrs::array::data_type::uint64(),
                    &FillValue::from(u64::MAX),
                    options,
                )?
                .into_fixed()?
                .into_owned())
        })?;
        let entries = index
            .chunks_exact(16)
            .map(|entry| {
                let offset = u64::from_ne_bytes(entry[..8].try_into().expect("8 bytes"));
                let len = u64::from_ne_bytes(entry[8..].try_into().expect("8 bytes"));
                if offset == u64::MAX && len == u64::MAX {
                    return Ok(None);
                }
                let start = usize::try_from(offset).map_err(|_| corrupt("an offset overflows"))?;
                let end = usize::try_from(len)
                    .ok()
                    .and_then(|len| start.checked_add(len))
                    .filter(|&end| end <= bytes.len())
                    .ok_or_else(|| corrupt("an inner chunk lies outside the shard"))?;
                Ok(Some((start, end)))
            })
            .collect::<Result<Vec<_>>>()?;
        if entries.len() != num_inner {
            return Err(corrupt("its index has the wrong size"));
        }
        Ok(Shard {
            bytes: Some(bytes),
            entries,
        })
    }

    /// Concatenates the inner chunks in C order behind (or after) a fresh index.
    fn assemble(
        &self,
        codecs: &ShardCodecs,
        grid: &[u64],
        entries: &[Option<Cow<'_, [u8]>>],
        shard: &[u64],
    ) -> Result<Vec<u8>> {
        let num_inner = grid.iter().product::<u64>() as usize;
        let shape = index_shape(grid)?;
        let index_len = index_len(codecs, &shape)?;
        let data_len: usize = entries.iter().flatten().map(|bytes| bytes.len()).sum();
        let mut offset = if codecs.index_at_start { index_len } else { 0 } as u64;
        let mut index = Vec::with_capacity(num_inner * 16);
        for entry in entries {
            let (start, len) = match entry {
                Some(bytes) => {
                    let start = offset;
                    offset += bytes.len() as u64;
                    (start, bytes.len() as u64)
                }
                None => (u64::MAX, u64::MAX),
            };
            index.extend_from_slice(&start.to_ne_bytes());
            index.extend_from_slice(&len.to_ne_bytes());
        }
        let encoded_index = self.grid.guarded_write(shard, || {
            Ok(codecs.index.encode(
                ArrayBytes::new_flen(Cow::Owned(index)),
                &shape,
                &zarrs::array::data_type::uint64(),
                &FillValue::from(u64::MAX),
                &CodecOptions::default().with_concurrent_target(1),
            )?)
        })?;
        if encoded_index.len() != index_len {
            return Err(Error::internal(
                "a shard index encoded to an unexpected size",
            ));
        }
        let mut assembled = Vec::with_capacity(index_len + data_len);
        if codecs.index_at_start {
            assembled.extend_from_slice(&encoded_index);
        }
        for bytes in entries.iter().flatten() {
            assembled.extend_from_slice(bytes);
        }
        if !codecs.index_at_start {
            assembled.extend_from_slice(&encoded_index);
        }
        Ok(assembled)
    }
}

/// The shape of a shard index: the inner chunk grid, then (offset, length).
fn index_shape(grid: &[u64]) -> Result<Vec<NonZeroU64>> {
    non_zero(&[grid, &[2]].concat())
}

/// The encoded size of a shard index, which the index codecs fix (bytes, crc32c).
fn index_len(codecs: &ShardCodecs, shape: &[NonZeroU64]) -> Result<usize> {
    use zarrs::array::BytesRepresentation;
    match codecs
        .index
        .encoded_representation(
            shape,
            &zarrs::array::data_type::uint64(),
            &FillValue::from(u64::MAX),
        )
        .map_err(Error::internal)?
    {
        BytesRepresentation::FixedSize(len) => usize::try_from(len).map_err(Error::internal),
        _ => Err(Error::unsupported(
            "the shard index codecs do not give the index a fixed size",
        )),
    }
}

impl Shard {
    fn entry(&self, inner: usize) -> Option<&[u8]> {
        let (start, end) = self.entries[inner]?;
        self.bytes.as_ref().map(|bytes| &bytes[start..end])
    }
}

fn non_zero(shape: &[u64]) -> Result<Vec<NonZeroU64>> {
    shape
        .iter()
        .map(|&len| {
            NonZeroU64::new(len).ok_or_else(|| Error::internal("an empty inner chunk shape"))
        })
        .collect()
}

/// The C-order position of `index` in a grid of `grid` cells.
fn linear(index: &[u64], grid: &[u64]) -> usize {
    index
        .iter()
        .zip(grid)
        .fold(0u64, |acc, (&i, &n)| acc * n + i) as usize
}

/// The grid index of C-order position `position`, in cell units scaled to elements by
/// the caller.
fn unravel(position: usize, grid: &[u64]) -> Vec<u64> {
    let mut rest = position as u64;
    let mut index = vec![0; grid.len()];
    for axis in (0..grid.len()).rev() {
        index[axis] = rest % grid[axis];
        rest /= grid[axis];
    }
    index
}
