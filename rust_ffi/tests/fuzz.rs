//! Randomised tests of the C boundary: selection plans (for reads and writes) and corrupt
//! chunk bytes.
//!
//! Every call goes through the exported `zcf_*` functions with an output buffer framed by
//! guard bytes. Whatever the input, a call must return a documented status (never
//! `ZCF_STATUS_PANIC` or `ZCF_STATUS_INTERNAL`), must never touch the guard bytes, must
//! leave the output untouched when it rejects its arguments, and must produce exactly the
//! values a plain reference computation gives when it succeeds.
//!
//! `ZARRS_CFFI_FUZZ_ITERATIONS` sets the number of cases per test (default 300, a few
//! seconds); `ZARRS_CFFI_FUZZ_SEED` picks another sequence. A failure prints the seed and
//! the case number, so that `ZARRS_CFFI_FUZZ_SEED=<seed>` replays it.

use std::collections::BTreeSet;
use std::ffi::{CString, c_void};
use std::path::Path;
use std::sync::Arc;

use zarrs::array::Array;
use zarrs::filesystem::FilesystemStore;
use zarrs_cffi::error::{
    ZCF_STATUS_BUFFER_MISMATCH, ZCF_STATUS_DECODE, ZCF_STATUS_INVALID_METADATA,
    ZCF_STATUS_INVALID_SELECTION, ZCF_STATUS_IO, ZCF_STATUS_NULL_POINTER, ZCF_STATUS_OK,
    ZCF_STATUS_OUT_OF_BOUNDS,
};
use zarrs_cffi::ffi::{
    ZCF_DIM_INDEX, ZCF_DIM_INDICES, ZCF_DIM_SLICE, ZCF_MODE_ORTHOGONAL, ZCF_MODE_POINTWISE,
    ZcfArray, ZcfChunkProjections, ZcfDimSelection, ZcfSelection, zcf_array_free, zcf_array_open,
    zcf_array_open_writable, zcf_array_read, zcf_array_read_box, zcf_array_read_chunks,
    zcf_array_write,
};

const SHAPE: [u64; 3] = [9, 10, 11];
const CHUNKS: [u64; 3] = [4, 6, 5];
const ITEM: usize = 4;
const GUARD: usize = 64;
const GUARD_BYTE: u8 = 0xA5;

/// SplitMix64: a tiny, well-mixed generator, so a seed reproduces a run exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// Mostly values near the edges of a dimension, sometimes the extremes of i64.
    fn index(&mut self, len: u64) -> i64 {
        let len = len as i64;
        match self.below(10) {
            0 => [i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1][self.below(4) as usize],
            1 => len + self.below(3) as i64,
            2 => -len - 1 - self.below(3) as i64,
            _ => self.below(2 * len as u64 + 1) as i64 - len,
        }
    }
}

fn iterations() -> u64 {
    std::env::var("ZARRS_CFFI_FUZZ_ITERATIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("ZARRS_CFFI_FUZZ_SEED")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(0x5EED)
}

fn value(i: u64, j: u64, k: u64) -> i32 {
    (i * 110 + j * 11 + k) as i32
}

/// Chunk layouts written with zarrs; each stores the 9x10x11 int32 array `value`.
const LAYOUTS: [(&str, &str, &str); 5] = [
    (
        "zarr.json",
        "uncompressed",
        r#"{"zarr_format":3,"node_type":"array","shape":[9,10,11],"data_type":"int32",
        "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,6,5]}},
        "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},
        "fill_value":0,"codecs":[{"name":"bytes","configuration":{"endian":"little"}}]}"#,
    ),
    (
        "zarr.json",
        "zstd-crc32c",
        r#"{"zarr_format":3,"node_type":"array","shape":[9,10,11],"data_type":"int32",
        "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,6,5]}},
        "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},
        "fill_value":0,"codecs":[{"name":"bytes","configuration":{"endian":"little"}},
        {"name":"zstd","configuration":{"level":1,"checksum":false}},{"name":"crc32c"}]}"#,
    ),
    (
        "zarr.json",
        "sharded",
        r#"{"zarr_format":3,"node_type":"array","shape":[9,10,11],"data_type":"int32",
        "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,6,5]}},
        "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},
        "fill_value":0,"codecs":[{"name":"sharding_indexed","configuration":{
        "chunk_shape":[2,3,5],"index_location":"end",
        "codecs":[{"name":"bytes","configuration":{"endian":"little"}},
        {"name":"zstd","configuration":{"level":1,"checksum":false}}],
        "index_codecs":[{"name":"bytes","configuration":{"endian":"little"}}]}}]}"#,
    ),
    (
        "zarr.json",
        "sharded-crc32c",
        r#"{"zarr_format":3,"node_type":"array","shape":[9,10,11],"data_type":"int32",
        "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[4,6,5]}},
        "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},
        "fill_value":0,"codecs":[{"name":"sharding_indexed","configuration":{
        "chunk_shape":[2,3,5],"index_location":"start",
        "codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"crc32c"}],
        "index_codecs":[{"name":"bytes","configuration":{"endian":"little"}},
        {"name":"crc32c"}]}}]}"#,
    ),
    (
        ".zarray",
        "v2-blosc",
        r#"{"zarr_format":2,"shape":[9,10,11],"chunks":[4,6,5],"dtype":"<i4",
        "compressor":{"id":"blosc","cname":"lz4","clevel":5,"shuffle":1,"blocksize":0},
        "fill_value":0,"order":"C","filters":null}"#,
    ),
];

