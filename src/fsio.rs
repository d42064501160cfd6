//! Paths that come from people: ids that become file names, and the only ways logwacht
//! removes a folder. Ground floor: imports nothing of the crate; its errors are its own
//! ([`FsError`], which the store's error wraps).
//!
//! A case id, a hold id or any other name a user types becomes a folder name
//! (`cases/<id>`, `STORE/_holds/<id>`). An id of `..` or `.` once made the nightly purge
//! delete the whole workspace. So an id is checked where it enters (a short alphabet, a
//! bounded length, starting with a letter or digit: never `.`, `..` or a separator), and
//! every folder logwacht removes is checked again at the moment of removal: it must be a
//! real folder (not a link) strictly inside the folder that owns it.
use std::path::{Component, Path};

/// A file operation that failed: a busy lock, an I/O error, a folder logwacht does not own.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// Another job holds the lock of the store or of the audit trail (`store` names which).
    #[error("{store} is busy: {holder}; nothing was done, try again when it has finished")]
    Busy { store: std::path::PathBuf, holder: String },
    /// A filesystem operation failed.
    #[error("store: cannot {action} {path}")]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A folder logwacht was about to remove is not one it owns.
    #[error("refusing to remove {path}: {why} (owner folder {owner}); nothing was removed")]
    NotOwned { path: std::path::PathBuf, owner: std::path::PathBuf, why: String },
}

impl FsError {
    /// Wraps an I/O error with what was being done to which path.
    pub fn io(action: &'static str, path: impl Into<std::path::PathBuf>) -> impl FnOnce(std::io::Error) -> FsError {
        let path = path.into();
        move |source| FsError::Io { action, path, source }
    }
}

/// The longest id: well inside every file system's 255-byte file name limit, short enough
/// to read in a report.
pub const MAX_ID_LEN: usize = 64;

/// Why an id was refused: names the value (escaped) and the rule it broke.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{kind} id {shown} is not allowed: {why}")]
pub struct IdError {
    /// What the id names: "case", "hold", ...
    pub kind: &'static str,
    /// The id as typed, escaped for a terminal and cut to a readable length.
    pub shown: String,
    /// The limit it broke.
    pub why: String,
}

/// Checks an id that becomes a file or folder name: 1 to 64 characters of `A-Z a-z 0-9 . _ -`,
/// starting with a letter or a digit (so never `.`, `..` or a hidden name), no separators.
pub fn check_id(kind: &'static str, id: &str) -> Result<(), IdError> {
    let refuse = |why: String| IdError { kind, shown: shown(id), why };
    if id.is_empty() {
        return Err(refuse("it is empty".into()));
    }
    if id.len() > MAX_ID_LEN {
        return Err(refuse(format!("it has {} bytes; the maximum is {MAX_ID_LEN}", id.len())));
    }
    if !id.as_bytes()[0].is_ascii_alphanumeric() {
        return Err(refuse("it must start with a letter or a digit".into()));
    }
    if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(refuse(format!("{c:?} is not one of A-Z a-z 0-9 . _ -")));
    }
    Ok(())
}

/// True when `id` passes [`check_id`].
pub fn is_id(id: &str) -> bool {
    check_id("", id).is_ok()
}

