//! Squid native `access.log`:
//! `time.ms elapsed client action/code bytes method URL ident hierarchy/peer type`,
//! `-` for unknown fields, `CONNECT host:443` for TLS. The hot path of the pipeline: the
//! line is split in place and the record borrows from it.
use std::io::BufRead;

use crate::ingest::IngestError;
use crate::ingest::lines::read_web;
use crate::ingest::record::{WebBatcher, WebRecord};
use crate::ingest::sink::Sink;

/// True when a line looks like Squid native format.
pub fn sniff(line: &str) -> bool {
    let mut f = line.split_ascii_whitespace();
    let (Some(t), Some(e), Some(_), Some(code)) = (f.next(), f.next(), f.next(), f.next()) else {
        return false;
    };
    parse_time(t).is_some() && e.parse::<i64>().is_ok() && code.contains('/') && f.count() >= 5
}

/// `1700000000.123` -> µs.
fn parse_time(t: &str) -> Option<i64> {
    let (secs, frac) = t.split_once('.').unwrap_or((t, ""));
    if secs.is_empty() || frac.len() > 6 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let mut micros: i64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        micros += i64::from(b - b'0') * 10i64.pow(5 - i as u32);
    }
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

/// The time of a line, read from its first field even when the rest is damaged.
pub fn time_of(line: &str) -> Option<i64> {
    parse_time(line.split_ascii_whitespace().next()?)
}

/// Splits a URL into host and path. `host:port` (CONNECT) has no path.
pub fn split_url(url: &str) -> (Option<&str>, Option<&str>) {
    let Some((_, after)) = url.split_once("://") else {
        if url.starts_with('/') {
            return (None, Some(url));
        }
        // CONNECT authority form: host:port or [v6]:port; anything else (Squid's
        // `error:invalid-request`) has no host.
        let (host, port) = match url.strip_prefix('[') {
            Some(v6) => v6.split_once("]:").unwrap_or((v6, "")),
            None => url.rsplit_once(':').unwrap_or((url, "")),
        };
        let ok = !host.is_empty() && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
        return (ok.then_some(host), None);
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..end];
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host =
        if let Some(v6) = authority.strip_prefix('[') { v6.split(']').next() } else { authority.split(':').next() };
    let path = &after[end..];
    (host.filter(|h| !h.is_empty()), if path.is_empty() { None } else { Some(path) })
}

/// `None` for Squid's `-`.
fn dash(s: &str) -> Option<&str> {
    if s == "-" { None } else { Some(s) }
}

/// Splits a line on runs of spaces (and tabs) into at most `N` fields, without the
/// char-by-char walk of `split_ascii_whitespace`: this is the hot loop of the pipeline.
fn fields<const N: usize>(line: &str) -> ([&str; N], usize) {
    let bytes = line.as_bytes();
    let mut out = [""; N];
    let mut n = 0;
    let mut i = 0;
    while n < N {
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        if i >= bytes.len() {
            break;
        }
        let start = i;
        while i < bytes.len() && bytes[i] != b' ' && bytes[i] != b'\t' {
            i += 1;
        }
        // Splitting at ASCII bytes keeps UTF-8 boundaries.
        out[n] = &line[start..i];
        n += 1;
    }
    (out, n)
}

/// Parses one line; `Err` carries the rejection reason.
pub fn parse_line(line: &str) -> Result<WebRecord<'_>, &'static str> {
    let (f, n) = fields::<10>(line);
    if n < 9 {
        return Err("fewer than 9 fields");
    }
    let [t, elapsed, client, code, bytes, method, url, ident, hier, content_type] = f;
    let event_time = parse_time(t).ok_or("unparseable time")?;
    let (action, status) = code.split_once('/').ok_or("result code has no /status")?;
    let (host, path) = split_url(url);
    Ok(WebRecord {
        event_time,
        client_ip: dash(client),
        user: dash(ident),
        method: dash(method),
        url: dash(url),
        host,
        path,
        http_status: status.parse().ok(),
        bytes: bytes.parse().ok(),
        elapsed_ms: elapsed.parse().ok(),
        cache_result: dash(action),
        hierarchy: dash(hier),
        content_type: if n == 10 { dash(content_type) } else { None },
        referer: None,
        user_agent: None,
        vendor_category: None,
    })
}

/// Reads a Squid access log.
pub fn read(input: &mut dyn BufRead, sink: &mut Sink<WebBatcher>) -> Result<(), IngestError> {
    read_web(input, sink, |line| parse_line(line).map(Some), time_of)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_lines_parse_with_connect_and_dashes() {
        let r = parse_line("1763625330.123     99 10.1.2.3 TCP_MISS/200 1433 GET http://WWW.Example.com:8080/a/b?q=1 - HIER_DIRECT/93.184.216.34 text/html").unwrap();
        assert_eq!(r.event_time, 1_763_625_330_123_000);
        assert_eq!((r.host, r.path), (Some("WWW.Example.com"), Some("/a/b?q=1")));
        assert_eq!((r.http_status, r.bytes, r.elapsed_ms), (Some(200), Some(1433), Some(99)));
        assert_eq!((r.user, r.cache_result), (None, Some("TCP_MISS")));

        let c = parse_line(
            "1763625330.5 12 2001:db8::7 TCP_TUNNEL/200 5120 CONNECT login.live.com:443 jan HIER_DIRECT/20.190.1.1 -",
        )
        .unwrap();
        assert_eq!((c.host, c.path, c.user, c.content_type), (Some("login.live.com"), None, Some("jan"), None));
        assert_eq!(c.event_time, 1_763_625_330_500_000);

        assert_eq!(parse_line("1763625330.123 99 10.1.2.3").unwrap_err(), "fewer than 9 fields");
        assert_eq!(
            parse_line("yesterday 99 10.1.2.3 TCP_MISS/200 1 GET http://a/ - DIRECT/- -").unwrap_err(),
            "unparseable time"
        );
    }

    #[test]
    fn urls_split_into_host_and_path() {
        assert_eq!(split_url("https://user:pw@[2001:db8::1]:443/x"), (Some("2001:db8::1"), Some("/x")));
        assert_eq!(split_url("http://example.com"), (Some("example.com"), None));
        assert_eq!(split_url("/index.html"), (None, Some("/index.html")));
        assert_eq!(split_url("[2001:db8::1]:443"), (Some("2001:db8::1"), None));
        assert_eq!(split_url("error:invalid-request"), (None, None));
    }
}
