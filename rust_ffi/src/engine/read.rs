//! The read side: fills the caller's buffer with the elements a selection picks.
//!
//! A chunk whose selection is a box that lands as a box in the output decodes straight
//! into the output; any other chunk decodes the bounding box of its selection once (or
//! the whole chunk, when that is cheaper) and scatters.

use rayon::prelude::*;
use unsafe_cell_slice::UnsafeCellSlice;
use zarrs::array::{ArrayBytes, ArrayBytesFixedDisjointView, ArraySubset, CodecOptions};

use super::copy::{c_strides, for_each_run, is_contiguous_box};
use super::{
    Grid, base_codec_options, check_buffer_len, codec_options, for_each_chunk_part,
    validate_checksums,
};
use crate::array::{ChunkAccess, OpenArray};
use crate::error::{Error, Result};
use crate::plan::{
    ChunkProjection, ChunkSpan, ChunkTask, DimChunkMap, DimPart, DimSelection, Mode, PointGroup,
    Selection, chunk_task, group_points, map_dim,
};
use crate::pool;

/// Reads `selection` of `array` into `out`, a C-ordered buffer of the selection's output
/// shape and the array's element type, in native byte order.
pub fn read_into(array: &OpenArray, selection: &Selection<'_>, out: &mut [u8]) -> Result<()> {
    let grid = Grid::new(array)?;
    let shape = array.shape();
    let out_shape = selection.output_shape(shape)?;
    check_buffer_len(&out_shape, grid.element.size, out.len(), "output")?;
    match selection.mode {
        Mode::Orthogonal => {
            let maps = selection
                .dims
                .iter()
                .enumerate()
                .map(|(axis, dim)| map_dim(dim, shape[axis], grid.chunk_shape[axis], axis))
                .collect::<Result<Vec<_>>>()?;
            let reader = ChunkReader::new(grid, out);
            let one_chunk = maps.iter().all(|map| map.spans.len() == 1);
            if one_chunk && runs_on_caller(array) {
                let spans: Vec<&ChunkSpan> = maps.iter().map(|map| &map.spans[0]).collect();
                let out_extents: Vec<u64> = maps.iter().map(|map| map.out_len).collect();
                let options = base_codec_options()?.with_concurrent_target(1);
                return reader.read_chunk_part(&spans, &out_extents, &options);
            }
            pool::current()?.install(|| reader.read_orthogonal(&maps))
        }
        Mode::Pointwise => {
            let dims: Vec<&[i64]> = selection
                .dims
                .iter()
                .map(|dim| match dim {
                    DimSelection::Indices(indices) => *indices,
                    _ => unreachable!("output_shape accepts only index arrays in pointwise mode"),
                })
                .collect();
            let groups = group_points(&dims, shape, grid.chunk_shape)?;
            let reader = ChunkReader::new(grid, out);
            pool::current()?.install(|| reader.read_points(&groups))
        }
    }
}

