//! What each command records in the trail (CTL-9): one typed [`Event`] per command, so
//! that what a line says about a command (its purpose, the scope it looked at or changed,
//! its outcome) is decided here, once, from typed values; no command writes a trail line's
//! JSON by hand. A line never holds an address, a name or a value from a log: subjects are
//! pseudonyms, files are hashes and counts.
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};

use super::{AuditEntry, FileHash, entry};
use crate::schema::{Lang, Source};
use crate::store::hold::Hold;
use crate::store::retention::PurgeReceipt;

/// A case as the trail names it: id, the subject's pseudonym, the window.
#[derive(Debug, Clone, Copy)]
pub struct CaseScope<'a> {
    pub id: &'a str,
    pub subject: &'a str,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl CaseScope<'_> {
    fn json(&self) -> Value {
        json!({ "case": self.id, "subject": self.subject, "from": self.from, "to": self.to })
    }
}

/// One command's line in the trail.
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// `ingest`: files read into the store.
    Ingest {
        files: usize,
        sources: Vec<Source>,
        rows_read: u64,
        stored: BTreeMap<&'static str, u64>,
        failed_files: usize,
    },
    /// `purge`, before anything is removed: what it will remove.
    PurgePlan { plan: &'a PurgeReceipt },
    /// `purge` (or `purge --dry-run`): the receipt.
    Purge { receipt: &'a PurgeReceipt },
    /// `hold add`, or a hold extended.
    HoldAdd { hold: &'a Hold, extended: bool },
    /// `hold release`.
    HoldRelease { case: &'a str },
    /// `key rotate`.
    KeyRotate { period: u32 },
    /// `geoip update`: the database that places sign-ins from now on, and the one it replaced.
    GeoipUpdate { database: &'a str, built: String, sha256: &'a str, replaced: &'a str, replaced_built: String },
    /// `store rebuild-ledger`.
    RebuildLedger { lines_written: usize, files: usize, rows: u64 },
    /// `audit run` / `audit signin`: rules over a window.
    AuditRun { purposes: String, from: NaiveDate, to: NaiveDate, findings: BTreeMap<String, u64> },
    /// The weekly report's sample seed, written before the draw (CTL-1).
    AuditSeed { from: NaiveDate, to: NaiveDate, week: &'a str, redraw: bool, seed: &'a str },
    /// `audit`: the weekly report.
    AuditReport {
        from: NaiveDate,
        to: NaiveDate,
        week: &'a str,
        seed: &'a str,
        findings: BTreeMap<String, u64>,
        refused: Vec<&'a str>,
        language: Lang,
        files: Vec<FileHash>,
    },
    /// A case command refused (CTL-3): which case, which command, why.
    CaseRefused { case: &'a str, command: &'a str, reason: &'a str },
    /// `logwacht worker` refused a provider's request (issue 19): a client that did not
    /// authenticate as this school's coordinator, or a plan fragment this school does not
    /// run (a raw scan, a purpose it has not enabled, an output the gate refuses): what
    /// was asked (a rule id, or the fragment's kind) and why, no value.
    WorkerRefused { asked: &'a str, reason: &'a str },
    /// `case open`.
    CaseOpen { purpose: char, scope: CaseScope<'a>, hold: bool, approved_by: &'a str, staff_step: Option<&'a str> },
    /// `case screen`: steps 1-2.
    CaseScreen {
        purpose: char,
        scope: CaseScope<'a>,
        sources: &'a BTreeMap<String, String>,
        left_alone: &'a BTreeMap<String, u64>,
        protected_messages: u64,
        remainder: usize,
        rows_read: u64,
        files: Vec<FileHash>,
    },
    /// `case report`: step 3.
    CaseReport {
        purpose: char,
        scope: CaseScope<'a>,
        remainder: usize,
        content_shown: usize,
        rows_read: u64,
        files: Vec<FileHash>,
    },
    /// `case close`.
    CaseClose { purpose: char, scope: CaseScope<'a>, letter_due: Option<NaiveDate>, files: Vec<FileHash> },
    /// `case notified`.
    CaseNotified { purpose: char, case: &'a str },
    /// The list of messages to return to their sender (CTL-10).
    Returns {
        from: NaiveDate,
        to: NaiveDate,
        per_rule: BTreeMap<String, u64>,
        skipped: Vec<&'a str>,
        files: Vec<FileHash>,
    },
    /// The alarm-bell notice of CAO nr. 81 for a rule's anomaly.
    Notice { rule: &'a str, from: NaiveDate, to: NaiveDate, cao81: u8, files: Vec<FileHash> },
}

impl Event<'_> {
    /// The trail line of this event at `now`, by `operator`.
    pub fn entry(self, now: DateTime<Utc>, operator: &str) -> AuditEntry {
        let receipt_scope = |r: &PurgeReceipt| json!({ "retention_days": r.retention_days, "cutoff": r.cutoff });
        match self {
            Event::Ingest { files, sources, rows_read, stored, failed_files } => {
                let mut e = entry(now, "ingest", operator, "retention");
                e.rows_read = rows_read;
                e.scope = json!({ "files": files, "sources": sources });
                e.details = json!({ "stored": stored, "failed_files": failed_files });
                e
            }
            Event::PurgePlan { plan } => {
                let mut e = entry(now, "purge plan", operator, "retention");
                e.scope = receipt_scope(plan);
                e.details = serde_json::to_value(plan).unwrap_or_default();
                e
            }
            Event::Purge { receipt } => {
                let mut e =
                    entry(now, if receipt.dry_run { "purge --dry-run" } else { "purge" }, operator, "retention");
                e.scope = receipt_scope(receipt);
                e.rows_read =
                    receipt.rows_removed.values().sum::<u64>() + receipt.rows_moved_to_holds.values().sum::<u64>();
                e.details = serde_json::to_value(receipt).unwrap_or_default();
                e
            }
            Event::HoldAdd { hold: h, extended } => {
                let mut e = entry(now, if extended { "hold extend" } else { "hold add" }, operator, "retention");
                e.scope = json!({
                    "case": h.case, "sources": h.sources, "from": h.from, "to": h.to, "until": h.until,
                    "message_ids": h.message_ids.len(), "approved_by": h.approved_by,
                });
                e
            }
            Event::HoldRelease { case } => {
                let mut e = entry(now, "hold release", operator, "retention");
                e.scope = json!({ "case": case });
                e
            }
            Event::KeyRotate { period } => {
                let mut e = entry(now, "key rotate", operator, "privacy");
                e.scope = json!({ "key_period": period });
                e
            }
            Event::GeoipUpdate { database, built, sha256, replaced, replaced_built } => {
                let mut e = entry(now, "geoip update", operator, "geo");
                e.scope = json!({ "database": database, "built": built, "sha256": sha256 });
                e.details = json!({ "replaced": replaced, "replaced_built": replaced_built });
                e
            }
            Event::RebuildLedger { lines_written, files, rows } => {
                let mut e = entry(now, "store rebuild-ledger", operator, "retention");
                e.details = json!({ "lines_written": lines_written, "files": files, "rows": rows });
                e
            }
            Event::AuditRun { purposes, from, to, findings } => {
                let mut e = entry(now, "audit", operator, &purposes);
                e.scope = json!({ "from": from, "to": to, "rules": findings.keys().collect::<Vec<_>>() });
                e.details = json!({ "findings": findings });
                e
            }
            Event::AuditSeed { from, to, week, redraw, seed } => {
                let mut e = entry(now, "audit sample seed", operator, "a,b,e");
                e.scope = json!({ "from": from, "to": to, "week": week, "redraw": redraw });
                e.seed = Some(seed.to_string());
                e
            }
            Event::AuditReport { from, to, week, seed, findings, refused, language, files } => {
                let mut e = entry(now, "audit", operator, "a,b,e,f");
                e.scope = json!({ "from": from, "to": to, "week": week, "rules": findings.keys().collect::<Vec<_>>() });
                e.seed = Some(seed.to_string());
                e.rows_read = findings.values().sum();
                e.files_written = files;
                e.details = json!({ "findings": findings, "refused": refused, "language": language });
                e
            }
            Event::WorkerRefused { asked, reason } => {
                let mut e = entry(now, "worker refused", operator, "federation");
                e.scope = json!({ "asked": asked });
                e.details = json!({ "reason": reason });
                e
            }
            Event::CaseRefused { case, command, reason } => {
                let mut e = entry(now, "case refused", operator, "case");
                e.scope = json!({ "case": case, "command": command });
                e.details = json!({ "reason": reason });
                e
            }
            Event::CaseOpen { purpose, scope, hold, approved_by, staff_step } => {
                let mut e = entry(now, "case open", operator, &purpose.to_string());
                e.scope = scope.json();
                e.scope["sources"] = json!(["signin", "email", "web"]);
                e.scope["hold"] = json!(hold);
                e.details = json!({ "approved_by": approved_by });
                if let Some(step) = staff_step {
                    e.details["staff_procedure"] = json!(step);
                }
                e
            }
            Event::CaseScreen {
                purpose,
                scope,
                sources,
                left_alone,
                protected_messages,
                remainder,
                rows_read,
                files,
            } => {
                let mut e = entry(now, "case screen", operator, &purpose.to_string());
                e.scope = scope.json();
                e.scope["sources"] = json!(sources);
                e.rows_read = rows_read;
                e.files_written = files;
                e.details = json!({ "left_alone": left_alone, "protected_messages": protected_messages, "remainder": remainder });
                e
            }
            Event::CaseReport { purpose, scope, remainder, content_shown, rows_read, files } => {
                let mut e = entry(now, "case report", operator, &purpose.to_string());
                e.scope = scope.json();
                e.rows_read = rows_read;
                e.files_written = files;
                e.details = json!({ "remainder": remainder, "content_shown": content_shown });
                e
            }
            Event::CaseClose { purpose, scope, letter_due, files } => {
                let mut e = entry(now, "case close", operator, &purpose.to_string());
                e.scope = scope.json();
                e.files_written = files;
                e.details = json!({ "letter_due": letter_due });
                e
            }
            Event::CaseNotified { purpose, case } => {
                let mut e = entry(now, "case notified", operator, &purpose.to_string());
                e.scope = json!({ "case": case });
                e
            }
            Event::Returns { from, to, per_rule, skipped, files } => {
                let mut e = entry(now, "returns", operator, "e");
                e.scope = json!({ "from": from, "to": to, "rules": per_rule.keys().collect::<Vec<_>>() });
                e.rows_read = per_rule.values().sum();
                e.files_written = files;
                e.details = json!({ "messages": per_rule, "skipped": skipped });
                e
            }
            Event::Notice { rule, from, to, cao81, files } => {
                let mut e = entry(now, "notice", operator, "staff");
                e.scope = json!({ "rule": rule, "from": from, "to": to });
                e.files_written = files;
                e.details = json!({ "cao81_purpose": cao81 });
                e
            }
        }
    }
}
