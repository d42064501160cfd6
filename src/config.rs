//! The workspace configuration: `logwacht.toml`, found in the current directory or given
//! with `--config`. Defaults come from `docs/policy.md`; paths are relative to the
//! file. [`TEMPLATE`] is what `logwacht init` writes: every setting, commented.
//!
//! Over 600 lines: the commented template of `logwacht.toml` and the check of every key
//! stand in one file on purpose, so a key's default, its documentation and its limits are
//! read together.
use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::Deserialize;

/// The file name commands look for.
pub const FILE_NAME: &str = "logwacht.toml";

/// The pseudonym key file's name in a workspace (CTL-2).
pub const KEY_FILE: &str = "secret.key";

/// Problems with the workspace configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No `logwacht.toml` where one was expected.
    #[error("no logwacht.toml at {path}; run `logwacht init` or pass --config PATH")]
    NotFound { path: PathBuf },
    /// The file exists but cannot be read.
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not parse or has unknown keys.
    #[error("{path} is not a valid logwacht.toml: {message}")]
    Parse { path: PathBuf, message: String },
    /// A setting has a value outside its allowed range.
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    /// `init` would overwrite an existing workspace.
    #[error("{path} already exists; refusing to overwrite a workspace")]
    Exists { path: PathBuf },
    /// Writing the new workspace failed.
    #[error("cannot create {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What `logwacht init` writes.
pub const TEMPLATE: &str = r#"# logwacht.toml: the settings of one school's logwacht workspace.
# Paths are relative to this file. Requirement ids (RET-1, GEO-2, ...) point into the
# policy the pipeline enforces; article numbers into the school's ICT protocol.

[store]
# The day-partitioned Parquet store: <dir>/<source>/date=YYYY-MM-DD/part-*.parquet.
dir = "store"

[reference]
# Reference files: people.csv (address, role, display_name, class) with role one of
# pupil | staff | counsellor | parent | shared-mailbox | protected-mailbox; travel_exceptions.csv.
dir = "reference"

[retention]
# RET-1 (003 art. 6.7): logging data is kept this many days and no longer.
days = 28
# RET-2 (003 art. 6.7): a hold for a concrete case lasts at most this many days.
max_hold_days = 90

[ingest]
# Events more than this many minutes after "now" are rejected as lying in the future.
future_tolerance_minutes = 60
# Rows per Arrow batch handed from a parser to the Parquet writer.
batch_rows = 65536
# A line or record longer than this many bytes is rejected (its first 4 KiB kept), so no
# input can make ingest hold more than this of one record in memory.
max_record_bytes = 1048576

[school]
# The school's time zone: school hours, holidays, syslog stamps without zone, travel days.
timezone = "Europe/Brussels"
# The school's own mail domains (MAIL-1, MAIL-5).
mail_domains = ["school.example"]
# School hours, local time, on school days (WEB-3: 000 par. 6.4).
day_start = "08:25"
day_end = "16:00"
school_days = ["mon", "tue", "wed", "thu", "fri"]
# School holidays, local dates, inclusive: ["2026-12-21..2027-01-03", ...].
holidays = []
# MAIL-8 (004): no mail from staff to parents after this time or at weekends, nor in the
# night before this time.
parent_mail_until = "17:00"
parent_mail_from = "07:00"
# How a staff member may be named for a breach of the ICT use rules: "none", or "cao81"
# for Belgian schools that follow CAO nr. 81 (control of electronic online communication
# data): only after an alarm-bell notice to all staff (`logwacht notice`) and a recurrence
# after it, then an interview before any decision. `init --country BE` proposes cao81.
staff_procedure = "none"
# When the works council (or local negotiating committee) was informed of the controls,
# and when the protocol was sent to staff, YYYY-MM-DD ("" = not recorded); the weekly
# report shows both.
works_council_informed = ""
protocol_sent_to_staff = ""

[geo]
# GEO-1 (000 par. 6.5): sign-in works only from Belgium and its neighbours.
allowed_countries = ["BE", "NL", "FR", "DE", "LU"]
# GEO-2 (000 par. 6.5): travel further must be reported this many days ahead.
travel_lead_days = 21
# GEO-3 (000 par. 6.5): travel in July or August must be reported by this day (MM-DD).
summer_deadline = "06-10"
# The MaxMind-format database that places sign-in addresses: GeoLite2-Country,
# GeoIP2-Country or -City, or another MMDB with a country code. Empty: the built-in CC0
# geo-whois-asn-country database (fixtures/geoip/README.md).
database = ""
# Optional: a GeoLite2-ASN (or GeoIP2-ISP) database; each sign-in then also records its
# autonomous system number and organisation. Empty: none.
asn_database = ""
# GEO-1 for workloads: the networks the school's own cloud apps and Azure resources sign in
# from (CIDR, e.g. "20.50.0.0/16" for an app hosted in West Europe). A service principal
# or managed identity signing in from outside the allowed countries is a finding unless it
# comes from one of these.
workload_networks = []
# The weekly report warns when the GeoIP database is older than this many days: a stale
# database silently moves countries. `logwacht geoip update FILE` swaps in a current one.
max_database_age_days = 35