/// Writes the layout's metadata and every chunk into `dir`.
fn write_layout(dir: &Path, metadata_name: &str, metadata: &str) {
    std::fs::write(dir.join(metadata_name), metadata).unwrap();
    let store = Arc::new(FilesystemStore::new(dir).unwrap());
    let array = Array::open(store, "/").unwrap();
    let values: Vec<i32> = (0..990).collect();
    array
        .store_array_subset(&array.subset_all(), values)
        .unwrap();
}

/// A handle from `zcf_array_open`, freed on drop.
struct Handle(*mut ZcfArray);

impl Handle {
    fn open(dir: &Path) -> Self {
        let path = CString::new(dir.to_str().unwrap()).unwrap();
        let mut handle = std::ptr::null_mut();
        // SAFETY: a valid C string and a valid place for the handle.
        let status = unsafe { zcf_array_open(path.as_ptr(), &mut handle) };
        assert_eq!(status, ZCF_STATUS_OK);
        Self(handle)
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: a live handle from `zcf_array_open`, freed once.
        unsafe { zcf_array_free(self.0) };
    }
}

/// An output buffer of `len` bytes with guard bytes before and after it.
struct Guarded {
    bytes: Vec<u8>,
    len: usize,
}

impl Guarded {
    fn new(len: usize) -> Self {
        Self {
            bytes: vec![GUARD_BYTE; len + 2 * GUARD],
            len,
        }
    }

    fn out(&mut self) -> *mut c_void {
        self.bytes[GUARD..].as_mut_ptr().cast()
    }

    fn guards_intact(&self) -> bool {
        let (before, rest) = self.bytes.split_at(GUARD);
        let after = &rest[self.len..];
        before.iter().chain(after).all(|&b| b == GUARD_BYTE)
    }

    fn untouched(&self) -> bool {
        self.bytes.iter().all(|&b| b == GUARD_BYTE)
    }

    fn values(&self) -> Vec<i32> {
        self.bytes[GUARD..GUARD + self.len]
            .chunks_exact(ITEM)
            .map(|b| i32::from_ne_bytes(b.try_into().unwrap()))
            .collect()
    }
}

/// One random dimension of a plan, in C form, with the storage its indices point into.
struct RandomDim {
    kind: i32,
    start: i64,
    stop: i64,
    step: i64,
    indices: Vec<i64>,
    /// Pass NULL for `indices` while claiming `indices.len()` entries.
    null_indices: bool,
}

