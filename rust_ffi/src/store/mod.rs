//! The stores arrays live in. Today one kind: `local`, a directory with one file per key.

mod local;

pub use local::DirectoryStore;
