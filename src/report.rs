//! The weekly DPO audit (CTL-1, CTL-2, CTL-9: 003 art. 6.4-6.5, 8.1a).
//!
//! In: a workspace and a week. Out: one folder `reports/<week>/` with `report.html`,
//! `report.md` and `findings.json`, in Dutch or English, and two lines in the audit trail
//! (the sample seed, written before the draw; then the report with the SHA-256 of every
//! file it wrote).
//!
//! ```text
//! rules (automated + sample) over the week and the weeks before it still retained
//!   -> rows with the person replaced by a keyed pseudonym      (src/pseudonym.rs)
//!   -> per rule: this week's count, persons, trend per week
//!   -> seed in the trail -> random sample of persons per rule  (sample.rs)
//!   -> Wilson interval of the violation rate (sampled rules)
//!   -> volumes per source, sign-ins per country, retention state
//!   -> counts below k suppressed, totals that would reveal them withheld (suppress.rs)
//!   -> HTML (inline SVG charts, every log value escaped), Markdown, JSON (render.rs)
//! ```
//! No subject, URL path, attachment name, address or IP reaches the report: the rules
//! return none of them except as the `person` column, which becomes a pseudonym here, and
//! the identity columns of [`crate::IDENTITY_COLUMNS`] are dropped from every row.
//!
//! Over 600 lines: building the report (rules, statistics, samples, small-cell
//! suppression, retention state) is one pass over one engine; rendering is render.rs.

pub mod charts;
pub mod outcome;
pub mod oversight;
pub mod render;
pub mod sample;
pub mod suppress;
pub mod text;
pub mod trend;
pub mod view;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, TimestampMicrosecondType};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use serde::Serialize;

use crate::audit_log::{self, FileHash};
use crate::config::Config;
use crate::error::Error;
use crate::rules::engine::{Engine, Window};
use crate::rules::functions::Calendar;
use crate::rules::{Purpose, Rule};
use crate::schema::Source;
use crate::store::Store;

pub use crate::schema::Lang;

/// What to report on.
#[derive(Debug, Clone)]
pub struct Request {
    /// First local day.
    pub from: NaiveDate,
    /// Last local day, inclusive.
    pub to: NaiveDate,
    /// The folder name and title: `2026-W47`, or `2026-11-16..2026-11-22`.
    pub label: String,
    /// Dutch or English.
    pub lang: Lang,
    /// Redraw with this recorded seed instead of a fresh one.
    pub redraw: Option<String>,
    /// The report folder (default: `<reports dir>/<label>`).
    pub out: Option<PathBuf>,
    /// Closed cases whose subject has not been told yet (`case::waiting`), gathered by the
    /// command: the report shows the case registry's state, it does not read it.
    pub cases_waiting: Vec<(String, String)>,
}

/// The ISO week `2026-W47` as local days Monday..Sunday.
pub fn iso_week(text: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, w) = text.trim().split_once("-W").or_else(|| text.trim().split_once("-w"))?;
    let monday = NaiveDate::from_isoywd_opt(y.parse().ok()?, w.parse().ok()?, chrono::Weekday::Mon)?;
    Some((monday, monday + Duration::days(6)))
}

/// The label of the ISO week of a day.
pub fn week_label(day: NaiveDate) -> String {
    let w = day.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// One row of a rule's result as the report keeps it: no identity, the person a
/// pseudonym.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The person's pseudonym, if the rule names one.
    pub pseudonym: Option<String>,
    /// The local day of the event.
    pub day: Option<String>,
    /// The ISO week of the event (`2026-W47`).
    pub week: String,
    /// Evidence: the input file's name and line.
    pub evidence: Option<String>,
    /// For sampled rules: whether this item breaks the rule.
    pub violation: Option<bool>,
    /// The rule's other columns (what matched: a list, a category, an extension, ...).
    pub details: BTreeMap<String, String>,
}

/// What the sample of one rule says.
#[derive(Debug, Clone, Serialize)]
pub struct SampleOutcome {
    /// `persons` (or `items`).
    pub unit: String,
    /// The share of units drawn.
    pub rate: f64,
    /// Units in the population.
    pub population_units: u64,
    /// Items (rows) in the population.
    pub population_items: u64,
    /// Units drawn.
    pub sample_units: u64,
    /// Items of the units drawn.
    pub sample_items: u64,
    /// Items of the sample that break the rule (sampled rules).
    pub violations: Option<u64>,
    /// 95 % Wilson interval of the violation rate, as fractions (sampled rules).
    pub interval: Option<(f64, f64)>,
}