[audit]
# The weekly DPO report (CTL-1, CTL-2): its language (nl | en), where report folders go,
# the sampling unit (persons | items) and rate, and the smallest count shown (counts of 1
# to min_cell - 1 read "< min_cell").
language = "nl"
reports_dir = "reports"
sample_unit = "persons"
sample_rate = 0.05
min_cell = 5

[cases]
# CTL-3/CTL-4 (003 art. 6.6, 8.1b): the longest window of one investigation, in days.
max_days = 14
# CTL-6 (003 art. 6.6): the subject is told within this many days of closing.
letter_days = 7
# CTL-4 (003 art. 8.1c): words that make a search query (q=, search=) part of what a case
# looks at more closely, besides the [mail.words] lists and the [web] categories.
forbidden_words = ["porno", "porn", "sex", "vpn", "proxy", "omzeilen", "contourner", "bypass", "hack", "kraken", "casino", "gokken", "paris sportifs", "wapen", "arme", "weapon", "bom", "bombe", "bomb", "drugs", "drogue", "zelfmoord", "suicide"]
# Where the security officer's case files and letters go (RET-4: they expire too).
dir = "cases"

[rules]
# A folder of rule files (*.sql with the header of the rules issue) used instead of the
# built-in rules; copy logwacht's queries/ there and add the school's own. Empty: built in.
dir = ""

[mail]
# MAIL-1 (003 art. 11.1-11.3; 001 par. 3.2-3.3): private mail providers.
private_domains = ["gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.be", "live.com", "live.be", "msn.com", "yahoo.com", "yahoo.fr", "icloud.com", "me.com", "proton.me", "protonmail.com", "skynet.be", "telenet.be"]
# MAIL-2 (001 par. 3.1, 3.3): a message showing at least this many external addresses in
# To/Cc (instead of Bcc) is a finding.
visible_external_threshold = 10
# MAIL-7 (003 art. 5.7i): a message to at least this many recipients is mass mail, and the
# same sender sending the same subject at least this many times in a day is chain mail.
# Shared mailboxes (newsletters) are exempt.
mass_recipients = 50
chain_repeats = 20
# MAIL-6 (003 art. 8.1c, 5.7k): forbidden attachment extensions.
forbidden_extensions = ["exe", "scr", "js", "jse", "vbs", "vbe", "bat", "cmd", "com", "pif", "ps1", "msi", "jar", "iso", "img", "hta", "lnk", "wsf", "cpl", "reg"]
# MAIL-9 (003 art. 4.3): the school's mail software, as the X-Mailer/User-Agent header
# starts (case-insensitive).
approved_mailers = ["Microsoft Outlook", "Outlook-iOS", "Outlook-Android", "Microsoft Exchange", "Microsoft-MacOutlook"]

# MAIL-3 and MAIL-4 (001 par. 3, 3.3): word lists (Dutch, French, English) looked for in
# subjects, whole words, case-insensitive. MAIL-3 uses `password`; MAIL-4 the others.
[mail.words]
password = ["wachtwoord", "paswoord", "passwoord", "inlogcode", "logincode", "login code", "pincode", "mot de passe", "code d'accès", "identifiant", "password", "passcode"]
medical = ["medisch", "medische", "diagnose", "medicatie", "ziekte", "adhd", "autisme", "epilepsie", "médical", "médicale", "maladie", "diagnostic", "medical", "diagnosis", "medication"]
family = ["echtscheiding", "scheiding", "voogdij", "pleeggezin", "gezinssituatie", "divorce", "garde alternée", "famille d'accueil", "custody", "foster family"]
psychosocial = ["psycholoog", "clb", "zelfmoord", "suïcide", "depressie", "pesten", "mishandeling", "psychologue", "harcèlement", "dépression", "suicide", "self-harm", "bullying"]
care = ["zorgplan", "zorgdossier", "handelingsplan", "verslag clb", "leerzorg", "plan de soins", "care plan", "support plan"]
financial = ["schoolfactuur", "openstaande factuur", "schuld", "afbetaling", "ocmw", "schooltoelage", "facture impayée", "dette", "unpaid invoice", "debt"]

[web]
# A SquidGuard/UT1 folder (<category>/domains, <category>/urls), e.g. the full, current
# lists of https://dsi.ut-capitole.fr/blacklists/. Empty: the small built-in sample
# (fixtures/blocklists/README.md), enough for the demo and not for a school.
blocklists = ""
# WEB-1 (003 art. 5.7a-b): forbidden categories.
forbidden = ["adult", "agressif", "mixed_adult", "lingerie", "dating", "gambling", "drogue"]
# WEB-2 (003 art. 5.6): getting round the filter.
circumvention = ["vpn", "redirector", "doh", "residential-proxies", "remote-control"]
# WEB-3 (000 par. 6.4): games, films and social media, a finding during school hours.
leisure = ["games", "audio-video", "social_networks"]
# WEB-4 (003 art. 5.7d-e): download categories, and file extensions of executables and
# installers in a URL path.
downloads = ["download", "warez"]
download_extensions = ["exe", "msi", "dmg", "pkg", "apk", "bat", "cmd", "ps1", "scr", "jar", "iso", "appimage", "deb", "rpm"]
# WEB-5 (003 art. 5.7k, 7.1e): malware and phishing.
malware = ["malware", "phishing", "cryptojacking"]

