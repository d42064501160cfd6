//! The one view model of the weekly report: what `templates/report.html` and
//! `templates/report.md` print, already counted, suppressed (every count through
//! [`Cell`]) and worded in the report's language. Values that come from a log or a rule
//! file stay plain strings, which the templates escape; logwacht's own words, counts and
//! charts are marked safe here ([`safe`]).
use minijinja::Value;
use serde::Serialize;

use super::oversight::DayStatus;
use super::suppress::Cell;
use super::text::{self, Text};
use super::{Report, RuleReport};
use crate::rules::{Mode, Purpose};
use crate::templates::safe;

/// The review rows of a rule that the HTML and Markdown show (the rest are in the JSON).
pub const REVIEW_SHOWN: usize = 25;

/// The whole page.
#[derive(Serialize)]
pub struct View {
    t: Value,
    lang: &'static str,
    title: String,
    from: String,
    to: String,
    timezone: String,
    generated_at: Value,
    key_period: Value,
    intro: String,
    suppressed_note: String,
    rules: Vec<RuleRow>,
    refused: Vec<Refused>,
    total: Value,
    weeks: Vec<Value>,
    trend_chart: Value,
    seed: String,
    unit: Value,
    rate: Value,
    samples: Vec<SampleRow>,
    reviews: Vec<Review>,
    cost: Vec<CostRow>,
    sources: Vec<SourceRow>,
    countries: Vec<CountryRow>,
    countries_chart: Value,
    geo: GeoView,
    oldest: String,
    last_purge: String,
    holds: Vec<Waiting>,
    cases_waiting: Vec<Waiting>,
    trail_head: Value,
    trail_lines: Value,
    trail_broken: Option<Value>,
    coverage: Vec<CoverageRow>,
    days: Vec<Value>,
    missing: Vec<Value>,
    purge: PurgeView,
    who_looked: Vec<OperatorRow>,
    staff: StaffView,
    returns: Vec<ReturnsRow>,
}

#[derive(Serialize)]
struct ReturnsRow {
    rule: String,
    messages: Value,
}

/// The staff procedure (CAO nr. 81).
#[derive(Serialize)]
struct StaffView {
    cao81: bool,
    notices: Vec<NoticeRow>,
    works_council: Value,
    protocol_sent: Value,
}

#[derive(Serialize)]
struct NoticeRow {
    rule: String,
    since: Value,
    period: Value,
    count: Value,
}

/// One source's days: each a status word (and the rows, suppressed).
#[derive(Serialize)]
struct CoverageRow {
    name: Value,
    days: Vec<DayCell>,
}

#[derive(Serialize)]
struct DayCell {
    status: Value,
    missing: bool,
    rows: Value,
}

/// The nightly purge.
#[derive(Serialize)]
struct PurgeView {
    nights_missed: Vec<Value>,
    failed: Vec<Value>,
    overdue: bool,
    first_retained: Value,
}

/// One operator's week (the name as the trail has it: plain, escaped by the templates).
#[derive(Serialize)]
struct OperatorRow {
    operator: String,
    activities: Vec<ActivityCell>,
}

#[derive(Serialize)]
struct ActivityCell {
    name: Value,
    count: Value,
}

#[derive(Serialize)]
struct RuleRow {
    id: Value,
    summary: String,
    purpose: Value,
    requirement: String,
    mode: Value,
    severity: Value,
    findings: Value,
    persons: Value,
    per_week: Vec<Value>,
}

#[derive(Serialize)]
struct Refused {
    id: Value,
    why: String,
}

#[derive(Serialize)]
struct SampleRow {
    id: Value,
    population_units: Value,
    population_items: Value,
    sample_units: Value,
    sample_items: Value,
    violations: Value,
    estimate: Value,
}

#[derive(Serialize)]
struct Review {
    id: Value,
    sampled: bool,
    rows: Vec<ReviewRow>,
    more: usize,
}

#[derive(Serialize)]
struct ReviewRow {
    pseudonym: Value,
    day: String,
    evidence: String,
    details: String,
    /// Yes or no, for sampled rules; empty otherwise.
    violation: Value,
}

#[derive(Serialize)]
struct CostRow {
    id: Value,
    summary: String,
    rows: Value,
    persons: Value,
    totals: String,
}

#[derive(Serialize)]
struct SourceRow {
    name: Value,
    rows: Value,
    rejected: Value,
    chart: Value,
}

#[derive(Serialize)]
struct CountryRow {
    country: String,
    signins: Value,
}

/// The GeoIP database and the sources' disagreements with it.
#[derive(Serialize)]
struct GeoView {
    /// The database's file name (a setting, or the built-in one).
    database: String,
    built: Value,
    age_days: Value,
    stale: bool,
    disagreements: Vec<CountryRow>,
}

/// A hold or a case waiting: the case id (from the registry, validated) and a day.
#[derive(Serialize)]
struct Waiting {
    case: String,
    day: Value,
}

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn cell(c: Cell, k: u64) -> Value {
    safe(c.text(k))
}

