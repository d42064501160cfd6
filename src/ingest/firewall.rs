//! Web requests as the school's firewall logs them, in the `key=value` syslog both vendors
//! write (after a syslog header or none; values quoted or bare, a bare value may be empty):
//!
//! - FortiGate (FortiOS 6.x and 7.x): the web filter (`type="utm" subtype="webfilter"`)
//!   and the traffic log of web services (`type="traffic"`, `service` HTTP or HTTPS, or
//!   destination port 80 or 443). Time from `eventtime` (seconds, ms, µs or ns since the
//!   epoch), else `date` and `time` with `tz` (`+0100`).
//! - Sophos Firewall (SFOS): `log_type="Content Filtering"`. Time from `timestamp`
//!   (`2026-11-20T08:15:30+0100`), else `date` and `time` with `timezone` (`CET`, `CEST`,
//!   `UTC`, or a zone name).
//!
//! Other lines of the same log (events, IPS, application control, other traffic) are no
//! web requests: counted as skipped. The vendor's category is kept in `vendor_category`
//! beside logwacht's own (UT1), so web rules can use either.
use std::io::BufRead;

use chrono::{NaiveDate, NaiveTime, TimeZone};

use crate::ingest::IngestError;
use crate::ingest::lines::read_web;
use crate::ingest::record::{WebBatcher, WebRecord};
use crate::ingest::sink::Sink;
use crate::ingest::squid::split_url;

/// The `key=value` pairs of a line, values unquoted, in order. Words before the first
/// pair (a syslog header) are left out; a quoted value keeps its spaces.
pub fn pairs(line: &str) -> Vec<(&str, &str)> {
    let b = line.as_bytes();
    let mut out = Vec::with_capacity(48);
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' || start == i {
            // A word that is no key (the syslog header): skip to the next space.
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            continue;
        }
        let key = &line[start..i];
        i += 1;
        let value = if i < b.len() && b[i] == b'"' {
            let from = i + 1;
            let end = line[from..].find('"').map_or(line.len(), |e| from + e);
            i = (end + 1).min(line.len());
            &line[from..end]
        } else {
            let from = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            &line[from..i]
        };
        out.push((key, value));
    }
    out
}

fn get<'a>(p: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| *k == key).map(|(_, v)| v.trim()).filter(|v| !v.is_empty() && *v != "N/A")
}

/// Seconds, ms, µs or ns since the epoch, told apart by their size.
fn epoch_micros(text: &str) -> Option<i64> {
    let n: i64 = text.parse().ok()?;
    Some(match n {
        n if n >= 100_000_000_000_000_000 => n / 1000,
        n if n >= 100_000_000_000_000 => n,
        n if n >= 100_000_000_000 => n * 1000,
        n => n.checked_mul(1_000_000)?,
    })
}

/// `+0100`, `-05:00`, `CET`, `UTC`, `Europe/Brussels`: the offset in seconds at `local`.
fn offset_seconds(zone: &str, local: chrono::NaiveDateTime) -> Option<i32> {
    let z = zone.trim();
    if let Some(sign) = z.strip_prefix('+').map(|r| (1, r)).or_else(|| z.strip_prefix('-').map(|r| (-1, r))) {
        let digits: String = sign.1.chars().filter(char::is_ascii_digit).collect();
        if digits.len() == 4 {
            let h: i32 = digits[..2].parse().ok()?;
            let m: i32 = digits[2..].parse().ok()?;
            return Some(sign.0 * (h * 3600 + m * 60));
        }
        return None;
    }
    let fixed = match z.to_ascii_uppercase().as_str() {
        "UTC" | "GMT" | "Z" | "WET" => Some(0),
        "CET" | "WEST" | "BST" => Some(3600),
        "CEST" | "EET" => Some(7200),
        "EEST" => Some(10800),
        _ => None,
    };
    if fixed.is_some() {
        return fixed;
    }
    let tz: chrono_tz::Tz = z.parse().ok()?;
    use chrono::Offset;
    tz.from_local_datetime(&local).earliest().map(|t| t.offset().fix().local_minus_utc())
}

fn local_time(date: Option<&str>, time: Option<&str>, zone: Option<&str>) -> Result<i64, &'static str> {
    let (Some(d), Some(t)) = (date, time) else { return Err("no time (eventtime, timestamp or date and time)") };
    let d = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| "unparseable date")?;
    let t = NaiveTime::parse_from_str(t, "%H:%M:%S").map_err(|_| "unparseable time")?;
    let local = d.and_time(t);
    let Some(zone) = zone else { return Err("time without a zone (no eventtime, tz or timezone)") };
    let off = offset_seconds(zone, local).ok_or("unknown time zone")?;
    Ok((local.and_utc().timestamp() - i64::from(off)) * 1_000_000)
}

/// What a line is: a web request (`Some`), another kind of line of the same log (`None`),
/// or damaged (`Err`).
type Parsed<'a> = Option<WebRecord<'a>>;