# Purpose limitation (003 art. 7-8): the columns each purpose may read, per table. The
# defaults follow art. 8 (docs/rules.md); a line here replaces the default for that
# purpose and table, "*" meaning every column. Example:
# [purposes.f]
# web = ["event_time", "bytes", "http_status"]

# A provider's federation (`logwacht worker`, README "For a provider"): this school's id in
# the provider's federation file, and the purposes (a-f) whose rules its worker runs for
# the provider. Without this section the school serves no worker.
# [worker]
# school = "school-a"
# purposes = ["a", "b", "f"]
"#;

fn default_days() -> u32 {
    28
}

/// `[store]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// The store folder.
    #[serde(default = "default_store")]
    pub dir: PathBuf,
}
fn default_store() -> PathBuf {
    "store".into()
}

/// `[reference]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSection {
    /// The reference folder.
    #[serde(default = "default_reference")]
    pub dir: PathBuf,
}
fn default_reference() -> PathBuf {
    "reference".into()
}

/// `[retention]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// RET-1: days kept.
    #[serde(default = "default_days")]
    pub days: u32,
    /// RET-2: longest hold in days.
    #[serde(default = "default_max_hold")]
    pub max_hold_days: u32,
}
fn default_max_hold() -> u32 {
    90
}

/// `[ingest]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSection {
    /// Minutes an event may lie after now.
    #[serde(default = "default_tolerance")]
    pub future_tolerance_minutes: u32,
    /// Rows per batch.
    #[serde(default = "default_batch_rows")]
    pub batch_rows: usize,
    /// The longest line or record read, in bytes.
    #[serde(default = "default_max_record")]
    pub max_record_bytes: usize,
}
fn default_max_record() -> usize {
    1 << 20
}
fn default_tolerance() -> u32 {
    60
}
fn default_batch_rows() -> usize {
    65536
}

/// `[school]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchoolSection {
    /// IANA zone name.
    #[serde(default = "default_tz")]
    pub timezone: String,
    /// The school's mail domains.
    #[serde(default)]
    pub mail_domains: Vec<String>,
    /// Start of the school day, HH:MM.
    #[serde(default = "default_day_start")]
    pub day_start: String,
    /// End of the school day, HH:MM.
    #[serde(default = "default_day_end")]
    pub day_end: String,
    /// School days: mon..sun.
    #[serde(default = "default_school_days")]
    pub school_days: Vec<String>,
    /// Holiday ranges `YYYY-MM-DD..YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// MAIL-8 cut-off, HH:MM.
    #[serde(default = "default_parent_until")]
    pub parent_mail_until: String,
    /// MAIL-8 start of the morning, HH:MM.
    #[serde(default = "default_parent_from")]
    pub parent_mail_from: String,
    /// `none` or `cao81`.
    #[serde(default = "default_staff_procedure")]
    pub staff_procedure: String,
    /// YYYY-MM-DD or empty.
    #[serde(default)]
    pub works_council_informed: String,
    /// YYYY-MM-DD or empty.
    #[serde(default)]
    pub protocol_sent_to_staff: String,
}
fn default_staff_procedure() -> String {
    "none".into()
}
fn default_parent_from() -> String {
    "07:00".into()
}
fn default_tz() -> String {
    "Europe/Brussels".into()
}
fn default_day_start() -> String {
    "08:25".into()
}
fn default_day_end() -> String {
    "16:00".into()
}
fn default_school_days() -> Vec<String> {
    ["mon", "tue", "wed", "thu", "fri"].map(String::from).to_vec()
}
fn default_parent_until() -> String {
    "17:00".into()
}

/// A network in CIDR notation (`20.50.0.0/16`, `2001:db8::/32`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    net: std::net::IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `address/prefix` (a bare address is its own /32 or /128).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text.trim(), None),
        };
        let net: std::net::IpAddr = addr.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { net, prefix })
    }

    /// Whether `ip` lies in this network.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        let bits = |a: std::net::IpAddr| -> u128 {
            match a {
                std::net::IpAddr::V4(v) => u128::from(u32::from(v)),
                std::net::IpAddr::V6(v) => u128::from(v),
            }
        };
        if self.net.is_ipv4() != ip.is_ipv4() {
            return false;
        }
        let width = if self.net.is_ipv4() { 32 } else { 128 };
        let shift = width - u32::from(self.prefix);
        let mask = if shift >= 128 { 0 } else { (!0u128) << shift };
        (bits(self.net) & mask) == (bits(ip) & mask)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.net, self.prefix)
    }
}

/// `[geo]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoSection {
    /// GEO-1 allowed ISO-2 codes.
    #[serde(default = "default_countries")]
    pub allowed_countries: Vec<String>,
    /// GEO-2 lead time in days.
    #[serde(default = "default_lead")]
    pub travel_lead_days: u32,
    /// GEO-3 deadline, MM-DD.
    #[serde(default = "default_deadline")]
    pub summer_deadline: String,
    /// The GeoIP database; empty for the built-in one.
    #[serde(default)]
    pub database: String,
    /// An optional ASN database.
    #[serde(default)]
    pub asn_database: String,
    /// The networks the school's own workloads sign in from (CIDR).
    #[serde(default)]
    pub workload_networks: Vec<String>,
    /// The report warns about a GeoIP database older than this.
    #[serde(default = "default_max_database_age")]
    pub max_database_age_days: u32,
}
fn default_max_database_age() -> u32 {
    35
}
fn default_countries() -> Vec<String> {
    ["BE", "NL", "FR", "DE", "LU"].map(String::from).to_vec()
}
fn default_lead() -> u32 {
    21
}
fn default_deadline() -> String {
    "06-10".into()
}

