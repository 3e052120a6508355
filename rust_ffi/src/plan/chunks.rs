//! How a checked selection maps onto the chunk grid: per dimension, the chunks it passes
//! through and what it selects in each (`map_dim`); per chunk, caller-computed
//! projections resolved into engine work (`chunk_task`); points grouped by chunk.

use super::{DimSelection, Mode, Progression, check_slice, normalize_index};
use crate::error::{Error, Result};

/// The part of one dimension's selection that falls in one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DimPart {
    /// In-chunk indices `first, first + step, ...` land at output positions
    /// `out_start, out_start + 1, ...`.
    Progression {
        first: u64,
        step: i64,
        len: u64,
        out_start: u64,
    },
    /// Arbitrary `(in-chunk index, output position)` pairs.
    Scattered(Vec<(u64, u64)>),
}

impl DimPart {
    /// Number of selected elements.
    pub fn count(&self) -> u64 {
        match self {
            Self::Progression { len, .. } => *len,
            Self::Scattered(pairs) => pairs.len() as u64,
        }
    }

    /// Whether the part selects every index of a chunk dimension of length `len` (in any
    /// order, possibly more than once).
    pub fn covers(&self, len: u64) -> bool {
        match self {
            Self::Progression {
                step, len: count, ..
            } => *count == len && (len <= 1 || step.unsigned_abs() == 1),
            Self::Scattered(pairs) => {
                let Ok(len) = usize::try_from(len) else {
                    return false;
                };
                if pairs.len() < len {
                    return false;
                }
                let mut seen = vec![false; len];
                let mut distinct = 0;
                for &(index, _) in pairs {
                    if let Some(slot) = seen.get_mut(index as usize)
                        && !*slot
                    {
                        *slot = true;
                        distinct += 1;
                    }
                }
                distinct == len
            }
        }
    }

    /// The half-open range of in-chunk indices this part touches.
    pub fn bounds(&self) -> (u64, u64) {
        match self {
            Self::Progression {
                first, step, len, ..
            } => {
                let last = Progression {
                    first: *first,
                    step: *step,
                    len: *len,
                }
                .at(len - 1);
                (last.min(*first), last.max(*first) + 1)
            }
            Self::Scattered(pairs) => {
                let lo = pairs.iter().map(|p| p.0).min().unwrap_or(0);
                let hi = pairs.iter().map(|p| p.0).max().map_or(0, |hi| hi + 1);
                (lo, hi)
            }
        }
    }

    /// `(first in-chunk index, output start)` when the part is a contiguous run that lands
    /// contiguously in the output, so the chunk can decode straight into the output.
    pub fn as_run(&self) -> Option<(u64, u64)> {
        match self {
            Self::Progression {
                first,
                step,
                len,
                out_start,
            } if *step == 1 || *len == 1 => Some((*first, *out_start)),
            _ => None,
        }
    }

    /// Splits the part among consecutive blocks of `block_len` indices (the inner chunks
    /// of a shard): `(block index, the part within that block, indices relative to its
    /// start)` for every block the part touches, in block order.
    pub fn split_by(&self, block_len: u64) -> Vec<(u64, DimPart)> {
        if let Self::Progression {
            first,
            step,
            len,
            out_start,
        } = *self
        {
            // Indices run monotonically: cut the progression where it crosses a block
            // boundary, without visiting every element.
            let progression = Progression { first, step, len };
            let mut pieces = Vec::new();
            let mut k = 0;
            while k < len {
                let index = progression.at(k);
                let block = index / block_len;
                let in_block = match step {
                    0 => len - k,
                    s if s > 0 => ((block + 1) * block_len - 1 - index) / s.unsigned_abs() + 1,
                    s => (index - block * block_len) / s.unsigned_abs() + 1,
                };
                let count = in_block.min(len - k);
                pieces.push((
                    block,
                    Self::Progression {
                        first: index - block * block_len,
                        step,
                        len: count,
                        out_start: out_start + k,
                    },
                ));
                k += count;
            }
            return pieces;
        }
        let mut blocks: std::collections::BTreeMap<u64, Vec<(u64, u64)>> = Default::default();
        self.for_each(|index, out| {
            let block = index / block_len;
            blocks
                .entry(block)
                .or_default()
                .push((index - block * block_len, out));
        });
        blocks
            .into_iter()
            .map(|(block, pairs)| (block, compress_pairs(pairs)))
            .collect()
    }

