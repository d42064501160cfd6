//! logwacht audits a school's sign-in, email and web logs the way its ICT protocol
//! demands, and no further (`docs/policy.md`).
//!
//! ```text
//!  Entra sign-ins ─┐                         ┌─> rules (DataFusion SQL, purpose-checked)
//!  Exchange/Postfix ┼─ ingest ─> RecordBatch ─> store (Parquet, date=YYYY-MM-DD)
//!  Squid/Apache ───┘   (parsers)              ├─> purge (RET-1, holds, receipts)
//!                                             └─> reports (pseudonyms, samples)
//! ```
//! Stages exchange Arrow `RecordBatch`es and plain outcome structs (`IngestStats`, ...);
//! only [`run`] wires them together.
pub mod audit_log;
pub mod case;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crash;
pub mod demo;
pub mod enrich;
pub mod error;
pub mod fsio;
pub mod generate;
pub mod ingest;
pub mod progress;
pub mod report;
pub mod rules;
pub mod schema;
pub mod store;

use std::path::Path;

use chrono::{DateTime, NaiveDate};
use cli::{AuditCommand, Cli, Command, HoldCommand, RulesCommand};
use clock::Clock;
use config::Config;
use error::{EXIT_ERROR, EXIT_OK};
pub use error::{Error, Result};
use ingest::sink::Window;
use schema::Source;
use store::Store;
use store::ledger::Ledger;
use store::lock::StoreLock;