/// A value from a user or a log, made safe to print: control characters escaped, at most
/// 80 characters, quoted.
pub fn shown(value: &str) -> String {
    let mut out = String::from("\"");
    for (i, c) in value.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text made safe for a terminal: control characters (ESC, BEL, CR, ...) escaped as
/// `\u{1b}`, everything else unchanged.
pub fn printable(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\n' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `bytes` to `tmp` and syncs them to disk: the first half of every atomic write.
pub fn write_synced(tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Replaces `path` with `bytes` all at once: written and synced beside it under a
/// temporary name, renamed over it, and the folder synced, so a crash leaves the old file
/// or the new one, never a mix or an empty file. The one atomic write of logwacht's own
/// files (registries, the ledger, report and case files).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp"));
    write_synced(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// An exclusive lock on a file (flock), released when dropped or when the process dies.
/// The file holds a note naming the holder, for the one who has to wait.
#[derive(Debug)]
pub struct FileLock {
    file: std::fs::File,
}

impl FileLock {
    /// Takes the lock of `path`, waiting up to `wait` (zero: refuse at once) for another
    /// holder; else `Busy` naming `owner` and what the holder wrote. `note` names this one.
    pub fn acquire(path: &Path, owner: &Path, note: &str, wait: std::time::Duration) -> Result<FileLock, FsError> {
        use std::io::{Read, Seek, Write};
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(FsError::io("open", path))?;
        let started = std::time::Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    let holder =
                        if holder.is_empty() { "another logwacht process".to_string() } else { holder.to_string() };
                    return Err(FsError::Busy { store: owner.to_path_buf(), holder });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(FsError::io("lock", path)(e)),
            }
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(note.as_bytes()))
            .map_err(FsError::io("write", path))?;
        Ok(FileLock { file })
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Removes the folder `dir` and everything below it, but only when it is a real folder (not
/// a link) whose path lies strictly inside `owner` after both are resolved, and whose own
/// name passes [`check_id`] or is one of `names`. Anything else is refused with an error
/// that names both paths: a purge never removes what it does not own.
pub fn remove_owned_dir(owner: &Path, dir: &Path) -> Result<(), FsError> {
    let refuse = |why: &str| FsError::NotOwned { path: dir.into(), owner: owner.into(), why: why.into() };
    let name = dir.file_name().and_then(|n| n.to_str()).ok_or_else(|| refuse("it has no plain name"))?;
    if !is_id(name) {
        return Err(refuse("its name is not a valid id"));
    }
    if dir.components().any(|c| matches!(c, Component::ParentDir | Component::CurDir)) {
        return Err(refuse("its path has . or .. in it"));
    }
    let meta = std::fs::symlink_metadata(dir).map_err(FsError::io("inspect", dir))?;
    if !meta.file_type().is_dir() {
        return Err(refuse("it is not a folder (a link or a file)"));
    }
    let owner_real = owner.canonicalize().map_err(FsError::io("resolve", owner))?;
    let dir_real = dir.canonicalize().map_err(FsError::io("resolve", dir))?;
    if dir_real.parent() != Some(owner_real.as_path()) {
        return Err(refuse("it is not a folder directly inside its owner"));
    }
    std::fs::remove_dir_all(dir).map_err(FsError::io("remove", dir))
}

/// Appends one line to a JSON-lines file and syncs it: the commit of the ingest ledger
/// and of the audit trail. A torn last line left by a crash gets its newline first, so
/// it cannot swallow the new line.
pub fn append_line(path: &Path, line: &str) -> Result<(), FsError> {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(path)
        .map_err(FsError::io("open", path))?;
    let len = f.seek(SeekFrom::End(0)).map_err(FsError::io("read", path))?;
    let mut text = String::with_capacity(line.len() + 2);
    if len > 0 {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1)).map_err(FsError::io("read", path))?;
        f.read_exact(&mut last).map_err(FsError::io("read", path))?;
        if last[0] != b'\n' {
            text.push('\n');
        }
    }
    text.push_str(line);
    text.push('\n');
    f.write_all(text.as_bytes()).map_err(FsError::io("append to", path))?;
    f.sync_all().map_err(FsError::io("sync", path))
}

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> Result<(String, u64), FsError> {
    let mut f = std::fs::File::open(path).map_err(FsError::io("read", path))?;
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    let n = std::io::copy(&mut f, &mut h).map_err(FsError::io("read", path))?;
    Ok((hex::encode(sha2::Digest::finalize(h)), n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_name_another_folder_are_refused() {
        for good in ["2026-014", "DEMO-1", "a", "case_7.b", &"x".repeat(64)] {
            assert_eq!(check_id("case", good), Ok(()), "{good}");
        }
        for (bad, says) in [
            ("", "empty"),
            (".", "start with"),
            ("..", "start with"),
            (".hidden", "start with"),
            ("-rf", "start with"),
            ("a/b", "'/'"),
            ("a\\b", "'\\\\'"),
            ("x\u{1b}[31m", "'\\u{1b}'"),
            ("a b", "' '"),
            ("é", "start with"),
        ] {
            let err = check_id("case", bad).unwrap_err().to_string();
            assert!(err.starts_with("case id \""), "{err}");
            assert!(err.contains(says), "{bad:?}: {err}");
            assert!(!err.contains('\u{1b}'), "{err}");
        }
        let long = "x".repeat(300);
        let err = check_id("hold", &long).unwrap_err().to_string();
        assert!(err.contains("300 bytes; the maximum is 64") && err.contains('…'), "{err}");
    }

    #[test]
    fn only_a_real_folder_directly_inside_its_owner_is_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let owner = tmp.path().join("cases");
        std::fs::create_dir_all(owner.join("2026-1/sub")).unwrap();
        std::fs::write(owner.join("2026-1/sub/f"), "x").unwrap();
        let outside = tmp.path().join("precious");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep"), "x").unwrap();
        for bad in [owner.join(".."), owner.join("."), owner.clone(), owner.join("2026-1/sub"), outside.clone()] {
            assert!(remove_owned_dir(&owner, &bad).is_err(), "{}", bad.display());
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&outside, owner.join("link")).unwrap();
            let err = remove_owned_dir(&owner, &owner.join("link")).unwrap_err().to_string();
            assert!(err.contains("not a folder"), "{err}");
        }
        assert!(outside.join("keep").exists());
        remove_owned_dir(&owner, &owner.join("2026-1")).unwrap();
        assert!(!owner.join("2026-1").exists() && owner.exists());
    }
}
