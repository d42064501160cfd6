//! The weekly report's trend, counted once per finished week (issue 17: "the weekly audit
//! does its work once"). A finished week's counts per rule do not change unless what they
//! were counted from changes, so each is kept under a key made of everything it depends on:
//!
//! ```text
//! key = SHA-256( cache version, logwacht's version, the rule (id, purpose, mode, SQL),
//!                the window's days, the settings file, the directory, the travel
//!                exceptions, the holds, and the names and sizes of the store's parts of
//!                the window's days )
//! ```
//! A late ingest of the week, a purge that cut its first day, an edited rule, list or
//! setting: each changes the key, and the week is counted again. The file holds counts per
//! rule and week only (no pseudonym, no value), lives beside the reports
//! (`reports/.trend-cache.json`), keeps only the entries the last report used, and is a
//! cache: missing or unreadable, it is rebuilt.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::rules::Rule;
use crate::rules::engine::Window;
use crate::schema::Source;
use crate::store::Store;

/// The file name in the reports folder.
pub const FILE: &str = ".trend-cache.json";

/// Bumped when what a count means changes within one version.
const CACHE_VERSION: &str = "1";

/// Counts per week label, of one rule over one finished window.
pub type WeekCounts = BTreeMap<String, u64>;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    entries: BTreeMap<String, WeekCounts>,
}

/// The cache of one report run.
#[derive(Debug)]
pub struct TrendCache {
    path: PathBuf,
    entries: BTreeMap<String, WeekCounts>,
    used: BTreeSet<String>,
    /// Entries counted in this run (misses).
    pub counted: usize,
    /// Entries taken from the cache (hits).
    pub reused: usize,
}

impl TrendCache {
    /// The workspace's cache (empty when missing or unreadable).
    pub fn load(config: &Config) -> TrendCache {
        let path = config.reports_dir.join(FILE);
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Stored>(&b).ok())
            .map(|s| s.entries)
            .unwrap_or_default();
        TrendCache { path, entries, used: BTreeSet::new(), counted: 0, reused: 0 }
    }

    /// The counts under `key`, or what `count` gives (then kept).
    pub fn get_or<E>(&mut self, key: String, count: impl FnOnce() -> Result<WeekCounts, E>) -> Result<WeekCounts, E> {
        self.used.insert(key.clone());
        if let Some(c) = self.entries.get(&key) {
            self.reused += 1;
            return Ok(c.clone());
        }
        let c = count()?;
        self.counted += 1;
        self.entries.insert(key, c.clone());
        Ok(c)
    }

    /// Keeps `counts` under `key` (the report's own week, once it is over: next week's
    /// report finds it counted).
    pub fn keep(&mut self, key: String, counts: WeekCounts) {
        self.used.insert(key.clone());
        self.entries.insert(key, counts);
    }

    /// Writes the entries this run used (the others are dropped).
    pub fn save(mut self) -> std::io::Result<()> {
        let used = std::mem::take(&mut self.used);
        self.entries.retain(|k, _| used.contains(k));
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec(&Stored { entries: self.entries }).map_err(std::io::Error::other)?;
        crate::fsio::write_atomic(&self.path, &text)
    }
}

fn hash_file(h: &mut Sha256, path: &Path) {
    h.update(path.display().to_string().as_bytes());
    match std::fs::read(path) {
        Ok(b) => h.update(&b),
        Err(_) => h.update(b"(absent)"),
    }
    h.update(b"\0");
}

/// What every rule's counts over `window` depend on besides the rule: the settings, the
/// reference files and the store's parts of the UTC days the window touches.
pub fn inputs(config: &Config, store: &Store, window: Window) -> String {
    let first = crate::store::day_of_micros(window.from.timestamp_micros());
    let last = crate::store::day_of_micros(window.to.timestamp_micros() - 1);
    let mut h = Sha256::new();
    hash_file(&mut h, &config.path);
    hash_file(&mut h, &config.reference_dir.join("people.csv"));
    hash_file(&mut h, &config.reference_dir.join("travel_exceptions.csv"));
    hash_file(&mut h, &config.holds_path());
    for source in Source::ALL {
        h.update(source.name().as_bytes());
        let Ok(parts) = crate::store::list_partitions(&store.table_dir(source)) else { continue };
        for (day, dir) in parts.into_iter().filter(|(d, _)| *d >= first && *d <= last) {
            let Ok(files) = crate::store::list_files(&dir) else { continue };
            for f in files {
                let size = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
                let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                h.update(format!("{day}/{name}:{size}\n").as_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

/// The key of one rule's counts over the local days `from..=to`.
pub fn key(rule: &Rule, (from, to): (NaiveDate, NaiveDate), inputs: &str) -> String {
    let mut h = Sha256::new();
    for part in [
        CACHE_VERSION,
        env!("CARGO_PKG_VERSION"),
        &rule.id,
        &rule.purpose.letter().to_string(),
        rule.mode.as_str(),
        &rule.sql,
        &from.to_string(),
        &to.to_string(),
        inputs,
    ] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    hex::encode(h.finalize())
}
