//! The selection structs of the C ABI and their conversion into the safe plan.

use super::{deref, slice};
use crate::error::{Error, Result};
use crate::plan::{ChunkProjection, DimSelection, Mode, Selection};

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
    /// End of a slice (exclusive; -1 with a negative step, to reach index 0).
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

/// A read (or write) whose per-chunk projections the caller computed, as zarr-python's
/// indexers do: for each of `num_chunks` chunks, its grid indices, the part of the chunk,
/// and where that part lies in the caller's buffer (the output of a read, the values of
/// a write). All arrays are laid out chunk by chunk.
#[repr(C)]
pub struct ZcfChunkProjections {
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

/// # Safety
/// `selection` must be NULL or valid as documented on `ZcfSelection`.
pub(super) unsafe fn selection_from_c<'a>(selection: *const ZcfSelection) -> Result<Selection<'a>> {
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

pub(super) fn mode_from_c(mode: i32) -> Result<Mode> {
    match mode {
        ZCF_MODE_ORTHOGONAL => Ok(Mode::Orthogonal),
        ZCF_MODE_POINTWISE => Ok(Mode::Pointwise),
        other => Err(Error::invalid_selection(format!(
            "unknown selection mode {other}"
        ))),
    }
}

/// Chunk projections as the C caller laid them out, borrowing its arrays.
pub(super) struct Projections<'a> {
    pub mode: Mode,
    pub projections: Vec<ChunkProjection<'a>>,
    /// The shape of the caller's buffer.
    pub buffer_shape: &'a [u64],
}

/// # Safety
/// `projections` must be NULL or valid as documented on `ZcfChunkProjections`, for an
/// array of `ndim` dimensions.
pub(super) unsafe fn projections_from_c<'a>(
    projections: *const ZcfChunkProjections,
    ndim: usize,
    name: &str,
) -> Result<Projections<'a>> {
    // SAFETY: forwarded to the caller.
    let c = unsafe { deref(projections, name) }?;
    let mode = mode_from_c(c.mode)?;
    let chunk_values = c
        .num_chunks
        .checked_mul(ndim)
        .ok_or_else(|| Error::invalid_selection("num_chunks overflows"))?;
    let out_values = c
        .num_chunks
        .checked_mul(c.out_ndim)
        .ok_or_else(|| Error::invalid_selection("num_chunks overflows"))?;
    // SAFETY: the pointers hold the documented numbers of values per the caller.
    let (chunk_indices, buffer_shape) = unsafe {
        (
            slice(c.chunk_indices, chunk_values, "chunk_indices")?,
            slice(c.out_shape, c.out_ndim, "out_shape")?,
        )
    };
    // SAFETY: as above.
    let chunk_dims = unsafe { dims_from_c(c.chunk_selections, chunk_values, "chunk_selections") }?;
    // SAFETY: as above.
    let out_dims = unsafe { dims_from_c(c.out_selections, out_values, "out_selections") }?;
    let projections = (0..c.num_chunks)
        .map(|chunk| ChunkProjection {
            chunk: &chunk_indices[chunk * ndim..(chunk + 1) * ndim],
            chunk_dims: chunk_dims[chunk * ndim..(chunk + 1) * ndim].to_vec(),
            out_dims: out_dims[chunk * c.out_ndim..(chunk + 1) * c.out_ndim].to_vec(),
        })
        .collect();
    Ok(Projections {
        mode,
        projections,
        buffer_shape,
    })
}