/// Runs one command and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let clock = Clock::from_flag(cli.now.as_deref())?;
    // A command that leaves a line in the trail holds the trail's lock from here to its
    // end (CTL-9: no action without its line). Without a workspace the command itself
    // reports that, as before.
    let _trail = match trail_writer(&cli.command) {
        Some(name) => match Config::find(cli.config.as_deref()) {
            Ok(config) => Some(config.audit_log().hold(name)?),
            Err(_) => None,
        },
        None => None,
    };
    match cli.command {
        Command::Init(args) => {
            let now = clock.now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let path = config::init(&args.dir, Some(&args.mail_domains), &now)?;
            println!("created {}", path.display());
            println!(
                "next: put people.csv and travel_exceptions.csv in the reference folder, then `logwacht ingest FILE|DIR...`"
            );
            Ok(EXIT_OK)
        }
        Command::Ingest(args) => {
            let config = Config::find(cli.config.as_deref())?;
            let source = match args.source.as_deref() {
                None => None,
                Some(s) => Some(
                    Source::parse(s)
                        .ok_or_else(|| Error::Usage(format!("--source {s:?} is not one of signin, email, web")))?,
                ),
            };
            let format = match args.format.as_deref() {
                None => None,
                Some(f) => Some(ingest::Format::parse(f).ok_or_else(|| {
                    Error::Usage(format!("--format {f:?} is not one of {}", ingest::Format::all_names()))
                })?),
            };
            let opts = ingest::IngestOptions { source, format, year: args.year, progress: !args.json };
            let stats = ingest_paths(&config, &clock, &args.paths, &opts, cli.operator.as_deref())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&stats).map_err(|e| Error::Bug(e.to_string()))?);
            } else {
                print!("{}", fsio::printable(&render_ingest(&stats)));
            }
            Ok(if stats.failed() > 0 { EXIT_ERROR } else { EXIT_OK })
        }
        Command::Generate(args) => {
            let start = match args.start.as_deref() {
                Some(s) => Some(
                    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| Error::Usage(format!("--start {s:?} is not a date YYYY-MM-DD")))?,
                ),
                None => None,
            };
            let spec = generate::Spec {
                people: args.people,
                days: args.days,
                seed: args.seed,
                start,
                ..generate::Spec::default()
            };
            let stats = generate::write(&args.out, &spec, clock.now())?;
            print!("{}", stats.render());
            Ok(EXIT_OK)
        }
        Command::Demo(args) => demo::run(&args, &clock),
        Command::Purge(args) => {
            let config = Config::find(cli.config.as_deref())?;
            let receipt = purge(&config, &clock, args.dry_run, cli.operator.as_deref())?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&receipt).map_err(|e| Error::Bug(e.to_string()))?);
            } else {
                print!("{}", render_receipt(&receipt));
            }
            Ok(EXIT_OK)
        }
        Command::Hold(cmd) => hold(cmd, cli.config.as_deref(), &clock, cli.operator.as_deref()),
        Command::Rules(RulesCommand::List) => {
            let config = Config::find(cli.config.as_deref())?;
            println!("{:<36} {:<8} {:<18} {:<8} {:<10} summary", "rule", "purpose", "requirement", "severity", "mode");
            for r in config.rules()? {
                println!(
                    "{:<36} {:<8} {:<18} {:<8} {:<10} {}",
                    r.id,
                    r.purpose.letter(),
                    r.requirements.join(", "),
                    fsio::printable(&r.severity),
                    r.mode,
                    fsio::printable(&r.summary_en)
                );
            }
            Ok(EXIT_OK)
        }
        Command::Rules(RulesCommand::Check { dir }) => {
            let rules = match dir {
                Some(d) => rules::load_dir(&d)?,
                None => Config::find(cli.config.as_deref())?.rules()?,
            };
            println!("{} rules, every header valid", rules.len());
            Ok(EXIT_OK)
        }
        Command::Audit(args) => {
            let config = Config::find(cli.config.as_deref())?;
            match &args.command {
                Some(cmd) => audit_command(&config, &clock, cmd, cli.operator.as_deref()),
                None => weekly_report(&config, &clock, &args, cli.operator.as_deref()),
            }
        }
        Command::Case(cmd) => {
            let config = Config::find(cli.config.as_deref())?;
            case_command(&config, &clock, cmd, cli.operator.as_deref())
        }
        Command::Key(cli::KeyCommand::Rotate) => {
            let config = Config::find(cli.config.as_deref())?;
            let now = clock.now();
            let period =
                report::pseudonym::rotate(&config.key_path(), &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))?;
            let mut e = audit_log::entry(now, "key rotate", &audit_log::operator(cli.operator.as_deref()), "privacy");
            e.scope = serde_json::json!({ "key_period": period });
            config.audit_log().append(e)?;
            println!("started pseudonym key period {period}: pseudonyms from now on cannot be linked to earlier ones");
            Ok(EXIT_OK)
        }
        Command::Store(cli::StoreCommand::RebuildLedger) => {
            let config = Config::find(cli.config.as_deref())?;
            let now = clock.now();
            let store = Store::new(&config.store_dir);
            store.create()?;
            let _lock = StoreLock::acquire(store.root(), "store rebuild-ledger", now)?;
            let mut ledger = Ledger::load(&store.ledger_path())?;
            ingest::clear_interrupted(&store, &ledger)?;
            let unknown = ingest::unknown_files(&store, &ledger)?;
            let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let entries = store::ledger::rebuild(&store, &mut ledger, &unknown, &stamp)?;
            let mut e = audit_log::entry(
                now,
                "store rebuild-ledger",
                &audit_log::operator(cli.operator.as_deref()),
                "retention",
            );
            e.details = serde_json::json!({
                "lines_written": entries.len(),
                "files": unknown.len(),
                "rows": entries.iter().map(|e| e.stored).sum::<u64>(),
            });
            config.audit_log().append(e)?;
            println!(
                "{}: {} line(s) written for {} file(s) the ledger did not know; nothing removed",
                store.ledger_path().display(),
                entries.len(),
                unknown.len()
            );
            Ok(EXIT_OK)
        }
        Command::VerifyLog(args) => {
            let config = Config::find(cli.config.as_deref())?;
            let log = config.audit_log();
            let v = log.verify()?;
            let anchors = trail_anchors(&config, &args.expect)?;
            let problems = log.check_anchors(&anchors)?;
            match &v.broken {
                None => println!(
                    "{}: {} lines, chain intact; head {}; {} anchor(s) checked",
                    log.path().display(),
                    v.lines,
                    v.head,
                    anchors.len()
                ),
                Some((line, why)) => println!("{}: line {line} is broken: {why}", log.path().display()),
            }
            for p in &problems {
                println!("  {}", fsio::printable(p));
            }
            Ok(if v.broken.is_none() && problems.is_empty() { EXIT_OK } else { EXIT_ERROR })
        }
    }
}