/// One rule's part of the report.
#[derive(Debug, Clone)]
pub struct RuleReport {
    /// The rule.
    pub rule: Rule,
    /// This week's findings (violations for a sampled rule; rows for a measurement).
    pub findings: u64,
    /// Distinct persons among them.
    pub persons: u64,
    /// Findings per ISO week, the report's week last.
    pub per_week: Vec<(String, u64)>,
    /// The findings of each ISO week inside the report's window (one for a weekly report).
    pub window_weeks: Vec<u64>,
    /// The draw, except for purpose f (traffic data only: nothing to review).
    pub sample: Option<SampleOutcome>,
    /// The rows of the units drawn, for the DPO's review.
    pub review: Vec<Row>,
    /// For purpose f: the sums of the numeric columns this week.
    pub totals: BTreeMap<String, f64>,
}

impl RuleReport {
    /// The findings as shown: a window of several weeks shows its total only when no week
    /// in it is a small cell, so that no two reports can be subtracted to reveal one
    /// (CTL-2); its weekly reports show each week.
    pub fn findings_cell(&self, k: u64) -> suppress::Cell {
        if self.window_weeks.len() > 1 {
            suppress::Cell::total(&self.window_weeks, k)
        } else {
            suppress::Cell::of(self.findings, k)
        }
    }

    /// The total of several rules' findings: withheld when any of them is small or
    /// withheld, since the others' shown counts would give it away.
    pub fn total_cell(rules: &[&RuleReport], k: u64) -> suppress::Cell {
        if rules.iter().any(|x| matches!(x.findings_cell(k), suppress::Cell::Withheld)) {
            return suppress::Cell::Withheld;
        }
        suppress::Cell::total(&rules.iter().map(|x| x.findings).collect::<Vec<_>>(), k)
    }

    /// The persons as shown: withheld with a withheld finding count.
    pub fn persons_cell(&self, k: u64) -> suppress::Cell {
        match self.findings_cell(k) {
            suppress::Cell::Withheld => suppress::Cell::Withheld,
            _ => suppress::Cell::of(self.persons, k),
        }
    }
}

/// Rows and rejected rows of one source this week.
#[derive(Debug, Clone)]
pub struct SourceVolume {
    /// The source.
    pub source: Source,
    /// Rows per local day.
    pub per_day: Vec<(String, u64)>,
    /// Rejected rows kept for the week's days.
    pub rejected: u64,
    /// Bytes per local day (web).
    pub bytes_per_day: Vec<(String, u64)>,
}

/// The GeoIP database that placed the sign-ins, and how far it can be trusted (issue
/// "GeoIP honesty"): a stale database silently moves countries.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GeoState {
    /// The database's file name.
    pub database: String,
    /// Its build day (`metadata.build_epoch`, UTC).
    pub built: String,
    /// Its age in days when the report was made.
    pub age_days: i64,
    /// `[geo] max_database_age_days`.
    pub max_age_days: u32,
    /// Older than that.
    pub stale: bool,
    /// Per source format, the week's sign-ins whose source-reported country differs from
    /// logwacht's placement.
    pub disagreements: Vec<(String, u64)>,
}

/// Where retention stands (RET-1..RET-4).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RetentionState {
    /// The oldest day in the store.
    pub oldest_day: Option<String>,
    /// The last purge: time and rows removed.
    pub last_purge: Option<(String, u64)>,
    /// Active holds: case and the day they end.
    pub holds: Vec<(String, String)>,
    /// Cases whose subject has not been told yet: case and the day the letter is due.
    pub cases_waiting: Vec<(String, String)>,
}

