//! The normalised Arrow schemas of the three log sources: one source of truth for every
//! column name, shared by the parsers, the Parquet store, the SQL rules and the reports.
//! Documented for analysts in `docs/schema.md`.
//!
//! Conventions: timestamps are UTC microseconds; addresses are lower-cased; every row
//! carries the raw format, file and line it came from (evidence, CTL-5: 003 art. 8.1d-e);
//! nothing is invented: a value the source does not give is NULL.
use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use serde::Serialize;

/// When the event happened, UTC.
pub const EVENT_TIME: &str = "event_time";
/// Which parser read the row (`graph-json`, `squid`, ...).
pub const SOURCE_FORMAT: &str = "source_format";
/// The input file, as an absolute path.
pub const SOURCE_FILE: &str = "source_file";
/// The 1-based line in the input file where the record starts.
pub const SOURCE_LINE: &str = "source_line";

// Sign-in columns.
/// The account that signed in (user principal name), lower-cased.
pub const USER: &str = "user";
/// The client IP address as the source gives it.
pub const IP: &str = "ip";
/// True when the sign-in succeeded (error code 0).
pub const SUCCESS: &str = "success";
/// The source's error code (0 = success).
pub const ERROR_CODE: &str = "error_code";
/// The source's failure reason, if any.
pub const FAILURE_REASON: &str = "failure_reason";
/// The application signed in to.
pub const APP: &str = "app";
/// The client app (Browser, Mobile Apps and Desktop clients, IMAP, ...).
pub const CLIENT_APP: &str = "client_app";
/// Conditional Access outcome (success, failure, notApplied).
pub const CONDITIONAL_ACCESS: &str = "conditional_access";
/// Interactive (true) or non-interactive (false) sign-in.
pub const INTERACTIVE: &str = "interactive";
/// The country the source itself reports (ISO-2), kept apart from ours.
pub const SOURCE_COUNTRY: &str = "source_country";
/// The log category (SignInLogs, NonInteractiveUserSignInLogs, ...).
pub const LOG_CATEGORY: &str = "log_category";
/// The source's own record id (signIn `id`).
pub const REQUEST_ID: &str = "request_id";
/// Who signed in: `user`, `service principal` (an app with its own secret or certificate)
/// or `managed identity` (an Azure resource). For the last two, `user` holds the
/// principal's name.
pub const PRINCIPAL_TYPE: &str = "principal_type";
/// The principal's own id: the user's object id, the service principal's id.
pub const PRINCIPAL_ID: &str = "principal_id";
/// How many sign-ins the row stands for, when the source summarises them (Graph's
/// `summarizedSignIn`: non-interactive, service principal and managed identity sign-ins
/// of one principal, app and address in a time window); NULL for a row of one sign-in.
pub const SIGNIN_COUNT: &str = "signin_count";
/// The country logwacht's GeoIP database places the IP in (ISO-2), if placed.
pub const GEO_COUNTRY: &str = "geo_country";
/// `placed`, `private`, `unknown` or `invalid` (GEO-4: never silently allowed).
pub const GEO_OUTCOME: &str = "geo_outcome";
/// The city, when the GeoIP database is a City database.
pub const GEO_CITY: &str = "geo_city";
/// The database network that matched the IP (`81.240.0.0/14`).
pub const GEO_NETWORK: &str = "geo_network";
/// The autonomous system number, with an ASN database.
pub const GEO_ASN: &str = "geo_asn";
/// The autonomous system's organisation, with an ASN database.
pub const GEO_AS_ORG: &str = "geo_as_org";
/// The GeoIP database file that placed the row.
pub const GEO_DATABASE: &str = "geo_database";
/// That database's `build_epoch` (seconds since 1970).
pub const GEO_BUILD_EPOCH: &str = "geo_build_epoch";