fn summary(r: &RuleReport, lang: super::Lang) -> String {
    match lang {
        super::Lang::Nl => r.rule.summary_nl.clone(),
        super::Lang::En => r.rule.summary_en.clone(),
    }
}

fn details_text(d: &std::collections::BTreeMap<String, String>) -> String {
    d.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")
}

impl View {
    /// The view of a report.
    pub fn of(r: &Report) -> View {
        let t: &Text = text::of(r.lang);
        let (k, lang) = (r.k, r.lang);
        let findings_rules: Vec<&RuleReport> = r.rules.iter().filter(|x| x.rule.purpose != Purpose::F).collect();
        let rules = findings_rules
            .iter()
            .map(|x| RuleRow {
                id: safe(x.rule.id.as_str()),
                summary: summary(x, lang),
                purpose: safe(text::purpose(lang, x.rule.purpose)),
                requirement: format!("{} ({})", x.rule.requirements.join(", "), x.rule.purpose.article()),
                mode: safe(text::mode(lang, x.rule.mode)),
                severity: safe(x.rule.severity.as_str()),
                findings: cell(x.findings_cell(k), k),
                persons: cell(x.persons_cell(k), k),
                per_week: x.per_week.iter().map(|(_, n)| cell(Cell::of(*n, k), k)).collect(),
            })
            .collect();
        let series: Vec<(String, Vec<(String, Cell)>)> = findings_rules
            .iter()
            .map(|x| (x.rule.id.clone(), x.per_week.iter().map(|(w, n)| (w.clone(), Cell::of(*n, k))).collect()))
            .collect();
        let weeks = findings_rules
            .first()
            .map(|x| x.per_week.iter().map(|(w, _)| safe(w.as_str())).collect())
            .unwrap_or_default();
        let samples = findings_rules
            .iter()
            .filter_map(|x| {
                let s = x.sample.as_ref()?;
                let (violations, estimate) = match (s.violations, s.interval) {
                    (Some(v), Some((lo, hi))) => (Cell::of(v, k).text(k), format!("{} – {}", pct(lo), pct(hi))),
                    _ => (String::new(), String::new()),
                };
                Some(SampleRow {
                    id: safe(x.rule.id.as_str()),
                    population_units: cell(Cell::of(s.population_units, k), k),
                    population_items: cell(Cell::of(s.population_items, k), k),
                    sample_units: cell(Cell::of(s.sample_units, k), k),
                    sample_items: cell(Cell::of(s.sample_items, k), k),
                    violations: safe(violations),
                    estimate: safe(estimate),
                })
            })
            .collect();
        let reviews = findings_rules
            .iter()
            .filter(|x| !x.review.is_empty())
            .map(|x| Review {
                id: safe(x.rule.id.as_str()),
                sampled: x.rule.mode == Mode::Sample,
                rows: x
                    .review
                    .iter()
                    .take(REVIEW_SHOWN)
                    .map(|row| ReviewRow {
                        pseudonym: safe(row.pseudonym.as_deref().unwrap_or("")),
                        day: row.day.clone().unwrap_or_default(),
                        evidence: row.evidence.clone().unwrap_or_default(),
                        details: details_text(&row.details),
                        violation: safe(match row.violation {
                            Some(v) => (if v { t.yes } else { t.no }).to_string(),
                            None => String::new(),
                        }),
                    })
                    .collect(),
                more: x.review.len().saturating_sub(REVIEW_SHOWN),
            })
            .collect();
        let cost = r
            .rules
            .iter()
            .filter(|x| x.rule.purpose == Purpose::F)
            .map(|x| CostRow {
                id: safe(x.rule.id.as_str()),
                summary: summary(x, lang),
                rows: cell(x.findings_cell(k), k),
                persons: cell(x.persons_cell(k), k),
                totals: x.totals.iter().map(|(k, v)| format!("{k}: {v:.0}")).collect::<Vec<_>>().join("; "),
            })
            .collect();
        let sources = r
            .sources
            .iter()
            .map(|s| {
                let n: Vec<u64> = s.per_day.iter().map(|(_, n)| *n).collect();
                let bars: Vec<(String, Cell)> = s.per_day.iter().map(|(d, n)| (d.clone(), Cell::of(*n, k))).collect();
                let chart = if bars.is_empty() {
                    String::new()
                } else {
                    super::charts::bar_chart(&format!("{}: {}", t.traffic_chart, s.source.name()), &bars, k)
                };
                SourceRow {
                    name: safe(s.source.name()),
                    rows: cell(Cell::total(&n, k), k),
                    rejected: cell(Cell::of(s.rejected, k), k),
                    chart: safe(chart),
                }
            })
            .collect();
        let bars: Vec<(String, Cell)> = r.countries.iter().map(|(c, n)| (c.clone(), Cell::of(*n, k))).collect();
        let countries_chart =
            if bars.is_empty() { String::new() } else { super::charts::bar_chart(t.countries, &bars, k) };
        let ret = &r.retention;
        View {
            t: crate::templates::words(t),
            lang: if lang == super::Lang::Nl { "nl" } else { "en" },
            title: format!("{} {}", t.title, r.label),
            from: r.from.to_string(),
            to: r.to.to_string(),
            timezone: r.timezone.clone(),
            generated_at: safe(r.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            key_period: safe(r.key_period.to_string()),
            intro: t.intro.replace("< k", &format!("< {k}")),
            suppressed_note: t.suppressed_note.replace("k-1", &(k - 1).to_string()).replace("< k", &format!("< {k}")),
            rules,
            refused: r.refused.iter().map(|(id, why)| Refused { id: safe(id.as_str()), why: why.clone() }).collect(),
            total: cell(RuleReport::total_cell(&findings_rules, k), k),
            weeks,
            trend_chart: safe(super::charts::week_chart(t.trend_chart, &series, k)),
            seed: r.seed.clone(),
            unit: safe(if r.unit == "persons" { t.units_persons } else { t.units_items }),
            rate: safe(pct(r.rate)),
            samples,
            reviews,
            cost,
            sources,
            countries: r
                .countries
                .iter()
                .map(|(c, n)| CountryRow { country: c.clone(), signins: cell(Cell::of(*n, k), k) })
                .collect(),
            countries_chart: safe(countries_chart),
            geo: GeoView {
                database: r.geo.database.clone(),
                built: safe(r.geo.built.as_str()),
                age_days: safe(r.geo.age_days.to_string()),
                stale: r.geo.stale,
                disagreements: r
                    .geo
                    .disagreements
                    .iter()
                    .map(|(f, n)| CountryRow { country: f.clone(), signins: cell(Cell::of(*n, k), k) })
                    .collect(),
            },
            oldest: ret.oldest_day.clone().unwrap_or_else(|| t.none.to_string()),
            last_purge: ret
                .last_purge
                .as_ref()
                .map_or(t.none.to_string(), |(when, n)| format!("{when}: {n} {}", t.rows_removed)),
            holds: ret.holds.iter().map(|(c, u)| Waiting { case: c.clone(), day: safe(u.as_str()) }).collect(),
            cases_waiting: ret
                .cases_waiting
                .iter()
                .map(|(c, d)| Waiting { case: c.clone(), day: safe(d.as_str()) })
                .collect(),
            trail_head: safe(r.trail_head.as_str()),
            trail_lines: safe(r.trail_lines.to_string()),
            trail_broken: r.trail_broken.as_ref().map(|(line, why)| safe(format!("{line} ({why})"))),
            coverage: r
                .coverage
                .iter()
                .map(|c| CoverageRow {
                    name: safe(c.source.name()),
                    days: c
                        .days
                        .iter()
                        .map(|(_, n, s)| DayCell {
                            status: safe(match s {
                                DayStatus::Arrived => t.arrived,
                                DayStatus::Missing => t.missing,
                                DayStatus::Quiet => t.quiet,
                                DayStatus::Pending => t.pending,
                            }),
                            missing: *s == DayStatus::Missing,
                            rows: cell(Cell::of(*n, k), k),
                        })
                        .collect(),
                })
                .collect(),
            days: r.from.iter_days().take_while(|d| *d <= r.to).map(|d| safe(d.to_string())).collect(),
            missing: r
                .coverage
                .iter()
                .flat_map(|c| c.missing().into_iter().map(move |d| safe(format!("{} {d}", c.source.name()))))
                .collect(),
            purge: PurgeView {
                nights_missed: r.purge.nights_missed.iter().map(|d| safe(d.to_string())).collect(),
                // Trail times: RFC 3339 as logwacht wrote them.
                failed: r.purge.failed.iter().map(|t| safe(t.as_str())).collect(),
                overdue: r.purge.overdue,
                first_retained: safe(r.purge.first_retained.map(|d| d.to_string()).unwrap_or_default()),
            },
            returns: r
                .returns
                .iter()
                .map(|(rule, n)| ReturnsRow { rule: rule.clone(), messages: cell(Cell::of(*n, k), k) })
                .collect(),
            staff: StaffView {
                cao81: r.staff.procedure == crate::config::StaffProcedure::Cao81,
                notices: r
                    .staff
                    .notices
                    .iter()
                    .map(|n| NoticeRow {
                        // A rule id from the trail: plain, escaped by the templates.
                        rule: n.rule.clone(),
                        since: safe(n.since.as_str()),
                        period: safe(format!("{} – {}", n.last_period.0, n.last_period.1)),
                        count: safe(n.count.to_string()),
                    })
                    .collect(),
                works_council: safe(
                    r.staff.works_council_informed.map_or_else(|| t.not_recorded.to_string(), |d| d.to_string()),
                ),
                protocol_sent: safe(
                    r.staff.protocol_sent_to_staff.map_or_else(|| t.not_recorded.to_string(), |d| d.to_string()),
                ),
            },
            who_looked: r
                .who_looked
                .iter()
                .map(|(who, acts)| OperatorRow {
                    operator: who.clone(),
                    activities: acts
                        .iter()
                        .map(|(a, n)| ActivityCell { name: safe(text::activity(lang, *a)), count: safe(n.to_string()) })
                        .collect(),
                })
                .collect(),
        }
    }
}
