//! `logwacht audit`: the weekly DPO report (CTL-1, CTL-2), and `audit run` / `audit signin`.
use crate::cli::{self, AuditArgs, AuditCommand};
use crate::error::{self, EXIT_ERROR, EXIT_OK, Error, Result};
use crate::report;
use crate::report::outcome::{RuleOutcome, audit_rules, suppressed_json};
use crate::rules;
use crate::workspace::Workspace;

/// The weekly report, or the subcommand of `args`.
pub fn run(ws: &Workspace, args: AuditArgs) -> Result<u8> {
    match &args.command {
        Some(cmd) => audit_command(ws, cmd),
        None => weekly_report(ws, &args),
    }
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