    /// Calls `f(in-chunk index, output position)` for every selected element, in order.
    pub fn for_each(&self, mut f: impl FnMut(u64, u64)) {
        match self {
            Self::Progression {
                first,
                step,
                len,
                out_start,
            } => {
                let progression = Progression {
                    first: *first,
                    step: *step,
                    len: *len,
                };
                for k in 0..*len {
                    f(progression.at(k), out_start + k);
                }
            }
            Self::Scattered(pairs) => pairs.iter().for_each(|&(index, out)| f(index, out)),
        }
    }
}

/// A chunk index along one dimension and what is selected in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkSpan {
    pub chunk: u64,
    pub part: DimPart,
}

/// How one dimension of an orthogonal selection maps onto the chunks along it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimChunkMap {
    /// The output's extent along this dimension (1 for a dropped `Index` dimension).
    pub out_len: u64,
    pub spans: Vec<ChunkSpan>,
}

/// Maps one dimension of an orthogonal selection onto chunks of `chunk_len` elements.
pub fn map_dim(
    dim: &DimSelection<'_>,
    len: u64,
    chunk_len: u64,
    axis: usize,
) -> Result<DimChunkMap> {
    match dim {
        DimSelection::Slice { start, stop, step } => {
            let progression = check_slice(*start, *stop, *step, len, axis)?;
            Ok(DimChunkMap {
                out_len: progression.len,
                spans: progression_spans(progression, chunk_len),
            })
        }
        DimSelection::Index(index) => {
            let progression = Progression {
                first: normalize_index(*index, len, axis)?,
                step: 1,
                len: 1,
            };
            Ok(DimChunkMap {
                out_len: 1,
                spans: progression_spans(progression, chunk_len),
            })
        }
        DimSelection::Indices(indices) => Ok(DimChunkMap {
            out_len: indices.len() as u64,
            spans: index_spans(indices, len, chunk_len, axis)?,
        }),
    }
}

/// Splits a progression at chunk boundaries: one span per chunk it passes through.
fn progression_spans(progression: Progression, chunk_len: u64) -> Vec<ChunkSpan> {
    let mut spans = Vec::new();
    let mut k = 0;
    while k < progression.len {
        let index = progression.at(k);
        let chunk = index / chunk_len;
        let first = index - chunk * chunk_len;
        let remaining = progression.len - k;
        let in_this_chunk = match progression.step {
            step if step > 0 => (chunk_len - first).div_ceil(step as u64),
            step if step < 0 => first / step.unsigned_abs() + 1,
            _ => remaining,
        }
        .min(remaining);
        spans.push(ChunkSpan {
            chunk,
            part: DimPart::Progression {
                first,
                step: progression.step,
                len: in_this_chunk,
                out_start: k,
            },
        });
        k += in_this_chunk;
    }
    spans
}

/// Groups an index array by chunk, keeping each chunk's indices in output order.
fn index_spans(indices: &[i64], len: u64, chunk_len: u64, axis: usize) -> Result<Vec<ChunkSpan>> {
    let mut entries = Vec::with_capacity(indices.len());
    for (out, &index) in indices.iter().enumerate() {
        let index = normalize_index(index, len, axis)?;
        entries.push((index / chunk_len, index % chunk_len, out as u64));
    }
    // Stable, so the output order survives within each chunk; already grouped input
    // (the common sorted case) is a single linear pass.
    entries.sort_by_key(|entry| entry.0);
    let mut spans = Vec::new();
    for group in entries.chunk_by(|a, b| a.0 == b.0) {
        let pairs: Vec<(u64, u64)> = group.iter().map(|&(_, index, out)| (index, out)).collect();
        spans.push(ChunkSpan {
            chunk: group[0].0,
            part: compress_pairs(pairs),
        });
    }
    Ok(spans)
}

/// Recognises pairs that form a progression landing on consecutive output positions.
fn compress_pairs(pairs: Vec<(u64, u64)>) -> DimPart {
    let (first, out_start) = pairs[0];
    let step = if pairs.len() > 1 {
        pairs[1].0 as i64 - first as i64
    } else {
        1
    };
    let is_progression = pairs.iter().enumerate().all(|(k, &(index, out))| {
        out == out_start + k as u64
            && i128::from(index) == i128::from(first) + k as i128 * i128::from(step)
    });
    if is_progression {
        DimPart::Progression {
            first,
            step,
            len: pairs.len() as u64,
            out_start,
        }
    } else {
        DimPart::Scattered(pairs)
    }
}

