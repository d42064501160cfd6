//! Suspicious mail goes back to its sender (CTL-10, 003 art. 6.5: "In geval van verdachte
//! berichten wordt het bericht geautomatiseerd teruggezonden aan de verzender"). logwacht
//! sends no mail; it tells the mail system which messages to return.
//!
//! ```text
//! security rules (purpose e) and rules with `action: return`
//!   --run over the window--> their findings' evidence (source_file, source_line)
//!   --logwacht's own lookup in the mail table--> every row of each message found
//!   --> returns/<from>_<to>-<time>/: returns-exchange.csv + return-exchange.ps1,
//!       returns-postfix.tsv, returns.json; the trail records the list (count, hashes)
//! ```
//! What a list holds is fixed here, not by the rule: a rule only chooses *which* messages
//! (through its evidence columns), and the list names each by its ids, sender and
//! recipients, never by subject or attachment (CTL-7/8: a counsellor's message is listed by
//! id and sender). The rules run under the engine's purpose limits and protected-mail
//! views like every audit, so a protected look-alike is never found.
//!
//! A list is personal data: its folder expires with RET-4 (the purge removes it once its
//! window has left the retention window), and the weekly report counts the messages listed
//! per rule, without identities.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type, TimestampMicrosecondType};
use serde::Serialize;

use crate::audit_log::{self, FileHash};
use crate::config::Config;
use crate::error::Error;
use crate::rules::engine::{Engine, Window};
use crate::rules::{Purpose, Rule};

/// One recipient's copy of a message to return.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Copy {
    /// When the mail system logged it, RFC 3339 UTC.
    pub time: String,
    /// The system's id (Exchange's MessageTraceId, Postfix's queue id).
    pub trace_id: Option<String>,
    /// The Internet Message-ID.
    pub message_id: Option<String>,
    /// The envelope sender.
    pub sender: Option<String>,
    /// The recipient.
    pub recipient: Option<String>,
    /// The format it was read from (`exo-trace-csv`, `postfix`, ...).
    pub format: String,
}

/// One message to return.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    /// The rule that found it.
    pub rule: String,
    /// Why, in the rule's words (its English summary).
    pub reason: String,
    /// The finding's evidence: input file and line.
    pub evidence: (String, i64),
    /// Each recipient's copy.
    pub copies: Vec<Copy>,
}

/// A rule that could not be used, and why (no values).
pub type Unused = (String, String);

/// What `returns` found and wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The messages.
    pub messages: Vec<Message>,
    /// Per rule, messages listed.
    pub per_rule: BTreeMap<String, u64>,
    /// Rules that could not be used, and why (no values).
    pub skipped: Vec<Unused>,
    /// The folder, when anything was written.
    pub dir: Option<PathBuf>,
    /// The files with their SHA-256.
    pub files: Vec<FileHash>,
}

/// The rules whose messages go back: the security rules (purpose e) and any rule whose
/// header says `action: return`.
pub fn returning_rules(config: &Config) -> Result<Vec<Rule>, Error> {
    Ok(crate::rules::configured(config)?
        .into_iter()
        .filter(|r| r.mode.is_audited() && (r.returns || r.purpose == Purpose::E))
        .collect())
}

fn column<'a>(b: &'a RecordBatch, name: &str) -> Option<&'a std::sync::Arc<dyn Array>> {
    b.schema().index_of(name).ok().map(|i| b.column(i))
}

fn strings(a: &std::sync::Arc<dyn Array>) -> Result<Vec<Option<String>>, Error> {
    let s = datafusion::arrow::compute::cast(a, &DataType::Utf8).map_err(|e| Error::Bug(e.to_string()))?;
    let s = s.as_string::<i32>();
    Ok((0..s.len()).map(|i| (!s.is_null(i)).then(|| s.value(i).to_string())).collect())
}

fn ints(a: &std::sync::Arc<dyn Array>) -> Result<Vec<Option<i64>>, Error> {
    let n = datafusion::arrow::compute::cast(a, &DataType::Int64).map_err(|e| Error::Bug(e.to_string()))?;
    let n = n.as_primitive::<Int64Type>();
    Ok((0..n.len()).map(|i| (!n.is_null(i)).then(|| n.value(i))).collect())
}

