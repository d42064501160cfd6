//! `logwacht generate`: a fictional school's logs in the real native formats, for the demo,
//! the tests and the benchmarks. Deterministic for a seed; streams every file to disk.
//!
//! ```text
//! OUT/logs/signin/graph-D.json          interactive sign-ins, Graph {"value": [...]} page
//! OUT/logs/signin/diagnostic-D.json     non-interactive sign-ins, Azure Monitor export
//! OUT/logs/signin/loganalytics-D.csv    on Sundays: the Log Analytics CSV instead
//! OUT/logs/email/messagetrace-D.csv     Exchange Online, Get-MessageTrace | Export-Csv
//! OUT/logs/email/mail.log-D             the newsletter relay, Postfix syslog
//! OUT/logs/web/access-D.log             the school proxy, Squid native
//! OUT/logs/web/www-access-D.log         the school website, Apache combined
//! OUT/reference/people.csv, travel_exceptions.csv
//! OUT/ground_truth.json                 what was injected, for the tests
//! ```
//! The shape: pupils and staff on school days and hours in Europe/Brussels, quieter
//! evenings and weekends; Belgian and neighbouring addresses, a few travellers (some with
//! a travel exception, some without, some requested late) and a few attackers.
//!
//! The school model is in `school`, one generator per source in `signin`, `email` and
//! `web`; each day they draw from one random stream in a fixed order, so a seed always
//! writes the same school.
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::enrich::directory::Role;
use crate::error::Error;
use crate::store::StoreError;

mod email;
mod school;
mod signin;
mod web;

use school::{Person, ip_in, people};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Pupils, staff and counsellors (parents and shared mailboxes come on top).
    pub people: u32,
    /// Days of logs.
    pub days: u32,
    /// The seed.
    pub seed: u64,
    /// First day (default: `days` before now).
    pub start: Option<NaiveDate>,
    /// Sign-ins per person per school day.
    pub signins_per_day: u32,
    /// Mails sent per person per school day.
    pub mails_per_day: u32,
    /// Web requests per person per school day.
    pub web_per_day: u32,
    /// The school's mail domain.
    pub domain: String,
    /// Whose sign-ins: Microsoft 365 (Graph, diagnostic export, Log Analytics) or Google
    /// Workspace (the Reports API's login audit).
    pub platform: Platform,
    /// What logs the school's web traffic: a Squid proxy, or a FortiGate or Sophos firewall.
    pub web: WebLog,
}

/// The school's sign-in platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Platform {
    #[default]
    Microsoft,
    Google,
}

impl Platform {
    /// The names `--platform` takes.
    pub fn parse(text: &str) -> Option<Platform> {
        match text.trim().to_ascii_lowercase().as_str() {
            "microsoft" => Some(Platform::Microsoft),
            "google" => Some(Platform::Google),
            _ => None,
        }
    }
}

/// What logs the school's web traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WebLog {
    #[default]
    Squid,
    Fortigate,
    Sophos,
}

