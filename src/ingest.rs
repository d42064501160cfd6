//! Ingest: log files in, day partitions of the store out.
//!
//! ```text
//! file --sha256--> ledger knows it? --yes--> "already stored"
//!   |no
//!   +--sniff--> Format --parser--> records --Sink--> per-day RecordBatches --enrich (GeoIP)--> Parts --> _tmp/*.parquet
//!                                     | expired (RET-1) / rejected (file, line, reason, raw)
//!   store::commit: intent -> parts and rejected files renamed into place -> ledger line
//! ```
//! Ingest reads and hands what it read to the store's commit (`store/commit.rs`: the
//! intent, the publish, the ledger line and the recovery after a crash).
//!
//! Over 600 lines with its tests: the list of sixteen formats, sniffing and the folder walk
//! are one unit, tested together (every format told apart by its first bytes); the readers
//! themselves are one file each.
pub mod combined;
pub mod csv_input;
pub mod entra_csv;
mod error;
pub mod exchange_online;
pub mod exchange_server;
pub mod firewall;
pub mod google_login;
pub mod json_records;
pub mod lines;
pub mod postfix;
pub mod record;
pub mod signin_csv;
pub mod signin_json;
pub mod sink;
pub mod squid;
pub mod time;
pub mod unified_audit;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::schema::Source;
use crate::store::Store;
use crate::store::ledger::{Ledger, LedgerEntry};
use crate::store::writer::WrittenPart;
pub use error::IngestError;
use record::{EmailBatcher, Provenance, SigninBatcher, WebBatcher};
use sink::{FileCounts, RejectFile, Sink, Window};

/// The log formats logwacht reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
    /// Microsoft Graph `signIn` JSON.
    GraphJson,
    /// Azure Monitor diagnostic-settings export of sign-in logs.
    AzureDiagnostic,
    /// Log Analytics "Export to CSV" of `SigninLogs`.
    LogAnalyticsCsv,
    /// Google Workspace login audit (Admin SDK Reports API, `applicationName=login`).
    GoogleLogin,
    /// The Entra admin centre's download of the sign-in logs (CSV).
    EntraCsv,
    /// The Microsoft 365 unified audit log, exported as CSV (Purview, `Search-UnifiedAuditLog`).
    UalCsv,
    /// The unified audit log as JSON (Management Activity API, Graph `auditLogRecord`).
    UalJson,
    /// `Get-MessageTrace | Export-Csv`.
    ExoTraceCsv,
    /// Exchange admin centre message trace report (CSV).
    ExoReportCsv,
    /// Exchange Online message trace as JSON.
    ExoTraceJson,
    /// Exchange Server message tracking log.
    ExchangeTracking,
    /// Postfix syslog.
    Postfix,
    /// Squid native access.log.
    Squid,
    /// Apache/Nginx combined (or common) log format.
    Combined,
    /// FortiGate web filter and traffic logs (`key=value` syslog).
    Fortigate,
    /// Sophos Firewall content filtering logs (`key=value` syslog).
    Sophos,
}

impl Format {
    /// Every format, in the order sniffing tries them.
    pub const ALL: [Format; 16] = [
        Format::AzureDiagnostic,
        Format::GraphJson,
        Format::GoogleLogin,
        Format::UalJson,
        Format::ExoTraceJson,
        Format::LogAnalyticsCsv,
        Format::EntraCsv,
        Format::UalCsv,
        Format::ExoTraceCsv,
        Format::ExoReportCsv,
        Format::ExchangeTracking,
        Format::Postfix,
        Format::Squid,
        Format::Combined,
        Format::Fortigate,
        Format::Sophos,
    ];