/// One chunk of a read or write whose per-chunk projections the caller computed (as
/// zarr-python does): the part of the chunk, and where that part lies in the caller's
/// buffer (the output of a read, the values of a write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkProjection<'a> {
    /// The chunk's grid indices.
    pub chunk: &'a [u64],
    /// One selection per array dimension, relative to the chunk origin. In orthogonal
    /// mode `Index` dimensions are dropped from the output; in pointwise mode every
    /// dimension is `Indices` of one common length.
    pub chunk_dims: Vec<DimSelection<'a>>,
    /// Orthogonal mode: one selection per output dimension, paired in order with the
    /// non-`Index` chunk dimensions. Pointwise mode: one selection of the 1-D output.
    pub out_dims: Vec<DimSelection<'a>>,
}

/// A chunk projection, checked and resolved into the engine's per-chunk work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkTask {
    /// Orthogonal: one span per array dimension, written into an output whose internal
    /// shape has a length-1 dimension where the chunk selection has an `Index`.
    Orthogonal {
        spans: Vec<ChunkSpan>,
        out_extents: Vec<u64>,
    },
    Points(PointGroup),
}

/// Resolves and checks one chunk projection against the array and the buffer's shape.
pub fn chunk_task(
    projection: &ChunkProjection<'_>,
    mode: Mode,
    shape: &[u64],
    chunk_shape: &[u64],
    out_shape: &[u64],
) -> Result<ChunkTask> {
    let ndim = shape.len();
    if projection.chunk.len() != ndim || projection.chunk_dims.len() != ndim {
        return Err(Error::invalid_selection(format!(
            "a chunk projection needs {ndim} chunk indices and chunk selections"
        )));
    }
    // The part of each chunk inside the array: selections must stay within it.
    let mut valid = Vec::with_capacity(ndim);
    for axis in 0..ndim {
        let origin = projection.chunk[axis]
            .checked_mul(chunk_shape[axis])
            .filter(|&o| o < shape[axis]);
        let Some(origin) = origin else {
            return Err(Error::out_of_bounds(format!(
                "chunk index {} is outside the chunk grid along axis {axis}",
                projection.chunk[axis]
            )));
        };
        valid.push(chunk_shape[axis].min(shape[axis] - origin));
    }
    match mode {
        Mode::Orthogonal => {
            let mut out_axes = 0..out_shape.len();
            let mut spans = Vec::with_capacity(ndim);
            let mut out_extents = Vec::with_capacity(ndim);
            for (axis, dim) in projection.chunk_dims.iter().enumerate() {
                let part = if let DimSelection::Index(index) = dim {
                    out_extents.push(1);
                    DimPart::Progression {
                        first: normalize_index(*index, valid[axis], axis)?,
                        step: 1,
                        len: 1,
                        out_start: 0,
                    }
                } else {
                    let out_axis = out_axes.next().ok_or_else(|| {
                        Error::invalid_selection(
                            "a chunk projection selects more dimensions than the output has",
                        )
                    })?;
                    let out_dim = projection.out_dims.get(out_axis).ok_or_else(|| {
                        Error::invalid_selection(
                            "a chunk projection has fewer output selections than output dimensions",
                        )
                    })?;
                    out_extents.push(out_shape[out_axis]);
                    paired_part(dim, valid[axis], out_dim, out_shape[out_axis], axis)?
                };
                spans.push(ChunkSpan {
                    chunk: projection.chunk[axis],
                    part,
                });
            }
            if out_axes.next().is_some() || projection.out_dims.len() != out_shape.len() {
                return Err(Error::invalid_selection(
                    "a chunk projection must select exactly one output dimension per kept chunk dimension",
                ));
            }
            Ok(ChunkTask::Orthogonal { spans, out_extents })
        }
        Mode::Pointwise => {
            let ([out_dim], [out_len]) = (projection.out_dims.as_slice(), out_shape) else {
                return Err(Error::invalid_selection(
                    "a pointwise chunk projection writes into a 1-D output with one output selection",
                ));
            };
            let outs = positions(out_dim, *out_len, 0)?;
            let mut coords = vec![0u64; outs.len() * ndim];
            for (axis, dim) in projection.chunk_dims.iter().enumerate() {
                let DimSelection::Indices(indices) = dim else {
                    return Err(Error::invalid_selection(
                        "a pointwise chunk projection takes an index array for every dimension",
                    ));
                };
                if indices.len() != outs.len() {
                    return Err(Error::invalid_selection(format!(
                        "a pointwise chunk projection selects {} points along axis {axis} but writes {}",
                        indices.len(),
                        outs.len()
                    )));
                }
                for (point, &index) in indices.iter().enumerate() {
                    coords[point * ndim + axis] = normalize_index(index, valid[axis], axis)?;
                }
            }
            Ok(ChunkTask::Points(PointGroup {
                chunk: projection.chunk.to_vec(),
                coords,
                outs,
            }))
        }
    }
}

