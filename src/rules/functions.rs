//! The SQL functions rules may call, registered as plain DataFusion scalar UDFs (no
//! hand-written operators, so a Ballista cluster runs the same rules):
//!
//! | function | returns |
//! | --- | --- |
//! | `registrable_domain(text)` | `example.co.uk` of an address, URL or host (Public Suffix List) |
//! | `extension(text)` | lower-case extension of a file name or URL path (no dot) |
//! | `extensions(text)` | the extensions of `;`-separated attachment names, `;`-joined |
//! | `word_match(text, 'list,list')` | the first `[mail.words]` list with a whole-word hit |
//! | `web_category(host, path, 'group')` | the first category of a `[web]` group the request falls in |
//! | `school_hours(ts)` | true on a school day, not a holiday, between day_start and day_end |
//! | `parent_quiet_time(ts)` | true at weekends, after parent_mail_until or before parent_mail_from |
//! | `local_date(ts)` | `YYYY-MM-DD` in the school's zone |
//! | `iso_week(ts)` | `YYYY-Www` in the school's zone |
//! | `pseudonym(text)` | the keyed pseudonym (CTL-2) of an address or account |
//!
//! Settings come from `logwacht.toml`; a group or list name a rule passes must be a literal.
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike};
use chrono_tz::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use regex::Regex;

use crate::config::Config;
use crate::enrich::blocklist::{Blocklist, Fnv};
use crate::pseudonym::Pseudonymiser;

pub use crate::schema::PSEUDONYM;

/// The most accounts `pseudonym()` keeps the pseudonym of in one session.
const PSEUDONYM_CACHE: usize = 200_000;

/// What the functions need from the configuration.
pub struct Functions {
    blocklist: Arc<Blocklist>,
    groups: BTreeMap<String, Vec<String>>,
    words: Vec<(String, Regex)>,
    calendar: Calendar,
    pseudonymiser: Option<Pseudonymiser>,
    workload_networks: Arc<Vec<crate::config::Cidr>>,
}

/// The school's week (WEB-3, MAIL-8).
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The school's zone.
    pub tz: Tz,
    /// School day start and end.
    pub day: (NaiveTime, NaiveTime),
    /// School days, 0 = Monday.
    pub school_days: Vec<u32>,
    /// Holidays, inclusive.
    pub holidays: Vec<(NaiveDate, NaiveDate)>,
    /// MAIL-8: mail to parents is fine from .0 until .1 on weekdays.
    pub parent_window: (NaiveTime, NaiveTime),
}

impl Calendar {
    /// From the configuration.
    pub fn new(c: &Config) -> Calendar {
        Calendar {
            tz: c.timezone,
            day: (c.day_start, c.day_end),
            school_days: c.school_days.clone(),
            holidays: c.holidays.clone(),
            parent_window: (c.parent_mail_from, c.parent_mail_until),
        }
    }

    fn local(&self, us: i64) -> Option<chrono::DateTime<Tz>> {
        DateTime::from_timestamp_micros(us).map(|t| t.with_timezone(&self.tz))
    }

    /// WEB-3: during lessons.
    pub fn school_hours(&self, us: i64) -> Option<bool> {
        let t = self.local(us)?;
        let date = t.date_naive();
        let day = date.weekday().num_days_from_monday();
        let holiday = self.holidays.iter().any(|(a, b)| *a <= date && date <= *b);
        let time = t.time();
        Some(self.school_days.contains(&day) && !holiday && time >= self.day.0 && time < self.day.1)
    }

    /// MAIL-8: when staff must not mail parents.
    pub fn parent_quiet_time(&self, us: i64) -> Option<bool> {
        let t = self.local(us)?;
        let weekend = t.weekday().num_days_from_monday() >= 5;
        let time = t.time();
        Some(weekend || time >= self.parent_window.1 || time < self.parent_window.0)
    }

    /// The local date.
    pub fn local_date(&self, us: i64) -> Option<String> {
        self.local(us).map(|t| t.date_naive().to_string())
    }