    /// The name used in `--format`, the store and reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::GraphJson => "graph-json",
            Format::AzureDiagnostic => "azure-diagnostic",
            Format::LogAnalyticsCsv => "loganalytics-csv",
            Format::GoogleLogin => "google-login",
            Format::EntraCsv => "entra-csv",
            Format::UalCsv => "ual-csv",
            Format::UalJson => "ual-json",
            Format::ExoTraceCsv => "exo-trace-csv",
            Format::ExoReportCsv => "exo-report-csv",
            Format::ExoTraceJson => "exo-trace-json",
            Format::ExchangeTracking => "exchange-tracking",
            Format::Postfix => "postfix",
            Format::Squid => "squid",
            Format::Combined => "combined",
            Format::Fortigate => "fortigate",
            Format::Sophos => "sophos",
        }
    }

    /// Parses a `--format` value.
    pub fn parse(text: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == text)
    }

    /// The store table this format's rows go to.
    pub fn source(self) -> Source {
        match self {
            Format::GraphJson
            | Format::AzureDiagnostic
            | Format::LogAnalyticsCsv
            | Format::GoogleLogin
            | Format::EntraCsv
            | Format::UalCsv
            | Format::UalJson => Source::Signin,
            Format::ExoTraceCsv
            | Format::ExoReportCsv
            | Format::ExoTraceJson
            | Format::ExchangeTracking
            | Format::Postfix => Source::Email,
            Format::Squid | Format::Combined | Format::Fortigate | Format::Sophos => Source::Web,
        }
    }

    /// All format names, comma-separated (for error messages).
    pub fn all_names() -> String {
        Format::ALL.map(Format::name).join(", ")
    }
}

/// How much of a file sniffing looks at.
const SNIFF_BYTES: usize = 64 * 1024;

/// Guesses the format of a file from its first bytes.
pub fn sniff(head: &[u8]) -> Option<Format> {
    let head = head.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(head);
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        // The first record that parses decides: one damaged record at the top (a flipped
        // byte) does not make the whole file unreadable.
        let mut first = None;
        let mut tried = 0;
        let _ = json_records::split::<()>(&mut trimmed.as_bytes(), SNIFF_BYTES, &mut |r| {
            if first.is_none() && !r.truncated && tried < 10 {
                tried += 1;
                first = serde_json::from_slice::<serde_json::Value>(r.bytes).ok().filter(|v| v.is_object());
            }
            Ok(())
        });
        let v = first?;
        // An audit record also has a createdDateTime and a userPrincipalName (Graph's
        // auditLogRecord): it is told apart first.
        return if unified_audit::looks_like(&v) {
            Some(Format::UalJson)
        } else if signin_json::is_diagnostic(&v) && signin_json::looks_like_signin(&v) {
            Some(Format::AzureDiagnostic)
        } else if signin_json::looks_like_signin(&v) {
            Some(Format::GraphJson)
        } else if google_login::looks_like(&v) {
            Some(Format::GoogleLogin)
        } else if exchange_online::is_trace_json(&v) {
            Some(Format::ExoTraceJson)
        } else {
            None
        };
    }
    if let Ok((Some(cols), _)) = csv_input::read_header(&mut trimmed.as_bytes(), b',', usize::MAX) {
        if signin_csv::is_header(&cols) {
            return Some(Format::LogAnalyticsCsv);
        }
        if entra_csv::is_header(&cols) {
            return Some(Format::EntraCsv);
        }
        if unified_audit::is_header(&cols) {
            return Some(Format::UalCsv);
        }
        if exchange_online::is_trace_header(&cols) {
            return Some(Format::ExoTraceCsv);
        }
        if exchange_online::is_report_header(&cols) {
            return Some(Format::ExoReportCsv);
        }
        if exchange_server::is_header(&cols) {
            return Some(Format::ExchangeTracking);
        }
    }
    let lines: Vec<&str> = trimmed.lines().filter(|l| !l.trim().is_empty()).take(50).collect();
    // The last line of the sniffed bytes may be cut off.
    let whole = if head.len() >= SNIFF_BYTES && lines.len() > 1 { &lines[..lines.len() - 1] } else { &lines[..] };
    if whole.iter().any(|l| postfix::sniff(l)) {
        return Some(Format::Postfix);
    }
    // The first of the first ten lines that looks like a known web log decides, so a
    // damaged first line does not hide the format of the rest.
    for line in whole.iter().take(10) {
        if squid::sniff(line) {
            return Some(Format::Squid);
        }
        if combined::sniff(line) {
            return Some(Format::Combined);
        }
        if firewall::sniff_fortigate(line) {
            return Some(Format::Fortigate);
        }
        if firewall::sniff_sophos(line) {
            return Some(Format::Sophos);
        }
    }
    None
}

