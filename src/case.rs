//! Targeted investigations (CTL-3..CTL-8: 003 art. 6.6, 6.8, 6.9, 8.1b-e): one person, a
//! concrete suspicion, a limited window, metadata first, then the person is told.
//!
//! The registry is `reference/cases.json`, written atomically under the store lock; the
//! case files (screening, case report, letters) go to `cases/<id>/`. Every case command,
//! and every refusal, is recorded in the audit trail with the case id.
//!
//! ```text
//! open    suspicion + approver + one subject + a window within [cases] max_days and the
//!         retained data (+ --hold: a retention hold for exactly that scope)
//! screen  step 1 (8.1c): the subject's rows in the window, metadata only
//!         step 2 (8.1d): what looks regular is counted and left alone; the rest listed
//! report  step 3 (8.1e): the case file: the remainder with its content, the subject by
//!         name, everyone else by pseudonym, every row with its file and line (CTL-5)
//! close   the outcome, and the letter to the subject in Dutch and English (CTL-6)
//! ```
//! Protected mail (CTL-7, CTL-8) is only ever counted.
//!
//! Here: the registry and each command's lifecycle; `screening.rs` steps 1 and 2 (and the
//! tests of its scope check), `letters.rs` the letter in both languages.
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::audit_log::{self, FileHash};
use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::pseudonym::Key;
use crate::rules::Purpose;
use crate::schema::Source;
use crate::store::Store;
use crate::store::lock::StoreLock;

mod letters;
mod screening;

use letters::*;
pub use screening::*;

/// One case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Case {
    /// The case id (letters, digits, `.`, `-`, `_`).
    pub id: String,
    /// The one person investigated, lower-cased.
    pub subject: String,
    /// The concrete suspicion, in writing (CTL-3).
    pub suspicion: String,
    /// The purpose (art. 7.1 a-e).
    pub purpose: char,
    /// First local day of the window.
    pub from: NaiveDate,
    /// Last local day, inclusive.
    pub to: NaiveDate,
    /// Who approved it.
    pub approved_by: String,
    /// When it was opened, RFC 3339.
    pub opened_at: String,
    /// Whether a retention hold was placed for exactly this scope.
    pub hold: bool,
    /// When it was closed, and its outcome.
    #[serde(default)]
    pub closed_at: Option<String>,
    /// The outcome written at closing.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The day the letter to the subject is due (CTL-6).
    #[serde(default)]
    pub letter_due: Option<NaiveDate>,
    /// When the letter was recorded as sent.
    #[serde(default)]
    pub notified_at: Option<String>,
    /// How CAO nr. 81 applied at opening (one line, no name), when the school follows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staff_step: Option<String>,
    /// The letter invites the subject to an interview before any decision (CAO nr. 81's
    /// fourth purpose, after the alarm-bell notice).
    #[serde(default)]
    pub interview: bool,
}

/// The case registry.
#[derive(Debug)]
pub struct Cases {
    path: PathBuf,
    /// Every case, open and closed.
    pub cases: Vec<Case>,
}

impl Cases {
    /// The registry of a workspace.
    pub fn path(config: &Config) -> PathBuf {
        config.reference_dir.join("cases.json")
    }

    /// Reads the registry (none if absent).
    pub fn load(path: &Path) -> Result<Cases, Error> {
        let cases: Vec<Case> = match std::fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t)
                .map_err(|e| Error::Config(ConfigError::Parse { path: path.into(), message: e.to_string() }))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(ConfigError::Read { path: path.into(), source }.into()),
        };
        // Every id is a folder name (cases/<id>) that the purge removes in time (RET-4): a
        // registry with an id like `..` is refused whole, before anything is removed.
        for c in &cases {
            crate::fsio::check_id("case", &c.id).map_err(|e| {
                Error::Config(ConfigError::Invalid {
                    path: path.into(),
                    message: format!("{e}; fix or remove that entry before any case command or purge runs"),
                })
            })?;
        }
        Ok(Cases { path: path.into(), cases })
    }

    /// Writes the registry atomically.
    pub fn save(&self) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(&self.cases).map_err(|e| Error::Bug(e.to_string()))?;
        crate::fsio::write_atomic(&self.path, (text + "\n").as_bytes())
            .map_err(|source| Error::Config(ConfigError::Create { path: self.path.clone(), source }))
    }

    /// The case with this id.
    pub fn get(&self, id: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }
}