/// The whole report, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    /// `2026-W47`.
    pub label: String,
    /// The window.
    pub from: NaiveDate,
    /// The window's last day.
    pub to: NaiveDate,
    /// The school's zone.
    pub timezone: String,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The language.
    pub lang: Lang,
    /// The suppression threshold.
    pub k: u64,
    /// The pseudonym key period.
    pub key_period: u32,
    /// The seed of the draws.
    pub seed: String,
    /// Sampling unit and rate.
    pub unit: String,
    /// The rate.
    pub rate: f64,
    /// The audit trail's head before this report (anchor it elsewhere to detect edits).
    pub trail_head: String,
    /// The number of lines the trail had then: with the head, an anchor `verify-log`
    /// checks the trail against.
    pub trail_lines: usize,
    /// Per rule.
    pub rules: Vec<RuleReport>,
    /// Rules that did not run (refused by the output gate or their purpose, or failed):
    /// id and one line without values. The other rules still ran.
    pub refused: Vec<(String, String)>,
    /// Per source.
    pub sources: Vec<SourceVolume>,
    /// Sign-ins per country (or outcome when unplaced) this week.
    pub countries: Vec<(String, u64)>,
    /// Retention.
    pub retention: RetentionState,
    /// The GeoIP database and the disagreements with the sources' own countries.
    pub geo: GeoState,
    /// Per source the school has, whether each day's data arrived.
    pub coverage: Vec<oversight::Coverage>,
    /// Whether the nightly purge ran.
    pub purge: oversight::PurgeCheck,
    /// Who looked (CTL-9): per operator, what they did in the window.
    pub who_looked: BTreeMap<String, BTreeMap<oversight::Activity, u64>>,
    /// Where the audit trail's chain breaks, if it does: line and why.
    pub trail_broken: Option<(usize, String)>,
    /// The staff procedure (CAO nr. 81): notices per rule, collective information.
    pub staff: oversight::StaffState,
    /// Per rule, the messages listed for return to their sender this week (CTL-10).
    pub returns: BTreeMap<String, u64>,
}

/// What `audit` did.
#[derive(Debug, Clone)]
pub struct ReportOutcome {
    /// The folder written.
    pub dir: PathBuf,
    /// The files with their SHA-256.
    pub files: Vec<FileHash>,
    /// The report.
    pub report: Report,
}

fn bug(e: impl std::fmt::Display) -> Error {
    Error::Bug(e.to_string())
}

/// Whether a row of a rule's output counts as a finding: every row, but for a sampled
/// rule only an item that breaks it.
fn counts(rule: &crate::rules::Rule, r: &Row) -> bool {
    rule.mode != crate::rules::Mode::Sample || r.violation == Some(true)
}

/// The rows that belong to the days `from..=to`: by their day, or (a row without one, such
/// as a travel exception's) by their ISO week.
fn in_week(rows: Vec<Row>, from: NaiveDate, to: NaiveDate) -> Vec<Row> {
    let mut weeks = BTreeSet::new();
    let mut d = from;
    while d <= to {
        weeks.insert(week_label(d));
        d += Duration::days(1);
    }
    rows.into_iter()
        .filter(|r| match &r.day {
            Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok_and(|d| d >= from && d <= to),
            None => weeks.contains(&r.week),
        })
        .collect()
}

/// The weekly audit's counts of `rules` over the days `from..=to`, as this school's weekly
/// report counts them (its rules' rows of those days, a sampled rule's violations only),
/// without rows, samples or trend: what a federation's group report takes from a school on
/// a worker. The run is recorded in the school's trail (CTL-9), as `audit run` records it.
pub fn week_outcomes(
    config: &Config,
    now: DateTime<Utc>,
    key: &crate::pseudonym::Key,
    from: NaiveDate,
    to: NaiveDate,
    rules: Vec<crate::rules::Rule>,
    operator: Option<&str>,
) -> Result<Vec<outcome::RuleOutcome>, Error> {
    let pseudonyms = key.pseudonymiser();
    let cal = Calendar::new(config);
    let engine = Engine::new(config, Some(key), day_bounds(config, from, to))?;
    let label = week_label(from);
    let mut out = Vec::new();
    for rule in rules.into_iter().filter(|r| r.mode.is_audited()) {
        let mut o = outcome::RuleOutcome::of(&rule);
        match engine.run(&rule).map_err(Error::from).and_then(|b| rows_of(&b, &cal, &pseudonyms, &label)) {
            Ok(rows) => o.findings = in_week(rows, from, to).iter().filter(|r| counts(&rule, r)).count(),
            Err(e) => o.refused = Some(e.to_string()),
        }
        out.push(o);
    }
    outcome::record_run(config, now, operator, (from, to), &out)?;
    Ok(out)
}

