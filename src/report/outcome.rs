//! What rules found over a window, as the DPO may see it (`audit run`, the demo, and a
//! federation's worker): per rule the count, severities and countries, and the rows the
//! output gate let through, without `person`; the run recorded in the school's trail.
use chrono::{DateTime, NaiveDate, Utc};

use crate::audit_log;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::rules;

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
    /// A rule's outcome before it runs: no findings, not refused.
    pub fn of(rule: &rules::Rule) -> RuleOutcome {
        RuleOutcome {
            id: rule.id.clone(),
            purpose: rule.purpose.letter(),
            requirements: rule.requirements.clone(),
            findings: 0,
            by_severity: Default::default(),
            by_country: Default::default(),
            rows: Vec::new(),
            refused: None,
        }
    }

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
        let mut o = RuleOutcome::of(&rule);
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
    record_run(config, now, operator, (from, to), &out)?;
    Ok(out)
}

/// CTL-9: running rules over personal data is recorded in the school's trail, with each
/// rule's count.
pub fn record_run(
    config: &Config,
    now: DateTime<Utc>,
    operator: Option<&str>,
    (from, to): (NaiveDate, NaiveDate),
    out: &[RuleOutcome],
) -> Result<()> {
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
    Ok(())
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