// Email columns.
/// The Internet Message-ID, with its angle brackets.
pub const MESSAGE_ID: &str = "message_id";
/// The system's own id for the message (MessageTraceId, network-message-id, queue id).
pub const TRACE_ID: &str = "trace_id";
/// The event in the mail system (RECEIVE, DELIVER, sent, deferred, reject, ...).
pub const EVENT: &str = "event";
/// The envelope sender, lower-cased.
pub const SENDER: &str = "sender";
/// One recipient, lower-cased (one row per recipient).
pub const RECIPIENT: &str = "recipient";
/// to, cc or bcc when the source says so.
pub const RECIPIENT_TYPE: &str = "recipient_type";
/// The number of recipients of the message, when the source reports it.
pub const RECIPIENT_COUNT: &str = "recipient_count";
/// The subject line (content: purpose-limited and protected, CTL-7/8).
pub const SUBJECT: &str = "subject";
/// Delivery status for this recipient (Delivered, Failed, sent, bounced, ...).
pub const STATUS: &str = "status";
/// The message size in bytes.
pub const SIZE_BYTES: &str = "size_bytes";
/// Incoming, Outgoing, Originating (Exchange) when the source says so.
pub const DIRECTION: &str = "direction";
/// The submitting client's IP.
pub const CLIENT_IP: &str = "client_ip";
/// The receiving or relaying server's IP.
pub const SERVER_IP: &str = "server_ip";
/// The submitting client's host name.
pub const CLIENT_HOST: &str = "client_host";
/// The authenticated account that submitted the message (SASL user), if logged.
pub const SUBMITTED_BY: &str = "submitted_by";
/// The sensitivity or label the source gives (persoonlijk, personal, private, ...).
pub const SENSITIVITY: &str = "sensitivity";
/// Attachment names, `;`-separated, where the source gives them.
pub const ATTACHMENT_NAMES: &str = "attachment_names";
/// The client software the message was written with (`X-Mailer` or `User-Agent` header),
/// where the source logs it (MAIL-9).
pub const MAILER: &str = "mailer";
/// The address of the `From:` header (lower-cased, display name dropped), where the source
/// logs it; it can differ from the envelope sender (MAIL-5).
pub const HEADER_FROM: &str = "header_from";

// Web columns (CLIENT_IP and STATUS are shared with email).
/// The authenticated user of the proxy or web server, if any.
pub const WEB_USER: &str = "user";
/// HTTP method (GET, POST, CONNECT, ...).
pub const METHOD: &str = "method";
/// The full URL as logged (for CONNECT: host:port).
pub const URL: &str = "url";
/// The lower-cased host name or address of the URL, if it has one.
pub const HOST: &str = "host";
/// Path and query of the URL (content-like: purpose f never sees it).
pub const PATH: &str = "path";
/// HTTP status code.
pub const HTTP_STATUS: &str = "http_status";
/// Bytes sent to the client.
pub const BYTES: &str = "bytes";
/// Time the proxy took, in milliseconds (Squid).
pub const ELAPSED_MS: &str = "elapsed_ms";
/// Squid result code (TCP_MISS, TCP_DENIED, ...).
pub const CACHE_RESULT: &str = "cache_result";
/// Squid hierarchy code and peer (DIRECT/93.184.216.34).
pub const HIERARCHY: &str = "hierarchy";
/// Content type of the reply.
pub const CONTENT_TYPE: &str = "content_type";
/// Referer header (combined log).
pub const REFERER: &str = "referer";
/// User-Agent header (combined log).
pub const USER_AGENT: &str = "user_agent";
/// The web filter's own category of the request (FortiGate `catdesc`, Sophos `category`),
/// beside logwacht's own (UT1) that `web_category()` gives.
pub const VENDOR_CATEGORY: &str = "vendor_category";

/// The name of the pseudonym function: purpose f may read identities only through it.
pub const PSEUDONYM: &str = "pseudonym";

