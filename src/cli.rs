//! The command line: one variant per subcommand, raw flags only; `lib::run` validates.
use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

use crate::demo::{Platform, WebLog};
use crate::ingest::Format;
use crate::schema::{Lang, Purpose, Source};

// Flags that name one of a fixed set are parsed into their type here, once; a wrong value
// is a usage error (exit 2) that lists the choices.

fn source(text: &str) -> Result<Source, String> {
    Source::parse(text.trim()).ok_or_else(|| format!("{text:?} is not one of signin, email, web"))
}

fn format(text: &str) -> Result<Format, String> {
    Format::parse(text.trim()).ok_or_else(|| format!("{text:?} is not one of {}", Format::all_names()))
}

fn lang(text: &str) -> Result<Lang, String> {
    Lang::parse(text).ok_or_else(|| format!("{text:?}; use nl or en"))
}

fn purpose(text: &str) -> Result<Purpose, String> {
    Purpose::parse(text).ok_or_else(|| format!("{text:?} is not one of a, b, c, d, e (art. 7.1)"))
}

fn platform(text: &str) -> Result<Platform, String> {
    Platform::parse(text).ok_or_else(|| format!("{text:?} is not one of microsoft, google"))
}

fn web_log(text: &str) -> Result<WebLog, String> {
    WebLog::parse(text).ok_or_else(|| format!("{text:?} is not one of squid, fortigate, sophos"))
}

/// A calendar day, `YYYY-MM-DD`.
fn day(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| format!("{text:?} is not a date YYYY-MM-DD"))
}

/// logwacht: audits a school's sign-in, email and web logs the way its ICT protocol
/// demands, and no further.
#[derive(Debug, Parser)]
#[command(name = "logwacht", version, about)]
pub struct Cli {
    /// The workspace configuration (default: ./logwacht.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Take this as the current time (RFC 3339 or YYYY-MM-DD) everywhere.
    #[arg(long, global = true, value_name = "TIME")]
    pub now: Option<String>,
    /// Who runs the command, for the audit trail (default: $LOGWACHT_OPERATOR, else the OS user).
    #[arg(long, global = true, value_name = "NAME")]
    pub operator: Option<String>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a workspace: logwacht.toml, the store and reference folders.
    Init(InitArgs),
    /// Read log files (or folders of them) into the store.
    Ingest(IngestArgs),
    /// Delete every row older than the retention window, except what a hold keeps (RET-1..4).
    Purge(PurgeArgs),
    /// Place, list and release case holds (RET-2, RET-3).
    #[command(subcommand)]
    Hold(HoldCommand),
    /// List or check the audit rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Write the weekly DPO report (CTL-1, CTL-2), or run rules over a window.
    Audit(AuditArgs),
    /// Targeted investigations of one person: open, screen, report, close (CTL-3..CTL-8).
    #[command(subcommand)]
    Case(CaseCommand),
    /// Manage the pseudonym key (CTL-2).
    #[command(subcommand)]
    Key(KeyCommand),
    /// Replace the GeoIP database that places sign-ins (recorded in the audit trail).
    #[command(subcommand)]
    Geoip(GeoipCommand),
    /// Check the audit trail's hash chain and name the first broken line (CTL-9).
    VerifyLog(VerifyArgs),
    /// Many schools, one provider: the federation file, the group report, the audit on
    /// the schools' workers.
    #[command(subcommand)]
    Federation(FederationCommand),
    /// Serve this school's store to its provider's `federation audit` ([worker] section).
    Worker(WorkerArgs),
    /// List the suspicious messages for the mail system to return to their senders (CTL-10).
    Returns {
        /// First day (YYYY-MM-DD, school time zone); default yesterday.
        #[arg(long, value_parser = day)]
        from: Option<NaiveDate>,
        /// Last day, inclusive; default the same day as --from (or yesterday).
        #[arg(long, value_parser = day)]
        to: Option<NaiveDate>,
    },
    /// Write CAO nr. 81's alarm-bell notice to all staff for a rule's anomaly (Belgium).
    Notice {
        /// The rule whose anomaly was found.
        #[arg(long)]
        rule: String,
        /// The anomaly's first day (YYYY-MM-DD, school time zone).
        #[arg(long, value_parser = day)]
        from: NaiveDate,
        /// Its last day, inclusive.
        #[arg(long, value_parser = day)]
        to: NaiveDate,
    },
    /// Repair the store's bookkeeping after a loss (README, "When the ledger is lost").
    #[command(subcommand)]
    Store(StoreCommand),
    /// Write a fictional school's logs in the real native formats.
    Generate(GenerateArgs),
    /// Run the whole job on a generated school in a fresh folder and summarise.
    Demo(DemoArgs),
}

