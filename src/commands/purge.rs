//! `logwacht purge`: the nightly retention job (RET-1..RET-4) and its receipt.
use chrono::{DateTime, NaiveDate, Utc};

use crate::audit_log;
use crate::case;
use crate::cli::PurgeArgs;
use crate::clock;
use crate::config::Config;
use crate::error;
use crate::error::{EXIT_OK, Error, Result};
use crate::fsio;
use crate::store::ledger::Ledger;
use crate::store::lock::StoreLock;
use crate::store::{self, Store};
use crate::workspace::Workspace;

/// Purges (or with `--dry-run` only plans) and prints the receipt.
pub fn run(ws: &Workspace, args: PurgeArgs) -> Result<u8> {
    let config = &ws.config;
    let lock = ws.lock_store(if args.dry_run { "purge --dry-run" } else { "purge" })?;
    let receipt = purge(config, &lock, ws.now(), args.dry_run, ws.operator())?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&receipt).map_err(|e| Error::Bug(e.to_string()))?);
    } else {
        print!("{}", render_receipt(&receipt));
    }
    Ok(EXIT_OK)
}

/// Runs the retention purge (the caller holds the store's lock) and records its receipt in
/// the audit trail.
pub fn purge(
    config: &Config,
    _lock: &StoreLock,
    now: DateTime<Utc>,
    dry_run: bool,
    operator: Option<&str>,
) -> Result<store::retention::PurgeReceipt> {
    let store = Store::new(&config.store_dir);
    let ledger = Ledger::load(&store.ledger_path())?;
    if !dry_run {
        store::commit::recover(&store, &ledger)?;
    }
    let mut receipt_completes = None;
    // Both registries are read (and their ids checked) before anything is removed.
    let holds = store::hold::Holds::load(&config.holds_path())?;
    let cases = case::Cases::load(&case::Cases::path(config))?;
    let plan = store::retention::PurgePlan {
        store: &store,
        now,
        retention_days: config.retention_days,
        holds: &holds.holds,
        tz: config.timezone,
        dry_run,
    };
    let trail = crate::audit_log::AuditLog::of(config);
    let who = audit_log::operator(operator);
    if !dry_run {
        // What the purge is about to remove goes into the trail before anything is removed,
        // so a purge killed half-way leaves a record of what it may have removed; the next
        // run's receipt says it completes that plan.
        let planned = store::retention::purge(&store::retention::PurgePlan { dry_run: true, ..plan.clone() })?;
        let last = trail.entries()?.into_iter().rev().find(|e| e.command == "purge plan" || e.command == "purge");
        if let Some(unfinished) = last.filter(|e| e.command == "purge plan") {
            receipt_completes = Some(unfinished.time);
        }
        trail.record(now, &who, audit_log::Event::PurgePlan { plan: &planned })?;
    }
    let mut receipt = store::retention::purge(&plan)?;
    receipt.completes = receipt_completes;
    let cutoff_text = crate::store::retention::RetentionPolicy::of(config)
        .cutoff(now)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    receipt.ledger_paths_cleared = store::ledger::clear_old_paths(&store.ledger_path(), &cutoff_text, dry_run)?;
    // The receipt is written whatever the RET-4 step says: rows are gone by now.
    let outputs = expire_outputs(config, now, dry_run, &holds, cases, &mut receipt);
    if let Err(e) = &outputs {
        receipt.errors.push(e.to_string());
    }
    trail.record(now, &who, audit_log::Event::Purge { receipt: &receipt })?;
    outputs?;
    Ok(receipt)
}

/// The human form of a purge receipt.
pub fn render_receipt(r: &store::retention::PurgeReceipt) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let verb = if r.dry_run { "would remove" } else { "removed" };
    let _ = writeln!(
        out,
        "purge at {} (retention {} days): rows before {} go{}",
        r.time,
        r.retention_days,
        r.cutoff,
        if r.dry_run { " (dry run: nothing changed)" } else { "" }
    );
    for p in &r.partitions_deleted {
        let _ = writeln!(out, "  {verb} {} {}: {} rows (whole day)", p.source.name(), p.date, p.rows);
    }
    for f in &r.files_rewritten {
        let _ = writeln!(out, "  {} expired rows from {f}", if r.dry_run { "would cut" } else { "cut" });
    }
    for (source, n) in &r.rows_removed {
        let _ = writeln!(out, "  {source}: {n} rows {verb}");
    }
    for (case, n) in &r.rows_moved_to_holds {
        let _ = writeln!(
            out,
            "  case {case}: {n} rows {} the hold area",
            if r.dry_run { "would move to" } else { "kept in" }
        );
    }
    for case in &r.holds_ended {
        let _ = writeln!(out, "  case {case}: hold ended, its rows {verb}");
    }
    let _ = writeln!(out, "  {} files, {} bytes freed", r.files_removed.len(), r.bytes_freed);
    for label in &r.reports_removed {
        let _ = writeln!(out, "  report {label}: {verb} (RET-4)");
    }
    for label in &r.returns_removed {
        let _ = writeln!(out, "  returns list {label}: {verb} (RET-4)");
    }
    for case in &r.case_files_removed {
        let _ = writeln!(out, "  case {case}: case files and registry entry {verb} (RET-4)");
    }
    for case in &r.stale_cases_removed {
        let _ = writeln!(out, "  case {case}: never told, its window long past every hold: {verb} (RET-4)");
    }
    for case in &r.holds_forgotten {
        let _ = writeln!(
            out,
            "  hold of case {case}: ended before the window, its subject and reason {verb} from the registry"
        );
    }
    if r.ledger_paths_cleared > 0 {
        let _ = writeln!(out, "  ledger: {} input file path(s) older than the window cleared", r.ledger_paths_cleared);
    }
    if let Some(t) = &r.completes {
        let _ = writeln!(out, "  completes the purge planned at {t}, which stopped before its receipt");
    }
    for e in &r.errors {
        let _ = writeln!(out, "  error: {}", fsio::printable(e));
    }
    out
}

