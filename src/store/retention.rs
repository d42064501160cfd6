//! The retention purge (RET-1..RET-4): after a purge at `now`, no row with an event time
//! before `now - retention` remains in the store, its rejected rows or temporary files,
//! except rows an active hold keeps in `STORE/_holds/<case>/`.
//!
//! ```text
//! for each day partition before the cut-off day:   copy held rows -> _holds/<case>/...
//!                                                    delete the partition's files
//! the cut-off day itself:                            copy held rows, rewrite each part
//!                                                    without its expired rows (temp + rename)
//! rejected rows:                                     same, by the event time they carry
//! _holds/<case>/ of a released or ended hold:        deleted
//! ```
//! Every step is idempotent and atomic per file (a held copy is named after its origin
//! and renamed into place; a rewrite replaces its file by rename), so a purge killed at any
//! point loses no row in the window or under a hold, duplicates none, and the next run
//! finishes the job. Cost: the partitions' metadata plus the rows of the boundary day.
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, BooleanArray, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde::Serialize;

use crate::fsio::file_sha256;
use crate::schema::{self, Source};
use crate::store::StoreError;
use crate::store::hold::Hold;
use crate::store::writer::writer_properties;
use crate::store::{Store, date_of_day, day_of_micros, list_files, list_partitions, publish};

/// Folder of held rows.
pub const HOLDS_DIR: &str = "_holds";

/// RET-1 (003 art. 6.7) as one value: how many days rows are kept, and the readings of it
/// every stage needs, so that none computes its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// The window in days (`retention.days`).
    pub days: u32,
}

impl RetentionPolicy {
    /// RET-1 as the workspace sets it (`retention.days`).
    pub fn of(config: &crate::config::Config) -> RetentionPolicy {
        RetentionPolicy { days: config.retention_days }
    }

    /// The instant before which no row is kept: `now` minus the window.
    pub fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - chrono::Duration::days(i64::from(self.days))
    }

    /// [`RetentionPolicy::cutoff`] in UTC microseconds, as the store keeps time.
    pub fn cutoff_us(self, now: DateTime<Utc>) -> i64 {
        self.cutoff(now).timestamp_micros()
    }

    /// The first school-local day that still has rows: the cut-off's own day, which may be
    /// partly purged. Day-level decisions (a report's earliest week, when a report or a
    /// case file expires, the earliest day a case may look at) all use this day.
    pub fn first_day(self, now: DateTime<Utc>, tz: Tz) -> chrono::NaiveDate {
        self.cutoff(now).with_timezone(&tz).date_naive()
    }
}

/// A file the purge removed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileGone {
    /// Relative to the store.
    pub path: String,
    /// SHA-256 of its bytes before removal.
    pub sha256: String,
    /// Its size.
    pub bytes: u64,
}

/// One source's partition deleted whole.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PartitionGone {
    pub source: Source,
    pub date: String,
    pub rows: u64,
}

/// The receipt of one purge run (dry or real). Holds no personal data: dates, counts,
/// case ids, store-relative paths named after file hashes, and hashes.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct PurgeReceipt {
    /// When, RFC 3339 UTC.
    pub time: String,
    /// True for `--dry-run`: this is what would go.
    pub dry_run: bool,
    /// RET-1 window in days.
    pub retention_days: u32,
    /// Rows before this instant go.
    pub cutoff: String,
    /// Partitions deleted whole.
    pub partitions_deleted: Vec<PartitionGone>,
    /// Boundary-day files rewritten without their expired rows (store-relative).
    pub files_rewritten: Vec<String>,
    /// Rows removed per source (including rejected rows, under `rejected`).
    pub rows_removed: BTreeMap<String, u64>,
    /// Rows copied into a hold area per case.
    pub rows_moved_to_holds: BTreeMap<String, u64>,
    /// Hold areas removed because their hold was released or ended.
    pub holds_ended: Vec<String>,
    /// Files removed.
    pub files_removed: Vec<FileGone>,
    /// Bytes freed (removed files, and what rewrites saved).
    pub bytes_freed: u64,
    /// RET-4: weekly report folders past the window (their labels).
    pub reports_removed: Vec<String>,
    /// RET-4: lists of messages to return (CTL-10) whose window has left the retention
    /// window (their `from..to`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns_removed: Vec<String>,
    /// RET-4: case folders of closed, told and unheld cases past the window (case ids).
    pub case_files_removed: Vec<String>,
    /// RET-4: cases removed whatever their state because their window ended more than
    /// `max_hold_days + days` ago (no hold can keep their data any longer): case ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_cases_removed: Vec<String>,
    /// RET-1: ended holds whose end lies before the window, dropped from
    /// `reference/holds.json` with their subject and reason (case ids).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds_forgotten: Vec<String>,
    /// RET-1: ledger lines older than the window whose input file path was cleared (the
    /// path can name a person; the hash stays, so a re-ingest is still recognised).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ledger_paths_cleared: u64,
    /// What stopped part of the purge after rows were removed (the receipt is still
    /// written, and the command exits 2).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The time of an earlier purge's plan that never got its receipt (the run was killed):
    /// this run finished its work, and its plan in the trail says what that was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completes: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn rel(store: &Store, p: &Path) -> String {
    p.strip_prefix(store.root()).unwrap_or(p).display().to_string()
}

