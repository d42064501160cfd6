//! The store's exclusive lock: one writer (ingest, purge, hold) at a time. A second one
//! is refused at once with exit code 75 and a message naming the holder.
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::StoreError;

/// Holds the store lock until dropped (or the process dies: the OS releases it).
#[derive(Debug)]
pub struct StoreLock {
    file: File,
    path: PathBuf,
}

impl StoreLock {
    /// Takes the lock of the store at `root` for `command`, or says who holds it.
    pub fn acquire(root: &std::path::Path, command: &str, now: DateTime<Utc>) -> Result<StoreLock, StoreError> {
        std::fs::create_dir_all(root).map_err(StoreError::io("create", root))?;
        let path = root.join(".lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(StoreError::io("open", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let holder =
                    if holder.is_empty() { "another logwacht process".to_string() } else { holder.to_string() };
                return Err(StoreError::Busy { store: root.to_path_buf(), holder });
            }
            Err(TryLockError::Error(e)) => return Err(StoreError::io("lock", &path)(e)),
        }
        let note = format!(
            "held by `logwacht {command}` (pid {}) since {}",
            std::process::id(),
            now.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        file.set_len(0).map_err(StoreError::io("write", &path))?;
        file.seek(SeekFrom::Start(0)).map_err(StoreError::io("write", &path))?;
        file.write_all(note.as_bytes()).map_err(StoreError::io("write", &path))?;
        Ok(StoreLock { file, path })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
        let _ = &self.path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_is_told_who_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let now = DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z").unwrap().with_timezone(&Utc);
        let held = StoreLock::acquire(dir.path(), "purge", now).unwrap();
        let err = StoreLock::acquire(dir.path(), "ingest", now).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Busy { .. }));
        assert!(msg.contains("logwacht purge") && msg.contains("2026-11-22T03:00:00Z"), "{msg}");
        drop(held);
        StoreLock::acquire(dir.path(), "ingest", now).unwrap();
    }
}