/// `[audit]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// nl | en.
    #[serde(default = "default_language")]
    pub language: String,
    /// Report folders.
    #[serde(default = "default_reports")]
    pub reports_dir: String,
    /// persons | items.
    #[serde(default = "default_unit")]
    pub sample_unit: String,
    /// Share drawn.
    #[serde(default = "default_rate")]
    pub sample_rate: f64,
    /// Smallest count shown.
    #[serde(default = "default_min_cell")]
    pub min_cell: u64,
}
impl Default for AuditSection {
    fn default() -> Self {
        AuditSection {
            language: default_language(),
            reports_dir: default_reports(),
            sample_unit: default_unit(),
            sample_rate: default_rate(),
            min_cell: default_min_cell(),
        }
    }
}
fn default_language() -> String {
    "nl".into()
}
fn default_reports() -> String {
    "reports".into()
}
fn default_unit() -> String {
    "persons".into()
}
fn default_rate() -> f64 {
    0.05
}
fn default_min_cell() -> u64 {
    5
}

/// `[cases]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesSection {
    /// Longest window.
    #[serde(default = "default_case_days")]
    pub max_days: u32,
    /// Days to tell the subject.
    #[serde(default = "default_letter_days")]
    pub letter_days: u32,
    /// Search-query words.
    #[serde(default)]
    pub forbidden_words: Vec<String>,
    /// Case files.
    #[serde(default = "default_cases_dir")]
    pub dir: String,
}
impl Default for CasesSection {
    fn default() -> Self {
        CasesSection {
            max_days: default_case_days(),
            letter_days: default_letter_days(),
            forbidden_words: Vec::new(),
            dir: default_cases_dir(),
        }
    }
}
fn default_cases_dir() -> String {
    "cases".into()
}
fn default_case_days() -> u32 {
    14
}
fn default_letter_days() -> u32 {
    7
}

/// `[rules]`
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RulesSection {
    /// The rules folder; empty for the built-in rules.
    #[serde(default)]
    pub dir: String,
}

/// `[mail]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSection {
    /// MAIL-1 private providers.
    #[serde(default)]
    pub private_domains: Vec<String>,
    /// MAIL-2 threshold.
    #[serde(default = "default_visible")]
    pub visible_external_threshold: u32,
    /// MAIL-7 recipients.
    #[serde(default = "default_mass")]
    pub mass_recipients: u32,
    /// MAIL-7 repeats a day.
    #[serde(default = "default_chain")]
    pub chain_repeats: u32,
    /// MAIL-6 extensions.
    #[serde(default)]
    pub forbidden_extensions: Vec<String>,
    /// MAIL-9 software prefixes.
    #[serde(default)]
    pub approved_mailers: Vec<String>,
    /// MAIL-3/MAIL-4 word lists by name.
    #[serde(default)]
    pub words: std::collections::BTreeMap<String, Vec<String>>,
}
fn default_visible() -> u32 {
    10
}
fn default_mass() -> u32 {
    50
}
fn default_chain() -> u32 {
    20
}

/// `[web]`: the blocklist folder and the category groups of WEB-1..WEB-5.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    /// The UT1 folder; empty for the built-in sample.
    #[serde(default)]
    pub blocklists: String,
    /// WEB-1.
    #[serde(default)]
    pub forbidden: Vec<String>,
    /// WEB-2.
    #[serde(default)]
    pub circumvention: Vec<String>,
    /// WEB-3.
    #[serde(default)]
    pub leisure: Vec<String>,
    /// WEB-4 categories.
    #[serde(default)]
    pub downloads: Vec<String>,
    /// WEB-4 extensions.
    #[serde(default)]
    pub download_extensions: Vec<String>,
    /// WEB-5.
    #[serde(default)]
    pub malware: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    store: StoreSection,
    reference: ReferenceSection,
    retention: RetentionSection,
    ingest: IngestSection,
    school: SchoolSection,
    geo: GeoSection,
    #[serde(default)]
    audit: AuditSection,
    #[serde(default)]
    cases: CasesSection,
    #[serde(default)]
    rules: RulesSection,
    mail: MailSection,
    #[serde(default)]
    web: WebSection,
    #[serde(default)]
    worker: WorkerSection,
    /// purpose letter -> table -> columns.
    #[serde(default)]
    purposes: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>>,
}

/// `[worker]`: what this school lets a provider run on its worker (issue 19).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkerSection {
    /// The school's id in the provider's federation file.
    #[serde(default)]
    school: Option<String>,
    /// The purposes (003 art. 7.1, letters a-f) whose rules the worker runs.
    #[serde(default)]
    purposes: Vec<String>,
}

/// What `logwacht worker` may do for a provider (`[worker]`): the school's id and the
/// purposes it has enabled; `None` when the section is absent (no worker).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerSettings {
    pub school: String,
    pub purposes: Vec<crate::schema::Purpose>,
}