/// What `ingest` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Only accept files of this source.
    pub source: Option<Source>,
    /// Read every file as this format instead of sniffing.
    pub format: Option<Format>,
    /// The year of syslog stamps without one.
    pub year: Option<i32>,
    /// Draw a progress bar (only on a terminal).
    pub progress: bool,
}

/// What became of one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FileStatus {
    /// Read; its rows stored (or rejected, or expired).
    #[serde(rename = "stored")]
    Stored,
    /// The ledger already holds these bytes: nothing added.
    #[serde(rename = "already stored")]
    AlreadyStored,
    /// No records.
    #[serde(rename = "empty")]
    Empty,
    /// Not a regular file (a folder link, a FIFO, a device): not opened.
    #[serde(rename = "skipped")]
    Skipped,
    /// Failed as a whole; `error` says why.
    #[serde(rename = "error")]
    Error,
}

impl FileStatus {
    /// The word the JSON output and the terminal show.
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Stored => "stored",
            FileStatus::AlreadyStored => "already stored",
            FileStatus::Empty => "empty",
            FileStatus::Skipped => "skipped",
            FileStatus::Error => "error",
        }
    }
}

/// What happened to one input file.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    /// The file, absolute.
    pub file: String,
    /// What became of it.
    pub status: FileStatus,
    /// The format it was read as.
    pub format: Option<&'static str>,
    /// The table its rows went to.
    pub source: Option<Source>,
    /// Row counts.
    pub counts: FileCounts,
    /// Why the file as a whole failed.
    pub error: Option<String>,
}

impl FileOutcome {
    /// A file whose bytes the ledger already holds: nothing added.
    fn already_stored(file: String, format: Format) -> FileOutcome {
        FileOutcome {
            file,
            status: FileStatus::AlreadyStored,
            format: Some(format.name()),
            source: Some(format.source()),
            counts: FileCounts::default(),
            error: None,
        }
    }
}

/// The outcome of one `ingest` run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestStats {
    /// Per file, in the order read.
    pub files: Vec<FileOutcome>,
}

impl IngestStats {
    /// Totals per source: stored, expired, rejected.
    pub fn totals(&self) -> BTreeMap<Source, FileCounts> {
        let mut out: BTreeMap<Source, FileCounts> = BTreeMap::new();
        for f in &self.files {
            if let Some(s) = f.source {
                out.entry(s).or_default().add(&f.counts);
                // Rows a file put in another table count as that table's.
                for (other, n) in &f.counts.also_stored {
                    out.entry(*other).or_default().stored += n;
                }
            }
        }
        for t in out.values_mut() {
            t.also_stored.clear();
        }
        out
    }

    /// Files that failed as a whole.
    pub fn failed(&self) -> usize {
        self.files.iter().filter(|f| f.status == FileStatus::Error).count()
    }
}

/// Everything ingest needs besides the files.
#[derive(Debug, Clone)]
pub struct IngestContext {
    /// The store.
    pub store: Store,
    /// The accepted time window.
    pub window: Window,
    /// The school's zone (syslog stamps).
    pub timezone: Tz,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Now.
    pub now: DateTime<Utc>,
    /// The GeoIP database that places sign-ins (GEO-1), if any.
    pub geoip: Option<std::sync::Arc<crate::enrich::geoip::GeoIp>>,
}