/// `logwacht init`
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where to create the workspace.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The school's mail domains (default: school.example).
    #[arg(long = "mail-domain", value_name = "DOMAIN")]
    pub mail_domains: Vec<String>,
    /// The school's country (ISO-2): `BE` proposes the CAO nr. 81 staff procedure.
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,
}

/// `logwacht ingest`
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Only accept files of this source: signin, email or web.
    #[arg(long, value_parser = source)]
    pub source: Option<Source>,
    /// Read the files as this format instead of sniffing it.
    #[arg(long, value_parser = format)]
    pub format: Option<Format>,
    /// The year of syslog stamps that have none (default: inferred from --now).
    #[arg(long)]
    pub year: Option<i32>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
    /// Files or folders.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// `logwacht generate`
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// People in the school (pupils, staff, counsellors; parents come on top).
    #[arg(long, default_value_t = 300)]
    pub people: u32,
    /// Days of logs.
    #[arg(long, default_value_t = 35)]
    pub days: u32,
    /// Seed: the same seed writes the same school.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The first day (default: --days before --now).
    #[arg(long, value_parser = day)]
    pub start: Option<NaiveDate>,
    /// Whose sign-ins: microsoft (Graph, diagnostic export, Log Analytics) or google.
    #[arg(long, default_value = "microsoft", value_parser = platform)]
    pub platform: Platform,
    /// What logs the web: squid (a proxy), fortigate or sophos (a firewall).
    #[arg(long, default_value = "squid", value_parser = web_log)]
    pub web: WebLog,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// `logwacht demo`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The workspace folder to create (default: a new folder under the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// People in the demo school.
    #[arg(long, default_value_t = 300)]
    pub people: u32,
    /// Seed of the demo school.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Whose sign-ins: microsoft or google.
    #[arg(long, default_value = "microsoft", value_parser = platform)]
    pub platform: Platform,
    /// What logs the web: squid, fortigate or sophos.
    #[arg(long, default_value = "squid", value_parser = web_log)]
    pub web: WebLog,
}

/// `logwacht purge`
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Print what would go, per source and day, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the receipt as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `logwacht hold ...`
#[derive(Debug, Subcommand)]
pub enum HoldCommand {
    /// Place (or extend) a hold for a concrete case.
    Add(HoldAddArgs),
    /// List holds with their state and held rows.
    List,
    /// Release a case's hold: its rows go at the next purge.
    Release {
        /// The case id.
        #[arg(long)]
        case: String,
    },
}

/// `logwacht hold add`
#[derive(Debug, Args)]
pub struct HoldAddArgs {
    /// The case id.
    #[arg(long)]
    pub case: String,
    /// The one person whose rows are held.
    #[arg(long)]
    pub subject: Option<String>,
    /// RET-3 quarantine: hold these message ids instead of a subject.
    #[arg(long = "message-id", value_name = "ID")]
    pub message_ids: Vec<String>,
    /// Sources held: signin,email,web.
    #[arg(long, value_delimiter = ',', default_value = "signin,email,web", value_parser = source)]
    pub sources: Vec<Source>,
    /// First day of the events held (YYYY-MM-DD, school time zone).
    #[arg(long, value_parser = day)]
    pub from: NaiveDate,
    /// Last day of the events held (inclusive).
    #[arg(long, value_parser = day)]
    pub to: NaiveDate,
    /// Why: the concrete case.
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Who approved the hold.
    #[arg(long, default_value = "")]
    pub approved_by: String,
    /// Last day the hold keeps the rows (at most retention.max_hold_days from now).
    #[arg(long, value_parser = day)]
    pub until: NaiveDate,
}

