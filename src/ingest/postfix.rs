//! Postfix syslog (`/var/log/mail.log`). A message's facts are spread over lines that share
//! a queue id: `smtpd` `client=host[IP]` (and `sasl_username=`), `cleanup`
//! `message-id=<...>` (and headers logged by `header_checks`: Subject, From, To, Cc,
//! Sensitivity, X-Mailer, attachment names), `qmgr` `from=<...>, size=N,
//! nrcpt=N`; each delivery attempt `to=<...>, ..., status=sent|deferred|bounced` becomes a
//! row carrying what the earlier lines said. `NOQUEUE: reject:` lines are rows too.
//!
//! Classic syslog stamps (`Nov 22 10:00:01`) have no year and no zone: they are read in
//! the school's time zone, and the year is `--year`, else the latest year that does not
//! put the event in the future.
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use regex::Regex;

use crate::ingest::IngestError;
use crate::ingest::record::{EmailBatcher, EmailRecord, normalise_address};
use crate::ingest::sink::Sink;
use crate::ingest::time::local_to_utc;

/// How to read syslog stamps.
#[derive(Debug, Clone, Copy)]
pub struct SyslogTime {
    /// The zone the mail server logs in (the school's).
    pub tz: Tz,
    /// The year of classic stamps, when known (`--year`).
    pub year: Option<i32>,
    /// Now, UTC µs: no inferred stamp lies more than a day after it.
    pub now_us: i64,
}

/// `<queue id>: <rest>`: a queue id is five or more ASCII letters and digits.
fn queued(msg: &str) -> Option<(&str, &str)> {
    let end = msg.bytes().position(|b| !b.is_ascii_alphanumeric()).unwrap_or(msg.len());
    let rest = msg[end..].strip_prefix(": ")?;
    (end >= 5).then(|| (&msg[..end], rest))
}

/// The parts of a syslog line: `<stamp> <host> <prog>[<pid>]: <msg>`.
struct SyslogLine<'a> {
    stamp: &'a str,
    prog: &'a str,
    msg: &'a str,
}

/// Splits a syslog line by hand: the per-line regex with named groups was most of the
/// parse time. Accepts exactly what `LINE` in the tests accepts (a test compares them on
/// every fixture line and on damaged copies): a classic stamp (`Nov 22 10:00:01`) or an
/// RFC 3339 one, a host without white space, a program name of ASCII letters, digits,
/// `_`, `/`, `.` and `-`, an optional `[pid]`, then `: `.
fn syslog_line(line: &str) -> Option<SyslogLine<'_>> {
    let b = line.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let stamp_len = if b.first().is_some_and(u8::is_ascii_uppercase) {
        // `[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d`
        let ok = b.get(1).is_some_and(u8::is_ascii_lowercase)
            && b.get(2).is_some_and(u8::is_ascii_lowercase)
            && at(3, b' ')
            && (at(4, b' ') || digit(4))
            && digit(5)
            && at(6, b' ')
            && digit(7)
            && digit(8)
            && at(9, b':')
            && digit(10)
            && digit(11)
            && at(12, b':')
            && digit(13)
            && digit(14);
        ok.then_some(15)?
    } else {
        // `\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)`
        let fixed = "dddd-dd-ddTdd:dd:dd".bytes().enumerate().all(|(i, p)| if p == b'd' { digit(i) } else { at(i, p) });
        if !fixed {
            return None;
        }
        let mut i = 19;
        if at(i, b'.') && digit(i + 1) {
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        if at(i, b'Z') {
            i + 1
        } else if at(i, b'+') || at(i, b'-') {
            if !(digit(i + 1) && digit(i + 2)) {
                return None;
            }
            i += 3;
            if at(i, b':') {
                i += 1;
            }
            (digit(i) && digit(i + 1)).then_some(i + 2)?
        } else {
            return None;
        }
    };
    let stamp = &line[..stamp_len];
    let rest = line[stamp_len..].strip_prefix(' ')?;
    let host_end = rest.find(char::is_whitespace)?;
    if host_end == 0 {
        return None;
    }
    let rest = rest[host_end..].strip_prefix(' ')?;
    let prog_end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '/' | '.' | '-')))?;
    if prog_end == 0 {
        return None;
    }
    let prog = &rest[..prog_end];
    let mut after = &rest[prog_end..];
    if let Some(pid) = after.strip_prefix('[') {
        let close = pid.find(']')?;
        if close == 0 || !pid[..close].bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        after = &pid[close + 1..];
    }
    let msg = after.strip_prefix(": ")?;
    Some(SyslogLine { stamp, prog, msg })
}

static CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^client=(?P<host>[^\[\s,]+)\[(?P<ip>[^\]]*)\](?:.*?sasl_username=(?P<sasl>[^,\s]+))?")
        .expect("static regex")
});
static ADDR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s,;])(?P<key>from|to|orig_to)=<(?P<addr>[^>]*)>").expect("static regex"));
static KV: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[\s,])(?P<key>size|nrcpt|status)=(?P<val>[^,\s]+)").expect("static regex"));
/// A header logged by `header_checks`/`mime_header_checks` with the `INFO` action.
static HEADER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:info|warning): header (?P<name>[A-Za-z][A-Za-z0-9-]*): ?(?P<val>.*?) from \S+\[[^\]]*\];")
        .expect("static regex")
});
static HEADER_ADDR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"[^\s<>,;:"'()\[\]]+@[^\s<>,;:"'()\[\]]+"#).expect("static regex"));
static FILE_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(?:file)?name\*?=\s*(?:"(?P<q>[^"]*)"|(?P<b>[^;\s]+))"#).expect("static regex")
});
static REJECT_FROM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"reject: \S+ from (?P<host>[^\[\s]+)\[(?P<ip>[^\]]*)\]").expect("static regex"));

#[derive(Default, Clone)]
struct Queued {
    client_host: Option<String>,
    client_ip: Option<String>,
    submitted_by: Option<String>,
    message_id: Option<String>,
    subject: Option<String>,
    sender: Option<String>,
    size: Option<i64>,
    nrcpt: Option<i64>,
    sensitivity: Option<String>,
    mailer: Option<String>,
    header_from: Option<String>,
    attachments: Vec<String>,
    /// Recipients a logged To:/Cc: header names, with `to` or `cc`.
    visible: Vec<(String, &'static str)>,
    /// The time of its last line: a message not seen for [`QUEUE_LIFETIME_US`] is flushed.
    last_seen: i64,
}

/// How many messages in flight the reader keeps: a log with a million queue ids that never
/// complete must not hold a million messages.
const MAX_QUEUED: usize = 100_000;
/// Postfix's own `maximal_queue_lifetime` (5 days): a message not seen for longer is
/// flushed as incomplete.
const QUEUE_LIFETIME_US: i64 = 5 * crate::calendar::DAY_US;
/// Headers of one message kept at most (To/Cc addresses, attachment names).
const MAX_PER_MESSAGE: usize = 1_000;

/// Flushes incomplete messages when the queue is full: first those not seen for the queue
/// lifetime before `now`, then, if still full, the older half. Returns how many went.
fn flush_incomplete(queue: &mut HashMap<String, Queued>, now: i64) -> usize {
    let before = queue.len();
    queue.retain(|_, q| now - q.last_seen <= QUEUE_LIFETIME_US);
    if queue.len() >= MAX_QUEUED {
        let mut seen: Vec<i64> = queue.values().map(|q| q.last_seen).collect();
        let mid = seen.len() / 2;
        let (_, median, _) = seen.select_nth_unstable(mid);
        let median = *median;
        queue.retain(|_, q| q.last_seen > median);
    }
    before - queue.len()
}

impl Queued {
    /// Keeps what a logged header says (docs/schema.md: which headers, which columns).
    fn header(&mut self, name: &str, value: &str) {
        match name.to_ascii_lowercase().as_str() {
            "subject" => self.subject = Some(value.to_string()),
            "sensitivity" => self.sensitivity = Some(value.trim().to_string()),
            "x-mailer" | "user-agent" => self.mailer = Some(value.trim().to_string()),
            "from" => self.header_from = HEADER_ADDR.find(value).and_then(|m| normalise_address(m.as_str())),
            kind @ ("to" | "cc") => {
                let kind = if kind == "to" { "to" } else { "cc" };
                for m in HEADER_ADDR.find_iter(value) {
                    if let Some(a) = normalise_address(m.as_str())
                        && self.visible.len() < MAX_PER_MESSAGE
                    {
                        self.visible.push((a, kind));
                    }
                }
            }
            "content-type" | "content-disposition" => {
                if let Some(c) = FILE_NAME.captures(value) {
                    let file = c.name("q").or(c.name("b")).map(|m| m.as_str().trim()).unwrap_or_default();
                    if !file.is_empty()
                        && self.attachments.len() < MAX_PER_MESSAGE
                        && !self.attachments.iter().any(|a| a == file)
                    {
                        self.attachments.push(file.to_string());
                    }
                }
            }
            _ => {}
        }
    }