/// The name of a command that appends to the workspace's trail, for the lock's note; none
/// for those that only read it (`verify-log`, `rules list`, `hold list`) or have no
/// workspace yet (`init`, `generate`, `demo`, which makes its own).
fn trail_writer(command: &Command) -> Option<&'static str> {
    match command {
        Command::Ingest(_) => Some("ingest"),
        Command::Purge(_) => Some("purge"),
        Command::Hold(HoldCommand::List) => None,
        Command::Hold(_) => Some("hold"),
        Command::Audit(_) => Some("audit"),
        Command::Case(_) => Some("case"),
        Command::Key(_) => Some("key"),
        Command::Store(_) => Some("store"),
        Command::Rules(_) | Command::Init(_) | Command::VerifyLog(_) | Command::Generate(_) | Command::Demo(_) => None,
    }
}

/// The anchors `verify-log` holds the trail against: `--expect` values (`LINES:HASH` or
/// `HASH`), and the head every weekly report recorded (in `reports_dir` and wherever the
/// trail says `audit` wrote one).
fn trail_anchors(config: &Config, expect: &[String]) -> Result<Vec<audit_log::Anchor>> {
    let mut anchors = Vec::new();
    for e in expect {
        let (lines, head) = match e.split_once(':') {
            Some((n, h)) => (
                Some(
                    n.parse::<usize>()
                        .map_err(|_| Error::Usage(format!("--expect {e:?}: {n:?} is not a line count")))?,
                ),
                h,
            ),
            None => (None, e.as_str()),
        };
        if head.len() != 64 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Usage(format!("--expect {e:?}: a head is 64 hex digits, as verify-log prints it")));
        }
        anchors.push(audit_log::Anchor { source: "--expect".into(), lines, head: head.to_ascii_lowercase() });
    }
    let mut files: std::collections::BTreeSet<std::path::PathBuf> = std::collections::BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(&config.reports_dir) {
        files.extend(entries.flatten().map(|e| e.path().join("findings.json")));
    }
    // Every case's screening records the trail's head too.
    if let Ok(entries) = std::fs::read_dir(&config.cases_dir) {
        files.extend(entries.flatten().map(|e| e.path().join("screen.json")));
    }
    for e in config.audit_log().entries()?.into_iter().filter(|e| e.command == "audit") {
        files.extend(
            e.files_written
                .iter()
                .filter(|f| f.path.ends_with("findings.json"))
                .map(|f| config.workspace().join(&f.path)),
        );
    }
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        if let Some(head) = v["audit_log_head"].as_str() {
            let what = match v["case"].as_str() {
                Some(case) => format!("case {case}"),
                None => format!("report {}", v["label"].as_str().unwrap_or("?")),
            };
            anchors.push(audit_log::Anchor {
                source: what,
                lines: v["audit_log_lines"].as_u64().map(|n| n as usize),
                head: head.to_string(),
            });
        }
    }
    Ok(anchors)
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