/// The privacy class of a column (CTL-2: 003 art. 6.4; art. 8): the purpose limits and
/// the output gate (`rules::gate`) reason with classes, never with lists of column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// Names a person, an account, an address, a message or a request: the account, the
    /// sender, the message id, the trace id, an approver.
    Identity,
    /// An IP address or a network that points at one machine.
    Network,
    /// What a person wrote, read or visited: subject, attachment names, URL, host, path,
    /// referer, user agent, header values, notes, display names, free-text reasons.
    Content,
    /// Where: country, city, autonomous system.
    Location,
    /// When: timestamps and days.
    Time,
    /// How much: counts, sizes, durations, thresholds.
    Measure,
    /// A value from a short fixed vocabulary: status, result, category, role, format, app.
    Code,
    /// Where a row came from: input file, line, format, GeoIP database.
    Provenance,
}

impl Class {
    /// Every class, in order.
    pub const ALL: [Class; 8] = [
        Class::Identity,
        Class::Network,
        Class::Content,
        Class::Location,
        Class::Time,
        Class::Measure,
        Class::Code,
        Class::Provenance,
    ];

    /// The name used in `docs/schema.md`, refusals and `[purposes]`.
    pub fn name(self) -> &'static str {
        match self {
            Class::Identity => "identity",
            Class::Network => "network",
            Class::Content => "content",
            Class::Location => "location",
            Class::Time => "time",
            Class::Measure => "measure",
            Class::Code => "code",
            Class::Provenance => "provenance",
        }
    }

    /// Parses a class name.
    pub fn parse(text: &str) -> Option<Class> {
        Class::ALL.into_iter().find(|c| c.name() == text)
    }

    /// True for the classes that point at a person or carry what they wrote: a DPO-facing
    /// output never holds them raw (CTL-2).
    pub fn is_personal(self) -> bool {
        matches!(self, Class::Identity | Class::Network | Class::Content)
    }
}

