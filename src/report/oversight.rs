//! What a DPO checks before signing a weekly report, besides the findings: whether each
//! source's data arrived (a missing day is a missing export, not a quiet day), whether the
//! nightly purge ran (RET-1), and who looked at what (CTL-9, 003 art. 6.10), all read from
//! the store and the audit trail. Counts and logwacht's own words only; operators are
//! named as the trail names them (staff of the ICT service, not the people in the logs).
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::SourceVolume;
use crate::audit_log::AuditEntry;
use crate::schema::Source;

/// Whether a day's data of one source arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DayStatus {
    /// Rows are stored for the day.
    Arrived,
    /// A school day without a row: the export did not arrive (or was not ingested).
    Missing,
    /// A weekend day or holiday without rows: quiet.
    Quiet,
    /// Today or later: the export is not due yet.
    Pending,
}

/// One source, day by day.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    /// The source.
    pub source: Source,
    /// Each day of the window: rows and status.
    pub days: Vec<(NaiveDate, u64, DayStatus)>,
}

impl Coverage {
    /// The school days whose export is missing.
    pub fn missing(&self) -> Vec<NaiveDate> {
        self.days.iter().filter(|(_, _, s)| *s == DayStatus::Missing).map(|(d, _, _)| *d).collect()
    }
}

/// Each day of the window, per source the school has (one that ever stored a row): the
/// rows, and whether a day without rows is a missing export (a school day before today)
/// or quiet.
pub fn coverage(
    volumes: &[SourceVolume],
    expected: &BTreeSet<Source>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    school_day: impl Fn(NaiveDate) -> bool,
) -> Vec<Coverage> {
    volumes
        .iter()
        .filter(|v| expected.contains(&v.source))
        .map(|v| {
            let rows: BTreeMap<&str, u64> = v.per_day.iter().map(|(d, n)| (d.as_str(), *n)).collect();
            let days = from
                .iter_days()
                .take_while(|d| *d <= to)
                .map(|d| {
                    let n = rows.get(d.to_string().as_str()).copied().unwrap_or(0);
                    let status = if n > 0 {
                        DayStatus::Arrived
                    } else if d >= today {
                        DayStatus::Pending
                    } else if school_day(d) {
                        DayStatus::Missing
                    } else {
                        DayStatus::Quiet
                    };
                    (d, n, status)
                })
                .collect();
            Coverage { source: v.source, days }
        })
        .collect()
}

/// Whether the nightly purge kept the window (RET-1).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PurgeCheck {
    /// Days of the window, before today and since the trail began, on which no purge ran.
    pub nights_missed: Vec<NaiveDate>,
    /// Purges of the window that did not finish (a plan without its receipt) or whose
    /// receipt records errors: their times.
    pub failed: Vec<String>,
    /// The first day the window keeps.
    pub first_retained: Option<NaiveDate>,
    /// The store holds a day older than that: rows past the window (RET-1 broken).
    pub overdue: bool,
}

fn local_day(time: &str, tz: Tz) -> Option<NaiveDate> {
    crate::clock::parse_instant(time).map(|t| t.with_timezone(&tz).date_naive())
}

/// Reads the purge's history of the window from the trail.
pub fn purge_check(
    entries: &[AuditEntry],
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
    tz: Tz,
    oldest_day: Option<NaiveDate>,
    first_retained: NaiveDate,
) -> PurgeCheck {
    let in_window = |d: NaiveDate| d >= from && d <= to;
    let began = entries.first().and_then(|e| local_day(&e.time, tz));
    let purged: BTreeSet<NaiveDate> =
        entries.iter().filter(|e| e.command == "purge").filter_map(|e| local_day(&e.time, tz)).collect();
    let nights_missed = match began {
        None => Vec::new(),
        Some(began) => from
            .iter_days()
            .take_while(|d| *d <= to && *d < today)
            .filter(|d| *d >= began && !purged.contains(d))
            .collect(),
    };
    // A plan recorded before removing anything, and no receipt before the next plan (or
    // the end of the trail): that purge stopped half-way.
    let mut failed = Vec::new();
    let mut open_plan: Option<&AuditEntry> = None;
    for e in entries {
        match e.command.as_str() {
            "purge plan" => {
                if let Some(p) = open_plan.replace(e) {
                    failed.push(p);
                }
            }
            "purge" => {
                open_plan = None;
                if e.details.get("errors").and_then(|x| x.as_array()).is_some_and(|a| !a.is_empty()) {
                    failed.push(e);
                }
            }
            _ => {}
        }
    }
    failed.extend(open_plan);
    let failed =
        failed.into_iter().filter(|e| local_day(&e.time, tz).is_some_and(in_window)).map(|e| e.time.clone()).collect();
    PurgeCheck {
        nights_missed,
        failed,
        first_retained: Some(first_retained),
        overdue: oldest_day.is_some_and(|d| d < first_retained),
    }
}