/// RET-4 (003 art. 11.5): reports and case files are personal data too and expire.
///
/// A report goes when its week ends before the retention window. What counts as a report
/// is what the trail says `audit` wrote (path and SHA-256 of each file, wherever `--out`
/// put it): a file is removed only while it still holds the bytes logwacht wrote, and its
/// folder only once empty, so nothing logwacht did not write is ever removed. A case's
/// folder and registry entry go when the case was closed and its subject told more than
/// the retention window ago, and no hold of the case is still active; the folder must be a
/// real folder directly inside `cases/` named by a valid id (`fsio::remove_owned_dir`).
fn expire_outputs(
    config: &Config,
    now: DateTime<chrono::Utc>,
    dry_run: bool,
    holds: &store::hold::Holds,
    mut cases: case::Cases,
    receipt: &mut store::retention::PurgeReceipt,
) -> Result<()> {
    let tz = config.timezone;
    let window_start = config.retention().first_day(now, tz);
    let mut seen = std::collections::BTreeSet::new();
    for entry in config.audit_log().entries()? {
        let to = entry.scope["to"].as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        if entry.command != "audit" || to.is_none_or(|to| to >= window_start) {
            continue;
        }
        let label = entry.scope["week"].as_str().unwrap_or("").to_string();
        let mut removed = false;
        for f in &entry.files_written {
            // Paths are absolute since `audit` resolves its folder; older entries were
            // written relative to the workspace.
            let path = &config.workspace().join(&f.path);
            let ours = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
                && audit_log::file_sha256(path).is_ok_and(|(sha, _)| sha == f.sha256);
            if !ours {
                continue;
            }
            removed = true;
            if !dry_run {
                std::fs::remove_file(path).map_err(error::StoreError::io("remove", path))?;
                // The folder goes with its last file; a folder with anything else in it stays.
                if let Some(dir) = path.parent() {
                    let _ = std::fs::remove_dir(dir);
                }
            }
        }
        if removed && seen.insert(label.clone()) {
            receipt.reports_removed.push(label);
        }
    }
    let mut gone = Vec::new();
    // A case whose window ended so long ago that no hold can keep its data any more goes
    // whatever its state (open, or closed with the letter never recorded): its files would
    // otherwise outlive everything they were drawn from.
    let stale_before = window_start - chrono::Duration::days(i64::from(config.max_hold_days));
    let mut stale = Vec::new();
    for c in &cases.cases {
        let told = c.notified_at.as_deref().and_then(clock::parse_instant);
        let held = holds.holds.iter().any(|h| h.case == c.id && h.active(now, tz));
        let is_stale = c.to < stale_before && !held;
        if (told.is_some_and(|t| t.with_timezone(&tz).date_naive() < window_start) && !held) || is_stale {
            let dir = case::case_dir(config, &c.id);
            if !dry_run && std::fs::symlink_metadata(&dir).is_ok() {
                fsio::remove_owned_dir(&config.cases_dir, &dir)?;
            }
            if told.is_none() {
                stale.push(c.id.clone());
            }
            gone.push(c.id.clone());
        }
    }
    if !gone.is_empty() && !dry_run {
        cases.cases.retain(|c| !gone.contains(&c.id));
        cases.save()?;
    }
    receipt.stale_cases_removed = stale;
    receipt.case_files_removed = gone;
    // Holds that ended (released, or past their last day) before the window: their subject
    // and reason go from the registry; the trail keeps the case id and dates.
    let ended_before = |h: &store::hold::Hold| {
        let end = h
            .released_at
            .as_deref()
            .and_then(clock::parse_instant)
            .map(|t| t.with_timezone(&tz).date_naive())
            .unwrap_or(h.until)
            .min(h.until);
        !h.active(now, tz) && end < window_start
    };
    let forgotten: Vec<String> = holds.holds.iter().filter(|h| ended_before(h)).map(|h| h.case.clone()).collect();
    if !forgotten.is_empty() && !dry_run {
        let mut kept = holds.clone();
        kept.holds.retain(|h| !ended_before(h));
        kept.save()?;
    }
    receipt.holds_forgotten = forgotten;
    Ok(())
}