/// A validated configuration with absolute paths.
#[derive(Debug, Clone)]
pub struct Config {
    /// The `logwacht.toml` it came from.
    pub path: PathBuf,
    /// The store folder.
    pub store_dir: PathBuf,
    /// The reference folder.
    pub reference_dir: PathBuf,
    /// RET-1 window in days.
    pub retention_days: u32,
    /// RET-2 longest hold.
    pub max_hold_days: u32,
    /// Future tolerance in minutes.
    pub future_tolerance_minutes: u32,
    /// Rows per batch.
    /// The longest line or record ingest reads (`[ingest] max_record_bytes`).
    pub max_record_bytes: usize,
    pub batch_rows: usize,
    /// The school's zone.
    pub timezone: Tz,
    /// School mail domains, lower-case.
    pub mail_domains: Vec<String>,
    /// School day start.
    pub day_start: NaiveTime,
    /// School day end.
    pub day_end: NaiveTime,
    /// School days (0 = Monday).
    pub school_days: Vec<u32>,
    /// Holiday ranges, inclusive.
    pub holidays: Vec<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// MAIL-8 cut-off.
    pub parent_mail_until: NaiveTime,
    /// GEO-1 countries, upper-case.
    pub allowed_countries: Vec<String>,
    /// GEO-2 lead.
    pub travel_lead_days: u32,
    /// GEO-3 deadline (month, day).
    pub summer_deadline: (u32, u32),
    /// The GeoIP database file; `None` for the built-in one.
    pub geoip_database: Option<PathBuf>,
    /// The optional ASN database file.
    pub asn_database: Option<PathBuf>,
    /// The networks the school's own workloads sign in from.
    pub workload_networks: Vec<Cidr>,
    /// The report warns about a GeoIP database older than this many days.
    pub max_database_age_days: u32,
    /// MAIL-1 private providers, lower-case.
    pub private_domains: Vec<String>,
    /// The rules folder; `None` for the built-in rules.
    pub rules_dir: Option<PathBuf>,
    /// MAIL-8 morning start.
    pub parent_mail_from: NaiveTime,
    /// How staff may be named for a breach of the use rules.
    pub staff_procedure: StaffProcedure,
    /// When the works council was informed, if recorded.
    pub works_council_informed: Option<chrono::NaiveDate>,
    /// When the protocol was sent to staff, if recorded.
    pub protocol_sent_to_staff: Option<chrono::NaiveDate>,
    /// MAIL-2 threshold.
    pub visible_external_threshold: u32,
    /// MAIL-7 recipients per message.
    pub mass_recipients: u32,
    /// MAIL-7 same subject a day.
    pub chain_repeats: u32,
    /// MAIL-6 extensions, lower-case, no dot.
    pub forbidden_extensions: Vec<String>,
    /// MAIL-9 approved software prefixes.
    pub approved_mailers: Vec<String>,
    /// MAIL-3/MAIL-4 word lists by name, lower-case.
    pub word_lists: std::collections::BTreeMap<String, Vec<String>>,
    /// The UT1 folder; `None` for the built-in sample.
    pub blocklists: Option<PathBuf>,
    /// WEB-1..WEB-5 category groups by name (`forbidden`, `circumvention`, ...).
    pub category_groups: std::collections::BTreeMap<String, Vec<String>>,
    /// WEB-4 extensions, lower-case, no dot.
    pub download_extensions: Vec<String>,
    /// Purpose-limitation overrides: (purpose letter, table) -> columns (`*`: all).
    pub purpose_columns: std::collections::BTreeMap<(char, String), Vec<String>>,
    /// The report's default language.
    pub language: crate::schema::Lang,
    /// Where report folders go.
    pub reports_dir: PathBuf,
    /// persons | items.
    pub sample_unit: String,
    /// The share drawn, 0..=1.
    pub sample_rate: f64,
    /// Counts below this are suppressed.
    pub min_cell: u64,
    /// CTL-4: the longest case window in days.
    pub case_max_days: u32,
    /// CTL-6: days to tell the subject.
    pub letter_days: u32,
    /// CTL-4: search-query words, lower-case.
    pub case_words: Vec<String>,
    /// Case files.
    pub cases_dir: PathBuf,
    /// `[worker]`, when the school serves a provider.
    pub worker: Option<WorkerSettings>,
}

impl Config {
    /// Where the lists of messages to return go (CTL-10): `returns/` beside `logwacht.toml`.
    pub fn returns_dir(&self) -> PathBuf {
        self.path.parent().map_or_else(|| PathBuf::from("returns"), |p| p.join("returns"))
    }

    /// Where the alarm-bell notices of CAO nr. 81 go: `notices/` beside `logwacht.toml`.
    pub fn notices_dir(&self) -> PathBuf {
        self.path.parent().map_or_else(|| PathBuf::from("notices"), |p| p.join("notices"))
    }

    /// The workspace folder (where `logwacht.toml` is).
    pub fn workspace(&self) -> PathBuf {
        let dir = self.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
        std::path::absolute(&dir).unwrap_or(dir)
    }

    /// The pseudonym key file (CTL-2).
    pub fn key_path(&self) -> PathBuf {
        self.workspace().join(KEY_FILE)
    }

