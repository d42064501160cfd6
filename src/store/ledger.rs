//! The ingest ledger: one JSON line per input file that made it into the store, keyed by
//! the file's SHA-256. Appending the line is the commit of an ingest; re-ingesting a file
//! the ledger knows adds nothing.
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::StoreError;

/// What one ingested file added.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LedgerEntry {
    /// SHA-256 of the file's bytes, hex.
    pub sha256: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// SHA-256 of its first MiB: with the size, a cheap key that spots a re-ingest
    /// before the whole file is hashed.
    #[serde(default)]
    pub head_sha256: Option<String>,
    /// The absolute path it was read from.
    pub file: String,
    /// The store table it went to.
    pub source: String,
    /// The format it was read as.
    pub format: String,
    /// When, RFC 3339 UTC.
    pub ingested_at: String,
    /// Rows stored.
    pub stored: u64,
    /// Rows older than the retention window, not stored (RET-1).
    pub expired: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Parts written, relative to the store.
    pub parts: Vec<String>,
    /// True for a line `store rebuild-ledger` wrote from the parts after the ledger was
    /// lost: `sha256` then holds only the 16-digit prefix the part names carry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rebuilt: bool,
}

/// The ledger of a store.
#[derive(Debug)]
pub struct Ledger {
    path: PathBuf,
    hashes: HashSet<String>,
    heads: HashSet<(u64, String)>,
    /// Hash prefixes of rebuilt lines: a file whose hash starts so is already stored.
    prefixes: HashSet<String>,
}