/// Runs the configured rules that `pick` selects over school-local days `from..=to`.
pub fn audit_rules(
    config: &Config,
    clock: &Clock,
    from: NaiveDate,
    to: NaiveDate,
    pick: impl Fn(&rules::Rule) -> bool,
    operator: Option<&str>,
) -> Result<Vec<RuleOutcome>> {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    let tz = config.timezone;
    let window = rules::engine::Window::local_days(from, to, tz);
    let engine = rules::engine::Engine::new(config, window)?;
    let mut out = Vec::new();
    for rule in config.rules()?.into_iter().filter(|r| pick(r)) {
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
    let mut e = audit_log::entry(clock.now(), "audit", &audit_log::operator(operator), &purposes.join(","));
    e.scope = serde_json::json!({ "from": from, "to": to, "rules": out.iter().map(|r| &r.id).collect::<Vec<_>>() });
    e.details = serde_json::json!({ "findings": out.iter().map(|r| (r.id.clone(), r.findings)).collect::<std::collections::BTreeMap<_, _>>() });
    config.audit_log().append(e)?;
    Ok(out)
}

fn case_command(config: &Config, clock: &Clock, cmd: cli::CaseCommand, operator: Option<&str>) -> Result<u8> {
    use cli::CaseCommand as C;
    let probe = |p: &cli::CaseProbe| case::Probe { subject: p.subject.clone(), from: p.from.clone(), to: p.to.clone() };
    match cmd {
        C::Open { id, subject, suspicion, purpose, from, to, approved_by, hold } => {
            let req = case::OpenRequest { id, subject, suspicion, purpose, from, to, approved_by, hold };
            let c = case::open(config, clock, &req, operator)?;
            println!(
                "opened case {} (purpose {}, {} .. {}){}; next: logwacht case screen --case {}",
                c.id,
                c.purpose,
                c.from,
                c.to,
                if c.hold { ", retention hold placed for exactly this scope" } else { "" },
                c.id
            );
        }
        C::Screen(p) => {
            let (s, files) = case::screen(config, clock, &p.id, &probe(&p), operator)?;
            for (src, how) in &s.sources {
                println!("{src}: {how}");
            }
            for (what, n) in &s.left_alone {
                println!("left alone: {n} {what}");
            }
            println!("protected messages (counted only): {}", s.protected_messages);
            println!("remainder: {} items", s.remainder.len());
            for f in files {
                println!("wrote {}", f.path);
            }
        }
        C::Report(p) => {
            for f in case::report(config, clock, &p.id, &probe(&p), operator)? {
                println!("wrote {}", f.path);
            }
        }
        C::Close { id, outcome } => {
            let (c, files) = case::close(config, clock, &id, &outcome, operator)?;
            println!(
                "closed case {}; the letter to the subject is due by {}",
                c.id,
                c.letter_due.map(|d| d.to_string()).unwrap_or_default()
            );
            for f in files {
                println!("wrote {}", f.path);
            }
        }
        C::Notified { id } => {
            let c = case::notified(config, clock, &id, operator)?;
            println!("case {}: the subject has been told", c.id);
        }
        C::List => {
            let cases = case::Cases::load(&case::Cases::path(config))?;
            let key = report::pseudonym::load(&config.key_path())?;
            for c in &cases.cases {
                let state = match (&c.closed_at, &c.notified_at) {
                    (None, _) => "open".to_string(),
                    (Some(_), None) => {
                        format!("closed, letter due {}", c.letter_due.map(|d| d.to_string()).unwrap_or_default())
                    }
                    (Some(_), Some(n)) => format!("closed, told {}", &n[..10.min(n.len())]),
                };
                println!(
                    "{} subject {} purpose {} {} .. {}: {state}",
                    c.id,
                    key.pseudonym(&c.subject),
                    c.purpose,
                    c.from,
                    c.to
                );
            }
            if cases.cases.is_empty() {
                println!("no cases");
            }
        }
    }
    Ok(EXIT_OK)
}

fn audit_command(config: &Config, clock: &Clock, cmd: &AuditCommand, operator: Option<&str>) -> Result<u8> {
    let (args, only, signin_only) = match cmd {
        AuditCommand::Signin(a) => (a, None, true),
        AuditCommand::Run { window, rule } => (window, rule.clone(), false),
    };
    let (from, to) = (date_flag("from", &args.from)?, date_flag("to", &args.to)?);
    let pick = |r: &rules::Rule| match (&only, signin_only) {
        (_, true) => r.id.starts_with("signin_") || r.id.starts_with("travel_"),
        (Some(id), _) => &r.id == id,
        (None, _) => r.mode == "automated",
    };
    let outcome = audit_rules(config, clock, from, to, pick, operator)?;
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
        let mut json = serde_json::to_value(&outcome).map_err(|e| Error::Bug(e.to_string()))?;
        for (r, v) in outcome.iter().zip(json.as_array_mut().into_iter().flatten()) {
            if small(r) {
                v["findings"] = format!("< {k}").into();
                v["rows"] = serde_json::json!([]);
                v["by_severity"] = serde_json::json!({});
                v["by_country"] = serde_json::json!({});
            }
        }
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
fn weekly_report(config: &Config, clock: &Clock, args: &cli::AuditArgs, operator: Option<&str>) -> Result<u8> {
    let (from, to, label) = match (&args.week, &args.from, &args.to) {
        (Some(w), _, _) => {
            let (a, b) = report::iso_week(w)
                .ok_or_else(|| Error::Usage(format!("--week {w:?} is not an ISO week like 2026-W47")))?;
            (a, b, report::week_label(a))
        }
        (None, Some(f), Some(t)) => {
            let (a, b) = (date_flag("from", f)?, date_flag("to", t)?);
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
            let today = clock.now().with_timezone(&config.timezone).date_naive();
            let monday =
                today - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()) + 7);
            (monday, monday + chrono::Duration::days(6), report::week_label(monday))
        }
    };
    let lang = match &args.lang {
        Some(l) => report::Lang::parse(l).ok_or_else(|| Error::Usage(format!("--lang {l:?}; use nl or en")))?,
        None => config.language,
    };
    let req = report::Request { from, to, label, lang, redraw: args.redraw.clone(), out: args.out.clone() };
    let outcome = report::weekly(config, clock, &req, operator)?;
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

fn date_flag(name: &str, v: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| Error::Usage(format!("--{name} {v:?} is not a date YYYY-MM-DD")))
}

