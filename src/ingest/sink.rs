//! Where a parser's records go: the sink checks each event time against the retention
//! window (RET-1) and the future tolerance, groups rows by UTC day into Arrow batches for
//! the part writer, and keeps every rejected row with its file, line, reason and raw text.
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::enrich::Transform;
use crate::ingest::record::{Batcher, EmailBatcher, EmailRecord, Provenance, Record};
use crate::schema::Source;
use crate::store::StoreError;
use crate::store::writer::{Parts, WrittenPart};
use crate::store::{Store, day_of_micros};

/// The writer's thread: each batch goes through the pipeline's enrichment (`transforms`,
/// in order) and into the store's day parts, beside the parser on the calling thread, so
/// that parsing and Parquet encoding with zstd use both cores.
struct PartWriter {
    tx: Option<SyncSender<(i32, RecordBatch)>>,
    handle: Option<JoinHandle<Result<Vec<WrittenPart>, StoreError>>>,
}

impl PartWriter {
    fn spawn(store: &Store, source: Source, stem: String, mut transforms: Vec<Box<dyn Transform>>) -> PartWriter {
        let (tx, rx) = sync_channel::<(i32, RecordBatch)>(4);
        let store = store.clone();
        let handle = std::thread::Builder::new()
            .name(format!("write-{}", source.name()))
            .spawn(move || {
                let mut parts = Parts::new(&store, source, &stem)?;
                for (day, mut batch) in rx {
                    for t in &mut transforms {
                        batch =
                            t.apply(&batch).map_err(|e| StoreError::Arrow { source_name: source.name(), source: e })?;
                    }
                    parts.write(day, &batch)?;
                }
                parts.finish()
            })
            .ok();
        PartWriter { tx: Some(tx), handle }
    }

    /// Hands a batch of day `day` to the writer.
    fn send(&mut self, day: i32, batch: RecordBatch) -> Result<(), StoreError> {
        let sent = self.tx.as_ref().map(|tx| tx.send((day, batch)).is_ok()).unwrap_or(false);
        if sent {
            return Ok(());
        }
        // The thread stopped: its own error says why.
        self.tx = None;
        match self.join() {
            Err(e) => Err(e),
            Ok(_) => {
                Err(StoreError::io("write", "writer thread")(std::io::Error::other("stopped early (this is a bug)")))
            }
        }
    }

    /// Closes every part and returns them, still under `_tmp/`.
    fn finish(mut self) -> Result<Vec<WrittenPart>, StoreError> {
        self.tx = None;
        self.join()
    }

    fn join(&mut self) -> Result<Vec<WrittenPart>, StoreError> {
        match self.handle.take() {
            Some(h) => h.join().unwrap_or_else(|_| {
                Err(StoreError::io("write", "writer thread")(std::io::Error::other("panicked (this is a bug)")))
            }),
            None => Err(StoreError::io("start", "writer thread")(std::io::Error::other("could not be started"))),
        }
    }
}

/// Counts of what happened to the records of one file.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FileCounts {
    /// Rows written to the store.
    pub stored: u64,
    /// Rows older than the retention window: not stored (RET-1).
    pub expired: u64,
    /// Rows rejected, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Lines that are valid but carry no event (postfix `connect from`, comments, ...).
    pub skipped: u64,
    /// Of those, the ones whose source names what they are (the unified audit log's other
    /// operations: `FileAccessed`, `New-InboxRule`, ...), by that name. A name is a code
    /// (letters, digits, `-`, `_`, `.`, at most [`SKIP_NAME_MAX`] bytes) or it is counted
    /// as [`SKIP_OTHER`]; at most [`SKIP_NAMES_MAX`] names per file, the rest under
    /// [`SKIP_OTHER`] too: a hostile log can neither print a value here nor grow the map.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped_by: BTreeMap<String, u64>,
    /// Rows of this file stored in another table than its format's (the unified audit
    /// log's `Send` records go to the mail table), by table.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub also_stored: BTreeMap<Source, u64>,
    /// Messages in flight flushed as incomplete by a bounded reader (Postfix).
    #[serde(skip_serializing_if = "is_zero")]
    pub incomplete: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The longest name a skipped record is counted under.
pub const SKIP_NAME_MAX: usize = 64;
/// How many distinct names one file's skipped records are counted under.
pub const SKIP_NAMES_MAX: usize = 64;
/// The name of skipped records whose own name is not a code, or one too many.
pub const SKIP_OTHER: &str = "(other)";