impl RandomDim {
    /// A dimension that is valid when `wild` is false (though its indices may still lie
    /// just outside the array), and anything at all when it is true.
    fn generate(rng: &mut Rng, len: u64, pointwise_points: Option<usize>, wild: bool) -> Self {
        let kind = match pointwise_points {
            Some(_) if !(wild && rng.chance(10)) => ZCF_DIM_INDICES,
            _ if wild && rng.chance(10) => [0, 4, -1, i32::MAX][rng.below(4) as usize],
            _ => [ZCF_DIM_SLICE, ZCF_DIM_SLICE, ZCF_DIM_INDEX, ZCF_DIM_INDICES]
                [rng.below(4) as usize],
        };
        let count = match pointwise_points {
            Some(points) if !(wild && rng.chance(10)) => points,
            _ => rng.below(12) as usize,
        };
        let index = |rng: &mut Rng| {
            if wild {
                rng.index(len)
            } else {
                rng.below(2 * len) as i64 - len as i64
            }
        };
        let (start, stop, step) = if wild {
            let step = match rng.below(10) {
                0 => 0,
                1 => [i64::MIN, i64::MAX][rng.below(2) as usize],
                _ => rng.below(9) as i64 - 4,
            };
            (rng.index(len), rng.index(len), step)
        } else {
            // Slices arrive as `slice.indices()` gives them: start inside, stop from -1.
            let step = [1, 1, 2, 3, -1, -2][rng.below(6) as usize];
            (rng.below(len) as i64, rng.below(len + 2) as i64 - 1, step)
        };
        Self {
            kind,
            start: if kind == ZCF_DIM_INDEX {
                index(rng)
            } else {
                start
            },
            stop,
            step,
            indices: (0..count).map(|_| index(rng)).collect(),
            null_indices: wild && count > 0 && rng.chance(5),
        }
    }

    fn to_c(&self) -> ZcfDimSelection {
        ZcfDimSelection {
            kind: self.kind,
            start: self.start,
            stop: self.stop,
            step: self.step,
            indices: if self.null_indices {
                std::ptr::null()
            } else {
                self.indices.as_ptr()
            },
            num_indices: self.indices.len(),
        }
    }
}

/// The reference: the positions one dimension selects (a dropped `ZCF_DIM_INDEX` selects
/// its one position), or the statuses this dimension justifies.
fn reference_positions(dim: &RandomDim, len: u64) -> Result<Vec<u64>, BTreeSet<i32>> {
    let in_bounds = |index: i128| (0..i128::from(len)).contains(&index);
    let wrap = |index: i64| {
        let index = i128::from(index) + if index < 0 { i128::from(len) } else { 0 };
        in_bounds(index).then_some(index as u64)
    };
    let mut errors = BTreeSet::new();
    if dim.null_indices && dim.kind == ZCF_DIM_INDICES {
        errors.insert(ZCF_STATUS_NULL_POINTER);
    }
    let positions = match dim.kind {
        ZCF_DIM_SLICE if dim.step == 0 => None,
        ZCF_DIM_SLICE => {
            // Python's range(start, stop, step), one index at a time (at most `len` are
            // in bounds, so the loop is short).
            let (mut at, stop, step) = (
                i128::from(dim.start),
                i128::from(dim.stop),
                i128::from(dim.step),
            );
            let mut positions = Vec::new();
            while (step > 0 && at < stop) || (step < 0 && at > stop) {
                if !in_bounds(at) {
                    errors.insert(ZCF_STATUS_OUT_OF_BOUNDS);
                    break;
                }
                positions.push(at as u64);
                at += step;
            }
            Some(positions)
        }
        ZCF_DIM_INDEX => wrap(dim.start).map(|index| vec![index]),
        ZCF_DIM_INDICES => dim.indices.iter().map(|&i| wrap(i)).collect(),
        _ => None,
    };
    match positions {
        Some(positions) if errors.is_empty() => Ok(positions),
        Some(_) => Err(errors),
        None => {
            errors.insert(match dim.kind {
                ZCF_DIM_INDEX | ZCF_DIM_INDICES => ZCF_STATUS_OUT_OF_BOUNDS,
                _ => ZCF_STATUS_INVALID_SELECTION,
            });
            Err(errors)
        }
    }
}