fn hold(cmd: HoldCommand, config: Option<&Path>, clock: &Clock, operator: Option<&str>) -> Result<u8> {
    let config = Config::find(config)?;
    let now = clock.now();
    let tz = config.timezone;
    let store = Store::new(&config.store_dir);
    let trail = config.audit_log();
    let who = audit_log::operator(operator);
    match cmd {
        HoldCommand::List => {
            let holds = store::hold::Holds::load(&config.holds_path())?;
            println!(
                "{:<16} {:<8} {:<18} {:<23} {:<10} {:>10}",
                "case", "state", "sources", "events", "until", "held rows"
            );
            for h in &holds.holds {
                let state = if h.released_at.is_some() {
                    "released"
                } else if h.active(now, tz) {
                    "active"
                } else {
                    "ended"
                };
                let sources: Vec<&str> = h.sources.iter().map(|s| s.name()).collect();
                println!(
                    "{:<16} {:<8} {:<18} {:<23} {:<10} {:>10}",
                    h.case,
                    state,
                    sources.join(","),
                    format!("{}..{}", h.from, h.to),
                    h.until,
                    store::retention::held_rows(&store, &h.case)
                );
            }
            Ok(EXIT_OK)
        }
        HoldCommand::Add(a) => {
            let mut sources = Vec::new();
            for s in &a.sources {
                sources.push(
                    Source::parse(s.trim())
                        .ok_or_else(|| Error::Usage(format!("--sources has {s:?}; use signin, email, web")))?,
                );
            }
            let req = store::hold::HoldRequest {
                case: a.case.clone(),
                subject: a.subject.clone(),
                message_ids: a.message_ids.clone(),
                sources,
                from: date_flag("from", &a.from)?,
                to: date_flag("to", &a.to)?,
                reason: a.reason.clone(),
                approved_by: a.approved_by.clone(),
                until: date_flag("until", &a.until)?,
            };
            store.create()?;
            let _lock = StoreLock::acquire(store.root(), "hold add", now)?;
            let mut holds = store::hold::Holds::load(&config.holds_path())?;
            let new = holds.add(req, now, tz, config.max_hold_days)?;
            holds.save()?;
            let h = holds.active_case(&a.case, now, tz).cloned().ok_or_else(|| Error::Bug("hold vanished".into()))?;
            let mut e = audit_log::entry(now, if new { "hold add" } else { "hold extend" }, &who, "retention");
            e.scope = serde_json::json!({
                "case": h.case, "sources": h.sources, "from": h.from, "to": h.to, "until": h.until,
                "message_ids": h.message_ids.len(), "approved_by": h.approved_by,
            });
            trail.append(e)?;
            println!(
                "{} hold for case {} until {} (reason and approver recorded)",
                if new { "placed" } else { "extended" },
                h.case,
                h.until
            );
            Ok(EXIT_OK)
        }
        HoldCommand::Release { case } => {
            let _lock = StoreLock::acquire(store.root(), "hold release", now)?;
            let mut holds = store::hold::Holds::load(&config.holds_path())?;
            holds.release(&case, now, tz)?;
            holds.save()?;
            let mut e = audit_log::entry(now, "hold release", &who, "retention");
            e.scope = serde_json::json!({ "case": case });
            trail.append(e)?;
            println!("released the hold of case {case}; its rows go at the next purge");
            Ok(EXIT_OK)
        }
    }
}