/// `logwacht rules ...`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Every rule with its purpose, requirements, severity and mode.
    List,
    /// Validate a folder of rule files (default: the configured rules).
    Check {
        /// The folder.
        dir: Option<PathBuf>,
    },
}

/// `logwacht audit [--week W | --from D --to D] [--lang nl|en] [--out DIR] [--redraw SEED]`
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    /// Run rules and print their findings instead of writing the report.
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// The ISO week in the school's time zone (2026-W47); default: the last whole week.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub week: Option<String>,
    /// First day (YYYY-MM-DD) instead of a week.
    #[arg(long, requires = "to", value_parser = day)]
    pub from: Option<NaiveDate>,
    /// Last day, inclusive.
    #[arg(long, requires = "from", value_parser = day)]
    pub to: Option<NaiveDate>,
    /// nl or en (default: [audit] language).
    #[arg(long, value_parser = lang)]
    pub lang: Option<Lang>,
    /// The report folder (default: <reports_dir>/<week>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Draw the samples again with a seed recorded in the audit trail.
    #[arg(long, value_name = "SEED")]
    pub redraw: Option<String>,
}

/// `logwacht audit <subcommand>`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The sign-in rules (GEO-1..GEO-4) over a window.
    Signin(AuditWindowArgs),
    /// Every automated rule, or the one named with --rule, over a window.
    Run {
        #[command(flatten)]
        window: AuditWindowArgs,
        /// Run only this rule (its id).
        #[arg(long)]
        rule: Option<String>,
    },
}

/// A window of school-local days.
#[derive(Debug, Args)]
pub struct AuditWindowArgs {
    /// First day (YYYY-MM-DD, school time zone).
    #[arg(long, value_parser = day)]
    pub from: NaiveDate,
    /// Last day, inclusive.
    #[arg(long, value_parser = day)]
    pub to: NaiveDate,
    /// Print findings as JSON (evidence pointers, no identities).
    #[arg(long)]
    pub json: bool,
}

/// `logwacht case ...`
#[derive(Debug, Subcommand)]
pub enum CaseCommand {
    /// Open a case: one subject, a written suspicion, an approver, a short window.
    Open {
        /// The case id (letters, digits, `.`, `-`, `_`).
        #[arg(long = "case")]
        id: String,
        /// The one person investigated (an address).
        #[arg(long)]
        subject: String,
        /// The concrete suspicion, in writing.
        #[arg(long)]
        suspicion: String,
        /// The purpose: a, b, c, d or e (art. 7.1).
        #[arg(long, value_parser = purpose)]
        purpose: Purpose,
        /// First day (YYYY-MM-DD, school time zone).
        #[arg(long, value_parser = day)]
        from: NaiveDate,
        /// Last day, inclusive.
        #[arg(long, value_parser = day)]
        to: NaiveDate,
        /// Who approved the check.
        #[arg(long)]
        approved_by: String,
        /// Keep exactly this scope past the retention window (RET-2).
        #[arg(long)]
        hold: bool,
        /// The rule whose anomaly recurred: needed to name a staff member under CAO nr.
        /// 81's fourth purpose, after that rule's alarm-bell notice (`logwacht notice`).
        #[arg(long)]
        rule: Option<String>,
    },
    /// Steps 1-2: screen the subject's metadata, leave what looks regular alone.
    Screen(CaseProbe),
    /// Step 3: the case file, with content for the remainder only.
    Report(CaseProbe),
    /// Close the case and write the letter to the subject (Dutch and English).
    Close {
        /// The case id.
        #[arg(long = "case")]
        id: String,
        /// What came of it, for the letter.
        #[arg(long)]
        outcome: String,
    },
    /// Record that the letter reached the subject.
    Notified {
        /// The case id.
        #[arg(long = "case")]
        id: String,
    },
    /// List the cases (subjects as pseudonyms).
    List,
}

