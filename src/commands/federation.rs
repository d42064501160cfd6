//! `logwacht federation`: the federation file and the group report (`federation.rs`).
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::cli::FederationCommand;
use crate::error::{EXIT_ERROR, EXIT_OK, Error, Result};
use crate::federation::{self, Federation, Place};
use crate::report::Lang;

fn file(f: Option<PathBuf>) -> PathBuf {
    f.unwrap_or_else(|| PathBuf::from(federation::FILE_NAME))
}

/// Every `federation` subcommand.
pub fn run(cmd: FederationCommand, now: DateTime<Utc>, operator: Option<&str>) -> Result<u8> {
    match cmd {
        FederationCommand::Check { file: f } => check(&file(f)),
        FederationCommand::Report { file: f, week, lang, out } => {
            report(&file(f), &week, lang.unwrap_or(Lang::Nl), out, now, operator)
        }
    }
}

fn check(path: &std::path::Path) -> Result<u8> {
    let fed = Federation::load(path)?;
    // The group's name is the provider's text: shown, never sent raw to the terminal.
    println!("federation {}: {} school(s)", crate::fsio::printable(&fed.name), fed.members.len());
    let mut bad = 0;
    for c in federation::check(&fed) {
        match &c.problem {
            None => println!("  {}: ok (min_cell {})", c.id, c.min_cell.unwrap_or_default()),
            Some(p) => {
                bad += 1;
                println!("  {}: {p}", c.id);
            }
        }
    }
    Ok(if bad == 0 { EXIT_OK } else { EXIT_ERROR })
}

fn report(
    path: &std::path::Path,
    week: &str,
    lang: Lang,
    out: Option<PathBuf>,
    now: DateTime<Utc>,
    operator: Option<&str>,
) -> Result<u8> {
    let fed = Federation::load(path)?;
    let Some((from, to)) = crate::report::iso_week(week) else {
        return Err(Error::Usage(format!("--week {:?} is not an ISO week like 2026-W47", crate::fsio::shown(week))));
    };
    let label = crate::report::week_label(from);
    let mut members = Vec::new();
    let mut findings = Vec::new();
    let mut k = fed.min_cell.unwrap_or(1);
    for m in &fed.members {
        // Each school's own weekly audit, in its own workspace: its key, its trail (as the
        // provider's operator), its report folder.
        let audited = match &m.place {
            Place::Worker(a) => Err(format!("worker {a}: the distributed engine is not built yet (issue 19 part 3)")),
            Place::Workspace(dir) => (|| -> Result<serde_json::Value> {
                let ws = crate::workspace::Workspace::open(
                    Some(&dir.join(crate::config::FILE_NAME)),
                    now,
                    operator,
                    Some("federation report"),
                )?;
                let config = &ws.config;
                k = k.max(config.min_cell);
                let req = crate::report::Request {
                    from,
                    to,
                    label: label.clone(),
                    lang: config.language,
                    redraw: None,
                    out: None,
                    cases_waiting: crate::case::waiting(config)?,
                };
                let outcome = crate::report::weekly(config, now, ws.key()?, &req, ws.operator())?;
                let text = std::fs::read_to_string(outcome.dir.join("findings.json"))
                    .map_err(|e| Error::Bug(format!("the school's findings.json: {e}")))?;
                serde_json::from_str(&text).map_err(|e| Error::Bug(e.to_string()))
            })()
            .map_err(|e| crate::fsio::printable(&e.to_string())),
        };
        match audited {
            Ok(f) => {
                println!("{}: audited", m.id);
                members.push((m.id.clone(), None));
                findings.push(Some(f));
            }
            Err(why) => {
                println!("{}: NOT AUDITED: {why}", m.id);
                members.push((m.id.clone(), Some(why)));
                findings.push(None);
            }
        }
    }
    let group = federation::merge(&fed.name, &label, k, members, &findings, now);
    let dir =
        out.unwrap_or_else(|| path.parent().unwrap_or(std::path::Path::new(".")).join("group-reports").join(&label));
    let json = serde_json::to_string_pretty(&federation::json(&group)).map_err(|e| Error::Bug(e.to_string()))? + "\n";
    let files = crate::audit_log::write_files(
        &dir,
        &[
            ("group-report.html", federation::render(&group, lang, "group.html")?),
            ("group-report.md", federation::render(&group, lang, "group.md")?),
            ("group-report.json", json),
        ],
    )?;
    for f in &files {
        println!("wrote {}", f.path);
    }
    if group.complete() {
        Ok(EXIT_OK)
    } else {
        println!("the group report is INCOMPLETE: not every school was audited");
        Ok(EXIT_ERROR)
    }
}