    /// The hold registry (RET-2).
    pub fn holds_path(&self) -> PathBuf {
        self.reference_dir.join("holds.json")
    }

    /// Finds and loads the configuration: `--config PATH`, else `./logwacht.toml`.
    pub fn find(flag: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match flag {
            Some(p) => p.to_path_buf(),
            None => PathBuf::from(FILE_NAME),
        };
        if !path.exists() {
            return Err(ConfigError::NotFound { path });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read { path: path.clone(), source })?;
        Config::parse(&path, &text)
    }

    /// Parses and validates `text`, read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| ConfigError::Parse { path: path.into(), message: e.message().to_string() })?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        let base = std::path::absolute(&base).unwrap_or(base);
        let invalid = |message: String| ConfigError::Invalid { path: path.into(), message };
        let time = |key: &str, v: &str| {
            NaiveTime::parse_from_str(v, "%H:%M").map_err(|_| invalid(format!("{key} = {v:?} is not a time HH:MM")))
        };
        let timezone: Tz =
            raw.school.timezone.parse().map_err(|_| {
                invalid(format!("school.timezone = {:?} is not an IANA time zone", raw.school.timezone))
            })?;
        if raw.retention.days == 0 {
            return Err(invalid("retention.days = 0; it must be at least 1 (RET-1)".into()));
        }
        if raw.ingest.max_record_bytes < 4096 || raw.ingest.max_record_bytes > 1 << 30 {
            return Err(invalid(format!(
                "ingest.max_record_bytes = {}; it must lie between 4096 and 1073741824",
                raw.ingest.max_record_bytes
            )));
        }
        if raw.ingest.batch_rows == 0 {
            return Err(invalid("ingest.batch_rows = 0; it must be at least 1".into()));
        }
        let mut allowed_countries = Vec::new();
        for c in &raw.geo.allowed_countries {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(invalid(format!("geo.allowed_countries has {c:?}, not an ISO 3166 alpha-2 code")));
            }
            allowed_countries.push(c.to_ascii_uppercase());
        }
        let mut workload_networks = Vec::new();
        for n in &raw.geo.workload_networks {
            workload_networks.push(Cidr::parse(n).ok_or_else(|| {
                invalid(format!(
                    "geo.workload_networks has {n:?}, not a network like \"20.50.0.0/16\" or \"2001:db8::/32\""
                ))
            })?);
        }
        let deadline = raw
            .geo
            .summer_deadline
            .split_once('-')
            .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
            .filter(|(m, d)| chrono::NaiveDate::from_ymd_opt(2024, *m, *d).is_some())
            .ok_or_else(|| {
                invalid(format!("geo.summer_deadline = {:?} is not a day MM-DD", raw.geo.summer_deadline))
            })?;
        let staff_procedure = StaffProcedure::parse(&raw.school.staff_procedure).ok_or_else(|| {
            invalid(format!("school.staff_procedure = {:?}; use \"none\" or \"cao81\"", raw.school.staff_procedure))
        })?;
        let day_or_none = |key: &str, v: &str| -> Result<Option<chrono::NaiveDate>, ConfigError> {
            let v = v.trim();
            if v.is_empty() {
                return Ok(None);
            }
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| invalid(format!("school.{key} = {v:?} is not a day YYYY-MM-DD (or \"\")")))
        };
        let works_council_informed = day_or_none("works_council_informed", &raw.school.works_council_informed)?;
        let protocol_sent_to_staff = day_or_none("protocol_sent_to_staff", &raw.school.protocol_sent_to_staff)?;
        let mut school_days = Vec::new();
        for d in &raw.school.school_days {
            let i = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
                .iter()
                .position(|x| x.eq_ignore_ascii_case(d))
                .ok_or_else(|| invalid(format!("school.school_days has {d:?}; use mon, tue, ..., sun")))?;
            school_days.push(i as u32);
        }
        let mut holidays = Vec::new();
        for h in &raw.school.holidays {
            let (a, b) = h.split_once("..").unwrap_or((h, h));
            let date = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d");
            match (date(a), date(b)) {
                (Ok(a), Ok(b)) if a <= b => holidays.push((a, b)),
                _ => {
                    return Err(invalid(format!("school.holidays has {h:?}; use YYYY-MM-DD..YYYY-MM-DD")));
                }
            }
        }
        let lower = |v: &[String]| v.iter().map(|d| d.trim().to_lowercase()).collect::<Vec<_>>();
        let exts = |v: &[String]| v.iter().map(|d| d.trim().trim_start_matches('.').to_lowercase()).collect::<Vec<_>>();
        let mut word_lists = std::collections::BTreeMap::new();
        for (name, words) in &raw.mail.words {
            if words.iter().any(|w| w.trim().is_empty()) {
                return Err(invalid(format!("mail.words.{name} has an empty word")));
            }
            word_lists.insert(name.to_lowercase(), lower(words));
        }
        let w = &raw.web;
        let category_groups: std::collections::BTreeMap<String, Vec<String>> = [
            ("forbidden", &w.forbidden),
            ("circumvention", &w.circumvention),
            ("leisure", &w.leisure),
            ("downloads", &w.downloads),
            ("malware", &w.malware),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), lower(v)))
        .collect();
        let mut purpose_columns = std::collections::BTreeMap::new();
        for (letter, tables) in &raw.purposes {
            let p = crate::schema::Purpose::parse(letter)
                .ok_or_else(|| invalid(format!("purposes.{letter}: not a purpose of art. 7.1 (a-f)")))?;
            for (table, cols) in tables {
                if !crate::schema::TABLES.contains(&table.as_str()) {
                    return Err(invalid(format!(
                        "purposes.{letter}.{table}: no such table; the tables are {}",
                        crate::schema::TABLES.join(", ")
                    )));
                }
                purpose_columns.insert((p.letter(), table.clone()), cols.clone());
            }
        }
        let language = crate::schema::Lang::parse(&raw.audit.language)
            .ok_or_else(|| invalid(format!("audit.language = {:?}; use nl or en", raw.audit.language)))?;
        if !["persons", "items"].contains(&raw.audit.sample_unit.as_str()) {
            return Err(invalid(format!("audit.sample_unit = {:?}; use persons or items", raw.audit.sample_unit)));
        }
        if !(raw.audit.sample_rate > 0.0 && raw.audit.sample_rate <= 1.0) {
            return Err(invalid(format!("audit.sample_rate = {}; it must lie in (0, 1]", raw.audit.sample_rate)));
        }
        if raw.audit.min_cell == 0 {
            return Err(invalid("audit.min_cell = 0; it must be at least 1 (CTL-2)".into()));
        }
        let worker = match (&raw.worker.school, raw.worker.purposes.is_empty()) {
            (None, true) => None,
            (None, false) => {
                return Err(invalid(
                    "worker.purposes without worker.school: name the school's id in the provider's federation file"
                        .into(),
                ));
            }
            (Some(id), _) => {
                crate::fsio::check_id("worker.school", id).map_err(|e| invalid(e.to_string()))?;
                let mut purposes = Vec::new();
                for p in &raw.worker.purposes {
                    let purpose = crate::schema::Purpose::parse(p).ok_or_else(|| {
                        invalid(format!(
                            "worker.purposes: {} is not a purpose of art. 7.1 (a-f)",
                            crate::fsio::shown(p)
                        ))
                    })?;
                    purposes.push(purpose);
                }
                Some(WorkerSettings { school: id.clone(), purposes })
            }
        };
        Ok(Config {
            worker,
            language,
            reports_dir: base.join(&raw.audit.reports_dir),
            sample_unit: raw.audit.sample_unit.clone(),
            sample_rate: raw.audit.sample_rate,
            min_cell: raw.audit.min_cell,
            case_max_days: raw.cases.max_days,
            letter_days: raw.cases.letter_days,
            case_words: lower(&raw.cases.forbidden_words),
            cases_dir: base.join(&raw.cases.dir),
            path: path.into(),
            store_dir: base.join(&raw.store.dir),
            reference_dir: base.join(&raw.reference.dir),
            retention_days: raw.retention.days,
            max_hold_days: raw.retention.max_hold_days,
            future_tolerance_minutes: raw.ingest.future_tolerance_minutes,
            max_record_bytes: raw.ingest.max_record_bytes,
            batch_rows: raw.ingest.batch_rows,
            timezone,
            mail_domains: lower(&raw.school.mail_domains),
            day_start: time("school.day_start", &raw.school.day_start)?,
            day_end: time("school.day_end", &raw.school.day_end)?,
            school_days,
            holidays,
            parent_mail_until: time("school.parent_mail_until", &raw.school.parent_mail_until)?,
            allowed_countries,
            travel_lead_days: raw.geo.travel_lead_days,
            summer_deadline: deadline,
            geoip_database: Some(raw.geo.database.trim()).filter(|d| !d.is_empty()).map(|d| base.join(d)),
            asn_database: Some(raw.geo.asn_database.trim()).filter(|d| !d.is_empty()).map(|d| base.join(d)),
            workload_networks,
            max_database_age_days: raw.geo.max_database_age_days,
            private_domains: lower(&raw.mail.private_domains),
            rules_dir: Some(raw.rules.dir.trim()).filter(|d| !d.is_empty()).map(|d| base.join(d)),
            parent_mail_from: time("school.parent_mail_from", &raw.school.parent_mail_from)?,
            staff_procedure,
            works_council_informed,
            protocol_sent_to_staff,
            visible_external_threshold: raw.mail.visible_external_threshold,
            mass_recipients: raw.mail.mass_recipients,
            chain_repeats: raw.mail.chain_repeats,
            forbidden_extensions: exts(&raw.mail.forbidden_extensions),
            approved_mailers: lower(&raw.mail.approved_mailers),
            word_lists,
            blocklists: Some(raw.web.blocklists.trim()).filter(|d| !d.is_empty()).map(|d| base.join(d)),
            category_groups,
            download_extensions: exts(&raw.web.download_extensions),
            purpose_columns,
        })
    }
}