/// The values a plan reads from `value`, or the statuses that may reject it.
fn reference_read(mode: i32, dims: &[RandomDim]) -> Result<Vec<i32>, BTreeSet<i32>> {
    let mut errors = BTreeSet::new();
    if dims.len() != SHAPE.len() || ![ZCF_MODE_ORTHOGONAL, ZCF_MODE_POINTWISE].contains(&mode) {
        errors.insert(ZCF_STATUS_INVALID_SELECTION);
    }
    if mode == ZCF_MODE_POINTWISE {
        let lengths: BTreeSet<usize> = dims.iter().map(|d| d.indices.len()).collect();
        if lengths.len() > 1 || dims.iter().any(|d| d.kind != ZCF_DIM_INDICES) {
            errors.insert(ZCF_STATUS_INVALID_SELECTION);
        }
    }
    let mut axes = Vec::new();
    for (axis, dim) in dims.iter().enumerate() {
        // Plans with too many dimensions are checked all the same (for NULL pointers).
        match reference_positions(dim, SHAPE[axis.min(2)]) {
            Ok(positions) => axes.push(positions),
            Err(dim_errors) => errors.extend(dim_errors),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if mode == ZCF_MODE_POINTWISE {
        return Ok((0..axes[0].len())
            .map(|n| value(axes[0][n], axes[1][n], axes[2][n]))
            .collect());
    }
    // C order over the kept dimensions; a dropped dimension has one position.
    let mut values = Vec::new();
    for &i in &axes[0] {
        for &j in &axes[1] {
            for &k in &axes[2] {
                values.push(value(i, j, k));
            }
        }
    }
    Ok(values)
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                files.push((path, bytes));
            }
        }
    }
    files.sort();
    files
}

/// Runs `case` for every iteration with its own generator, naming the case on failure.
fn for_each_case(test: &str, mut case: impl FnMut(&mut Rng)) {
    let seed = seed();
    for iteration in 0..iterations() {
        let mut rng = Rng(seed ^ iteration.wrapping_mul(0xD1B5_4A32_D192_ED03));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(&mut rng)));
        if let Err(panic) = outcome {
            eprintln!("{test}: case {iteration} failed (ZARRS_CFFI_FUZZ_SEED={seed})");
            std::panic::resume_unwind(panic);
        }
    }
    eprintln!("{test}: {} cases passed (seed {seed})", iterations());
}

#[test]
fn random_plans_are_rejected_or_read_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (name, _, metadata) = LAYOUTS[2];
    write_layout(dir.path(), name, metadata);
    let handle = Handle::open(dir.path());
    let mut successes = 0;
    for_each_case("random plans", |rng| {
        let wild = rng.chance(40);
        let mode = match rng.below(20) {
            0 if wild => [0, 3, -1][rng.below(3) as usize],
            0..=6 => ZCF_MODE_POINTWISE,
            _ => ZCF_MODE_ORTHOGONAL,
        };
        let ndim = if wild && rng.chance(10) {
            rng.below(5) as usize
        } else {
            3
        };
        let points = (mode == ZCF_MODE_POINTWISE).then(|| rng.below(10) as usize);
        let dims: Vec<RandomDim> = (0..ndim)
            .map(|axis| RandomDim::generate(rng, SHAPE[axis.min(2)], points, wild))
            .collect();
        let c_dims: Vec<ZcfDimSelection> = dims.iter().map(RandomDim::to_c).collect();
        let selection = ZcfSelection {
            mode,
            ndim,
            dims: c_dims.as_ptr(),
        };
        let reference = reference_read(mode, &dims);
        let expected_len = reference.as_ref().map_or(0, |values| values.len() * ITEM);
        let len = match rng.below(if wild { 10 } else { 40 }) {
            0 => expected_len + 1 + rng.below(8) as usize,
            1 => expected_len.saturating_sub(1 + rng.below(8) as usize),
            _ => expected_len,
        };
        let mut out = Guarded::new(len);
        // SAFETY: every pointer is valid for the count it comes with, except the
        // deliberately NULL ones, which must be reported.
        let status = unsafe { zcf_array_read(handle.0, &selection, out.out(), len) };
        assert!(
            out.guards_intact(),
            "status {status}: guard bytes overwritten"
        );
        match reference {
            Ok(values) if len == values.len() * ITEM => {
                assert_eq!(status, ZCF_STATUS_OK);
                assert_eq!(out.values(), values);
                successes += 1;
            }
            Ok(_) => {
                assert_eq!(status, ZCF_STATUS_BUFFER_MISMATCH);
                assert!(out.untouched());
            }
            Err(errors) => {
                // The output size is unknown when the plan is invalid, so a length
                // mismatch may be reported first.
                assert!(
                    errors.contains(&status) || status == ZCF_STATUS_BUFFER_MISMATCH,
                    "status {status}, expected one of {errors:?}"
                );
                assert!(out.untouched());
            }
        }
    });
    eprintln!("random plans: {successes} of them read values");
    // The generator must reach the read itself, not only the argument checks.
    assert!(
        successes * 10 >= iterations(),
        "only {successes} plans read"
    );
}

