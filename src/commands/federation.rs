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
        FederationCommand::Report { file: f, week, lang, out, timeout } => {
            report(&file(f), &week, lang.unwrap_or(Lang::Nl), out, timeout, now, operator)
        }
        FederationCommand::Audit { file: f, from, to, rule, rules, lang, out, timeout } => {
            audit(&file(f), (from, to), rule.as_deref(), rules.as_deref(), lang.unwrap_or(Lang::Nl), out, timeout, now)
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
            None => match c.min_cell {
                Some(k) => println!("  {}: ok (min_cell {k})", c.id),
                None => println!("  {}: ok (worker reachable, secret readable)", c.id),
            },
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
    timeout: u64,
    now: DateTime<Utc>,
    operator: Option<&str>,
) -> Result<u8> {
    let fed = Federation::load(path)?;
    let Some((from, to)) = crate::report::iso_week(week) else {
        return Err(Error::Usage(format!("--week {:?} is not an ISO week like 2026-W47", crate::fsio::shown(week))));
    };
    let label = crate::report::week_label(from);
    // The schools on workers: the weekly audit's rules, each planned once and run on every
    // school's own worker (as `federation audit` runs them), before the workspaces.
    let on_workers: Vec<&federation::Member> =
        fed.members.iter().filter(|m| matches!(m.place, Place::Worker(_))).collect();
    // A worker member whose secret cannot be read is not audited; the others go on.
    let tls = client_tls(&fed)?;
    let mut unusable = std::collections::BTreeMap::new();
    let mut targets = Vec::new();
    for m in on_workers {
        match worker_target(m, &tls) {
            Ok(t) => targets.push(t),
            Err(e) => {
                unusable.insert(m.id.clone(), crate::fsio::printable(&e.to_string()));
            }
        }
    }
    let remote = if targets.is_empty() {
        crate::federation::coordinator::FederatedAudit::default()
    } else {
        // The rules a school's weekly audit counts: the automated and the sampled ones.
        let rules: Vec<_> = crate::rules::with_texts(None)?.into_iter().filter(|(r, _)| r.mode.is_audited()).collect();
        crate::federation::coordinator::audit(
            targets,
            &rules,
            &crate::federation::coordinator::Ask {
                from,
                to,
                group: fed.name.clone(),
                weekly: true,
                timeout: std::time::Duration::from_secs(timeout.max(1)),
            },
            |_, _, _| {},
        )
        .map_err(Error::Bug)?
    };
    let mut members = Vec::new();
    let mut findings = Vec::new();
    let mut k = fed.min_cell.unwrap_or(1);
    for m in &fed.members {
        // Each school's own weekly audit where its data is: in its own workspace (its key,
        // its trail as the provider's operator, its report folder), or on its own worker
        // (its key, its trail; the worker writes no report: the school's DPO has its own).
        let audited = match &m.place {
            Place::Worker(_) => match (unusable.get(&m.id), remote.failed.get(&m.id), remote.outcomes.get(&m.id)) {
                (Some(why), _, _) => Err(why.clone()),
                (None, Some((rule, why)), _) => Err(format!("from rule {rule} on: {why}")),
                (None, None, None) => Err("no answer for its school".to_string()),
                (None, None, Some(o)) => {
                    k = k.max(remote.min_cells.get(&m.id).copied().unwrap_or(1));
                    Ok(ran(o))
                }
            },
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

/// `federation audit`: the rules across the member schools' workers.
#[allow(clippy::too_many_arguments)]
fn audit(
    path: &std::path::Path,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    only: Option<&str>,
    rules_dir: Option<&std::path::Path>,
    lang: Lang,
    out: Option<PathBuf>,
    timeout: u64,
    now: DateTime<Utc>,
) -> Result<u8> {
    use crate::federation::coordinator;
    if to < from {
        return Err(Error::Usage(format!("--to {to} lies before --from {from}")));
    }
    let fed = Federation::load(path)?;
    let members: Vec<&federation::Member> = fed.members.iter().collect();
    let targets = worker_targets(&fed, &members)?;
    let rules = rule_set(only, rules_dir)?;
    let ids: Vec<String> = fed.members.iter().map(|m| m.id.clone()).collect();
    let dir = out.unwrap_or_else(|| {
        path.parent().unwrap_or(std::path::Path::new(".")).join("federation-audits").join(format!("{from}_{to}"))
    });
    // Each school's outcomes go to its file as each rule's answers come in.
    let mut parts = Parts::new(&dir)?;
    let result = coordinator::audit(
        targets,
        &rules,
        &coordinator::Ask {
            from,
            to,
            group: fed.name.clone(),
            weekly: false,
            timeout: std::time::Duration::from_secs(timeout.max(1)),
        },
        |rule, got, failed| {
            let cells: Vec<String> = ids
                .iter()
                .map(|id| match (got.get(id), failed.get(id)) {
                    (Some((v, _)), _) if v.get("refused").is_some_and(|r| !r.is_null()) => format!("{id} refused"),
                    (Some((v, _)), _) => format!("{id} {}", v["findings"]),
                    (None, _) => format!("{id} NOT RUN"),
                })
                .collect();
            println!("{rule}: {}", cells.join(", ").replace('"', ""));
            for (school, (v, _)) in got {
                parts.push(school, v);
            }
        },
    );
    let result = match result {
        Ok(r) => r,
        Err(e) => {
            parts.abandon();
            return Err(Error::Bug(e));
        }
    };
    for f in parts.finish()? {
        println!("wrote {}", f.display());
    }
    let pretty = |v: &serde_json::Value| {
        serde_json::to_string_pretty(v).map(|s| s + "\n").map_err(|e| Error::Bug(e.to_string()))
    };
    let mut files = Vec::new();
    let refused: Vec<(String, String)> = result
        .outcomes
        .iter()
        .flat_map(|(s, os)| {
            // A school's outcomes are in the order of the rules it ran: the rule's id is
            // ours, not the worker's text.
            os.iter()
                .zip(&result.rules)
                .filter(|(o, _)| o.get("refused").is_some_and(|r| !r.is_null()))
                .map(move |(_, id)| (s.clone(), id.clone()))
        })
        .collect();
    let summary = serde_json::json!({
        "federation": fed.name,
        "from": from,
        "to": to,
        "complete": result.complete(),
        "rules": result.rules,
        "schools": ids.iter().map(|id| {
            let failed = result.failed.get(id);
            serde_json::json!({
                "id": id,
                "status": if failed.is_some() { "incomplete" } else { "complete" },
                "first_rule_missed": failed.map(|f| f.0.clone()),
                "reason": failed.map(|f| f.1.clone()),
                "rules_run": result.outcomes.get(id).map_or(0, Vec::len),
            })
        }).collect::<Vec<_>>(),
    });
    files.push(("federation-audit.json".to_string(), pretty(&summary)?));
    // The group report of the same counts: each school's (already under its own threshold),
    // suppressed again at the group's, totals withheld where a cell is small; a refused
    // rule is a cell not run, a school that did not finish is not audited.
    let k = result.min_cells.values().copied().chain(fed.min_cell).max().unwrap_or(1);
    let members: Vec<(String, Option<String>)> =
        ids.iter().map(|id| (id.clone(), result.failed.get(id).map(|f| f.1.clone()))).collect();
    let findings: Vec<Option<serde_json::Value>> = ids
        .iter()
        .map(|id| match (result.failed.get(id), result.outcomes.get(id)) {
            (None, Some(o)) => Some(ran(o)),
            _ => None,
        })
        .collect();
    let group = federation::merge(&fed.name, &format!("{from}..{to}"), k, members, &findings, now);
    files.push(("group-report.json".to_string(), pretty(&federation::json(&group))?));
    files.push(("group-report.md".to_string(), federation::render(&group, lang, "group.md")?));
    files.push(("group-report.html".to_string(), federation::render(&group, lang, "group.html")?));
    let named: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    for f in crate::audit_log::write_files(&dir, &named)? {
        println!("wrote {}", f.path);
    }
    for (s, r) in &refused {
        eprintln!("logwacht: school {s} refused rule {r} (its trail says why)");
    }
    if !result.complete() {
        // The group report is written too, marked INCOMPLETE (never as if complete).
        for (id, (rule, why)) in &result.failed {
            println!("school {id}: NOT AUDITED from rule {rule} on: {why}");
        }
        println!("the federated audit is INCOMPLETE: not every school ran every rule");
        return Ok(EXIT_ERROR);
    }
    Ok(if !refused.is_empty() {
        EXIT_ERROR
    } else if result
        .outcomes
        .values()
        .flatten()
        .any(|o| o["findings"].as_u64().is_some_and(|n| n > 0) || o["findings"].is_string())
    {
        crate::error::EXIT_FINDINGS
    } else {
        EXIT_OK
    })
}

/// The coordinator's targets: every given member a worker with the provider's copy of its
/// secret (and the federation's certificates, when it names them).
fn worker_targets(
    fed: &Federation,
    members: &[&federation::Member],
) -> Result<Vec<crate::federation::coordinator::Target>> {
    let tls = client_tls(fed)?;
    members.iter().map(|m| worker_target(m, &tls)).collect()
}

/// The federation's client certificates, when it names them.
fn client_tls(fed: &Federation) -> Result<Option<tonic::transport::ClientTlsConfig>> {
    match &fed.tls {
        Some(files) => Ok(Some(crate::federation::coordinator::client_tls(files).map_err(Error::Usage)?)),
        None => Ok(None),
    }
}

/// One worker member as the coordinator's target.
fn worker_target(
    m: &federation::Member,
    tls: &Option<tonic::transport::ClientTlsConfig>,
) -> Result<crate::federation::coordinator::Target> {
    let (Place::Worker(addr), Some(secret_file)) = (&m.place, &m.secret_file) else {
        return Err(Error::Usage(format!(
            "school {}: federation audit runs on the schools' workers; give it worker = \"host:port\" and secret_file (federation report also takes workspaces)",
            m.id
        )));
    };
    let secret = crate::federation::worker::read_secret(secret_file)?;
    let mut target = crate::federation::coordinator::Target::new(&m.id, addr, &secret).map_err(Error::Usage)?;
    target.tls = tls.clone();
    Ok(target)
}

/// The rules a federated run sends: `only` that one, or every automated rule, from the
/// provider's folder or the built-in ones; with each file's text.
fn rule_set(only: Option<&str>, rules_dir: Option<&std::path::Path>) -> Result<Vec<(crate::rules::Rule, String)>> {
    let rules: Vec<_> = crate::rules::with_texts(rules_dir)?
        .into_iter()
        .filter(|(r, _)| match only {
            Some(id) => r.id == id,
            None => r.mode == crate::rules::Mode::Automated,
        })
        .collect();
    if let Some(id) = only
        && rules.is_empty()
    {
        return Err(Error::Usage(format!("no rule {}; `logwacht rules list` shows them", crate::fsio::shown(id))));
    }
    Ok(rules)
}

/// A worker school's outcomes as the group report reads a `findings.json`: the rules it
/// ran (a refused rule is a cell not run).
fn ran(outcomes: &[serde_json::Value]) -> serde_json::Value {
    serde_json::json!({
        "rules": outcomes.iter().filter(|r| r.get("refused").is_none_or(serde_json::Value::is_null)).collect::<Vec<_>>()
    })
}

/// Per school, `<id>.json` (the array `audit run --json` prints) written one outcome at a
/// time: a `.<id>.json.part` beside it, renamed when the run is over.
struct Parts {
    dir: PathBuf,
    open: std::collections::BTreeMap<String, std::io::BufWriter<std::fs::File>>,
    error: Option<std::io::Error>,
}

impl Parts {
    fn new(dir: &std::path::Path) -> Result<Parts> {
        std::fs::create_dir_all(dir)
            .map_err(|source| Error::Config(crate::error::ConfigError::Create { path: dir.to_path_buf(), source }))?;
        Ok(Parts { dir: dir.to_path_buf(), open: Default::default(), error: None })
    }

    fn part(dir: &std::path::Path, id: &str) -> PathBuf {
        dir.join(format!(".{id}.json.part"))
    }

    /// Appends one outcome to the school's file (the first error is kept for `finish`).
    fn push(&mut self, id: &str, outcome: &serde_json::Value) {
        use std::io::Write;
        if self.error.is_some() {
            return;
        }
        let first = !self.open.contains_key(id);
        let r = (|| -> std::io::Result<()> {
            if first {
                let f = std::fs::File::create(Parts::part(&self.dir, id))?;
                self.open.insert(id.to_string(), std::io::BufWriter::new(f));
            }
            let w = self.open.get_mut(id).ok_or_else(|| std::io::Error::other("no file"))?;
            let text = serde_json::to_string_pretty(outcome).map_err(std::io::Error::other)?;
            w.write_all(if first { b"[\n" } else { b",\n" })?;
            for (i, line) in text.lines().enumerate() {
                if i > 0 {
                    w.write_all(b"\n")?;
                }
                w.write_all(b"  ")?;
                w.write_all(line.as_bytes())?;
            }
            Ok(())
        })();
        if let Err(e) = r {
            self.error = Some(e);
        }
    }

    /// Removes the parts of a run that did not finish.
    fn abandon(self) {
        for id in self.open.keys() {
            let _ = std::fs::remove_file(Parts::part(&self.dir, id));
        }
    }

    /// Closes every school's array, syncs and renames it into place.
    fn finish(self) -> Result<Vec<PathBuf>> {
        use std::io::Write;
        let io = |p: PathBuf| {
            move |source: std::io::Error| Error::Config(crate::error::ConfigError::Create { path: p, source })
        };
        if let Some(e) = self.error {
            return Err(io(self.dir.clone())(e));
        }
        let mut done = Vec::new();
        for (id, mut w) in self.open {
            let part = Parts::part(&self.dir, &id);
            let path = self.dir.join(format!("{id}.json"));
            w.write_all(b"\n]\n").map_err(io(part.clone()))?;
            let f = w.into_inner().map_err(|e| io(part.clone())(e.into_error()))?;
            f.sync_all().map_err(io(part.clone()))?;
            std::fs::rename(&part, &path).map_err(io(path.clone()))?;
            done.push(path);
        }
        Ok(done)
    }
}