/// Closed cases whose subject has not been told yet: id and the day the letter is due.
pub fn waiting(config: &Config) -> Result<Vec<(String, String)>, Error> {
    let cases = Cases::load(&Cases::path(config))?;
    Ok(cases
        .cases
        .iter()
        .filter(|c| c.closed_at.is_some() && c.notified_at.is_none())
        .map(|c| (c.id.clone(), c.letter_due.map(|d| d.to_string()).unwrap_or_default()))
        .collect())
}

/// What `case open` was given.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    /// The case id.
    pub id: String,
    /// The subject's address.
    pub subject: String,
    /// The written suspicion.
    pub suspicion: String,
    /// a..e (f is refused: it never looks at one person).
    pub purpose: Purpose,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// The approver.
    pub approved_by: String,
    /// Place a hold.
    pub hold: bool,
    /// The rule whose anomaly recurred (CAO nr. 81's fourth purpose).
    pub rule: Option<String>,
}

/// What a `screen` or `report` asked for besides the case id: anything else than the
/// case's own subject and window is refused.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// A subject named on the command line.
    pub subject: Option<String>,
    /// A first day named on the command line.
    pub from: Option<NaiveDate>,
    /// A last day named on the command line.
    pub to: Option<NaiveDate>,
}

fn normal_subject(s: &str) -> Option<String> {
    let a = s.trim().trim_start_matches('<').trim_end_matches('>').to_lowercase();
    let (local, domain) = a.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !a.chars().any(|c| c.is_whitespace() || ",;<>\"'".contains(c))
        && a.matches('@').count() == 1;
    ok.then_some(a)
}

/// The case's folder of files.
pub fn case_dir(config: &Config, id: &str) -> PathBuf {
    config.cases_dir.join(id)
}

/// Records a refusal in the trail and returns it as the error. The message never names the
/// subject's address: only the case and what was refused.
fn refuse(config: &Config, now: DateTime<Utc>, operator: &str, command: &str, case: &str, reason: String) -> Error {
    let event = audit_log::Event::CaseRefused { case, command, reason: &reason };
    match crate::audit_log::AuditLog::of(config).record(now, operator, event) {
        Ok(_) => Error::Usage(reason),
        Err(err) => err.into(),
    }
}