#[test]
fn random_write_plans_change_nothing_or_write_exactly() {
    for (name, layout, metadata) in LAYOUTS {
        random_writes(name, layout, metadata);
    }
}

/// Random writes into one layout: each rejected or applied exactly, checked against a model.
fn random_writes(name: &str, layout: &str, metadata: &str) {
    let dir = tempfile::tempdir().unwrap();
    write_layout(dir.path(), name, metadata);
    let path = CString::new(dir.path().to_str().unwrap()).unwrap();
    let mut handle = std::ptr::null_mut();
    // SAFETY: a valid C string, no metadata document, and a valid place for the handle.
    let status = unsafe { zcf_array_open_writable(path.as_ptr(), std::ptr::null(), &mut handle) };
    assert_eq!(status, ZCF_STATUS_OK);
    let handle = Handle(handle);
    let mut model: Vec<i32> = (0..990).collect();
    let mut successes = 0;
    for_each_case(&format!("random write plans ({layout})"), |rng| {
        let wild = rng.chance(40);
        let mode = match rng.below(20) {
            0 if wild => [0, 3, -1][rng.below(3) as usize],
            0..=6 => ZCF_MODE_POINTWISE,
            _ => ZCF_MODE_ORTHOGONAL,
        };
        let ndim = if wild && rng.chance(10) {
            rng.below(5) as usize
        } else {
            3
        };
        let points = (mode == ZCF_MODE_POINTWISE).then(|| rng.below(10) as usize);
        let dims: Vec<RandomDim> = (0..ndim)
            .map(|axis| RandomDim::generate(rng, SHAPE[axis.min(2)], points, wild))
            .collect();
        let c_dims: Vec<ZcfDimSelection> = dims.iter().map(RandomDim::to_c).collect();
        let selection = ZcfSelection {
            mode,
            ndim,
            dims: c_dims.as_ptr(),
        };
        // The reference read gives the selected positions' count and order.
        let reference = reference_read(mode, &dims);
        let count = reference.as_ref().map_or(0, Vec::len);
        let one_value = rng.chance(15);
        let len = match rng.below(if wild { 10 } else { 40 }) {
            0 => count * ITEM + 1 + rng.below(8) as usize,
            1 => (count * ITEM).saturating_sub(1 + rng.below(8) as usize),
            _ if one_value => ITEM,
            _ => count * ITEM,
        };
        let values: Vec<i32> = (0..len.div_ceil(ITEM)).map(|_| rng.next() as i32).collect();
        let before = snapshot(dir.path());
        // SAFETY: every pointer is valid for the count it comes with, except the
        // deliberately NULL ones, which must be reported; `values` holds `len` bytes.
        let status =
            unsafe { zcf_array_write(handle.0, &selection, values.as_ptr().cast(), len, 0) };
        let accepted = match &reference {
            Ok(positions) => len == positions.len() * ITEM || len == ITEM,
            Err(_) => false,
        };
        if !accepted {
            match &reference {
                Ok(_) => assert_eq!(status, ZCF_STATUS_BUFFER_MISMATCH),
                Err(errors) => assert!(
                    errors.contains(&status) || status == ZCF_STATUS_BUFFER_MISMATCH,
                    "status {status}, expected one of {errors:?}"
                ),
            }
            assert!(
                snapshot(dir.path()) == before,
                "a rejected write changed the store"
            );
            return;
        }
        assert_eq!(status, ZCF_STATUS_OK);
        successes += 1;
        // Apply the write to the model: positions in the order the values come, the
        // last value given for a position winning.
        let mut axes = Vec::new();
        for (axis, dim) in dims.iter().enumerate() {
            axes.push(reference_positions(dim, SHAPE[axis]).unwrap());
        }
        let mut targets = Vec::new();
        if mode == ZCF_MODE_POINTWISE {
            targets.extend(
                axes[0]
                    .iter()
                    .zip(&axes[1])
                    .zip(&axes[2])
                    .map(|((&i, &j), &k)| (i, j, k)),
            );
        } else {
            for &i in &axes[0] {
                for &j in &axes[1] {
                    for &k in &axes[2] {
                        targets.push((i, j, k));
                    }
                }
            }
        }
        for (n, (i, j, k)) in targets.into_iter().enumerate() {
            let value = if len == ITEM && count != 1 {
                values[0]
            } else {
                values[n]
            };
            model[(i * 110 + j * 11 + k) as usize] = value;
        }
        let mut out = Guarded::new(990 * ITEM);
        let all = [(0u64, 9u64), (0, 10), (0, 11)];
        let start: Vec<u64> = all.iter().map(|r| r.0).collect();
        let shape: Vec<u64> = all.iter().map(|r| r.1).collect();
        // SAFETY: valid box arrays and an output of exactly the array's size.
        let status = unsafe {
            zcf_array_read_box(
                handle.0,
                start.as_ptr(),
                shape.as_ptr(),
                3,
                out.out(),
                990 * ITEM,
            )
        };
        assert_eq!(status, ZCF_STATUS_OK);
        assert_eq!(out.values(), model);
    });
    eprintln!("random write plans ({layout}): {successes} of them wrote values");
    assert!(
        successes * 10 >= iterations(),
        "only {successes} plans wrote"
    );
}

