//! The day-partitioned Parquet store every other stage reads.
//!
//! ```text
//! STORE/
//!   .lock                         exclusive lock; holds who has it (pid, command, since)
//!   _ledger.jsonl                 one line per ingested input file: the commit record
//!   _tmp/                         files being written; emptied when the lock is taken
//!   _rejected/<source>/date=D/    rejected rows, JSON lines with file, line, reason, raw
//!   signin|email|web/date=D/part-<sha16>-<n>.parquet
//! ```
//! `D` is the UTC date of the event (the rejected rows without a readable time use the
//! ingest date). `<sha16>` is the start of the SHA-256 of the input file the part came
//! from: a part whose hash the ledger does not know was left by a crashed ingest and is
//! removed at the next lock, so the ledger and the stored rows agree again from then on.
//! Between such a crash and the next run, an outside reader (DuckDB, polars) can see those
//! parts: whole files of rows that really were in the input, never half files.
//!
//! Parts are written under `_tmp/`, synced, and renamed into place: a reader (logwacht,
//! DuckDB, polars) never sees a half-written file.
pub mod commit;
mod error;
pub mod hold;
pub mod ledger;
pub mod lock;
pub mod retention;
pub mod writer;

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};

use crate::schema::Source;
pub use error::StoreError;

/// Folder for files in the making.
pub const TMP_DIR: &str = "_tmp";
/// Folder for rejected rows.
pub const REJECTED_DIR: &str = "_rejected";
/// The commit record of ingested files.
pub const LEDGER_FILE: &str = "_ledger.jsonl";

/// A store on disk.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

pub use crate::calendar::{date_of_day, day_of_micros};

/// The day number of a UTC instant.
pub fn day_of(t: DateTime<Utc>) -> i32 {
    day_of_micros(t.timestamp_micros())
}

impl Store {
    /// A store rooted at `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The folder of one source's table.
    pub fn table_dir(&self, source: Source) -> PathBuf {
        self.root.join(source.name())
    }

    /// The Hive partition folder of one source and day.
    pub fn partition_dir(&self, source: Source, day: i32) -> PathBuf {
        self.table_dir(source).join(format!("date={}", date_of_day(day)))
    }

    /// The folder of rejected rows of one source and day.
    pub fn rejected_dir(&self, source: Source, day: i32) -> PathBuf {
        self.root.join(REJECTED_DIR).join(source.name()).join(format!("date={}", date_of_day(day)))
    }

    /// The final path of the part of input file `stem` (its hash prefix) for a day.
    pub fn part_path(&self, source: Source, day: i32, stem: &str) -> PathBuf {
        self.partition_dir(source, day).join(format!("part-{stem}-0000.parquet"))
    }

    /// The final path of the rejected rows of input file `stem` for a day.
    pub fn rejected_path(&self, source: Source, day: i32, stem: &str) -> PathBuf {
        self.rejected_dir(source, day).join(format!("rejected-{stem}.jsonl"))
    }

    /// The folder for files in the making.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join(TMP_DIR)
    }

    /// The ledger file.
    pub fn ledger_path(&self) -> PathBuf {
        self.root.join(LEDGER_FILE)
    }

    /// Creates the store's folders.
    pub fn create(&self) -> Result<(), StoreError> {
        for dir in [self.root.clone(), self.tmp_dir()] {
            std::fs::create_dir_all(&dir).map_err(StoreError::io("create", &dir))?;
        }
        Ok(())
    }

    /// Every data file of the store: `(source, day, path)`, sorted.
    pub fn parts(&self) -> Result<Vec<(Source, i32, PathBuf)>, StoreError> {
        let mut out = Vec::new();
        for source in Source::ALL {
            for (day, dir) in list_partitions(&self.table_dir(source))? {
                for file in list_files(&dir)? {
                    if file.extension().is_some_and(|e| e == "parquet") {
                        out.push((source, day, file));
                    }
                }
            }
        }
        Ok(out)
    }

    /// Every rejected-rows file: `(source, day, path)`, sorted.
    pub fn rejected_files(&self) -> Result<Vec<(Source, i32, PathBuf)>, StoreError> {
        let mut out = Vec::new();
        for source in Source::ALL {
            let dir = self.root.join(REJECTED_DIR).join(source.name());
            for (day, dir) in list_partitions(&dir)? {
                for file in list_files(&dir)? {
                    out.push((source, day, file));
                }
            }
        }
        Ok(out)
    }
}

/// The 16-hex-digit file-hash prefix in a part or rejected-file name, if it has one.
pub fn hash_of_name(path: &Path) -> Option<&str> {
    let name = path.file_name()?.to_str()?;
    let rest = name.strip_prefix("part-").or_else(|| name.strip_prefix("rejected-"))?;
    let hash = rest.get(..16)?;
    hash.bytes().all(|b| b.is_ascii_hexdigit()).then_some(hash)
}

/// `date=YYYY-MM-DD` folders below `dir`, as day numbers, sorted; none if `dir` is absent.
pub fn list_partitions(dir: &Path) -> Result<Vec<(i32, PathBuf)>, StoreError> {
    let mut out = Vec::new();
    for path in list_files(dir)? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(date) = name.strip_prefix("date=") else {
            continue;
        };
        if let Ok(date) = NaiveDate::parse_from_str(date, "%Y-%m-%d") {
            let day = (date - date_of_day(0)).num_days() as i32;
            out.push((day, path));
        }
    }
    out.sort();
    Ok(out)
}

/// The entries of `dir`, sorted; none if it does not exist.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StoreError::io("list", dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        out.push(entry.map_err(StoreError::io("list", dir))?.path());
    }
    out.sort();
    Ok(out)
}

pub use crate::fsio::append_line;

/// Makes a finished file visible: syncs its folder after the rename.
pub fn publish(tmp: &Path, dest: &Path) -> Result<(), StoreError> {
    let dir = dest.parent().ok_or_else(|| StoreError::io("publish", dest)(std::io::ErrorKind::InvalidInput.into()))?;
    std::fs::create_dir_all(dir).map_err(StoreError::io("create", dir))?;
    std::fs::rename(tmp, dest).map_err(StoreError::io("rename into", dest))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn days_and_dates_agree() {
        assert_eq!(date_of_day(0).to_string(), "1970-01-01");
        let t = DateTime::parse_from_rfc3339("2026-11-22T23:59:59.999999Z").unwrap().with_timezone(&Utc);
        assert_eq!(date_of_day(day_of(t)).to_string(), "2026-11-22");
        assert_eq!(date_of_day(day_of_micros(-1)).to_string(), "1969-12-31");
    }

    #[test]
    fn appended_lines_never_join_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("audit.log");
        append_line(&p, "{\"a\":1}").unwrap();
        std::fs::OpenOptions::new().append(true).open(&p).unwrap().write_all(b"{\"torn").unwrap();
        append_line(&p, "{\"b\":2}").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"a\":1}\n{\"torn\n{\"b\":2}\n");
    }

    #[test]
    fn hash_prefix_is_read_from_part_names() {
        assert_eq!(
            hash_of_name(Path::new("/s/web/date=2026-01-01/part-0123456789abcdef-0000.parquet")),
            Some("0123456789abcdef")
        );
        assert_eq!(hash_of_name(Path::new("rejected-0123456789abcdef.jsonl")), Some("0123456789abcdef"));
        assert_eq!(hash_of_name(Path::new("other.parquet")), None);
    }
}