/// The positions a non-`Index` selection picks along a dimension of length `len`.
fn positions(dim: &DimSelection<'_>, len: u64, axis: usize) -> Result<Vec<u64>> {
    match dim {
        DimSelection::Slice { start, stop, step } => {
            let progression = check_slice(*start, *stop, *step, len, axis)?;
            Ok((0..progression.len).map(|k| progression.at(k)).collect())
        }
        DimSelection::Indices(indices) => indices
            .iter()
            .map(|&i| normalize_index(i, len, axis))
            .collect(),
        DimSelection::Index(_) => Err(Error::invalid_selection(format!(
            "an output selection cannot drop a dimension (axis {axis})"
        ))),
    }
}

/// Pairs a chunk dimension's selection with its output dimension's selection.
fn paired_part(
    chunk_dim: &DimSelection<'_>,
    chunk_len: u64,
    out_dim: &DimSelection<'_>,
    out_len: u64,
    axis: usize,
) -> Result<DimPart> {
    // The common case (slices on both sides, the output one contiguous) needs no lists.
    if let (
        DimSelection::Slice { start, stop, step },
        DimSelection::Slice {
            start: out_start,
            stop: out_stop,
            step: 1,
        },
    ) = (chunk_dim, out_dim)
    {
        let chunk = check_slice(*start, *stop, *step, chunk_len, axis)?;
        let out = check_slice(*out_start, *out_stop, 1, out_len, axis)?;
        if chunk.len != out.len {
            return Err(mismatched_lengths(chunk.len, out.len, axis));
        }
        if chunk.len > 0 {
            return Ok(DimPart::Progression {
                first: chunk.first,
                step: chunk.step,
                len: chunk.len,
                out_start: out.first,
            });
        }
    }
    let chunk = positions(chunk_dim, chunk_len, axis)?;
    let out = positions(out_dim, out_len, axis)?;
    if chunk.len() != out.len() {
        return Err(mismatched_lengths(
            chunk.len() as u64,
            out.len() as u64,
            axis,
        ));
    }
    if chunk.is_empty() {
        return Err(Error::invalid_selection(format!(
            "a chunk projection selects nothing along axis {axis}"
        )));
    }
    Ok(compress_pairs(chunk.into_iter().zip(out).collect()))
}

fn mismatched_lengths(chunk: u64, out: u64, axis: usize) -> Error {
    Error::invalid_selection(format!(
        "a chunk projection takes {chunk} elements along axis {axis} but places {out}"
    ))
}

/// The points of a pointwise selection that fall in one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointGroup {
    pub chunk: Vec<u64>,
    /// In-chunk coordinates, `ndim` per point.
    pub coords: Vec<u64>,
    /// Output position of each point.
    pub outs: Vec<u64>,
}