fn day_bounds(config: &Config, from: NaiveDate, to: NaiveDate) -> Window {
    Window::local_days(from, to, config.timezone)
}

fn micros_literal(t: DateTime<Utc>) -> String {
    format!("to_timestamp_micros({})", t.timestamp_micros())
}

/// Converts one rule's batches into report rows.
fn rows_of(
    batches: &[RecordBatch],
    cal: &Calendar,
    pseudonyms: &crate::pseudonym::Pseudonymiser,
    fallback_week: &str,
) -> Result<Vec<Row>, Error> {
    let opts = FormatOptions::default();
    let mut out = Vec::new();
    for b in batches {
        let schema = b.schema();
        let fmts: Vec<_> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
            .collect::<Result<_, _>>()
            .map_err(bug)?;
        for i in 0..b.num_rows() {
            let mut row = Row {
                pseudonym: None,
                day: None,
                week: fallback_week.to_string(),
                evidence: None,
                violation: None,
                details: BTreeMap::new(),
            };
            let (mut file, mut line) = (None, None);
            for (f, fmt) in schema.fields().iter().zip(&fmts) {
                let name = f.name().as_str();
                let col = b.column(schema.index_of(name).map_err(bug)?);
                if col.is_null(i) {
                    continue;
                }
                let value = fmt.value(i).to_string();
                match name {
                    "person" => row.pseudonym = Some(pseudonyms.pseudonym(&value)),
                    "person_pseudonym" => row.pseudonym = Some(value),
                    "event_time" => {
                        if let DataType::Timestamp(_, _) = col.data_type() {
                            let cast = datafusion::arrow::compute::cast(
                                col,
                                &DataType::Timestamp(
                                    datafusion::arrow::datatypes::TimeUnit::Microsecond,
                                    Some("UTC".into()),
                                ),
                            )
                            .map_err(bug)?;
                            let us = cast.as_primitive::<TimestampMicrosecondType>().value(i);
                            row.day = cal.local_date(us);
                            row.week = cal.iso_week(us).unwrap_or_default();
                        }
                    }
                    "local_day" | "first_day" if row.day.is_none() => {
                        if let Ok(d) = NaiveDate::parse_from_str(&value, "%Y-%m-%d") {
                            row.week = week_label(d);
                        }
                        row.day = Some(value);
                    }
                    "week" => row.week = value,
                    "source_file" => file = Some(value.rsplit('/').next().unwrap_or_default().to_string()),
                    "source_line" => line = Some(value),
                    "violation" => row.violation = Some(value == "true"),
                    _ => {
                        row.details.insert(name.to_string(), value);
                    }
                }
            }
            row.evidence = match (file, line) {
                (Some(f), Some(l)) => Some(format!("{f}:{l}")),
                (None, Some(l)) => Some(format!("line {l}")),
                _ => None,
            };
            out.push(row);
        }
    }
    Ok(out)
}

fn rejected_rows(store: &Store, source: Source, first: i32, last: i32) -> u64 {
    let dir = store.root().join(crate::store::REJECTED_DIR).join(source.name());
    let Ok(parts) = crate::store::list_partitions(&dir) else { return 0 };
    let mut n = 0;
    for (day, dir) in parts {
        if day < first || day > last {
            continue;
        }
        for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if let Ok(text) = std::fs::read(f.path()) {
                n += text.iter().filter(|b| **b == b'\n').count() as u64;
            }
        }
    }
    n
}

fn oldest_day(store: &Store) -> Option<String> {
    Source::ALL
        .iter()
        .filter_map(|s| crate::store::list_partitions(&store.table_dir(*s)).ok()?.first().map(|(d, _)| *d))
        .min()
        .and_then(|d| NaiveDate::from_num_days_from_ce_opt(d + 719_163))
        .map(|d| d.to_string())
}