/// Finds the messages of the window `from..=to` (local days) to return.
pub fn find(
    config: &Config,
    key: &crate::pseudonym::Key,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<(Vec<Message>, Vec<Unused>), Error> {
    let window = Window::local_days(from, to, config.timezone);
    let engine = Engine::new(config, Some(key), window)?;
    let mut wanted: Vec<(&Rule, (String, i64))> = Vec::new();
    let mut skipped = Vec::new();
    let rules = returning_rules(config)?;
    for rule in &rules {
        let batches = match engine.run(rule) {
            Ok(b) => b,
            Err(e) => {
                skipped.push((rule.id.clone(), crate::fsio::printable(&e.to_string())));
                continue;
            }
        };
        for b in &batches {
            let (Some(f), Some(l)) = (column(b, "source_file"), column(b, "source_line")) else {
                skipped.push((
                    rule.id.clone(),
                    "its rows have no evidence (source_file, source_line): the messages cannot be named".into(),
                ));
                break;
            };
            for (file, line) in strings(f)?.into_iter().zip(ints(l)?) {
                if let (Some(file), Some(line)) = (file, line) {
                    wanted.push((rule, (file, line)));
                }
            }
        }
    }
    if wanted.is_empty() {
        return Ok((Vec::new(), skipped));
    }
    // logwacht's own lookup: every row of the window's mail, the fixed columns only.
    let lookup = crate::rules::internal(
        "returns_messages",
        Purpose::E,
        "CTL-10",
        "SELECT event_time, trace_id, message_id, sender, recipient, CAST(source_format AS VARCHAR) AS source_format, \
         CAST(source_file AS VARCHAR) AS source_file, source_line FROM email",
    )?;
    let mut rows: Vec<(Copy, (String, i64))> = Vec::new();
    for b in engine.run(&lookup)? {
        let t = b.column(0).as_primitive::<TimestampMicrosecondType>();
        let (trace, mid, sender, rcpt, format, file) = (
            strings(b.column(1))?,
            strings(b.column(2))?,
            strings(b.column(3))?,
            strings(b.column(4))?,
            strings(b.column(5))?,
            strings(b.column(6))?,
        );
        let line = ints(b.column(7))?;
        for i in 0..b.num_rows() {
            let time = DateTime::<Utc>::from_timestamp_micros(t.value(i))
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default();
            let copy = Copy {
                time,
                trace_id: trace[i].clone(),
                message_id: mid[i].clone(),
                sender: sender[i].clone(),
                recipient: rcpt[i].clone(),
                format: format[i].clone().unwrap_or_default(),
            };
            rows.push((copy, (file[i].clone().unwrap_or_default(), line[i].unwrap_or(0))));
        }
    }
    // A message is its Message-ID, else its system id, within one input file's format.
    let message_key = |c: &Copy| c.message_id.clone().or_else(|| c.trace_id.clone()).map(|k| (c.format.clone(), k));
    // The window's mail indexed once: by input file and line (the first row there), and
    // by message (every copy, in the lookup's order).
    let mut at: HashMap<&(String, i64), usize> = HashMap::new();
    let mut copies_of: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (i, (c, evidence)) in rows.iter().enumerate() {
        at.entry(evidence).or_insert(i);
        if let Some(k) = message_key(c) {
            copies_of.entry(k).or_default().push(i);
        }
    }
    let mut messages: Vec<Message> = Vec::new();
    let mut listed: BTreeSet<(String, (String, String))> = BTreeSet::new();
    for (rule, evidence) in wanted {
        let Some(hit) = at.get(&evidence).map(|i| &rows[*i].0) else { continue };
        let copies: Vec<Copy> = match message_key(hit) {
            Some(k) => {
                if !listed.insert((rule.id.clone(), k.clone())) {
                    continue;
                }
                let mut c: Vec<Copy> = copies_of.get(&k).into_iter().flatten().map(|i| rows[*i].0.clone()).collect();
                c.sort();
                c.dedup();
                c
            }
            None => vec![hit.clone()],
        };
        messages.push(Message { rule: rule.id.clone(), reason: rule.summary_en.clone(), evidence, copies });
    }
    Ok((messages, skipped))
}

/// The Exchange list: `MessageTraceId, MessageId, SenderAddress, RecipientAddress,
/// Received, Rule, Reason`, one row per recipient, as `Get-MessageTrace` names them.
fn exchange_csv(messages: &[Message]) -> Result<String, Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let bug = |e: csv::Error| Error::Bug(e.to_string());
    w.write_record(["MessageTraceId", "MessageId", "SenderAddress", "RecipientAddress", "Received", "Rule", "Reason"])
        .map_err(bug)?;
    for m in messages {
        for c in m.copies.iter().filter(|c| !c.format.starts_with("postfix")) {
            let o = |v: &Option<String>| crate::report::render::guard(v.as_deref().unwrap_or(""));
            w.write_record([
                o(&c.trace_id),
                o(&c.message_id),
                o(&c.sender),
                o(&c.recipient),
                c.time.clone(),
                m.rule.clone(),
                crate::report::render::guard(&m.reason),
            ])
            .map_err(bug)?;
        }
    }
    String::from_utf8(w.into_inner().map_err(|e| Error::Bug(e.to_string()))?).map_err(|e| Error::Bug(e.to_string()))
}

