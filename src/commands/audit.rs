//! `logwacht audit`: the weekly DPO report (CTL-1, CTL-2), and `audit run` / `audit signin`.
use chrono::{DateTime, NaiveDate, Utc};

use crate::audit_log;
use crate::cli::{self, AuditArgs, AuditCommand};
use crate::config::Config;
use crate::error::{self, EXIT_ERROR, EXIT_OK, Error, Result};
use crate::report;
use crate::rules;
use crate::workspace::Workspace;

/// The weekly report, or the subcommand of `args`.
pub fn run(ws: &Workspace, args: AuditArgs) -> Result<u8> {
    match &args.command {
        Some(cmd) => audit_command(ws, cmd),
        None => weekly_report(ws, &args),
    }
}

/// What one rule found, without identities: counts, and per finding only evidence
/// pointers (file and line), times, countries and reasons.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleOutcome {
    pub id: String,
    pub purpose: char,
    pub requirements: Vec<String>,
    pub findings: usize,
    pub by_severity: std::collections::BTreeMap<String, usize>,
    pub by_country: std::collections::BTreeMap<String, usize>,
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Why the rule did not run (refused by the output gate or its purpose, or failed):
    /// one line, no values. The other rules still ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl RuleOutcome {
    /// One line: rule, purpose, requirements, findings by severity and country.
    pub fn summary(&self) -> String {
        let join = |m: &std::collections::BTreeMap<String, usize>| {
            m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
        };
        if self.refused.is_some() {
            return format!(
                "{} (purpose {}, {}): refused, did not run",
                self.id,
                self.purpose,
                self.requirements.join(", ")
            );
        }
        let mut line = format!(
            "{} (purpose {}, {}): {} findings",
            self.id,
            self.purpose,
            self.requirements.join(", "),
            self.findings
        );
        if !self.by_severity.is_empty() {
            line.push_str(&format!("; {}", join(&self.by_severity)));
        }
        if !self.by_country.is_empty() {
            line.push_str(&format!("; countries: {}", join(&self.by_country)));
        }
        line
    }
}

/// Runs the configured rules that `pick` selects over school-local days `from..=to`.
pub fn audit_rules(
    config: &Config,
    now: DateTime<Utc>,
    key: &crate::pseudonym::Key,
    from: NaiveDate,
    to: NaiveDate,
    pick: impl Fn(&rules::Rule) -> bool,
    operator: Option<&str>,
) -> Result<Vec<RuleOutcome>> {
    let rules = crate::rules::configured(config)?.into_iter().filter(|r| pick(r)).collect();
    audit_rule_set(config, now, key, from, to, rules, operator)
}

/// Runs `rules` (the school's own, or a federation's sent to its worker) over school-local
/// days `from..=to`, and records the run in the school's trail (CTL-9).
pub fn audit_rule_set(
    config: &Config,
    now: DateTime<Utc>,
    key: &crate::pseudonym::Key,
    from: NaiveDate,
    to: NaiveDate,
    rules: Vec<rules::Rule>,
    operator: Option<&str>,
) -> Result<Vec<RuleOutcome>> {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    let tz = config.timezone;
    let window = rules::engine::Window::local_days(from, to, tz);
    let engine = rules::engine::Engine::new(config, Some(key), window)?;
    let mut out = Vec::new();
    for rule in rules {
        let mut o = RuleOutcome {
            id: rule.id.clone(),
            purpose: rule.purpose.letter(),
            requirements: rule.requirements.clone(),
            findings: 0,
            by_severity: Default::default(),
            by_country: Default::default(),
            rows: Vec::new(),
            refused: None,
        };
        // One bad rule (a school's own, say) is reported and the others still run.
        let batches = match engine.run(&rule) {
            Ok(b) => b,
            Err(e) => {
                o.refused = Some(e.to_string());
                out.push(o);
                continue;
            }
        };
        let opts = FormatOptions::default();
        for b in &batches {
            let schema = b.schema();
            let fmts: Vec<_> = b
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| Error::Bug(e.to_string()))?;
            for i in 0..b.num_rows() {
                o.findings += 1;
                let mut row = serde_json::Map::new();
                for (f, fmt) in schema.fields().iter().zip(&fmts) {
                    // The output gate let only allowed values through; `person` is the one
                    // raw identity it lets pass, and it is pseudonymised in the report only.
                    if f.name() == rules::gate::PERSON || b.column_by_name(f.name()).is_some_and(|c| c.is_null(i)) {
                        continue;
                    }
                    row.insert(f.name().clone(), serde_json::Value::String(fmt.value(i).to_string()));
                }
                if let Some(serde_json::Value::String(s)) = row.get("finding_severity") {
                    *o.by_severity.entry(s.clone()).or_default() += 1;
                }
                if let Some(serde_json::Value::String(c)) = row.get("country") {
                    *o.by_country.entry(c.clone()).or_default() += 1;
                }
                o.rows.push(row);
            }
        }
        out.push(o);
    }
    // CTL-9: running rules over personal data is recorded.
    let mut purposes: Vec<String> = out.iter().map(|r| r.purpose.to_string()).collect();
    purposes.sort();
    purposes.dedup();
    let event = audit_log::Event::AuditRun {
        purposes: purposes.join(","),
        from,
        to,
        findings: out.iter().map(|r| (r.id.clone(), r.findings as u64)).collect(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &audit_log::operator(operator), event)?;
    Ok(out)
}

