//! The audit trail (CTL-9: 003 art. 6.10): every command that reads or deletes personal
//! data appends one JSON line to `audit.log` beside `logwacht.toml`. Each line carries the
//! SHA-256 of the line before it, so the log is a hash chain: editing, deleting or
//! reordering a line breaks it, and `logwacht verify-log` names the first broken line.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::StoreError;

mod event;
pub use event::{CaseScope, Event};

/// The hash a chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A file a command wrote, by hash.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FileHash {
    /// Path, relative to the workspace where possible.
    pub path: String,
    /// SHA-256, hex.
    pub sha256: String,
}

/// One line of the audit trail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AuditEntry {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// The command (`ingest`, `purge`, `hold add`, ...).
    pub command: String,
    /// Who ran it: `--operator`, else the OS user.
    pub operator: String,
    /// The purpose (art. 7.1 a-f) or the job (`retention`).
    pub purpose: String,
    /// What it looked at or changed: window, sources, case, subject pseudonym.
    pub scope: serde_json::Value,
    /// Rows read.
    pub rows_read: u64,
    /// Files written.
    pub files_written: Vec<FileHash>,
    /// The seed of a random draw, written before the draw (CTL-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// The command's own receipt or outcome (no personal data).
    pub details: serde_json::Value,
    /// SHA-256 of the previous line (hex), or [`GENESIS`].
    pub prev_sha256: String,
}

/// How long an append waits for another command's append to finish.
pub const TRAIL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The trail locks this process holds for a whole command ([`AuditLog::hold`]).
fn held_trails() -> std::sync::MutexGuard<'static, Vec<(PathBuf, crate::fsio::FileLock)>> {
    static HELD: std::sync::Mutex<Vec<(PathBuf, crate::fsio::FileLock)>> = std::sync::Mutex::new(Vec::new());
    HELD.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A trail lock held for a command; dropping it releases the lock.
#[derive(Debug)]
pub struct TrailHold {
    path: PathBuf,
}

impl Drop for TrailHold {
    fn drop(&mut self) {
        held_trails().retain(|(p, _)| *p != self.path);
    }
}

/// The audit trail of a workspace.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyOutcome {
    /// Lines checked.
    pub lines: usize,
    /// The first broken line (1-based) and why, if any.
    pub broken: Option<(usize, String)>,
    /// SHA-256 of the last line: write it down (or into a report) to anchor the chain,
    /// since no chain can show an edit of its own last line.
    pub head: String,
}

/// A point of the chain written down outside it: after `lines` lines (when known) the head
/// was `head`. Weekly reports carry one (`audit_log_lines`, `audit_log_head`); a school
/// keeps others where the operators cannot reach them (README, "The audit trail").
#[derive(Debug, Clone, PartialEq)]
pub struct Anchor {
    /// Where it was found, for the message.
    pub source: String,
    /// The line count then.
    pub lines: Option<usize>,
    /// The head hash then.
    pub head: String,
}

