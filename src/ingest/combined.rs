//! Apache/Nginx combined log format:
//! `%h %l %u [%t] "%r" %>s %b "%{Referer}i" "%{User-agent}i"` (the common format without
//! the last two is read too). A request target in origin form (`/path`) has no host.
use std::io::BufRead;

use chrono::DateTime;

use crate::ingest::IngestError;
use crate::ingest::lines::read_web;
use crate::ingest::record::{WebBatcher, WebRecord, non_empty};
use crate::ingest::sink::Sink;
use crate::ingest::squid::split_url;

/// True when a line looks like combined or common log format.
pub fn sniff(line: &str) -> bool {
    parse_line(line).is_ok()
}

fn word<'a>(s: &mut &'a str) -> Option<&'a str> {
    let t = s.trim_start_matches(' ');
    let end = t.find(' ').unwrap_or(t.len());
    let (w, rest) = t.split_at(end);
    *s = rest;
    (!w.is_empty()).then_some(w)
}

/// A `"..."` field with `\"` escapes, returned as written (escapes kept).
fn quoted<'a>(s: &mut &'a str) -> Option<&'a str> {
    let t = s.trim_start_matches(' ').strip_prefix('"')?;
    let bytes = t.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => {
                *s = &t[i + 1..];
                return Some(&t[..i]);
            }
            _ => i += 1,
        }
    }
    None
}

/// The `[%t]` time of a line, read even when the rest is damaged.
pub fn time_of(line: &str) -> Option<i64> {
    let t = &line[line.find('[')? + 1..];
    let end = t.find(']')?;
    DateTime::parse_from_str(&t[..end], "%d/%b/%Y:%H:%M:%S %z").ok().map(|d| d.timestamp_micros())
}

/// Parses one line; `Err` carries the rejection reason.
pub fn parse_line(line: &str) -> Result<WebRecord<'_>, &'static str> {
    let mut s = line;
    let client = word(&mut s).ok_or("empty line")?;
    let _ident = word(&mut s).ok_or("no ident field")?;
    let user = word(&mut s).ok_or("no user field")?;
    let t = s.trim_start_matches(' ').strip_prefix('[').ok_or("no [time] field")?;
    let end = t.find(']').ok_or("no [time] field")?;
    let event_time =
        DateTime::parse_from_str(&t[..end], "%d/%b/%Y:%H:%M:%S %z").map_err(|_| "unparseable time")?.timestamp_micros();
    s = &t[end + 1..];
    let request = quoted(&mut s).ok_or("no quoted request")?;
    let status = word(&mut s).ok_or("no status")?;
    let http_status: i32 = status.parse().map_err(|_| "status is not a number")?;
    let bytes = word(&mut s).ok_or("no size")?;
    let bytes = if bytes == "-" { Some(0) } else { Some(bytes.parse::<i64>().map_err(|_| "size is not a number")?) };
    let referer = quoted(&mut s);
    let user_agent = if referer.is_some() { quoted(&mut s) } else { None };
    let mut parts = request.splitn(3, ' ');
    let (method, target) = match (parts.next(), parts.next()) {
        (Some(m), Some(t)) => (Some(m), Some(t)),
        _ => (None, non_empty(request)),
    };
    let (host, path) = target.map(split_url).unwrap_or((None, None));
    Ok(WebRecord {
        event_time,
        client_ip: non_empty(client),
        user: non_empty(user),
        method,
        url: target,
        host,
        path,
        http_status: Some(http_status),
        bytes,
        referer: referer.and_then(non_empty),
        user_agent: user_agent.and_then(non_empty),
        ..Default::default()
    })
}

/// Reads a combined (or common) access log.
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<WebBatcher>) -> Result<(), IngestError> {
    read_web(input, sink, |line| parse_line(line).map(Some), time_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_lines_parse_with_escapes_and_dashes() {
        let r = parse_line(r#"83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/kibana.png?x=1 HTTP/1.1" 200 203023 "http://semicomplete.com/" "Mozilla/5.0 \"quoted\"""#).unwrap();
        assert_eq!(r.event_time, DateTime::parse_from_rfc3339("2015-05-17T10:05:03Z").unwrap().timestamp_micros());
        assert_eq!((r.method, r.path, r.host), (Some("GET"), Some("/presentations/kibana.png?x=1"), None));
        assert_eq!(r.user_agent, Some(r#"Mozilla/5.0 \"quoted\""#));
        let c = parse_line(r#"2001:db8::1 - jan [20/Nov/2026:09:15:00 +0100] "-" 408 - "-" "-""#).unwrap();
        assert_eq!((c.method, c.url, c.bytes, c.user, c.referer), (None, None, Some(0), Some("jan"), None));
        assert_eq!(parse_line("garbage").unwrap_err(), "no ident field");
    }
}
