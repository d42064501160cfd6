//! The commit protocol of the store: how what one input file became (Parquet parts by
//! day, rejected-rows files, still under `_tmp/`) enters the store at once or not at all,
//! and how a store is brought back to its last commit after a crash.
//!
//! ```text
//! intent (what will be published, durable) -> rename every file into place -> ledger line
//! (the commit) -> intent removed
//! ```
//! A crash before the ledger line leaves files that the intent accounts for, and the next
//! writer's lock removes exactly those ([`recover`]). A file that no intent and no ledger
//! line accounts for is never removed: the ledger is damaged, and removing "orphans" would
//! wipe the store ([`StoreError::UnknownParts`]).
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ledger::{Ledger, LedgerEntry};
use super::writer::WrittenPart;
use super::{Store, publish};
use crate::schema::Source;
use crate::store::StoreError;

/// Publishes one input's parts (data, by day) and rejected-rows files (`(tmp, table,
/// day)`) and
/// appends `entry` to the ledger, which names the data parts. Each step is a crash point
/// the crash tests stop at (`crate::crash`).
pub fn commit(
    store: &Store,
    ledger: &mut Ledger,
    mut entry: LedgerEntry,
    parts: &[WrittenPart],
    rejected: &[(PathBuf, Source, i32)],
) -> Result<(), StoreError> {
    let stem = entry.sha256.get(..16).unwrap_or(&entry.sha256).to_string();
    let moves: Vec<(&Path, PathBuf)> = parts
        .iter()
        .map(|p| (p.tmp.as_path(), store.part_path(p.source, p.day, &stem)))
        .chain(rejected.iter().map(|(tmp, source, day)| (tmp.as_path(), store.rejected_path(*source, *day, &stem))))
        .collect();
    let intent = Intent {
        sha256: entry.sha256.clone(),
        files: moves.iter().map(|(_, dest)| relative(store.root(), dest)).collect(),
    };
    intent.write(store)?;
    crate::crash::step();
    for (tmp, dest) in &moves {
        publish(tmp, dest)?;
        crate::crash::step();
    }
    // The ledger lists the data parts (the first `parts.len()` moves), not rejected rows.
    entry.parts = intent.files[..parts.len()].to_vec();
    ledger.append(&entry)?;
    crate::crash::step();
    intent.done(store);
    Ok(())
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

/// What one ingest commit is about to publish: written to `STORE/_tmp/commit-<hash>.json`
/// (temp + rename + fsync) before its first part is renamed into place, removed after its
/// ledger line. It is the proof `recover` needs before it removes a published file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Intent {
    /// SHA-256 of the input file: the ledger line that commits it.
    pub sha256: String,
    /// The files it publishes, relative to the store.
    pub files: Vec<String>,
}

/// The name prefix of intent files in `STORE/_tmp/`.
const INTENT_PREFIX: &str = "commit-";

impl Intent {
    fn path(store: &Store, sha256: &str) -> PathBuf {
        store.tmp_dir().join(format!("{INTENT_PREFIX}{}.json", sha256.get(..16).unwrap_or(sha256)))
    }

    /// Writes the intent durably.
    pub fn write(&self, store: &Store) -> Result<(), StoreError> {
        let path = Intent::path(store, &self.sha256);
        let text =
            serde_json::to_string(self).map_err(|e| StoreError::io("encode", &path)(std::io::Error::other(e)))?;
        // Written under _tmp/ and published into it: recovery reads intents there.
        let tmp = path.with_extension("json.tmp");
        crate::fsio::write_synced(&tmp, text.as_bytes()).map_err(StoreError::io("write", &tmp))?;
        publish(&tmp, &path)
    }

    /// Removes the intent once the ledger line is on disk (a leftover is harmless: the
    /// next `recover` sees the ledger knows it and only removes the intent).
    pub fn done(&self, store: &Store) {
        let _ = std::fs::remove_file(Intent::path(store, &self.sha256));
    }
}

/// Brings the store back to its last commit, while holding the lock:
/// 1. an interrupted commit (an intent whose input the ledger does not know) loses exactly
///    the files its intent names, each checked to be a part or rejected-rows file of that
///    input inside the store;
/// 2. `_tmp/` is emptied (files never published);
/// 3. any part or rejected-rows file that neither the ledger nor an intent accounts for
///    stops every writer with [`StoreError::UnknownParts`] and is left in place: the ledger
///    is missing, emptied or damaged, and removing "orphans" would wipe the store.
pub fn recover(store: &Store, ledger: &Ledger) -> Result<usize, StoreError> {
    let removed = clear_interrupted(store, ledger)?;
    let unknown = unknown_files(store, ledger)?;
    if let Some(first) = unknown.first() {
        return Err(StoreError::UnknownParts {
            ledger: store.ledger_path(),
            count: unknown.len(),
            first: relative(store.root(), first),
        });
    }
    Ok(removed)
}

/// Parts and rejected-rows files whose input the ledger does not know, sorted.
pub fn unknown_files(store: &Store, ledger: &Ledger) -> Result<Vec<PathBuf>, StoreError> {
    let parts = store.parts()?.into_iter().chain(store.rejected_files()?);
    Ok(parts
        .map(|(_, _, f)| f)
        .filter(|f| crate::store::hash_of_name(f).is_none_or(|h| !ledger.knows_prefix(h)))
        .collect())
}

/// Steps 1 and 2 of [`recover`]: interrupted commits undone, `_tmp/` emptied.
pub fn clear_interrupted(store: &Store, ledger: &Ledger) -> Result<usize, StoreError> {
    let mut removed = 0;
    let tmp = store.tmp_dir();
    let entries = crate::store::list_files(&tmp)?;
    for f in &entries {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !(name.starts_with(INTENT_PREFIX) && name.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(f).map_err(StoreError::io("read", f))?;
        let intent: Intent = serde_json::from_str(&text).map_err(|e| StoreError::Ledger {
            path: f.clone(),
            line: 1,
            message: format!("an interrupted commit's intent does not parse: {e}"),
        })?;
        if !ledger.contains(&intent.sha256) {
            let stem = intent.sha256.get(..16).unwrap_or("");
            for rel in &intent.files {
                let path = store.root().join(rel);
                let safe = Path::new(rel).components().all(|c| matches!(c, std::path::Component::Normal(_)))
                    && crate::store::hash_of_name(&path) == Some(stem);
                if safe && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file()) {
                    std::fs::remove_file(&path).map_err(StoreError::io("remove", &path))?;
                    removed += 1;
                }
            }
        }
        std::fs::remove_file(f).map_err(StoreError::io("remove", f))?;
    }
    for f in &entries {
        if std::fs::symlink_metadata(f).is_ok_and(|m| m.file_type().is_file()) {
            std::fs::remove_file(f).map_err(StoreError::io("remove", f))?;
            removed += 1;
        }
    }
    Ok(removed)
}