/// Builds the report: runs the rules and the statistics, draws the samples (after
/// recording the seed), and gathers the retention state. Writes nothing but the seed line.
pub fn build(
    config: &Config,
    now: DateTime<Utc>,
    key: &crate::pseudonym::Key,
    req: &Request,
    operator: Option<&str>,
) -> Result<Report, Error> {
    let pseudonyms = key.pseudonymiser();
    let cal = Calendar::new(config);
    let tz = config.timezone;
    // The trend: the weeks before this one whose days are still retained.
    let retained_from = crate::store::retention::RetentionPolicy::of(config).first_day(now, tz);
    let trend_from = (req.from - Duration::days(21)).max(retained_from).min(req.from);
    // The report's own days in one session; the earlier weeks each in a session of their
    // own, so memory stays that of one week's rules whatever the trend's length.
    let week = day_bounds(config, req.from, req.to);
    let engine = Engine::new(config, Some(key), week)?;
    // Each earlier week is counted once and kept (`trend.rs`), under a key of everything
    // its counts depend on; only a changed week is counted again.
    let store = Store::new(&config.store_dir);
    let mut trend_cache = trend::TrendCache::load(config);
    // The report's own week, when it is over, is kept for next week's trend.
    let this_inputs = (req.to < oversight::today(now, tz)).then(|| trend::inputs(config, &store, week));
    let mut earlier = Vec::new();
    let mut end = req.from - Duration::days(1);
    while end >= trend_from {
        let start = (end - Duration::days(6)).max(trend_from);
        let bounds = day_bounds(config, start, end);
        let inputs = trend::inputs(config, &store, bounds);
        earlier.push((week_label(start), engine.for_window(bounds), (start, end), inputs));
        end = start - Duration::days(1);
    }
    let trail = crate::audit_log::AuditLog::of(config);
    // CTL-1: the seed goes into the trail before anything is drawn.
    // A redraw takes only a seed the trail recorded for this very week and window (a fresh
    // draw's, not another redraw's): a sample cannot be chosen by trying seeds.
    let seed = match &req.redraw {
        Some(s) if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let s = s.to_ascii_lowercase();
            let recorded = trail.entries()?.iter().any(|e| {
                e.command == "audit sample seed"
                    && e.seed.as_deref() == Some(s.as_str())
                    && e.scope["week"] == serde_json::json!(req.label)
                    && e.scope["from"] == serde_json::json!(req.from)
                    && e.scope["to"] == serde_json::json!(req.to)
                    && e.scope["redraw"] != serde_json::json!(true)
            });
            if !recorded {
                return Err(Error::Usage(format!(
                    "--redraw {}: the audit trail recorded no draw of {} with this seed; only a recorded draw can be redrawn (CTL-1)",
                    &s[..16],
                    req.label
                )));
            }
            s
        }
        Some(s) => {
            return Err(Error::Usage(format!(
                "--redraw {:?} is not a seed from the audit trail (64 hex digits)",
                s.chars().take(80).collect::<String>()
            )));
        }
        None => sample::fresh_seed(),
    };
    let who = audit_log::operator(operator);
    let event = audit_log::Event::AuditSeed {
        from: req.from,
        to: req.to,
        week: &req.label,
        redraw: req.redraw.is_some(),
        seed: &seed,
    };
    trail.record(now, &who, event)?;
    let verified = trail.verify()?;
    let (trail_head, trail_lines, trail_broken) = (verified.head, verified.lines, verified.broken);
    let mut rules = Vec::new();
    let mut refused = Vec::new();
    for rule in crate::rules::configured(config)?.into_iter().filter(|r| r.mode.is_audited()) {
        let sampled = rule.mode == crate::rules::Mode::Sample;
        let counts = |r: &Row| counts(&rule, r);
        // One bad rule (a school's own, say) is reported as such; the others still run.
        // The rows that count, per ISO week.
        let week_counts = |rows: &[Row]| -> trend::WeekCounts {
            let mut c = trend::WeekCounts::new();
            for r in rows.iter().filter(|r| counts(r)) {
                *c.entry(r.week.clone()).or_default() += 1;
            }
            c
        };
        let mut run = || -> Result<(Vec<Row>, trend::WeekCounts), Error> {
            let rows = rows_of(&engine.run(&rule)?, &cal, &pseudonyms, &req.label)?;
            let mut counted = week_counts(&rows);
            if let Some(inputs) = &this_inputs {
                trend_cache.keep(trend::key(&rule, (req.from, req.to), inputs), counted.clone());
            }
            for (label, e, days, inputs) in &earlier {
                let before = trend_cache.get_or(trend::key(&rule, *days, inputs), || -> Result<_, Error> {
                    Ok(week_counts(&rows_of(&e.run(&rule)?, &cal, &pseudonyms, label)?))
                })?;
                for (w, n) in before {
                    *counted.entry(w).or_default() += n;
                }
            }
            Ok((rows, counted))
        };
        let (rows, counted) = match run() {
            Ok(r) => r,
            Err(e) => {
                refused.push((rule.id.clone(), e.to_string()));
                continue;
            }
        };
        let mut per_week: BTreeMap<String, u64> = BTreeMap::new();
        let mut d = trend_from;
        while d <= req.to {
            per_week.entry(week_label(d)).or_default();
            d += Duration::days(7);
        }
        per_week.entry(week_label(req.to)).or_default();
        for (w, k) in &counted {
            if let Some(n) = per_week.get_mut(w) {
                *n += k;
            }
        }
        let mut window_weeks = Vec::new();
        let mut d = req.from;
        while d <= req.to {
            window_weeks.push(per_week.get(&week_label(d)).copied().unwrap_or(0));
            d += Duration::days(7);
        }
        let week_rows = in_week(rows, req.from, req.to);
        let findings = week_rows.iter().filter(|r| counts(r)).count() as u64;
        let persons =
            week_rows.iter().filter(|r| counts(r)).filter_map(|r| r.pseudonym.clone()).collect::<BTreeSet<_>>().len()
                as u64;
        let mut totals = BTreeMap::new();
        let (sample, review) = if rule.purpose == Purpose::F {
            for r in &week_rows {
                for (k, v) in &r.details {
                    if let Ok(x) = v.parse::<f64>() {
                        *totals.entry(k.clone()).or_insert(0.0) += x;
                    }
                }
            }
            (None, Vec::new())
        } else {
            // The units: persons of the population (sampled rules) or of the findings.
            let unit_of = |i: usize, r: &Row| match (config.sample_unit.as_str(), &r.pseudonym) {
                ("persons", Some(p)) => p.clone(),
                _ => format!("item {i:08}"),
            };
            let population: Vec<(String, &Row)> = week_rows
                .iter()
                .enumerate()
                .filter(|(_, r)| sampled || counts(r))
                .map(|(i, r)| (unit_of(i, r), r))
                .collect();
            let units: Vec<String> =
                population.iter().map(|(u, _)| u.clone()).collect::<BTreeSet<_>>().into_iter().collect();
            let chosen: BTreeSet<String> =
                sample::draw(&seed, &rule.id, &units, config.sample_rate).into_iter().collect();
            let review: Vec<Row> =
                population.iter().filter(|(u, _)| chosen.contains(u)).map(|(_, r)| (*r).clone()).collect();
            let violations = sampled.then(|| review.iter().filter(|r| r.violation == Some(true)).count() as u64);
            let interval = violations.and_then(|v| sample::wilson(v, review.len() as u64));
            let outcome = SampleOutcome {
                unit: config.sample_unit.clone(),
                rate: config.sample_rate,
                population_units: units.len() as u64,
                population_items: population.len() as u64,
                sample_units: chosen.len() as u64,
                sample_items: review.len() as u64,
                violations,
                interval,
            };
            (Some(outcome), review)
        };
        // Small cells stay small (CTL-2): a rule whose count reads "< k" lists no rows (one
        // row per finding would give the count away), and a count inside a row below k
        // reads "< k" as well.
        let k = config.min_cell;
        let small = |n: u64| n > 0 && n < k;
        let population = sample.as_ref().map_or(findings, |s| s.population_items);
        let review: Vec<Row> = if small(findings) || small(population) {
            Vec::new()
        } else {
            review
                .into_iter()
                .map(|mut r| {
                    for v in r.details.values_mut() {
                        if v.parse::<u64>().is_ok_and(small) {
                            *v = format!("< {k}");
                        }
                    }
                    r
                })
                .collect()
        };
        rules.push(RuleReport {
            rule,
            findings,
            persons,
            per_week: per_week.into_iter().collect(),
            window_weeks,
            sample,
            review,
            totals,
        });
    }
    // Volumes (purpose f: time and counts) and sign-ins per country (purpose e).
    // The trend's cache keeps what this report used (a cache: a failed write costs time
    // next week, nothing else).
    let _ = trend_cache.save();
    let bounds = format!("event_time >= {} AND event_time < {}", micros_literal(week.from), micros_literal(week.to));
    let first_utc = crate::store::day_of_micros(week.from.timestamp_micros());
    let last_utc = crate::store::day_of_micros(week.to.timestamp_micros() - 1);
    let mut sources = Vec::new();
    for source in Source::ALL {
        let bytes = if source == Source::Web { "coalesce(sum(bytes), 0)" } else { "0" };
        let q = crate::rules::internal(
            &format!("report_volume_{}", source.name()),
            Purpose::F,
            "CTL-2",
            &format!(
                "SELECT local_date(event_time) AS day, count(*) AS n, {bytes} AS b FROM {} WHERE {bounds} GROUP BY local_date(event_time) ORDER BY day",
                source.name()
            ),
        )?;
        let mut per_day = Vec::new();
        let mut bytes_per_day = Vec::new();
        for b in engine.run(&q)? {
            let day = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).map_err(bug)?;
            let n = datafusion::arrow::compute::cast(b.column(1), &DataType::Int64).map_err(bug)?;
            let by = datafusion::arrow::compute::cast(b.column(2), &DataType::Int64).map_err(bug)?;
            for i in 0..b.num_rows() {
                let d = day.as_string::<i32>().value(i).to_string();
                per_day.push((d.clone(), n.as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(i) as u64));
                bytes_per_day.push((d, by.as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(i) as u64));
            }
        }
        sources.push(SourceVolume {
            source,
            per_day,
            rejected: rejected_rows(&store, source, first_utc, last_utc),
            bytes_per_day: if source == Source::Web { bytes_per_day } else { Vec::new() },
        });
    }
    let q = crate::rules::internal(
        "report_signin_countries",
        Purpose::E,
        "CTL-2",
        &format!(
            "SELECT coalesce(geo_country, geo_outcome, 'unknown') AS c, count(*) AS n FROM signin WHERE {bounds} GROUP BY coalesce(geo_country, geo_outcome, 'unknown') ORDER BY n DESC, c"
        ),
    )?;
    let mut countries = Vec::new();
    for b in engine.run(&q)? {
        let c = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).map_err(bug)?;
        let n = datafusion::arrow::compute::cast(b.column(1), &DataType::Int64).map_err(bug)?;
        for i in 0..b.num_rows() {
            countries.push((
                c.as_string::<i32>().value(i).to_string(),
                n.as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(i) as u64,
            ));
        }
    }
    // GeoIP honesty: which database placed the sign-ins, how old it is, and where the
    // sources' own countries disagree with it.
    let q = crate::rules::internal(
        "report_signin_country_disagreements",
        Purpose::E,
        "GEO-1",
        &format!(
            "SELECT CAST(source_format AS VARCHAR) AS f, count(*) AS n FROM signin WHERE {bounds} AND source_country IS NOT NULL AND geo_country IS NOT NULL AND source_country <> geo_country GROUP BY CAST(source_format AS VARCHAR) ORDER BY f"
        ),
    )?;
    let mut disagreements = Vec::new();
    for b in engine.run(&q)? {
        let f = datafusion::arrow::compute::cast(b.column(0), &DataType::Utf8).map_err(bug)?;
        let n = datafusion::arrow::compute::cast(b.column(1), &DataType::Int64).map_err(bug)?;
        for i in 0..b.num_rows() {
            disagreements.push((
                f.as_string::<i32>().value(i).to_string(),
                n.as_primitive::<datafusion::arrow::datatypes::Int64Type>().value(i) as u64,
            ));
        }
    }
    let geoip = crate::enrich::geoip::GeoIp::configured(config)?;
    let built =
        DateTime::<Utc>::from_timestamp(i64::try_from(geoip.build_epoch).unwrap_or(i64::MAX), 0).unwrap_or_default();
    let age_days = (now - built).num_days();
    let geo = GeoState {
        database: geoip.name.clone(),
        built: built.date_naive().to_string(),
        age_days,
        max_age_days: config.max_database_age_days,
        stale: age_days > i64::from(config.max_database_age_days),
        disagreements,
    };
    // What the DPO checks before signing: coverage, the purge, who looked.
    let entries = trail.entries()?;
    let today = oversight::today(now, tz);
    let expected: BTreeSet<Source> = store.parts()?.into_iter().map(|(s, _, _)| s).collect();
    let coverage = oversight::coverage(&sources, &expected, req.from, req.to, today, |d| {
        oversight::is_school_day(d, &config.school_days, &config.holidays)
    });
    let oldest = oldest_day(&store);
    let purge = oversight::purge_check(
        &entries,
        (req.from, req.to),
        today,
        tz,
        oldest.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        retained_from,
    );
    let who_looked = oversight::who_looked(&entries, (req.from, req.to), tz);
    let staff = oversight::staff_state(config, &entries);
    let returns = oversight::returns_listed(&entries, (req.from, req.to));
    // Retention (RET-1..RET-4).
    let mut retention = RetentionState { oldest_day: oldest, ..Default::default() };
    if let Some(p) = entries.iter().rev().find(|e| e.command == "purge") {
        let removed = p
            .details
            .get("rows_removed")
            .and_then(|r| r.as_object())
            .map_or(0, |m| m.values().filter_map(serde_json::Value::as_u64).sum::<u64>());
        retention.last_purge = Some((p.time.clone(), removed));
    }
    let holds = crate::store::hold::Holds::load(&config.holds_path())?;
    for h in holds.holds.iter().filter(|h| h.active(now, tz)) {
        retention.holds.push((h.case.clone(), h.until.to_string()));
    }
    retention.cases_waiting = req.cases_waiting.clone();
    Ok(Report {
        label: req.label.clone(),
        from: req.from,
        to: req.to,
        timezone: tz.name().to_string(),
        generated_at: now,
        lang: req.lang,
        k: config.min_cell,
        key_period: key.period,
        seed,
        unit: config.sample_unit.clone(),
        rate: config.sample_rate,
        trail_head,
        trail_lines,
        rules,
        refused,
        sources,
        countries,
        retention,
        geo,
        coverage,
        purge,
        who_looked,
        trail_broken,
        staff,
        returns,
    })
}

