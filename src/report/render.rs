//! Writes a [`Report`] as `report.html` (one self-contained file: inline CSS and SVG, no
//! script, no font or image from outside; every value escaped), `report.md` and
//! `findings.json` (docs/report.md: the schema). Every count goes through
//! [`Cell`](super::suppress::Cell); every string of `findings.json` that a spreadsheet
//! would take for a formula (`=`, `+`, `-`, `@`, tab, CR) is neutralised with a leading `'`.
//!
//! Over 600 lines: the HTML page and its Markdown twin are written side by side by hand, so
//! that a change to one is seen next to the other; one template and view model for both
//! is planned (issue 14 step 5).
use std::fmt::Write;
use std::path::Path;

use serde_json::{Value, json};

use super::suppress::{Cell, JsonCell};
use super::text::{self, Text};
use super::{Report, RuleReport};
use crate::audit_log::FileHash;
use crate::error::Error;
use crate::rules::Purpose;

/// Escapes text for HTML (element content and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for Markdown (a table cell or a line): a value from a log can never become
/// a link, an image (a tracking beacon), a heading, emphasis or HTML, and control characters
/// (ESC, BEL, CR) never reach the reader's terminal or viewer.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '(' | ')' | '!' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

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

fn pct(x: f64) -> String {
    format!("{:.1} %", x * 100.0)
}

fn summary(r: &RuleReport, lang: super::Lang) -> &str {
    match lang {
        super::Lang::Nl => &r.rule.summary_nl,
        super::Lang::En => &r.rule.summary_en,
    }
}

fn requirement(r: &RuleReport) -> String {
    format!("{} ({})", r.rule.requirements.join(", "), r.rule.purpose.article())
}

/// A horizontal bar chart; suppressed bars are drawn empty with their label.
pub fn bar_chart(title: &str, bars: &[(String, Cell)], k: u64) -> String {
    let row = 22;
    let (label_w, bar_w, width) = (150, 380, 600);
    let height = 34 + row * bars.len().max(1);
    let max = bars.iter().filter_map(|(_, c)| c.value()).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for (i, (label, cell)) in bars.iter().enumerate() {
        let y = 28 + i * row;
        let w = cell.value().map_or(0, |v| (v as f64 / max as f64 * bar_w as f64).round() as usize);
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="cl">{l}</text><rect x="{bx}" y="{y}" width="{w}" height="16" class="{cls}"/><text x="{vx}" y="{ty}" class="cv">{v}</text>"#,
            lx = label_w - 6,
            ty = y + 12,
            l = esc(label),
            bx = label_w,
            cls = if cell.value().is_some() { "bar" } else { "bar small" },
            vx = label_w + w + 6,
            v = esc(&cell.text(k)),
        );
    }
    s.push_str("</svg>");
    s
}