/// Reads chunk projections computed by the caller (zarr-python's indexers) into `out`, a
/// C-ordered buffer of `out_shape`. When `missing` is given, it receives 1 for each chunk
/// absent from the store (read as the fill value) and 0 otherwise.
///
/// The output regions of different chunk projections must not overlap.
pub fn read_chunks_into(
    array: &OpenArray,
    mode: Mode,
    projections: &[ChunkProjection<'_>],
    out_shape: &[u64],
    out: &mut [u8],
    missing: Option<&mut [u8]>,
) -> Result<()> {
    let grid = Grid::new(array)?;
    check_buffer_len(out_shape, grid.element.size, out.len(), "output")?;
    if let Some(missing) = &missing
        && missing.len() != projections.len()
    {
        return Err(Error::buffer_mismatch(format!(
            "the missing-chunk flags have room for {} chunks, not {}",
            missing.len(),
            projections.len()
        )));
    }
    let tasks = projections
        .iter()
        .map(|projection| chunk_task(projection, mode, array.shape(), grid.chunk_shape, out_shape))
        .collect::<Result<Vec<_>>>()?;
    let reader = ChunkReader::new(grid, out);
    let missing = missing.map(UnsafeCellSlice::new);
    let read_task = |index: usize, task: &ChunkTask, options: &CodecOptions| {
        if let Some(missing) = missing {
            let chunk = match task {
                ChunkTask::Orthogonal { spans, .. } => spans.iter().map(|s| s.chunk).collect(),
                ChunkTask::Points(group) => group.chunk.clone(),
            };
            let absent = reader.chunk_is_missing(&chunk)?;
            // SAFETY: each task writes only its own flag.
            unsafe { *missing.index_mut(index) = u8::from(absent) };
        }
        match task {
            ChunkTask::Orthogonal { spans, out_extents } => {
                let spans: Vec<&ChunkSpan> = spans.iter().collect();
                reader.read_chunk_part(&spans, out_extents, options)
            }
            ChunkTask::Points(group) => reader.read_point_group(group, options),
        }
    };
    if let [task] = tasks.as_slice()
        && runs_on_caller(array)
    {
        return read_task(0, task, &base_codec_options()?.with_concurrent_target(1));
    }
    pool::current()?.install(|| {
        let options = codec_options(tasks.len());
        tasks
            .par_iter()
            .enumerate()
            .try_for_each(|(index, task)| read_task(index, task, &options))
    })
}

/// Whether a read of one chunk of `array` runs on the calling thread: it takes no
/// longer than handing it to a worker and back (two context switches), unless the
/// chunk is a shard whose inner chunks are spread over the workers.
fn runs_on_caller(array: &OpenArray) -> bool {
    array.access != ChunkAccess::InnerChunks
}

/// Shared state of one read: the array and the output every chunk task writes into.
pub(super) struct ChunkReader<'a> {
    pub(super) grid: Grid<'a>,
    out: UnsafeCellSlice<'a, u8>,
}

impl<'a> ChunkReader<'a> {
    fn new(grid: Grid<'a>, out: &'a mut [u8]) -> Self {
        Self {
            grid,
            out: UnsafeCellSlice::new(out),
        }
    }

    fn read_orthogonal(&self, maps: &[DimChunkMap]) -> Result<()> {
        let out_extents: Vec<u64> = maps.iter().map(|map| map.out_len).collect();
        let options = codec_options(super::chunk_part_count(maps)?);
        for_each_chunk_part(maps, |spans| {
            self.read_chunk_part(spans, &out_extents, &options)
        })
    }