impl WebLog {
    /// The names `--web` takes.
    pub fn parse(text: &str) -> Option<WebLog> {
        match text.trim().to_ascii_lowercase().as_str() {
            "squid" => Some(WebLog::Squid),
            "fortigate" => Some(WebLog::Fortigate),
            "sophos" => Some(WebLog::Sophos),
            _ => None,
        }
    }
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            people: 300,
            days: 35,
            seed: 1,
            start: None,
            signins_per_day: 10,
            mails_per_day: 30,
            web_per_day: 500,
            domain: "school.example".into(),
            platform: Platform::default(),
            web: WebLog::default(),
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct GenerateStats {
    /// The output folder.
    pub out: PathBuf,
    /// First and last day.
    pub first_day: Option<NaiveDate>,
    /// Last day.
    pub last_day: Option<NaiveDate>,
    /// People in the directory (with parents and shared mailboxes).
    pub directory: usize,
    /// Sign-in records.
    pub signins: u64,
    /// Mail rows (one per recipient).
    pub mails: u64,
    /// Web requests.
    pub web: u64,
    /// Files written.
    pub files: usize,
    /// What was injected.
    pub ground_truth: GroundTruth,
}

impl GenerateStats {
    /// A short summary.
    pub fn render(&self) -> String {
        format!(
            "generated {} .. {} in {}: {} people in the directory, {} sign-ins, {} mail rows, {} web requests, {} files\n",
            self.first_day.map(|d| d.to_string()).unwrap_or_default(),
            self.last_day.map(|d| d.to_string()).unwrap_or_default(),
            self.out.display(),
            self.directory,
            self.signins,
            self.mails,
            self.web,
            self.files
        )
    }
}

/// What the generator injected, for tests to compare findings with (`ground_truth.json`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GroundTruth {
    /// Sign-ins `signin_outside_allowed_countries` must find: request id, time, severity.
    pub signin_outside_allowed_countries: Vec<serde_json::Value>,
    /// App sign-ins `signin_workload_outside_allowed_countries` must find: id, time, severity.
    pub signin_workload_outside_allowed_countries: Vec<serde_json::Value>,
    /// Exceptions `travel_exception_late_request` must find: line and country.
    pub travel_exception_late_request: Vec<serde_json::Value>,
    /// The mail and web rules: per rule id, the evidence each finding must carry (the input
    /// file's name and the line of its first row) and the local day. For the sampled rules,
    /// the population items that break the rule.
    pub rules: std::collections::BTreeMap<String, Vec<serde_json::Value>>,
}

impl GroundTruth {
    fn add(&mut self, rule: &str, file: &str, line: u64, day: NaiveDate) {
        self.rules
            .entry(rule.to_string())
            .or_default()
            .push(serde_json::json!({ "source_file": file, "source_line": line, "day": day.to_string() }));
    }
}