#[test]
fn random_boxes_are_rejected_or_read_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (name, _, metadata) = LAYOUTS[1];
    write_layout(dir.path(), name, metadata);
    let handle = Handle::open(dir.path());
    for_each_case("random boxes", |rng| {
        let pick = |rng: &mut Rng, len: u64| match rng.below(8) {
            0 => [u64::MAX, u64::MAX - 1, i64::MAX as u64, 1 << 63][rng.below(4) as usize],
            1 => len + rng.below(3),
            _ => rng.below(len + 1),
        };
        let start: Vec<u64> = SHAPE.iter().map(|&len| pick(rng, len)).collect();
        let shape: Vec<u64> = SHAPE.iter().map(|&len| pick(rng, len)).collect();
        let inside = start
            .iter()
            .zip(&shape)
            .zip(&SHAPE)
            .all(|((&s, &n), &len)| s.checked_add(n).is_some_and(|end| end <= len));
        let elements = shape
            .iter()
            .try_fold(1u64, |acc, &n| acc.checked_mul(n))
            .unwrap_or(u64::MAX);
        let len = if inside {
            elements as usize * ITEM
        } else {
            rng.below(4096) as usize
        };
        let mut out = Guarded::new(len);
        // SAFETY: `start` and `shape` hold three values; `out` is valid for `len` bytes.
        let status = unsafe {
            zcf_array_read_box(handle.0, start.as_ptr(), shape.as_ptr(), 3, out.out(), len)
        };
        assert!(
            out.guards_intact(),
            "status {status}: guard bytes overwritten"
        );
        if inside {
            assert_eq!(status, ZCF_STATUS_OK);
            let mut expected = Vec::new();
            for i in start[0]..start[0] + shape[0] {
                for j in start[1]..start[1] + shape[1] {
                    for k in start[2]..start[2] + shape[2] {
                        expected.push(value(i, j, k));
                    }
                }
            }
            assert_eq!(out.values(), expected);
        } else {
            assert_eq!(status, ZCF_STATUS_OUT_OF_BOUNDS);
            assert!(out.untouched());
        }
    });
}