/// Runs the retention purge under the store lock and records its receipt in the audit trail.
pub fn purge(
    config: &Config,
    clock: &Clock,
    dry_run: bool,
    operator: Option<&str>,
) -> Result<store::retention::PurgeReceipt> {
    let now = clock.now();
    let store = Store::new(&config.store_dir);
    store.create()?;
    let _lock = StoreLock::acquire(store.root(), if dry_run { "purge --dry-run" } else { "purge" }, now)?;
    let ledger = Ledger::load(&store.ledger_path())?;
    if !dry_run {
        ingest::recover(&store, &ledger)?;
    }
    let mut receipt_completes = None;
    // Both registries are read (and their ids checked) before anything is removed.
    let holds = store::hold::Holds::load(&config.holds_path())?;
    let cases = case::Cases::load(&case::Cases::path(config))?;
    let plan = store::retention::PurgePlan {
        store: &store,
        now,
        retention_days: config.retention_days,
        holds: &holds.holds,
        tz: config.timezone,
        dry_run,
    };
    let trail = config.audit_log();
    let who = audit_log::operator(operator);
    if !dry_run {
        // What the purge is about to remove goes into the trail before anything is removed,
        // so a purge killed half-way leaves a record of what it may have removed; the next
        // run's receipt says it completes that plan.
        let planned = store::retention::purge(&store::retention::PurgePlan { dry_run: true, ..plan.clone() })?;
        let mut e = audit_log::entry(now, "purge plan", &who, "retention");
        e.scope = serde_json::json!({ "retention_days": config.retention_days, "cutoff": planned.cutoff });
        e.details = serde_json::to_value(&planned).unwrap_or_default();
        let last = trail.entries()?.into_iter().rev().find(|e| e.command == "purge plan" || e.command == "purge");
        if let Some(unfinished) = last.filter(|e| e.command == "purge plan") {
            receipt_completes = Some(unfinished.time);
        }
        trail.append(e)?;
    }
    let mut receipt = store::retention::purge(&plan)?;
    receipt.completes = receipt_completes;
    let cutoff_text = config.retention().cutoff(now).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    receipt.ledger_paths_cleared = store::ledger::clear_old_paths(&store.ledger_path(), &cutoff_text, dry_run)?;
    // The receipt is written whatever the RET-4 step says: rows are gone by now.
    let outputs = expire_outputs(config, now, dry_run, &holds, cases, &mut receipt);
    if let Err(e) = &outputs {
        receipt.errors.push(e.to_string());
    }
    let mut e = audit_log::entry(now, if dry_run { "purge --dry-run" } else { "purge" }, &who, "retention");
    e.scope = serde_json::json!({ "retention_days": config.retention_days, "cutoff": receipt.cutoff });
    e.rows_read = receipt.rows_removed.values().sum::<u64>() + receipt.rows_moved_to_holds.values().sum::<u64>();
    e.details = serde_json::to_value(&receipt).unwrap_or_default();
    trail.append(e)?;
    outputs?;
    Ok(receipt)
}

/// The human form of a purge receipt.
pub fn render_receipt(r: &store::retention::PurgeReceipt) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let verb = if r.dry_run { "would remove" } else { "removed" };
    let _ = writeln!(
        out,
        "purge at {} (retention {} days): rows before {} go{}",
        r.time,
        r.retention_days,
        r.cutoff,
        if r.dry_run { " (dry run: nothing changed)" } else { "" }
    );
    for p in &r.partitions_deleted {
        let _ = writeln!(out, "  {verb} {} {}: {} rows (whole day)", p.source.name(), p.date, p.rows);
    }
    for f in &r.files_rewritten {
        let _ = writeln!(out, "  {} expired rows from {f}", if r.dry_run { "would cut" } else { "cut" });
    }
    for (source, n) in &r.rows_removed {
        let _ = writeln!(out, "  {source}: {n} rows {verb}");
    }
    for (case, n) in &r.rows_moved_to_holds {
        let _ = writeln!(
            out,
            "  case {case}: {n} rows {} the hold area",
            if r.dry_run { "would move to" } else { "kept in" }
        );
    }
    for case in &r.holds_ended {
        let _ = writeln!(out, "  case {case}: hold ended, its rows {verb}");
    }
    let _ = writeln!(out, "  {} files, {} bytes freed", r.files_removed.len(), r.bytes_freed);
    for label in &r.reports_removed {
        let _ = writeln!(out, "  report {label}: {verb} (RET-4)");
    }
    for case in &r.case_files_removed {
        let _ = writeln!(out, "  case {case}: case files and registry entry {verb} (RET-4)");
    }
    for case in &r.stale_cases_removed {
        let _ = writeln!(out, "  case {case}: never told, its window long past every hold: {verb} (RET-4)");
    }
    for case in &r.holds_forgotten {
        let _ = writeln!(
            out,
            "  hold of case {case}: ended before the window, its subject and reason {verb} from the registry"
        );
    }
    if r.ledger_paths_cleared > 0 {
        let _ = writeln!(out, "  ledger: {} input file path(s) older than the window cleared", r.ledger_paths_cleared);
    }
    if let Some(t) = &r.completes {
        let _ = writeln!(out, "  completes the purge planned at {t}, which stopped before its receipt");
    }
    for e in &r.errors {
        let _ = writeln!(out, "  error: {}", fsio::printable(e));
    }
    out
}

