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
//! Over 600 lines: one generator per source (sign-ins, Exchange, Postfix, Squid, Apache)
//! around one school model and one list of injected violations; splitting it per source
//! (src/demo/, issue 14 step 5) is planned.
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, StoreError};

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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Role {
    Pupil,
    Staff,
    Counsellor,
    Parent,
    Shared,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Pupil => "pupil",
            Role::Staff => "staff",
            Role::Counsellor => "counsellor",
            Role::Parent => "parent",
            Role::Shared => "shared-mailbox",
        }
    }
}

#[derive(Debug, Clone)]
struct Person {
    address: String,
    name: String,
    role: Role,
    class: Option<String>,
    home_ip: String,
    device_ip: String,
    user_id: String,
    /// A known private address of a person listed twice in the directory: never an actor.
    alias: bool,
}

const FIRST: [&str; 40] = [
    "Lotte", "Emma", "Louise", "Olivia", "Noor", "Elena", "Mila", "Julie", "Marie", "Lore", "Hanne", "Fien", "Ella",
    "Lina", "Nora", "Ines", "Sara", "Amber", "Jana", "Zoë", "Noah", "Arthur", "Lucas", "Louis", "Liam", "Jules",
    "Adam", "Finn", "Victor", "Mats", "Lars", "Wout", "Seppe", "Milan", "Kobe", "Thibo", "Senne", "Rayan", "Bram",
    "Stan",
];
const LAST: [&str; 40] = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martens",
    "Vermeulen",
    "Hermans",
    "Pauwels",
    "Aerts",
    "Desmet",
    "Van Damme",
    "De Clercq",
    "Verstraete",
    "Cools",
    "Van den Broeck",
    "Smets",
    "Coppens",
    "Michiels",
    "Bogaerts",
    "Renard",
    "Stevens",
    "Leclercq",
    "Lemmens",
    "De Backer",
    "Segers",
    "Vandenberghe",
    "El Amrani",
    "Yilmaz",
    "Nowak",
    "Rossi",
    "Vos",
];

/// Real address blocks of access providers, per country (ISO-2, first octets, prefix).
const NETS: [(&str, [u8; 2], u8); 12] = [
    ("BE", [81, 240], 14), // Proximus
    ("BE", [84, 192], 14), // Telenet
    ("BE", [94, 224], 13), // Telenet
    ("NL", [77, 160], 14), // KPN
    ("FR", [90, 0], 12),   // Orange
    ("DE", [79, 192], 12), // Deutsche Telekom
    ("LU", [158, 64], 16), // RESTENA
    ("US", [3, 0], 12),    // AWS us-east
    ("CN", [1, 80], 13),   // China Telecom
    ("RU", [5, 136], 13),  // Rostelecom
    ("ES", [88, 0], 12),   // Telefonica
    ("MA", [41, 248], 14), // Maroc Telecom
];

/// The built-in GeoIP database, to draw only addresses it places in the intended country.
static GEO: std::sync::LazyLock<Option<std::sync::Mutex<crate::enrich::geoip::GeoIp>>> =
    std::sync::LazyLock::new(|| crate::enrich::geoip::GeoIp::builtin().ok().map(std::sync::Mutex::new));

/// A random address of an access provider in `country`, one the built-in database places
/// there (the provider blocks above are wide; parts of them are registered elsewhere).
fn ip_in(rng: &mut ChaCha8Rng, country: &str) -> String {
    let nets: Vec<_> = NETS.iter().filter(|n| n.0 == country).collect();
    let mut last = String::new();
    for _ in 0..64 {
        let (_, base, prefix) = nets[rng.random_range(0..nets.len())];
        let span = 1u32 << (32 - u32::from(*prefix));
        let base = u32::from_be_bytes([base[0], base[1], 0, 0]);
        last = std::net::Ipv4Addr::from(base + rng.random_range(1..span - 1)).to_string();
        let placed = GEO.as_ref().and_then(|g| g.lock().ok().map(|mut g| g.lookup(&last)));
        if placed.as_ref().and_then(|p| p.country()) == Some(country) {
            break;
        }
    }
    last
}