/// What an operator did, as the report counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// A weekly report written.
    Report,
    /// A sample drawn again with a recorded seed.
    Redraw,
    /// Rules run outside a report (`audit run`, `audit signin`).
    RuleRun,
    /// A case opened.
    CaseOpened,
    /// A case's data screened or reported.
    CaseScreened,
    /// A case closed.
    CaseClosed,
    /// A case's subject told.
    SubjectTold,
    /// A case command refused.
    Refusal,
    /// A hold placed or extended.
    HoldPlaced,
    /// A hold released.
    HoldReleased,
    /// The pseudonym key rotated.
    KeyRotated,
    /// Logs read into the store.
    Ingest,
    /// A purge.
    Purge,
    /// The GeoIP database replaced.
    GeoipUpdate,
    /// The ledger rebuilt.
    LedgerRebuilt,
    /// An alarm-bell notice written (CAO nr. 81).
    Notice,
    /// A list of messages to return made (CTL-10).
    Returns,
}

impl Activity {
    /// The activity of a trail line (none for the lines that are part of another: a
    /// report's seed, a purge's plan, a dry run).
    fn of(e: &AuditEntry) -> Option<Activity> {
        Some(match e.command.as_str() {
            "audit" if !e.files_written.is_empty() => Activity::Report,
            "audit" => Activity::RuleRun,
            "audit sample seed" if e.scope["redraw"] == serde_json::json!(true) => Activity::Redraw,
            "case open" => Activity::CaseOpened,
            "case screen" | "case report" => Activity::CaseScreened,
            "case close" => Activity::CaseClosed,
            "case notified" => Activity::SubjectTold,
            "case refused" | "worker refused" => Activity::Refusal,
            "hold add" | "hold extend" => Activity::HoldPlaced,
            "hold release" => Activity::HoldReleased,
            "key rotate" => Activity::KeyRotated,
            "ingest" => Activity::Ingest,
            "purge" => Activity::Purge,
            "geoip update" => Activity::GeoipUpdate,
            "store rebuild-ledger" => Activity::LedgerRebuilt,
            "notice" => Activity::Notice,
            "returns" => Activity::Returns,
            _ => return None,
        })
    }
}

/// Per rule, the messages the window's lists named for return to their sender (CTL-10):
/// the lists (`returns` in the trail) whose days lie in the window.
pub fn returns_listed(entries: &[AuditEntry], (from, to): (NaiveDate, NaiveDate)) -> BTreeMap<String, u64> {
    let day = |e: &AuditEntry, k: &str| e.scope[k].as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.command == "returns") {
        let (Some(a), Some(b)) = (day(e, "from"), day(e, "to")) else { continue };
        if a < from || b > to {
            continue;
        }
        if let Some(m) = e.details["messages"].as_object() {
            for (rule, n) in m {
                *out.entry(rule.clone()).or_default() += n.as_u64().unwrap_or(0);
            }
        }
    }
    out
}