fn read_batches(path: &Path) -> Result<Vec<RecordBatch>, StoreError> {
    let pq = |source| StoreError::Parquet { path: path.into(), source };
    let f = File::open(path).map_err(StoreError::io("read", path))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f).map_err(pq)?.with_batch_size(65536).build().map_err(pq)?;
    let mut out = Vec::new();
    for b in reader {
        out.push(b.map_err(|e| StoreError::Arrow { source_name: "purge", source: e })?);
    }
    Ok(out)
}

/// Rows of a Parquet file, from its footer.
pub fn num_rows(path: &Path) -> Result<u64, StoreError> {
    let f = File::open(path).map_err(StoreError::io("read", path))?;
    let r = SerializedFileReader::new(f).map_err(|source| StoreError::Parquet { path: path.into(), source })?;
    Ok(r.metadata().file_metadata().num_rows().max(0) as u64)
}

/// Writes batches to `dest` through a temp file and a rename.
fn write_parquet(store: &Store, source: Source, batches: &[RecordBatch], dest: &Path) -> Result<(), StoreError> {
    let tmp_dir = store.tmp_dir();
    std::fs::create_dir_all(&tmp_dir).map_err(StoreError::io("create", &tmp_dir))?;
    let name = dest.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = tmp_dir.join(format!("purge-{}-{name}.tmp", source.name()));
    let pq = |source| StoreError::Parquet { path: tmp.clone(), source };
    let f = File::create(&tmp).map_err(StoreError::io("create", &tmp))?;
    let mut w = ArrowWriter::try_new(f, source.schema(), Some(writer_properties())).map_err(pq)?;
    for b in batches {
        w.write(b).map_err(pq)?;
    }
    let f = w.into_inner().map_err(pq)?;
    f.sync_all().map_err(StoreError::io("sync", &tmp))?;
    publish(&tmp, dest)
}

fn mask_time(batch: &RecordBatch, keep: impl Fn(i64) -> bool) -> BooleanArray {
    let col =
        batch.column_by_name(schema::EVENT_TIME).and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>());
    match col {
        Some(t) => (0..t.len()).map(|i| Some(t.is_valid(i) && keep(t.value(i)))).collect(),
        None => BooleanArray::from(vec![true; batch.num_rows()]),
    }
}

fn text_col<'a>(batch: &'a RecordBatch, name: &str) -> Option<&'a StringArray> {
    batch.column_by_name(name).and_then(|c| c.as_any().downcast_ref::<StringArray>())
}

/// Rows of `batch` that `hold` covers.
fn held_mask(batch: &RecordBatch, source: Source, hold: &Hold, tz: Tz) -> BooleanArray {
    let (from, to) = hold.range_us(tz);
    let in_time = mask_time(batch, |t| t >= from && t < to);
    let cols: Vec<&StringArray> = if hold.subject.is_some() {
        match source {
            Source::Signin | Source::Web => [schema::USER].iter().filter_map(|c| text_col(batch, c)).collect(),
            Source::Email => [schema::SENDER, schema::RECIPIENT].iter().filter_map(|c| text_col(batch, c)).collect(),
        }
    } else {
        [schema::MESSAGE_ID].iter().filter_map(|c| text_col(batch, c)).collect()
    };
    (0..batch.num_rows())
        .map(|i| {
            let who = cols.iter().any(|c| {
                c.is_valid(i)
                    && match &hold.subject {
                        Some(s) => c.value(i) == s,
                        None => hold.message_ids.iter().any(|m| m == c.value(i)),
                    }
            });
            Some(in_time.value(i) && who)
        })
        .collect()
}

/// What to keep in the store and hold.
#[derive(Debug, Clone)]
pub struct PurgePlan<'a> {
    /// The store.
    pub store: &'a Store,
    /// Now.
    pub now: DateTime<Utc>,
    /// RET-1 window.
    pub retention_days: u32,
    /// Every hold (active or not).
    pub holds: &'a [Hold],
    /// The school's zone (hold days).
    pub tz: Tz,
    /// Change nothing; report what would go.
    pub dry_run: bool,
}