fn slug(s: &str) -> String {
    s.to_lowercase().replace('ë', "e").chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

fn guid(rng: &mut ChaCha8Rng) -> String {
    let b: [u8; 16] = rng.random();
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

fn people(rng: &mut ChaCha8Rng, spec: &Spec) -> Vec<Person> {
    let n = spec.people.max(10) as usize;
    let counsellors = (n / 150).max(1);
    let staff = (n * 12 / 100).max(2);
    let pupils = n - staff - counsellors;
    let mut out: Vec<Person> = Vec::new();
    let mut taken = std::collections::HashSet::new();
    let mut add = |rng: &mut ChaCha8Rng, role: Role, class: Option<String>, out: &mut Vec<Person>| {
        let first = FIRST[rng.random_range(0..FIRST.len())];
        let last = LAST[rng.random_range(0..LAST.len())];
        let mut local = format!("{}.{}", slug(first), slug(last));
        let mut i = 2;
        while !taken.insert(local.clone()) {
            local = format!("{}.{}{i}", slug(first), slug(last));
            i += 1;
        }
        let home = match rng.random_range(0..100) {
            0..=87 => "BE",
            88..=92 => "NL",
            93..=96 => "FR",
            97..=98 => "DE",
            _ => "LU",
        };
        let k = out.len();
        let domain = if role == Role::Parent {
            ["gmail.com", "telenet.be", "hotmail.com", "outlook.com", "skynet.be"][rng.random_range(0..5)].to_string()
        } else {
            spec.domain.clone()
        };
        out.push(Person {
            address: format!("{local}@{domain}"),
            name: format!("{first} {last}"),
            role,
            class,
            home_ip: ip_in(rng, home),
            device_ip: format!("10.20.{}.{}", (k / 250) % 250, k % 250 + 2),
            user_id: guid(rng),
            alias: false,
        });
    };
    for i in 0..pupils {
        let class = format!("{}{}", 1 + i % 6, ["A", "B", "C"][i / 6 % 3]);
        add(rng, Role::Pupil, Some(class), &mut out);
    }
    for _ in 0..staff {
        add(rng, Role::Staff, None, &mut out);
    }
    for _ in 0..counsellors {
        add(rng, Role::Counsellor, None, &mut out);
    }
    for _ in 0..pupils / 2 {
        add(rng, Role::Parent, None, &mut out);
    }
    for name in ["secretariaat", "nieuwsbrief"] {
        let k = out.len();
        out.push(Person {
            address: format!("{name}@{}", spec.domain),
            name: name.to_string(),
            role: Role::Shared,
            class: None,
            home_ip: ip_in(rng, "BE"),
            device_ip: format!("10.20.250.{}", k % 250 + 2),
            user_id: guid(rng),
            alias: false,
        });
    }
    // MAIL-1: the directory knows one staff member's and one pupil's private address.
    for role in [Role::Staff, Role::Pupil] {
        if let Some(p) = out.iter().find(|p| p.role == role && !p.alias).cloned() {
            let local = p.address.split('@').next().unwrap_or("").to_string();
            let domain = if role == Role::Staff { "gmail.com" } else { "hotmail.com" };
            out.push(Person {
                address: format!("{local}.prive@{domain}"),
                name: format!("{} (privé)", p.name),
                alias: true,
                ..p
            });
        }
    }
    out
}

const SITES: [&str; 30] = [
    "www.smartschool.be",
    "login.microsoftonline.com",
    "outlook.office.com",
    "teams.microsoft.com",
    "www.office.com",
    "school.example",
    "nl.wikipedia.org",
    "www.google.be",
    "www.google.com",
    "fonts.gstatic.com",
    "www.bing.com",
    "www.vrt.be",
    "www.standaard.be",
    "www.hln.be",
    "www.knack.be",
    "www.klascement.net",
    "www.scoodle.be",
    "www.diddit.be",
    "www.bookwidgets.com",
    "quizlet.com",
    "www.duolingo.com",
    "kahoot.it",
    "www.canva.com",
    "docs.google.com",
    "www.youtube.com",
    "i.ytimg.com",
    "cdn.jsdelivr.net",
    "www.meteo.be",
    "www.belgium.be",
    "www.onderwijs.vlaanderen.be",
];
/// The requests injected for the web rules: rule, Squid code/status, method, URL. The
/// hosts are entries of the built-in UT1 sample (fixtures/blocklists).
const WEB_INJECTIONS: [(&str, &str, &str, &str); 5] = [
    ("web_forbidden_category", "TCP_MISS/200", "GET", "http://020sextoy.com/sk/index.html"),
    ("web_filter_circumvention", "TCP_TUNNEL/200", "CONNECT", "01usevpn.website:443"),
    ("web_leisure_during_school_hours", "TCP_MISS/200", "GET", "http://0000100.com/play"),
    ("web_download_executable", "TCP_MISS/200", "GET", "http://files.example.org/tools/setup.exe"),
    ("web_malware_or_phishing", "TCP_DENIED/403", "GET", "http://0819-4xo.pages.dev/de/register/step1"),
];

const SUBJECTS: [&str; 16] = [
    "Planning toetsen volgende week",
    "Vraag over huiswerk wiskunde",
    "Verslag vergadering",
    "Uitstap naar Brugge",
    "Lessenrooster aangepast",
    "Taak Nederlands",
    "Re: project geschiedenis",
    "Boekenlijst",
    "Oudercontact",
    "Re: Re: groepswerk",
    "Agenda personeelsvergadering",
    "Sportdag",
    "Fotos schoolfeest",
    "Vraag",
    "Nota",
    "Verbetersleutel hoofdstuk 3",
];
const APPS: [(&str, &str); 5] = [
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
    ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"),
    ("OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca"),
    ("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c"),
    ("OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763"),
];

/// A generated sign-in.
struct SigninEvent {
    t: DateTime<Utc>,
    person: usize,
    ip: String,
    country: &'static str,
    code: i64,
    interactive: bool,
    /// The signIn `id`: the key of the ground truth.
    id: String,
    /// Injected: from abroad with no approved exception covering it (GEO-1).
    violation: bool,
}

/// What the generator injected, for tests to compare findings with (`ground_truth.json`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct GroundTruth {
    /// Sign-ins `signin_outside_allowed_countries` must find: request id, time, severity.
    pub signin_outside_allowed_countries: Vec<serde_json::Value>,
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
        w.line(&format!("{},{},{},{}", p.address, p.role.name(), p.name, class))?;
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

/// One message through the Postfix relay, with the headers the school logs (README:
/// `header_checks` with INFO).
struct Mail<'a> {
    secs: u32,
    sasl: Option<&'a str>,
    client: (&'a str, &'a str),
    sender: &'a str,
    to: Vec<String>,
    headers: Vec<(&'static str, String)>,
    nrcpt: Option<usize>,
}

/// Writes one message; returns the line of its first delivery (the evidence line the rules
/// report: the smallest line of the message's rows).
fn postfix_message(
    w: &mut Out,
    rng: &mut ChaCha8Rng,
    day: NaiveDate,
    tz: Tz,
    pid: &mut u32,
    domain: &str,
    m: &Mail,
) -> Result<u64, Error> {
    let qid = hex::encode_upper(rng.random::<[u8; 5]>());
    let stamp = |s: u32| at(day, tz, s).with_timezone(&tz).format("%b %e %H:%M:%S").to_string();
    let (host, ip) = m.client;
    let p = *pid;
    *pid += 10;
    match m.sasl {
        Some(a) => w.line(&format!(
            "{} relay postfix/smtpd[{p}]: {qid}: client={host}[{ip}], sasl_method=LOGIN, sasl_username={a}",
            stamp(m.secs)
        ))?,
        None => w.line(&format!("{} relay postfix/smtpd[{p}]: {qid}: client={host}[{ip}]", stamp(m.secs)))?,
    }
    w.line(&format!("{} relay postfix/cleanup[{}]: {qid}: message-id=<{}@{domain}>", stamp(m.secs), p + 1, guid(rng)))?;
    let first = m.to.first().cloned().unwrap_or_default();
    let helo = host.split('.').next().unwrap_or(host);
    for (name, value) in &m.headers {
        w.line(&format!(
            "{} relay postfix/cleanup[{}]: {qid}: info: header {name}: {value} from {host}[{ip}]; from=<{}> to=<{first}> proto=ESMTP helo=<{helo}>",
            stamp(m.secs),
            p + 1,
            m.sender
        ))?;
    }
    w.line(&format!(
        "{} relay postfix/qmgr[{}]: {qid}: from=<{}>, size={}, nrcpt={} (queue active)",
        stamp(m.secs),
        p + 2,
        m.sender,
        rng.random_range(3_000..90_000),
        m.nrcpt.unwrap_or(m.to.len())
    ))?;
    let mut first_line = 0;
    for (j, r) in m.to.iter().enumerate() {
        let line = if r.ends_with(domain) {
            format!(
                "{} relay postfix/lmtp[{}]: {qid}: to=<{r}>, relay=mail.{domain}[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 <{r}> Saved)",
                stamp(m.secs + 1),
                p + 3
            )
        } else {
            let relay_ip = ip_in(rng, "BE");
            format!(
                "{} relay postfix/smtp[{}]: {qid}: to=<{r}>, relay=mx.{}[{relay_ip}]:25, delay=1.{j}, delays=0.1/0/0.5/0.{j}, dsn=2.0.0, status=sent (250 2.0.0 OK)",
                stamp(m.secs + 1),
                p + 3,
                r.split('@').nth(1).unwrap_or("")
            )
        };
        w.line(&line)?;
        if first_line == 0 {
            first_line = w.lines;
        }
    }
    w.line(&format!("{} relay postfix/qmgr[{}]: {qid}: removed", stamp(m.secs + 2), p + 2))?;
    Ok(first_line)
}

/// Injects one message per mail rule on about half of the school days (each drawn from the
/// seed), plus protected look-alikes that no rule may find (CTL-7, CTL-8), and records
/// every finding-to-be in the ground truth.
#[allow(clippy::too_many_arguments)]
fn inject_mail(
    w: &mut Out,
    rng: &mut ChaCha8Rng,
    people: &[Person],
    day: NaiveDate,
    weekend: bool,
    tz: Tz,
    pid: &mut u32,
    spec: &Spec,
    stats: &mut GenerateStats,
) -> Result<(), Error> {
    let file = format!("mail.log-{day}");
    let pick = |rng: &mut ChaCha8Rng, role: Role| -> Option<Person> {
        let v: Vec<&Person> = people.iter().filter(|p| p.role == role && !p.alias).collect();
        (!v.is_empty()).then(|| v[rng.random_range(0..v.len())].clone())
    };
    // One staff member breaks the mail rules throughout (the demo's case looks at them):
    // the second of the directory, so that the first traveller stays apart.
    let suspect = people.iter().filter(|p| p.role == Role::Staff && !p.alias).nth(1).cloned();
    let (Some(staff), Some(colleague), Some(pupil), Some(parent), Some(counsellor)) =
        (suspect, pick(rng, Role::Staff), pick(rng, Role::Pupil), pick(rng, Role::Parent), pick(rng, Role::Counsellor))
    else {
        return Ok(());
    };
    let alias = people.iter().find(|p| p.alias && p.role == Role::Staff).cloned();
    let outlook = ("X-Mailer", "Microsoft Outlook 16.0".to_string());
    let pc = format!("pc{}.{}", rng.random_range(10..99), spec.domain);
    let pc_ip = staff.device_ip.clone();
    let first_name = pupil.name.split(' ').next().unwrap_or("").to_string();
    let mut kinds: Vec<(&str, Mail)> = Vec::new();
    let base = |secs: u32, to: Vec<String>, headers: Vec<(&'static str, String)>| Mail {
        secs,
        sasl: None,
        client: ("", ""),
        sender: "",
        to,
        headers,
        nrcpt: None,
    };
    // Submitted by the suspect from a school PC.
    let by_staff = |secs: u32, to: Vec<String>, headers: Vec<(&'static str, String)>| Mail {
        sasl: Some(&staff.address),
        client: (&pc, &pc_ip),
        sender: &staff.address,
        ..base(secs, to, headers)
    };
    if !weekend {
        if let Some(a) = &alias {
            kinds.push((
                "mail_private_address_staff_pupil",
                Mail {
                    client: ("mail-sor-f41.google.com", "209.85.220.41"),
                    sender: &a.address,
                    ..base(20 * 3600 + 15 * 60, vec![pupil.address.clone()], vec![("Subject", "Re: huiswerk".into())])
                },
            ));
        }
        let externals: Vec<String> = (1..=12).map(|i| format!("lid{i:02}@vereniging.example")).collect();
        kinds.push((
            "mail_external_recipients_visible",
            by_staff(
                10 * 3600,
                externals.clone(),
                vec![("Subject", "Uitnodiging sportdag".into()), outlook.clone(), ("To", externals.join(", "))],
            ),
        ));
        kinds.push((
            "mail_password_in_subject",
            by_staff(
                10 * 3600 + 30 * 60,
                vec![parent.address.clone()],
                vec![
                    ("Subject", "Uw nieuw wachtwoord voor Smartschool".into()),
                    outlook.clone(),
                    ("To", parent.address.clone()),
                ],
            ),
        ));
        kinds.push((
            "mail_sensitive_pupil_data_in_subject",
            by_staff(
                11 * 3600,
                vec![colleague.address.clone()],
                vec![
                    ("Subject", format!("Medicatie {first_name} tijdens uitstap")),
                    outlook.clone(),
                    ("To", colleague.address.clone()),
                ],
            ),
        ));
        kinds.push((
            "mail_sender_misrepresented",
            by_staff(
                11 * 3600 + 30 * 60,
                vec![pupil.address.clone()],
                vec![
                    ("Subject", "Bericht van de directie".into()),
                    outlook.clone(),
                    ("From", "\"Directie\" <directie@schoo1-example.com>".into()),
                    ("To", pupil.address.clone()),
                ],
            ),
        ));
        kinds.push((
            "mail_forbidden_attachment",
            by_staff(
                12 * 3600,
                vec![parent.address.clone()],
                vec![
                    ("Subject", "Rapport".into()),
                    outlook.clone(),
                    ("To", parent.address.clone()),
                    ("Content-Disposition", "attachment; filename=\"rapport.pdf.exe\"".into()),
                ],
            ),
        ));
        kinds.push((
            "mail_mass_or_chain",
            Mail {
                sasl: Some(&staff.address),
                client: (&pc, &pc_ip),
                sender: &staff.address,
                nrcpt: Some(60),
                ..base(
                    13 * 3600,
                    vec![pupil.address.clone()],
                    vec![("Subject", "Info voor alle klassen".into()), outlook.clone()],
                )
            },
        ));
        kinds.push((
            "mail_unapproved_client",
            by_staff(
                14 * 3600,
                vec![colleague.address.clone()],
                vec![
                    ("Subject", "Planning".into()),
                    ("User-Agent", "Mozilla Thunderbird 128.3.0".into()),
                    ("To", colleague.address.clone()),
                ],
            ),
        ));
    }
    kinds.push((
        "mail_staff_to_parent_after_hours",
        by_staff(
            19 * 3600 + 30 * 60,
            vec![parent.address.clone()],
            vec![("Subject", "Vraag over uitstap".into()), outlook.clone(), ("To", parent.address.clone())],
        ),
    ));
    // Look-alikes no rule may find: personal-labelled (CTL-7) and to a counsellor (CTL-8).
    let protected = [
        by_staff(
            15 * 3600,
            vec![colleague.address.clone()],
            vec![
                ("Subject", "Mijn wachtwoord voor de fitness".into()),
                ("Sensitivity", "Personal".into()),
                outlook.clone(),
                ("To", colleague.address.clone()),
            ],
        ),
        by_staff(
            15 * 3600 + 30 * 60,
            vec![counsellor.address.clone()],
            vec![
                ("Subject", format!("Verslag CLB {first_name}: medicatie en thuissituatie")),
                outlook.clone(),
                ("To", counsellor.address.clone()),
                ("Content-Disposition", "attachment; filename=\"verslag.exe\"".into()),
            ],
        ),
    ];
    for (rule, m) in &kinds {
        if rng.random_range(0..2) == 0 {
            continue;
        }
        let line = postfix_message(w, rng, day, tz, pid, &spec.domain, m)?;
        stats.mails += m.to.len() as u64;
        stats.ground_truth.add(rule, &file, line, day);
    }
    if !weekend {
        for m in &protected {
            postfix_message(w, rng, day, tz, pid, &spec.domain, m)?;
            stats.mails += m.to.len() as u64;
        }
    }
    Ok(())
}

/// A local moment of `day` in the school's zone, in UTC.
fn at(day: NaiveDate, tz: Tz, secs: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(i64::from(secs.min(86_399)));
    tz.from_local_datetime(&naive)
        .earliest()
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive).with_timezone(&tz))
        .with_timezone(&Utc)
}

