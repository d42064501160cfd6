//! `logwacht ingest`: exports into the store, under the store lock.
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::audit_log;
use crate::cli::IngestArgs;
use crate::config::Config;
use crate::error::{EXIT_ERROR, EXIT_OK, Error, Result};
use crate::fsio;
use crate::ingest;
use crate::ingest::FileStatus;
use crate::ingest::sink::Window;
use crate::store::Store;
use crate::store::ledger::Ledger;
use crate::store::lock::StoreLock;
use crate::workspace::Workspace;

/// Reads the files and folders of `args` into the store and prints what happened to each.
pub fn run(ws: &Workspace, args: IngestArgs) -> Result<u8> {
    let config = &ws.config;
    let opts =
        ingest::IngestOptions { source: args.source, format: args.format, year: args.year, progress: !args.json };
    let lock = ws.lock_store("ingest")?;
    let stats = ingest_paths(config, &lock, ws.now(), ws.geoip()?, &args.paths, &opts, ws.operator())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats).map_err(|e| Error::Bug(e.to_string()))?);
    } else {
        print!("{}", fsio::printable(&render_ingest(&stats)));
    }
    Ok(if stats.failed() > 0 { EXIT_ERROR } else { EXIT_OK })
}

/// Ingests `paths` into the configured store; the caller holds the store's lock (`_lock`)
/// and has opened the GeoIP database once for the run.
pub fn ingest_paths(
    config: &Config,
    _lock: &StoreLock,
    now: DateTime<Utc>,
    geoip: std::sync::Arc<crate::enrich::geoip::GeoIp>,
    paths: &[std::path::PathBuf],
    opts: &ingest::IngestOptions,
    operator: Option<&str>,
) -> Result<ingest::IngestStats> {
    let store = Store::new(&config.store_dir);
    let mut ledger = Ledger::load(&store.ledger_path())?;
    crate::store::commit::recover(&store, &ledger)?;
    let files = ingest::expand(paths)?;
    let now_us = now.timestamp_micros();
    let window = Window {
        max_record: config.max_record_bytes,
        cutoff_us: crate::store::retention::RetentionPolicy::of(config).cutoff_us(now),
        future_us: now_us + i64::from(config.future_tolerance_minutes) * 60_000_000,
        now_us,
    };
    // GEO-1: sign-ins are placed as they are stored; the database opened once per run.
    let geoip = Some(geoip);
    let ctx = ingest::IngestContext {
        store: store.clone(),
        window,
        timezone: config.timezone,
        batch_rows: config.batch_rows,
        now,
        geoip,
    };
    let stats = ingest::run(&ctx, &mut ledger, &files, opts)?;
    // Files that failed as a whole may have left temporary files.
    crate::store::commit::recover(&store, &ledger)?;
    // CTL-9: reading logs into the store is a look at personal data.
    let totals = stats.totals();
    let event = audit_log::Event::Ingest {
        files: stats.files.len(),
        sources: totals.keys().copied().collect(),
        rows_read: totals.values().map(|t| t.stored + t.expired + t.rejected_total()).sum(),
        stored: totals.iter().map(|(s, t)| (s.name(), t.stored)).collect(),
        failed_files: stats.failed(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &audit_log::operator(operator), event)?;
    Ok(stats)
}

/// The human summary of an ingest: per file, then per source, then rejections by reason.
/// Names files and counts, never a value from a log.
pub fn render_ingest(stats: &ingest::IngestStats) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for f in &stats.files {
        let name = Path::new(&f.file).display();
        match f.status {
            FileStatus::Error => {
                // The error names the file itself.
                let _ = writeln!(out, "error           {}", f.error.as_deref().unwrap_or(""));
            }
            FileStatus::Empty => {
                let _ = writeln!(out, "empty           {name}");
            }
            FileStatus::Skipped => {
                let _ = writeln!(out, "skipped         {name}: {}", f.error.as_deref().unwrap_or(""));
            }
            status @ (FileStatus::Stored | FileStatus::AlreadyStored) => {
                let elsewhere: String =
                    f.counts.also_stored.iter().map(|(s, n)| format!(" (+{n} in {})", s.name())).collect();
                let _ = writeln!(
                    out,
                    "{:<15} {name} ({}): {} stored{elsewhere}, {} rejected, {} expired",
                    status.as_str(),
                    f.format.unwrap_or("?"),
                    f.counts.stored,
                    f.counts.rejected_total(),
                    f.counts.expired
                );
            }
        }
    }
    for (source, t) in stats.totals() {
        let _ = writeln!(
            out,
            "{}: {} rows stored, {} rejected, {} expired (older than the retention window)",
            source.name(),
            t.stored,
            t.rejected_total(),
            t.expired
        );
        for (reason, n) in &t.rejected {
            let _ = writeln!(out, "  rejected {n}: {reason}");
        }
        // Records of another kind, by the name their source gives (a checked code).
        for (name, n) in &t.skipped_by {
            let _ = writeln!(out, "  skipped {n}: {name}");
        }
    }
    if stats.failed() > 0 {
        let _ = writeln!(out, "{} file(s) could not be read; the others are stored", stats.failed());
    }
    out
}