#[test]
fn random_chunk_reads_never_write_outside_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let (name, _, metadata) = LAYOUTS[0];
    write_layout(dir.path(), name, metadata);
    let handle = Handle::open(dir.path());
    for_each_case("random chunk reads", |rng| {
        let wild = rng.chance(40);
        let mode = if rng.chance(30) {
            ZCF_MODE_POINTWISE
        } else {
            ZCF_MODE_ORTHOGONAL
        };
        let out_ndim = if mode == ZCF_MODE_POINTWISE {
            1
        } else {
            rng.below(4) as usize
        };
        let out_shape: Vec<u64> = (0..out_ndim).map(|_| rng.below(12)).collect();
        let num_chunks = rng.below(4) as usize;
        let points = (mode == ZCF_MODE_POINTWISE).then(|| rng.below(6) as usize);
        let mut chunk_indices = Vec::new();
        let mut chunk_dims = Vec::new();
        let mut out_dims = Vec::new();
        for _ in 0..num_chunks {
            for axis in 0..3 {
                chunk_indices.push(match rng.below(10) {
                    0 => u64::MAX,
                    1 => rng.below(4),
                    _ => rng.below(SHAPE[axis].div_ceil(CHUNKS[axis])),
                });
                chunk_dims.push(RandomDim::generate(rng, CHUNKS[axis], points, wild));
            }
            for &len in &out_shape {
                out_dims.push(RandomDim::generate(rng, len.max(1), points, wild));
            }
        }
        let c_chunk_dims: Vec<ZcfDimSelection> = chunk_dims.iter().map(RandomDim::to_c).collect();
        let c_out_dims: Vec<ZcfDimSelection> = out_dims.iter().map(RandomDim::to_c).collect();
        let reads = ZcfChunkProjections {
            mode,
            num_chunks,
            chunk_indices: chunk_indices.as_ptr(),
            chunk_selections: c_chunk_dims.as_ptr(),
            out_ndim,
            out_shape: out_shape.as_ptr(),
            out_selections: c_out_dims.as_ptr(),
        };
        let elements: u64 = out_shape.iter().product();
        let len = if rng.chance(90) {
            elements as usize * ITEM
        } else {
            rng.below(64) as usize
        };
        let mut out = Guarded::new(len);
        let mut missing = vec![7u8; num_chunks + GUARD];
        // SAFETY: every pointer is valid for the count it comes with, except the
        // deliberately NULL index arrays, which must be reported.
        let status = unsafe {
            zcf_array_read_chunks(handle.0, &reads, out.out(), len, missing.as_mut_ptr())
        };
        assert!(
            out.guards_intact(),
            "status {status}: guard bytes overwritten"
        );
        assert!(missing[num_chunks..].iter().all(|&b| b == 7));
        assert!(
            [
                ZCF_STATUS_OK,
                ZCF_STATUS_NULL_POINTER,
                ZCF_STATUS_INVALID_SELECTION,
                ZCF_STATUS_OUT_OF_BOUNDS,
                ZCF_STATUS_BUFFER_MISMATCH,
            ]
            .contains(&status),
            "unexpected status {status}"
        );
        if status != ZCF_STATUS_OK {
            assert!(out.untouched(), "status {status} but the output changed");
        }
    });
}

/// One way of damaging a chunk file.
fn mutate(rng: &mut Rng, raw: &[u8]) -> Vec<u8> {
    let mut bytes = raw.to_vec();
    match rng.below(8) {
        0 => bytes.truncate(rng.below(raw.len() as u64) as usize),
        1 => {
            for _ in 0..=rng.below(4) {
                let at = rng.below(bytes.len() as u64) as usize;
                bytes[at] ^= 1 << rng.below(8);
            }
        }
        2 => {
            let at = rng.below(bytes.len() as u64) as usize;
            let end = (at + 1 + rng.below(16) as usize).min(bytes.len());
            bytes[at..end]
                .iter_mut()
                .for_each(|b| *b = rng.next() as u8);
        }
        3 => bytes.extend((0..=rng.below(64)).map(|_| rng.next() as u8)),
        4 => {
            bytes = (0..rng.below(2 * raw.len() as u64))
                .map(|_| rng.next() as u8)
                .collect()
        }
        5 => bytes.clear(),
        // A shard index sits at the start or the end: overwrite 8 bytes there with a
        // large offset or length.
        6 => {
            let at = if rng.chance(50) {
                rng.below(16) as usize
            } else {
                bytes.len().saturating_sub(8 + rng.below(24) as usize)
            };
            let end = (at + 8).min(bytes.len());
            let huge = [u64::MAX, u64::MAX - 1, 1 << 40, raw.len() as u64][rng.below(4) as usize];
            bytes[at..end].copy_from_slice(&huge.to_le_bytes()[..end - at]);
        }
        _ => {
            let at = rng.below(bytes.len() as u64) as usize;
            bytes.insert(at, rng.next() as u8);
        }
    }
    bytes
}