    /// The ISO week of the local date.
    pub fn iso_week(&self, us: i64) -> Option<String> {
        self.local(us).map(|t| {
            let w = t.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        })
    }

    /// Minutes since local midnight (for tests).
    pub fn minute_of_day(&self, us: i64) -> Option<u32> {
        self.local(us).map(|t| t.hour() * 60 + t.minute())
    }
}

/// The registrable domain of an address (`user@mail.example.co.uk`), URL or host, by the
/// Public Suffix List; an IP address is its own; `None` for a bare public suffix.
pub fn registrable_domain(text: &str) -> Option<String> {
    let t = text.trim().trim_start_matches('<').trim_end_matches('>');
    let host = match t.rsplit_once('@') {
        Some((_, d)) if !t.contains("://") => d,
        _ => {
            let rest = t.split_once("://").map_or(t, |(_, r)| r);
            let rest = rest.split(['/', '?', '#']).next().unwrap_or(rest);
            let rest = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
            match rest.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or(v6),
                None => rest.split(':').next().unwrap_or(rest),
            }
        }
    };
    let host = host.trim_end_matches('.').to_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        return (!host.is_empty()).then_some(host);
    }
    crate::rules::psl::registrable(&host).map(str::to_string)
}

/// The lower-case extension of a file name or URL path, without the dot.
pub fn extension(text: &str) -> Option<String> {
    let t = text.split(['?', '#']).next().unwrap_or(text).trim().trim_matches('"');
    let name = t.rsplit('/').next().unwrap_or(t);
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty() && ext.len() <= 10 && ext.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| ext.to_ascii_lowercase())
}

fn words_regex(words: &[String]) -> Result<Regex, regex::Error> {
    let alts: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    // Whole words in any script: \b is Unicode-aware in the regex crate.
    Regex::new(&format!(r"(?i)\b(?:{})\b", alts.join("|")))
}

fn err(message: String) -> DataFusionError {
    DataFusionError::Execution(message)
}

/// A literal text argument (a group or list name).
fn literal(args: &[ColumnarValue], i: usize, function: &str) -> Result<String, DataFusionError> {
    match args.get(i) {
        Some(ColumnarValue::Scalar(
            ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)),
        )) => Ok(s.clone()),
        _ => Err(err(format!("argument {} of {function}() must be a literal text", i + 1))),
    }
}

fn text_array(args: &[ColumnarValue], i: usize, rows: usize) -> Result<ArrayRef, DataFusionError> {
    let a = args[i].clone().into_array(rows)?;
    Ok(if a.data_type() == &DataType::Utf8 { a } else { cast(&a, &DataType::Utf8)? })
}

fn rows(args: &[ColumnarValue]) -> usize {
    args.iter()
        .find_map(|a| match a {
            ColumnarValue::Array(a) => Some(a.len()),
            ColumnarValue::Scalar(_) => None,
        })
        .unwrap_or(1)
}

