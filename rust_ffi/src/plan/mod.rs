//! The selection plan: what to read or write, checked against the array, and mapped onto
//! its chunks (`chunks`). Reads and writes share it.
//!
//! A plan has one entry per array dimension. In orthogonal mode each entry selects
//! independently (like numpy basic indexing plus `oindex`), and the output has one
//! dimension per non-`Index` entry. In pointwise mode every entry is an index array of
//! the same length N and the output is the N elements at those coordinates (`vindex`).

use crate::error::{Error, Result};

mod chunks;

pub use chunks::{
    ChunkProjection, ChunkSpan, ChunkTask, DimChunkMap, DimPart, PointGroup, chunk_task,
    group_points, map_dim,
};

/// What one dimension of a plan selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DimSelection<'a> {
    /// The indices `start, start + step, ...` strictly before `stop`, with the semantics
    /// of Python's `range` (so `step` may be negative and `stop` may be -1).
    Slice { start: i64, stop: i64, step: i64 },
    /// One index, counted from the end when negative; the dimension is dropped.
    Index(i64),
    /// Any number of indices (unsorted, repeated), counted from the end when negative.
    Indices(&'a [i64]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Orthogonal,
    Pointwise,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection<'a> {
    pub mode: Mode,
    pub dims: Vec<DimSelection<'a>>,
}

impl<'a> Selection<'a> {
    /// The whole array.
    pub fn all(shape: &[u64]) -> Self {
        let dims = shape
            .iter()
            .map(|&len| DimSelection::Slice {
                start: 0,
                stop: i64::try_from(len).unwrap_or(i64::MAX),
                step: 1,
            })
            .collect();
        Self {
            mode: Mode::Orthogonal,
            dims,
        }
    }