    /// `to`/`cc` when a logged header names the recipient, `bcc` when headers were logged
    /// and do not, NULL when none were.
    fn recipient_type(&self, recipient: Option<&str>) -> Option<String> {
        if self.visible.is_empty() {
            return None;
        }
        let r = recipient?;
        Some(self.visible.iter().find(|(a, _)| a == r).map_or("bcc", |(_, k)| k).to_string())
    }
}

/// True when a line looks like a Postfix syslog line.
pub fn sniff(line: &str) -> bool {
    syslog_line(line).is_some_and(|l| l.prog.starts_with("postfix"))
}

fn stamp(text: &str, opts: &SyslogTime) -> Option<i64> {
    if text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return DateTime::parse_from_rfc3339(text).ok().map(|t| t.timestamp_micros());
    }
    let month = match &text[..3] {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    let day: u32 = text[4..6].trim().parse().ok()?;
    let time = NaiveTime::parse_from_str(&text[7..], "%H:%M:%S").ok()?;
    let at = |year: i32| {
        NaiveDate::from_ymd_opt(year, month, day).and_then(|d| local_to_utc(NaiveDateTime::new(d, time), opts.tz))
    };
    if let Some(y) = opts.year {
        return at(y);
    }
    let this_year = DateTime::from_timestamp_micros(opts.now_us)?.with_timezone(&opts.tz).year();
    let limit = opts.now_us + crate::calendar::DAY_US;
    // Feb 29 exists only in some years: walk back until it does and is not in the future.
    (0..8).map(|back| this_year - back).find_map(|y| at(y).filter(|t| *t <= limit))
}

/// Reads a Postfix mail log.
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<EmailBatcher>, opts: SyslogTime) -> Result<(), IngestError> {
    let path = sink.provenance().file.to_string();
    let mut queue: HashMap<String, Queued> = HashMap::new();
    let mut incomplete = 0u64;
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    let max = sink.max_record();
    loop {
        buf.clear();
        let (n, too_long) = crate::ingest::lines::read_line_capped(input, &mut buf, max)
            .map_err(|e| IngestError::Read { path: path.clone().into(), source: e })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if too_long {
            sink.reject_too_long(line_no, &buf)?;
            continue;
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            sink.reject(line_no, "not valid UTF-8", &buf, None)?;
            continue;
        };
        let text = text.trim_end_matches(['\r', '\n']);
        if text.trim().is_empty() {
            sink.skip();
            continue;
        }
        let Some(parts) = syslog_line(text) else {
            sink.reject(line_no, "not a syslog line", text.as_bytes(), None)?;
            continue;
        };
        let Some(t) = stamp(parts.stamp, &opts) else {
            sink.reject(line_no, "unparseable syslog time", text.as_bytes(), None)?;
            continue;
        };
        if !parts.prog.starts_with("postfix") {
            sink.skip();
            continue;
        }
        let msg = parts.msg;
        if let Some(rest) = msg.strip_prefix("NOQUEUE: ") {
            if rest.starts_with("reject:") || rest.starts_with("milter-reject:") {
                let mut rec = EmailRecord {
                    event_time: t,
                    event: Some("reject".into()),
                    status: Some("reject".into()),
                    ..Default::default()
                };
                if let Some(c) = REJECT_FROM.captures(rest) {
                    rec.client_host = Some(c["host"].to_string());
                    rec.client_ip = Some(c["ip"].to_string());
                }
                for c in ADDR.captures_iter(rest) {
                    match &c["key"] {
                        "from" => rec.sender = normalise_address(&c["addr"]),
                        "to" => rec.recipient = normalise_address(&c["addr"]),
                        _ => {}
                    }
                }
                sink.accept(&rec, line_no)?;
            } else {
                sink.skip();
            }
            continue;
        }
        let Some((qid, rest)) = queued(msg) else {
            sink.skip();
            continue;
        };
        if rest == "removed" {
            queue.remove(qid);
            sink.skip();
            continue;
        }
        if !queue.contains_key(qid) {
            if queue.len() >= MAX_QUEUED {
                incomplete += flush_incomplete(&mut queue, t) as u64;
            }
            queue.insert(qid.to_string(), Queued::default());
        }
        let Some(entry) = queue.get_mut(qid) else { continue };
        entry.last_seen = t;
        if let Some(c) = CLIENT.captures(rest) {
            entry.client_host = Some(c["host"].to_string());
            entry.client_ip = Some(c["ip"].to_string());
            entry.submitted_by = c.name("sasl").and_then(|s| normalise_address(s.as_str()));
            sink.skip();
        } else if let Some(id) = rest.strip_prefix("message-id=") {
            entry.message_id = Some(id.trim().to_string()).filter(|s| !s.is_empty());
            sink.skip();
        } else if let Some(c) = HEADER.captures(rest) {
            entry.header(&c["name"], &c["val"]);
            sink.skip();
        } else if rest.starts_with("from=<") {
            for c in ADDR.captures_iter(rest) {
                if &c["key"] == "from" {
                    entry.sender = normalise_address(&c["addr"]);
                }
            }
            for c in KV.captures_iter(rest) {
                match &c["key"] {
                    "size" => entry.size = c["val"].parse().ok(),
                    "nrcpt" => entry.nrcpt = c["val"].parse().ok(),
                    _ => {}
                }
            }
            sink.skip();
        } else if rest.starts_with("to=<") || rest.starts_with("reject:") || rest.starts_with("milter-reject:") {
            let reject = !rest.starts_with("to=<");
            let mut rec = EmailRecord {
                event_time: t,
                message_id: entry.message_id.clone(),
                trace_id: Some(qid.to_string()),
                sender: entry.sender.clone(),
                recipient_count: entry.nrcpt,
                subject: entry.subject.clone(),
                size_bytes: entry.size,
                client_ip: entry.client_ip.clone(),
                client_host: entry.client_host.clone(),
                submitted_by: entry.submitted_by.clone(),
                sensitivity: entry.sensitivity.clone(),
                mailer: entry.mailer.clone(),
                header_from: entry.header_from.clone(),
                attachment_names: Some(entry.attachments.join(";")).filter(|a| !a.is_empty()),
                ..Default::default()
            };
            for c in ADDR.captures_iter(rest) {
                match &c["key"] {
                    "to" => rec.recipient = normalise_address(&c["addr"]),
                    "from" if reject => rec.sender = normalise_address(&c["addr"]),
                    _ => {}
                }
            }
            rec.recipient_type = entry.recipient_type(rec.recipient.as_deref());
            let status = if reject {
                Some("reject".to_string())
            } else {
                KV.captures_iter(rest).find(|c| &c["key"] == "status").map(|c| c["val"].to_string())
            };
            rec.event = status.clone();
            rec.status = status;
            sink.accept(&rec, line_no)?;
        } else {
            sink.skip();
        }
    }
    sink.note_incomplete(incomplete);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_queue_flushes_stale_messages_first_then_the_older_half() {
        let mut q: HashMap<String, Queued> = HashMap::new();
        let day = crate::calendar::DAY_US;
        for i in 0..MAX_QUEUED {
            // Half of them a week old, half of them fresh.
            let last_seen = if i % 2 == 0 { 0 } else { 7 * day + i as i64 };
            q.insert(format!("Q{i}"), Queued { last_seen, ..Default::default() });
        }
        assert_eq!(flush_incomplete(&mut q, 7 * day + MAX_QUEUED as i64), MAX_QUEUED / 2);
        assert!(q.values().all(|x| x.last_seen > 0));
        // All fresh and the queue full again: the older half goes.
        for i in 0..MAX_QUEUED / 2 {
            q.insert(format!("R{i}"), Queued { last_seen: 7 * day + i as i64, ..Default::default() });
        }
        let gone = flush_incomplete(&mut q, 7 * day + MAX_QUEUED as i64);
        assert!(gone >= MAX_QUEUED / 2 - 1 && q.len() <= MAX_QUEUED / 2 + 1, "{gone} {}", q.len());
    }

    fn opts(now: &str, year: Option<i32>) -> SyslogTime {
        SyslogTime {
            tz: "Europe/Brussels".parse().unwrap(),
            year,
            now_us: DateTime::parse_from_rfc3339(now).unwrap().timestamp_micros(),
        }
    }

    fn iso(us: i64) -> String {
        DateTime::from_timestamp_micros(us).unwrap().to_rfc3339()
    }

    #[test]
    fn syslog_year_is_inferred_so_nothing_lies_in_the_future() {
        let jan = opts("2027-01-03T12:00:00Z", None);
        assert_eq!(iso(stamp("Dec 31 23:30:00", &jan).unwrap()), "2026-12-31T22:30:00+00:00");
        assert_eq!(iso(stamp("Jan  2 10:00:00", &jan).unwrap()), "2027-01-02T09:00:00+00:00");
        assert_eq!(
            iso(stamp("Dec 31 23:30:00", &opts("2027-01-03T12:00:00Z", Some(2020))).unwrap()),
            "2020-12-31T22:30:00+00:00"
        );
        assert_eq!(iso(stamp("2026-11-20T10:00:00.5+01:00", &jan).unwrap()), "2026-11-20T09:00:00.500+00:00");
    }

    /// The syslog line as a regex: the specification `syslog_line` and `queued` follow.
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(?P<stamp>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:?[0-9]{2})) (?P<host>\S+) (?P<prog>[A-Za-z0-9_/.-]+)(?:\[[0-9]+\])?: (?P<msg>.*)$",
        )
        .unwrap()
    });
    static QUEUED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(?P<qid>[0-9A-Za-z]{5,}): (?P<rest>.*)$").unwrap());

    #[test]
    fn hand_split_syslog_lines_agree_with_the_regex() {
        let mut lines: Vec<String> = Vec::new();
        for f in ["rules/mail.log", "email/mail.log"] {
            let p = format!("{}/fixtures/{f}", env!("CARGO_MANIFEST_DIR"));
            lines.extend(std::fs::read_to_string(&p).unwrap().lines().map(str::to_string));
        }
        assert!(lines.len() > 50, "{} fixture lines", lines.len());
        lines.extend(
            [
                "2026-11-20T10:00:00.123456+01:00 mx postfix/smtpd[1]: 4F9D5C0A1B: removed",
                "2026-11-20T10:00:00Z mx postfix/smtpd: ABCDE: removed",
                "2026-11-20T10:00:00+0100 mx postfix/smtpd[12]: ABCD: too short",
                "2026-11-20T10:00:00. mx postfix/smtpd[12]: x",
                "2026-11-20 10:00:00 mx postfix/smtpd[12]: x",
                "Nov  2 10:00:01 mx postfix/qmgr[]: x",
                "Nov  2 10:00:01 mx postfix/qmgr[12a]: x",
                "Nov  2 10:00:01  mx postfix/qmgr: x",
                "Nov  2 10:00:01 mx\tpostfix/qmgr: x",
                "Nov  2 10:00:01 mx postfix/qmgr:x",
                "Nov  2 10:00:01 mx postfix/qmgr: ",
                "Nov  2 10:00:01 mx pöstfix: x",
                "Nov  2 10:00:01 mx\u{a0}x postfix: x",
                "nov  2 10:00:01 mx postfix: x",
                "Nov 2 10:00:01 mx postfix: x",
                "",
            ]
            .map(str::to_string),
        );
        // Every line cut short at each character boundary, too.
        let cut: Vec<String> =
            lines.iter().flat_map(|l| l.char_indices().map(|(i, _)| l[..i].to_string()).collect::<Vec<_>>()).collect();
        lines.extend(cut);
        for l in &lines {
            let want = LINE.captures(l).map(|c| (c["stamp"].to_string(), c["prog"].to_string(), c["msg"].to_string()));
            let got = syslog_line(l).map(|p| (p.stamp.to_string(), p.prog.to_string(), p.msg.to_string()));
            assert_eq!(got, want, "{l:?}");
            if let Some((_, _, msg)) = want {
                let want = QUEUED.captures(&msg).map(|c| (c["qid"].to_string(), c["rest"].to_string()));
                let got = queued(&msg).map(|(q, r)| (q.to_string(), r.to_string()));
                assert_eq!(got, want, "{msg:?}");
            }
        }
    }

    #[test]
    fn sniff_knows_postfix_lines() {
        assert!(sniff("Nov 20 10:00:01 mail postfix/qmgr[1236]: 4F9D5C0A1B: removed"));
        assert!(!sniff("Nov 20 10:00:01 mail dovecot[12]: imap-login: Login"));
    }
}
