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
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use datafusion::arrow::record_batch::RecordBatch;
use serde::{Deserialize, Serialize};

use crate::audit_log::{self, FileHash};
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{ConfigError, Error};
use crate::pseudonym::Key;
use crate::rules::Purpose;
use crate::rules::engine::{Engine, Limits, Window};
use crate::schema::Source;
use crate::store::Store;
use crate::store::lock::StoreLock;

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
    /// a..e.
    pub purpose: String,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// The approver.
    pub approved_by: String,
    /// Place a hold.
    pub hold: bool,
}

/// What a `screen` or `report` asked for besides the case id: anything else than the
/// case's own subject and window is refused.
#[derive(Debug, Clone, Default)]
pub struct Probe {
    /// A subject named on the command line.
    pub subject: Option<String>,
    /// A first day named on the command line.
    pub from: Option<String>,
    /// A last day named on the command line.
    pub to: Option<String>,
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
fn refuse(config: &Config, clock: &Clock, operator: &str, command: &str, case: &str, reason: String) -> Error {
    let mut e = audit_log::entry(clock.now(), "case refused", operator, "case");
    e.scope = serde_json::json!({ "case": case, "command": command });
    e.details = serde_json::json!({ "reason": reason });
    match crate::audit_log::AuditLog::of(config).append(e) {
        Ok(_) => Error::Usage(reason),
        Err(err) => err.into(),
    }
}

/// `case open`.
pub fn open(
    config: &Config,
    clock: &Clock,
    key: &Key,
    req: &OpenRequest,
    operator: Option<&str>,
) -> Result<Case, Error> {
    let who = audit_log::operator(operator);
    let now = clock.now();
    let tz = config.timezone;
    let no = |reason: String| refuse(config, clock, &who, "case open", &req.id, reason);
    // The id becomes the folder cases/<id> that RET-4 later removes: checked here.
    if let Err(e) = crate::fsio::check_id("case", &req.id) {
        return Err(refuse(config, clock, &who, "case open", &e.shown, e.to_string()));
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
    let purpose = match Purpose::parse(&req.purpose) {
        Some(Purpose::F) => {
            return Err(no(format!(
                "case {} has purpose f; cost and capacity never look at one person (003 art. 8.7-8.8): use a-e",
                req.id
            )));
        }
        Some(p) => p,
        None => return Err(no(format!("--purpose {:?} is not one of a, b, c, d, e (art. 7.1)", req.purpose))),
    };
    let Some(subject) = normal_subject(&req.subject) else {
        return Err(no(format!(
            "case {}: --subject must be exactly one address; a case investigates one person (CTL-3)",
            req.id
        )));
    };
    let day = |name: &str, v: &str| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| format!("--{name} {v:?} is not a date YYYY-MM-DD"))
    };
    let (from, to) = match (day("from", &req.from), day("to", &req.to)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return Err(no(e)),
    };
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
    let mut e = audit_log::entry(now, "case open", &who, &purpose.letter().to_string());
    e.scope = serde_json::json!({
        "case": case.id, "subject": key.pseudonym(&subject), "from": from, "to": to,
        "sources": ["signin", "email", "web"], "hold": req.hold,
    });
    e.details = serde_json::json!({ "approved_by": case.approved_by });
    crate::audit_log::AuditLog::of(config).append(e)?;
    Ok(case)
}

/// Finds the case and refuses any other subject or window than its own.
fn checked_case(
    config: &Config,
    clock: &Clock,
    who: &str,
    command: &str,
    id: &str,
    probe: &Probe,
) -> Result<Case, Error> {
    let cases = Cases::load(&Cases::path(config))?;
    let Some(case) = cases.get(id).cloned() else {
        return Err(refuse(
            config,
            clock,
            who,
            command,
            id,
            format!("no case {id:?}; `logwacht case list` shows them"),
        ));
    };
    if let Some(s) = &probe.subject
        && normal_subject(s).as_deref() != Some(case.subject.as_str())
    {
        return Err(refuse(
            config,
            clock,
            who,
            command,
            id,
            format!("case {id} investigates one subject; another person cannot be looked at through it (CTL-3)"),
        ));
    }
    for (name, v, own) in [("from", &probe.from, case.from), ("to", &probe.to, case.to)] {
        if let Some(v) = v
            && NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok() != Some(own)
        {
            return Err(refuse(
                config,
                clock,
                who,
                command,
                id,
                format!("case {id} covers {}..{}; --{name} {v:?} would look outside it (CTL-3)", case.from, case.to),
            ));
        }
    }
    if command != "case close" && case.closed_at.is_some() {
        return Err(refuse(config, clock, who, command, id, format!("case {id} is closed; open a new case")));
    }
    Ok(case)
}