/// Every column a rule can see, with its class: the store tables, then the reference
/// tables the rules engine registers. The one list; `docs/schema.md` shows it, and a test
/// fails when a column of any table lacks a class or the document disagrees.
pub const CLASSES: &[(&str, &str, Class)] = &[
    // signin
    ("signin", EVENT_TIME, Class::Time),
    ("signin", USER, Class::Identity),
    ("signin", IP, Class::Network),
    ("signin", SUCCESS, Class::Code),
    ("signin", ERROR_CODE, Class::Code),
    ("signin", FAILURE_REASON, Class::Code),
    ("signin", APP, Class::Code),
    ("signin", CLIENT_APP, Class::Code),
    ("signin", CONDITIONAL_ACCESS, Class::Code),
    ("signin", INTERACTIVE, Class::Code),
    ("signin", SOURCE_COUNTRY, Class::Location),
    ("signin", LOG_CATEGORY, Class::Code),
    ("signin", REQUEST_ID, Class::Identity),
    ("signin", PRINCIPAL_TYPE, Class::Code),
    ("signin", PRINCIPAL_ID, Class::Identity),
    ("signin", SIGNIN_COUNT, Class::Measure),
    ("signin", GEO_COUNTRY, Class::Location),
    ("signin", GEO_OUTCOME, Class::Code),
    ("signin", GEO_CITY, Class::Location),
    ("signin", GEO_NETWORK, Class::Network),
    ("signin", GEO_ASN, Class::Location),
    ("signin", GEO_AS_ORG, Class::Location),
    ("signin", GEO_DATABASE, Class::Provenance),
    ("signin", GEO_BUILD_EPOCH, Class::Provenance),
    ("signin", SOURCE_FORMAT, Class::Provenance),
    ("signin", SOURCE_FILE, Class::Provenance),
    ("signin", SOURCE_LINE, Class::Provenance),
    // email
    ("email", EVENT_TIME, Class::Time),
    ("email", MESSAGE_ID, Class::Identity),
    ("email", TRACE_ID, Class::Identity),
    ("email", EVENT, Class::Code),
    ("email", SENDER, Class::Identity),
    ("email", RECIPIENT, Class::Identity),
    ("email", RECIPIENT_TYPE, Class::Code),
    ("email", RECIPIENT_COUNT, Class::Measure),
    ("email", SUBJECT, Class::Content),
    ("email", STATUS, Class::Code),
    ("email", SIZE_BYTES, Class::Measure),
    ("email", DIRECTION, Class::Code),
    ("email", CLIENT_IP, Class::Network),
    ("email", SERVER_IP, Class::Network),
    ("email", CLIENT_HOST, Class::Network),
    ("email", SUBMITTED_BY, Class::Identity),
    ("email", SENSITIVITY, Class::Code),
    ("email", ATTACHMENT_NAMES, Class::Content),
    ("email", MAILER, Class::Content),
    ("email", HEADER_FROM, Class::Identity),
    ("email", SOURCE_FORMAT, Class::Provenance),
    ("email", SOURCE_FILE, Class::Provenance),
    ("email", SOURCE_LINE, Class::Provenance),
    // web
    ("web", EVENT_TIME, Class::Time),
    ("web", CLIENT_IP, Class::Network),
    ("web", WEB_USER, Class::Identity),
    ("web", METHOD, Class::Code),
    ("web", URL, Class::Content),
    ("web", HOST, Class::Content),
    ("web", PATH, Class::Content),
    ("web", HTTP_STATUS, Class::Code),
    ("web", BYTES, Class::Measure),
    ("web", ELAPSED_MS, Class::Measure),
    ("web", CACHE_RESULT, Class::Code),
    ("web", HIERARCHY, Class::Network),
    ("web", CONTENT_TYPE, Class::Code),
    ("web", REFERER, Class::Content),
    ("web", USER_AGENT, Class::Content),
    ("web", VENDOR_CATEGORY, Class::Code),
    ("web", SOURCE_FORMAT, Class::Provenance),
    ("web", SOURCE_FILE, Class::Provenance),
    ("web", SOURCE_LINE, Class::Provenance),
    // people: the directory without display names
    ("people", "address", Class::Identity),
    ("people", "role", Class::Code),
    ("people", "class", Class::Code),
    // travel_exceptions
    ("travel_exceptions", "person", Class::Identity),
    ("travel_exceptions", "country", Class::Location),
    ("travel_exceptions", "first_day", Class::Time),
    ("travel_exceptions", "last_day", Class::Time),
    ("travel_exceptions", "requested_on", Class::Time),
    ("travel_exceptions", "approved_by", Class::Identity),
    ("travel_exceptions", "note", Class::Content),
    ("travel_exceptions", "cover_from", Class::Time),
    ("travel_exceptions", "cover_to", Class::Time),
    ("travel_exceptions", SOURCE_LINE, Class::Provenance),
    ("travel_exceptions", "first_day_num", Class::Time),
    ("travel_exceptions", "requested_day_num", Class::Time),
    // holds
    ("holds", "case_id", Class::Code),
    ("holds", "subject", Class::Identity),
    ("holds", "first_day", Class::Time),
    ("holds", "last_day", Class::Time),
    ("holds", "until", Class::Time),
    ("holds", "active", Class::Code),
    // allowed_countries, lists, blocklist_categories, policy: the school's settings
    ("allowed_countries", "country", Class::Location),
    ("lists", "list", Class::Code),
    ("lists", "value", Class::Code),
    ("blocklist_categories", "group_name", Class::Code),
    ("blocklist_categories", "category", Class::Code),
    ("policy", "travel_lead_days", Class::Measure),
    ("policy", "summer_deadline_month", Class::Time),
    ("policy", "summer_deadline_day", Class::Time),
    ("policy", "retention_days", Class::Measure),
    ("policy", "visible_external_threshold", Class::Measure),
    ("policy", "mass_recipients", Class::Measure),
    ("policy", "chain_repeats", Class::Measure),
];

