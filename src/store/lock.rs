//! The store's exclusive lock: one writer (ingest, purge, hold) at a time. A second one
//! is refused at once with exit code 75 and a message naming the holder.
use chrono::{DateTime, SecondsFormat, Utc};

use crate::fsio::FileLock;
use crate::store::StoreError;

/// Holds the store lock until dropped (or the process dies: the OS releases it).
#[derive(Debug)]
pub struct StoreLock {
    _lock: FileLock,
}

impl StoreLock {
    /// Takes the lock of the store at `root` for `command`, or says who holds it.
    pub fn acquire(root: &std::path::Path, command: &str, now: DateTime<Utc>) -> Result<StoreLock, StoreError> {
        std::fs::create_dir_all(root).map_err(StoreError::io("create", root))?;
        let note = format!(
            "held by `logwacht {command}` (pid {}) since {}",
            std::process::id(),
            now.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
        let lock = FileLock::acquire(&root.join(".lock"), root, &note, std::time::Duration::ZERO)?;
        Ok(StoreLock { _lock: lock })
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
        assert!(err.is_busy());
        assert!(msg.contains("logwacht purge") && msg.contains("2026-11-22T03:00:00Z"), "{msg}");
        drop(held);
        StoreLock::acquire(dir.path(), "ingest", now).unwrap();
    }
}