fn sha_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl AuditLog {
    /// The workspace's trail: `audit.log` beside `logwacht.toml`.
    pub fn of(config: &crate::config::Config) -> Self {
        AuditLog::new(config.workspace().join("audit.log"))
    }

    /// The trail at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        AuditLog { path: path.into() }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn last_hash(&self) -> Result<String, StoreError> {
        let text = match std::fs::read(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(GENESIS.into()),
            Err(e) => return Err(StoreError::io("read", &self.path)(e)),
        };
        let last = text.split(|b| *b == b'\n').rfind(|l| !l.is_empty());
        Ok(last.map(sha_hex).unwrap_or_else(|| GENESIS.into()))
    }

    /// Records a command's [`Event`]: appends its line (`prev_sha256` filled in) and syncs it to disk. Reading the
    /// head and appending happen under `audit.log.lock`, so two commands at once (an
    /// `audit` beside a `case screen`) never fork the chain: the second waits up to
    /// [`TRAIL_WAIT`], then stops with exit 75 naming the holder.
    pub fn record(&self, now: DateTime<Utc>, operator: &str, event: Event<'_>) -> Result<AuditEntry, StoreError> {
        self.append(event.entry(now, operator))
    }

    /// Appends a line (see [`record`](Self::record), which commands use).
    pub fn append(&self, mut entry: AuditEntry) -> Result<AuditEntry, StoreError> {
        // Under the command's own hold (`hold`), the lock is already this process's.
        let _lock = if self.held() { None } else { Some(self.lock(&entry.command)?) };
        entry.prev_sha256 = self.last_hash()?;
        let line = serde_json::to_string(&entry)
            .map_err(|e| StoreError::io("encode", &self.path)(std::io::Error::other(e)))?;
        crate::fsio::append_line(&self.path, &line)?;
        Ok(entry)
    }

    /// Takes the trail's lock for a whole command and keeps it until the returned guard is
    /// dropped; every `append` of this process to this trail meanwhile goes under it. A
    /// command that will leave a trail line takes it before it changes anything: when the
    /// trail is busy past [`TRAIL_WAIT`] it stops (exit 75) with nothing done, instead of
    /// doing its work and then failing to record it (CTL-9). It also orders the locks: the
    /// trail's first, then the store's.
    pub fn hold(&self, command: &str) -> Result<TrailHold, StoreError> {
        let lock = self.lock(command)?;
        let path = self.key();
        held_trails().push((path.clone(), lock));
        Ok(TrailHold { path })
    }

    fn key(&self) -> PathBuf {
        std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone())
    }

    fn held(&self) -> bool {
        let key = self.key();
        held_trails().iter().any(|(p, _)| *p == key)
    }

    /// Takes the trail's lock for one append.
    fn lock(&self, command: &str) -> Result<crate::fsio::FileLock, StoreError> {
        let note = format!("held by `logwacht {command}` (pid {})", std::process::id());
        crate::fsio::FileLock::acquire(&self.path.with_extension("log.lock"), &self.path, &note, TRAIL_WAIT)
            .map_err(StoreError::from)
    }

    /// Every entry, in order (lines that do not parse are skipped; `verify` names them).
    pub fn entries(&self) -> Result<Vec<AuditEntry>, StoreError> {
        let f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io("read", &self.path)(e)),
        };
        let mut out = Vec::new();
        for line in BufReader::new(f).lines() {
            let line = line.map_err(StoreError::io("read", &self.path))?;
            if let Ok(e) = serde_json::from_str(&line) {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// SHA-256 of each line, in order.
    pub fn line_hashes(&self) -> Result<Vec<String>, StoreError> {
        let text = match std::fs::read(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io("read", &self.path)(e)),
        };
        Ok(text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(sha_hex).collect())
    }

    /// Holds the trail against anchors written down outside it: a trail cut short (last
    /// lines deleted, truncated, removed) or rewritten (even as a consistent new chain)
    /// no longer holds the head an anchor saw. One message per anchor that fails.
    pub fn check_anchors(&self, anchors: &[Anchor]) -> Result<Vec<String>, StoreError> {
        let hashes = self.line_hashes()?;
        let mut problems = Vec::new();
        for a in anchors {
            if a.head == GENESIS && a.lines.unwrap_or(0) == 0 {
                continue;
            }
            match a.lines {
                Some(n) if n > hashes.len() => problems.push(format!(
                    "{} saw {n} lines, the trail has {}: it was cut (lines deleted, truncated or removed)",
                    a.source,
                    hashes.len()
                )),
                Some(n) if n == 0 || hashes[n - 1] != a.head => problems.push(format!(
                    "{} saw line {n} with head {}, the trail's line {n} differs: it was rewritten or forked",
                    a.source,
                    a.head.get(..16).unwrap_or(&a.head)
                )),
                None if !hashes.contains(&a.head) => problems.push(format!(
                    "{} saw head {}, which no line of the trail has: it was cut or rewritten",
                    a.source,
                    a.head.get(..16).unwrap_or(&a.head)
                )),
                _ => {}
            }
        }
        Ok(problems)
    }

    /// Checks the chain line by line.
    pub fn verify(&self) -> Result<VerifyOutcome, StoreError> {
        let text = match std::fs::read(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(VerifyOutcome { lines: 0, broken: None, head: GENESIS.into() });
            }
            Err(e) => return Err(StoreError::io("read", &self.path)(e)),
        };
        let mut prev = GENESIS.to_string();
        let mut n = 0;
        for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
            if raw.is_empty() {
                continue;
            }
            n += 1;
            let why = match serde_json::from_slice::<AuditEntry>(raw) {
                Err(_) => Some("not an audit entry"),
                Ok(entry) if entry.prev_sha256 != prev => {
                    Some("its prev_sha256 does not match the line before it: edited, deleted or reordered")
                }
                Ok(_) => None,
            };
            if let Some(why) = why {
                return Ok(VerifyOutcome { lines: n, broken: Some((i + 1, why.to_string())), head: prev });
            }
            prev = sha_hex(raw);
        }
        Ok(VerifyOutcome { lines: n, broken: None, head: prev })
    }
}