    fn read_chunk_part(
        &self,
        spans: &[&ChunkSpan],
        out_extents: &[u64],
        options: &CodecOptions,
    ) -> Result<()> {
        let chunk: Vec<u64> = spans.iter().map(|span| span.chunk).collect();
        let lens: Vec<u64> = spans.iter().map(|span| span.part.count()).collect();
        let parts: Vec<&DimPart> = spans.iter().map(|span| &span.part).collect();
        let runs: Option<Vec<(u64, u64)>> = spans.iter().map(|span| span.part.as_run()).collect();
        let whole_chunk = lens == self.grid.extent(&chunk);
        // Decoding straight into the output pays off only when the chunk's part of the
        // output is one contiguous run: zarrs copies into a strided region element row by
        // element row through a slow generic iterator, so other parts are scattered by
        // `scatter` instead.
        let direct = runs.filter(|_| is_contiguous_box(&lens, out_extents));
        if self.access() == ChunkAccess::InnerChunks
            && !(whole_chunk && direct.is_some() && self.inner_chunks_are_runs())
        {
            return self.read_shard_part(&chunk, &parts, out_extents, options);
        }
        let partial = !whole_chunk && self.reads_part(&parts);
        if partial && self.access() == ChunkAccess::ByteRanges {
            self.check_plain_chunk_size(&chunk)?;
        }
        if let Some(runs) = direct.filter(|_| whole_chunk || partial) {
            let origin = self.grid.origin(&chunk);
            let array_start = runs.iter().zip(&origin).map(|(run, o)| o + run.0).collect();
            let out_start = runs.iter().map(|run| run.1).collect();
            let array_box = ArraySubset::new_with_start_shape(array_start, lens.clone())
                .map_err(Error::internal)?;
            let out_box =
                ArraySubset::new_with_start_shape(out_start, lens).map_err(Error::internal)?;
            // SAFETY: every output position along every dimension belongs to exactly one
            // span, so the output boxes of different chunk tasks never overlap.
            let mut view = unsafe {
                ArrayBytesFixedDisjointView::new(
                    self.out,
                    self.grid.element.size,
                    out_extents,
                    out_box,
                )
            }
            .map_err(Error::internal)?;
            return self.grid.guarded(&chunk, || {
                self.grid.array.array.retrieve_array_subset_into_opt(
                    &array_box,
                    (&mut view).into(),
                    options,
                )
            });
        }
        if partial {
            // Decode only the bounding box of the part.
            let bounds: Vec<(u64, u64)> = parts.iter().map(|part| part.bounds()).collect();
            let origin = self.grid.origin(&chunk);
            let ranges: Vec<_> = bounds
                .iter()
                .zip(&origin)
                .map(|(&(lo, hi), o)| o + lo..o + hi)
                .collect();
            let decoded =
                self.decode_box(&chunk, &ArraySubset::new_with_ranges(&ranges), options)?;
            let lo: Vec<u64> = bounds.iter().map(|b| b.0).collect();
            let box_shape: Vec<u64> = bounds.iter().map(|b| b.1 - b.0).collect();
            return self.scatter(&decoded, &box_shape, &lo, &parts, out_extents);
        }
        let decoded = self.decode_chunk(&chunk, options)?;
        let lo = vec![0; chunk.len()];
        self.scatter(&decoded, self.grid.chunk_shape, &lo, &parts, out_extents)
    }

    /// How this read gets at parts of chunks: as the array's codecs suggest, except that
    /// chunks guarded by checksums are decoded whole while checksums are validated
    /// (zarrs' partial decoders skip the check).
    fn access(&self) -> ChunkAccess {
        let array = self.grid.array;
        if array.checksummed_chunks && validate_checksums() {
            ChunkAccess::Whole
        } else {
            array.access
        }
    }

    /// Whether to read just a part of a chunk rather than decode all of it: always for
    /// shards (only the inner chunks touched are read), never for compressed chunks, and
    /// for plain bytes while the part is a few byte ranges (each range costs a read).
    fn reads_part(&self, parts: &[&DimPart]) -> bool {
        match self.access() {
            ChunkAccess::InnerChunks => true,
            ChunkAccess::Whole => false,
            ChunkAccess::ByteRanges => {
                byte_runs(parts, self.grid.chunk_shape) <= self.max_byte_ranges()
            }
        }
    }

    /// Above this many byte ranges, one read of the whole chunk is cheaper (a range
    /// costs a system call; copying 8 KiB costs about as much).
    fn max_byte_ranges(&self) -> u64 {
        let chunk_bytes =
            self.grid.chunk_shape.iter().product::<u64>() * self.grid.element.size as u64;
        (chunk_bytes / 8192).max(16)
    }

    fn read_points(&self, groups: &[PointGroup]) -> Result<()> {
        let options = codec_options(groups.len());
        groups
            .par_iter()
            .try_for_each(|group| self.read_point_group(group, &options))
    }