/// A second of the day: mostly school hours, sometimes the evening.
fn busy_second(rng: &mut ChaCha8Rng, weekend: bool) -> u32 {
    if weekend || rng.random_range(0..100) < 20 {
        rng.random_range(17 * 3600..22 * 3600)
    } else {
        rng.random_range(8 * 3600 + 25 * 60..16 * 3600)
    }
}

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
    let scale = |n: u32, rng: &mut ChaCha8Rng| -> u32 {
        let n = if weekend { n / 10 } else { n };
        if n == 0 { 0 } else { rng.random_range(n / 2..=n + n / 2) }
    };
    let actors: Vec<usize> = people
        .iter()
        .enumerate()
        .filter(|(_, p)| matches!(p.role, Role::Pupil | Role::Staff | Role::Counsellor) && !p.alias)
        .map(|(i, _)| i)
        .collect();

    // Sign-ins.
    let mut signins: Vec<SigninEvent> = Vec::new();
    for &i in &actors {
        let p = &people[i];
        let trip = trips.iter().find(|t| t.person == i && t.first <= day && day <= t.last);
        for _ in 0..scale(spec.signins_per_day, rng) {
            let s = busy_second(rng, weekend);
            let (ip, country) = match trip {
                Some(t) => (ip_in(rng, t.country), t.country),
                None if s >= 16 * 3600 || weekend => (p.home_ip.clone(), "BE"),
                None => (school_ip.to_string(), "BE"),
            };
            let code = if rng.random_range(0..100) < 3 { 50126 } else { 0 };
            let interactive = rng.random_range(0..100) < 30;
            let violation = trip.is_some_and(|t| t.exception.is_none_or(|(_, a)| a.is_none()));
            signins.push(SigninEvent {
                t: at(day, tz, s),
                person: i,
                ip,
                country,
                code,
                interactive,
                id: guid(rng),
                violation,
            });
        }
    }
    // Attackers: password spraying from abroad, all blocked.
    for _ in 0..rng.random_range(2..6) {
        let i = actors[rng.random_range(0..actors.len())];
        let c = ["CN", "RU", "US"][rng.random_range(0..3)];
        let (t, ip) = (at(day, tz, rng.random_range(0..86_399)), ip_in(rng, c));
        signins.push(SigninEvent {
            t,
            person: i,
            ip,
            country: c,
            code: 50126,
            interactive: true,
            id: guid(rng),
            violation: true,
        });
    }
    signins.sort_by_key(|s| s.t);
    for e in signins.iter().filter(|e| e.violation) {
        stats.ground_truth.signin_outside_allowed_countries.push(serde_json::json!({
            "request_id": e.id,
            "event_time": e.t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "finding_severity": if e.code == 0 { "high" } else { "info" },
        }));
    }
    stats.signins += signins.len() as u64;
    let sunday = day.weekday() == Weekday::Sun;
    if sunday {
        let mut w = Out::create(&out.join(format!("logs/signin/loganalytics-{day}.csv")), stats)?;
        write_la_csv(&mut w, rng, people, &signins)?;
        w.finish()?;
    } else {
        let mut g = Out::create(&out.join(format!("logs/signin/graph-{day}.json")), stats)?;
        let mut d = Out::create(&out.join(format!("logs/signin/diagnostic-{day}.json")), stats)?;
        g.raw(b"{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[")?;
        let mut first = true;
        for e in &signins {
            let (t, i, ip, country, code, interactive) = (&e.t, &e.person, &e.ip, e.country, &e.code, &e.interactive);
            let obj = graph_signin(rng, &people[*i], e, ip, country, *code, *interactive);
            if *interactive {
                if !first {
                    g.raw(b",\n")?;
                }
                first = false;
                g.raw(obj.to_string().as_bytes())?;
            } else {
                // Azure writes 7 fractional digits (100 ns ticks).
                let t7 = format!("{}.{:07}Z", t.format("%Y-%m-%dT%H:%M:%S"), t.timestamp_subsec_nanos() / 100);
                let rec = serde_json::json!({
                    "time": t7,
                    "resourceId": "/tenants/5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6/providers/Microsoft.aadiam",
                    "operationName": "Sign-in activity",
                    "operationVersion": "1.0",
                    "category": "NonInteractiveUserSignInLogs",
                    "tenantId": "5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6",
                    "resultType": code.to_string(),
                    "resultSignature": "None",
                    "durationMs": 0,
                    "callerIpAddress": ip,
                    "correlationId": guid(rng),
                    "identity": people[*i].name,
                    "Level": 4,
                    "location": country,
                    "properties": obj,
                });
                d.line(&rec.to_string())?;
            }
        }
        g.raw(b"]}\n")?;
        g.finish()?;
        d.finish()?;
    }

    // Mail through Exchange Online.
    let mut w = Out::create(&out.join(format!("logs/email/messagetrace-{day}.csv")), stats)?;
    w.raw(b"#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n")?;
    w.raw(b"\"PSComputerName\",\"RunspaceId\",\"PSShowComputerName\",\"Organization\",\"MessageId\",\"Received\",\"SenderAddress\",\"RecipientAddress\",\"Subject\",\"Status\",\"ToIP\",\"FromIP\",\"Size\",\"MessageTraceId\",\"StartDate\",\"EndDate\",\"Index\"\r\n")?;
    let mut rows: Vec<(DateTime<Utc>, String)> = Vec::new();
    let parents: Vec<usize> =
        people.iter().enumerate().filter(|(_, p)| p.role == Role::Parent).map(|(i, _)| i).collect();
    for &i in &actors {
        let p = &people[i];
        for _ in 0..scale(spec.mails_per_day, rng) / 3 {
            let t = at(day, tz, busy_second(rng, weekend));
            let n = rng.random_range(1..=3);
            let subject = SUBJECTS[rng.random_range(0..SUBJECTS.len())];
            let size = rng.random_range(3_000..250_000);
            let mid = format!(
                "<{}@{}>",
                guid(rng).replace('-', "").to_uppercase(),
                p.address.split('@').nth(1).unwrap_or("")
            );
            let trace = guid(rng);
            for _ in 0..n {
                // MAIL-8: the clean traffic mails parents only on weekdays between 07:00 and 17:00.
                let local = t.with_timezone(&tz);
                let quiet = weekend || local.hour() >= 17 || local.hour() < 7;
                let r = if p.role == Role::Staff && !quiet && !parents.is_empty() && rng.random_range(0..10) == 0 {
                    parents[rng.random_range(0..parents.len())]
                } else {
                    actors[rng.random_range(0..actors.len())]
                };
                let r = &people[r];
                let external = !r.address.ends_with(&spec.domain);
                let to_ip = if external { ip_in(rng, "BE") } else { String::new() };
                let from_ip = if t.with_timezone(&tz).format("%H").to_string().as_str() < "16" {
                    school_ip
                } else {
                    p.home_ip.as_str()
                };
                let mut line = String::new();
                let _ = write!(
                    line,
                    "\"outlook.office365.com\",\"{}\",\"False\",\"school.onmicrosoft.com\",\"{mid}\",\"{}\",\"{}\",\"{}\",\"{}\",\"Delivered\",\"{to_ip}\",\"{from_ip}\",\"{size}\",\"{trace}\",\"{}\",\"{}\",\"{}\"\r\n",
                    guid(rng),
                    t.format("%-m/%-d/%Y %-I:%M:%S %p"),
                    p.address,
                    r.address,
                    subject,
                    day.format("%-m/%-d/%Y 12:00:00 AM"),
                    (day + Duration::days(1)).format("%-m/%-d/%Y 12:00:00 AM"),
                    rows.len()
                );
                rows.push((t, line));
            }
        }
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0)); // Get-MessageTrace lists newest first
    stats.mails += rows.len() as u64;
    for (_, line) in &rows {
        w.raw(line.as_bytes())?;
    }
    w.finish()?;

    // The newsletter relay (Postfix): a few mailings to parents, and rejected spam.
    let mut w = Out::create(&out.join(format!("logs/email/mail.log-{day}")), stats)?;
    let sender = people
        .iter()
        .find(|p| p.role == Role::Shared && p.address.starts_with("nieuwsbrief"))
        .map(|p| p.address.clone())
        .unwrap_or_default();
    let mut pid = 2000u32;
    for k in 0..if weekend { 0 } else { 2 } {
        let mut s = 10 * 3600 + k * 3600 + rng.random_range(0..600);
        let qid = hex::encode_upper(rng.random::<[u8; 5]>());
        let stamp = |s: u32| at(day, tz, s).with_timezone(&tz).format("%b %e %H:%M:%S").to_string();
        let n = parents.len().min(5);
        w.line(&format!(
            "{} relay postfix/smtpd[{pid}]: {qid}: client=app01.{}[10.20.250.10], sasl_method=PLAIN, sasl_username={}",
            stamp(s),
            spec.domain,
            sender
        ))?;
        w.line(&format!(
            "{} relay postfix/cleanup[{}]: {qid}: message-id=<{}@{}>",
            stamp(s),
            pid + 1,
            guid(rng),
            spec.domain
        ))?;
        w.line(&format!(
            "{} relay postfix/qmgr[{}]: {qid}: from=<{sender}>, size={}, nrcpt={n} (queue active)",
            stamp(s),
            pid + 2,
            rng.random_range(20_000..90_000)
        ))?;
        for j in 0..n {
            s += 1;
            let r = &people[parents[rng.random_range(0..parents.len())]];
            let relay_ip = ip_in(rng, "BE");
            w.line(&format!(
                "{} relay postfix/smtp[{}]: {qid}: to=<{}>, relay=mx.{}[{relay_ip}]:25, delay=1.{j}, delays=0.1/0/0.5/0.{j}, dsn=2.0.0, status=sent (250 2.0.0 OK)",
                stamp(s), pid + 3, r.address, r.address.split('@').nth(1).unwrap_or("")
            ))?;
            stats.mails += 1;
        }
        w.line(&format!("{} relay postfix/qmgr[{}]: {qid}: removed", stamp(s + 1), pid + 2))?;
        pid += 10;
        let spam_ip = ip_in(rng, "RU");
        let victim = &people[actors[rng.random_range(0..actors.len())]].address;
        w.line(&format!(
            "{} relay postfix/smtpd[{pid}]: NOQUEUE: reject: RCPT from unknown[{spam_ip}]: 554 5.7.1 <{victim}>: Relay access denied; from=<promo@bulk-offers.example> to=<{victim}> proto=ESMTP helo=<bulk-offers.example>",
            stamp(s + 30)
        ))?;
        stats.mails += 1;
    }
    inject_mail(&mut w, rng, people, day, weekend, tz, &mut pid, spec, stats)?;
    w.finish()?;

    // The proxy (Squid native).
    let mut w = Out::create(&out.join(format!("logs/web/access-{day}.log")), stats)?;
    let mut reqs: Vec<(i64, usize, Option<usize>)> = Vec::new();
    // Injected: one request per web rule on about half of the school days, by a pupil,
    // during lessons (WEB_INJECTIONS; hosts from the built-in UT1 sample).
    if !weekend {
        let pupils: Vec<usize> = actors.iter().copied().filter(|&i| people[i].role == Role::Pupil).collect();
        for k in 0..WEB_INJECTIONS.len() {
            if pupils.is_empty() || rng.random_range(0..2) == 0 {
                continue;
            }
            let s = rng.random_range(9 * 3600..15 * 3600);
            let t = at(day, tz, s).timestamp_millis() + rng.random_range(0..1000);
            reqs.push((t, pupils[rng.random_range(0..pupils.len())], Some(k)));
        }
    }
    for &i in &actors {
        for _ in 0..scale(spec.web_per_day, rng) {
            let s = if weekend {
                rng.random_range(10 * 3600..16 * 3600)
            } else {
                rng.random_range(8 * 3600 + 25 * 60..16 * 3600)
            };
            let t = at(day, tz, s).timestamp_millis() + rng.random_range(0..1000);
            reqs.push((t, i, None));
        }
    }
    reqs.sort_unstable();
    stats.web += reqs.len() as u64;
    let mut line = String::with_capacity(256);
    let file = format!("access-{day}.log");
    for (t, i, injected) in reqs {
        let p = &people[i];
        let site = SITES[rng.random_range(0..SITES.len())];
        line.clear();
        let elapsed = rng.random_range(5..900);
        let bytes = rng.random_range(300..80_000);
        if let Some(k) = injected {
            let (rule, code, method, url) = WEB_INJECTIONS[k];
            let _ = write!(
                line,
                "{}.{:03} {elapsed:>6} {} {code} {bytes} {method} {url} {} HIER_DIRECT/{} text/html",
                t / 1000,
                t % 1000,
                p.device_ip,
                p.address,
                school_ip
            );
            w.line(&line)?;
            stats.ground_truth.add(rule, &file, w.lines, day);
            continue;
        }
        if rng.random_range(0..10) < 8 {
            let _ = write!(
                line,
                "{}.{:03} {elapsed:>6} {} TCP_TUNNEL/200 {bytes} CONNECT {site}:443 {} HIER_DIRECT/{} -",
                t / 1000,
                t % 1000,
                p.device_ip,
                p.address,
                school_ip
            );
        } else {
            let _ = write!(
                line,
                "{}.{:03} {elapsed:>6} {} TCP_MISS/200 {bytes} GET http://{site}/ {} HIER_DIRECT/{} text/html",
                t / 1000,
                t % 1000,
                p.device_ip,
                p.address,
                school_ip
            );
        }
        w.line(&line)?;
    }
    w.finish()?;

    // The school website (Apache combined).
    let mut w = Out::create(&out.join(format!("logs/web/www-access-{day}.log")), stats)?;
    let n = if weekend { 40 } else { 200 };
    let mut visits: Vec<u32> = (0..n).map(|_| rng.random_range(0..86_399)).collect();
    visits.sort_unstable();
    for s in visits {
        let t = at(day, tz, s).with_timezone(&tz);
        let page =
            ["/", "/nieuws", "/inschrijvingen", "/contact", "/kalender", "/img/logo.png"][rng.random_range(0..6)];
        let ip = ip_in(rng, "BE");
        w.line(&format!(
            "{ip} - - [{}] \"GET {page} HTTP/1.1\" 200 {} \"https://www.google.be/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\"",
            t.format("%d/%b/%Y:%H:%M:%S %z"),
            rng.random_range(500..40_000)
        ))?;
        stats.web += 1;
    }
    w.finish()?;
    Ok(())
}