/// A random read of the whole array, a box, a strided box or some points, mostly
/// starting inside chunk `focus`.
fn random_read(rng: &mut Rng, focus: [u64; 3]) -> (i32, Vec<RandomDim>) {
    let near = |rng: &mut Rng, axis: usize| {
        let origin = focus[axis] * CHUNKS[axis];
        if rng.chance(60) {
            origin + rng.below(CHUNKS[axis].min(SHAPE[axis] - origin))
        } else {
            rng.below(SHAPE[axis])
        }
    };
    let mut dims = Vec::new();
    let mode = if rng.chance(25) {
        let points = 1 + rng.below(8) as usize;
        for axis in 0..3 {
            let indices = (0..points).map(|_| near(rng, axis) as i64).collect();
            dims.push(RandomDim {
                kind: ZCF_DIM_INDICES,
                start: 0,
                stop: 0,
                step: 1,
                indices,
                null_indices: false,
            });
        }
        ZCF_MODE_POINTWISE
    } else {
        for (axis, &len) in SHAPE.iter().enumerate() {
            let (start, stop) = match rng.below(3) {
                0 => (0, len as i64),
                _ => {
                    let a = near(rng, axis);
                    (a as i64, (a + 1 + rng.below(len - a)) as i64)
                }
            };
            dims.push(RandomDim {
                kind: ZCF_DIM_SLICE,
                start,
                stop,
                step: if rng.chance(20) { 2 } else { 1 },
                indices: Vec::new(),
                null_indices: false,
            });
        }
        ZCF_MODE_ORTHOGONAL
    };
    (mode, dims)
}

/// The element coordinates a valid read visits, in output order.
fn read_coordinates(mode: i32, dims: &[RandomDim]) -> Vec<[u64; 3]> {
    if mode == ZCF_MODE_POINTWISE {
        return (0..dims[0].indices.len())
            .map(|n| [0, 1, 2].map(|axis| dims[axis].indices[n] as u64))
            .collect();
    }
    let axes: Vec<Vec<u64>> = dims
        .iter()
        .map(|d| {
            (d.start..d.stop)
                .step_by(d.step as usize)
                .map(|i| i as u64)
                .collect()
        })
        .collect();
    let mut coordinates = Vec::new();
    for &i in &axes[0] {
        for &j in &axes[1] {
            for &k in &axes[2] {
                coordinates.push([i, j, k]);
            }
        }
    }
    coordinates
}

#[test]
fn corrupt_chunks_fail_cleanly_or_read_correctly() {
    for (layout, (name, label, metadata)) in LAYOUTS.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        write_layout(dir.path(), name, metadata);
        let handle = Handle::open(dir.path());
        let (key, chunk) = if *name == ".zarray" {
            ("1.0.1", [1, 0, 1])
        } else {
            ("c/1/0/1", [1, 0, 1])
        };
        let chunk_path = dir.path().join(key);
        let raw = std::fs::read(&chunk_path).unwrap();
        let checksummed = label.contains("crc32c");
        let mut failures = 0;
        for_each_case(label, |rng| {
            let bytes = mutate(rng, &raw);
            std::fs::write(&chunk_path, &bytes).unwrap();
            let (mode, dims) = random_read(rng, chunk);
            let c_dims: Vec<ZcfDimSelection> = dims.iter().map(RandomDim::to_c).collect();
            let selection = ZcfSelection {
                mode,
                ndim: 3,
                dims: c_dims.as_ptr(),
            };
            let coordinates = read_coordinates(mode, &dims);
            let len = coordinates.len() * ITEM;
            let mut out = Guarded::new(len);
            // SAFETY: the selection's pointers are valid; `out` holds `len` bytes.
            let status = unsafe { zcf_array_read(handle.0, &selection, out.out(), len) };
            assert!(out.guards_intact(), "{label}: guard bytes overwritten");
            let in_damaged_chunk =
                |c: &[u64; 3]| (0..3).all(|axis| c[axis] / CHUNKS[axis] == chunk[axis]);
            match status {
                ZCF_STATUS_OK => {
                    for (got, c) in out.values().iter().zip(&coordinates) {
                        // Without a checksum, damage that still decodes goes unnoticed;
                        // every other element must be exact.
                        if checksummed || !in_damaged_chunk(c) || bytes == raw {
                            assert_eq!(*got, value(c[0], c[1], c[2]), "{label} at {c:?}");
                        }
                    }
                }
                ZCF_STATUS_DECODE | ZCF_STATUS_INVALID_METADATA | ZCF_STATUS_IO => {
                    failures += 1;
                    assert!(
                        coordinates.iter().any(in_damaged_chunk),
                        "{label}: a read that avoids the damaged chunk failed"
                    );
                }
                other => panic!("{label}: unexpected status {other}"),
            }
        });
        assert!(
            failures > 0,
            "layout {layout} ({label}): no damage detected"
        );
        std::fs::write(&chunk_path, &raw).unwrap();
    }
}