/// Small multiples: one row per series, one bar per week.
pub fn week_chart(title: &str, series: &[(String, Vec<(String, Cell)>)], k: u64) -> String {
    let weeks: Vec<String> =
        series.first().map(|(_, w)| w.iter().map(|(l, _)| l.clone()).collect()).unwrap_or_default();
    let (label_w, col_w, row) = (250, 80, 24);
    let width = label_w + col_w * weeks.len().max(1) + 10;
    let height = 46 + row * series.len().max(1);
    let max = series.iter().flat_map(|(_, w)| w.iter().filter_map(|(_, c)| c.value())).max().unwrap_or(0).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="{width}" height="{height}"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for (j, w) in weeks.iter().enumerate() {
        let _ = write!(s, r#"<text x="{x}" y="36" class="cl">{w}</text>"#, x = label_w + j * col_w, w = esc(w));
    }
    for (i, (name, cells)) in series.iter().enumerate() {
        let y = 44 + i * row;
        let _ = write!(
            s,
            r#"<text x="{x}" y="{ty}" text-anchor="end" class="cl">{n}</text>"#,
            x = label_w - 6,
            ty = y + 13,
            n = esc(name)
        );
        for (j, (_, c)) in cells.iter().enumerate() {
            let w = c.value().map_or(0, |v| (v as f64 / max as f64 * (col_w - 34) as f64).round() as usize);
            let _ = write!(
                s,
                r#"<rect x="{x}" y="{y}" width="{w}" height="16" class="{cls}"/><text x="{tx}" y="{ty}" class="cv">{v}</text>"#,
                x = label_w + j * col_w,
                cls = if c.value().is_some() { "bar" } else { "bar small" },
                tx = label_w + j * col_w + w + 3,
                ty = y + 13,
                v = esc(&c.text(k)),
            );
        }
    }
    s.push_str("</svg>");
    s
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1b1f24;line-height:1.45}\
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccd;padding-bottom:.2rem}\
h3{font-size:1rem;margin-bottom:.3rem}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}\
table{width:100%}th,td{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}td:first-child,code{overflow-wrap:anywhere}th{background:#eef1f6}\
td.n{text-align:right;font-variant-numeric:tabular-nums}.meta{color:#555;font-size:.9rem}code{font-size:.85rem;word-break:break-all}\
svg{max-width:100%;height:auto;margin:.5rem 0}.ct{font-size:14px;font-weight:600}.cl{font-size:12px;fill:#333}.cv{font-size:11px;fill:#333}\
.bar{fill:#3b6ea8}.bar.small{fill:none;stroke:#999;stroke-dasharray:3 2}.note{font-size:.85rem;color:#555}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,svg{break-inside:avoid}}";

fn cell_td(c: Cell, k: u64) -> String {
    format!(r#"<td class="n">{}</td>"#, esc(&c.text(k)))
}

/// The review rows of a rule that the HTML and Markdown show (the rest are in the JSON).
const REVIEW_SHOWN: usize = 25;

fn details_text(d: &std::collections::BTreeMap<String, String>) -> String {
    d.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")
}

/// The HTML report.
pub fn html(r: &Report) -> String {
    let t: &Text = text::of(r.lang);
    let k = r.k;
    let lang = r.lang;
    let mut h = String::new();
    let title = format!("{} {}", t.title, r.label);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        if lang == super::Lang::Nl { "nl" } else { "en" },
        esc(&title)
    );
    let _ = write!(
        h,
        "<h1>{}</h1><p class=\"meta\">{}: {} – {} ({}) · {}: {} · {}: {}</p><p>{}</p><p class=\"note\">{}</p>",
        esc(&title),
        t.window,
        r.from,
        r.to,
        esc(&r.timezone),
        t.generated,
        r.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        t.key_period,
        r.key_period,
        esc(&t.intro.replace("< k", &format!("< {k}"))),
        esc(&t.suppressed_note.replace("k-1", &(k - 1).to_string()).replace("< k", &format!("< {k}")))
    );
    // Findings per rule.
    let _ = write!(
        h,
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.rules, t.rule, t.purpose, t.requirement, t.mode, t.severity, t.findings, t.persons
    );
    let findings_rules: Vec<&RuleReport> = r.rules.iter().filter(|x| x.rule.purpose != Purpose::F).collect();
    for x in &findings_rules {
        let _ = write!(
            h,
            "<tr><td><strong>{}</strong><br><span class=\"note\">{}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}{}</tr>",
            esc(&x.rule.id),
            esc(summary(x, lang)),
            esc(text::purpose(lang, x.rule.purpose)),
            esc(&requirement(x)),
            esc(text::mode(lang, &x.rule.mode)),
            esc(&x.rule.severity),
            cell_td(x.findings_cell(k), k),
            cell_td(x.persons_cell(k), k)
        );
    }
    for (id, why) in &r.refused {
        let _ = write!(
            h,
            "<tr class=\"refused\"><td><strong>{}</strong></td><td colspan=\"6\">{}: {}</td></tr>",
            esc(id),
            esc(t.refused),
            esc(why)
        );
    }
    let _ = write!(
        h,
        "<tr><th colspan=\"5\">{}</th>{}<td></td></tr></tbody></table>",
        t.total,
        cell_td(RuleReport::total_cell(&findings_rules, k), k)
    );
    // Trend.
    let series: Vec<(String, Vec<(String, Cell)>)> = findings_rules
        .iter()
        .map(|x| (x.rule.id.clone(), x.per_week.iter().map(|(w, n)| (w.clone(), Cell::of(*n, k))).collect()))
        .collect();
    h.push_str(&week_chart(t.trend_chart, &series, k));
    // Samples.
    let _ = write!(
        h,
        "<h2>{}</h2><p>{}</p><p class=\"meta\">{}: <code>{}</code> · {}: {} · {}: {}</p>",
        t.samples,
        t.samples_intro,
        t.seed,
        esc(&r.seed),
        t.unit,
        if r.unit == "persons" { t.units_persons } else { t.units_items },
        t.rate,
        pct(r.rate)
    );
    let _ = write!(
        h,
        "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.rule, t.population, t.sample, t.violations, t.estimate
    );
    for x in &findings_rules {
        let Some(s) = &x.sample else { continue };
        let (viol, est) = match (s.violations, s.interval) {
            (Some(v), Some((lo, hi))) => (Cell::of(v, k).text(k), format!("{} – {}", pct(lo), pct(hi))),
            _ => ("".into(), "".into()),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td class=\"n\">{} / {} {}</td><td class=\"n\">{} / {} {}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&x.rule.id),
            esc(&Cell::of(s.population_units, k).text(k)),
            esc(&Cell::of(s.population_items, k).text(k)),
            t.items,
            esc(&Cell::of(s.sample_units, k).text(k)),
            esc(&Cell::of(s.sample_items, k).text(k)),
            t.items,
            esc(&viol),
            esc(&est)
        );
    }
    h.push_str("</tbody></table>");
    // Review.
    let _ = write!(h, "<h2>{}</h2><p>{}</p>", t.review, t.review_intro);
    for x in findings_rules.iter().filter(|x| !x.review.is_empty()) {
        let _ = write!(
            h,
            "<h3>{}</h3><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>{}</tr></thead><tbody>",
            esc(&x.rule.id),
            t.pseudonym,
            t.day,
            t.evidence,
            t.details,
            if x.rule.mode == "sample" { format!("<th>{}</th>", t.violation) } else { String::new() }
        );
        for row in x.review.iter().take(REVIEW_SHOWN) {
            let _ = write!(
                h,
                "<tr><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td>{}</td>{}</tr>",
                esc(row.pseudonym.as_deref().unwrap_or("")),
                esc(row.day.as_deref().unwrap_or("")),
                esc(row.evidence.as_deref().unwrap_or("")),
                esc(&details_text(&row.details)),
                match row.violation {
                    Some(v) => format!("<td>{}</td>", if v { t.yes } else { t.no }),
                    None => String::new(),
                }
            );
        }
        h.push_str("</tbody></table>");
        if x.review.len() > REVIEW_SHOWN {
            let _ = write!(h, "<p class=\"note\">+{} {}</p>", x.review.len() - REVIEW_SHOWN, t.more_rows);
        }
    }
    // Cost and capacity.
    let _ = write!(
        h,
        "<h2>{}</h2><p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.cost, t.cost_intro, t.rule, t.rows, t.persons, t.totals
    );
    for x in r.rules.iter().filter(|x| x.rule.purpose == Purpose::F) {
        let totals: Vec<String> = x.totals.iter().map(|(k, v)| format!("{k}: {v:.0}")).collect();
        let _ = write!(
            h,
            "<tr><td><strong>{}</strong><br><span class=\"note\">{}</span></td>{}{}<td>{}</td></tr>",
            esc(&x.rule.id),
            esc(summary(x, lang)),
            cell_td(x.findings_cell(k), k),
            cell_td(x.persons_cell(k), k),
            esc(&totals.join("; "))
        );
    }
    h.push_str("</tbody></table>");
    // Sources.
    let _ = write!(
        h,
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t.sources, t.source, t.rows, t.rejected
    );
    for s in &r.sources {
        let n: Vec<u64> = s.per_day.iter().map(|(_, n)| *n).collect();
        let _ = write!(
            h,
            "<tr><td>{}</td>{}{}</tr>",
            s.source.name(),
            cell_td(Cell::total(&n, k), k),
            cell_td(Cell::of(s.rejected, k), k)
        );
    }
    h.push_str("</tbody></table>");
    for s in &r.sources {
        let bars: Vec<(String, Cell)> = s.per_day.iter().map(|(d, n)| (d.clone(), Cell::of(*n, k))).collect();
        if !bars.is_empty() {
            h.push_str(&bar_chart(&format!("{}: {}", t.traffic_chart, s.source.name()), &bars, k));
        }
    }
    // Countries.
    let _ = write!(h, "<h2>{}</h2>", t.countries);
    let bars: Vec<(String, Cell)> = r.countries.iter().map(|(c, n)| (c.clone(), Cell::of(*n, k))).collect();
    if bars.is_empty() {
        let _ = write!(h, "<p>{}</p>", t.none);
    } else {
        h.push_str(&bar_chart(t.countries, &bars, k));
    }
    // Retention.
    let ret = &r.retention;
    let _ = write!(
        h,
        "<h2>{}</h2><table><tbody><tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr>",
        t.retention,
        t.oldest,
        esc(ret.oldest_day.as_deref().unwrap_or(t.none)),
        t.last_purge,
        esc(&ret.last_purge.as_ref().map_or(t.none.to_string(), |(when, n)| format!("{when}: {n} {}", t.rows_removed)))
    );
    let holds: Vec<String> = ret.holds.iter().map(|(c, u)| format!("{} {c} {} {u}", t.case, t.until)).collect();
    let waiting: Vec<String> =
        ret.cases_waiting.iter().map(|(c, d)| format!("{} {c}, {} {d}", t.case, t.due)).collect();
    let list = |v: &[String]| if v.is_empty() { t.none.to_string() } else { v.join("; ") };
    let _ = write!(
        h,
        "<tr><th>{}</th><td>{}</td></tr><tr><th>{}</th><td>{}</td></tr></tbody></table>",
        t.holds,
        esc(&list(&holds)),
        t.cases_waiting,
        esc(&list(&waiting))
    );
    let _ = write!(h, "<h2>{}</h2><p>{}</p><p><code>{}</code></p>", t.trail, t.trail_intro, esc(&r.trail_head));
    h.push_str("</body></html>\n");
    h
}

/// The Markdown report (the same content, without charts).
pub fn markdown(r: &Report) -> String {
    let t = text::of(r.lang);
    let (k, lang) = (r.k, r.lang);
    let mut m = String::new();
    let _ = writeln!(m, "# {} {}\n", t.title, r.label);
    let _ = writeln!(
        m,
        "{}: {} – {} ({}) · {}: {} · {}: {}\n",
        t.window,
        r.from,
        r.to,
        md(&r.timezone),
        t.generated,
        r.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        t.key_period,
        r.key_period
    );
    let _ = writeln!(m, "{}\n", t.intro.replace("< k", &format!("< {k}")));
    let _ = writeln!(m, "## {}\n", t.rules);
    let _ =
        writeln!(m, "| {} | {} | {} | {} | {} | {} |", t.rule, t.purpose, t.requirement, t.mode, t.findings, t.persons);
    m.push_str("| --- | --- | --- | --- | ---: | ---: |\n");
    let rules: Vec<&RuleReport> = r.rules.iter().filter(|x| x.rule.purpose != Purpose::F).collect();
    for x in &rules {
        let _ = writeln!(
            m,
            "| `{}` {} | {} | {} | {} | {} | {} |",
            x.rule.id,
            md(summary(x, lang)),
            md(text::purpose(lang, x.rule.purpose)),
            md(&requirement(x)),
            text::mode(lang, &x.rule.mode),
            x.findings_cell(k).text(k),
            x.persons_cell(k).text(k)
        );
    }
    for (id, why) in &r.refused {
        let _ = writeln!(m, "| `{}` | {}: {} | | | | |", id, t.refused, md(why));
    }
    let _ = writeln!(m, "| **{}** | | | | {} | |\n", t.total, RuleReport::total_cell(&rules, k).text(k));
    let _ = writeln!(m, "### {}\n", t.trend);
    let weeks: Vec<&String> = rules.first().map(|x| x.per_week.iter().map(|(w, _)| w).collect()).unwrap_or_default();
    let _ = writeln!(m, "| {} | {} |", t.rule, weeks.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(" | "));
    let _ = writeln!(m, "| --- |{}", " ---: |".repeat(weeks.len()));
    for x in &rules {
        let cells: Vec<String> = x.per_week.iter().map(|(_, n)| Cell::of(*n, k).text(k)).collect();
        let _ = writeln!(m, "| `{}` | {} |", x.rule.id, cells.join(" | "));
    }
    let _ = writeln!(m, "\n## {}\n\n{}\n", t.samples, t.samples_intro);
    let _ = writeln!(m, "{}: `{}` · {}: {} · {}: {}\n", t.seed, r.seed, t.unit, r.unit, t.rate, pct(r.rate));
    let _ = writeln!(m, "| {} | {} | {} | {} | {} |", t.rule, t.population, t.sample, t.violations, t.estimate);
    m.push_str("| --- | ---: | ---: | ---: | --- |\n");
    for x in &rules {
        let Some(s) = &x.sample else { continue };
        let (viol, est) = match (s.violations, s.interval) {
            (Some(v), Some((lo, hi))) => (Cell::of(v, k).text(k), format!("{} – {}", pct(lo), pct(hi))),
            _ => (String::new(), String::new()),
        };
        let _ = writeln!(
            m,
            "| `{}` | {} / {} | {} / {} | {} | {} |",
            x.rule.id,
            Cell::of(s.population_units, k).text(k),
            Cell::of(s.population_items, k).text(k),
            Cell::of(s.sample_units, k).text(k),
            Cell::of(s.sample_items, k).text(k),
            viol,
            est
        );
    }
    let _ = writeln!(m, "\n## {}\n\n{}\n", t.review, t.review_intro);
    for x in rules.iter().filter(|x| !x.review.is_empty()) {
        let _ = writeln!(m, "### `{}`\n", x.rule.id);
        let _ = writeln!(m, "| {} | {} | {} | {} |", t.pseudonym, t.day, t.evidence, t.details);
        m.push_str("| --- | --- | --- | --- |\n");
        for row in x.review.iter().take(REVIEW_SHOWN) {
            let mut d = details_text(&row.details);
            if let Some(v) = row.violation {
                let v = format!("{}: {}", t.violation, if v { t.yes } else { t.no });
                d = if d.is_empty() { v } else { format!("{v}; {d}") };
            }
            let _ = writeln!(
                m,
                "| `{}` | {} | `{}` | {} |",
                row.pseudonym.as_deref().unwrap_or(""),
                row.day.as_deref().unwrap_or(""),
                md(row.evidence.as_deref().unwrap_or("")),
                md(&d)
            );
        }
        if x.review.len() > REVIEW_SHOWN {
            let _ = writeln!(m, "\n+{} {}", x.review.len() - REVIEW_SHOWN, t.more_rows);
        }
        m.push('\n');
    }
    let _ = writeln!(m, "## {}\n\n{}\n", t.cost, t.cost_intro);
    let _ = writeln!(m, "| {} | {} | {} | {} |\n| --- | ---: | ---: | --- |", t.rule, t.rows, t.persons, t.totals);
    for x in r.rules.iter().filter(|x| x.rule.purpose == Purpose::F) {
        let totals: Vec<String> = x.totals.iter().map(|(k, v)| format!("{k}: {v:.0}")).collect();
        let _ = writeln!(
            m,
            "| `{}` | {} | {} | {} |",
            x.rule.id,
            x.findings_cell(k).text(k),
            x.persons_cell(k).text(k),
            md(&totals.join("; "))
        );
    }
    let _ = writeln!(m, "\n## {}\n\n| {} | {} | {} |\n| --- | ---: | ---: |", t.sources, t.source, t.rows, t.rejected);
    for s in &r.sources {
        let n: Vec<u64> = s.per_day.iter().map(|(_, n)| *n).collect();
        let _ = writeln!(
            m,
            "| {} | {} | {} |",
            s.source.name(),
            Cell::total(&n, k).text(k),
            Cell::of(s.rejected, k).text(k)
        );
    }
    let _ = writeln!(m, "\n## {}\n\n| {} | {} |\n| --- | ---: |", t.countries, t.country, t.signins);
    for (c, n) in &r.countries {
        let _ = writeln!(m, "| {} | {} |", md(c), Cell::of(*n, k).text(k));
    }
    let ret = &r.retention;
    let _ = writeln!(m, "\n## {}\n", t.retention);
    let _ = writeln!(m, "- {}: {}", t.oldest, ret.oldest_day.as_deref().unwrap_or(t.none));
    let _ = writeln!(
        m,
        "- {}: {}",
        t.last_purge,
        ret.last_purge.as_ref().map_or(t.none.to_string(), |(w, n)| format!("{w}: {n} {}", t.rows_removed))
    );
    let holds: Vec<String> = ret.holds.iter().map(|(c, u)| format!("{} {} {} {u}", t.case, md(c), t.until)).collect();
    let _ = writeln!(m, "- {}: {}", t.holds, if holds.is_empty() { t.none.to_string() } else { holds.join("; ") });
    let waiting: Vec<String> =
        ret.cases_waiting.iter().map(|(c, d)| format!("{} {}, {} {d}", t.case, md(c), t.due)).collect();
    let _ = writeln!(
        m,
        "- {}: {}",
        t.cases_waiting,
        if waiting.is_empty() { t.none.to_string() } else { waiting.join("; ") }
    );
    let _ = writeln!(m, "\n## {}\n\n{}\n\n`{}`", t.trail, t.trail_intro, r.trail_head);
    m
}

/// `findings.json` (schema `logwacht-findings/1`, docs/report.md).
pub fn json(r: &Report) -> Value {
    let k = r.k;
    let c = |n: u64| JsonCell(Cell::of(n, k), k);
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
    });
    guard_all(&mut v);
    v
}

/// Writes the three files into `dir` (each to a temporary name, then renamed) and returns
/// them with their SHA-256.
pub fn write(r: &Report, dir: &Path) -> Result<Vec<FileHash>, Error> {
    let json_text = serde_json::to_string_pretty(&json(r)).map_err(|e| Error::Bug(e.to_string()))? + "\n";
    crate::audit_log::write_files(
        dir,
        &[("report.html", html(r)), ("report.md", markdown(r)), ("findings.json", json_text)],
    )
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

    #[test]
    fn charts_hide_small_bars_and_escape_labels() {
        let svg = bar_chart("t<", &[("<b>".into(), Cell::of(3, 5)), ("BE".into(), Cell::of(40, 5))], 5);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("&lt; 5") && svg.contains(">40<"));
        assert!(svg.contains(r#"class="bar small""#));
    }
}