/// RET-4 (003 art. 11.5): reports and case files are personal data too and expire.
///
/// A report goes when its week ends before the retention window. What counts as a report
/// is what the trail says `audit` wrote (path and SHA-256 of each file, wherever `--out`
/// put it): a file is removed only while it still holds the bytes logwacht wrote, and its
/// folder only once empty, so nothing logwacht did not write is ever removed. A case's
/// folder and registry entry go when the case was closed and its subject told more than
/// the retention window ago, and no hold of the case is still active; the folder must be a
/// real folder directly inside `cases/` named by a valid id (`fsio::remove_owned_dir`).
fn expire_outputs(
    config: &Config,
    now: DateTime<chrono::Utc>,
    dry_run: bool,
    holds: &store::hold::Holds,
    mut cases: case::Cases,
    receipt: &mut store::retention::PurgeReceipt,
) -> Result<()> {
    let tz = config.timezone;
    let window_start = crate::store::retention::RetentionPolicy::of(config).first_day(now, tz);
    let mut seen = std::collections::BTreeSet::new();
    for entry in crate::audit_log::AuditLog::of(config).entries()? {
        let to = entry.scope["to"].as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        // Reports (`audit`) and lists of messages to return (`returns`, CTL-10).
        let is_returns = entry.command == "returns";
        if !(entry.command == "audit" || is_returns) || to.is_none_or(|to| to >= window_start) {
            continue;
        }
        let label = if is_returns {
            format!("{}..{}", entry.scope["from"].as_str().unwrap_or(""), entry.scope["to"].as_str().unwrap_or(""))
        } else {
            entry.scope["week"].as_str().unwrap_or("").to_string()
        };
        let mut removed = false;
        for f in &entry.files_written {
            // Paths are absolute since `audit` resolves its folder; older entries were
            // written relative to the workspace.
            let path = &config.workspace().join(&f.path);
            let ours = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
                && crate::fsio::file_sha256(path).is_ok_and(|(sha, _)| sha == f.sha256);
            if !ours {
                continue;
            }
            removed = true;
            if !dry_run {
                std::fs::remove_file(path).map_err(error::StoreError::io("remove", path))?;
                // The folder goes with its last file; a folder with anything else in it stays.
                if let Some(dir) = path.parent() {
                    let _ = std::fs::remove_dir(dir);
                }
            }
        }
        if removed && seen.insert((is_returns, label.clone())) {
            if is_returns {
                receipt.returns_removed.push(label);
            } else {
                receipt.reports_removed.push(label);
            }
        }
    }
    let mut gone = Vec::new();
    // A case whose window ended so long ago that no hold can keep its data any more goes
    // whatever its state (open, or closed with the letter never recorded): its files would
    // otherwise outlive everything they were drawn from.
    let stale_before = window_start - chrono::Duration::days(i64::from(config.max_hold_days));
    let mut stale = Vec::new();
    for c in &cases.cases {
        let told = c.notified_at.as_deref().and_then(clock::parse_instant);
        let held = holds.holds.iter().any(|h| h.case == c.id && h.active(now, tz));
        let is_stale = c.to < stale_before && !held;
        if (told.is_some_and(|t| t.with_timezone(&tz).date_naive() < window_start) && !held) || is_stale {
            let dir = case::case_dir(config, &c.id);
            if !dry_run && std::fs::symlink_metadata(&dir).is_ok() {
                fsio::remove_owned_dir(&config.cases_dir, &dir)?;
            }
            if told.is_none() {
                stale.push(c.id.clone());
            }
            gone.push(c.id.clone());
        }
    }
    if !gone.is_empty() && !dry_run {
        cases.cases.retain(|c| !gone.contains(&c.id));
        cases.save()?;
    }
    receipt.stale_cases_removed = stale;
    receipt.case_files_removed = gone;
    // Holds that ended (released, or past their last day) before the window: their subject
    // and reason go from the registry; the trail keeps the case id and dates.
    let ended_before = |h: &store::hold::Hold| {
        let end = h
            .released_at
            .as_deref()
            .and_then(clock::parse_instant)
            .map(|t| t.with_timezone(&tz).date_naive())
            .unwrap_or(h.until)
            .min(h.until);
        !h.active(now, tz) && end < window_start
    };
    let forgotten: Vec<String> = holds.holds.iter().filter(|h| ended_before(h)).map(|h| h.case.clone()).collect();
    if !forgotten.is_empty() && !dry_run {
        let mut kept = holds.clone();
        kept.holds.retain(|h| !ended_before(h));
        kept.save()?;
    }
    receipt.holds_forgotten = forgotten;
    Ok(())
}