/// A case command's scope. Only the case id is needed; a subject or window that differs
/// from the case's own is refused and recorded.
#[derive(Debug, Args)]
pub struct CaseProbe {
    /// The case id.
    #[arg(long = "case")]
    pub id: String,
    /// Must be the case's subject.
    #[arg(long)]
    pub subject: Option<String>,
    /// Must be the case's first day.
    #[arg(long, value_parser = day)]
    pub from: Option<NaiveDate>,
    /// Must be the case's last day.
    #[arg(long, value_parser = day)]
    pub to: Option<NaiveDate>,
}

/// `logwacht verify-log`
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A head hash written down earlier (`LINES:HASH` or `HASH`): the trail must still hold
    /// it, at that line if given.
    #[arg(long, value_name = "HEAD")]
    pub expect: Vec<String>,
}

/// `logwacht store ...`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Write ledger lines for the parts the ledger does not know (after it was lost,
    /// emptied or damaged and moved aside). Removes nothing.
    RebuildLedger,
}

/// `logwacht key ...`
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Start a new key period: new pseudonyms, recorded in the audit trail.
    Rotate,
}

/// `logwacht geoip ...`
#[derive(Debug, Subcommand)]
pub enum GeoipCommand {
    /// Check a MaxMind-format database (GeoLite2-Country, GeoIP2-Country or -City) and make
    /// it the one that places sign-ins from the next ingest on (`reference/geoip.mmdb`).
    Update {
        /// The `.mmdb` file.
        file: PathBuf,
    },
}

/// `logwacht federation ...`.
#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Validate the federation file and check each member: its workspace opens, or its worker
    /// is reachable and its secret readable.
    Check {
        /// The federation file (default: federation.toml here).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Run each member's weekly audit where its data is, then merge the suppressed counts.
    Report {
        /// The federation file (default: federation.toml here).
        #[arg(long)]
        file: Option<PathBuf>,
        /// The ISO week (2026-W47).
        #[arg(long)]
        week: String,
        /// nl or en (default nl).
        #[arg(long, value_parser = lang)]
        lang: Option<Lang>,
        /// The group report's folder (default: group-reports/<week> beside the file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seconds to wait for one rule's answer from the workers (schools given by worker).
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// Run rules across the member schools on their workers: each rule planned once, each
    /// school's part run by its own worker with its own key.
    Audit {
        /// The federation file (default: federation.toml here).
        #[arg(long)]
        file: Option<PathBuf>,
        /// First day (YYYY-MM-DD, the schools' time zones).
        #[arg(long, value_parser = day)]
        from: NaiveDate,
        /// Last day, inclusive.
        #[arg(long, value_parser = day)]
        to: NaiveDate,
        /// Run only this rule (its id); default every automated rule.
        #[arg(long)]
        rule: Option<String>,
        /// The provider's rules folder (default: the built-in rules).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The group report's language: nl or en (default nl).
        #[arg(long, value_parser = lang)]
        lang: Option<Lang>,
        /// The results' folder (default: federation-audits/<from>_<to> beside the file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Seconds to wait for one rule's answer from every worker.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
}

/// `logwacht worker`
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// A school's workspace (the folder of its logwacht.toml, with a [worker] section);
    /// repeat it for each school this machine hosts.
    #[arg(long, required = true)]
    pub workspace: Vec<PathBuf>,
    /// Where to listen (host:port; port 0 picks a free one and prints it).
    #[arg(long)]
    pub listen: std::net::SocketAddr,
    /// Mutual TLS: the worker's certificate (PEM).
    #[arg(long, requires_all = ["tls_key", "tls_client_ca"])]
    pub tls_cert: Option<PathBuf>,
    /// Mutual TLS: the worker's private key (PEM).
    #[arg(long, requires_all = ["tls_cert", "tls_client_ca"])]
    pub tls_key: Option<PathBuf>,
    /// Mutual TLS: the provider's CA, which signed the coordinator's certificate (PEM).
    #[arg(long, requires_all = ["tls_cert", "tls_key"])]
    pub tls_client_ca: Option<PathBuf>,
}