/// The outcomes as `audit run --json` prints them: a rule with fewer than `k` findings
/// shows `"< k"` and no rows, severities or countries (CTL-2). A federation's worker sends
/// exactly this, so no count under its school's threshold leaves the school.
pub fn suppressed_json(outcome: &[RuleOutcome], k: u64) -> Result<serde_json::Value> {
    let mut json = serde_json::to_value(outcome).map_err(|e| Error::Bug(e.to_string()))?;
    for (r, v) in outcome.iter().zip(json.as_array_mut().into_iter().flatten()) {
        if r.findings > 0 && (r.findings as u64) < k {
            v["findings"] = format!("< {k}").into();
            v["rows"] = serde_json::json!([]);
            v["by_severity"] = serde_json::json!({});
            v["by_country"] = serde_json::json!({});
        }
    }
    Ok(json)
}

fn audit_command(ws: &Workspace, cmd: &AuditCommand) -> Result<u8> {
    let (config, now, operator) = (&ws.config, ws.now(), ws.operator());
    let (args, only, signin_only) = match cmd {
        AuditCommand::Signin(a) => (a, None, true),
        AuditCommand::Run { window, rule } => (window, rule.clone(), false),
    };
    let (from, to) = (args.from, args.to);
    let pick = |r: &rules::Rule| match (&only, signin_only) {
        (_, true) => r.id.starts_with("signin_") || r.id.starts_with("travel_"),
        (Some(id), _) => &r.id == id,
        (None, _) => r.mode == rules::Mode::Automated,
    };
    let outcome = audit_rules(config, now, ws.key()?, from, to, pick, operator)?;
    if let Some(id) = &only
        && outcome.is_empty()
    {
        return Err(Error::Usage(format!("no rule {id:?}; `logwacht rules list` shows them")));
    }
    // CTL-2, as in the report: a rule with fewer than [audit] min_cell findings shows
    // "< k" and no rows, so no run over any window gives away a small count.
    let k = config.min_cell;
    let small = |r: &RuleOutcome| r.findings > 0 && (r.findings as u64) < k;
    if args.json {
        let json = suppressed_json(&outcome, k)?;
        println!("{}", serde_json::to_string_pretty(&json).map_err(|e| Error::Bug(e.to_string()))?);
    } else {
        for r in &outcome {
            if small(r) {
                println!("{} (purpose {}, {}): < {k} findings", r.id, r.purpose, r.requirements.join(", "));
            } else {
                println!("{}", r.summary());
            }
        }
    }
    let refused: Vec<&String> = outcome.iter().filter_map(|r| r.refused.as_ref()).collect();
    for why in &refused {
        eprintln!("logwacht: {why}");
    }
    Ok(if !refused.is_empty() {
        EXIT_ERROR
    } else if outcome.iter().any(|r| r.findings > 0) {
        error::EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// `logwacht audit` without a subcommand: the weekly DPO report.
fn weekly_report(ws: &Workspace, args: &cli::AuditArgs) -> Result<u8> {
    let (config, now, operator) = (&ws.config, ws.now(), ws.operator());
    let (from, to, label) = match (&args.week, &args.from, &args.to) {
        (Some(w), _, _) => {
            let (a, b) = report::iso_week(w)
                .ok_or_else(|| Error::Usage(format!("--week {w:?} is not an ISO week like 2026-W47")))?;
            (a, b, report::week_label(a))
        }
        (None, Some(f), Some(t)) => {
            let (a, b) = (*f, *t);
            if b < a {
                return Err(Error::Usage(format!("--to {b} lies before --from {a}")));
            }
            // CTL-2: reports cover whole ISO weeks, so that two reports over overlapping
            // windows cannot be subtracted to reveal a small count.
            use chrono::Datelike;
            if a.weekday() != chrono::Weekday::Mon || b.weekday() != chrono::Weekday::Sun {
                return Err(Error::Usage(format!(
                    "--from {a} .. --to {b}: a report covers whole ISO weeks (Monday to Sunday), so that no two reports can be subtracted to reveal a count below [audit] min_cell (CTL-2)"
                )));
            }
            (a, b, format!("{a}..{b}"))
        }
        _ => {
            // The last whole ISO week before now, in the school's zone.
            let today = now.with_timezone(&config.timezone).date_naive();
            let monday =
                today - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()) + 7);
            (monday, monday + chrono::Duration::days(6), report::week_label(monday))
        }
    };
    let lang = args.lang.unwrap_or(config.language);
    let req = report::Request {
        from,
        to,
        label,
        lang,
        redraw: args.redraw.clone(),
        out: args.out.clone(),
        cases_waiting: crate::case::waiting(config)?,
    };
    let outcome = report::weekly(config, now, ws.key()?, &req, operator)?;
    let k = outcome.report.k;
    for r in &outcome.report.rules {
        let cell = report::suppress::Cell::of(r.findings, k).text(k);
        let sample = match r.sample.as_ref().and_then(|s| s.interval) {
            Some((lo, hi)) => format!("; estimated {:.1} %-{:.1} %", lo * 100.0, hi * 100.0),
            None => String::new(),
        };
        println!(
            "{} (purpose {}): {cell} {}{sample}",
            r.rule.id,
            r.rule.purpose.letter(),
            if r.rule.purpose == rules::Purpose::F { "rows" } else { "findings" }
        );
    }
    println!("sample seed {} (recorded in the audit trail before the draw)", outcome.report.seed);
    for f in &outcome.files {
        println!("wrote {} (sha256 {})", f.path, &f.sha256[..16]);
    }
    for (id, why) in &outcome.report.refused {
        eprintln!("logwacht: {id} did not run: {why}");
    }
    let any = outcome.report.rules.iter().any(|r| r.rule.purpose != rules::Purpose::F && r.findings > 0);
    Ok(if !outcome.report.refused.is_empty() {
        EXIT_ERROR
    } else if any {
        error::EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}
