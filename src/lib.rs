//! logwacht audits a school's sign-in, email and web logs the way its ICT protocol
//! demands, and no further (`../shared/POLICY.md`).
//!
//! ```text
//!  Entra sign-ins ─┐                         ┌─> rules (DataFusion SQL, purpose-checked)
//!  Exchange/Postfix ┼─ ingest ─> RecordBatch ─> store (Parquet, date=YYYY-MM-DD)
//!  Squid/Apache ───┘   (parsers)              ├─> purge (RET-1, holds, receipts)
//!                                             └─> reports (pseudonyms, samples)
//! ```
//! Stages exchange Arrow `RecordBatch`es and plain outcome structs (`IngestStats`, ...);
//! only [`run`] wires them together.
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod progress;
pub mod schema;
pub mod store;

use std::path::Path;

use cli::{Cli, Command};
use clock::Clock;
use config::Config;
use error::{EXIT_ERROR, EXIT_OK};
pub use error::{Error, Result};
use ingest::sink::Window;
use schema::Source;
use store::Store;
use store::ledger::Ledger;
use store::lock::StoreLock;

/// Runs one command and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let clock = Clock::from_flag(cli.now.as_deref())?;
    match cli.command {
        Command::Init(args) => {
            let path = config::init(&args.dir, Some(&args.mail_domains))?;
            println!("created {}", path.display());
            println!(
                "next: put people.csv and travel_exceptions.csv in the reference folder, then `logwacht ingest FILE|DIR...`"
            );
            Ok(EXIT_OK)
        }
        Command::Ingest(args) => {
            let config = Config::find(cli.config.as_deref())?;
            let source = match args.source.as_deref() {
                None => None,
                Some(s) => Some(Source::parse(s).ok_or_else(|| {
                    Error::Usage(format!("--source {s:?} is not one of signin, email, web"))
                })?),
            };
            let format = match args.format.as_deref() {
                None => None,
                Some(f) => Some(ingest::Format::parse(f).ok_or_else(|| {
                    Error::Usage(format!(
                        "--format {f:?} is not one of {}",
                        ingest::Format::all_names()
                    ))
                })?),
            };
            let opts = ingest::IngestOptions {
                source,
                format,
                year: args.year,
                progress: !args.json,
            };
            let stats = ingest_paths(&config, &clock, &args.paths, &opts)?;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&stats).map_err(|e| Error::Bug(e.to_string()))?
                );
            } else {
                print!("{}", render_ingest(&stats));
            }
            Ok(if stats.failed() > 0 {
                EXIT_ERROR
            } else {
                EXIT_OK
            })
        }
        Command::Generate(args) => {
            let start = match args.start.as_deref() {
                Some(s) => Some(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(
                    |_| Error::Usage(format!("--start {s:?} is not a date YYYY-MM-DD")),
                )?),
                None => None,
            };
            let spec = generate::Spec {
                people: args.people,
                days: args.days,
                seed: args.seed,
                start,
                ..generate::Spec::default()
            };
            let stats = generate::write(&args.out, &spec, clock.now())?;
            print!("{}", stats.render());
            Ok(EXIT_OK)
        }
        Command::Demo(args) => demo::run(&args, &clock),
    }
}

/// Ingests `paths` into the configured store under the store lock.
pub fn ingest_paths(
    config: &Config,
    clock: &Clock,
    paths: &[std::path::PathBuf],
    opts: &ingest::IngestOptions,
) -> Result<ingest::IngestStats> {
    let now = clock.now();
    let store = Store::new(&config.store_dir);
    store.create()?;
    let _lock = StoreLock::acquire(store.root(), "ingest", now)?;
    let mut ledger = Ledger::load(&store.ledger_path())?;
    ingest::recover(&store, &ledger)?;
    let files = ingest::expand(paths)?;
    let now_us = now.timestamp_micros();
    let window = Window {
        cutoff_us: now_us - i64::from(config.retention_days) * 86_400_000_000,
        future_us: now_us + i64::from(config.future_tolerance_minutes) * 60_000_000,
        now_us,
    };
    let ctx = ingest::IngestContext {
        store: store.clone(),
        window,
        timezone: config.timezone,
        batch_rows: config.batch_rows,
        now,
    };
    let stats = ingest::run(&ctx, &mut ledger, &files, opts)?;
    // Files that failed as a whole may have left temporary files.
    ingest::recover(&store, &ledger)?;
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
            "error" => {
                let _ = writeln!(
                    out,
                    "error           {name}: {}",
                    f.error.as_deref().unwrap_or("")
                );
            }
            status => {
                let _ = writeln!(
                    out,
                    "{status:<15} {name} ({}): {} stored, {} rejected, {} expired",
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
    }
    if stats.failed() > 0 {
        let _ = writeln!(
            out,
            "{} file(s) could not be read; the others are stored",
            stats.failed()
        );
    }
    out
}