    /// Reads the points of one chunk: only the points (byte ranges, or the inner chunks
    /// holding them) where that is cheaper, otherwise by decoding the whole chunk.
    fn read_point_group(&self, group: &PointGroup, options: &CodecOptions) -> Result<()> {
        let array = self.grid.array;
        let ndim = array.shape().len();
        let item = self.grid.element.size;
        let count = group.outs.len();
        if count == 0 {
            return Ok(());
        }
        let points = group.coords.chunks_exact(ndim.max(1)).take(count);
        match self.access() {
            ChunkAccess::InnerChunks if ndim > 0 => {
                return self.read_points_by_inner_chunk(group, options);
            }
            ChunkAccess::ByteRanges if ndim > 0 && count as u64 <= self.max_byte_ranges() => {
                self.check_plain_chunk_size(&group.chunk)?;
                let indexer: Vec<Vec<u64>> = points.map(<[u64]>::to_vec).collect();
                let decoded = self.grid.guarded(&group.chunk, || {
                    let decoder = array.array.partial_decoder_opt(&group.chunk, options)?;
                    Ok(decoder.partial_decode(&indexer, options)?.into_owned())
                })?;
                let decoded = decoded.into_fixed().map_err(Error::internal)?;
                if decoded.len() != count * item {
                    return Err(Error::internal("a partial decode returned the wrong size"));
                }
                for (value, &out) in decoded.chunks_exact(item).zip(&group.outs) {
                    self.write(out as usize * item, value)?;
                }
                return Ok(());
            }
            _ => {}
        }
        let decoded = self.decode_chunk(&group.chunk, options)?;
        let strides = c_strides(self.grid.chunk_shape, item);
        for (coords, &out) in points.zip(&group.outs) {
            let src: usize = coords
                .iter()
                .zip(&strides)
                .map(|(&c, &stride)| c as usize * stride)
                .sum();
            let value = decoded
                .get(src..src + item)
                .ok_or_else(|| Error::internal("a decoded chunk is shorter than its shape"))?;
            self.write(out as usize * item, value)?;
        }
        Ok(())
    }