/// `case open`.
pub fn open(
    config: &Config,
    now: DateTime<Utc>,
    key: &Key,
    req: &OpenRequest,
    operator: Option<&str>,
) -> Result<Case, Error> {
    let who = audit_log::operator(operator);
    let tz = config.timezone;
    let no = |reason: String| refuse(config, now, &who, "case open", &req.id, reason);
    // The id becomes the folder cases/<id> that RET-4 later removes: checked here.
    if let Err(e) = crate::fsio::check_id("case", &req.id) {
        return Err(refuse(config, now, &who, "case open", &e.shown, e.to_string()));
    }
    if req.suspicion.trim().len() < 10 {
        return Err(no(format!(
            "case {} has no written suspicion (--suspicion, at least 10 characters): a targeted check needs a concrete suspicion (CTL-3: 003 art. 8.1b)",
            req.id
        )));
    }
    if req.approved_by.trim().is_empty() {
        return Err(no(format!(
            "case {} has no approver (--approved-by): someone must approve a targeted check (CTL-3)",
            req.id
        )));
    }
    let purpose = req.purpose;
    if purpose == Purpose::F {
        return Err(no(format!(
            "case {} has purpose f; cost and capacity never look at one person (003 art. 8.7-8.8): use a-e",
            req.id
        )));
    }
    let Some(subject) = normal_subject(&req.subject) else {
        return Err(no(format!(
            "case {}: --subject must be exactly one address; a case investigates one person (CTL-3)",
            req.id
        )));
    };
    let (from, to) = (req.from, req.to);
    let days = (to - from).num_days() + 1;
    if days < 1 {
        return Err(no(format!("case {}: --to {to} lies before --from {from}", req.id)));
    }
    if days > i64::from(config.case_max_days) {
        return Err(no(format!(
            "case {} runs {days} days; the maximum is {} (CTL-3: as limited in time as possible; [cases] max_days)",
            req.id, config.case_max_days
        )));
    }
    let today = now.with_timezone(&tz).date_naive();
    // The same first day as the report and the purge (it may be partly purged already).
    let retained_from = crate::store::retention::RetentionPolicy::of(config).first_day(now, tz);
    if from < retained_from || to > today {
        return Err(no(format!(
            "case {}: the window {from}..{to} lies outside the retained data ({retained_from}..{today}, RET-1)",
            req.id
        )));
    }
    // CAO nr. 81 (`[school] staff_procedure = "cao81"`): a staff member is named for a
    // breach of the use rules only for a recurrence after the alarm-bell notice of the rule
    // whose anomaly recurred.
    let rule = match &req.rule {
        None => None,
        Some(id) => match crate::rules::configured(config)?.into_iter().find(|r| &r.id == id) {
            Some(r) => Some(r),
            None => {
                let shown: String = id.chars().take(80).collect();
                return Err(no(format!("case {}: no rule {shown:?}; `logwacht rules list` shows them", req.id)));
            }
        },
    };
    let role = crate::enrich::directory::load(&config.reference_dir.join("people.csv"))?
        .into_iter()
        .find(|p| p.address == subject)
        .map(|p| p.role);
    let window_start = DateTime::from_timestamp_micros(crate::calendar::day_start_us(from, tz)).unwrap_or(now);
    let entries = crate::audit_log::AuditLog::of(config).entries()?;
    let step = match crate::notice::staff_step(config, &entries, role, purpose, rule.as_ref(), window_start) {
        Ok(s) => s,
        Err(why) => return Err(no(format!("case {}: {why}", req.id))),
    };
    let store = Store::new(&config.store_dir);
    store.create()?;
    let _lock = StoreLock::acquire(store.root(), "case open", now)?;
    let mut cases = Cases::load(&Cases::path(config))?;
    if let Some(c) = cases.get(&req.id) {
        let why = if c.subject == subject {
            format!("case {} is already open; a case is opened once", req.id)
        } else {
            format!("case {} already investigates another person; a case has one subject (CTL-3)", req.id)
        };
        drop(_lock);
        return Err(no(why));
    }
    let case = Case {
        id: req.id.clone(),
        subject: subject.clone(),
        suspicion: req.suspicion.trim().to_string(),
        purpose: purpose.letter(),
        from,
        to,
        approved_by: req.approved_by.trim().to_string(),
        opened_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        hold: req.hold,
        closed_at: None,
        outcome: None,
        letter_due: None,
        notified_at: None,
        staff_step: (step != crate::notice::Step::NotFollowed).then(|| step.describe()),
        interview: step.interview(),
    };
    if req.hold {
        let mut holds = crate::store::hold::Holds::load(&config.holds_path())?;
        holds.add(
            crate::store::hold::HoldRequest {
                case: case.id.clone(),
                subject: Some(subject.clone()),
                message_ids: Vec::new(),
                sources: Source::ALL.to_vec(),
                from,
                to,
                reason: format!("case {}: {}", case.id, case.suspicion),
                approved_by: case.approved_by.clone(),
                until: from + Duration::days(i64::from(config.max_hold_days) - 1),
            },
            now,
            tz,
            config.max_hold_days,
        )?;
        holds.save()?;
    }
    cases.cases.push(case.clone());
    cases.save()?;
    let pseudonym = key.pseudonym(&subject);
    let event = audit_log::Event::CaseOpen {
        purpose: purpose.letter(),
        scope: audit_log::CaseScope { id: &case.id, subject: &pseudonym, from, to },
        hold: req.hold,
        approved_by: &case.approved_by,
        staff_step: case.staff_step.as_deref(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &who, event)?;
    Ok(case)
}

/// Finds the case and refuses any other subject or window than its own.
fn checked_case(
    config: &Config,
    now: DateTime<Utc>,
    who: &str,
    command: &str,
    id: &str,
    probe: &Probe,
) -> Result<Case, Error> {
    let cases = Cases::load(&Cases::path(config))?;
    let Some(case) = cases.get(id).cloned() else {
        return Err(refuse(config, now, who, command, id, format!("no case {id:?}; `logwacht case list` shows them")));
    };
    if let Some(s) = &probe.subject
        && normal_subject(s).as_deref() != Some(case.subject.as_str())
    {
        return Err(refuse(
            config,
            now,
            who,
            command,
            id,
            format!("case {id} investigates one subject; another person cannot be looked at through it (CTL-3)"),
        ));
    }
    for (name, v, own) in [("from", &probe.from, case.from), ("to", &probe.to, case.to)] {
        if let Some(v) = v
            && *v != own
        {
            return Err(refuse(
                config,
                now,
                who,
                command,
                id,
                format!("case {id} covers {}..{}; --{name} \"{v}\" would look outside it (CTL-3)", case.from, case.to),
            ));
        }
    }
    if command != "case close" && case.closed_at.is_some() {
        return Err(refuse(config, now, who, command, id, format!("case {id} is closed; open a new case")));
    }
    Ok(case)
}

/// `case screen`: steps 1 and 2, written to `cases/<id>/screen.md` and `screen.json`.
pub fn screen(
    config: &Config,
    now: DateTime<Utc>,
    key: &Key,
    id: &str,
    probe: &Probe,
    operator: Option<&str>,
) -> Result<(Screening, Vec<FileHash>), Error> {
    let who = audit_log::operator(operator);
    let case = checked_case(config, now, &who, "case screen", id, probe)?;
    let s = screening(config, key, &case)?;
    let subject = key.pseudonym(&case.subject);
    let md = screening_markdown("case_screen.md", &case, &s, false, subject.clone(), key.period)?;
    // An anchor of the trail outside it (CTL-9): the head and line count before this look.
    let trail = crate::audit_log::AuditLog::of(config).verify()?;
    let mut json = serde_json::to_value(&s).map_err(bug)?;
    json["audit_log_lines"] = trail.lines.into();
    json["audit_log_head"] = trail.head.into();
    let json = serde_json::to_string_pretty(&json).map_err(bug)? + "\n";
    let files = audit_log::write_files(&case_dir(config, id), &[("screen.md", md), ("screen.json", json)])?;
    let event = audit_log::Event::CaseScreen {
        purpose: case.purpose,
        scope: audit_log::CaseScope { id: &case.id, subject: &subject, from: case.from, to: case.to },
        sources: &s.sources,
        left_alone: &s.left_alone,
        protected_messages: s.protected_messages,
        remainder: s.remainder.len(),
        rows_read: s.left_alone.values().sum::<u64>() + s.remainder.iter().map(|i| i.count).sum::<u64>(),
        files: files.clone(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &who, event)?;
    Ok((s, files))
}

/// The subject's name from the directory, with the address.
fn subject_by_name(config: &Config, case: &Case) -> String {
    match subject_name(config, case) {
        Some(n) => format!("{n} <{}>", case.subject),
        None => format!("<{}>", case.subject),
    }
}

/// The subject's display name in the directory, if it has one.
fn subject_name(config: &Config, case: &Case) -> Option<String> {
    let path = config.reference_dir.join("people.csv");
    let name = std::fs::read_to_string(path).ok().and_then(|t| {
        let mut r = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(t.as_bytes());
        let header = r.headers().ok()?.clone();
        let (a, n) = (header.iter().position(|h| h == "address")?, header.iter().position(|h| h == "display_name")?);
        r.records()
            .flatten()
            .find(|rec| rec.get(a).is_some_and(|x| x.eq_ignore_ascii_case(&case.subject)))
            .and_then(|rec| rec.get(n).map(str::to_string))
    });
    name.filter(|n| !n.is_empty())
}

/// `case report`: step 3 (8.1e): the case file with the remainder's content.
pub fn report(
    config: &Config,
    now: DateTime<Utc>,
    key: &Key,
    id: &str,
    probe: &Probe,
    operator: Option<&str>,
) -> Result<Vec<FileHash>, Error> {
    let who = audit_log::operator(operator);
    let case = checked_case(config, now, &who, "case report", id, probe)?;
    let s = screening(config, key, &case)?;
    let m = screening_markdown("case_report.md", &case, &s, true, subject_by_name(config, &case), key.period)?;
    let mut json = serde_json::to_value(&s).map_err(bug)?;
    if let Some(items) = json.get_mut("remainder").and_then(|r| r.as_array_mut()) {
        for (v, it) in items.iter_mut().zip(&s.remainder) {
            v["content"] = serde_json::json!(it.content);
        }
    }
    json["subject"] = serde_json::json!(subject_by_name(config, &case));
    json["suspicion"] = serde_json::json!(case.suspicion);
    let files = audit_log::write_files(
        &case_dir(config, id),
        &[("case-report.md", m), ("case-report.json", serde_json::to_string_pretty(&json).map_err(bug)? + "\n")],
    )?;
    let pseudonym = key.pseudonym(&case.subject);
    let event = audit_log::Event::CaseReport {
        purpose: case.purpose,
        scope: audit_log::CaseScope { id: &case.id, subject: &pseudonym, from: case.from, to: case.to },
        remainder: s.remainder.len(),
        content_shown: s.remainder.iter().map(|i| i.content.len()).sum(),
        rows_read: s.remainder.iter().map(|i| i.count).sum(),
        files: files.clone(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &who, event)?;
    Ok(files)
}

/// `case close`: the outcome, the letters, and the day they are due.
pub fn close(
    config: &Config,
    now: DateTime<Utc>,
    key: &Key,
    id: &str,
    outcome: &str,
    operator: Option<&str>,
) -> Result<(Case, Vec<FileHash>), Error> {
    let who = audit_log::operator(operator);
    if outcome.trim().is_empty() {
        return Err(refuse(
            config,
            now,
            &who,
            "case close",
            id,
            format!("case {id}: --outcome is empty; the letter must say what came of the check (CTL-6)"),
        ));
    }
    let mut case = checked_case(config, now, &who, "case close", id, &Probe::default())?;
    if case.closed_at.is_some() {
        return Err(refuse(config, now, &who, "case close", id, format!("case {id} is already closed")));
    }
    let store = Store::new(&config.store_dir);
    store.create()?;
    let _lock = StoreLock::acquire(store.root(), "case close", now)?;
    let s = screening(config, key, &case)?;
    let today = now.with_timezone(&config.timezone).date_naive();
    case.closed_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    case.outcome = Some(outcome.trim().to_string());
    case.letter_due = Some(today + Duration::days(i64::from(config.letter_days)));
    let facts = LetterFacts::of(config, &case, &s.sources);
    let files = audit_log::write_files(
        &case_dir(config, id),
        &[
            ("letter-nl.md", letter(config, &case, &facts, &LETTER_NL)?),
            ("letter-en.md", letter(config, &case, &facts, &LETTER_EN)?),
        ],
    )?;
    let mut cases = Cases::load(&Cases::path(config))?;
    if let Some(c) = cases.cases.iter_mut().find(|c| c.id == id) {
        *c = case.clone();
    }
    cases.save()?;
    let pseudonym = key.pseudonym(&case.subject);
    let event = audit_log::Event::CaseClose {
        purpose: case.purpose,
        scope: audit_log::CaseScope { id: &case.id, subject: &pseudonym, from: case.from, to: case.to },
        letter_due: case.letter_due,
        files: files.clone(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &who, event)?;
    Ok((case, files))
}

/// `case notified`: the letter reached the subject.
pub fn notified(config: &Config, now: DateTime<Utc>, id: &str, operator: Option<&str>) -> Result<Case, Error> {
    let who = audit_log::operator(operator);
    let mut cases = Cases::load(&Cases::path(config))?;
    let Some(case) = cases.cases.iter_mut().find(|c| c.id == id) else {
        return Err(refuse(
            config,
            now,
            &who,
            "case notified",
            id,
            format!("no case {id:?}; `logwacht case list` shows them"),
        ));
    };
    if case.closed_at.is_none() {
        return Err(refuse(
            config,
            now,
            &who,
            "case notified",
            id,
            format!("case {id} is not closed yet; close it first (the letter is written then)"),
        ));
    }
    case.notified_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let case = case.clone();
    cases.save()?;
    let event = audit_log::Event::CaseNotified { purpose: case.purpose, case: &case.id };
    crate::audit_log::AuditLog::of(config).record(now, &who, event)?;
    Ok(case)
}
