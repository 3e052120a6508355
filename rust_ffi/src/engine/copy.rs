//! Element copies between a chunk (or a box of one) and the caller's buffer.
//!
//! A chunk part (one `DimPart` per dimension) pairs in-chunk positions with positions in
//! the caller's C-ordered buffer. `for_each_run` walks those pairs as byte runs: a read
//! copies each run from the decoded box to the buffer, a write the other way round.

use crate::error::Result;
use crate::plan::DimPart;

/// Calls `copy(box_offset, buffer_offset, len)` for every run of `len` bytes that the part
/// pairs: `box_offset` in a C-ordered box of `box_shape` whose first element is the
/// in-chunk position `lo`, `buffer_offset` in a C-ordered buffer of `buffer_extents`.
/// The innermost dimension is one run when it is a unit-step range (no per-element
/// bookkeeping: it may be a million elements long), else one run per element.
pub(super) fn for_each_run(
    parts: &[&DimPart],
    lo: &[u64],
    box_shape: &[u64],
    buffer_extents: &[u64],
    item: usize,
    mut copy: impl FnMut(usize, usize, usize) -> Result<()>,
) -> Result<()> {
    let Some(inner) = parts.len().checked_sub(1) else {
        return copy(0, 0, item);
    };
    let box_strides = c_strides(box_shape, item);
    let buffer_strides = c_strides(buffer_extents, item);
    // Per dimension, the (box, buffer) byte offset of each selected position.
    let offsets_of = |axis: usize| {
        let mut pairs = Vec::with_capacity(parts[axis].count() as usize);
        parts[axis].for_each(|index, position| {
            pairs.push((
                (index - lo[axis]) as usize * box_strides[axis],
                position as usize * buffer_strides[axis],
            ));
        });
        pairs
    };
    let offsets: Vec<Vec<(usize, usize)>> = (0..inner).map(offsets_of).collect();
    let inner_run = parts[inner].as_run().map(|(first, position)| {
        let bytes = parts[inner].count() as usize * item;
        (
            (first - lo[inner]) as usize * item,
            position as usize * item,
            bytes,
        )
    });
    let inner_pairs = if inner_run.is_some() {
        Vec::new()
    } else {
        offsets_of(inner)
    };
    let mut position = vec![0usize; inner];
    loop {
        let (box_base, buffer_base) = position
            .iter()
            .enumerate()
            .fold((0, 0), |(b, o), (axis, &k)| {
                (b + offsets[axis][k].0, o + offsets[axis][k].1)
            });
        if let Some((b, o, bytes)) = inner_run {
            copy(box_base + b, buffer_base + o, bytes)?;
        } else {
            for &(b, o) in &inner_pairs {
                copy(box_base + b, buffer_base + o, item)?;
            }
        }
        // Advance the odometer over the outer dimensions.
        let mut axis = inner;
        loop {
            if axis == 0 {
                return Ok(());
            }
            axis -= 1;
            position[axis] += 1;
            if position[axis] < offsets[axis].len() {
                break;
            }
            position[axis] = 0;
        }
    }
}

/// Whether a box with side lengths `lens` inside a C-ordered array of shape `extents` is a
/// single contiguous run of memory: after its first side longer than 1, every side spans
/// the whole array.
pub(super) fn is_contiguous_box(lens: &[u64], extents: &[u64]) -> bool {
    match lens.iter().position(|&len| len > 1) {
        Some(axis) => lens[axis + 1..] == extents[axis + 1..],
        None => true,
    }
}

/// Byte strides of a C-ordered array of `shape` with `item`-byte elements.
pub(super) fn c_strides(shape: &[u64], item: usize) -> Vec<usize> {
    let mut strides = vec![item; shape.len()];
    for axis in (0..shape.len().saturating_sub(1)).rev() {
        strides[axis] = strides[axis + 1] * shape[axis + 1] as usize;
    }
    strides
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_boxes_are_recognised() {
        assert!(is_contiguous_box(&[2, 10, 11], &[9, 10, 11]));
        assert!(is_contiguous_box(&[1, 1, 4], &[9, 10, 11]));
        assert!(is_contiguous_box(&[1, 3, 11], &[9, 10, 11]));
        assert!(is_contiguous_box(&[], &[]));
        assert!(!is_contiguous_box(&[2, 3, 11], &[9, 10, 11]));
        assert!(!is_contiguous_box(&[1, 3, 10], &[9, 10, 11]));
    }

    #[test]
    fn runs_pair_box_and_buffer_offsets() {
        // Rows 1 and 3 (landing at 0 and 1) and columns 2..4 (landing at 5..7) of a 4 x 5
        // box of 2-byte elements, into a 2 x 8 buffer.
        let rows = DimPart::Scattered(vec![(1, 0), (3, 1)]);
        let cols = DimPart::Progression {
            first: 2,
            step: 1,
            len: 2,
            out_start: 5,
        };
        let mut runs = Vec::new();
        for_each_run(
            &[&rows, &cols],
            &[0, 0],
            &[4, 5],
            &[2, 8],
            2,
            |b, o, len| {
                runs.push((b, o, len));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(runs, [(14, 10, 4), (34, 26, 4)]);
        // A strided innermost dimension copies element by element, relative to `lo`.
        let strided = DimPart::Progression {
            first: 1,
            step: 2,
            len: 2,
            out_start: 0,
        };
        let mut runs = Vec::new();
        for_each_run(&[&strided], &[1], &[3], &[2], 4, |b, o, len| {
            runs.push((b, o, len));
            Ok(())
        })
        .unwrap();
        assert_eq!(runs, [(0, 0, 4), (8, 4, 4)]);
    }
}