    /// The box `start[i] .. start[i] + box_shape[i]` of an array of `array_shape`, as an
    /// orthogonal selection of unit-step slices that keeps every dimension.
    ///
    /// Unlike a slice, a box never clips: every axis needs `start + box_shape <= len`,
    /// even when the box is empty there, and sums that overflow are out of bounds too.
    pub fn from_box(start: &[u64], box_shape: &[u64], array_shape: &[u64]) -> Result<Self> {
        if start.len() != array_shape.len() || box_shape.len() != array_shape.len() {
            return Err(Error::invalid_selection(format!(
                "the box has {} start and {} shape values but the array has {} dimensions",
                start.len(),
                box_shape.len(),
                array_shape.len()
            )));
        }
        let dims = start
            .iter()
            .zip(box_shape)
            .zip(array_shape)
            .enumerate()
            .map(|(axis, ((&start, &extent), &len))| {
                let end = start.checked_add(extent).filter(|&end| end <= len);
                let Some(end) = end else {
                    return Err(Error::out_of_bounds(format!(
                        "box of size {extent} at {start} lies outside axis {axis} with size {len}"
                    )));
                };
                let (Ok(start), Ok(stop)) = (i64::try_from(start), i64::try_from(end)) else {
                    return Err(Error::invalid_selection(format!(
                        "box end {end} on axis {axis} is too large to address"
                    )));
                };
                Ok(DimSelection::Slice {
                    start,
                    stop,
                    step: 1,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            mode: Mode::Orthogonal,
            dims,
        })
    }

    /// The shape of the output this selection produces on an array of `shape`, checking
    /// everything that does not need the index values themselves.
    pub fn output_shape(&self, shape: &[u64]) -> Result<Vec<u64>> {
        self.check_ndim(shape)?;
        match self.mode {
            Mode::Orthogonal => {
                let mut out = Vec::with_capacity(self.dims.len());
                for (axis, (dim, &len)) in self.dims.iter().zip(shape).enumerate() {
                    match dim {
                        DimSelection::Slice { start, stop, step } => {
                            out.push(check_slice(*start, *stop, *step, len, axis)?.len);
                        }
                        DimSelection::Index(index) => {
                            normalize_index(*index, len, axis)?;
                        }
                        DimSelection::Indices(indices) => out.push(indices.len() as u64),
                    }
                }
                Ok(out)
            }
            Mode::Pointwise => {
                let mut points = None;
                for dim in &self.dims {
                    let DimSelection::Indices(indices) = dim else {
                        return Err(Error::invalid_selection(
                            "a pointwise selection takes an index array for every dimension",
                        ));
                    };
                    match points {
                        None => points = Some(indices.len()),
                        Some(n) if n != indices.len() => {
                            return Err(Error::invalid_selection(format!(
                                "the index arrays of a pointwise selection must have one length, \
                                 got {n} and {}",
                                indices.len()
                            )));
                        }
                        Some(_) => {}
                    }
                }
                // A zero-dimensional array has exactly one point.
                Ok(vec![points.unwrap_or(1) as u64])
            }
        }
    }

    fn check_ndim(&self, shape: &[u64]) -> Result<()> {
        if self.dims.len() == shape.len() {
            Ok(())
        } else {
            Err(Error::invalid_selection(format!(
                "the selection has {} dimensions but the array has {}",
                self.dims.len(),
                shape.len()
            )))
        }
    }
}

/// An arithmetic progression of in-bounds indices along one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progression {
    pub first: u64,
    pub step: i64,
    pub len: u64,
}

impl Progression {
    pub(crate) fn at(&self, k: u64) -> u64 {
        (i128::from(self.first) + i128::from(k) * i128::from(self.step)) as u64
    }
}

/// Checks a `range`-style slice against a dimension of length `len`.
pub fn check_slice(start: i64, stop: i64, step: i64, len: u64, axis: usize) -> Result<Progression> {
    if step == 0 {
        return Err(Error::invalid_selection(format!(
            "slice step cannot be zero (axis {axis})"
        )));
    }
    let (start, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let count = if step > 0 && start < stop {
        (stop - start - 1) / step + 1
    } else if step < 0 && start > stop {
        (start - stop - 1) / -step + 1
    } else {
        0
    };
    if count > 0 {
        let last = start + (count - 1) * step;
        let in_bounds = |index: i128| (0..i128::from(len)).contains(&index);
        if !in_bounds(start) || !in_bounds(last) {
            return Err(Error::out_of_bounds(format!(
                "slice {start}:{stop}:{step} selects indices outside axis {axis} with size {len}"
            )));
        }
    }
    Ok(Progression {
        first: if count > 0 { start as u64 } else { 0 },
        step: step as i64,
        len: count as u64,
    })
}

/// Turns a possibly negative index into an in-bounds position, numpy style.
pub fn normalize_index(index: i64, len: u64, axis: usize) -> Result<u64> {
    let wrapped = if index < 0 {
        i128::from(index) + i128::from(len)
    } else {
        i128::from(index)
    };
    if (0..i128::from(len)).contains(&wrapped) {
        Ok(wrapped as u64)
    } else {
        Err(Error::out_of_bounds(format!(
            "index {index} is out of bounds for axis {axis} with size {len}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_shape_drops_index_dimensions() {
        let indices = [1, 2, 3];
        let selection = Selection {
            mode: Mode::Orthogonal,
            dims: vec![
                DimSelection::Index(1),
                DimSelection::Slice {
                    start: 9,
                    stop: -1,
                    step: -2,
                },
                DimSelection::Indices(&indices),
            ],
        };
        assert_eq!(selection.output_shape(&[4, 10, 5]).unwrap(), [5, 3]);
        assert!(selection.output_shape(&[4, 10]).is_err());
    }

    #[test]
    fn boxes_become_unit_step_slices() {
        let selection = Selection::from_box(&[2, 0, 7], &[3, 0, 1], &[5, 4, 8]).unwrap();
        let slice = |start, stop| DimSelection::Slice {
            start,
            stop,
            step: 1,
        };
        assert_eq!(selection.mode, Mode::Orthogonal);
        assert_eq!(selection.dims, [slice(2, 5), slice(0, 0), slice(7, 8)]);
        assert_eq!(selection.output_shape(&[5, 4, 8]).unwrap(), [3, 0, 1]);
        let zero_dimensional = Selection::from_box(&[], &[], &[]).unwrap();
        assert_eq!(zero_dimensional.output_shape(&[]).unwrap(), [0u64; 0]);
    }

    #[test]
    fn boxes_never_reach_past_the_array() {
        let rejection = |start: &[u64], shape: &[u64], array: &[u64]| {
            Selection::from_box(start, shape, array)
                .map(|_| ())
                .unwrap_err()
        };
        let err = rejection(&[0, 3], &[1, 2], &[5, 4]);
        assert_eq!(err.status, crate::error::ZCF_STATUS_OUT_OF_BOUNDS);
        assert_eq!(
            err.message,
            "box of size 2 at 3 lies outside axis 1 with size 4"
        );
        // Empty boxes must still start inside the array (or at its end).
        assert!(Selection::from_box(&[4], &[0], &[4]).is_ok());
        let err = rejection(&[5], &[0], &[4]);
        assert_eq!(err.status, crate::error::ZCF_STATUS_OUT_OF_BOUNDS);
        let err = rejection(&[u64::MAX], &[2], &[u64::MAX]);
        assert_eq!(err.status, crate::error::ZCF_STATUS_OUT_OF_BOUNDS);
        let err = rejection(&[1 << 63], &[1], &[u64::MAX]);
        assert_eq!(err.status, crate::error::ZCF_STATUS_INVALID_SELECTION);
        let err = rejection(&[0], &[1, 1], &[4]);
        assert_eq!(err.status, crate::error::ZCF_STATUS_INVALID_SELECTION);
        let err = rejection(&[0, 0], &[1], &[4]);
        assert_eq!(err.status, crate::error::ZCF_STATUS_INVALID_SELECTION);
    }

    #[test]
    fn pointwise_requires_equal_length_index_arrays() {
        let (a, b) = ([1, 2], [3]);
        let selection = Selection {
            mode: Mode::Pointwise,
            dims: vec![DimSelection::Indices(&a), DimSelection::Indices(&b)],
        };
        assert_eq!(
            selection.output_shape(&[5, 5]).unwrap_err().status,
            crate::error::ZCF_STATUS_INVALID_SELECTION
        );
    }
}