impl FileCounts {
    /// All rejected rows.
    pub fn rejected_total(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// Counts one skipped record under `name` (see [`FileCounts::skipped_by`]).
    pub fn skip_named(&mut self, name: &str) {
        self.skipped += 1;
        let is_code = !name.is_empty()
            && name.len() <= SKIP_NAME_MAX
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        let named = self.skipped_by.len() - usize::from(self.skipped_by.contains_key(SKIP_OTHER));
        let key =
            if is_code && (self.skipped_by.contains_key(name) || named < SKIP_NAMES_MAX) { name } else { SKIP_OTHER };
        *self.skipped_by.entry(key.to_string()).or_default() += 1;
    }

    /// Adds `other`'s counts to these (the totals of several files).
    pub fn add(&mut self, other: &FileCounts) {
        self.stored += other.stored;
        self.expired += other.expired;
        self.skipped += other.skipped;
        self.incomplete += other.incomplete;
        for (reason, n) in &other.rejected {
            *self.rejected.entry(reason.clone()).or_default() += n;
        }
        for (name, n) in &other.skipped_by {
            *self.skipped_by.entry(name.clone()).or_default() += n;
        }
        for (source, n) in &other.also_stored {
            *self.also_stored.entry(*source).or_default() += n;
        }
    }
}

/// Why a record was rejected (a fixed text, never a value from the log) and its event
/// time when it has a readable one.
pub type Rejection = (&'static str, Option<i64>);

/// A rejected-rows file under `_tmp/`, waiting to be published.
#[derive(Debug)]
pub struct RejectFile {
    /// The table whose rows were rejected.
    pub source: Source,
    /// Its day (event day, else ingest day).
    pub day: i32,
    /// Where it is now.
    pub tmp: PathBuf,
}

#[derive(Serialize)]
struct Rejected<'a> {
    file: &'a str,
    line: u64,
    format: &'a str,
    reason: &'a str,
    raw: &'a str,
    /// UTC µs, when the row had a readable time: the purge goes by it (RET-1).
    #[serde(skip_serializing_if = "Option::is_none")]
    event_time_us: Option<i64>,
}

/// Receives the records of one input file.
pub struct Sink<B: Batcher> {
    store: Store,
    stem: String,
    prov: Provenance,
    /// Builders per UTC day: a file spans few days, so a short vector beats a hash map.
    days: Vec<(i32, B)>,
    batch_rows: usize,
    /// The accepted times and record length.
    window: Window,
    ingest_day: i32,
    writer: PartWriter,
    rejects: BTreeMap<i32, (PathBuf, BufWriter<File>)>,
    counts: FileCounts,
    /// The mail table's sink of a reader whose records go to two tables (the unified
    /// audit log: sign-ins here, `Send` records there), opened at its first mail record.
    mail: Option<Box<Sink<EmailBatcher>>>,
}

/// The time window a sink accepts.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Events before this (UTC µs) are expired.
    pub cutoff_us: i64,
    /// Events after this (UTC µs) are rejected as in the future.
    pub future_us: i64,
    /// Now, UTC µs.
    pub now_us: i64,
    /// The longest line or record a reader takes, in bytes; a longer one is rejected.
    pub max_record: usize,
}

impl<B: Batcher> Sink<B> {
    /// A sink whose temporary files are named after `stem` (unique per ingest).
    pub fn new(
        store: &Store,
        stem: String,
        prov: Provenance,
        window: Window,
        batch_rows: usize,
        transforms: Vec<Box<dyn Transform>>,
    ) -> Self {
        Sink {
            writer: PartWriter::spawn(store, B::SOURCE, stem.clone(), transforms),
            store: store.clone(),
            stem,
            prov,
            days: Vec::new(),
            batch_rows: batch_rows.max(1),
            window,
            ingest_day: day_of_micros(window.now_us),
            rejects: BTreeMap::new(),
            counts: FileCounts::default(),
            mail: None,
        }
    }

    /// Takes a mail record of a reader whose other records go to this sink's table: it is
    /// stored in the mail table, under the same input and its commit.
    pub fn accept_mail(&mut self, rec: &EmailRecord, line: u64) -> Result<(), StoreError> {
        if self.mail.is_none() {
            let stem = format!("{}-mail", self.stem);
            self.mail = Some(Box::new(Sink::new(
                &self.store,
                stem,
                self.prov.clone(),
                self.window,
                self.batch_rows,
                Vec::new(),
            )));
        }
        match self.mail.as_mut() {
            Some(mail) => mail.accept(rec, line),
            None => Ok(()),
        }
    }

    /// Counts a valid record that is no event of this table under its own name.
    pub fn skip_named(&mut self, name: &str) {
        self.counts.skip_named(name);
    }

    /// The longest line or record the readers take.
    pub fn max_record(&self) -> usize {
        self.window.max_record
    }

    /// Rejects a line or record over [`Sink::max_record`], keeping its first 4 KiB.
    pub fn reject_too_long(&mut self, line: u64, first: &[u8]) -> Result<(), StoreError> {
        let keep = &first[..first.len().min(4096)];
        self.reject(line, "longer than [ingest] max_record_bytes", keep, None)
    }

    /// The provenance of this file's rows.
    pub fn provenance(&self) -> &Provenance {
        &self.prov
    }