impl Ledger {
    /// Reads the ledger at `path` (empty if absent).
    pub fn load(path: &Path) -> Result<Ledger, StoreError> {
        let mut hashes = HashSet::new();
        let mut heads = HashSet::new();
        let mut prefixes = HashSet::new();
        match std::fs::File::open(path) {
            Ok(f) => {
                for (i, line) in BufReader::new(f).lines().enumerate() {
                    let line = line.map_err(StoreError::io("read", path))?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<LedgerEntry>(&line) {
                        Ok(e) => {
                            if e.rebuilt {
                                prefixes.insert(e.sha256.clone());
                            }
                            if let Some(h) = e.head_sha256 {
                                heads.insert((e.bytes, h));
                            }
                            hashes.insert(e.sha256);
                        }
                        // A torn last line is an append cut off by a crash: its ingest did
                        // not commit, and its parts are removed as orphans.
                        Err(e) if !line.ends_with('}') => {
                            let _ = e;
                        }
                        Err(e) => {
                            return Err(StoreError::Ledger { path: path.into(), line: i + 1, message: e.to_string() });
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io("read", path)(e)),
        }
        Ok(Ledger { path: path.into(), hashes, heads, prefixes })
    }

    /// True when a file with this hash is already stored.
    pub fn contains(&self, sha256: &str) -> bool {
        self.hashes.contains(sha256) || sha256.get(..16).is_some_and(|p| self.prefixes.contains(p))
    }

    /// True when a stored file may be this one: same size and first MiB (entries written
    /// before the key existed always answer yes).
    pub fn may_contain(&self, bytes: u64, head_sha256: &str) -> bool {
        self.heads.contains(&(bytes, head_sha256.to_string())) || self.heads.len() < self.hashes.len()
    }

    /// True when the ledger has no line at all.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// True when some stored file's hash starts with this 16-digit prefix.
    pub fn knows_prefix(&self, prefix: &str) -> bool {
        self.hashes.iter().any(|h| h.starts_with(prefix))
    }

    /// Commits an ingest: appends its line and syncs it to disk.
    pub fn append(&mut self, entry: &LedgerEntry) -> Result<(), StoreError> {
        let line = serde_json::to_string(entry).map_err(|e| StoreError::Ledger {
            path: self.path.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        crate::fsio::append_line(&self.path, &line)?;
        self.hashes.insert(entry.sha256.clone());
        if let Some(h) = &entry.head_sha256 {
            self.heads.insert((entry.bytes, h.clone()));
        }
        if entry.rebuilt {
            self.prefixes.insert(entry.sha256.clone());
        }
        Ok(())
    }
}

/// RET-1 for the ledger itself: the input path of every line ingested before `cutoff`
/// (RFC 3339, compared as text like the lines' own `ingested_at`) is cleared, since a path
/// can name a person; hashes, counts and parts stay. Rewritten atomically (temp, fsync,
/// rename); returns the number of paths cleared. Run under the store lock.
pub fn clear_old_paths(path: &Path, cutoff: &str, dry_run: bool) -> Result<u64, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(StoreError::io("read", path)(e)),
    };
    let mut cleared = 0u64;
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        match serde_json::from_str::<LedgerEntry>(line) {
            Ok(mut e) if !e.file.is_empty() && e.ingested_at.as_str() < cutoff => {
                e.file.clear();
                cleared += 1;
                out.push_str(&serde_json::to_string(&e).unwrap_or_else(|_| line.to_string()));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    if cleared > 0 && !dry_run {
        crate::fsio::write_atomic(path, out.as_bytes()).map_err(StoreError::io("write", path))?;
    }
    Ok(cleared)
}

/// `store rebuild-ledger`: after the ledger was lost, emptied or damaged (and moved
/// aside by hand), writes one line per input file whose parts are in the store but whose
/// hash the ledger does not know, taken from the part names (the 16-digit hash prefix),
/// folders (source) and footers (rows). The input file's path and full hash cannot be
/// recovered; a rebuilt line knows the prefix, so re-ingesting that file still adds
/// nothing. Run under the store lock, after interrupted commits are cleared.
pub fn rebuild(
    store: &crate::store::Store,
    ledger: &mut Ledger,
    unknown: &[PathBuf],
    now: &str,
) -> Result<Vec<LedgerEntry>, StoreError> {
    use std::collections::BTreeMap;
    let mut by_prefix: BTreeMap<String, LedgerEntry> = BTreeMap::new();
    for f in unknown {
        let Some(prefix) = crate::store::hash_of_name(f) else {
            return Err(StoreError::Ledger {
                path: f.clone(),
                line: 0,
                message: "a file in the store whose name carries no input hash; move it out of the store by hand"
                    .into(),
            });
        };
        let rel = f.strip_prefix(store.root()).unwrap_or(f);
        let source = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .find(|c| crate::schema::Source::parse(c).is_some())
            .unwrap_or_default();
        let e = by_prefix.entry(prefix.to_string()).or_insert_with(|| LedgerEntry {
            sha256: prefix.to_string(),
            bytes: 0,
            head_sha256: None,
            file: String::new(),
            source,
            format: "unknown".into(),
            ingested_at: now.to_string(),
            stored: 0,
            expired: 0,
            rejected: 0,
            parts: Vec::new(),
            rebuilt: true,
        });
        if f.extension().is_some_and(|x| x == "parquet") {
            e.stored += crate::store::retention::num_rows(f)?;
            e.parts.push(rel.display().to_string());
        } else {
            let text = std::fs::read(f).map_err(StoreError::io("read", f))?;
            e.rejected += text.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
        }
    }
    let entries: Vec<LedgerEntry> = by_prefix.into_values().collect();
    for e in &entries {
        ledger.append(e)?;
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn entry(sha: &str) -> LedgerEntry {
        LedgerEntry {
            sha256: sha.into(),
            bytes: 1,
            head_sha256: None,
            file: "/x".into(),
            source: "web".into(),
            format: "squid".into(),
            ingested_at: "2026-11-22T00:00:00Z".into(),
            stored: 1,
            expired: 0,
            rejected: 0,
            parts: vec![],
            rebuilt: false,
        }
    }

    #[test]
    fn ledger_survives_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("_ledger.jsonl");
        let mut l = Ledger::load(&path).unwrap();
        l.append(&entry("aa")).unwrap();
        // A crash in the middle of the next append.
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"sha256\":\"bb\",\"by").unwrap();
        let mut l = Ledger::load(&path).unwrap();
        assert!(l.contains("aa") && !l.contains("bb"));
        l.append(&entry("cc")).unwrap();
        let l = Ledger::load(&path).unwrap();
        assert!(l.contains("aa") && l.contains("cc") && l.knows_prefix("c"));
    }
}