fn graph_signin(
    rng: &mut ChaCha8Rng,
    p: &Person,
    e: &SigninEvent,
    ip: &str,
    country: &str,
    code: i64,
    interactive: bool,
) -> serde_json::Value {
    let (app, app_id) = APPS[rng.random_range(0..APPS.len())];
    let reason =
        if code == 0 { "Other." } else { "Invalid username or password or Invalid on-premise username or password." };
    let t = e.t;
    serde_json::json!({
        "id": e.id,
        "createdDateTime": t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "userDisplayName": p.name,
        "userPrincipalName": p.address,
        "userId": p.user_id,
        "appId": app_id,
        "appDisplayName": app,
        "ipAddress": ip,
        "clientAppUsed": if interactive { "Browser" } else { "Mobile Apps and Desktop clients" },
        "correlationId": guid(rng),
        "conditionalAccessStatus": "notApplied",
        "isInteractive": interactive,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes_v2": [],
        "resourceDisplayName": app,
        "status": { "errorCode": code, "failureReason": reason, "additionalDetails": null },
        "deviceDetail": { "deviceId": "", "displayName": "", "operatingSystem": "Windows10", "browser": "Edge 131.0.0", "isCompliant": false, "isManaged": false, "trustType": "" },
        "location": { "city": if country == "BE" { "Gent" } else { "" }, "state": "", "countryOrRegion": country,
            "geoCoordinates": { "altitude": null, "latitude": null, "longitude": null } },
        "appliedConditionalAccessPolicies": []
    })
}