/// Runs the purge (the caller holds the store lock).
pub fn purge(plan: &PurgePlan<'_>) -> Result<PurgeReceipt, StoreError> {
    let store = plan.store;
    let cutoff_us = RetentionPolicy { days: plan.retention_days }.cutoff_us(plan.now);
    let cutoff_day = day_of_micros(cutoff_us);
    let cutoff = DateTime::from_timestamp_micros(cutoff_us).unwrap_or_default();
    let mut r = PurgeReceipt {
        time: plan.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        dry_run: plan.dry_run,
        retention_days: plan.retention_days,
        cutoff: cutoff.to_rfc3339_opts(SecondsFormat::Micros, true),
        ..Default::default()
    };
    let active: Vec<&Hold> = plan.holds.iter().filter(|h| h.active(plan.now, plan.tz)).collect();

    for source in Source::ALL {
        for (day, dir) in list_partitions(&store.table_dir(source))? {
            if day > cutoff_day {
                break;
            }
            let whole = day < cutoff_day;
            let mut day_rows = 0u64;
            for file in list_files(&dir)? {
                if file.extension().is_none_or(|e| e != "parquet") {
                    continue;
                }
                let needs_rows = !active.is_empty() || !whole;
                let batches = if needs_rows { read_batches(&file)? } else { Vec::new() };
                // RET-2/3: copy what an active hold covers, before anything goes.
                for hold in active.iter().filter(|h| h.sources.contains(&source)) {
                    let mut held = Vec::new();
                    for b in &batches {
                        let expired = mask_time(b, |t| t < cutoff_us);
                        let covered = held_mask(b, source, hold, plan.tz);
                        let both = datafusion::arrow::compute::and(&expired, &covered)
                            .map_err(|e| StoreError::Arrow { source_name: source.name(), source: e })?;
                        let kept = filter_record_batch(b, &both)
                            .map_err(|e| StoreError::Arrow { source_name: source.name(), source: e })?;
                        if kept.num_rows() > 0 {
                            held.push(kept);
                        }
                    }
                    let n: u64 = held.iter().map(|b| b.num_rows() as u64).sum();
                    if n == 0 {
                        continue;
                    }
                    let dest = store
                        .root()
                        .join(HOLDS_DIR)
                        .join(&hold.case)
                        .join(source.name())
                        .join(format!("date={}", date_of_day(day)))
                        .join(file.file_name().unwrap_or_default());
                    *r.rows_moved_to_holds.entry(hold.case.clone()).or_default() += n;
                    if !plan.dry_run && !dest.exists() {
                        write_parquet(store, source, &held, &dest)?;
                        crate::crash::step();
                    }
                }
                let (sha, bytes) = file_sha256(&file)?;
                if whole {
                    let rows =
                        if needs_rows { batches.iter().map(|b| b.num_rows() as u64).sum() } else { num_rows(&file)? };
                    day_rows += rows;
                    *r.rows_removed.entry(source.name().into()).or_default() += rows;
                    r.files_removed.push(FileGone { path: rel(store, &file), sha256: sha, bytes });
                    r.bytes_freed += bytes;
                    if !plan.dry_run {
                        std::fs::remove_file(&file).map_err(StoreError::io("remove", &file))?;
                        crate::crash::step();
                    }
                } else {
                    // The boundary day: keep the rows inside the window.
                    let mut kept = Vec::new();
                    let mut gone = 0u64;
                    for b in &batches {
                        let keep = mask_time(b, |t| t >= cutoff_us);
                        gone += (b.num_rows() - keep.true_count()) as u64;
                        let k = filter_record_batch(b, &keep)
                            .map_err(|e| StoreError::Arrow { source_name: source.name(), source: e })?;
                        if k.num_rows() > 0 {
                            kept.push(k);
                        }
                    }
                    if gone == 0 {
                        continue;
                    }
                    *r.rows_removed.entry(source.name().into()).or_default() += gone;
                    r.files_rewritten.push(rel(store, &file));
                    if !plan.dry_run {
                        if kept.is_empty() {
                            std::fs::remove_file(&file).map_err(StoreError::io("remove", &file))?;
                            r.files_removed.push(FileGone { path: rel(store, &file), sha256: sha, bytes });
                            r.bytes_freed += bytes;
                        } else {
                            write_parquet(store, source, &kept, &file)?;
                            let after = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(bytes);
                            r.bytes_freed += bytes.saturating_sub(after);
                        }
                        crate::crash::step();
                    }
                }
            }
            if whole {
                r.partitions_deleted.push(PartitionGone { source, date: date_of_day(day).to_string(), rows: day_rows });
                if !plan.dry_run {
                    let _ = std::fs::remove_dir(&dir);
                }
            }
        }
    }
    purge_rejected(plan, cutoff_us, cutoff_day, &mut r)?;
    // Hold areas whose hold was released or ended.
    let holds_dir = store.root().join(HOLDS_DIR);
    for case_dir in list_files(&holds_dir)? {
        let case = case_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if active.iter().any(|h| h.case == case) {
            continue;
        }
        let mut files = Vec::new();
        walk(&case_dir, &mut files);
        for f in &files {
            let (sha, bytes) = file_sha256(f)?;
            if f.extension().is_some_and(|e| e == "parquet") {
                *r.rows_removed.entry("held".into()).or_default() += num_rows(f).unwrap_or(0);
            }
            r.files_removed.push(FileGone { path: rel(store, f), sha256: sha, bytes });
            r.bytes_freed += bytes;
        }
        r.holds_ended.push(case);
        if !plan.dry_run {
            std::fs::remove_dir_all(&case_dir).map_err(StoreError::io("remove", &case_dir))?;
            crate::crash::step();
        }
    }
    Ok(r)
}

