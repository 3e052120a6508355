//! The write side: stores the caller's values into the chunks a selection touches.
//!
//! Every check that can fail on the caller's input (a handle opened for reading, the
//! plan, index bounds, the values' length, chunks named twice) runs before the first
//! chunk is read or stored, so a rejected write changes nothing. Chunks are then written
//! in parallel on the library's pool. A chunk whose every element is written is encoded
//! from the caller's values alone: straight from their memory when its part of them is
//! one contiguous run, else gathered once. Any other chunk is read (or starts as the fill
//! value when absent), updated and re-encoded. The store replaces each chunk atomically.
//!
//! As zarr-python does, a chunk whose elements all equal the fill value is not stored
//! (and a stored one is deleted) unless `write_empty_chunks` is set.

use std::borrow::Cow;

use rayon::prelude::*;
use zarrs::array::{ArrayBytes, ArrayToBytesCodecTraits, CodecOptions};
use zarrs::storage::WritableStorageTraits;

use super::copy::{c_strides, for_each_run, is_contiguous_box};
use super::{Grid, base_codec_options, check_buffer_len, codec_options, for_each_chunk_part};
use crate::array::{ChunkAccess, OpenArray};
use crate::data_type::ElementType;
use crate::error::{Error, Result};
use crate::plan::{
    ChunkProjection, ChunkSpan, ChunkTask, DimChunkMap, DimPart, DimSelection, Mode, PointGroup,
    Selection, chunk_task, group_points, map_dim,
};
use crate::pool;

/// How a write treats chunks that end up holding only the fill value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Store such chunks (and inner chunks of shards) anyway, instead of deleting them.
    pub write_empty_chunks: bool,
}