fn write_la_csv(w: &mut Out, rng: &mut ChaCha8Rng, people: &[Person], signins: &[SigninEvent]) -> Result<(), Error> {
    // Log Analytics: BOM, CRLF, every cell quoted, dynamic columns twice.
    w.raw(&[0xEF, 0xBB, 0xBF])?;
    let header = [
        "TenantId",
        "SourceSystem",
        "TimeGenerated [UTC]",
        "ResourceId",
        "OperationName",
        "OperationVersion",
        "Category",
        "ResultType",
        "ResultSignature",
        "ResultDescription",
        "DurationMs",
        "CorrelationId",
        "Resource",
        "ResourceGroup",
        "Identity",
        "Level",
        "Location",
        "AppDisplayName",
        "AppId",
        "ClientAppUsed",
        "ConditionalAccessStatus",
        "CreatedDateTime [UTC]",
        "DeviceDetail_dynamic",
        "DeviceDetail_string",
        "IsInteractive",
        "Id",
        "IPAddress",
        "LocationDetails_dynamic",
        "LocationDetails_string",
        "Status_dynamic",
        "Status_string",
        "UserDisplayName",
        "UserId",
        "UserPrincipalName",
        "UserType",
        "Type",
    ];
    w.raw(header.join(",").as_bytes())?;
    w.raw(b"\r\n")?;
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for e in signins {
        let (t, i, ip, country, code, interactive) = (&e.t, &e.person, &e.ip, e.country, &e.code, &e.interactive);
        let p = &people[*i];
        let (app, app_id) = APPS[rng.random_range(0..APPS.len())];
        let us = t.format("%-m/%-d/%Y, %-I:%M:%S%.3f %p").to_string();
        let device = "{\r\n  \"deviceId\": \"\",\r\n  \"operatingSystem\": \"Windows10\",\r\n  \"browser\": \"Edge 131.0.0\"\r\n}";
        let loc = format!("{{\r\n  \"city\": \"\",\r\n  \"countryOrRegion\": \"{country}\"\r\n}}");
        let reason =
            if *code == 0 { "" } else { "Invalid username or password or Invalid on-premise username or password." };
        let status = format!("{{\r\n  \"errorCode\": {code},\r\n  \"failureReason\": \"{reason}\"\r\n}}");
        let cells = [
            q("5f0c0e6a-1b2c-4d3e-8f90-a1b2c3d4e5f6"),
            q("Azure AD"),
            q(&us),
            q("/tenants/5f0c0e6a/providers/Microsoft.aadiam"),
            q("Sign-in activity"),
            q("1.0"),
            q("SignInLogs"),
            q(&code.to_string()),
            q("None"),
            q(reason),
            q("0"),
            q(&guid(rng)),
            q("Microsoft.aadiam"),
            q("Microsoft.aadiam"),
            q(&p.name),
            q("4"),
            q(country),
            q(app),
            q(app_id),
            q(if *interactive { "Browser" } else { "Mobile Apps and Desktop clients" }),
            q("notApplied"),
            q(&us),
            q(device),
            q(&device.replace("\r\n", "").replace("  ", "")),
            q(if *interactive { "TRUE" } else { "FALSE" }),
            q(&e.id),
            q(ip),
            q(&loc),
            q(&loc.replace("\r\n", "").replace("  ", "")),
            q(&status),
            q(&status.replace("\r\n", "").replace("  ", "")),
            q(&p.name),
            q(&p.user_id),
            q(&p.address),
            q("Member"),
            q("SigninLogs"),
        ];
        w.raw(cells.join(",").as_bytes())?;
        w.raw(b"\r\n")?;
    }
    Ok(())
}