/// The staff procedure and what the school recorded of it (CAO nr. 81).
#[derive(Debug, Clone, Serialize)]
pub struct StaffState {
    /// `none` or `cao81`.
    pub procedure: crate::config::StaffProcedure,
    /// Per rule with an alarm-bell notice: the first notice's time (since when a
    /// recurrence may be traced), the last one's anomaly period, and how many there were.
    pub notices: Vec<RuleNotices>,
    /// When the works council (or local negotiating committee) was informed.
    pub works_council_informed: Option<NaiveDate>,
    /// When the protocol was sent to staff.
    pub protocol_sent_to_staff: Option<NaiveDate>,
}

/// One rule's notices.
#[derive(Debug, Clone, Serialize)]
pub struct RuleNotices {
    /// The rule.
    pub rule: String,
    /// The first notice, RFC 3339.
    pub since: String,
    /// The last notice's anomaly period.
    pub last_period: (String, String),
    /// How many notices.
    pub count: usize,
}

/// The staff procedure's state from the settings and the trail.
pub fn staff_state(config: &crate::config::Config, entries: &[AuditEntry]) -> StaffState {
    let mut notices: Vec<RuleNotices> = Vec::new();
    for n in crate::notice::recorded(entries) {
        match notices.iter_mut().find(|r| r.rule == n.rule) {
            Some(r) => {
                r.last_period = (n.from, n.to);
                r.count += 1;
            }
            None => notices.push(RuleNotices { rule: n.rule, since: n.time, last_period: (n.from, n.to), count: 1 }),
        }
    }
    StaffState {
        procedure: config.staff_procedure,
        notices,
        works_council_informed: config.works_council_informed,
        protocol_sent_to_staff: config.protocol_sent_to_staff,
    }
}

/// The longest operator name the report prints (a longer one is cut, marked with `…`).
const OPERATOR_MAX: usize = 64;

/// Per operator (as the trail names them), how often they did what in the window.
pub fn who_looked(
    entries: &[AuditEntry],
    (from, to): (NaiveDate, NaiveDate),
    tz: Tz,
) -> BTreeMap<String, BTreeMap<Activity, u64>> {
    let mut out: BTreeMap<String, BTreeMap<Activity, u64>> = BTreeMap::new();
    for e in entries {
        let Some(day) = local_day(&e.time, tz) else { continue };
        if day < from || day > to {
            continue;
        }
        let Some(a) = Activity::of(e) else { continue };
        let mut name: String = e.operator.chars().filter(|c| !c.is_control()).take(OPERATOR_MAX).collect();
        if e.operator.chars().count() > OPERATOR_MAX {
            name.push('…');
        }
        *out.entry(name).or_default().entry(a).or_default() += 1;
    }
    out
}

/// True when `d` is a school day: one of `[school] school_days` (0 = Monday) and no
/// holiday.
pub fn is_school_day(d: NaiveDate, school_days: &[u32], holidays: &[(NaiveDate, NaiveDate)]) -> bool {
    school_days.contains(&d.weekday().num_days_from_monday()) && !holidays.iter().any(|(a, b)| *a <= d && d <= *b)
}