/// How a staff member may be named for a breach of the ICT use rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StaffProcedure {
    /// No procedure beyond the case's own (CTL-3..CTL-8).
    None,
    /// Belgian CAO nr. 81: the alarm-bell notice before a staff member is named for a
    /// breach of the use rules (its fourth purpose), then an interview.
    Cao81,
}

impl StaffProcedure {
    /// Parses the setting.
    pub fn parse(text: &str) -> Option<StaffProcedure> {
        match text.trim().to_ascii_lowercase().as_str() {
            "none" | "" => Some(StaffProcedure::None),
            "cao81" => Some(StaffProcedure::Cao81),
            _ => None,
        }
    }
}

/// Writes a new workspace's `logwacht.toml` and reference files. `country` (ISO-2)
/// proposes what that country's schools follow: `BE` sets `staff_procedure = "cao81"`.
pub fn init_for(dir: &Path, mail_domains: Option<&[String]>, country: Option<&str>) -> Result<PathBuf, ConfigError> {
    let cfg = init(dir, mail_domains)?;
    if country.is_some_and(|c| c.eq_ignore_ascii_case("BE")) {
        let text = std::fs::read_to_string(&cfg).map_err(|source| ConfigError::Create { path: cfg.clone(), source })?;
        let text = text.replacen("staff_procedure = \"none\"", "staff_procedure = \"cao81\"", 1);
        std::fs::write(&cfg, text).map_err(|source| ConfigError::Create { path: cfg.clone(), source })?;
    }
    Ok(cfg)
}