/// The class of `table.column`, if it has one.
pub fn class_of(table: &str, column: &str) -> Option<Class> {
    CLASSES.iter().find(|(t, c, _)| *t == table && *c == column).map(|(_, _, k)| *k)
}

/// The three kinds of log the store holds; each is a table and a folder of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Microsoft Entra ID (Azure AD) sign-ins.
    Signin,
    /// Mail traffic: Exchange Online, Exchange Server, Postfix.
    Email,
    /// Web traffic: Squid, Apache/Nginx.
    Web,
}

impl Source {
    /// All sources, in store order.
    pub const ALL: [Source; 3] = [Source::Signin, Source::Email, Source::Web];

    /// The table and folder name.
    pub fn name(self) -> &'static str {
        match self {
            Source::Signin => "signin",
            Source::Email => "email",
            Source::Web => "web",
        }
    }

    /// Parses a `--source` value.
    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == text)
    }

    /// The Arrow schema of this source's table (without the Hive `date` partition column).
    pub fn schema(self) -> SchemaRef {
        match self {
            Source::Signin => SIGNIN.clone(),
            Source::Email => EMAIL.clone(),
            Source::Web => WEB.clone(),
        }
    }
}

fn utc_micros() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn with_provenance(mut fields: Vec<Field>) -> SchemaRef {
    fields.insert(0, Field::new(EVENT_TIME, utc_micros(), false));
    // One value per input file: dictionary-encoded in Arrow and in Parquet.
    fields.push(Field::new(SOURCE_FORMAT, provenance_text(), false));
    fields.push(Field::new(SOURCE_FILE, provenance_text(), false));
    fields.push(Field::new(SOURCE_LINE, DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// The type of the per-file provenance columns: a dictionary of strings.
pub fn provenance_text() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

fn text(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true)
}

static SIGNIN: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_provenance(vec![
        text(USER),
        text(IP),
        Field::new(SUCCESS, DataType::Boolean, true),
        Field::new(ERROR_CODE, DataType::Int64, true),
        text(FAILURE_REASON),
        text(APP),
        text(CLIENT_APP),
        text(CONDITIONAL_ACCESS),
        Field::new(INTERACTIVE, DataType::Boolean, true),
        text(SOURCE_COUNTRY),
        text(LOG_CATEGORY),
        text(REQUEST_ID),
        text(PRINCIPAL_TYPE),
        text(PRINCIPAL_ID),
        Field::new(SIGNIN_COUNT, DataType::Int64, true),
        text(GEO_COUNTRY),
        text(GEO_OUTCOME),
        text(GEO_CITY),
        text(GEO_NETWORK),
        Field::new(GEO_ASN, DataType::Int64, true),
        text(GEO_AS_ORG),
        text(GEO_DATABASE),
        Field::new(GEO_BUILD_EPOCH, DataType::Int64, true),
    ])
});

static EMAIL: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_provenance(vec![
        text(MESSAGE_ID),
        text(TRACE_ID),
        text(EVENT),
        text(SENDER),
        text(RECIPIENT),
        text(RECIPIENT_TYPE),
        Field::new(RECIPIENT_COUNT, DataType::Int64, true),
        text(SUBJECT),
        text(STATUS),
        Field::new(SIZE_BYTES, DataType::Int64, true),
        text(DIRECTION),
        text(CLIENT_IP),
        text(SERVER_IP),
        text(CLIENT_HOST),
        text(SUBMITTED_BY),
        text(SENSITIVITY),
        text(ATTACHMENT_NAMES),
        text(MAILER),
        text(HEADER_FROM),
    ])
});