struct Trip {
    person: usize,
    country: &'static str,
    first: NaiveDate,
    last: NaiveDate,
    exception: Option<(NaiveDate, Option<&'static str>)>,
}

/// Writes a school into `out`.
pub fn write(out: &Path, spec: &Spec, now: DateTime<Utc>) -> Result<GenerateStats, Error> {
    let tz: Tz = chrono_tz::Europe::Brussels;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let today = now.with_timezone(&tz).date_naive();
    let first_day = spec.start.unwrap_or(today - Duration::days(i64::from(spec.days)));
    let days: Vec<NaiveDate> = (0..spec.days).map(|i| first_day + Duration::days(i64::from(i))).collect();
    let people = people(&mut rng, spec);
    let mut stats = GenerateStats {
        out: out.into(),
        first_day: days.first().copied(),
        last_day: days.last().copied(),
        ..Default::default()
    };
    let dirs = ["logs/signin", "logs/email", "logs/web", "reference"];
    for d in dirs {
        let p = out.join(d);
        std::fs::create_dir_all(&p).map_err(StoreError::io("create", &p))?;
    }
    // The directory of people.
    let mut w = Out::create(&out.join("reference/people.csv"), &mut stats)?;
    w.line("address,role,display_name,class")?;
    for p in &people {
        let class = p.class.as_deref().unwrap_or("");
        w.line(&format!("{},{},{},{}", p.address, p.role.as_str(), p.name, class))?;
    }
    w.finish()?;
    stats.directory = people.len();

    // Travellers: staff abroad for a few days; some with a valid exception, some late,
    // some without.
    let staff: Vec<usize> = people.iter().enumerate().filter(|(_, p)| p.role == Role::Staff).map(|(i, _)| i).collect();
    let mut trips = Vec::new();
    let countries = ["US", "ES", "MA"];
    for (k, &person) in staff.iter().take(3).enumerate() {
        let start = first_day + Duration::days(8 + 7 * k as i64);
        let last = start + Duration::days(4);
        let exception = match k {
            0 => Some((start - Duration::days(30), Some("directie"))),
            1 => Some((start - Duration::days(5), Some("directie"))),
            _ => None,
        };
        trips.push(Trip { person, country: countries[k], first: start, last, exception });
    }
    let mut w = Out::create(&out.join("reference/travel_exceptions.csv"), &mut stats)?;
    w.line("person,countries,first_day,last_day,requested_on,approved_by,note")?;
    let mut line = 1;
    for t in &trips {
        if let Some((requested, approver)) = t.exception {
            line += 1;
            // GEO-2: fewer than 21 days ahead (the generator's late one asks 5 days ahead).
            if (t.first - requested).num_days() < 21 || approver.is_none() {
                stats
                    .ground_truth
                    .travel_exception_late_request
                    .push(serde_json::json!({ "source_line": line, "country": t.country }));
            }
            w.line(&format!(
                "{},{},{},{},{},{},{}",
                people[t.person].address,
                t.country,
                t.first,
                t.last,
                requested,
                approver.unwrap_or(""),
                "studiereis"
            ))?;
        }
    }
    w.finish()?;

    let school_ip = ip_in(&mut rng, "BE");
    for &day in &days {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        day_files(out, spec, &mut rng, &people, &trips, day, weekend, tz, &school_ip, &mut stats)?;
    }
    let truth = out.join("ground_truth.json");
    let text = serde_json::to_string_pretty(&stats.ground_truth).map_err(|e| Error::Bug(e.to_string()))?;
    std::fs::write(&truth, text + "\n").map_err(StoreError::io("write", &truth))?;
    stats.files += 1;
    Ok(stats)
}

struct Out {
    w: BufWriter<File>,
    path: PathBuf,
    /// Lines written with [`Out::line`].
    lines: u64,
}

impl Out {
    fn create(path: &Path, stats: &mut GenerateStats) -> Result<Out, Error> {
        let f = File::create(path).map_err(StoreError::io("create", path))?;
        stats.files += 1;
        Ok(Out { w: BufWriter::with_capacity(1 << 20, f), path: path.into(), lines: 0 })
    }
    fn line(&mut self, s: &str) -> Result<(), Error> {
        self.lines += 1;
        self.raw(s.as_bytes())?;
        self.raw(b"\n")
    }
    fn raw(&mut self, b: &[u8]) -> Result<(), Error> {
        self.w.write_all(b).map_err(|e| StoreError::io("write", &self.path)(e).into())
    }
    fn finish(mut self) -> Result<(), Error> {
        self.w.flush().map_err(|e| StoreError::io("write", &self.path)(e).into())
    }
}

/// One day of the school, as every source's generator sees it.
struct Day<'a> {
    out: &'a Path,
    spec: &'a Spec,
    people: &'a [Person],
    /// The people who sign in, mail and browse (pupils, staff, counsellors; no alias).
    actors: Vec<usize>,
    day: NaiveDate,
    weekend: bool,
    tz: Tz,
    school_ip: &'a str,
}

impl Day<'_> {
    /// About `n` events (a tenth on weekends), drawn from the stream.
    fn scale(&self, n: u32, rng: &mut ChaCha8Rng) -> u32 {
        let n = if self.weekend { n / 10 } else { n };
        if n == 0 { 0 } else { rng.random_range(n / 2..=n + n / 2) }
    }
}

/// Writes one day of every source, in the order that fixes the random stream.
#[allow(clippy::too_many_arguments)]
fn day_files(
    out: &Path,
    spec: &Spec,
    rng: &mut ChaCha8Rng,
    people: &[Person],
    trips: &[Trip],
    day: NaiveDate,
    weekend: bool,
    tz: Tz,
    school_ip: &str,
    stats: &mut GenerateStats,
) -> Result<(), Error> {
    let actors: Vec<usize> = people
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.role, Role::Pupil | Role::Staff | Role::Counsellor) && !p.alias)
        .map(|(i, _)| i)
        .collect();
    let d = Day { out, spec, people, actors, day, weekend, tz, school_ip };
    signin::day(&d, rng, trips, stats)?;
    email::exchange_day(&d, rng, stats)?;
    email::postfix_day(&d, rng, stats)?;
    web::squid_day(&d, rng, stats)?;
    web::apache_day(&d, rng, stats)
}