/// Writes a workspace's settings in `dir`: `logwacht.toml`, the store and reference folders
/// with empty reference files (`workspace::create` adds the pseudonym key first). Refuses
/// to overwrite an existing `logwacht.toml`.
pub fn init(dir: &Path, mail_domains: Option<&[String]>) -> Result<PathBuf, ConfigError> {
    fn create(path: &Path) -> impl FnOnce(std::io::Error) -> ConfigError + '_ {
        move |source| ConfigError::Create { path: path.to_path_buf(), source }
    }
    std::fs::create_dir_all(dir).map_err(create(dir))?;
    let cfg = dir.join(FILE_NAME);
    if cfg.exists() {
        return Err(ConfigError::Exists { path: cfg });
    }
    let mut text = TEMPLATE.to_string();
    if let Some(domains) = mail_domains.filter(|d| !d.is_empty()) {
        let list: Vec<String> = domains.iter().map(|d| format!("{d:?}")).collect();
        text = text.replace("mail_domains = [\"school.example\"]", &format!("mail_domains = [{}]", list.join(", ")));
    }
    for sub in ["store", "reference"] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(create(&p))?;
    }
    let files = [
        ("reference/people.csv", "address,role,display_name,class\n"),
        ("reference/travel_exceptions.csv", "person,countries,first_day,last_day,requested_on,approved_by,note\n"),
    ];
    for (name, header) in files {
        let p = dir.join(name);
        if !p.exists() {
            std::fs::write(&p, header).map_err(create(&p))?;
        }
    }
    std::fs::write(&cfg, text).map_err(create(&cfg))?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses_to_policy_defaults() {
        let c = Config::parse(Path::new("/ws/logwacht.toml"), TEMPLATE).unwrap();
        assert_eq!(c.retention_days, 28);
        assert_eq!(c.allowed_countries, ["BE", "NL", "FR", "DE", "LU"]);
        assert!(c.workload_networks.is_empty());
        assert_eq!((c.travel_lead_days, c.summer_deadline), (21, (6, 10)));
        assert_eq!(c.timezone, chrono_tz::Europe::Brussels);
        assert_eq!(c.store_dir, Path::new("/ws/store"));
        assert!(c.private_domains.contains(&"gmail.com".to_string()));
        assert_eq!(c.school_days, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn bad_settings_are_named_with_their_value() {
        let bad = TEMPLATE.replace("timezone = \"Europe/Brussels\"", "timezone = \"Europe/Gent\"");
        let err = Config::parse(Path::new("x.toml"), &bad).unwrap_err().to_string();
        assert!(err.contains("Europe/Gent"), "{err}");
        let bad = TEMPLATE.replace("\"LU\"]", "\"LUX\"]");
        let err = Config::parse(Path::new("x.toml"), &bad).unwrap_err().to_string();
        assert!(err.contains("LUX"), "{err}");
        let bad = TEMPLATE.replace("days = 28", "days = 28\nweeks = 4");
        assert!(Config::parse(Path::new("x.toml"), &bad).is_err());
    }

    #[test]
    fn workload_networks_are_cidrs_that_match_their_addresses() {
        let ok = TEMPLATE.replace(
            "workload_networks = []",
            "workload_networks = [\"20.50.0.0/16\", \"2001:db8::/32\", \"198.51.100.7\"]",
        );
        let c = Config::parse(Path::new("x.toml"), &ok).unwrap();
        let inside = |ip: &str| c.workload_networks.iter().any(|n| n.contains(ip.parse().unwrap()));
        assert!(inside("20.50.3.4") && !inside("20.51.0.1"));
        assert!(inside("2001:db8:1::5") && !inside("2001:db9::1"));
        assert!(inside("198.51.100.7") && !inside("198.51.100.8"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        for bad in ["20.50.0.0/33", "school", "20.50.0.0/x"] {
            let text = TEMPLATE.replace("workload_networks = []", &format!("workload_networks = [\"{bad}\"]"));
            let err = Config::parse(Path::new("x.toml"), &text).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