/// The Postfix list: `queue_id`, `message_id`, `sender`, `rule`, tab-separated, one line per
/// message; a tab or line break inside a value is replaced by a space.
fn postfix_tsv(messages: &[Message]) -> String {
    let clean = |v: &str| v.replace(['\t', '\n', '\r'], " ");
    let mut out = String::from("# queue_id\tmessage_id\tsender\trule\n");
    let mut seen = BTreeSet::new();
    for m in messages {
        for c in m.copies.iter().filter(|c| c.format.starts_with("postfix")) {
            let line = format!(
                "{}\t{}\t{}\t{}\n",
                clean(c.trace_id.as_deref().unwrap_or("-")),
                clean(c.message_id.as_deref().unwrap_or("-")),
                clean(c.sender.as_deref().unwrap_or("-")),
                m.rule
            );
            if seen.insert(line.clone()) {
                out.push_str(&line);
            }
        }
    }
    out
}

/// The script a mail administrator runs for the Exchange list (no value of the list is
/// written into it: it reads the CSV beside it).
pub const EXCHANGE_SCRIPT: &str = include_str!("../templates/return-exchange.ps1");

/// Finds the window's messages to return, writes the lists and records them in the trail.
pub fn run(
    config: &Config,
    now: DateTime<Utc>,
    key: &crate::pseudonym::Key,
    (from, to): (NaiveDate, NaiveDate),
    operator: Option<&str>,
) -> Result<Outcome, Error> {
    let today = now.with_timezone(&config.timezone).date_naive();
    if to < from || to > today {
        return Err(Error::Usage(format!("--from {from} --to {to}: a range of days up to today ({today})")));
    }
    let (messages, skipped) = find(config, key, (from, to))?;
    let mut per_rule: BTreeMap<String, u64> = BTreeMap::new();
    for m in &messages {
        *per_rule.entry(m.rule.clone()).or_default() += 1;
    }
    let dir = config.returns_dir().join(format!("{from}_{to}-{}", now.format("%Y%m%dT%H%M%SZ")));
    let json = serde_json::to_string_pretty(&serde_json::json!({
        "schema": "logwacht-returns/1",
        "from": from,
        "to": to,
        "generated_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "messages": messages,
    }))
    .map_err(|e| Error::Bug(e.to_string()))?
        + "\n";
    let files = audit_log::write_files(
        &dir,
        &[
            ("returns-exchange.csv", exchange_csv(&messages)?),
            ("return-exchange.ps1", EXCHANGE_SCRIPT.to_string()),
            ("returns-postfix.tsv", postfix_tsv(&messages)),
            ("returns.json", json),
        ],
    )?;
    let event = audit_log::Event::Returns {
        from,
        to,
        per_rule: per_rule.clone(),
        skipped: skipped.iter().map(|(id, _)| id.as_str()).collect(),
        files: files.clone(),
    };
    audit_log::AuditLog::of(config).record(now, &audit_log::operator(operator), event)?;
    Ok(Outcome { messages, per_rule, skipped, dir: Some(dir), files })
}
