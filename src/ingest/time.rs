//! Timestamps as the log sources write them, to UTC microseconds.
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Parses the timestamps Microsoft and Exchange write: RFC 3339 with any number of
/// fractional digits and any offset; ISO without zone (UTC, as Exchange Online's
/// `Received`); `/Date(ms)/` (Windows PowerShell `ConvertTo-Json`); and US-locale text
/// (`4/28/2021, 2:08:45.221 PM` from Log Analytics, `5/25/2023 3:46:02 PM` from
/// `Export-Csv`), which those tools write in UTC.
pub fn parse_utc(text: &str) -> Option<i64> {
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(ms) = parse_ms_date(s) {
        return Some(ms * 1000);
    }
    if let Some(t) = parse_us(s) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_micros());
    }
    // RFC 3339 with a space, or more than 9 fractional digits: normalise and retry.
    // `get` and not `[..]`: a multi-byte character at those offsets (a damaged log) must not
    // panic (found by the read_trace_csv fuzz target).
    if let (Some(date), Some(rest), Some(tail)) = (s.get(..10), s.get(11..), s.get(19..))
        && s.len() > 19
        && s.as_bytes()[10] == b' '
        && (s.ends_with('Z') || tail.contains(['+', '-']))
    {
        let t = format!("{date}T{rest}");
        if let Ok(t) = DateTime::parse_from_rfc3339(&t) {
            return Some(t.timestamp_micros());
        }
    }
    const NAIVE: [&str; 8] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%m/%d/%Y, %I:%M:%S%.f %p",
        "%m/%d/%Y %I:%M:%S%.f %p",
        "%m/%d/%Y, %I:%M:%S %p",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y %H:%M",
    ];
    NAIVE
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| Utc.from_utc_datetime(&t).timestamp_micros())
}

/// US-locale text, `M/D/YYYY, h:mm:ss[.fff] AM` (Log Analytics) or without the comma
/// (`Export-Csv`), read by hand: chrono's format strings, tried in turn, read their own
/// format again at every call and were a tenth of a Log Analytics CSV's ingest. `None`
/// for anything else; the caller then tries the formats of [`parse_utc`].
fn parse_us(s: &str) -> Option<i64> {
    fn num<T: std::str::FromStr>(t: &str, max_len: usize) -> Option<T> {
        (!t.is_empty() && t.len() <= max_len && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
    }
    let (date, rest) = s.split_once(' ')?;
    let date = date.strip_suffix(',').unwrap_or(date);
    let mut d = date.split('/');
    let (month, day, year): (u32, u32, i32) = (num(d.next()?, 2)?, num(d.next()?, 2)?, num(d.next()?, 4)?);
    if d.next().is_some() {
        return None;
    }
    let (clock, half) = rest.trim_start().split_once(' ')?;
    let pm = match half {
        h if h.eq_ignore_ascii_case("AM") => false,
        h if h.eq_ignore_ascii_case("PM") => true,
        _ => return None,
    };
    let (hms, frac) = clock.split_once('.').map_or((clock, None), |(a, b)| (a, Some(b)));
    let mut t = hms.split(':');
    let (hour, minute, second): (u32, u32, u32) = (num(t.next()?, 2)?, num(t.next()?, 2)?, num(t.next()?, 2)?);
    if t.next().is_some() || !(1..=12).contains(&hour) {
        return None;
    }
    let nanos = match frac {
        None => 0,
        Some(f) => num::<u32>(f, 9)? * 10u32.pow(9 - f.len() as u32),
    };
    let hour = hour % 12 + if pm { 12 } else { 0 };
    let t = chrono::NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(hour, minute, second, nanos)?;
    Some(Utc.from_utc_datetime(&t).timestamp_micros())
}

/// `/Date(1685029562123)/`, `\/Date(...)\/`, optionally with an offset suffix (ignored:
/// the number is already UTC milliseconds).
fn parse_ms_date(s: &str) -> Option<i64> {
    let inner = s.trim_matches(|c| c == '\\' || c == '/').strip_prefix("Date(")?;
    let end = inner.find(')')?;
    let num = &inner[..end];
    // `get`: an empty `Date()` or a multi-byte first character is no date, not a panic.
    let cut = num.get(1..).and_then(|r| r.find(['+', '-'])).map(|i| i + 1).unwrap_or(num.len());
    num[..cut].parse().ok()
}

/// A wall-clock time in the zone `tz` (the school's, for syslog stamps without zone),
/// taken at the earlier instant when daylight saving makes it ambiguous.
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<i64> {
    tz.from_local_datetime(&naive).earliest().map(|t| t.timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(us: i64) -> String {
        DateTime::from_timestamp_micros(us).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    }

    #[test]
    fn a_multi_byte_character_where_a_time_has_digits_is_no_time_and_no_panic() {
        // The euro sign spans bytes 18-20: the space-separated form cut at byte 19.
        assert_eq!(parse_utc("2026-11-20 08:15:3\u{20ac}0Z"), None);
        assert_eq!(parse_utc("2026-11-20 \u{fffd}\u{fffd}:15:30+01:00"), None);
        assert_eq!(parse_utc("/Date()/"), None);
        assert_eq!(parse_utc("/Date(\u{e9}1)/"), None);
        // The same form, well written, still parses.
        assert!(parse_utc("2026-11-20 08:15:30.1234567890Z").is_some());
    }

    #[test]
    fn microsoft_and_exchange_stamps_parse_to_utc() {
        let cases = [
            ("2026-11-20T08:15:30Z", "2026-11-20T08:15:30.000000Z"),
            ("2026-11-20T09:15:30.1234567+01:00", "2026-11-20T08:15:30.123456Z"),
            ("2026-11-20T08:15:30.1234567", "2026-11-20T08:15:30.123456Z"),
            ("4/28/2021, 2:08:45.221 PM", "2021-04-28T14:08:45.221000Z"),
            ("5/25/2023 3:46:02 PM", "2023-05-25T15:46:02.000000Z"),
            ("12/1/2023 12:00:01 AM", "2023-12-01T00:00:01.000000Z"),
            ("10/18/2026, 2:32:48.000 AM", "2026-10-18T02:32:48.000000Z"),
            ("10/18/2026, 12:32:48.5 pm", "2026-10-18T12:32:48.500000Z"),
            ("1/2/2026, 11:59:59.123456789 PM", "2026-01-02T23:59:59.123456Z"),
            ("/Date(1685029562123)/", "2023-05-25T15:46:02.123000Z"),
            ("\\/Date(1685029562123+0200)\\/", "2023-05-25T15:46:02.123000Z"),
            ("2023-08-27 02:40:03.005Z", "2023-08-27T02:40:03.005000Z"),
        ];
        for (input, want) in cases {
            assert_eq!(parse_utc(input).map(iso).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "yesterday",
            "13/45/2023 1:00:00 PM",
            "2026-02-30T00:00:00Z",
            "2/30/2026, 1:00:00 PM",
            "1/2/2026, 13:00:00 PM",
            "1/2/2026, 0:00:00 AM",
            "+1/2/2026, 1:00:00 PM",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
    }

    #[test]
    fn school_local_time_follows_daylight_saving() {
        let tz: Tz = "Europe/Brussels".parse().unwrap();
        let summer = NaiveDateTime::parse_from_str("2026-07-01 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        let winter = NaiveDateTime::parse_from_str("2026-11-20 10:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(iso(local_to_utc(summer, tz).unwrap()), "2026-07-01T08:00:00.000000Z");
        assert_eq!(iso(local_to_utc(winter, tz).unwrap()), "2026-11-20T09:00:00.000000Z");
    }
}