/// Builds the report, writes its folder, and records it in the audit trail.
pub fn weekly(
    config: &Config,
    now: DateTime<Utc>,
    key: &crate::pseudonym::Key,
    req: &Request,
    operator: Option<&str>,
) -> Result<ReportOutcome, Error> {
    let report = build(config, now, key, req, operator)?;
    let dir = req.out.clone().unwrap_or_else(|| config.reports_dir.join(&req.label));
    // The trail records each file by its absolute path: that record is what lets the purge
    // find and expire the report wherever it was written (RET-4), and nothing else.
    std::fs::create_dir_all(&dir)
        .map_err(|source| Error::Config(crate::error::ConfigError::Create { path: dir.clone(), source }))?;
    let dir = dir
        .canonicalize()
        .map_err(|source| Error::Config(crate::error::ConfigError::Create { path: dir.clone(), source }))?;
    let files = render::write(&report, &dir)?;
    let event = audit_log::Event::AuditReport {
        from: req.from,
        to: req.to,
        week: &req.label,
        seed: &report.seed,
        findings: report.rules.iter().map(|r| (r.rule.id.clone(), r.findings)).collect(),
        refused: report.refused.iter().map(|(id, _)| id.as_str()).collect(),
        language: req.lang,
        files: files.clone(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &audit_log::operator(operator), event)?;
    Ok(ReportOutcome { dir, files, report })
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    #[test]
    fn an_iso_week_is_monday_to_sunday_and_labels_itself() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(super::iso_week("2026-W47"), Some((d(2026, 11, 16), d(2026, 11, 22))));
        // Week 1 of 2027 starts in 2026; 2026 has 53 weeks, not 54.
        assert_eq!(super::iso_week("2027-w01"), Some((d(2027, 1, 4), d(2027, 1, 10))));
        assert_eq!(super::iso_week("2026-W53"), Some((d(2026, 12, 28), d(2027, 1, 3))));
        assert_eq!(super::iso_week("2026-W54"), None);
        assert_eq!(super::iso_week("2026-47"), None);
        assert_eq!(super::week_label(d(2027, 1, 3)), "2026-W53");
        assert_eq!(super::week_label(d(2026, 11, 16)), "2026-W47");
    }
}