/// The caller's values: one per selected element in C order, or one for every element.
#[derive(Clone, Copy)]
enum Values<'a> {
    Each(&'a [u8]),
    One(&'a [u8]),
}

impl<'a> Values<'a> {
    /// Interprets `bytes` as the values of a selection of `shape`: one element per
    /// selected position, or a single element written everywhere.
    fn of(bytes: &'a [u8], shape: &[u64], item: usize) -> Result<Self> {
        match check_buffer_len(shape, item, bytes.len(), "values") {
            Ok(()) => Ok(Self::Each(bytes)),
            Err(_) if bytes.len() == item => Ok(Self::One(bytes)),
            Err(err) => Err(err),
        }
    }
}

/// Writes `values` (C order, native byte order, the selection's output shape; or one
/// element for every selected position) into `selection` of `array`.
pub fn write_from(
    array: &OpenArray,
    selection: &Selection<'_>,
    values: &[u8],
    options: WriteOptions,
) -> Result<()> {
    array.check_writable()?;
    let grid = Grid::new(array)?;
    let shape = array.shape();
    let values_shape = selection.output_shape(shape)?;
    let values = Values::of(values, &values_shape, grid.element.size)?;
    let writer = ChunkWriter {
        grid,
        values,
        options,
    };
    match selection.mode {
        Mode::Orthogonal => {
            let maps = selection
                .dims
                .iter()
                .enumerate()
                .map(|(axis, dim)| map_dim(dim, shape[axis], grid.chunk_shape[axis], axis))
                .collect::<Result<Vec<_>>>()?;
            let extents: Vec<u64> = maps.iter().map(|map| map.out_len).collect();
            if maps.iter().all(|map| map.spans.len() == 1) && runs_on_caller(array) {
                let spans: Vec<&ChunkSpan> = maps.iter().map(|map| &map.spans[0]).collect();
                let options = base_codec_options()?.with_concurrent_target(1);
                return writer.write_chunk_part(&spans, &extents, &options);
            }
            pool::current()?.install(|| writer.write_orthogonal(&maps, &extents))
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
            pool::current()?.install(|| {
                let options = codec_options(groups.len());
                groups
                    .par_iter()
                    .try_for_each(|group| writer.write_points(group, &options))
            })
        }
    }
}

/// Writes chunk projections computed by the caller (zarr-python's indexers): `values` is a
/// C-ordered buffer of `values_shape` (or one element for every position), and each
/// projection says which part of it goes to which part of a chunk. No chunk may appear
/// twice.
pub fn write_chunks_from(
    array: &OpenArray,
    mode: Mode,
    projections: &[ChunkProjection<'_>],
    values_shape: &[u64],
    values: &[u8],
    options: WriteOptions,
) -> Result<()> {
    array.check_writable()?;
    let grid = Grid::new(array)?;
    let values = Values::of(values, values_shape, grid.element.size)?;
    let tasks = projections
        .iter()
        .map(|projection| {
            chunk_task(
                projection,
                mode,
                array.shape(),
                grid.chunk_shape,
                values_shape,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let mut chunks: Vec<&[u64]> = projections.iter().map(|p| p.chunk).collect();
    chunks.sort_unstable();
    if let Some(pair) = chunks.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(Error::invalid_selection(format!(
            "chunk {:?} is written twice in one call; its second part would undo the first",
            pair[0]
        )));
    }
    let writer = ChunkWriter {
        grid,
        values,
        options,
    };
    let write_task = |task: &ChunkTask, options: &CodecOptions| match task {
        ChunkTask::Orthogonal { spans, out_extents } => {
            let spans: Vec<&ChunkSpan> = spans.iter().collect();
            writer.write_chunk_part(&spans, out_extents, options)
        }
        ChunkTask::Points(group) => writer.write_points(group, options),
    };
    if let [task] = tasks.as_slice()
        && runs_on_caller(array)
    {
        return write_task(task, &base_codec_options()?.with_concurrent_target(1));
    }
    pool::current()?.install(|| {
        let options = codec_options(tasks.len());
        tasks
            .par_iter()
            .try_for_each(|task| write_task(task, &options))
    })
}

/// Whether a write of one chunk runs on the calling thread (as for reads: unless the
/// chunk is a shard, whose inner chunks are encoded by the workers).
fn runs_on_caller(array: &OpenArray) -> bool {
    array.access != ChunkAccess::InnerChunks
}

/// Shared state of one write.
pub(super) struct ChunkWriter<'a> {
    pub(super) grid: Grid<'a>,
    values: Values<'a>,
    pub(super) options: WriteOptions,
}

impl ChunkWriter<'_> {
    fn write_orthogonal(&self, maps: &[DimChunkMap], extents: &[u64]) -> Result<()> {
        let options = codec_options(super::chunk_part_count(maps)?);
        for_each_chunk_part(maps, |spans| {
            self.write_chunk_part(spans, extents, &options)
        })
    }

    /// Writes the part of the values that `spans` pairs with one chunk.
    fn write_chunk_part(
        &self,
        spans: &[&ChunkSpan],
        values_extents: &[u64],
        options: &CodecOptions,
    ) -> Result<()> {
        let chunk: Vec<u64> = spans.iter().map(|span| span.chunk).collect();
        let parts: Vec<&DimPart> = spans.iter().map(|span| &span.part).collect();
        let extent = self.grid.extent(&chunk);
        let chunk_shape = self.grid.chunk_shape;
        let covered = parts
            .iter()
            .zip(&extent)
            .all(|(part, &len)| part.covers(len));
        let element = self.grid.element;
        if let Values::One(value) = self.values
            && covered
            && !self.options.write_empty_chunks
            && is_fill(value, self.grid.array.fill_value_bytes(), element)
        {
            // The chunk is nothing but fill value (its padding beyond the array too).
            return self.erase_chunk(&chunk);
        }
        if let Some(codecs) = &self.grid.array.shard_codecs {
            return self.write_shard_part(codecs, &chunk, &parts, values_extents, options);
        }
        if !covered {
            let mut bytes = self.read_chunk(&chunk, options)?;
            self.gather(&mut bytes, &parts, values_extents)?;
            return self.store_chunk(&chunk, &bytes, options);
        }
        if let Some(bytes) = self.contiguous_values(&parts, &extent, values_extents) {
            return self.store_chunk(&chunk, bytes, options);
        }
        let mut bytes = if extent == chunk_shape {
            vec![0; chunk_bytes(chunk_shape, element)?]
        } else {
            // An edge chunk: what lies beyond the array holds the fill value.
            self.fill_value_chunk(chunk_shape)?
        };
        self.gather(&mut bytes, &parts, values_extents)?;
        self.store_chunk(&chunk, &bytes, options)
    }

    /// The chunk's values as one slice of the caller's memory, when they are one: a whole
    /// interior chunk whose part of the values is a contiguous box in the same order.
    fn contiguous_values(
        &self,
        parts: &[&DimPart],
        extent: &[u64],
        values_extents: &[u64],
    ) -> Option<&[u8]> {
        let Values::Each(values) = self.values else {
            return None;
        };
        if extent != self.grid.chunk_shape || !is_contiguous_box(extent, values_extents) {
            return None;
        }
        let runs: Vec<(u64, u64)> = parts
            .iter()
            .map(|part| part.as_run())
            .collect::<Option<_>>()?;
        let item = self.grid.element.size;
        let strides = c_strides(values_extents, item);
        let start: usize = runs
            .iter()
            .zip(&strides)
            .map(|(&(_, position), &stride)| position as usize * stride)
            .sum();
        let len = chunk_bytes(extent, self.grid.element).ok()?;
        values.get(start..start + len)
    }

    /// Writes the points of one chunk into it, in order (a point given twice keeps its
    /// last value).
    fn write_points(&self, group: &PointGroup, options: &CodecOptions) -> Result<()> {
        if let Some(codecs) = &self.grid.array.shard_codecs {
            return self.write_shard_points(codecs, group, options);
        }
        let ndim = self.grid.array.shape().len();
        let item = self.grid.element.size;
        let mut bytes = self.read_chunk(&group.chunk, options)?;
        let strides = c_strides(self.grid.chunk_shape, item);
        let points = group
            .coords
            .chunks_exact(ndim.max(1))
            .take(group.outs.len());
        for (coords, &position) in points.zip(&group.outs) {
            let offset: usize = coords
                .iter()
                .zip(&strides)
                .map(|(&c, &stride)| c as usize * stride)
                .sum();
            self.copy_values(&mut bytes, offset, position as usize * item, item)?;
        }
        self.store_chunk(&group.chunk, &bytes, options)
    }

    /// Copies the values the part selects into their places in a whole chunk's bytes.
    fn gather(&self, chunk: &mut [u8], parts: &[&DimPart], values_extents: &[u64]) -> Result<()> {
        let item = self.grid.element.size;
        let lo = vec![0; parts.len()];
        for_each_run(
            parts,
            &lo,
            self.grid.chunk_shape,
            values_extents,
            item,
            |to, from, len| self.copy_values(chunk, to, from, len),
        )
    }

    /// Copies `len` bytes of values from byte `from` of the values (the single value,
    /// repeated, when there is one) to byte `to` of a chunk's bytes.
    pub(super) fn copy_values(
        &self,
        chunk: &mut [u8],
        to: usize,
        from: usize,
        len: usize,
    ) -> Result<()> {
        let target = chunk
            .get_mut(to..to + len)
            .ok_or_else(|| Error::internal("a chunk is smaller than its shape"))?;
        match self.values {
            Values::Each(values) => target.copy_from_slice(
                values
                    .get(from..from + len)
                    .ok_or_else(|| Error::internal("values shorter than checked"))?,
            ),
            Values::One(value) => target
                .chunks_exact_mut(value.len())
                .for_each(|element| element.copy_from_slice(value)),
        }
        Ok(())
    }

    /// The chunk's current elements: decoded (checksums verified when enabled), or the
    /// fill value when it is absent.
    fn read_chunk(&self, chunk: &[u64], options: &CodecOptions) -> Result<Vec<u8>> {
        let bytes = self.grid.guarded(chunk, || {
            self.grid
                .array
                .array
                .retrieve_chunk_opt::<ArrayBytes<'static>>(chunk, options)
        })?;
        Ok(bytes.into_fixed().map_err(Error::internal)?.into_owned())
    }

    /// A chunk (or inner chunk) of `shape` holding the fill value.
    pub(super) fn fill_value_chunk(&self, shape: &[u64]) -> Result<Vec<u8>> {
        let fill = self.grid.array.fill_value_bytes();
        let elements = chunk_bytes(shape, self.grid.element)? / fill.len().max(1);
        Ok(fill.repeat(elements))
    }

    /// Encodes and stores a whole chunk, or deletes it when it holds only the fill value
    /// and empty chunks are not written.
    fn store_chunk(&self, chunk: &[u64], bytes: &[u8], options: &CodecOptions) -> Result<()> {
        let array = self.grid.array;
        if !self.options.write_empty_chunks
            && all_fill(bytes, array.fill_value_bytes(), self.grid.element)
        {
            return self.erase_chunk(chunk);
        }
        let encoded = self.grid.guarded_write(chunk, || {
            let shape = array.array.chunk_shape(chunk)?;
            Ok(array.array.codecs().encode(
                ArrayBytes::new_flen(Cow::Borrowed(bytes)),
                &shape,
                array.array.data_type(),
                array.array.fill_value(),
                options,
            )?)
        })?;
        let key = array.array.chunk_key(chunk);
        let encoded = zarrs::storage::Bytes::from(encoded.into_owned());
        self.grid
            .guarded_write(chunk, || Ok(array.array.storage().set(&key, encoded)?))
    }

    fn erase_chunk(&self, chunk: &[u64]) -> Result<()> {
        let array = &self.grid.array.array;
        let key = array.chunk_key(chunk);
        self.grid
            .guarded_write(chunk, || Ok(array.storage().erase(&key)?))
    }
}

/// The size in bytes of a whole chunk of `shape`.
pub(super) fn chunk_bytes(shape: &[u64], element: ElementType) -> Result<usize> {
    shape
        .iter()
        .try_fold(element.size, |acc, &len| {
            usize::try_from(len)
                .ok()
                .and_then(|len| acc.checked_mul(len))
        })
        .ok_or_else(|| Error::invalid_selection("a chunk is too large to address"))
}

/// Whether every element of `bytes` equals the fill value, as zarr-python decides it:
/// floating-point elements compare by value, so every NaN matches a NaN fill value and
/// -0.0 matches 0.0; other types compare bytes.
pub(super) fn all_fill(bytes: &[u8], fill: &[u8], element: ElementType) -> bool {
    let item = element.size;
    if item == 0 || fill.len() != item {
        return false;
    }
    if !is_float(element) {
        return bytes.chunks_exact(item).all(|value| value == fill);
    }
    bytes
        .chunks_exact(item)
        .all(|value| is_fill(value, fill, element))
}

/// Whether one element equals the fill value (see `all_fill`).
fn is_fill(value: &[u8], fill: &[u8], element: ElementType) -> bool {
    if value == fill {
        return true;
    }
    if !is_float(element) {
        return false;
    }
    // Complex numbers are two floats of half the size, compared part by part.
    let part = match element.code {
        crate::data_type::ZCF_DTYPE_COMPLEX64 => 4,
        crate::data_type::ZCF_DTYPE_COMPLEX128 => 8,
        _ => element.size,
    };
    value
        .chunks_exact(part)
        .zip(fill.chunks_exact(part))
        .all(|(a, b)| float_equal(a, b))
}

fn is_float(element: ElementType) -> bool {
    use crate::data_type::*;
    matches!(
        element.code,
        ZCF_DTYPE_FLOAT16
            | ZCF_DTYPE_FLOAT32
            | ZCF_DTYPE_FLOAT64
            | ZCF_DTYPE_COMPLEX64
            | ZCF_DTYPE_COMPLEX128
    )
}

/// Equality of two native-endian IEEE floats of 2, 4 or 8 bytes, NaN equal to NaN.
fn float_equal(a: &[u8], b: &[u8]) -> bool {
    fn classify(bits: u64, exponent_bits: u32, mantissa_bits: u32) -> (bool, bool) {
        let exponent = (bits >> mantissa_bits) & ((1 << exponent_bits) - 1);
        let mantissa = bits & ((1 << mantissa_bits) - 1);
        let magnitude = bits & ((1 << (exponent_bits + mantissa_bits)) - 1);
        let is_nan = exponent == (1 << exponent_bits) - 1 && mantissa != 0;
        (is_nan, magnitude == 0)
    }
    let (bits_a, bits_b, layout) = match a.len() {
        2 => (
            u64::from(u16::from_ne_bytes([a[0], a[1]])),
            u64::from(u16::from_ne_bytes([b[0], b[1]])),
            (5, 10),
        ),
        4 => (
            u64::from(u32::from_ne_bytes(a.try_into().unwrap_or_default())),
            u64::from(u32::from_ne_bytes(b.try_into().unwrap_or_default())),
            (8, 23),
        ),
        8 => (
            u64::from_ne_bytes(a.try_into().unwrap_or_default()),
            u64::from_ne_bytes(b.try_into().unwrap_or_default()),
            (11, 52),
        ),
        _ => return a == b,
    };
    let (nan_a, zero_a) = classify(bits_a, layout.0, layout.1);
    let (nan_b, zero_b) = classify(bits_b, layout.0, layout.1);
    (nan_a && nan_b) || (zero_a && zero_b) || (!nan_a && bits_a == bits_b)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::array::Mode as OpenMode;
    use crate::data_type::{ZCF_DTYPE_FLOAT16, ZCF_DTYPE_FLOAT64, ZCF_DTYPE_INT32};
    use crate::error::{
        ZCF_STATUS_BUFFER_MISMATCH, ZCF_STATUS_OUT_OF_BOUNDS, ZCF_STATUS_READ_ONLY,
    };
    use crate::plan::ChunkProjection;

    const SHAPE: [u64; 3] = [9, 10, 11];

    /// Creates a 9x10x11 int32 array (chunks 4x6x5, edge chunks on every axis), fill
    /// value -1, optionally sharded and compressed.
    fn create(dir: &Path, inner: Option<[u64; 3]>, zstd: bool) -> OpenArray {
        let compressor = if zstd {
            r#",{"name":"zstd","configuration":{"level":1,"checksum":false}}"#
        } else {
            ""
        };
        let bytes = r#"{"name":"bytes","configuration":{"endian":"little"}}"#;
        let codecs = match inner {
            None => format!("[{bytes}{compressor}]"),
            Some(inner) => format!(
                r#"[{{"name":"sharding_indexed","configuration":{{"chunk_shape":{inner:?},
                "codecs":[{bytes}{compressor}],"index_codecs":[{bytes},{{"name":"crc32c"}}],
                "index_location":"end"}}}}]"#
            ),
        };
        let metadata = format!(
            r#"{{"zarr_format":3,"node_type":"array","shape":[9,10,11],"data_type":"int32",
            "chunk_grid":{{"name":"regular","configuration":{{"chunk_shape":[4,6,5]}}}},
            "chunk_key_encoding":{{"name":"default","configuration":{{"separator":"/"}}}},
            "fill_value":-1,"codecs":{codecs},"attributes":{{}}}}"#
        );
        OpenArray::create(dir.to_str().unwrap(), &metadata, None, false).unwrap()
    }

    fn bytes_of(values: &[i32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_ne_bytes()).collect()
    }

    fn read_all(array: &OpenArray) -> Vec<i32> {
        let mut out = vec![0u8; 990 * 4];
        crate::engine::read_into(array, &Selection::all(&SHAPE), &mut out).unwrap();
        out.chunks_exact(4)
            .map(|b| i32::from_ne_bytes(b.try_into().unwrap()))
            .collect()
    }

    fn index(i: u64, j: u64, k: u64) -> usize {
        (i * 110 + j * 11 + k) as usize
    }

    fn stored_chunks(dir: &Path) -> usize {
        walk(&dir.join("c"))
    }

    fn walk(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .map(|entry| {
                    let entry = entry.unwrap();
                    if entry.file_type().unwrap().is_dir() {
                        walk(&entry.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }

    #[test]
    fn writes_match_a_model_in_every_layout() {
        for (inner, zstd) in [(None, false), (None, true), (Some([2, 3, 5]), true)] {
            let dir = tempfile::tempdir().unwrap();
            let array = create(dir.path(), inner, zstd);
            let mut model = vec![-1i32; 990];
            assert_eq!(read_all(&array), model);

            // The whole array, then a strided orthogonal part, then points.
            let everything: Vec<i32> = (0..990).collect();
            write_from(
                &array,
                &Selection::all(&SHAPE),
                &bytes_of(&everything),
                WriteOptions::default(),
            )
            .unwrap();
            model.copy_from_slice(&everything);
            assert_eq!(read_all(&array), model);

            let rows = [8i64, 0, 3, 3];
            let selection = Selection {
                mode: Mode::Orthogonal,
                dims: vec![
                    DimSelection::Indices(&rows),
                    DimSelection::Slice {
                        start: 9,
                        stop: -1,
                        step: -4,
                    },
                    DimSelection::Index(-2),
                ],
            };
            let values: Vec<i32> = (0..12).map(|v| 5000 + v).collect();
            write_from(
                &array,
                &selection,
                &bytes_of(&values),
                WriteOptions::default(),
            )
            .unwrap();
            for (a, i) in rows.iter().enumerate() {
                for (b, j) in [9, 5, 1].iter().enumerate() {
                    model[index(*i as u64, *j, 9)] = values[a * 3 + b];
                }
            }
            assert_eq!(read_all(&array), model);

            let (i, j, k) = ([8i64, 0, 4, 0], [9i64, 0, -1, 0], [10i64, 0, 5, 0]);
            let points = Selection {
                mode: Mode::Pointwise,
                dims: vec![
                    DimSelection::Indices(&i),
                    DimSelection::Indices(&j),
                    DimSelection::Indices(&k),
                ],
            };
            write_from(
                &array,
                &points,
                &bytes_of(&[1, 2, 3, 4]),
                WriteOptions::default(),
            )
            .unwrap();
            model[index(8, 9, 10)] = 1;
            model[index(4, 9, 5)] = 3;
            model[index(0, 0, 0)] = 4; // given twice: the last value wins
            assert_eq!(read_all(&array), model);

            // One value for a box reaching into edge chunks.
            let corner = Selection::from_box(&[3, 5, 4], &[6, 5, 7], &SHAPE).unwrap();
            write_from(
                &array,
                &corner,
                &7i32.to_ne_bytes(),
                WriteOptions::default(),
            )
            .unwrap();
            for i in 3..9 {
                for j in 5..10 {
                    for k in 4..11 {
                        model[index(i, j, k)] = 7;
                    }
                }
            }
            assert_eq!(read_all(&array), model);

            // Reopened from disk, the values are the same.
            let reopened =
                OpenArray::open(dir.path().to_str().unwrap(), OpenMode::ReadOnly).unwrap();
            assert_eq!(read_all(&reopened), model);
        }
    }

    #[test]
    fn chunks_of_fill_value_are_deleted_unless_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let array = create(dir.path(), None, true);
        let all = Selection::all(&SHAPE);
        let ones = bytes_of(&[1; 990]);
        write_from(&array, &all, &ones, WriteOptions::default()).unwrap();
        assert_eq!(stored_chunks(dir.path()), 3 * 2 * 3);
        // The first chunk back to the fill value, in part then whole: deleted at the end.
        let first = Selection::from_box(&[0, 0, 0], &[4, 6, 5], &SHAPE).unwrap();
        write_from(
            &array,
            &first,
            &(-1i32).to_ne_bytes(),
            WriteOptions::default(),
        )
        .unwrap();
        assert_eq!(stored_chunks(dir.path()), 3 * 2 * 3 - 1);
        assert!(!dir.path().join("c/0/0/0").exists());
        // Stored anyway when asked.
        let keep = WriteOptions {
            write_empty_chunks: true,
        };
        write_from(&array, &first, &(-1i32).to_ne_bytes(), keep).unwrap();
        assert!(dir.path().join("c/0/0/0").exists());
        // Everything back to the fill value, element by element: no chunk left.
        write_from(&array, &all, &bytes_of(&[-1; 990]), WriteOptions::default()).unwrap();
        assert_eq!(stored_chunks(dir.path()), 0);
        assert_eq!(read_all(&array), vec![-1; 990]);
    }

    #[test]
    fn rejected_writes_change_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let array = create(dir.path(), None, false);
        let all = Selection::all(&SHAPE);
        write_from(&array, &all, &bytes_of(&[3; 990]), WriteOptions::default()).unwrap();
        let before = read_all(&array);
        let bad_rows = [0i64, 9];
        let out_of_bounds = Selection {
            mode: Mode::Orthogonal,
            dims: vec![
                DimSelection::Indices(&bad_rows),
                DimSelection::Index(0),
                DimSelection::Index(0),
            ],
        };
        let err = write_from(
            &array,
            &out_of_bounds,
            &bytes_of(&[5, 5]),
            WriteOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.status, ZCF_STATUS_OUT_OF_BOUNDS);
        let err =
            write_from(&array, &all, &bytes_of(&[5; 989]), WriteOptions::default()).unwrap_err();
        assert_eq!(err.status, ZCF_STATUS_BUFFER_MISMATCH);
        let read_only = OpenArray::open(dir.path().to_str().unwrap(), OpenMode::ReadOnly).unwrap();
        let err = write_from(
            &read_only,
            &all,
            &bytes_of(&[5; 990]),
            WriteOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.status, ZCF_STATUS_READ_ONLY);
        // The same chunk twice in one call of chunk projections.
        let whole = |chunk: &'static [u64]| ChunkProjection {
            chunk,
            chunk_dims: vec![
                DimSelection::Slice {
                    start: 0,
                    stop: 1,
                    step: 1
                };
                3
            ],
            out_dims: vec![
                DimSelection::Slice {
                    start: 0,
                    stop: 1,
                    step: 1
                };
                3
            ],
        };
        let err = write_chunks_from(
            &array,
            Mode::Orthogonal,
            &[whole(&[0, 0, 0]), whole(&[1, 0, 0]), whole(&[0, 0, 0])],
            &[1, 1, 1],
            &5i32.to_ne_bytes(),
            WriteOptions::default(),
        )
        .unwrap_err();
        assert_eq!(err.status, crate::error::ZCF_STATUS_INVALID_SELECTION);
        assert_eq!(read_all(&array), before);
    }

    #[test]
    fn chunk_projections_write_their_parts() {
        let dir = tempfile::tempdir().unwrap();
        let array = create(dir.path(), Some([2, 3, 5]), false);
        // Two chunks along the last axis: values[0, 0, 0..5] to chunk (0, 0, 0) and
        // values[0, 0, 5..7] to the first two elements of chunk (0, 0, 1).
        let slice = |start, stop| DimSelection::Slice {
            start,
            stop,
            step: 1,
        };
        let projections = [
            ChunkProjection {
                chunk: &[0, 0, 0],
                chunk_dims: vec![DimSelection::Index(1), slice(2, 3), slice(0, 5)],
                out_dims: vec![slice(0, 1), slice(0, 5)],
            },
            ChunkProjection {
                chunk: &[0, 0, 1],
                chunk_dims: vec![DimSelection::Index(1), slice(2, 3), slice(0, 2)],
                out_dims: vec![slice(0, 1), slice(5, 7)],
            },
        ];
        let values: Vec<i32> = (10..17).collect();
        write_chunks_from(
            &array,
            Mode::Orthogonal,
            &projections,
            &[1, 7],
            &bytes_of(&values),
            WriteOptions::default(),
        )
        .unwrap();
        let mut model = vec![-1; 990];
        for (k, value) in values.iter().enumerate() {
            model[index(1, 2, k as u64)] = *value;
        }
        assert_eq!(read_all(&array), model);
    }

    #[test]
    fn fill_values_compare_as_zarr_compares_them() {
        let f64_type = ElementType {
            code: ZCF_DTYPE_FLOAT64,
            size: 8,
        };
        let nan = f64::NAN.to_ne_bytes();
        let other_nan = f64::from_bits(f64::NAN.to_bits() | 1).to_ne_bytes();
        assert!(is_fill(&other_nan, &nan, f64_type));
        assert!(is_fill(
            &(-0.0f64).to_ne_bytes(),
            &0.0f64.to_ne_bytes(),
            f64_type
        ));
        assert!(!is_fill(&1.0f64.to_ne_bytes(), &nan, f64_type));
        assert!(!is_fill(&nan, &0.0f64.to_ne_bytes(), f64_type));
        let f16_type = ElementType {
            code: ZCF_DTYPE_FLOAT16,
            size: 2,
        };
        assert!(is_fill(
            &0x8000u16.to_ne_bytes(),
            &0u16.to_ne_bytes(),
            f16_type
        ));
        assert!(is_fill(
            &0x7e01u16.to_ne_bytes(),
            &0x7e00u16.to_ne_bytes(),
            f16_type
        ));
        assert!(!is_fill(
            &0x7c00u16.to_ne_bytes(),
            &0x7e00u16.to_ne_bytes(),
            f16_type
        ));
        let i32_type = ElementType {
            code: ZCF_DTYPE_INT32,
            size: 4,
        };
        assert!(all_fill(&bytes_of(&[7, 7]), &7i32.to_ne_bytes(), i32_type));
        assert!(!all_fill(&bytes_of(&[7, 8]), &7i32.to_ne_bytes(), i32_type));
    }
}