/// Ingests `paths` into the configured store under the store lock.
pub fn ingest_paths(
    config: &Config,
    clock: &Clock,
    paths: &[std::path::PathBuf],
    opts: &ingest::IngestOptions,
    operator: Option<&str>,
) -> Result<ingest::IngestStats> {
    let now = clock.now();
    let store = Store::new(&config.store_dir);
    store.create()?;
    let _lock = StoreLock::acquire(store.root(), "ingest", now)?;
    let mut ledger = Ledger::load(&store.ledger_path())?;
    ingest::recover(&store, &ledger)?;
    let files = ingest::expand(paths)?;
    let now_us = now.timestamp_micros();
    let window = Window {
        max_record: config.max_record_bytes,
        cutoff_us: config.retention().cutoff_us(now),
        future_us: now_us + i64::from(config.future_tolerance_minutes) * 60_000_000,
        now_us,
    };
    // GEO-1: sign-ins are placed as they are stored; the database opens once per run.
    let geoip = Some(std::sync::Arc::new(config.geoip()?));
    let ctx = ingest::IngestContext {
        store: store.clone(),
        window,
        timezone: config.timezone,
        batch_rows: config.batch_rows,
        now,
        geoip,
    };
    let stats = ingest::run(&ctx, &mut ledger, &files, opts)?;
    // Files that failed as a whole may have left temporary files.
    ingest::recover(&store, &ledger)?;
    // CTL-9: reading logs into the store is a look at personal data.
    let mut e = audit_log::entry(now, "ingest", &audit_log::operator(operator), "retention");
    let totals = stats.totals();
    e.rows_read = totals.values().map(|t| t.stored + t.expired + t.rejected_total()).sum();
    e.scope = serde_json::json!({ "files": stats.files.len(), "sources": totals.keys().collect::<Vec<_>>() });
    e.details = serde_json::json!({
        "stored": totals.iter().map(|(s, t)| (s.name(), t.stored)).collect::<std::collections::BTreeMap<_, _>>(),
        "failed_files": stats.failed(),
    });
    config.audit_log().append(e)?;
    Ok(stats)
}

/// The human summary of an ingest: per file, then per source, then rejections by reason.
/// Names files and counts, never a value from a log.
pub fn render_ingest(stats: &ingest::IngestStats) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for f in &stats.files {
        let name = Path::new(&f.file).display();
        match f.status {
            "error" => {
                // The error names the file itself.
                let _ = writeln!(out, "error           {}", f.error.as_deref().unwrap_or(""));
            }
            "empty" => {
                let _ = writeln!(out, "empty           {name}");
            }
            "skipped" => {
                let _ = writeln!(out, "skipped         {name}: {}", f.error.as_deref().unwrap_or(""));
            }
            status => {
                let _ = writeln!(
                    out,
                    "{status:<15} {name} ({}): {} stored, {} rejected, {} expired",
                    f.format.unwrap_or("?"),
                    f.counts.stored,
                    f.counts.rejected_total(),
                    f.counts.expired
                );
            }
        }
    }
    for (source, t) in stats.totals() {
        let _ = writeln!(
            out,
            "{}: {} rows stored, {} rejected, {} expired (older than the retention window)",
            source.name(),
            t.stored,
            t.rejected_total(),
            t.expired
        );
        for (reason, n) in &t.rejected {
            let _ = writeln!(out, "  rejected {n}: {reason}");
        }
    }
    if stats.failed() > 0 {
        let _ = writeln!(out, "{} file(s) could not be read; the others are stored", stats.failed());
    }
    out
}