    /// Takes one parsed record found at `line`.
    pub fn accept(&mut self, rec: &B::Rec<'_>, line: u64) -> Result<(), StoreError> {
        let t = rec.event_time();
        if t < self.window.cutoff_us {
            // RET-1: ingest never brings back what the retention window has let go.
            self.counts.expired += 1;
            return Ok(());
        }
        if t > self.window.future_us {
            return self.reject(line, "event time lies in the future beyond the tolerance", b"", Some(t));
        }
        let day = day_of_micros(t);
        let idx = match self.days.iter().position(|(d, _)| *d == day) {
            Some(i) => i,
            None => {
                self.days.push((day, B::with_capacity(self.batch_rows.min(8192))));
                self.days.len() - 1
            }
        };
        let b = &mut self.days[idx].1;
        b.push(rec, &self.prov, line);
        self.counts.stored += 1;
        if b.len() >= self.batch_rows {
            let batch = b.finish();
            self.writer.send(day, batch)?;
        }
        Ok(())
    }

    /// Counts messages a reader flushed as incomplete (their delivery lines never came
    /// while the reader's bounded queue was full).
    pub fn note_incomplete(&mut self, n: u64) {
        self.counts.incomplete += n;
    }

    /// Takes what a reader made of one record at `line`: its rows, none (a valid record
    /// that is no event of this table: counted as skipped), or why it is rejected (with
    /// `raw`, the record's text).
    pub fn take(&mut self, line: u64, raw: &[u8], rows: Result<Vec<B::Rec<'_>>, Rejection>) -> Result<(), StoreError> {
        match rows {
            Ok(rows) if rows.is_empty() => {
                self.skip();
                Ok(())
            }
            Ok(rows) => rows.iter().try_for_each(|r| self.accept(r, line)),
            Err((reason, t)) => self.reject(line, reason, raw, t),
        }
    }

    /// Counts a valid line that carries no event.
    pub fn skip(&mut self) {
        self.counts.skipped += 1;
    }

    /// Keeps a bad row: its raw text goes to the rejected-rows file of its day (or of the
    /// ingest day when it has no readable time), never to the terminal.
    ///
    /// RET-1 holds for bad rows too: one whose readable time lies before the window is not
    /// kept (counted as expired), and one dated in the future goes to the ingest day's file,
    /// so no rejected row outlives its ingest by more than the window.
    pub fn reject(&mut self, line: u64, reason: &str, raw: &[u8], event_time: Option<i64>) -> Result<(), StoreError> {
        if event_time.is_some_and(|t| t < self.window.cutoff_us) {
            self.counts.expired += 1;
            return Ok(());
        }
        *self.counts.rejected.entry(reason.to_string()).or_default() += 1;
        let ingest_day = self.ingest_day;
        let day = event_time.map(day_of_micros).filter(|d| *d <= ingest_day).unwrap_or(ingest_day);
        let (path, out) = match self.rejects.entry(day) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                let tmp_dir = self.store.tmp_dir();
                std::fs::create_dir_all(&tmp_dir).map_err(StoreError::io("create", &tmp_dir))?;
                let path = tmp_dir.join(format!("rejected-{}-{}-{day}.jsonl.tmp", B::SOURCE.name(), self.stem));
                let f = File::create(&path).map_err(StoreError::io("create", &path))?;
                v.insert((path, BufWriter::new(f)))
            }
        };
        let raw = String::from_utf8_lossy(raw);
        let row = Rejected {
            file: &self.prov.file,
            line,
            format: self.prov.format,
            reason,
            raw: &raw,
            event_time_us: event_time,
        };
        let mut text = serde_json::to_string(&row).unwrap_or_default();
        text.push('\n');
        out.write_all(text.as_bytes()).map_err(StoreError::io("write", path.clone()))
    }

    /// Flushes everything; returns the counts and the files to publish.
    pub fn finish(mut self) -> Result<(FileCounts, Vec<WrittenPart>, Vec<RejectFile>), StoreError> {
        self.days.sort_by_key(|(d, _)| *d);
        for (day, b) in self.days.iter_mut() {
            if !b.is_empty() {
                let batch = b.finish();
                self.writer.send(*day, batch)?;
            }
        }
        let mut parts = self.writer.finish()?;
        let mut rejects = Vec::new();
        for (day, (tmp, out)) in self.rejects {
            let f = out.into_inner().map_err(|e| StoreError::io("flush", tmp.clone())(e.into_error()))?;
            f.sync_all().map_err(StoreError::io("sync", tmp.clone()))?;
            rejects.push(RejectFile { source: B::SOURCE, day, tmp });
        }
        let mut counts = self.counts;
        if let Some(mail) = self.mail {
            let (mut mail_counts, mail_parts, mail_rejects) = mail.finish()?;
            // Its rows are stored in the mail table; its expired and rejected rows are the
            // input's like any other.
            *counts.also_stored.entry(Source::Email).or_default() += std::mem::take(&mut mail_counts.stored);
            counts.add(&mail_counts);
            parts.extend(mail_parts);
            rejects.extend(mail_rejects);
        }
        Ok((counts, parts, rejects))
    }
}
