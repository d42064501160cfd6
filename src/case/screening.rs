//! Steps 1 and 2 of a case (8.1c-d): the subject's rows in the window, metadata only;
//! what looks regular is counted and left alone, the rest listed (with its content only
//! in the case report, step 3). Protected mail (CTL-7, CTL-8) is only ever counted.
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use serde::Serialize;

use crate::config::Config;
use crate::error::Error;
use crate::pseudonym::Key;
use crate::rules::Purpose;
use crate::rules::engine::{Engine, Limits, Window};
use crate::schema::Source;

use super::*;

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

pub(super) fn bug(e: impl std::fmt::Display) -> Error {
    Error::Bug(e.to_string())
}

/// Runs the case query `id` (`queries/case/`) for the case's subject.
fn run_case_query(engine: &Engine, id: &str, purpose: Purpose, case: &Case) -> Result<Vec<RecordBatch>, Error> {
    let q = crate::rules::case_query(id, purpose)?;
    Ok(engine.run_with(&q, vec![ScalarValue::Utf8(Some(case.subject.clone()))])?)
}

/// Reads column `name` of row `i` as text (NULL: None).
pub(super) fn text_at(b: &RecordBatch, name: &str, i: usize) -> Option<String> {
    let col = b.column_by_name(name)?;
    if col.is_null(i) {
        return None;
    }
    let c = datafusion::arrow::compute::cast(col, &DataType::Utf8).ok()?;
    Some(c.as_string::<i32>().value(i).to_string())
}

/// The columns that name whose row it is, in the case queries' outputs.
pub(super) const SCOPE_COLUMNS: [&str; 4] = ["sender", "recipient", "submitted_by", "user"];

/// The output gate of a case (CTL-3: as limited in time and scope as possible): the case
/// file and the letter name the subject on purpose, so what may reach them is decided by
/// the case's scope. Every row a case query returns is checked before anything is written:
/// it must be one of the subject's rows (an identity column of it holds the subject) and
/// lie in the case's window. A row outside stops the command; nothing is written.
pub(super) fn in_scope(batches: Vec<RecordBatch>, case: &Case, window: Window) -> Result<Vec<RecordBatch>, Error> {
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

pub(super) fn micros_at(b: &RecordBatch, i: usize) -> Option<i64> {
    let col = b.column_by_name("event_time")?;
    let c =
        datafusion::arrow::compute::cast(col, &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))).ok()?;
    (!c.is_null(i)).then(|| c.as_primitive::<TimestampMicrosecondType>().value(i))
}

pub(super) fn time_at(b: &RecordBatch, i: usize, tz: chrono_tz::Tz) -> String {
    let Some(col) = b.column_by_name("event_time") else { return String::new() };
    let Ok(c) = datafusion::arrow::compute::cast(col, &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())))
    else {
        return String::new();
    };
    DateTime::<Utc>::from_timestamp_micros(c.as_primitive::<TimestampMicrosecondType>().value(i))
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub(super) fn evidence_at(b: &RecordBatch, i: usize) -> String {
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
                        // Two hex digits, nothing else (from_str_radix would take "+1").
                        let hex = raw
                            .get(j + 1..j + 3)
                            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
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
    // Mail.
    if readable(Source::Email) {
        out.sources.insert("email".into(), "screened".into());
        let mut messages: BTreeMap<String, Item> = BTreeMap::new();
        let mut protected: BTreeSet<String> = BTreeSet::new();
        let mut regular: BTreeSet<String> = BTreeSet::new();
        for b in in_scope(run_case_query(&engine, "case_email", purpose, case)?, case, window)? {
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
        let mut words: Vec<String> = config.case_words.clone();
        words.extend(config.word_lists.values().flatten().cloned());
        let (mut requests, mut hosts) = (0u64, BTreeSet::new());
        let mut items: BTreeMap<(String, String), Item> = BTreeMap::new();
        for b in in_scope(run_case_query(&engine, "case_web", purpose, case)?, case, window)? {
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
        let mut regular = 0;
        for b in in_scope(run_case_query(&engine, "case_signin", purpose, case)?, case, window)? {
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

/// A case file in Markdown (`templates/case_screen.md`, the security officer's view of
/// steps 1 and 2, no content; `templates/case_report.md`, step 3, with the content of the
/// remainder when `content`). `subject` is a pseudonym or the subject by name; every value
/// is escaped by the template.
pub(super) fn screening_markdown(
    template: &str,
    case: &Case,
    s: &Screening,
    content: bool,
    subject: String,
    key_period: u32,
) -> Result<String, Error> {
    use crate::templates::safe;
    let sources: Vec<_> =
        s.sources.iter().map(|(name, how)| minijinja::context! { name => name, how => how }).collect();
    let left_alone: Vec<_> =
        s.left_alone.iter().map(|(what, n)| minijinja::context! { what => what, count => n }).collect();
    let remainder: Vec<_> = s
        .remainder
        .iter()
        .map(|it| {
            minijinja::context! {
                time => it.time.as_str(),
                source => safe(it.source.as_str()),
                why => it.why.join("; "),
                place => it.place.as_deref().unwrap_or(""),
                // Pseudonyms.
                others => safe(it.others.join(", ")),
                count => it.count,
                evidence => it.evidence.as_str(),
                content => it.content.clone(),
            }
        })
        .collect();
    let view = minijinja::context! {
        // The id was checked (fsio::check_id) when the case opened.
        id => safe(case.id.as_str()),
        suspicion => case.suspicion.as_str(),
        approved_by => case.approved_by.as_str(),
        opened_at => case.opened_at.as_str(),
        hold => case.hold,
        key_period => key_period,
        subject => subject,
        s => minijinja::context! { purpose => s.purpose.to_string(), from => s.from.to_string(), to => s.to.to_string(), protected_messages => s.protected_messages },
        sources => sources,
        left_alone => left_alone,
        remainder => remainder,
        content => content,
    };
    crate::templates::render(template, &view).map_err(Error::Bug)
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_terms_are_decoded_from_the_query_only() {
        let q = super::search_query;
        assert_eq!(q("/search?q=wachtwoord+school&x=1").as_deref(), Some("wachtwoord school"));
        assert_eq!(q("/?Search=%C3%A9cole").as_deref(), Some("école"));
        assert_eq!(q("/s?query=a#q=b").as_deref(), Some("a"));
        // A % without two hex digits stays as written.
        assert_eq!(q("/?q=%zz%4").as_deref(), Some("%zz%4"));
        assert_eq!(q("/?q=%+1").as_deref(), Some("% 1"));
        // No query, an empty value, or a q= in the path: no search terms.
        assert_eq!(q("/q=wachtwoord"), None);
        assert_eq!(q("/?q=&search="), None);
        assert_eq!(q("/?lang=nl"), None);
    }

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
            staff_step: None,
            interview: false,
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