/// One thing step 2 did not leave alone.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// signin, email, web.
    pub source: String,
    /// Local time of the first event.
    pub time: String,
    /// Why it is not regular.
    pub why: Vec<String>,
    /// Other people involved (pseudonyms).
    pub others: Vec<String>,
    /// For web: the site; for sign-ins: the country.
    pub place: Option<String>,
    /// Events it stands for.
    pub count: u64,
    /// Evidence: input file and line (CTL-5).
    pub evidence: String,
    /// Content, shown only in the case report (step 3): subject line, URL, search query.
    #[serde(skip)]
    pub content: Vec<String>,
}

/// What screening found.
#[derive(Debug, Clone, Serialize)]
pub struct Screening {
    /// The case.
    pub case: String,
    /// Its purpose.
    pub purpose: char,
    /// Its window.
    pub from: NaiveDate,
    /// Its last day.
    pub to: NaiveDate,
    /// Sources screened, and the ones the purpose may not read, with why.
    pub sources: BTreeMap<String, String>,
    /// What looked regular and was left alone, counted.
    pub left_alone: BTreeMap<String, u64>,
    /// Personal-labelled mail and counsellors' mail: counted, never shown (CTL-7, CTL-8).
    pub protected_messages: u64,
    /// The remainder.
    pub remainder: Vec<Item>,
}

fn bug(e: impl std::fmt::Display) -> Error {
    Error::Bug(e.to_string())
}

fn internal(id: &str, purpose: Purpose, sql: &str) -> Result<crate::rules::Rule, Error> {
    Ok(crate::rules::internal(id, purpose, "CTL-4, CTL-5", sql)?)
}

fn sql_text(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Reads column `name` of row `i` as text (NULL: None).
fn text_at(b: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let col = b.column_by_name(name)?;
    if col.is_null(i) {
        return None;
    }
    let c = datafusion::arrow::compute::cast(col, &DataType::Utf8).ok()?;
    Some(c.as_string::<i32>().value(i).to_string())
}

/// The columns that name whose row it is, in the case queries' outputs.
const SCOPE_COLUMNS: [&str; 4] = ["sender", "recipient", "submitted_by", "user"];

/// The output gate of a case (CTL-3: as limited in time and scope as possible): the case
/// file and the letter name the subject on purpose, so what may reach them is decided by
/// the case's scope. Every row a case query returns is checked before anything is written:
/// it must be one of the subject's rows (an identity column of it holds the subject) and
/// lie in the case's window. A row outside stops the command; nothing is written.
fn in_scope(batches: Vec<RecordBatch>, case: &Case, window: Window) -> Result<Vec<RecordBatch>, Error> {
    let (from, to) = (window.from.timestamp_micros(), window.to.timestamp_micros());
    for b in &batches {
        let ids: Vec<_> = SCOPE_COLUMNS
            .iter()
            .filter_map(|c| b.column_by_name(c))
            .filter_map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8).ok())
            .collect();
        if ids.is_empty() && b.num_rows() > 0 {
            return Err(bug(format!("a query of case {} returns no column that names whose row it is", case.id)));
        }
        for i in 0..b.num_rows() {
            let subject = ids.iter().any(|c| {
                let s = c.as_string::<i32>();
                s.is_valid(i) && s.value(i) == case.subject
            });
            let when = micros_at(b, i).is_some_and(|t| t >= from && t < to);
            if !subject || !when {
                return Err(bug(format!(
                    "a query of case {} returned a row outside its subject or window; nothing was written (CTL-3)",
                    case.id
                )));
            }
        }
    }
    Ok(batches)
}

fn micros_at(b: &RecordBatch, i: usize) -> Option<i64> {
    let col = b.column_by_name("event_time")?;
    let c =
        datafusion::arrow::compute::cast(col, &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))).ok()?;
    (!c.is_null(i)).then(|| c.as_primitive::<TimestampMicrosecondType>().value(i))
}

fn time_at(b: &RecordBatch, i: usize, tz: chrono_tz::Tz) -> String {
    let Some(col) = b.column_by_name("event_time") else { return String::new() };
    let Ok(c) = datafusion::arrow::compute::cast(col, &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())))
    else {
        return String::new();
    };
    DateTime::<Utc>::from_timestamp_micros(c.as_primitive::<TimestampMicrosecondType>().value(i))
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn evidence_at(b: &RecordBatch, i: usize) -> String {
    let file = text_at(b, "source_file", i).unwrap_or_default();
    let line = b
        .column_by_name("source_line")
        .and_then(|c| datafusion::arrow::compute::cast(c, &DataType::Int64).ok())
        .map(|c| c.as_primitive::<Int64Type>().value(i))
        .unwrap_or(0);
    format!("{file}:{line}")
}