fn web_service(p: &[(&str, &str)]) -> bool {
    let service = get(p, "service").map(str::to_ascii_uppercase);
    matches!(service.as_deref(), Some("HTTP" | "HTTPS")) || matches!(get(p, "dstport"), Some("80" | "443"))
}

fn parse_fortigate(line: &str) -> Result<Parsed<'_>, &'static str> {
    let p = pairs(line);
    if get(&p, "logid").is_none() && get(&p, "type").is_none() {
        return Err("not a FortiGate key=value line");
    }
    let kind = (get(&p, "type"), get(&p, "subtype"));
    let web = match kind {
        (Some("utm"), Some("webfilter")) => true,
        (Some("traffic"), _) => web_service(&p),
        _ => false,
    };
    if !web {
        return Ok(None);
    }
    let event_time = match get(&p, "eventtime").and_then(epoch_micros) {
        Some(t) => t,
        None => local_time(get(&p, "date"), get(&p, "time"), get(&p, "tz"))?,
    };
    let url = get(&p, "url");
    let (url_host, path) = url.map(split_url).unwrap_or((None, None));
    let host = get(&p, "hostname").or(url_host).or_else(|| get(&p, "dstip"));
    Ok(Some(WebRecord {
        event_time,
        client_ip: get(&p, "srcip"),
        user: get(&p, "user").or_else(|| get(&p, "unauthuser")),
        method: None,
        url,
        host,
        path,
        http_status: None,
        bytes: get(&p, "rcvdbyte").and_then(|b| b.parse().ok()),
        elapsed_ms: get(&p, "duration").and_then(|d| d.parse::<i64>().ok()).map(|s| s * 1000),
        cache_result: get(&p, "action"),
        hierarchy: None,
        content_type: None,
        referer: get(&p, "referralurl"),
        user_agent: get(&p, "agent"),
        vendor_category: get(&p, "catdesc"),
    }))
}