/// Groups the points of a pointwise selection by the chunk that holds them.
pub fn group_points(
    dims: &[&[i64]],
    shape: &[u64],
    chunk_shape: &[u64],
) -> Result<Vec<PointGroup>> {
    let ndim = shape.len();
    let num_points = dims.first().map_or(1, |indices| indices.len());
    let mut chunk_of = vec![0u64; num_points * ndim];
    let mut in_chunk = vec![0u64; num_points * ndim];
    for (axis, indices) in dims.iter().enumerate() {
        for (point, &index) in indices.iter().enumerate() {
            let index = normalize_index(index, shape[axis], axis)?;
            chunk_of[point * ndim + axis] = index / chunk_shape[axis];
            in_chunk[point * ndim + axis] = index % chunk_shape[axis];
        }
    }
    let chunk_key = |point: usize| &chunk_of[point * ndim..(point + 1) * ndim];
    let mut order: Vec<usize> = (0..num_points).collect();
    order.sort_by(|&a, &b| chunk_key(a).cmp(chunk_key(b)));
    let mut groups: Vec<PointGroup> = Vec::new();
    for point in order {
        let chunk = chunk_key(point);
        if groups.last().is_none_or(|group| group.chunk != chunk) {
            groups.push(PointGroup {
                chunk: chunk.to_vec(),
                coords: Vec::new(),
                outs: Vec::new(),
            });
        }
        let group = groups.last_mut().expect("a group was just pushed");
        group
            .coords
            .extend_from_slice(&in_chunk[point * ndim..(point + 1) * ndim]);
        group.outs.push(point as u64);
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selected(map: &DimChunkMap, chunk_len: u64) -> Vec<(u64, u64)> {
        let mut pairs = Vec::new();
        for span in &map.spans {
            span.part
                .for_each(|index, out| pairs.push((span.chunk * chunk_len + index, out)));
        }
        pairs.sort_by_key(|pair| pair.1);
        pairs
    }

    fn python_range(start: i64, stop: i64, step: i64) -> Vec<u64> {
        let mut values = Vec::new();
        let mut i = start;
        while (step > 0 && i < stop) || (step < 0 && i > stop) {
            values.push(i as u64);
            i += step;
        }
        values
    }

    #[test]
    fn slices_match_python_ranges_for_every_step() {
        let len = 23;
        for chunk_len in [1, 4, 7, 23, 50] {
            for step in [-9, -3, -1, 1, 2, 5, 30] {
                for start in -1..=len as i64 {
                    for stop in -1..=len as i64 {
                        let dim = DimSelection::Slice { start, stop, step };
                        let expected = python_range(start, stop, step);
                        let in_bounds = expected.iter().all(|&i| i < len);
                        match map_dim(&dim, len, chunk_len, 0) {
                            Ok(map) => {
                                assert!(in_bounds);
                                let got: Vec<u64> =
                                    selected(&map, chunk_len).iter().map(|p| p.0).collect();
                                assert_eq!(got, expected, "{start}:{stop}:{step} / {chunk_len}");
                                assert_eq!(map.out_len, expected.len() as u64);
                                assert!(map.spans.iter().all(|s| s.part.count() > 0));
                            }
                            Err(err) => {
                                assert!(!in_bounds, "{start}:{stop}:{step}: {err}");
                                assert_eq!(err.status, crate::error::ZCF_STATUS_OUT_OF_BOUNDS);
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn one_span_per_chunk_touched() {
        let map = map_dim(
            &DimSelection::Slice {
                start: 3,
                stop: 20,
                step: 1,
            },
            20,
            8,
            0,
        )
        .unwrap();
        let chunks: Vec<u64> = map.spans.iter().map(|s| s.chunk).collect();
        assert_eq!(chunks, [0, 1, 2]);
        assert_eq!(map.spans[1].part.as_run(), Some((0, 5)));
    }

    #[test]
    fn index_arrays_keep_output_order_and_wrap_negatives() {
        let indices = [5, -1, 0, 5, 9, 2];
        let map = map_dim(&DimSelection::Indices(&indices), 10, 4, 0).unwrap();
        let got: Vec<u64> = selected(&map, 4).iter().map(|p| p.0).collect();
        assert_eq!(got, [5, 9, 0, 5, 9, 2]);
        let chunks: Vec<u64> = map.spans.iter().map(|s| s.chunk).collect();
        assert_eq!(chunks, [0, 1, 2]);
    }

    #[test]
    fn sorted_contiguous_indices_become_runs() {
        let indices: Vec<i64> = (10..30).collect();
        let map = map_dim(&DimSelection::Indices(&indices), 40, 16, 0).unwrap();
        assert_eq!(map.spans.len(), 2);
        assert_eq!(map.spans[0].part.as_run(), Some((10, 0)));
        assert_eq!(map.spans[1].part.as_run(), Some((0, 6)));
    }

    #[test]
    fn out_of_bounds_indices_are_reported_with_their_axis() {
        let err = map_dim(&DimSelection::Indices(&[0, 10]), 10, 4, 2).unwrap_err();
        assert_eq!(err.status, crate::error::ZCF_STATUS_OUT_OF_BOUNDS);
        assert_eq!(
            err.message,
            "index 10 is out of bounds for axis 2 with size 10"
        );
        assert!(map_dim(&DimSelection::Index(-11), 10, 4, 0).is_err());
        assert!(map_dim(&DimSelection::Index(i64::MIN), 10, 4, 0).is_err());
    }

    #[test]
    fn zero_step_is_invalid() {
        let err = map_dim(
            &DimSelection::Slice {
                start: 0,
                stop: 5,
                step: 0,
            },
            10,
            4,
            0,
        )
        .unwrap_err();
        assert_eq!(err.status, crate::error::ZCF_STATUS_INVALID_SELECTION);
    }

    #[test]
    fn extreme_slice_bounds_do_not_overflow() {
        let dim = DimSelection::Slice {
            start: i64::MIN,
            stop: i64::MAX,
            step: i64::MAX,
        };
        assert!(map_dim(&dim, 10, 4, 0).is_err());
        let dim = DimSelection::Slice {
            start: 9,
            stop: -1,
            step: i64::MIN,
        };
        let map = map_dim(&dim, 10, 4, 0).unwrap();
        assert_eq!(map.out_len, 1);
    }

    #[test]
    fn chunk_reads_pair_chunk_and_output_dimensions() {
        let rows = [3i64, 0];
        let read = ChunkProjection {
            chunk: &[1, 2],
            chunk_dims: vec![DimSelection::Indices(&rows), DimSelection::Index(1)],
            out_dims: vec![DimSelection::Slice {
                start: 4,
                stop: 6,
                step: 1,
            }],
        };
        let task = chunk_task(&read, Mode::Orthogonal, &[10, 10], &[4, 4], &[8]).unwrap();
        let ChunkTask::Orthogonal { spans, out_extents } = task else {
            panic!("orthogonal")
        };
        assert_eq!(out_extents, [8, 1]);
        assert_eq!(
            spans[0].part,
            DimPart::Progression {
                first: 3,
                step: -3,
                len: 2,
                out_start: 4
            }
        );
        assert_eq!(spans[1].part.as_run(), Some((1, 0)));
    }

    #[test]
    fn chunk_reads_stay_inside_the_array_and_the_output() {
        let orthogonal = |chunk: &'static [u64], stop: i64, out_stop: i64| ChunkProjection {
            chunk,
            chunk_dims: vec![DimSelection::Slice {
                start: 0,
                stop,
                step: 1,
            }],
            out_dims: vec![DimSelection::Slice {
                start: 0,
                stop: out_stop,
                step: 1,
            }],
        };
        let task =
            |read: &ChunkProjection<'_>| chunk_task(read, Mode::Orthogonal, &[10], &[4], &[4]);
        assert!(task(&orthogonal(&[2], 2, 2)).is_ok());
        // The last chunk holds only 2 elements of the array.
        assert_eq!(
            task(&orthogonal(&[2], 3, 3)).unwrap_err().status,
            crate::error::ZCF_STATUS_OUT_OF_BOUNDS
        );
        assert_eq!(
            task(&orthogonal(&[3], 1, 1)).unwrap_err().status,
            crate::error::ZCF_STATUS_OUT_OF_BOUNDS
        );
        assert_eq!(
            task(&orthogonal(&[0], 4, 5)).unwrap_err().status,
            crate::error::ZCF_STATUS_OUT_OF_BOUNDS
        );
        assert_eq!(
            task(&orthogonal(&[0], 4, 3)).unwrap_err().status,
            crate::error::ZCF_STATUS_INVALID_SELECTION
        );
    }

    #[test]
    fn pointwise_chunk_reads_need_matching_lengths() {
        let (rows, cols, outs) = ([1i64, 2], [3i64], [0i64, 1]);
        let read = ChunkProjection {
            chunk: &[0, 0],
            chunk_dims: vec![DimSelection::Indices(&rows), DimSelection::Indices(&cols)],
            out_dims: vec![DimSelection::Indices(&outs)],
        };
        let err = chunk_task(&read, Mode::Pointwise, &[8, 8], &[4, 4], &[2]).unwrap_err();
        assert_eq!(err.status, crate::error::ZCF_STATUS_INVALID_SELECTION);
        let cols = [3i64, 0];
        let read = ChunkProjection {
            chunk_dims: vec![DimSelection::Indices(&rows), DimSelection::Indices(&cols)],
            ..read
        };
        let ChunkTask::Points(group) =
            chunk_task(&read, Mode::Pointwise, &[8, 8], &[4, 4], &[2]).unwrap()
        else {
            panic!("points")
        };
        assert_eq!(group.coords, [1, 3, 2, 0]);
        assert_eq!(group.outs, [0, 1]);
    }

    #[test]
    fn points_are_grouped_by_chunk() {
        let rows = [0, 7, 1, -1];
        let cols = [0, 7, 1, 0];
        let groups = group_points(&[&rows, &cols], &[8, 8], &[4, 4]).unwrap();
        let chunks: Vec<&[u64]> = groups.iter().map(|g| g.chunk.as_slice()).collect();
        assert_eq!(chunks, [&[0, 0][..], &[1, 0], &[1, 1]]);
        assert_eq!(groups[0].outs, [0, 2]);
        assert_eq!(groups[0].coords, [0, 0, 1, 1]);
        assert_eq!(groups[1].outs, [3]);
        assert_eq!(groups[2].coords, [3, 3]);
    }

    #[test]
    fn parts_split_into_the_blocks_they_touch() {
        let part = DimPart::Progression {
            first: 3,
            step: 2,
            len: 5,
            out_start: 10,
        };
        // indices 3 5 7 9 11 in blocks of 4: [3] [5 7] [9 11]
        assert_eq!(
            part.split_by(4),
            vec![
                (
                    0,
                    DimPart::Progression {
                        first: 3,
                        step: 2,
                        len: 1,
                        out_start: 10
                    }
                ),
                (
                    1,
                    DimPart::Progression {
                        first: 1,
                        step: 2,
                        len: 2,
                        out_start: 11
                    }
                ),
                (
                    2,
                    DimPart::Progression {
                        first: 1,
                        step: 2,
                        len: 2,
                        out_start: 13
                    }
                ),
            ]
        );
        let backwards = DimPart::Progression {
            first: 9,
            step: -3,
            len: 4,
            out_start: 0,
        };
        // indices 9 6 3 0 in blocks of 4: [9] [6] [3 0]
        assert_eq!(
            backwards.split_by(4),
            vec![
                (
                    2,
                    DimPart::Progression {
                        first: 1,
                        step: -3,
                        len: 1,
                        out_start: 0
                    }
                ),
                (
                    1,
                    DimPart::Progression {
                        first: 2,
                        step: -3,
                        len: 1,
                        out_start: 1
                    }
                ),
                (
                    0,
                    DimPart::Progression {
                        first: 3,
                        step: -3,
                        len: 2,
                        out_start: 2
                    }
                ),
            ]
        );
        let scattered = DimPart::Scattered(vec![(6, 0), (1, 1), (7, 2), (6, 3)]);
        assert_eq!(
            scattered.split_by(4),
            vec![
                (
                    0,
                    DimPart::Progression {
                        first: 1,
                        step: 1,
                        len: 1,
                        out_start: 1
                    }
                ),
                (1, DimPart::Scattered(vec![(2, 0), (3, 2), (2, 3)])),
            ]
        );
    }

    #[test]
    fn parts_know_when_they_cover_a_chunk_dimension() {
        let progression = |first, step, len| DimPart::Progression {
            first,
            step,
            len,
            out_start: 0,
        };
        assert!(progression(0, 1, 4).covers(4));
        assert!(progression(3, -1, 4).covers(4));
        assert!(progression(2, 7, 1).covers(1));
        assert!(!progression(0, 1, 3).covers(4));
        assert!(!progression(0, 2, 2).covers(4));
        assert!(DimPart::Scattered(vec![(1, 0), (0, 1), (1, 2)]).covers(2));
        assert!(!DimPart::Scattered(vec![(1, 0), (1, 1), (0, 2)]).covers(3));
        assert!(!DimPart::Scattered(vec![(0, 0), (1, 1)]).covers(3));
    }
}