/// The search terms of a URL path (`q=`, `search=`, `query=`), decoded.
pub fn search_query(path: &str) -> Option<String> {
    let query = path.split_once('?')?.1.split('#').next().unwrap_or("");
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if ["q", "search", "query"].contains(&k.to_ascii_lowercase().as_str()) && !v.is_empty() {
            let mut bytes = Vec::with_capacity(v.len());
            let raw = v.as_bytes();
            let mut j = 0;
            while j < raw.len() {
                match raw[j] {
                    b'+' => {
                        bytes.push(b' ');
                        j += 1;
                    }
                    b'%' => {
                        let hex = raw
                            .get(j + 1..j + 3)
                            .and_then(|h| std::str::from_utf8(h).ok())
                            .and_then(|h| u8::from_str_radix(h, 16).ok());
                        match hex {
                            Some(x) => {
                                bytes.push(x);
                                j += 3;
                            }
                            None => {
                                bytes.push(b'%');
                                j += 1;
                            }
                        }
                    }
                    c => {
                        bytes.push(c);
                        j += 1;
                    }
                }
            }
            return Some(String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    None
}

/// Steps 1 and 2 (CTL-4, CTL-5): the subject's rows in the window, screened on metadata;
/// what looks regular is counted and left alone.
pub fn screening(config: &Config, key: &Key, case: &Case) -> Result<Screening, Error> {
    let purpose = Purpose::parse(&case.purpose.to_string()).ok_or_else(|| bug("case purpose"))?;
    let tz = config.timezone;
    let window = Window::local_days(case.from, case.to, tz);
    let engine = Engine::new(config, Some(key), window)?;
    let limits = Limits::new(purpose, config);
    let subject = sql_text(&case.subject);
    let key = key.pseudonymiser();
    let cal = crate::rules::functions::Calendar::new(config);
    let other = |a: &str| if a == case.subject { "subject".to_string() } else { key.pseudonym(a) };
    let mut out = Screening {
        case: case.id.clone(),
        purpose: case.purpose,
        from: case.from,
        to: case.to,
        sources: BTreeMap::new(),
        left_alone: BTreeMap::new(),
        protected_messages: 0,
        remainder: Vec::new(),
    };
    let readable = |s: Source| limits.columns(s.name()).is_none_or(|c| !c.is_empty());
    let words: Vec<String> = config.word_lists.keys().cloned().collect();
    // The labels the engine's protected view uses (CTL-7), so both agree.
    let labels: Vec<String> = crate::rules::engine::PERSONAL_LABELS.iter().map(|l| sql_text(l)).collect();
    let labels = labels.join(", ");
    // CTL-8: the roles whose mail is never inspected, and a whole message is protected
    // when any of its rows is (a colleague's copy of a message to a counsellor too).
    let roles: Vec<String> = crate::enrich::directory::PROTECTED_ROLES.iter().map(|r| sql_text(r)).collect();
    let roles = roles.join(", ");
    let word_expr = if words.is_empty() {
        "CAST(NULL AS VARCHAR)".to_string()
    } else {
        format!("word_match(e.subject, '{}')", words.join(","))
    };
    // Mail.
    if readable(Source::Email) {
        out.sources.insert("email".into(), "screened".into());
        let q = internal(
            "case_email",
            purpose,
            &format!(
                "SELECT e.event_time, e.sender, e.recipient, e.submitted_by, e.subject, e.mailer, s.role AS sender_role, r.role AS recipient_role, \
                 coalesce(lower(e.sensitivity) IN ({labels}), false) \
                   OR coalesce(s.role, '') IN ({roles}) OR coalesce(r.role, '') IN ({roles}) \
                   OR pm.message IS NOT NULL AS protected, \
                 {word_expr} AS word_list, extensions(e.attachment_names) AS exts, \
                 coalesce(e.message_id, e.trace_id) AS message, e.source_file, e.source_line \
                 FROM email e LEFT JOIN people s ON s.address = e.sender LEFT JOIN people r ON r.address = e.recipient \
                 LEFT JOIN (SELECT DISTINCT coalesce(m.message_id, m.trace_id) AS message FROM email m \
                   LEFT JOIN people ms ON ms.address = m.sender LEFT JOIN people mr ON mr.address = m.recipient \
                   WHERE coalesce(lower(m.sensitivity) IN ({labels}), false) \
                      OR coalesce(ms.role, '') IN ({roles}) OR coalesce(mr.role, '') IN ({roles})) pm \
                   ON pm.message = coalesce(e.message_id, e.trace_id) \
                 WHERE e.sender = {subject} OR e.recipient = {subject} OR e.submitted_by = {subject} \
                 ORDER BY e.event_time, e.source_line"
            ),
        )?;
        let mut messages: BTreeMap<String, Item> = BTreeMap::new();
        let mut protected: BTreeSet<String> = BTreeSet::new();
        let mut regular: BTreeSet<String> = BTreeSet::new();
        for b in in_scope(engine.run(&q)?, case, window)? {
            for i in 0..b.num_rows() {
                let message = text_at(&b, "message", i).unwrap_or_else(|| format!("row {}", evidence_at(&b, i)));
                if text_at(&b, "protected", i).as_deref() == Some("true") {
                    protected.insert(message);
                    continue;
                }
                let sender = text_at(&b, "sender", i).unwrap_or_default();
                let recipient = text_at(&b, "recipient", i).unwrap_or_default();
                let mut why = Vec::new();
                if let Some(l) = text_at(&b, "word_list", i) {
                    why.push(format!("subject word list: {l}"));
                }
                for x in text_at(&b, "exts", i).unwrap_or_default().split(';').filter(|x| !x.is_empty()) {
                    if config.forbidden_extensions.iter().any(|f| f == x) {
                        why.push(format!("attachment extension: {x}"));
                    }
                }
                // A private provider's address is suspicious unless the directory knows it
                // as a parent's.
                for (a, role) in [(&sender, "sender_role"), (&recipient, "recipient_role")] {
                    if a.is_empty() || *a == case.subject || text_at(&b, role, i).as_deref() == Some("parent") {
                        continue;
                    }
                    let domain = crate::rules::functions::registrable_domain(a).unwrap_or_default();
                    if config.private_domains.contains(&domain) {
                        why.push("private mail provider".into());
                    }
                }
                if let Some(m) = text_at(&b, "mailer", i)
                    && !config.approved_mailers.iter().any(|p| m.to_lowercase().starts_with(p.as_str()))
                {
                    why.push(format!("mail client: {m}"));
                }
                if sender.is_empty() {
                    why.push("anonymous sender".into());
                }
                // MAIL-8: to a parent in the evening or at the weekend.
                let to_parent = text_at(&b, "recipient_role", i).as_deref() == Some("parent") && sender == case.subject;
                if to_parent && micros_at(&b, i).and_then(|t| cal.parent_quiet_time(t)) == Some(true) {
                    why.push("to a parent after hours".into());
                }
                if why.is_empty() {
                    regular.insert(message);
                    continue;
                }
                let entry = messages.entry(message.clone()).or_insert_with(|| Item {
                    source: "email".into(),
                    time: time_at(&b, i, tz),
                    why: Vec::new(),
                    others: Vec::new(),
                    place: Some(if sender == case.subject { "sent".into() } else { "received".into() }),
                    count: 0,
                    evidence: evidence_at(&b, i),
                    content: text_at(&b, "subject", i).map(|s| vec![format!("subject: {s}")]).unwrap_or_default(),
                });
                entry.count += 1;
                for w in why {
                    if !entry.why.contains(&w) {
                        entry.why.push(w);
                    }
                }
                for a in [&sender, &recipient] {
                    let p = other(a);
                    if !a.is_empty() && p != "subject" && !entry.others.contains(&p) {
                        entry.others.push(p);
                    }
                }
            }
        }
        // A message with any protected row is protected whole: counted, never listed.
        messages.retain(|m, _| !protected.contains(m));
        regular.retain(|m| !messages.contains_key(m) && !protected.contains(m));
        out.protected_messages = protected.len() as u64;
        out.left_alone.insert("email messages".into(), regular.len() as u64);
        out.remainder.extend(messages.into_values());
    } else {
        out.sources.insert("email".into(), format!("not screened: purpose {} may not read it", case.purpose));
    }
    // Web.
    if readable(Source::Web) {
        out.sources.insert("web".into(), "screened".into());
        let cat = |g: &str| format!("web_category(w.host, w.path, '{g}')");
        let q = internal(
            "case_web",
            purpose,
            &format!(
                "SELECT w.event_time, w.\"user\", w.host, w.path, w.url, w.http_status, \
                 coalesce({}, {}, {}, {}, {}) AS category, extension(w.path) AS ext, w.source_file, w.source_line \
                 FROM web w WHERE w.\"user\" = {subject} ORDER BY w.event_time, w.source_line",
                cat("malware"),
                cat("forbidden"),
                cat("circumvention"),
                cat("downloads"),
                cat("leisure")
            ),
        )?;
        let mut words: Vec<String> = config.case_words.clone();
        words.extend(config.word_lists.values().flatten().cloned());
        let (mut requests, mut hosts) = (0u64, BTreeSet::new());
        let mut items: BTreeMap<(String, String), Item> = BTreeMap::new();
        for b in in_scope(engine.run(&q)?, case, window)? {
            for i in 0..b.num_rows() {
                let host = text_at(&b, "host", i).unwrap_or_default();
                let path = text_at(&b, "path", i).unwrap_or_default();
                let mut why = Vec::new();
                if let Some(c) = text_at(&b, "category", i) {
                    why.push(format!("category: {c}"));
                }
                let ok = text_at(&b, "http_status", i).and_then(|s| s.parse::<i64>().ok()).is_none_or(|s| s < 400);
                if let Some(x) = text_at(&b, "ext", i)
                    && ok
                    && config.download_extensions.contains(&x)
                {
                    why.push(format!("download: .{x}"));
                }
                let query = search_query(&path);
                if let Some(q) = &query {
                    let lower = q.to_lowercase();
                    let hits: Vec<&String> = words.iter().filter(|w| lower.contains(w.as_str())).collect();
                    if !hits.is_empty() {
                        why.push(format!(
                            "search words: {}",
                            hits.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                        ));
                    }
                }
                if why.is_empty() {
                    requests += 1;
                    hosts.insert(host);
                    continue;
                }
                let key = (host.clone(), why.join("; "));
                let entry = items.entry(key).or_insert_with(|| Item {
                    source: "web".into(),
                    time: time_at(&b, i, tz),
                    why: why.clone(),
                    others: Vec::new(),
                    place: Some(host.clone()),
                    count: 0,
                    evidence: evidence_at(&b, i),
                    content: Vec::new(),
                });
                entry.count += 1;
                if entry.content.len() < 20 {
                    let c = match &query {
                        Some(q) => format!("search: {q}"),
                        None => format!("url: {}", text_at(&b, "url", i).unwrap_or_default()),
                    };
                    if !entry.content.contains(&c) {
                        entry.content.push(c);
                    }
                }
            }
        }
        out.left_alone.insert("web requests".into(), requests);
        out.left_alone.insert("web sites".into(), hosts.len() as u64);
        let mut items: Vec<Item> = items.into_values().collect();
        items.sort_by(|a, b| (&a.time, &a.evidence).cmp(&(&b.time, &b.evidence)));
        out.remainder.extend(items);
    } else {
        out.sources.insert("web".into(), format!("not screened: purpose {} may not read it", case.purpose));
    }
    // Sign-ins.
    if readable(Source::Signin) {
        out.sources.insert("signin".into(), "screened".into());
        let q = internal(
            "case_signin",
            purpose,
            &format!(
                "SELECT s.event_time, s.\"user\", s.geo_country, s.geo_outcome, s.success, s.source_file, s.source_line, \
                 s.geo_outcome = 'placed' AND a.country IS NOT NULL AS allowed \
                 FROM signin s LEFT JOIN allowed_countries a ON a.country = s.geo_country \
                 WHERE s.\"user\" = {subject} ORDER BY s.event_time, s.source_line"
            ),
        )?;
        let mut regular = 0;
        for b in in_scope(engine.run(&q)?, case, window)? {
            for i in 0..b.num_rows() {
                if text_at(&b, "allowed", i).as_deref() == Some("true") {
                    regular += 1;
                    continue;
                }
                let place = text_at(&b, "geo_country", i).or_else(|| text_at(&b, "geo_outcome", i));
                out.remainder.push(Item {
                    source: "signin".into(),
                    time: time_at(&b, i, tz),
                    why: vec![format!(
                        "{} sign-in outside the allowed countries",
                        if text_at(&b, "success", i).as_deref() == Some("true") { "successful" } else { "failed" }
                    )],
                    others: Vec::new(),
                    place,
                    count: 1,
                    evidence: evidence_at(&b, i),
                    content: Vec::new(),
                });
            }
        }
        out.left_alone.insert("sign-ins".into(), regular);
        out.remainder.sort_by(|a, b| (&a.time, &a.source, &a.evidence).cmp(&(&b.time, &b.source, &b.evidence)));
    } else {
        out.sources.insert("signin".into(), format!("not screened: purpose {} may not read it", case.purpose));
    }
    Ok(out)
}

/// The screening as Markdown (the security officer's view of steps 1 and 2: no content).
fn screening_markdown(s: &Screening, content: bool, subject_line: &str) -> String {
    let mut m = String::new();
    // `subject_line` comes escaped by the caller (a name and address, or a pseudonym).
    let _ = writeln!(m, "- subject: {subject_line}\n- purpose: {} · window: {} .. {}", s.purpose, s.from, s.to);
    for (src, how) in &s.sources {
        let _ = writeln!(m, "- {src}: {how}");
    }
    let _ = writeln!(m, "\n## Left alone (CTL-5: 003 art. 8.1d)\n");
    for (what, n) in &s.left_alone {
        let _ = writeln!(m, "- {what}: {n}");
    }
    let _ = writeln!(
        m,
        "- protected messages (personal label or counsellor, CTL-7/CTL-8), counted only: {}",
        s.protected_messages
    );
    let _ = writeln!(m, "\n## Remainder\n");
    if s.remainder.is_empty() {
        m.push_str("Nothing: every row looked regular.\n");
        return m;
    }
    let _ = writeln!(m, "| time | source | what | where | others | count | evidence |");
    m.push_str("| --- | --- | --- | --- | --- | ---: | --- |\n");
    let cell = |t: &str| crate::report::render::md(t);
    for it in &s.remainder {
        let _ = writeln!(
            m,
            "| {} | {} | {} | {} | {} | {} | `{}` |",
            it.time,
            it.source,
            cell(&it.why.join("; ")),
            cell(it.place.as_deref().unwrap_or("")),
            it.others.join(", "),
            it.count,
            cell(&it.evidence)
        );
        if content {
            for c in &it.content {
                let _ = writeln!(m, "| | | ↳ {} | | | | |", cell(c));
            }
        }
    }
    m
}

/// `case screen`: steps 1 and 2, written to `cases/<id>/screen.md` and `screen.json`.
pub fn screen(
    config: &Config,
    clock: &Clock,
    key: &Key,
    id: &str,
    probe: &Probe,
    operator: Option<&str>,
) -> Result<(Screening, Vec<FileHash>), Error> {
    let who = audit_log::operator(operator);
    let case = checked_case(config, clock, &who, "case screen", id, probe)?;
    let s = screening(config, key, &case)?;
    let subject = key.pseudonym(&case.subject);
    let md = format!("# Case {}: screening (steps 1-2)\n\n{}", case.id, screening_markdown(&s, false, &subject));
    // An anchor of the trail outside it (CTL-9): the head and line count before this look.
    let trail = crate::audit_log::AuditLog::of(config).verify()?;
    let mut json = serde_json::to_value(&s).map_err(bug)?;
    json["audit_log_lines"] = trail.lines.into();
    json["audit_log_head"] = trail.head.into();
    let json = serde_json::to_string_pretty(&json).map_err(bug)? + "\n";
    let files = audit_log::write_files(&case_dir(config, id), &[("screen.md", md), ("screen.json", json)])?;
    let mut e = audit_log::entry(clock.now(), "case screen", &who, &case.purpose.to_string());
    e.scope = serde_json::json!({ "case": case.id, "subject": subject, "from": case.from, "to": case.to, "sources": s.sources });
    e.rows_read = s.left_alone.values().sum::<u64>() + s.remainder.iter().map(|i| i.count).sum::<u64>();
    e.files_written = files.clone();
    e.details = serde_json::json!({ "left_alone": s.left_alone, "protected_messages": s.protected_messages, "remainder": s.remainder.len() });
    crate::audit_log::AuditLog::of(config).append(e)?;
    Ok((s, files))
}

/// The subject's name from the directory, with the address.
fn subject_by_name(config: &Config, case: &Case) -> String {
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
    match name.filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} <{}>", case.subject),
        None => format!("<{}>", case.subject),
    }
}

