//! A directory with one file per key: the local store reads and writes go through.
//!
//! zarrs' `FilesystemStore` does not fit four of this library's promises. It allocates a
//! buffer of whatever length a byte range asks for before reading, so a corrupt shard
//! index claiming 2^60 bytes made the allocation fail, which aborts the process. And it
//! guards files with locks that a forked child inherits in whatever state the parent's
//! reading threads left them, so a child reading through an inherited handle could wait
//! forever. And it writes values in place, so a reader (or a writer killed midway) can
//! see half a chunk. And it opens whatever is at a key's path, so a named pipe there blocks
//! a read forever. This store refuses every path that is not a regular file before
//! reading, checks every byte range against the file's size before allocating, writes
//! every value to a temporary file beside its key and renames it into place, and takes no
//! locks at all: an open file is always one whole version, old or new.

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use zarrs::storage::byte_range::{ByteRange, ByteRangeIterator, InvalidByteRangeError};
use zarrs::storage::{
    Bytes, ListableStorageTraits, MaybeBytes, MaybeBytesIterator, OffsetBytesIterator,
    ReadableStorageTraits, StorageError, StoreKey, StoreKeys, StoreKeysPrefixes, StorePrefix,
    WritableStorageTraits, store_set_partial_many,
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

    fn prefix_path(&self, prefix: &StorePrefix) -> PathBuf {
        self.root.join(prefix.as_str())
    }

    /// The keys of the files below `dir` (the directory of `prefix`), sorted.
    fn keys_below(&self, dir: &Path, prefix: &str) -> Result<StoreKeys, StorageError> {
        let mut keys = Vec::new();
        let mut pending = vec![(dir.to_path_buf(), prefix.to_owned())];
        while let Some((dir, prefix)) = pending.pop() {
            let Some(entries) = absent_if_missing(std::fs::read_dir(&dir))? else {
                continue;
            };
            for entry in entries {
                let entry = entry?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                if is_temporary(&name) {
                    continue;
                }
                if entry.file_type()?.is_dir() {
                    pending.push((entry.path(), format!("{prefix}{name}/")));
                } else if let Ok(key) = StoreKey::new(format!("{prefix}{name}")) {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}

/// Temporary files are named `<name>.<TEMPORARY_MARK>-<pid>-<n>` next to the key they
/// replace. Listings skip them: one left behind by a killed writer is not a key.
const TEMPORARY_MARK: &str = "zcf-partial";

fn is_temporary(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, suffix)| suffix.starts_with(TEMPORARY_MARK))
}

/// Writes `value` to `path` atomically: to a temporary file in the same directory, then
/// renamed over `path`. A reader sees the old file or the new one, never a mix; a process
/// killed before the rename leaves the old file (and a temporary file nobody reads).
fn write_atomically(path: &Path, value: &[u8]) -> std::io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let parent = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .ok_or_else(|| std::io::Error::new(ErrorKind::InvalidInput, "a key needs a file name"))?;
    let temporary = parent.join(format!(
        "{name}.{TEMPORARY_MARK}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = std::fs::create_dir_all(parent).and_then(|()| {
        let mut file = File::create(&temporary)?;
        file.write_all(value)?;
        std::fs::rename(&temporary, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Opens the file of a key for reading, or `None` if there is none. Only regular files
/// (or symbolic links to them) are values: a named pipe, socket or device at a key's path
/// is refused before a byte is read, since reading one could block forever (a pipe with
/// no writer) or never end (`/dev/zero`). The file is opened without blocking so that
/// even opening a pipe returns at once.
fn open_regular(path: &Path) -> Result<Option<(File, u64)>, StorageError> {
    let Some(file) = absent_if_missing(
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path),
    )?
    else {
        return Ok(None);
    };
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(not_a_regular_file(path));
    }
    Ok(Some((file, metadata.len())))
}

fn not_a_regular_file(path: &Path) -> StorageError {
    StorageError::Other(format!(
        "'{}' is not a regular file (a pipe, socket, device or directory cannot hold a \
         Zarr value)",
        path.display()
    ))
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
        let Some((mut file, size)) = open_regular(&self.path(key))? else {
            return Ok(None);
        };
        // The size only sizes the buffer; a file that grows meanwhile is read whole.
        let mut buffer = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        std::io::Read::read_to_end(&mut file, &mut buffer)?;
        Ok(Some(Bytes::from(buffer)))
    }

    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, StorageError> {
        let Some((file, size)) = open_regular(&self.path(key))? else {
            return Ok(None);
        };
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
        let path = self.path(key);
        match absent_if_missing(std::fs::metadata(&path))? {
            Some(metadata) if !metadata.is_file() => Err(not_a_regular_file(&path)),
            metadata => Ok(metadata.map(|m| m.len())),
        }
    }

    fn supports_get_partial(&self) -> bool {
        true
    }
}

impl WritableStorageTraits for DirectoryStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), StorageError> {
        Ok(write_atomically(&self.path(key), &value)?)
    }

    fn set_partial_many(
        &self,
        key: &StoreKey,
        offset_values: OffsetBytesIterator,
    ) -> Result<(), StorageError> {
        // Read, patch and replace the whole value, so that the update is atomic too.
        store_set_partial_many(self, key, offset_values)
    }

    fn erase(&self, key: &StoreKey) -> Result<(), StorageError> {
        absent_if_missing(std::fs::remove_file(self.path(key))).map(|_| ())
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), StorageError> {
        let path = self.prefix_path(prefix);
        absent_if_missing(std::fs::remove_dir_all(path)).map(|_| ())
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}

impl ListableStorageTraits for DirectoryStore {
    fn list(&self) -> Result<StoreKeys, StorageError> {
        self.list_prefix(&StorePrefix::root())
    }

    fn list_prefix(&self, prefix: &StorePrefix) -> Result<StoreKeys, StorageError> {
        self.keys_below(&self.prefix_path(prefix), prefix.as_str())
    }

    fn list_dir(&self, prefix: &StorePrefix) -> Result<StoreKeysPrefixes, StorageError> {
        let mut keys = Vec::new();
        let mut prefixes = Vec::new();
        if let Some(entries) = absent_if_missing(std::fs::read_dir(self.prefix_path(prefix)))? {
            for entry in entries {
                let entry = entry?;
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    continue;
                };
                if is_temporary(&name) {
                    continue;
                }
                if entry.file_type()?.is_dir() {
                    prefixes.push(StorePrefix::new(format!("{}{name}/", prefix.as_str()))?);
                } else {
                    keys.push(StoreKey::new(format!("{}{name}", prefix.as_str()))?);
                }
            }
        }
        keys.sort();
        prefixes.sort();
        Ok(StoreKeysPrefixes::new(keys, prefixes))
    }

    fn size_prefix(&self, prefix: &StorePrefix) -> Result<u64, StorageError> {
        let mut size = 0;
        for key in self.list_prefix(prefix)? {
            size += self.size_key(&key)?.unwrap_or(0);
        }
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_are_not_regular_files_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero")).unwrap();
        std::fs::create_dir(dir.path().join("dir")).unwrap();
        let store = DirectoryStore::new(dir.path());
        for name in ["fifo", "zero", "dir"] {
            let key = StoreKey::new(name).unwrap();
            for result in [
                store.get(&key).map(|_| ()),
                store
                    .get_partial(&key, ByteRange::FromStart(0, Some(1)))
                    .map(|_| ()),
                store.size_key(&key).map(|_| ()),
            ] {
                let err = result.unwrap_err().to_string();
                assert!(err.contains("not a regular file"), "{name}: {err}");
            }
        }
    }

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

    #[test]
    fn writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let store = DirectoryStore::new(dir.path());
        let key = StoreKey::new("c/0/1").unwrap();
        store.set(&key, Bytes::from_static(b"old")).unwrap();
        store.set(&key, Bytes::from_static(b"new value")).unwrap();
        assert_eq!(store.get(&key).unwrap().unwrap().as_ref(), b"new value");
        store
            .set_partial_many(
                &key,
                Box::new([(4, Bytes::from_static(b"VALUE"))].into_iter()),
            )
            .unwrap();
        assert_eq!(store.get(&key).unwrap().unwrap().as_ref(), b"new VALUE");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("c/0"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        assert_eq!(names, ["1"]);
        // A temporary file left by a killed writer is not a key.
        std::fs::write(dir.path().join("c/0/2.zcf-partial-1-7"), b"torn").unwrap();
        store
            .set(&StoreKey::new("zarr.json").unwrap(), Bytes::new())
            .unwrap();
        let listed: Vec<String> = store
            .list()
            .unwrap()
            .iter()
            .map(|k| k.to_string())
            .collect();
        assert_eq!(listed, ["c/0/1", "zarr.json"]);
        let dir_listing = store.list_dir(&StorePrefix::new("c/").unwrap()).unwrap();
        assert_eq!(dir_listing.prefixes().len(), 1);
        assert!(dir_listing.keys().is_empty());
        assert_eq!(store.size_prefix(&StorePrefix::root()).unwrap(), 9);
        store.erase(&key).unwrap();
        store.erase(&key).unwrap();
        assert!(store.get(&key).unwrap().is_none());
        store
            .erase_prefix(&StorePrefix::new("c/").unwrap())
            .unwrap();
        assert!(!dir.path().join("c").exists());
    }
}