static WEB: LazyLock<SchemaRef> = LazyLock::new(|| {
    with_provenance(vec![
        text(CLIENT_IP),
        text(WEB_USER),
        text(METHOD),
        text(URL),
        text(HOST),
        text(PATH),
        Field::new(HTTP_STATUS, DataType::Int32, true),
        Field::new(BYTES, DataType::Int64, true),
        Field::new(ELAPSED_MS, DataType::Int64, true),
        text(CACHE_RESULT),
        text(HIERARCHY),
        text(CONTENT_TYPE),
        text(REFERER),
        text(USER_AGENT),
        text(VENDOR_CATEGORY),
    ])
});

/// The six purposes of art. 7.1 (003): every rule declares one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, PartialOrd, Ord)]
pub enum Purpose {
    /// a. misuse: irresponsible and forbidden use (art. 5.4-5.13).
    A,
    /// b. compliance with the privacy rules.
    B,
    /// c. continuity of work.
    C,
    /// d. evidence and archive.
    D,
    /// e. system and network security.
    E,
    /// f. cost and capacity.
    F,
}

impl Purpose {
    /// Parses `a`..`f`.
    pub fn parse(s: &str) -> Option<Purpose> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a" => Some(Purpose::A),
            "b" => Some(Purpose::B),
            "c" => Some(Purpose::C),
            "d" => Some(Purpose::D),
            "e" => Some(Purpose::E),
            "f" => Some(Purpose::F),
            _ => None,
        }
    }

    /// The letter.
    pub fn letter(self) -> char {
        match self {
            Purpose::A => 'a',
            Purpose::B => 'b',
            Purpose::C => 'c',
            Purpose::D => 'd',
            Purpose::E => 'e',
            Purpose::F => 'f',
        }
    }

    /// The article of 003 that says what this purpose may process.
    pub fn article(self) -> &'static str {
        match self {
            Purpose::A => "art. 8.1",
            Purpose::B => "art. 8.2",
            Purpose::C => "art. 8.3",
            Purpose::D => "art. 8.4",
            Purpose::E => "art. 8.5-8.6",
            Purpose::F => "art. 8.7-8.8",
        }
    }
}

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Dutch.
    Nl,
    /// English.
    En,
}

impl Lang {
    /// Parses `nl` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// Every table a rule can read.
pub const TABLES: [&str; 10] = [
    "signin",
    "email",
    "web",
    "people",
    "travel_exceptions",
    "holds",
    "allowed_countries",
    "lists",
    "policy",
    "blocklist_categories",
];

/// Lower-cases an address and strips the angle brackets some logs put around it.
pub fn normalise_address(raw: &str) -> Option<String> {
    let a = raw.trim().trim_start_matches('<').trim_end_matches('>').trim();
    if a.is_empty() || a == "-" { None } else { Some(a.to_lowercase()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_has_provenance_and_no_partition_column() {
        for source in Source::ALL {
            let schema = source.schema();
            for col in [EVENT_TIME, SOURCE_FORMAT, SOURCE_FILE, SOURCE_LINE] {
                assert!(schema.field_with_name(col).is_ok(), "{} lacks {col}", source.name());
            }
            // The Hive partition column lives in the folder name only; a file column of the
            // same name would clash in DuckDB and polars.
            assert!(schema.field_with_name("date").is_err());
        }
    }

    #[test]
    fn every_store_column_has_exactly_one_class() {
        for source in Source::ALL {
            for f in source.schema().fields() {
                let n = CLASSES.iter().filter(|(t, c, _)| *t == source.name() && c == f.name()).count();
                assert_eq!(n, 1, "{}.{} has {n} classes", source.name(), f.name());
            }
        }
        for (t, c, _) in CLASSES {
            let n = CLASSES.iter().filter(|(t2, c2, _)| t2 == t && c2 == c).count();
            assert_eq!(n, 1, "{t}.{c} is listed {n} times");
        }
    }

    #[test]
    fn source_names_round_trip() {
        for source in Source::ALL {
            assert_eq!(Source::parse(source.name()), Some(source));
        }
        assert_eq!(Source::parse("dns"), None);
    }
}