/// `case report`: step 3 (8.1e): the case file with the remainder's content.
pub fn report(
    config: &Config,
    clock: &Clock,
    key: &Key,
    id: &str,
    probe: &Probe,
    operator: Option<&str>,
) -> Result<Vec<FileHash>, Error> {
    let who = audit_log::operator(operator);
    let case = checked_case(config, clock, &who, "case report", id, probe)?;
    let s = screening(config, key, &case)?;
    let mut m = String::new();
    let _ = writeln!(m, "# Case file {}\n", case.id);
    let _ = writeln!(m, "- suspicion (CTL-3): {}", crate::report::render::md(&case.suspicion));
    let _ = writeln!(m, "- approved by: {} · opened: {}", crate::report::render::md(&case.approved_by), case.opened_at);
    let _ =
        writeln!(m, "- retention hold: {}", if case.hold { "yes, for exactly this subject and window" } else { "no" });
    m.push_str(&screening_markdown(&s, true, &crate::report::render::md(&subject_by_name(config, &case))));
    let _ = writeln!(
        m,
        "\nOther people appear as pseudonyms of key period {}. Content (↳) is shown only for the remainder (CTL-5); protected mail never (CTL-7, CTL-8).",
        key.period
    );
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
    let mut e = audit_log::entry(clock.now(), "case report", &who, &case.purpose.to_string());
    e.scope = serde_json::json!({ "case": case.id, "subject": key.pseudonym(&case.subject), "from": case.from, "to": case.to });
    e.rows_read = s.remainder.iter().map(|i| i.count).sum();
    e.files_written = files.clone();
    e.details = serde_json::json!({ "remainder": s.remainder.len(), "content_shown": s.remainder.iter().map(|i| i.content.len()).sum::<usize>() });
    crate::audit_log::AuditLog::of(config).append(e)?;
    Ok(files)
}