fn map_text(
    args: &[ColumnarValue],
    mut f: impl FnMut(&str) -> Option<String>,
) -> Result<ColumnarValue, DataFusionError> {
    let n = rows(args);
    let a = text_array(args, 0, n)?;
    let out: StringArray = a.as_string::<i32>().iter().map(|v| v.and_then(&mut f)).collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn map_time<T>(
    args: &[ColumnarValue],
    mut f: impl FnMut(i64) -> Option<T>,
    build: impl FnOnce(Vec<Option<T>>) -> ArrayRef,
) -> Result<ColumnarValue, DataFusionError> {
    let n = rows(args);
    let a = args[0].clone().into_array(n)?;
    let a = cast(&a, &utc())?;
    let values = a.as_primitive::<TimestampMicrosecondType>().iter().map(|v| v.and_then(&mut f)).collect();
    Ok(ColumnarValue::Array(build(values)))
}

fn utc() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

impl Functions {
    /// Loads the lists the functions use: the blocklists of every `[web]` group, the word
    /// lists, the calendar, and the pseudonym key when the workspace has one.
    pub fn new(config: &Config, key: Option<&crate::pseudonym::Key>) -> Result<Functions, super::EngineError> {
        let mut categories: Vec<String> = Vec::new();
        for c in config.category_groups.values().flatten() {
            if !categories.contains(c) {
                categories.push(c.clone());
            }
        }
        let blocklist = match &config.blocklists {
            Some(dir) => Blocklist::load(dir, &categories)?,
            None => Blocklist::builtin(&categories)?,
        };
        let mut words = Vec::new();
        for (name, list) in &config.word_lists {
            let re = words_regex(list).map_err(|e| {
                super::EngineError::Usage(format!("mail.words.{name} does not make a word pattern: {e}"))
            })?;
            words.push((name.clone(), re));
        }
        let pseudonymiser = key.map(crate::pseudonym::Key::pseudonymiser);
        Ok(Functions {
            blocklist: Arc::new(blocklist),
            groups: config.category_groups.clone(),
            words,
            calendar: Calendar::new(config),
            pseudonymiser,
            workload_networks: Arc::new(config.workload_networks.clone()),
        })
    }

    /// Registers every function in `ctx`.
    pub fn register(&self, ctx: &SessionContext) {
        let text = DataType::Utf8;
        let networks = self.workload_networks.clone();
        ctx.register_udf(create_udf(
            "workload_network",
            vec![text.clone()],
            text.clone(),
            Volatility::Immutable,
            // The `[geo] workload_networks` entry the address lies in, or NULL.
            Arc::new(move |args: &[ColumnarValue]| {
                map_text(args, |ip| {
                    let ip: std::net::IpAddr = ip.trim().parse().ok()?;
                    networks.iter().find(|n| n.contains(ip)).map(ToString::to_string)
                })
            }),
        ));
        ctx.register_udf(create_udf(
            "registrable_domain",
            vec![text.clone()],
            text.clone(),
            Volatility::Immutable,
            Arc::new(|args: &[ColumnarValue]| map_text(args, registrable_domain)),
        ));
        ctx.register_udf(create_udf(
            "extension",
            vec![text.clone()],
            text.clone(),
            Volatility::Immutable,
            Arc::new(|args: &[ColumnarValue]| map_text(args, extension)),
        ));
        ctx.register_udf(create_udf(
            "extensions",
            vec![text.clone()],
            text.clone(),
            Volatility::Immutable,
            Arc::new(|args: &[ColumnarValue]| {
                map_text(args, |names| {
                    let v: Vec<String> = names.split(';').filter_map(extension).collect();
                    (!v.is_empty()).then(|| v.join(";"))
                })
            }),
        ));
        let words = self.words.clone();
        ctx.register_udf(create_udf(
            "word_match",
            vec![text.clone(), text.clone()],
            text.clone(),
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| {
                let names = literal(args, 1, "word_match")?;
                let mut lists = Vec::new();
                // '*': every configured list (none configured: no match).
                if names.trim() == "*" {
                    lists.extend(words.iter().cloned());
                }
                for name in names.split(',').map(str::trim).filter(|n| *n != "*") {
                    let found = words.iter().find(|(n, _)| n == name).ok_or_else(|| {
                        err(format!("word_match(): no word list {name:?} under [mail.words] in logwacht.toml"))
                    })?;
                    lists.push(found.clone());
                }
                map_text(&args[..1], |t| lists.iter().find(|(_, re)| re.is_match(t)).map(|(n, _)| n.clone()))
            }),
        ));
        let (list, groups) = (self.blocklist.clone(), self.groups.clone());
        ctx.register_udf(create_udf(
            "web_category",
            vec![text.clone(), text.clone(), text.clone()],
            text.clone(),
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| {
                let group = literal(args, 2, "web_category")?;
                let order = groups.get(&group).ok_or_else(|| {
                    err(format!(
                        "web_category(): no category group {group:?} under [web]; the groups are {}",
                        groups.keys().cloned().collect::<Vec<_>>().join(", ")
                    ))
                })?;
                let n = rows(args);
                let (hosts, paths) = (text_array(args, 0, n)?, text_array(args, 1, n)?);
                let (hosts, paths) = (hosts.as_string::<i32>(), paths.as_string::<i32>());
                // A batch repeats few hosts many times: each host's domain lookup is done
                // once per batch (it was a quarter of a web rule's time).
                let mut seen: HashMap<&str, (u64, bool), BuildHasherDefault<Fnv>> = HashMap::default();
                let order = list.order(order);
                let out: StringArray = (0..n)
                    .map(|i| {
                        if hosts.is_null(i) {
                            return None;
                        }
                        let host = hosts.value(i);
                        let (mut found, has_urls) = *seen.entry(host).or_insert_with(|| list.lookup_host(host));
                        if has_urls {
                            found |= list.lookup_urls(host, (!paths.is_null(i)).then(|| paths.value(i)));
                        }
                        order.first(found)
                    })
                    .collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }),
        ));
        let bool_array = |v: Vec<Option<bool>>| Arc::new(BooleanArray::from(v)) as ArrayRef;
        let text_out = |v: Vec<Option<String>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let cal = self.calendar.clone();
        ctx.register_udf(create_udf(
            "school_hours",
            vec![utc()],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| map_time(args, |t| cal.school_hours(t), bool_array)),
        ));
        let cal = self.calendar.clone();
        ctx.register_udf(create_udf(
            "parent_quiet_time",
            vec![utc()],
            DataType::Boolean,
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| map_time(args, |t| cal.parent_quiet_time(t), bool_array)),
        ));
        // Rows come mostly in time order and every zone's offset changes on the hour: the
        // date of the hour before is the date of this row most of the time.
        let by_hour = |cal: Calendar, f: fn(&Calendar, i64) -> Option<String>| {
            move |args: &[ColumnarValue]| {
                let mut last: Option<(i64, Option<String>)> = None;
                map_time(
                    args,
                    |t| {
                        let hour = t.div_euclid(3_600_000_000);
                        match &last {
                            Some((h, v)) if *h == hour => v.clone(),
                            _ => {
                                let v = f(&cal, t);
                                last = Some((hour, v.clone()));
                                v
                            }
                        }
                    },
                    text_out,
                )
            }
        };
        ctx.register_udf(create_udf(
            "local_date",
            vec![utc()],
            text.clone(),
            Volatility::Immutable,
            Arc::new(by_hour(self.calendar.clone(), Calendar::local_date)),
        ));
        ctx.register_udf(create_udf(
            "iso_week",
            vec![utc()],
            text.clone(),
            Volatility::Immutable,
            Arc::new(by_hour(self.calendar.clone(), Calendar::iso_week)),
        ));
        let p = self.pseudonymiser.clone();
        // An account repeats on many rows and batches: one HMAC per distinct value in the
        // session, not per batch (with 8,000 people a batch of 8,192 requests holds nearly
        // as many accounts as rows, and per-batch reuse bought nothing). Bounded: past
        // PSEUDONYM_CACHE accounts the cache starts over.
        let cache: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>> = Arc::default();
        ctx.register_udf(create_udf(
            PSEUDONYM,
            vec![text.clone()],
            text,
            Volatility::Immutable,
            Arc::new(move |args: &[ColumnarValue]| {
                let p = p.as_ref().ok_or_else(|| {
                    err("pseudonym() needs the workspace's key file (secret.key); run `logwacht init`".into())
                })?;
                let mut seen = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if seen.len() > PSEUDONYM_CACHE {
                    seen.clear();
                }
                map_text(args, |a| {
                    if let Some(v) = seen.get(a) {
                        return Some(v.clone());
                    }
                    let v = p.pseudonym(a);
                    seen.insert(a.to_string(), v.clone());
                    Some(v)
                })
            }),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_of_addresses_urls_and_hosts() {
        assert_eq!(registrable_domain("Jan@Mail.School.Example").as_deref(), Some("school.example"));
        assert_eq!(registrable_domain("x@gmail.com").as_deref(), Some("gmail.com"));
        assert_eq!(registrable_domain("https://a.b.example.co.uk:8443/p?q=1").as_deref(), Some("example.co.uk"));
        assert_eq!(registrable_domain("cdn.games.test").as_deref(), Some("games.test"));
        assert_eq!(registrable_domain("10.1.2.3").as_deref(), Some("10.1.2.3"));
        assert_eq!(registrable_domain("http://[2001:DB8::1]:8080/x").as_deref(), Some("2001:db8::1"));
        // The Public Suffix List, private section included: two github.io sites are two.
        assert_eq!(registrable_domain("https://jan.github.io/x").as_deref(), Some("jan.github.io"));
        assert_eq!(registrable_domain("x@leerling.school.ac.be").as_deref(), Some("school.ac.be"));
        assert_eq!(registrable_domain("Pieter@Mail.Example.BE.").as_deref(), Some("example.be"));
        assert_eq!(registrable_domain("co.uk"), None);
        assert_eq!(registrable_domain(""), None);
    }

    #[test]
    fn extensions_of_names_and_paths() {
        assert_eq!(extension("Factuur.PDF.exe").as_deref(), Some("exe"));
        assert_eq!(extension("/dl/setup.msi?x=1").as_deref(), Some("msi"));
        assert_eq!(extension("/index"), None);
        assert_eq!(extension(".bashrc"), None);
        assert_eq!(extension("\"rapport.docx\"").as_deref(), Some("docx"));
    }

    #[test]
    fn word_lists_match_whole_words_in_any_case() {
        let re = words_regex(&["wachtwoord".into(), "mot de passe".into(), "clb".into()]).unwrap();
        assert!(re.is_match("Uw nieuw WACHTWOORD"));
        assert!(re.is_match("Votre mot de passe"));
        assert!(re.is_match("Verslag CLB"));
        assert!(!re.is_match("wachtwoordbeleid"));
        assert!(!re.is_match("Club"));
    }

    #[test]
    fn the_calendar_knows_school_hours_and_the_parents_quiet_time() {
        let c = Calendar {
            tz: chrono_tz::Europe::Brussels,
            day: (NaiveTime::from_hms_opt(8, 25, 0).unwrap(), NaiveTime::from_hms_opt(16, 0, 0).unwrap()),
            school_days: vec![0, 1, 2, 3, 4],
            holidays: vec![(
                NaiveDate::from_ymd_opt(2026, 12, 21).unwrap(),
                NaiveDate::from_ymd_opt(2027, 1, 3).unwrap(),
            )],
            parent_window: (NaiveTime::from_hms_opt(7, 0, 0).unwrap(), NaiveTime::from_hms_opt(17, 0, 0).unwrap()),
        };
        let us = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp_micros();
        // Monday 2026-11-23, CET = UTC+1.
        assert_eq!(c.school_hours(us("2026-11-23T09:00:00Z")), Some(true));
        assert_eq!(c.school_hours(us("2026-11-23T07:00:00Z")), Some(false));
        assert_eq!(c.school_hours(us("2026-11-22T10:00:00Z")), Some(false), "Sunday");
        assert_eq!(c.school_hours(us("2026-12-22T10:00:00Z")), Some(false), "holiday");
        assert_eq!(c.parent_quiet_time(us("2026-11-23T15:59:00Z")), Some(false));
        assert_eq!(c.parent_quiet_time(us("2026-11-23T16:00:00Z")), Some(true), "17:00 local");
        assert_eq!(c.parent_quiet_time(us("2026-11-23T05:30:00Z")), Some(true), "06:30 local");
        assert_eq!(c.parent_quiet_time(us("2026-11-21T10:00:00Z")), Some(true), "Saturday");
        assert_eq!(c.local_date(us("2026-11-22T23:30:00Z")).as_deref(), Some("2026-11-23"));
        assert_eq!(c.iso_week(us("2026-11-22T23:30:00Z")).as_deref(), Some("2026-W48"));
        assert_eq!(c.minute_of_day(us("2026-11-23T09:01:00Z")), Some(10 * 60 + 1));
    }
}