    /// Refuses a chunk of plain bytes whose stored size is not what its shape and data
    /// type give, before only part of it is read: the byte ranges of a truncated or
    /// foreign file would otherwise read as values. (Whole chunks are checked by the
    /// decoder.)
    fn check_plain_chunk_size(&self, chunk: &[u64]) -> Result<()> {
        let size = self.stored_size(chunk)?;
        let expected =
            self.grid.chunk_shape.iter().product::<u64>() * self.grid.element.size as u64;
        match size {
            Some(size) if size != expected => Err(Error::new(
                crate::error::ZCF_STATUS_DECODE,
                format!(
                    "cannot read chunk '{}' of the Zarr array at '{}': the chunk is corrupt (it \
                     holds {size} bytes, but its shape and data type need {expected})",
                    self.grid.array.array.chunk_key(chunk).as_str(),
                    self.grid.array.path
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Whether the chunk is absent from the store (and so reads as the fill value).
    fn chunk_is_missing(&self, chunk: &[u64]) -> Result<bool> {
        Ok(self.stored_size(chunk)?.is_none())
    }

    /// The size of the chunk's stored value, `None` when it is absent.
    fn stored_size(&self, chunk: &[u64]) -> Result<Option<u64>> {
        use zarrs::storage::ReadableStorageTraits;
        let array = self.grid.array;
        let key = array.array.chunk_key(chunk);
        array
            .array
            .storage()
            .size_key(&key)
            .map_err(|err| Error::from_chunk_read(&array.path, key.as_str(), err.into()))
    }

    /// Decodes a box of the array that lies within the chunk `chunk`.
    fn decode_box(
        &self,
        chunk: &[u64],
        array_box: &ArraySubset,
        options: &CodecOptions,
    ) -> Result<Vec<u8>> {
        let bytes = self.grid.guarded(chunk, || {
            self.grid
                .array
                .array
                .retrieve_array_subset_opt::<ArrayBytes<'static>>(array_box, options)
        })?;
        Ok(bytes.into_fixed().map_err(Error::internal)?.into_owned())
    }

    /// Decodes a whole chunk, in its full shape (edge chunks included), checksums
    /// verified when enabled.
    fn decode_chunk(&self, chunk: &[u64], options: &CodecOptions) -> Result<Vec<u8>> {
        let bytes = self.grid.guarded(chunk, || {
            self.grid
                .array
                .array
                .retrieve_chunk_opt::<ArrayBytes<'static>>(chunk, options)
        })?;
        Ok(bytes.into_fixed().map_err(Error::internal)?.into_owned())
    }

    /// Copies the selected elements of a decoded box (starting at in-chunk `lo`) to their
    /// output positions.
    pub(super) fn scatter(
        &self,
        src: &[u8],
        box_shape: &[u64],
        lo: &[u64],
        parts: &[&DimPart],
        out_extents: &[u64],
    ) -> Result<()> {
        let item = self.grid.element.size;
        for_each_run(parts, lo, box_shape, out_extents, item, |from, to, len| {
            let bytes = src
                .get(from..from + len)
                .ok_or_else(|| Error::internal("a decoded box is smaller than its shape"))?;
            self.write(to, bytes)
        })
    }

    /// Copies `bytes` to `offset` in the output, refusing (rather than corrupting memory)
    /// if that would reach past the end.
    pub(super) fn write(&self, offset: usize, bytes: &[u8]) -> Result<()> {
        // SAFETY: chunk tasks write disjoint output positions (see `read_chunk_part` and
        // `group_points`: every output element belongs to exactly one task).
        let target = unsafe { self.out.get_mut(offset..offset + bytes.len()) }
            .ok_or_else(|| Error::internal("write past the end of the output buffer"))?;
        target.copy_from_slice(bytes);
        Ok(())
    }
}

/// How many contiguous byte runs of a chunk (C order, extents `chunk_shape`) a part
/// covers, at most: trailing dimensions selected whole merge into one run.
fn byte_runs(parts: &[&DimPart], chunk_shape: &[u64]) -> u64 {
    let mut runs = 1u64;
    let mut merging = true;
    for (part, &extent) in parts.iter().zip(chunk_shape).rev() {
        let is_run = part.as_run().is_some();
        if merging && is_run && part.count() == extent {
            continue;
        }
        if !(merging && is_run) {
            runs = runs.saturating_mul(part.count());
        }
        merging = false;
    }
    runs
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use zarrs::array::{ArrayBuilder, data_type};
    use zarrs::filesystem::FilesystemStore;

    use super::*;
    use crate::array::ChunkAccess;
    use crate::error::{ZCF_STATUS_BUFFER_MISMATCH, ZCF_STATUS_OUT_OF_BOUNDS};
    use crate::plan::DimSelection;

    const SHAPE: [u64; 3] = [9, 10, 11];

    /// A 9x10x11 int32 array whose element at (i, j, k) is i*110 + j*11 + k, with edge
    /// chunks on every axis; optionally sharded.
    fn test_array(dir: &std::path::Path, subchunks: Option<Vec<u64>>) -> OpenArray {
        let store = Arc::new(FilesystemStore::new(dir).unwrap());
        let array = ArrayBuilder::new(SHAPE.to_vec(), [4, 6, 5], data_type::int32(), 0i32)
            .subchunk_shape(subchunks)
            .build(store, "/")
            .unwrap();
        array.store_metadata().unwrap();
        let values: Vec<i32> = (0..990).collect();
        array
            .store_array_subset(&array.subset_all(), values)
            .unwrap();
        OpenArray::open(dir.to_str().unwrap(), crate::array::Mode::ReadOnly).unwrap()
    }

    fn read(array: &OpenArray, selection: &Selection<'_>, len: usize) -> Result<Vec<i32>> {
        let mut out = vec![-1i32; len];
        // SAFETY: i32 has no invalid bit patterns; the view covers exactly `out`.
        let bytes =
            unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<u8>(), len * 4) };
        read_into(array, selection, bytes)?;
        Ok(out)
    }

    fn value(i: u64, j: u64, k: u64) -> i32 {
        (i * 110 + j * 11 + k) as i32
    }

    fn orthogonal(dims: Vec<DimSelection<'_>>) -> Selection<'_> {
        Selection {
            mode: Mode::Orthogonal,
            dims,
        }
    }

    #[test]
    fn orthogonal_reads_match_a_direct_computation() {
        for subchunks in [None, Some(vec![2, 3, 5])] {
            let dir = tempfile::tempdir().unwrap();
            let array = test_array(dir.path(), subchunks);
            let rows = [8i64, 0, -1, 3, 3];
            let selection = orthogonal(vec![
                DimSelection::Indices(&rows),
                DimSelection::Slice {
                    start: 9,
                    stop: -1,
                    step: -4,
                },
                DimSelection::Index(-2),
            ]);
            let got = read(&array, &selection, 5 * 3).unwrap();
            let mut expected = Vec::new();
            for i in [8, 0, 8, 3, 3] {
                for j in [9, 5, 1] {
                    expected.push(value(i, j, 9));
                }
            }
            assert_eq!(got, expected);

            let whole = read(&array, &Selection::all(&SHAPE), 990).unwrap();
            assert_eq!(whole, (0..990).collect::<Vec<i32>>());
        }
    }

    #[test]
    fn boxes_read_every_element_inside_them() {
        let dir = tempfile::tempdir().unwrap();
        let array = test_array(dir.path(), Some(vec![2, 3, 5]));
        let selection = Selection::from_box(&[3, 5, 1], &[6, 2, 10], &SHAPE).unwrap();
        let got = read(&array, &selection, 6 * 2 * 10).unwrap();
        let mut expected = Vec::new();
        for i in 3..9 {
            for j in 5..7 {
                for k in 1..11 {
                    expected.push(value(i, j, k));
                }
            }
        }
        assert_eq!(got, expected);
    }

    #[test]
    fn pointwise_reads_follow_the_point_order() {
        let dir = tempfile::tempdir().unwrap();
        let array = test_array(dir.path(), Some(vec![2, 3, 5]));
        let (i, j, k) = ([8i64, 0, 4, 0], [9i64, 0, -1, 0], [10i64, 0, 5, 0]);
        let selection = Selection {
            mode: Mode::Pointwise,
            dims: vec![
                DimSelection::Indices(&i),
                DimSelection::Indices(&j),
                DimSelection::Indices(&k),
            ],
        };
        let got = read(&array, &selection, 4).unwrap();
        assert_eq!(got, [value(8, 9, 10), 0, value(4, 9, 5), 0]);
    }

    #[test]
    fn rejected_reads_write_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let array = test_array(dir.path(), None);
        let rows = [0i64, 1, 9];
        let selection = orthogonal(vec![
            DimSelection::Indices(&rows),
            DimSelection::Index(0),
            DimSelection::Index(0),
        ]);
        let mut out = vec![0xAAu8; 12];
        let err = read_into(&array, &selection, &mut out).unwrap_err();
        assert_eq!(err.status, ZCF_STATUS_OUT_OF_BOUNDS);
        assert!(out.iter().all(|&b| b == 0xAA));

        let mut short = vec![0xAAu8; 11];
        let err = read_into(&array, &Selection::all(&SHAPE), &mut short).unwrap_err();
        assert_eq!(err.status, ZCF_STATUS_BUFFER_MISMATCH);
        assert!(short.iter().all(|&b| b == 0xAA));
    }

    #[test]
    fn points_in_absent_inner_chunks_read_the_fill_value() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(FilesystemStore::new(dir.path()).unwrap());
        let array = ArrayBuilder::new(vec![8, 8], [8, 8], data_type::int32(), -7i32)
            .subchunk_shape(Some(vec![2, 2]))
            .build(store, "/")
            .unwrap();
        array.store_metadata().unwrap();
        // Only the inner chunk at (0, 0) is stored; the shard exists.
        array
            .store_array_subset(
                &ArraySubset::new_with_ranges(&[0..2, 0..2]),
                vec![1i32, 2, 3, 4],
            )
            .unwrap();
        let array =
            OpenArray::open(dir.path().to_str().unwrap(), crate::array::Mode::ReadOnly).unwrap();
        let (rows, cols) = ([1i64, 5, 0, 7, 1], [1i64, 5, 1, 0, 0]);
        let selection = Selection {
            mode: Mode::Pointwise,
            dims: vec![DimSelection::Indices(&rows), DimSelection::Indices(&cols)],
        };
        assert_eq!(read(&array, &selection, 5).unwrap(), [4, -7, 2, -7, 3]);
    }

    #[test]
    fn every_access_strategy_reads_the_same_values() {
        // Plain bytes (byte ranges), compressed (whole chunks) and sharded (inner chunks).
        let layouts: [(Option<Vec<u64>>, bool); 3] =
            [(None, false), (None, true), (Some(vec![2, 3, 5]), false)];
        for (subchunks, compressed) in layouts {
            let dir = tempfile::tempdir().unwrap();
            let store = Arc::new(FilesystemStore::new(dir.path()).unwrap());
            let mut builder =
                ArrayBuilder::new(SHAPE.to_vec(), [4, 6, 5], data_type::int32(), 0i32);
            builder.subchunk_shape(subchunks.clone());
            if compressed {
                builder.bytes_to_bytes_codecs(vec![Arc::new(zarrs::array::codec::ZstdCodec::new(
                    1, false,
                ))]);
            }
            let written = builder.build(store, "/").unwrap();
            written.store_metadata().unwrap();
            written
                .store_array_subset(&written.subset_all(), (0..990).collect::<Vec<i32>>())
                .unwrap();
            let array = OpenArray::open(dir.path().to_str().unwrap(), crate::array::Mode::ReadOnly)
                .unwrap();
            let expected_access = match (&subchunks, compressed) {
                (Some(_), _) => ChunkAccess::InnerChunks,
                (None, true) => ChunkAccess::Whole,
                (None, false) => ChunkAccess::ByteRanges,
            };
            assert_eq!(array.access, expected_access);

            // A strided box, a point list and a full read.
            let selection = orthogonal(vec![
                DimSelection::Slice {
                    start: 1,
                    stop: 9,
                    step: 3,
                },
                DimSelection::Slice {
                    start: 0,
                    stop: 10,
                    step: 1,
                },
                DimSelection::Slice {
                    start: 2,
                    stop: 9,
                    step: 2,
                },
            ]);
            let got = read(&array, &selection, 3 * 10 * 4).unwrap();
            let mut expected = Vec::new();
            for i in [1, 4, 7] {
                for j in 0..10 {
                    for k in [2, 4, 6, 8] {
                        expected.push(value(i, j, k));
                    }
                }
            }
            assert_eq!(got, expected);
            let (i, j, k) = ([8i64, 0, 4, 8], [9i64, 0, 3, 9], [10i64, 0, 5, 10]);
            let points = Selection {
                mode: Mode::Pointwise,
                dims: vec![
                    DimSelection::Indices(&i),
                    DimSelection::Indices(&j),
                    DimSelection::Indices(&k),
                ],
            };
            let want = [value(8, 9, 10), 0, value(4, 3, 5), value(8, 9, 10)];
            assert_eq!(read(&array, &points, 4).unwrap(), want);
            let whole = read(&array, &Selection::all(&SHAPE), 990).unwrap();
            assert_eq!(whole, (0..990).collect::<Vec<i32>>());
        }
    }

    #[test]
    fn byte_runs_merge_trailing_whole_dimensions() {
        let run = |first, len| DimPart::Progression {
            first,
            step: 1,
            len,
            out_start: 0,
        };
        let strided = DimPart::Progression {
            first: 0,
            step: 2,
            len: 3,
            out_start: 0,
        };
        let chunk = [4, 6, 5];
        // Whole chunk: one run.
        assert_eq!(byte_runs(&[&run(0, 4), &run(0, 6), &run(0, 5)], &chunk), 1);
        // Whole rows of two planes: one run per plane.
        assert_eq!(byte_runs(&[&run(1, 2), &run(2, 3), &run(0, 5)], &chunk), 2);
        // Part rows: one run per row.
        assert_eq!(byte_runs(&[&run(1, 2), &run(2, 3), &run(1, 3)], &chunk), 6);
        // A strided last dimension: one run per element.
        assert_eq!(byte_runs(&[&run(1, 2), &run(2, 3), &strided], &chunk), 18);
    }
}
