//! The stores arrays live in, behind zarrs' storage traits so that the engine and zarrs
//! see one type whatever the kind: today `local`, a directory with one file per key.

mod local;

use zarrs::storage::ReadableWritableListableStorageTraits;

pub use local::DirectoryStore;

/// A store of any kind, as arrays hold it (`Arc<Store>`).
pub type Store = dyn ReadableWritableListableStorageTraits;
