//! Reading parts of shards: the shard index once, then only the inner chunks a part
//! touches, each decoded whole on its own worker thread.

use std::sync::Arc;

use rayon::prelude::*;
use zarrs::array::{ArrayPartialDecoderTraits, ArraySubset, CodecOptions};

use super::copy::{c_strides, is_contiguous_box};
use super::read::ChunkReader;
use crate::error::{Error, Result};
use crate::plan::{DimPart, PointGroup};

impl ChunkReader<'_> {
    /// Reads part of a shard inner chunk by inner chunk: the shard index once, then every
    /// inner chunk the part touches decoded whole, in parallel, and its selected
    /// elements copied out. (Decoding a shard into a strided output region through zarrs
    /// copies element rows through a slow generic iterator.)
    pub(super) fn read_shard_part(
        &self,
        chunk: &[u64],
        parts: &[&DimPart],
        out_extents: &[u64],
        options: &CodecOptions,
    ) -> Result<()> {
        let inner = self.inner_chunk_shape()?;
        let splits: Vec<Vec<(u64, DimPart)>> = parts
            .iter()
            .zip(inner)
            .map(|(part, &len)| part.split_by(len))
            .collect();
        let counts: Vec<usize> = splits.iter().map(Vec::len).collect();
        let num_inner = counts.iter().product::<usize>();
        let inner_per_shard = self
            .grid
            .chunk_shape
            .iter()
            .zip(inner)
            .map(|(shard, inner)| shard.div_ceil(*inner) as usize)
            .product::<usize>();
        // One read of the whole shard beats one read per inner chunk once a good share
        // of the inner chunks is needed.
        let decoder = if num_inner * 4 >= inner_per_shard {
            self.in_memory_shard_decoder(chunk, options)?
        } else {
            self.grid.guarded(chunk, || {
                self.grid.array.array.partial_decoder_opt(chunk, options)
            })?
        };
        // The inner chunks are the parallel tasks; each decodes on one thread.
        let inner_options = options.with_concurrent_target(1);
        let lo = vec![0; inner.len()];
        (0..num_inner).into_par_iter().try_for_each(|task| {
            let mut rest = task;
            let mut origin = vec![0; inner.len()];
            let mut inner_parts: Vec<&DimPart> = Vec::with_capacity(inner.len());
            for axis in (0..inner.len()).rev() {
                let (block, part) = &splits[axis][rest % counts[axis]];
                rest /= counts[axis];
                origin[axis] = block * inner[axis];
                inner_parts.push(part);
            }
            inner_parts.reverse();
            let subset = ArraySubset::new_with_start_shape(origin, inner.to_vec())
                .map_err(Error::internal)?;
            let decoded = self
                .grid
                .guarded(chunk, || {
                    Ok(decoder
                        .partial_decode(&subset, &inner_options)?
                        .into_owned())
                })?
                .into_fixed()
                .map_err(Error::internal)?;
            self.scatter(&decoded, inner, &lo, &inner_parts, out_extents)
        })
    }

    /// A partial decoder of a shard read whole into memory.
    fn in_memory_shard_decoder(
        &self,
        chunk: &[u64],
        options: &CodecOptions,
    ) -> Result<Arc<dyn ArrayPartialDecoderTraits>> {
        use zarrs::array::ArrayToBytesCodecTraits;
        use zarrs::storage::ReadableStorageTraits;
        let array = &self.grid.array.array;
        self.grid.guarded(chunk, || {
            let Some(bytes) = array.storage().get(&array.chunk_key(chunk))? else {
                // An absent shard reads as the fill value.
                return array.partial_decoder_opt(chunk, options);
            };
            let input = Arc::new(Vec::<u8>::from(bytes));
            Ok(array.codecs().partial_decoder(
                input,
                &array.chunk_shape(chunk)?,
                array.data_type(),
                array.fill_value(),
                options,
            )?)
        })
    }

    /// Whether every inner chunk of a shard is one contiguous run of the shard (inner
    /// chunks span the shard in all but the first dimension): then zarrs decodes a whole
    /// shard straight into a contiguous output as fast as anything.
    pub(super) fn inner_chunks_are_runs(&self) -> bool {
        self.inner_chunk_shape()
            .is_ok_and(|inner| is_contiguous_box(inner, self.grid.chunk_shape))
    }

    fn inner_chunk_shape(&self) -> Result<&[u64]> {
        self.grid
            .array
            .inner_chunk_shape
            .as_deref()
            .ok_or_else(|| Error::internal("a sharded array without an inner chunk shape"))
    }

    /// Reads the points of one shard: its index once, then per inner chunk holding
    /// points the bounding box of those points. (zarrs' own point-list decode of a
    /// shard fails on inner chunks absent from the shard.)
    pub(super) fn read_points_by_inner_chunk(
        &self,
        group: &PointGroup,
        options: &CodecOptions,
    ) -> Result<()> {
        let ndim = self.grid.array.shape().len();
        let item = self.grid.element.size;
        let inner = self.inner_chunk_shape()?;
        let point = |i: usize| &group.coords[i * ndim..(i + 1) * ndim];
        let inner_chunk =
            |i: usize| -> Vec<u64> { point(i).iter().zip(inner).map(|(c, len)| c / len).collect() };
        let decoder = self.grid.guarded(&group.chunk, || {
            self.grid
                .array
                .array
                .partial_decoder_opt(&group.chunk, options)
        })?;
        let mut order: Vec<usize> = (0..group.outs.len()).collect();
        order.sort_by_cached_key(|&i| inner_chunk(i));
        for run in order.chunk_by(|&a, &b| inner_chunk(a) == inner_chunk(b)) {
            let mut lo = vec![u64::MAX; ndim];
            let mut hi = vec![0u64; ndim];
            for &i in run {
                for (axis, &c) in point(i).iter().enumerate() {
                    lo[axis] = lo[axis].min(c);
                    hi[axis] = hi[axis].max(c + 1);
                }
            }
            let ranges: Vec<_> = lo.iter().zip(&hi).map(|(&l, &h)| l..h).collect();
            let subset = ArraySubset::new_with_ranges(&ranges);
            let decoded = self
                .grid
                .guarded(&group.chunk, || {
                    Ok(decoder.partial_decode(&subset, options)?.into_owned())
                })?
                .into_fixed()
                .map_err(Error::internal)?;
            let box_shape: Vec<u64> = lo.iter().zip(&hi).map(|(l, h)| h - l).collect();
            let strides = c_strides(&box_shape, item);
            for &i in run {
                let src: usize = (0..ndim)
                    .map(|axis| (point(i)[axis] - lo[axis]) as usize * strides[axis])
                    .sum();
                let out = group.outs[i] as usize * item;
                let value = decoded
                    .get(src..src + item)
                    .ok_or_else(|| Error::internal("a partial decode returned too few bytes"))?;
                self.write(out, value)?;
            }
        }
        Ok(())
    }
}