fn purpose_words(p: char, nl: bool) -> &'static str {
    let lang = if nl { crate::report::Lang::Nl } else { crate::report::Lang::En };
    Purpose::parse(&p.to_string()).map_or("", |p| crate::report::text::purpose(lang, p))
}

/// The sentences of the letter to the subject in one language; `letter` puts the case's
/// facts between them, so both languages share one layout.
struct LetterText {
    nl: bool,
    title: &'static str,
    to: &'static str,
    date: &'static str,
    opening: &'static str,
    why: &'static str,
    purpose: &'static str,
    approved: &'static str,
    period: &'static str,
    through: &'static str,
    sources: &'static str,
    method: &'static str,
    outcome: &'static str,
    kept: &'static str,
    kept_days: &'static str,
    held: &'static str,
    held_end: &'static str,
    rights: &'static str,
    /// The sources, by their table name: email, web, signin.
    source_words: [&'static str; 3],
}

const LETTER_NL: LetterText = LetterText {
    nl: true,
    title: "# Kennisgeving van een gerichte controle (dossier ",
    to: "Aan: ",
    date: "Datum: ",
    opening: "Beste,\n\nZoals het ICT-protocol van de school voorschrijft (art. 6.6), laten we u weten dat wij uw gebruik van de ICT-middelen van de school gericht hebben gecontroleerd.",
    why: "## Waarom\n\nEr was een concreet vermoeden: ",
    purpose: "Doel van de controle (art. 7.1): ",
    approved: ". De controle werd goedgekeurd door ",
    period: "## Wat werd gecontroleerd\n\nDe periode van ",
    through: " tot en met ",
    sources: "; de bronnen: ",
    method: ". Eerst werden enkel metagegevens bekeken (afzenders, bestemmingen, websites, tijdstippen). Wat regelmatig leek, werd niet geopend. Berichten met het label persoonlijk en berichten met vertrouwenspersonen werden niet inhoudelijk bekeken.",
    outcome: "## Uitkomst",
    kept: "## Hoe lang de gegevens bewaard blijven\n\nLogbestanden worden ",
    kept_days: " dagen bewaard en dan gewist.",
    held: " De gegevens van deze controle worden bewaard tot en met ",
    held_end: " en daarna gewist.",
    rights: "## Uw rechten\n\nU hebt het recht om de gegevens over u in te zien en om ze te laten verbeteren. U kunt uw standpunt over deze controle laten weten aan de directie of aan de functionaris voor gegevensbescherming van de school. U kunt ook klacht indienen bij de Gegevensbeschermingsautoriteit (Drukpersstraat 35, 1000 Brussel, www.gegevensbeschermingsautoriteit.be).\n\nMet vriendelijke groeten,\n\nDe directie",
    source_words: ["e-mailverkeer", "webverkeer", "aanmeldingen"],
};

const LETTER_EN: LetterText = LetterText {
    nl: false,
    title: "# Notice of a targeted check (case ",
    to: "To: ",
    date: "Date: ",
    opening: "Dear colleague,\n\nAs the school's ICT protocol requires (art. 6.6), we let you know that your use of the school's ICT facilities was the subject of a targeted check.",
    why: "## Why\n\nThere was a concrete suspicion: ",
    purpose: "Purpose of the check (art. 7.1): ",
    approved: ". The check was approved by ",
    period: "## What was checked\n\nThe period from ",
    through: " to ",
    sources: " inclusive; the sources: ",
    method: ". First only metadata were looked at (senders, destinations, websites, times). What looked regular was not opened. Messages labelled personal and messages with confidential counsellors were not looked at for content.",
    outcome: "## Outcome",
    kept: "## How long the data are kept\n\nLogs are kept for ",
    kept_days: " days and then deleted.",
    held: " The data of this check are kept until ",
    held_end: " inclusive and then deleted.",
    rights: "## Your rights\n\nYou have the right to see the data about you and to have them corrected. You can give your view of this check to the school leadership or to the school's data protection officer. You can also lodge a complaint with the Belgian Data Protection Authority (Gegevensbeschermingsautoriteit / Autorité de protection des données, rue de la Presse 35, 1000 Brussels, www.dataprotectionauthority.be).\n\nKind regards,\n\nThe school leadership",
    source_words: ["mail traffic", "web traffic", "sign-ins"],
};

/// What both letters say of a closed case, read once: the subject by name, the day of
/// closing, the end of a hold, the sources screened.
struct LetterFacts {
    subject: String,
    closed: String,
    keep_until: String,
    sources: Vec<String>,
}

impl LetterFacts {
    fn of(config: &Config, case: &Case, screened: &BTreeMap<String, String>) -> LetterFacts {
        let keep_until = if case.hold {
            let holds = crate::store::hold::Holds::load(&config.holds_path()).ok();
            holds
                .and_then(|h| h.holds.iter().rev().find(|x| x.case == case.id).map(|x| x.until.to_string()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        LetterFacts {
            subject: subject_by_name(config, case),
            closed: case.closed_at.as_deref().unwrap_or("").get(..10).unwrap_or("").to_string(),
            keep_until,
            sources: screened.iter().filter(|(_, how)| how.as_str() == "screened").map(|(s, _)| s.clone()).collect(),
        }
    }
}

/// The letter to the subject (CTL-6), in the language of `t`.
fn letter(config: &Config, case: &Case, facts: &LetterFacts, t: &LetterText) -> String {
    let sources: Vec<&str> = facts
        .sources
        .iter()
        .map(|s| match s.as_str() {
            "email" => t.source_words[0],
            "web" => t.source_words[1],
            "signin" => t.source_words[2],
            _ => "",
        })
        .collect();
    let held = if facts.keep_until.is_empty() {
        String::new()
    } else {
        format!("{}{}{}", t.held, facts.keep_until, t.held_end)
    };
    let mut m = String::new();
    let _ = writeln!(m, "{}{})\n", t.title, case.id);
    let _ = writeln!(m, "{}{}\n\n{}{}\n", t.to, facts.subject, t.date, facts.closed);
    let _ = writeln!(m, "{}\n", t.opening);
    let _ = writeln!(
        m,
        "{}{}\n\n{}{}{}{}.\n",
        t.why,
        case.suspicion,
        t.purpose,
        purpose_words(case.purpose, t.nl),
        t.approved,
        case.approved_by
    );
    let _ = writeln!(
        m,
        "{}{}{}{}{}{}{}\n",
        t.period,
        case.from,
        t.through,
        case.to,
        t.sources,
        sources.join(", "),
        t.method
    );
    let _ = writeln!(m, "{}\n\n{}\n", t.outcome, case.outcome.as_deref().unwrap_or(""));
    let _ = writeln!(m, "{}{}{}{held}\n", t.kept, config.retention_days, t.kept_days);
    let _ = writeln!(m, "{}", t.rights);
    m
}

/// `case close`: the outcome, the letters, and the day they are due.
pub fn close(
    config: &Config,
    clock: &Clock,
    key: &Key,
    id: &str,
    outcome: &str,
    operator: Option<&str>,
) -> Result<(Case, Vec<FileHash>), Error> {
    let who = audit_log::operator(operator);
    let now = clock.now();
    if outcome.trim().is_empty() {
        return Err(refuse(
            config,
            clock,
            &who,
            "case close",
            id,
            format!("case {id}: --outcome is empty; the letter must say what came of the check (CTL-6)"),
        ));
    }
    let mut case = checked_case(config, clock, &who, "case close", id, &Probe::default())?;
    if case.closed_at.is_some() {
        return Err(refuse(config, clock, &who, "case close", id, format!("case {id} is already closed")));
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
            ("letter-nl.md", letter(config, &case, &facts, &LETTER_NL)),
            ("letter-en.md", letter(config, &case, &facts, &LETTER_EN)),
        ],
    )?;
    let mut cases = Cases::load(&Cases::path(config))?;
    if let Some(c) = cases.cases.iter_mut().find(|c| c.id == id) {
        *c = case.clone();
    }
    cases.save()?;
    let mut e = audit_log::entry(now, "case close", &who, &case.purpose.to_string());
    e.scope = serde_json::json!({ "case": case.id, "subject": key.pseudonym(&case.subject), "from": case.from, "to": case.to });
    e.files_written = files.clone();
    e.details = serde_json::json!({ "letter_due": case.letter_due });
    crate::audit_log::AuditLog::of(config).append(e)?;
    Ok((case, files))
}

/// `case notified`: the letter reached the subject.
pub fn notified(config: &Config, clock: &Clock, id: &str, operator: Option<&str>) -> Result<Case, Error> {
    let who = audit_log::operator(operator);
    let now = clock.now();
    let mut cases = Cases::load(&Cases::path(config))?;
    let Some(case) = cases.cases.iter_mut().find(|c| c.id == id) else {
        return Err(refuse(
            config,
            clock,
            &who,
            "case notified",
            id,
            format!("no case {id:?}; `logwacht case list` shows them"),
        ));
    };
    if case.closed_at.is_none() {
        return Err(refuse(
            config,
            clock,
            &who,
            "case notified",
            id,
            format!("case {id} is not closed yet; close it first (the letter is written then)"),
        ));
    }
    case.notified_at = Some(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let case = case.clone();
    cases.save()?;
    let mut e = audit_log::entry(now, "case notified", &who, &case.purpose.to_string());
    e.scope = serde_json::json!({ "case": case.id });
    crate::audit_log::AuditLog::of(config).append(e)?;
    Ok(case)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::{Field, Schema};

    use super::*;

    fn case() -> Case {
        Case {
            id: "2026-014".into(),
            subject: "jan@school.example".into(),
            suspicion: "a concrete suspicion".into(),
            purpose: 'a',
            from: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(),
            approved_by: "directie".into(),
            opened_at: "2026-11-22T03:00:00Z".into(),
            hold: false,
            closed_at: None,
            outcome: None,
            letter_due: None,
            notified_at: None,
        }
    }

    fn rows(rows: &[(&str, &str, &str)]) -> Vec<RecordBatch> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("event_time", DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())), false),
            Field::new("sender", DataType::Utf8, true),
            Field::new("recipient", DataType::Utf8, true),
        ]));
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(TimestampMicrosecondArray::from_iter_values(rows.iter().map(|r| t(r.0))).with_timezone("UTC")),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
            ],
        )
        .unwrap();
        vec![batch]
    }

    #[test]
    fn a_case_query_row_outside_the_subject_or_the_window_stops_the_case() {
        let c = case();
        let window = Window::local_days(c.from, c.to, chrono_tz::Europe::Brussels);
        let ok = rows(&[
            ("2026-11-20T09:00:00Z", "jan@school.example", "x@y"),
            ("2026-11-21T09:00:00Z", "x@y", "jan@school.example"),
        ]);
        assert!(in_scope(ok, &c, window).is_ok());
        let other = rows(&[("2026-11-20T09:00:00Z", "an@school.example", "x@y")]);
        let err = in_scope(other, &c, window).unwrap_err().to_string();
        assert!(err.contains("outside its subject or window") && !err.contains("an@school"), "{err}");
        let late = rows(&[("2026-11-23T09:00:00Z", "jan@school.example", "x@y")]);
        assert!(in_scope(late, &c, window).is_err());
    }
}