/// The operator: `--operator`, else `$LOGWACHT_OPERATOR`, else the OS user.
pub fn operator(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("LOGWACHT_OPERATOR").ok())
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// A new entry for `command` at `now`.
pub fn entry(now: DateTime<Utc>, command: &str, operator: &str, purpose: &str) -> AuditEntry {
    AuditEntry {
        time: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        command: command.into(),
        operator: operator.into(),
        purpose: purpose.into(),
        scope: serde_json::Value::Null,
        rows_read: 0,
        files_written: Vec::new(),
        seed: None,
        details: serde_json::Value::Null,
        prev_sha256: String::new(),
    }
}

pub use crate::fsio::file_sha256;

/// Writes files the trail will record (a report, a case file, a letter), each atomically
/// (`fsio::write_atomic`); returns them with their SHA-256 for `files_written`.
pub fn write_files(dir: &Path, files: &[(&str, String)]) -> Result<Vec<FileHash>, StoreError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source: std::io::Error| StoreError::Config(crate::config::ConfigError::Create { path: p, source })
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut out = Vec::new();
    for (name, body) in files {
        let path = dir.join(name);
        crate::fsio::write_atomic(&path, body.as_bytes()).map_err(io(&path))?;
        let (sha256, _) = file_sha256(&path)?;
        out.push(FileHash { path: path.display().to_string(), sha256 });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(dir: &Path, n: usize) -> AuditLog {
        let log = AuditLog::new(dir.join("audit.log"));
        let now = DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z").unwrap().to_utc();
        for i in 0..n {
            log.append(entry(now, &format!("cmd{i}"), "dpo", "retention")).unwrap();
        }
        log
    }

    #[test]
    fn appends_from_many_writers_at_once_keep_one_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let now = DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z").unwrap().to_utc();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let log = AuditLog::new(path);
                    for i in 0..25 {
                        log.append(entry(now, &format!("w{t}-{i}"), "dpo", "a")).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let v = AuditLog::new(&path).verify().unwrap();
        assert_eq!((v.lines, v.broken), (200, None));
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let log = trail(dir.path(), 4);
        let v = log.verify().unwrap();
        assert_eq!((v.lines, v.broken), (4, None));
        assert_eq!(log.entries().unwrap()[0].prev_sha256, GENESIS);
    }

    #[test]
    fn edits_deletions_and_reorderings_are_caught_at_the_first_broken_line() {
        let dir = tempfile::tempdir().unwrap();
        let log = trail(dir.path(), 4);
        let original = std::fs::read_to_string(log.path()).unwrap();
        let head_before = log.verify().unwrap().head;
        let lines: Vec<&str> = original.lines().collect();
        let cases: Vec<(Vec<String>, usize)> = vec![
            (vec![lines[0].into(), lines[1].replace("cmd1", "cmdX"), lines[2].into(), lines[3].into()], 3),
            (vec![lines[0].into(), lines[2].into(), lines[3].into()], 2),
            (vec![lines[0].into(), lines[2].into(), lines[1].into(), lines[3].into()], 2),
            (vec![lines[1].into(), lines[2].into(), lines[3].into()], 1),
            (vec![lines[0].into(), lines[1].into(), lines[2].into(), lines[3].replace("dpo", "someone")], 0),
        ];
        for (tampered, first_broken) in cases {
            std::fs::write(log.path(), tampered.join("\n") + "\n").unwrap();
            let v = log.verify().unwrap();
            if first_broken == 0 {
                // A chain cannot see an edit of its own last line: only an anchor kept
                // elsewhere can (the head hash verify-log prints).
                assert!(v.broken.is_none());
                assert_ne!(v.head, head_before);
            } else {
                assert_eq!(v.broken.map(|b| b.0), Some(first_broken), "{tampered:?}");
            }
        }
    }
}
