//! The store reads go through: zarrs' `FilesystemStore`, with every byte range checked
//! against the size of the file before it is read.
//!
//! A corrupt shard index can name any byte range, and `FilesystemStore` allocates a
//! buffer of the requested length before reading into it: a range of 2^60 bytes makes
//! the allocation fail, which aborts the process (Rust cannot recover from that). A range
//! that reaches past the end of the file is an error here instead, before any allocation.

use zarrs::filesystem::FilesystemStore;
use zarrs::storage::byte_range::{ByteRange, ByteRangeIterator, InvalidByteRangeError};
use zarrs::storage::{
    MaybeBytes, MaybeBytesIterator, ReadableStorageTraits, StorageError, StoreKey,
};

pub struct CheckedFilesystemStore(FilesystemStore);

impl CheckedFilesystemStore {
    pub fn new(store: FilesystemStore) -> Self {
        Self(store)
    }
}

/// Whether `range` lies inside a value of `size` bytes (without overflowing).
fn fits(range: ByteRange, size: u64) -> bool {
    match range {
        ByteRange::FromStart(offset, length) => offset
            .checked_add(length.unwrap_or(0))
            .is_some_and(|end| end <= size),
        ByteRange::Suffix(length) => length <= size,
    }
}

impl ReadableStorageTraits for CheckedFilesystemStore {
    fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        self.0.get(key)
    }

    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        let byte_ranges: Vec<ByteRange> = byte_ranges.collect();
        // A missing key passes through: the store reports it as absent.
        if let Some(size) = self.0.size_key(key)?
            && let Some(&bad) = byte_ranges.iter().find(|&&range| !fits(range, size))
        {
            // The error's message shows the range's end: keep that computable.
            let shown = match bad {
                ByteRange::FromStart(offset, Some(length))
                    if offset.checked_add(length).is_none() =>
                {
                    ByteRange::FromStart(offset, None)
                }
                other => other,
            };
            return Err(InvalidByteRangeError::new(shown, size).into());
        }
        self.0
            .get_partial_many(key, Box::new(byte_ranges.into_iter()))
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        self.0.size_key(key)
    }

    fn supports_get_partial(&self) -> bool {
        self.0.supports_get_partial()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_past_the_end_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("value"), [1u8, 2, 3, 4]).unwrap();
        let store = CheckedFilesystemStore::new(FilesystemStore::new(dir.path()).unwrap());
        let key = StoreKey::new("value").unwrap();
        let read = |range| store.get_partial(&key, range);
        assert_eq!(
            read(ByteRange::FromStart(1, Some(3)))
                .unwrap()
                .unwrap()
                .as_ref(),
            [2, 3, 4]
        );
        assert_eq!(
            read(ByteRange::Suffix(4)).unwrap().unwrap().as_ref(),
            [1, 2, 3, 4]
        );
        for bad in [
            ByteRange::FromStart(1, Some(4)),
            ByteRange::FromStart(5, None),
            ByteRange::FromStart(u64::MAX - 1, Some(4)),
            ByteRange::FromStart(0, Some(1 << 60)),
            ByteRange::Suffix(5),
        ] {
            assert!(matches!(
                read(bad),
                Err(StorageError::InvalidByteRangeError(_))
            ));
        }
        let missing = StoreKey::new("missing").unwrap();
        assert!(
            store
                .get_partial(&missing, ByteRange::Suffix(1 << 60))
                .unwrap()
                .is_none()
        );
    }
}