fn parse_sophos(line: &str) -> Result<Parsed<'_>, &'static str> {
    let p = pairs(line);
    let Some(kind) = get(&p, "log_type") else { return Err("not a Sophos key=value line (no log_type)") };
    if !kind.eq_ignore_ascii_case("Content Filtering") {
        return Ok(None);
    }
    let event_time = match get(&p, "timestamp").and_then(crate::ingest::time::parse_utc).or_else(|| {
        get(&p, "timestamp")
            .and_then(|t| chrono::DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%z").ok())
            .map(|t| t.timestamp_micros())
    }) {
        Some(t) => t,
        None => local_time(get(&p, "date"), get(&p, "time"), get(&p, "timezone"))?,
    };
    let url = get(&p, "url");
    let (url_host, path) = url.map(split_url).unwrap_or((None, None));
    Ok(Some(WebRecord {
        event_time,
        client_ip: get(&p, "src_ip"),
        user: get(&p, "user_name"),
        method: None,
        url,
        host: get(&p, "domain").or(url_host),
        path,
        http_status: get(&p, "status_code").or_else(|| get(&p, "httpresponsecode")).and_then(|s| s.parse().ok()),
        bytes: get(&p, "recv_bytes").and_then(|b| b.parse().ok()),
        elapsed_ms: None,
        cache_result: get(&p, "log_subtype"),
        hierarchy: None,
        content_type: get(&p, "contenttype"),
        referer: get(&p, "referer"),
        user_agent: get(&p, "user_agent"),
        vendor_category: get(&p, "category"),
    }))
}

/// True when a line is FortiGate's `key=value` log.
pub fn sniff_fortigate(line: &str) -> bool {
    let p = pairs(line);
    get(&p, "logid").is_some() && get(&p, "type").is_some() && get(&p, "subtype").is_some()
}

/// True when a line is Sophos Firewall's `key=value` log.
pub fn sniff_sophos(line: &str) -> bool {
    let p = pairs(line);
    get(&p, "log_type").is_some() && get(&p, "log_component").is_some()
}

/// The time of a damaged line, when it still has one.
fn time_of(p: &[(&str, &str)]) -> Option<i64> {
    get(p, "eventtime")
        .and_then(epoch_micros)
        .or_else(|| local_time(get(p, "date"), get(p, "time"), get(p, "tz").or_else(|| get(p, "timezone"))).ok())
}

/// Reads a FortiGate log.
pub fn read_fortigate(input: &mut dyn BufRead, sink: &mut Sink<WebBatcher>) -> Result<(), IngestError> {
    read_web(input, sink, parse_fortigate, |line| time_of(&pairs(line)))
}

/// Reads a Sophos Firewall log.
pub fn read_sophos(input: &mut dyn BufRead, sink: &mut Sink<WebBatcher>) -> Result<(), IngestError> {
    read_web(input, sink, parse_sophos, |line| time_of(&pairs(line)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web<'a>(p: Result<Parsed<'a>, &'static str>) -> WebRecord<'a> {
        match p {
            Ok(Some(r)) => r,
            Ok(None) => panic!("not a web line"),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn pairs_take_quoted_bare_and_empty_values_after_a_syslog_header() {
        let p = pairs(
            r#"<189>Nov 20 08:15:30 fw01 date=2026-11-20 status= msg="URL belongs to a denied category" x="a  b " n=5"#,
        );
        assert_eq!(get(&p, "date"), Some("2026-11-20"));
        assert_eq!(get(&p, "status"), None);
        assert_eq!(get(&p, "msg"), Some("URL belongs to a denied category"));
        assert_eq!(get(&p, "x"), Some("a  b"));
        assert_eq!(get(&p, "n"), Some("5"));
    }

    #[test]
    fn fortigate_web_filter_and_traffic_lines_become_requests() {
        let wf = r#"date=2026-11-20 time=09:15:30 eventtime=1795162530123456789 tz="+0100" logid="0316013056" type="utm" subtype="webfilter" eventtype="ftgd_blk" level="warning" vd="root" srcip=10.1.2.3 srcport=51234 dstip=93.184.216.34 dstport=443 service="HTTPS" hostname="Casino.Example" action="blocked" url="https://casino.example/play" sentbyte=517 rcvdbyte=0 msg="URL belongs to a denied category in policy" catdesc="Gambling" user="an" agent="Mozilla/5.0""#;
        let r = web(parse_fortigate(wf));
        assert_eq!(r.event_time, 1_795_162_530_123_456);
        assert_eq!((r.host, r.path, r.user), (Some("Casino.Example"), Some("/play"), Some("an")));
        assert_eq!((r.cache_result, r.vendor_category, r.bytes), (Some("blocked"), Some("Gambling"), Some(0)));
        // Without eventtime, date and time with tz; seconds since the epoch too.
        let no_epoch = wf.replace("eventtime=1795162530123456789 ", "");
        assert_eq!(web(parse_fortigate(&no_epoch)).event_time, 1_795_162_530_000_000);
        let secs = wf.replace("1795162530123456789", "1795162530");
        assert_eq!(web(parse_fortigate(&secs)).event_time, 1_795_162_530_000_000);
        let traffic = r#"date=2026-11-20 time=09:15:31 eventtime=1795162531 tz="+0100" logid="0000000013" type="traffic" subtype="forward" srcip=10.1.2.4 dstip=142.250.1.1 dstport=443 service="HTTPS" duration=12 sentbyte=1200 rcvdbyte=45000 action="close" unauthuser="bert""#;
        let t = web(parse_fortigate(traffic));
        assert_eq!(
            (t.host, t.user, t.elapsed_ms, t.bytes),
            (Some("142.250.1.1"), Some("bert"), Some(12_000), Some(45_000))
        );
        let dns = traffic.replace("dstport=443 service=\"HTTPS\"", "dstport=53 service=\"DNS\"");
        assert!(matches!(parse_fortigate(&dns), Ok(None)));
        let event = r#"date=2026-11-20 time=09:15:31 logid="0100032001" type="event" subtype="system" msg="Administrator admin logged in""#;
        assert!(matches!(parse_fortigate(event), Ok(None)));
        let no_zone = no_epoch.replace(" tz=\"+0100\"", "");
        assert_eq!(parse_fortigate(&no_zone).err(), Some("time without a zone (no eventtime, tz or timezone)"));
    }

    #[test]
    fn sophos_content_filtering_lines_become_requests() {
        let cf = r#"device="SFW" date=2026-11-20 time=09:15:30 timezone="CET" device_name="XG230" log_id=050901616001 log_type="Content Filtering" log_component="HTTP" log_subtype="Denied" status= priority=Information user_name="an@school.example" category="Gambling" category_type="Unproductive" url="https://casino.example/play" contenttype="" src_ip=10.1.2.3 dst_ip=93.184.216.34 sent_bytes=0 recv_bytes=0 domain=casino.example user_agent="Mozilla/5.0 (X11; CrOS)" status_code="403""#;
        let r = web(parse_sophos(cf));
        assert_eq!(r.event_time, 1_795_162_530_000_000);
        assert_eq!((r.user, r.host, r.http_status), (Some("an@school.example"), Some("casino.example"), Some(403)));
        assert_eq!((r.cache_result, r.vendor_category, r.content_type), (Some("Denied"), Some("Gambling"), None));
        let new =
            cf.replace("date=2026-11-20 time=09:15:30 timezone=\"CET\"", "timestamp=\"2026-11-20T09:15:30+0100\"");
        assert_eq!(web(parse_sophos(&new)).event_time, 1_795_162_530_000_000);
        let fw = cf.replace("Content Filtering", "Firewall");
        assert!(matches!(parse_sophos(&fw), Ok(None)));
    }
}
