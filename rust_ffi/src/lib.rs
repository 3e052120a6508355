//! Read Zarr arrays into caller-owned memory, and write them from it, through a C ABI.
//!
//! `ffi` is the C boundary; everything behind it is safe Rust: `plan` (selections and
//! their mapping onto chunks), `engine` (the parallel chunk walk, and the reads and writes on it),
//! `array` (opening arrays), `store` (where chunks live), `data_type`, `pool` (the
//! worker threads) and `error` (statuses and messages).

pub mod array;
pub mod data_type;
pub mod engine;
pub mod error;
pub mod ffi;
pub mod plan;
pub mod pool;
pub mod store;
