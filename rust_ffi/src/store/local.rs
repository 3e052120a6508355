//! The store reads go through: a read-only view of a directory, one file per key.
//!
//! zarrs' `FilesystemStore` does not fit two of this library's promises. It allocates a
//! buffer of whatever length a byte range asks for before reading, so a corrupt shard
//! index claiming 2^60 bytes made the allocation fail, which aborts the process. And it
//! guards files with locks that a forked child inherits in whatever state the parent's
//! reading threads left them, so a child reading through an inherited handle could wait
//! forever. This store checks every byte range against the file's size before
//! allocating, and takes no locks at all (reads need none: writers replace files by
//! renaming, so an open file is always one whole version).

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use zarrs::storage::byte_range::{ByteRange, ByteRangeIterator, InvalidByteRangeError};
use zarrs::storage::{
    Bytes, MaybeBytes, MaybeBytesIterator, ReadableStorageTraits, StorageError, StoreKey,
};

pub struct DirectoryStore {
    root: PathBuf,
}

impl DirectoryStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &StoreKey) -> PathBuf {
        self.root.join(key.as_str())
    }
}

/// `Ok(None)` for a missing file, as stores report absent keys.
fn absent_if_missing<T>(result: std::io::Result<T>) -> Result<Option<T>, StorageError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The `(offset, length)` of `range` inside a value of `size` bytes, if it lies inside.
fn locate(range: ByteRange, size: u64) -> Option<(u64, u64)> {
    let (offset, length) = match range {
        ByteRange::FromStart(offset, Some(length)) => (offset, length),
        ByteRange::FromStart(offset, None) => (offset, size.checked_sub(offset)?),
        ByteRange::Suffix(length) => (size.checked_sub(length)?, length),
    };
    offset
        .checked_add(length)
        .filter(|&end| end <= size)
        .map(|_| (offset, length))
}

fn invalid_range(range: ByteRange, size: u64) -> StorageError {
    // The error's message shows the range's end: keep that computable.
    let shown = match range {
        ByteRange::FromStart(offset, Some(length)) if offset.checked_add(length).is_none() => {
            ByteRange::FromStart(offset, None)
        }
        other => other,
    };
    InvalidByteRangeError::new(shown, size).into()
}

impl ReadableStorageTraits for DirectoryStore {
    fn get(&self, key: &StoreKey) -> Result<MaybeBytes, StorageError> {
        Ok(absent_if_missing(std::fs::read(self.path(key)))?.map(Bytes::from))
    }

    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        let Some(file) = absent_if_missing(File::open(self.path(key)))? else {
            return Ok(None);
        };
        let size = file.metadata()?.len();
        let parts = byte_ranges
            .map(|range| {
                let (offset, length) =
                    locate(range, size).ok_or_else(|| invalid_range(range, size))?;
                // `length` is at most the file's size, so this allocation is sound.
                let mut buffer =
                    vec![0; usize::try_from(length).map_err(|_| invalid_range(range, size))?];
                file.read_exact_at(&mut buffer, offset)?;
                Ok(Bytes::from(buffer))
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(Some(Box::new(parts.into_iter().map(Ok))))
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, StorageError> {
        Ok(absent_if_missing(std::fs::metadata(self.path(key)))?.map(|m| m.len()))
    }

    fn supports_get_partial(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_past_the_end_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("value"), [1u8, 2, 3, 4]).unwrap();
        let store = DirectoryStore::new(dir.path());
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
            read(ByteRange::FromStart(3, None))
                .unwrap()
                .unwrap()
                .as_ref(),
            [4]
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
        assert_eq!(store.get(&key).unwrap().unwrap().as_ref(), [1, 2, 3, 4]);
        assert_eq!(store.size_key(&key).unwrap(), Some(4));
        let missing = StoreKey::new("missing").unwrap();
        assert!(store.get(&missing).unwrap().is_none());
        assert!(store.size_key(&missing).unwrap().is_none());
        assert!(
            store
                .get_partial(&missing, ByteRange::Suffix(1 << 60))
                .unwrap()
                .is_none()
        );
    }
}
