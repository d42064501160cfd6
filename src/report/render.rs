//! Writes a [`Report`] as `report.html` (one self-contained file: inline CSS and SVG, no
//! script, no font or image from outside; every value escaped), `report.md` and
//! `findings.json` (docs/report.md: the schema). Every count goes through
//! [`Cell`](super::suppress::Cell); every string of `findings.json` that a spreadsheet
//! would take for a formula (`=`, `+`, `-`, `@`, tab, CR) is neutralised with a leading `'`.
//!
//! The HTML page and the Markdown are rendered from one view model ([`View`]) by the
//! templates `templates/report.html` and `templates/report.md` (crate::templates: escaping
//! by default; the charts are in `charts.rs`); this file writes `findings.json` and the files.
use std::path::Path;

use serde_json::{Value, json};

use super::suppress::{Cell, JsonCell};
use super::view::View;
use super::{Report, RuleReport};
use crate::audit_log::FileHash;
use crate::error::Error;

pub use crate::templates::{esc, md};

/// Neutralises a cell a spreadsheet would evaluate.
pub fn guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

fn guard_all(v: &mut Value) {
    match v {
        Value::String(s) => *s = guard(s),
        Value::Array(a) => a.iter_mut().for_each(guard_all),
        Value::Object(o) => o.values_mut().for_each(guard_all),
        _ => {}
    }
}

fn summary(r: &RuleReport, lang: super::Lang) -> &str {
    match lang {
        super::Lang::Nl => &r.rule.summary_nl,
        super::Lang::En => &r.rule.summary_en,
    }
}

/// The HTML report.
pub fn html(r: &Report) -> Result<String, Error> {
    crate::templates::render("report.html", &View::of(r)).map_err(Error::Bug)
}

/// The Markdown report (the same view, without charts).
pub fn markdown(r: &Report) -> Result<String, Error> {
    crate::templates::render("report.md", &View::of(r)).map_err(Error::Bug)
}

/// `findings.json` (schema `logwacht-findings/1`, docs/report.md).
pub fn json(r: &Report) -> Value {
    let k = r.k;
    let c = |n: u64| JsonCell(Cell::of(n, k), k);
    let c_rows = c;
    let rules: Vec<Value> = r
        .rules
        .iter()
        .map(|x| {
            json!({
                "id": x.rule.id,
                "summary": summary(x, r.lang),
                "purpose": x.rule.purpose.letter().to_string(),
                "article": x.rule.purpose.article(),
                "requirements": x.rule.requirements,
                "mode": x.rule.mode,
                "severity": x.rule.severity,
                "findings": JsonCell(x.findings_cell(k), k),
                "persons": JsonCell(x.persons_cell(k), k),
                "per_week": x.per_week.iter().map(|(w, n)| json!({"week": w, "findings": c(*n)})).collect::<Vec<_>>(),
                "sample": x.sample.as_ref().map(|s| json!({
                    "unit": s.unit,
                    "rate": s.rate,
                    "population_units": c(s.population_units),
                    "population_items": c(s.population_items),
                    "sample_units": c(s.sample_units),
                    "sample_items": c(s.sample_items),
                    "violations": s.violations.map(c),
                    "rate_low": s.interval.map(|i| i.0),
                    "rate_high": s.interval.map(|i| i.1),
                })),
                "review": x.review,
                "totals": x.totals,
            })
        })
        .collect();
    let mut v = json!({
        "schema": "logwacht-findings/1",
        "label": r.label,
        "from": r.from,
        "to": r.to,
        "time_zone": r.timezone,
        "generated_at": r.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "language": r.lang,
        "min_cell": k,
        "key_period": r.key_period,
        "sampling": {"seed": r.seed, "unit": r.unit, "rate": r.rate},
        "audit_log_head": r.trail_head,
        "audit_log_lines": r.trail_lines,
        "audit_log_verifies": r.trail_broken.is_none(),
        "audit_log_broken_at": r.trail_broken.as_ref().map(|(line, why)| json!({"line": line, "reason": why})),
        "rules": rules,
        "refused": r.refused.iter().map(|(id, why)| json!({"id": id, "reason": why})).collect::<Vec<_>>(),
        "sources": r.sources.iter().map(|s| {
            let n: Vec<u64> = s.per_day.iter().map(|(_, n)| *n).collect();
            json!({
                "source": s.source.name(),
                "rows": JsonCell(Cell::total(&n, k), k),
                "rejected": c(s.rejected),
                "per_day": s.per_day.iter().map(|(d, n)| json!({"day": d, "rows": c(*n)})).collect::<Vec<_>>(),
                "bytes_per_day": s.bytes_per_day.iter().map(|(d, n)| json!({"day": d, "bytes": n})).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
        "signin_countries": r.countries.iter().map(|(cc, n)| json!({"country": cc, "signins": c(*n)})).collect::<Vec<_>>(),
        "retention": r.retention,
        "coverage": r.coverage.iter().map(|c| json!({
            "source": c.source.name(),
            "days": c.days.iter().map(|(d, n, s)| json!({"day": d, "rows": c_rows(*n), "status": s})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "purge": r.purge,
        "staff": r.staff,
        "returns": r.returns.iter().map(|(rule, n)| json!({"rule": rule, "messages": c(*n)})).collect::<Vec<_>>(),
        "who_looked": r.who_looked.iter().map(|(who, acts)| json!({"operator": who, "activities": acts})).collect::<Vec<_>>(),
        "geoip": {
            "database": r.geo.database,
            "built": r.geo.built,
            "age_days": r.geo.age_days,
            "max_age_days": r.geo.max_age_days,
            "stale": r.geo.stale,
            "country_disagreements": r.geo.disagreements.iter().map(|(f, n)| json!({"source_format": f, "signins": c(*n)})).collect::<Vec<_>>(),
        },
    });
    guard_all(&mut v);
    v
}

/// Writes the three files into `dir` (each to a temporary name, then renamed) and returns
/// them with their SHA-256.
pub fn write(r: &Report, dir: &Path) -> Result<Vec<FileHash>, Error> {
    let json_text = serde_json::to_string_pretty(&json(r)).map_err(|e| Error::Bug(e.to_string()))? + "\n";
    Ok(crate::audit_log::write_files(
        dir,
        &[("report.html", html(r)?), ("report.md", markdown(r)?), ("findings.json", json_text)],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_values_are_escaped_and_formulas_neutralised() {
        assert_eq!(esc("<script>alert('x')</script>&"), "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;");
        assert_eq!(md("a|b_c<"), "a\\|b\\_c&lt;");
        assert_eq!(guard("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guard("+1"), "'+1");
        assert_eq!(guard("@SUM"), "'@SUM");
        assert_eq!(guard("plain"), "plain");
        let mut v = json!({"a": ["-2+3", {"b": "ok"}]});
        guard_all(&mut v);
        assert_eq!(v, json!({"a": ["'-2+3", {"b": "ok"}]}));
    }
}