/// Today in the school's zone.
pub fn today(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_log::entry;

    fn at(t: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(t).unwrap().to_utc()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_school_day_without_rows_is_missing_a_weekend_quiet_and_today_pending() {
        // 2026-W47: Monday 16 .. Sunday 22; the report is made on Saturday 21.
        let v = SourceVolume {
            source: Source::Web,
            per_day: vec![("2026-11-16".into(), 10), ("2026-11-18".into(), 4)],
            rejected: 0,
            bytes_per_day: Vec::new(),
        };
        let unused =
            SourceVolume { source: Source::Email, per_day: Vec::new(), rejected: 0, bytes_per_day: Vec::new() };
        let holidays = [(d("2026-11-19"), d("2026-11-19"))];
        let c = coverage(
            &[v, unused],
            &BTreeSet::from([Source::Web]),
            d("2026-11-16"),
            d("2026-11-22"),
            d("2026-11-21"),
            |x| is_school_day(x, &[0, 1, 2, 3, 4], &holidays),
        );
        assert_eq!(c.len(), 1, "a source the school never had is not expected");
        let status: Vec<DayStatus> = c[0].days.iter().map(|(_, _, s)| *s).collect();
        use DayStatus::*;
        assert_eq!(status, [Arrived, Missing, Arrived, Quiet, Missing, Pending, Pending]);
        assert_eq!(c[0].missing(), [d("2026-11-17"), d("2026-11-20")]);
    }

    #[test]
    fn missed_nights_interrupted_purges_and_rows_past_the_window_are_found() {
        let tz = chrono_tz::Europe::Brussels;
        let mut entries = vec![entry(at("2026-11-15T01:00:00Z"), "ingest", "job", "retention")];
        for night in ["2026-11-16", "2026-11-17", "2026-11-19"] {
            entries.push(entry(at(&format!("{night}T01:00:00Z")), "purge plan", "job", "retention"));
            entries.push(entry(at(&format!("{night}T01:00:05Z")), "purge", "job", "retention"));
        }
        // The 20th: a plan, then nothing (killed half-way).
        entries.push(entry(at("2026-11-20T01:00:00Z"), "purge plan", "job", "retention"));
        // The 21st: a receipt with errors.
        entries.push(entry(at("2026-11-21T01:00:00Z"), "purge plan", "job", "retention"));
        let mut with_errors = entry(at("2026-11-21T01:00:09Z"), "purge", "job", "retention");
        with_errors.details = serde_json::json!({ "errors": ["could not remove a report"] });
        entries.push(with_errors);
        let p = purge_check(
            &entries,
            (d("2026-11-16"), d("2026-11-22")),
            d("2026-11-22"),
            tz,
            Some(d("2026-10-20")),
            d("2026-10-25"),
        );
        assert_eq!(p.nights_missed, [d("2026-11-18"), d("2026-11-20")]);
        assert_eq!(p.failed, ["2026-11-20T01:00:00Z", "2026-11-21T01:00:09Z"]);
        assert!(p.overdue);
        // Before the trail began, logwacht was not running: no night is missed.
        let fresh = [entry(at("2026-11-22T08:00:00Z"), "ingest", "job", "retention")];
        let p = purge_check(&fresh, (d("2026-11-16"), d("2026-11-22")), d("2026-11-22"), tz, None, d("2026-10-25"));
        assert!(p.nights_missed.is_empty() && p.failed.is_empty() && !p.overdue);
    }

    #[test]
    fn who_looked_counts_by_operator_and_activity_in_the_window() {
        let tz = chrono_tz::Europe::Brussels;
        let mut report = entry(at("2026-11-17T09:00:00Z"), "audit", "dpo@ict", "a,b,e,f");
        report.files_written.push(crate::audit_log::FileHash { path: "r.html".into(), sha256: "00".into() });
        let mut redraw = entry(at("2026-11-17T09:05:00Z"), "audit sample seed", "dpo@ict", "a,b,e");
        redraw.scope = serde_json::json!({ "redraw": true });
        let entries = [
            report,
            redraw,
            entry(at("2026-11-17T08:59:00Z"), "audit sample seed", "dpo@ict", "a,b,e"),
            entry(at("2026-11-18T10:00:00Z"), "case open", "security", "b"),
            entry(at("2026-11-18T10:01:00Z"), "case refused", "security", "case"),
            entry(at("2026-11-18T10:02:00Z"), "case refused", "security", "case"),
            entry(at("2026-11-25T10:00:00Z"), "case close", "security", "b"),
            entry(at("2026-11-18T10:03:00Z"), &"x".repeat(100), "security", "case"),
        ];
        let w = who_looked(&entries, (d("2026-11-16"), d("2026-11-22")), tz);
        assert_eq!(w["dpo@ict"], BTreeMap::from([(Activity::Report, 1), (Activity::Redraw, 1)]));
        assert_eq!(w["security"], BTreeMap::from([(Activity::CaseOpened, 1), (Activity::Refusal, 2)]));
        let long = [entry(at("2026-11-18T10:00:00Z"), "case open", &"o".repeat(100), "b")];
        let w = who_looked(&long, (d("2026-11-16"), d("2026-11-22")), tz);
        assert!(w.keys().all(|k| k.chars().count() == OPERATOR_MAX + 1 && k.ends_with('…')));
    }
}