fn purge_rejected(
    plan: &PurgePlan<'_>,
    cutoff_us: i64,
    cutoff_day: i32,
    r: &mut PurgeReceipt,
) -> Result<(), StoreError> {
    let store = plan.store;
    for (_, day, file) in store.rejected_files()? {
        if day > cutoff_day {
            continue;
        }
        let (sha, bytes) = file_sha256(&file)?;
        let text = std::fs::read_to_string(&file).map_err(StoreError::io("read", &file))?;
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        // Rows carry their event time when they had a readable one; the others are dated
        // by their folder (the ingest day) and go when that whole day is past.
        let keep: Vec<&str> = if day < cutoff_day {
            Vec::new()
        } else {
            lines
                .iter()
                .copied()
                .filter(|l| {
                    serde_json::from_str::<serde_json::Value>(l)
                        .ok()
                        .and_then(|v| v.get("event_time_us").and_then(|t| t.as_i64()))
                        .is_none_or(|t| t >= cutoff_us)
                })
                .collect()
        };
        let gone = (lines.len() - keep.len()) as u64;
        if gone == 0 {
            continue;
        }
        *r.rows_removed.entry("rejected".into()).or_default() += gone;
        if plan.dry_run {
            continue;
        }
        if keep.is_empty() {
            std::fs::remove_file(&file).map_err(StoreError::io("remove", &file))?;
            r.files_removed.push(FileGone { path: rel(store, &file), sha256: sha, bytes });
            r.bytes_freed += bytes;
            if let Some(dir) = file.parent() {
                let _ = std::fs::remove_dir(dir);
            }
        } else {
            let tmp =
                store.tmp_dir().join(format!("purge-{}.tmp", file.file_name().unwrap_or_default().to_string_lossy()));
            std::fs::create_dir_all(store.tmp_dir()).map_err(StoreError::io("create", store.tmp_dir()))?;
            crate::fsio::write_synced(&tmp, (keep.join("\n") + "\n").as_bytes())
                .map_err(StoreError::io("write", &tmp))?;
            publish(&tmp, &file)?;
            r.files_rewritten.push(rel(store, &file));
        }
        crate::crash::step();
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() { walk(&p, out) } else { out.push(p) }
    }
}

/// Rows of each hold area, for `hold list` and reports.
pub fn held_rows(store: &Store, case: &str) -> u64 {
    let mut files = Vec::new();
    walk(&store.root().join(HOLDS_DIR).join(case), &mut files);
    files.iter().filter(|f| f.extension().is_some_and(|e| e == "parquet")).map(|f| num_rows(f).unwrap_or(0)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_and_its_first_local_day_agree_across_a_clock_change() {
        let policy = RetentionPolicy { days: 28 };
        let tz: Tz = "Europe/Brussels".parse().unwrap();
        // 2026-11-22 03:00 UTC: 28 days back is 2026-10-25 03:00 UTC, the morning the clocks
        // went back, 04:00 local.
        let now = DateTime::parse_from_rfc3339("2026-11-22T03:00:00Z").unwrap().to_utc();
        assert_eq!(policy.cutoff(now).to_rfc3339(), "2026-10-25T03:00:00+00:00");
        assert_eq!(policy.cutoff_us(now), policy.cutoff(now).timestamp_micros());
        assert_eq!(policy.first_day(now, tz).to_string(), "2026-10-25");
        // Just after local midnight the cut-off's day is the day before in UTC terms.
        let late = DateTime::parse_from_rfc3339("2026-11-21T23:30:00Z").unwrap().to_utc();
        assert_eq!(policy.first_day(late, tz).to_string(), "2026-10-25");
    }
}