/// Expands folders into their files (sorted, hidden files skipped). Inside a folder, a link
/// to a folder is not followed (as `find` does without `-L`: two links to `.` cannot make
/// the walk endless, a link to `/` cannot pull in the machine) and a folder is walked once;
/// what is not a regular file is passed on for `run` to skip with its reason.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut seen: std::collections::HashSet<(u64, u64)> = std::collections::HashSet::new();
    for p in paths {
        if p.is_dir() {
            let mut stack = vec![p.clone()];
            let mut found = Vec::new();
            while let Some(dir) = stack.pop() {
                let Ok(meta) = std::fs::metadata(&dir) else { continue };
                if !seen.insert((meta.dev(), meta.ino())) {
                    continue;
                }
                let entries =
                    std::fs::read_dir(&dir).map_err(|e| IngestError::Read { path: dir.clone(), source: e })?;
                for e in entries {
                    let e = e.map_err(|e| IngestError::Read { path: dir.clone(), source: e })?;
                    let path = e.path();
                    if e.file_name().to_string_lossy().starts_with('.') {
                        continue;
                    }
                    match e.file_type() {
                        Ok(t) if t.is_dir() => stack.push(path),
                        _ => found.push(path),
                    }
                }
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// The first bytes (for sniffing), the size, and the SHA-256 of the first MiB.
fn probe_file(path: &Path) -> Result<(Vec<u8>, u64, String), IngestError> {
    let read = |e| IngestError::Read { path: path.into(), source: e };
    let f = File::open(path).map_err(read)?;
    let bytes = f.metadata().map_err(read)?.len();
    let mut first = Vec::with_capacity(HEAD_KEY_BYTES);
    f.take(HEAD_KEY_BYTES as u64).read_to_end(&mut first).map_err(read)?;
    let head = first[..first.len().min(SNIFF_BYTES)].to_vec();
    Ok((head, bytes, hex::encode(Sha256::digest(&first))))
}

/// How much of a file the cheap re-ingest key hashes.
const HEAD_KEY_BYTES: usize = 1 << 20;

/// SHA-256 of a whole file.
fn hash_file(path: &Path) -> Result<String, IngestError> {
    let read = |e| IngestError::Read { path: path.into(), source: e };
    let mut f = File::open(path).map_err(read)?;
    let mut hasher = Sha256::new();
    // Large reads: a 512 MB log in 8 KiB pieces is 64,000 system calls.
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(read)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Reads the files into the store. The caller holds the store lock. A file that fails as
/// a whole is reported in its outcome; the other files still go in.
pub fn run(
    ctx: &IngestContext,
    ledger: &mut Ledger,
    files: &[PathBuf],
    opts: &IngestOptions,
) -> Result<IngestStats, IngestError> {
    let mut stats = IngestStats::default();
    for path in files {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        if let Some(why) = not_regular(&abs) {
            stats.files.push(FileOutcome {
                file: abs.display().to_string(),
                status: FileStatus::Skipped,
                format: None,
                source: None,
                counts: FileCounts::default(),
                error: Some(why.into()),
            });
            continue;
        }
        let outcome = match ingest_file(ctx, ledger, &abs, opts) {
            Ok(o) => o,
            Err(IngestError::Store(e)) => return Err(IngestError::Store(e)),
            Err(e) => FileOutcome {
                file: abs.display().to_string(),
                status: FileStatus::Error,
                format: None,
                source: None,
                counts: FileCounts::default(),
                error: Some(e.to_string()),
            },
        };
        stats.files.push(outcome);
    }
    Ok(stats)
}

/// Why a path is not read: a FIFO would block the run forever, a device never ends.
fn not_regular(path: &Path) -> Option<&'static str> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => Some("a link to a folder inside a folder: not followed"),
        Ok(_) => Some("not a regular file (a FIFO, socket or device): skipped, never opened"),
        Err(_) => None,
    }
}

fn ingest_file(
    ctx: &IngestContext,
    ledger: &mut Ledger,
    path: &Path,
    opts: &IngestOptions,
) -> Result<FileOutcome, IngestError> {
    let (head, bytes, head_sha) = probe_file(path)?;
    let file = path.display().to_string();
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(IngestError::NotThisFormat {
            path: path.into(),
            format: "any",
            reason: "the file is UTF-16; save it as UTF-8 (PowerShell: Export-Csv -Encoding utf8)".into(),
        });
    }
    if head.iter().all(u8::is_ascii_whitespace) && bytes == head.len() as u64 {
        // A rotated log of a quiet day: nothing to read, nothing wrong.
        return Ok(FileOutcome {
            file,
            status: FileStatus::Empty,
            format: opts.format.map(Format::name),
            source: opts.format.map(Format::source),
            counts: FileCounts::default(),
            error: None,
        });
    }
    let format = match opts.format {
        Some(f) => f,
        None => {
            sniff(&head).ok_or_else(|| IngestError::UnknownFormat { path: path.into(), tried: Format::all_names() })?
        }
    };
    if let Some(wanted) = opts.source.filter(|s| *s != format.source()) {
        return Err(IngestError::WrongSource {
            path: path.into(),
            format: format.name(),
            actual: format.source().name(),
            wanted: wanted.name(),
        });
    }
    // Same size and first MiB as a stored file: hash it whole to be sure before reading.
    if ledger.may_contain(bytes, &head_sha) && ledger.contains(&hash_file(path)?) {
        return Ok(FileOutcome::already_stored(file, format));
    }
    static INGESTS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let stem = format!("{}-{}", std::process::id(), INGESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let prov = Provenance { format: format.name(), file: Arc::from(file.as_str()) };
    let reader = File::open(path).map_err(|e| IngestError::Read { path: path.into(), source: e })?;
    let progress = crate::progress::bar(opts.progress, bytes, path);
    // The file's SHA-256 is computed on a thread of its own while the parse runs: it is
    // needed only at the commit, and the parse thread is the critical path.
    let hashing = {
        let path = path.to_path_buf();
        std::thread::spawn(move || hash_file(&path))
    };
    let mut input = BufReader::with_capacity(1 << 20, progress.wrap_read(reader));
    let (counts, parts, rejects) = read_into(ctx, format, &mut input, stem, prov, opts.year)?;
    progress.finish_and_clear();
    let sha = hashing.join().map_err(|_| IngestError::Bug("the hashing thread panicked".into()))??;
    if ledger.contains(&sha) {
        // The same bytes under another name, read in this very run.
        return Ok(FileOutcome::already_stored(file, format));
    }
    // The store commits what was read: intent, publish, ledger line.
    let entry = LedgerEntry {
        sha256: sha,
        bytes,
        head_sha256: Some(head_sha),
        file: file.clone(),
        source: format.source().name().into(),
        format: format.name().into(),
        ingested_at: ctx.now.to_rfc3339_opts(SecondsFormat::Secs, true),
        // Every row the input gave, in whichever table (as a rebuilt ledger counts them).
        stored: counts.stored + counts.also_stored.values().sum::<u64>(),
        expired: counts.expired,
        rejected: counts.rejected_total(),
        parts: Vec::new(),
        rebuilt: false,
    };
    let rejected: Vec<(PathBuf, Source, i32)> = rejects.into_iter().map(|r| (r.tmp, r.source, r.day)).collect();
    crate::store::commit::commit(&ctx.store, ledger, entry, &parts, &rejected)?;
    Ok(FileOutcome {
        file,
        status: FileStatus::Stored,
        format: Some(format.name()),
        source: Some(format.source()),
        counts,
        error: None,
    })
}

/// Reads one input with the reader of `format` into the store's `_tmp/`: the rows as
/// Parquet parts by day and the rejected rows beside them. Nothing is published; the
/// caller commits (or, like the fuzz targets in `fuzz/`, removes) what it gets back.
pub fn read_into(
    ctx: &IngestContext,
    format: Format,
    input: &mut dyn BufRead,
    stem: String,
    prov: Provenance,
    year: Option<i32>,
) -> Result<(FileCounts, Vec<WrittenPart>, Vec<RejectFile>), IngestError> {
    let syslog = postfix::SyslogTime { tz: ctx.timezone, year, now_us: ctx.window.now_us };
    let read = match format.source() {
        Source::Signin => {
            // Enrichment composed into the pipeline: sign-ins are placed on the map (GEO-1).
            let transforms: Vec<Box<dyn crate::enrich::Transform>> =
                ctx.geoip.iter().map(|g| Box::new(g.fork()) as Box<dyn crate::enrich::Transform>).collect();
            let mut sink = Sink::<SigninBatcher>::new(&ctx.store, stem, prov, ctx.window, ctx.batch_rows, transforms);
            match format {
                Format::LogAnalyticsCsv => signin_csv::read(input, &mut sink)?,
                Format::GoogleLogin => google_login::read(input, &mut sink)?,
                Format::EntraCsv => entra_csv::read(input, &mut sink)?,
                Format::UalCsv => unified_audit::read_csv_export(input, &mut sink)?,
                Format::UalJson => unified_audit::read_json(input, &mut sink)?,
                _ => signin_json::read(input, &mut sink)?,
            }
            sink.finish()?
        }
        Source::Email => {
            let mut sink = Sink::<EmailBatcher>::new(&ctx.store, stem, prov, ctx.window, ctx.batch_rows, Vec::new());
            match format {
                Format::ExoTraceJson => exchange_online::read_json(input, &mut sink)?,
                Format::ExchangeTracking => exchange_server::read(input, &mut sink)?,
                Format::Postfix => postfix::read(input, &mut sink, syslog)?,
                _ => exchange_online::read_csv_file(input, &mut sink)?,
            }
            sink.finish()?
        }
        Source::Web => {
            let mut sink = Sink::<WebBatcher>::new(&ctx.store, stem, prov, ctx.window, ctx.batch_rows, Vec::new());
            match format {
                Format::Combined => combined::read(input, &mut sink)?,
                Format::Fortigate => firewall::read_fortigate(input, &mut sink)?,
                Format::Sophos => firewall::read_sophos(input, &mut sink)?,
                _ => squid::read(input, &mut sink)?,
            }
            sink.finish()?
        }
    };
    Ok(read)
}

/// Opens a reader with BOM and everything, for tests and tools.
pub fn open(path: &Path) -> Result<Box<dyn BufRead>, IngestError> {
    let f = File::open(path).map_err(|e| IngestError::Read { path: path.into(), source: e })?;
    Ok(Box::new(BufReader::new(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_tells_every_format_apart() {
        let cases: [(&str, Format); 17] = [
            ("[{\"createdDateTime\":\"2026-11-20T08:00:00Z\",\"userPrincipalName\":\"a@b\"}]", Format::GraphJson),
            (
                "{\"time\":\"x\",\"category\":\"SignInLogs\",\"properties\":{\"createdDateTime\":\"x\",\"userPrincipalName\":\"a\"}}\n",
                Format::AzureDiagnostic,
            ),
            ("\u{feff}TenantId,TimeGenerated [UTC],ResultType,UserPrincipalName\r\n", Format::LogAnalyticsCsv),
            ("TimeGenerated [UTC],ResultType,ServicePrincipalName,ServicePrincipalId\r\n", Format::LogAnalyticsCsv),
            ("\u{feff}Date (UTC),Request ID,User agent,User ID,User,Username\r\n", Format::EntraCsv),
            ("Date (UTC),Request ID,Correlation ID,Service principal ID,Service principal name\r\n", Format::EntraCsv),
            ("RecordId,CreationDate,RecordType,Operation,UserId,AuditData\r\n", Format::UalCsv),
            (
                "{\"CreationTime\":\"2026-11-20T08:15:30\",\"Operation\":\"UserLoggedIn\",\"RecordType\":15,\"Workload\":\"AzureActiveDirectory\"}\n",
                Format::UalJson,
            ),
            (
                "{\"createdDateTime\":\"x\",\"userPrincipalName\":\"a\",\"auditLogRecordType\":\"x\",\"operation\":\"UserLoggedIn\"}",
                Format::UalJson,
            ),
            (
                "{\"kind\":\"admin#reports#activities\",\"items\":[{\"id\":{\"time\":\"x\",\"applicationName\":\"login\"},\"events\":[]}]}",
                Format::GoogleLogin,
            ),
            (
                "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n\"Received\",\"SenderAddress\",\"RecipientAddress\"\r\n",
                Format::ExoTraceCsv,
            ),
            ("origin_timestamp_utc,sender_address,recipient_status\n", Format::ExoReportCsv),
            ("[{\"Received\":\"2026-11-20T08:00:00\",\"SenderAddress\":\"a@b\"}]", Format::ExoTraceJson),
            (
                "#Software: Microsoft Exchange Server\r\n#Fields: date-time,client-ip,event-id,recipient-address\r\n",
                Format::ExchangeTracking,
            ),
            ("Nov 20 10:00:01 mail postfix/qmgr[1236]: 4F9D5C0A1B: removed\n", Format::Postfix),
            (
                "1763625330.123     99 10.1.2.3 TCP_MISS/200 1433 GET http://a/ - HIER_DIRECT/1.2.3.4 text/html\n",
                Format::Squid,
            ),
            ("1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"-\"\n", Format::Combined),
        ];
        for (head, want) in cases {
            assert_eq!(sniff(head.as_bytes()), Some(want), "{head}");
        }
        assert_eq!(sniff(b"hello world\n"), None);
        assert_eq!(sniff(b"[{\"kind\":\"not a sign-in\"}]"), None);
    }
}
