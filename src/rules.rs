//! Audit rules: one DataFusion SQL query per file in `queries/` (or the configured rules
//! folder), each opening with a header the loader parses and validates:
//!
//! ```sql
//! -- id: signin_outside_allowed_countries
//! -- purpose: e            (art. 7.1 a-f)
//! -- requirement: GEO-1, GEO-4
//! -- severity: high
//! -- mode: automated       (automated | sample)
//! -- summary.en: Sign-in from outside Belgium and its neighbours without a travel exception.
//! -- summary.nl: Aanmelding buiten België en buurlanden zonder reisuitzondering.
//! ```
//! A school adds a rule by dropping a `.sql` file in the folder: no recompiling.
pub mod engine;
pub mod functions;
pub mod gate;
pub mod psl;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::schema::Purpose;

/// One rule.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    /// The id: the file stem.
    pub id: String,
    /// Its purpose.
    pub purpose: Purpose,
    /// Requirement ids of `docs/policy.md`.
    pub requirements: Vec<String>,
    /// How serious a finding is.
    pub severity: Severity,
    /// How its findings reach the DPO.
    pub mode: Mode,
    /// English summary.
    pub summary_en: String,
    /// Dutch summary.
    pub summary_nl: String,
    /// French summary (optional: the alarm-bell notice is also in French).
    pub summary_fr: Option<String>,
    /// The purpose of Belgium's CAO nr. 81 its findings serve (`-- cao81: 1..4`), when the
    /// header says; else [`cao81_of`] maps the rule's purpose.
    pub cao81: Option<u8>,
    /// `-- action: return`: the messages it finds are listed for return to their sender
    /// (CTL-10, `logwacht returns`).
    pub returns: bool,
    /// The query.
    #[serde(skip)]
    pub sql: String,
    /// The file.
    pub path: PathBuf,
}

/// How serious a rule's finding is (the `-- severity:` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    const ALL: [Severity; 4] = [Severity::High, Severity::Medium, Severity::Low, Severity::Info];

    /// The header word.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    fn parse(s: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// How a rule's findings reach the DPO (the `-- mode:` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Counted, with pseudonymised review rows.
    Automated,
    /// Counted, and a random sample drawn for the DPO to review by hand (CTL-3).
    Sample,
    /// logwacht's own queries (report statistics, case screening): never a rule file's,
    /// the only ones the output gate does not hold to the DPO's allow-list (CTL-2).
    Internal,
}

impl Mode {
    /// The header word.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Automated => "automated",
            Mode::Sample => "sample",
            Mode::Internal => "internal",
        }
    }

    /// A rule file's mode: `internal` is not one a file may name.
    fn parse(s: &str) -> Option<Mode> {
        [Mode::Automated, Mode::Sample].into_iter().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Whether the DPO's weekly audit runs it (automated and sampled rules).
    pub fn is_audited(self) -> bool {
        matches!(self, Mode::Automated | Mode::Sample)
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Why a rule, or one of logwacht's own queries, could not run: refused (by its purpose or
/// the output gate) or failing (`Usage`: the message names the rule and why), or what the
/// engine needed (the settings, the store, the reference data) could not be used.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A query refused or failing; the message names the rule and why, never a value.
    #[error("{0}")]
    Usage(String),
    /// A rule file that cannot be used.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// A setting or reference file is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The store cannot be read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// The GeoIP database cannot be used.
    #[error(transparent)]
    Geo(#[from] crate::enrich::geoip::GeoError),
    /// The web category lists cannot be used.
    #[error(transparent)]
    Blocklist(#[from] crate::enrich::blocklist::BlocklistError),
    /// Something that should not happen: a bug in logwacht.
    #[error("{0} (this is a bug)")]
    Bug(String),
}

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct RuleError {
    pub path: PathBuf,
    pub line: usize,
    pub message: String,
}

const KEYS: [&str; 7] = ["id", "purpose", "requirement", "severity", "mode", "summary.en", "summary.nl"];
/// Header keys a rule may leave out.
const OPTIONAL_KEYS: [&str; 3] = ["cao81", "action", "summary.fr"];

/// The purposes of Belgium's CAO nr. 81 on the control of electronic online communication
/// data: 1 unlawful or harmful acts, 2 the school's confidential interests, 3 the security
/// and good technical working of the network (costs included), 4 good-faith compliance with
/// the rules for using online technology. A staff member may be named directly for 1-3;
/// for 4 only after the alarm-bell notice (`logwacht notice`) and a recurrence.
pub const CAO81_PURPOSES: [&str; 4] = [
    "unlawful or harmful acts",
    "the school's confidential interests",
    "security and technical working of the network, costs included",
    "compliance with the rules for using online technology",
];

/// The CAO nr. 81 purpose of a rule: its `cao81` header, else by its purpose (art. 7.1):
/// a misuse and b the privacy rules are the school's use rules (4); c continuity, e
/// security and f cost are the network's working (3); d evidence of an unlawful act (1).
pub fn cao81_of(rule: &Rule) -> u8 {
    rule.cao81.unwrap_or(cao81_of_purpose(rule.purpose))
}

/// The CAO nr. 81 purpose of a purpose of the school's protocol (art. 7.1), as [`cao81_of`]
/// maps it.
pub fn cao81_of_purpose(p: Purpose) -> u8 {
    match p {
        Purpose::A | Purpose::B => 4,
        Purpose::C | Purpose::E | Purpose::F => 3,
        Purpose::D => 1,
    }
}

/// Parses a rule file's text.
pub fn parse(path: &Path, text: &str) -> Result<Rule, RuleError> {
    let err = |line: usize, message: String| RuleError { path: path.into(), line, message };
    let mut found: Vec<(usize, &str, String)> = Vec::new();
    let mut body_start = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        let Some(comment) = t.strip_prefix("--") else {
            body_start = Some(i);
            break;
        };
        let Some((key, value)) = comment.split_once(':') else { continue };
        let key = key.trim();
        if let Some(k) = KEYS.iter().chain(OPTIONAL_KEYS.iter()).find(|k| **k == key) {
            if found.iter().any(|(_, f, _)| f == k) {
                return Err(err(i + 1, format!("header key {key:?} appears twice")));
            }
            // A trailing "(...)" is a note for the reader.
            let value = value.split("  (").next().unwrap_or(value).trim().to_string();
            found.push((i + 1, k, value));
        }
    }
    let get = |k: &str| found.iter().find(|(_, f, _)| *f == k);
    for k in KEYS {
        if get(k).is_none_or(|(_, _, v)| v.is_empty()) {
            return Err(err(1, format!("the header lacks \"-- {k}: ...\" (keys: {})", KEYS.join(", "))));
        }
    }
    let value = |k: &str| get(k).map(|(_, _, v)| v.clone()).unwrap_or_default();
    let line_of = |k: &str| get(k).map(|(l, _, _)| *l).unwrap_or(1);
    let id = value("id");
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    if id != stem {
        return Err(err(line_of("id"), format!("id {id:?} differs from the file name {stem:?}")));
    }
    if !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return Err(err(line_of("id"), format!("id {id:?} is not snake_case")));
    }
    let purpose = Purpose::parse(&value("purpose")).ok_or_else(|| {
        err(line_of("purpose"), format!("purpose {:?} is not one of a, b, c, d, e, f (art. 7.1)", value("purpose")))
    })?;
    let severity = Severity::parse(&value("severity")).ok_or_else(|| {
        let v = value("severity").to_ascii_lowercase();
        err(line_of("severity"), format!("severity {v:?} is not one of high, medium, low, info"))
    })?;
    // A rule file never escapes the output gate: `internal` is logwacht's own.
    let mode = Mode::parse(&value("mode")).ok_or_else(|| {
        let v = value("mode").to_ascii_lowercase();
        err(line_of("mode"), format!("mode {v:?} is not one of automated, sample"))
    })?;
    let requirements: Vec<String> =
        value("requirement").split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
    let cao81 = match get("cao81") {
        None => None,
        Some((line, _, v)) => match v.parse::<u8>() {
            Ok(n @ 1..=4) => Some(n),
            _ => return Err(err(*line, format!("cao81 {v:?} is not 1, 2, 3 or 4 (the purposes of CAO nr. 81)"))),
        },
    };
    let returns = match get("action") {
        None => false,
        Some((_, _, v)) if v.eq_ignore_ascii_case("return") => true,
        Some((line, _, v)) => return Err(err(*line, format!("action {v:?} is not \"return\" (CTL-10)"))),
    };
    let body: String = text.lines().skip(body_start.unwrap_or(usize::MAX)).collect::<Vec<_>>().join("\n");
    if body.trim().is_empty() {
        return Err(err(text.lines().count().max(1), "the file has a header but no query".into()));
    }
    Ok(Rule {
        id,
        purpose,
        requirements,
        severity,
        mode,
        summary_en: value("summary.en"),
        summary_nl: value("summary.nl"),
        summary_fr: get("summary.fr").map(|(_, _, v)| v.clone()).filter(|v| !v.is_empty()),
        cao81,
        returns,
        sql: body,
        path: path.into(),
    })
}

/// A purpose's name in the report's language (art. 7.1).
pub fn purpose_name(lang: crate::schema::Lang, p: Purpose) -> &'static str {
    match (lang, p) {
        (crate::schema::Lang::Nl, Purpose::A) => "a. misbruik",
        (crate::schema::Lang::Nl, Purpose::B) => "b. naleving privacyregels",
        (crate::schema::Lang::Nl, Purpose::C) => "c. continuïteit",
        (crate::schema::Lang::Nl, Purpose::D) => "d. bewijs en archief",
        (crate::schema::Lang::Nl, Purpose::E) => "e. systeem- en netwerkbeveiliging",
        (crate::schema::Lang::Nl, Purpose::F) => "f. kosten en capaciteit",
        (crate::schema::Lang::En, Purpose::A) => "a. misuse",
        (crate::schema::Lang::En, Purpose::B) => "b. privacy compliance",
        (crate::schema::Lang::En, Purpose::C) => "c. continuity",
        (crate::schema::Lang::En, Purpose::D) => "d. evidence and archive",
        (crate::schema::Lang::En, Purpose::E) => "e. system and network security",
        (crate::schema::Lang::En, Purpose::F) => "f. cost and capacity",
    }
}

/// The rules shipped in `queries/`, compiled in: a workspace uses them unless
/// `[rules] dir` names a folder of its own.
pub const BUILTIN: &[(&str, &str)] = &[
    ("cost_mail_volume_per_person_week.sql", include_str!("../queries/cost_mail_volume_per_person_week.sql")),
    ("cost_web_volume_per_person_day.sql", include_str!("../queries/cost_web_volume_per_person_day.sql")),
    ("mail_external_recipients_visible.sql", include_str!("../queries/mail_external_recipients_visible.sql")),
    ("mail_forbidden_attachment.sql", include_str!("../queries/mail_forbidden_attachment.sql")),
    ("mail_mass_or_chain.sql", include_str!("../queries/mail_mass_or_chain.sql")),
    ("mail_password_in_subject.sql", include_str!("../queries/mail_password_in_subject.sql")),
    ("mail_private_address_staff_pupil.sql", include_str!("../queries/mail_private_address_staff_pupil.sql")),
    ("mail_sender_misrepresented.sql", include_str!("../queries/mail_sender_misrepresented.sql")),
    ("mail_sensitive_pupil_data_in_subject.sql", include_str!("../queries/mail_sensitive_pupil_data_in_subject.sql")),
    ("mail_staff_to_parent_after_hours.sql", include_str!("../queries/mail_staff_to_parent_after_hours.sql")),
    ("mail_unapproved_client.sql", include_str!("../queries/mail_unapproved_client.sql")),
    ("signin_outside_allowed_countries.sql", include_str!("../queries/signin_outside_allowed_countries.sql")),
    (
        "signin_workload_outside_allowed_countries.sql",
        include_str!("../queries/signin_workload_outside_allowed_countries.sql"),
    ),
    ("travel_exception_late_request.sql", include_str!("../queries/travel_exception_late_request.sql")),
    ("web_download_executable.sql", include_str!("../queries/web_download_executable.sql")),
    ("web_filter_circumvention.sql", include_str!("../queries/web_filter_circumvention.sql")),
    ("web_forbidden_category.sql", include_str!("../queries/web_forbidden_category.sql")),
    ("web_leisure_during_school_hours.sql", include_str!("../queries/web_leisure_during_school_hours.sql")),
    ("web_malware_or_phishing.sql", include_str!("../queries/web_malware_or_phishing.sql")),
];

/// The workspace's rules: its `[rules] dir`, else the built-in ones.
pub fn configured(config: &crate::config::Config) -> Result<Vec<Rule>, RuleError> {
    match &config.rules_dir {
        Some(d) => load_dir(d),
        None => builtin(),
    }
}

/// A query logwacht runs itself (report statistics, case screening), parsed as a rule so
/// that the engine checks it against its purpose like any other.
pub fn internal(id: &str, purpose: Purpose, requirement: &str, sql: &str) -> Result<Rule, RuleError> {
    let text = format!(
        "-- id: {id}\n-- purpose: {}\n-- requirement: {requirement}\n-- severity: info\n-- mode: automated\n-- summary.en: internal query\n-- summary.nl: interne query\n{sql}\n",
        purpose.letter()
    );
    let mut rule = parse(&Path::new("internal").join(format!("{id}.sql")), &text)?;
    rule.mode = Mode::Internal;
    Ok(rule)
}

/// logwacht's own case queries (`queries/case/`), compiled in: steps 1-2 of a case read
/// the subject's rows through them, in the same engine and under the same purpose limits
/// as every rule. Their header says `purpose: case` and `mode: case`; the subject is the
/// placeholder `$1`, given as a value when the query runs, never written into its text.
pub const CASE_QUERIES: &[(&str, &str)] = &[
    ("case_email.sql", include_str!("../queries/case/case_email.sql")),
    ("case_signin.sql", include_str!("../queries/case/case_signin.sql")),
    ("case_web.sql", include_str!("../queries/case/case_web.sql")),
];

/// The case query `id` for a case of `purpose` (a-e).
pub fn case_query(id: &str, purpose: Purpose) -> Result<Rule, RuleError> {
    let file = format!("{id}.sql");
    let path = Path::new("queries/case").join(&file);
    let Some((_, text)) = CASE_QUERIES.iter().find(|(n, _)| *n == file) else {
        return Err(RuleError { path, line: 0, message: "no such case query".into() });
    };
    // The header's `case` words stand for what only the case decides: it runs under the
    // case's purpose, and as logwacht's own query.
    let text = text.replacen("-- purpose: case", &format!("-- purpose: {}", purpose.letter()), 1).replacen(
        "-- mode: case",
        "-- mode: automated",
        1,
    );
    let mut rule = parse(&path, &text)?;
    rule.mode = Mode::Internal;
    Ok(rule)
}

/// The built-in rules.
pub fn builtin() -> Result<Vec<Rule>, RuleError> {
    BUILTIN.iter().map(|(name, text)| parse(&Path::new("queries").join(name), text)).collect()
}

/// The rules of `dir` (else the built-in ones), each with its file's whole text: what a
/// federation's coordinator sends to each school's worker, which parses it again itself.
pub fn with_texts(dir: Option<&Path>) -> Result<Vec<(Rule, String)>, RuleError> {
    let Some(dir) = dir else {
        return BUILTIN
            .iter()
            .map(|(name, text)| Ok((parse(&Path::new("queries").join(name), text)?, text.to_string())))
            .collect();
    };
    let rules = load_dir(dir)?;
    rules
        .into_iter()
        .map(|r| {
            let text = std::fs::read_to_string(&r.path).map_err(|e| RuleError {
                path: r.path.clone(),
                line: 0,
                message: format!("cannot read: {e}"),
            })?;
            Ok((r, text))
        })
        .collect()
}

/// Loads every `.sql` file of a folder, sorted by id; the first bad file is the error.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>, RuleError> {
    let entries = std::fs::read_dir(dir).map_err(|e| RuleError {
        path: dir.into(),
        line: 0,
        message: format!("cannot read the rules folder: {e}"),
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    paths.sort();
    let mut rules = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).map_err(|e| RuleError {
            path: p.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        rules.push(parse(&p, &text)?);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_queries_is_built_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let built: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, built);
        assert_eq!(builtin().unwrap().len(), files.len());
    }

    const GOOD: &str = "-- id: mail_x\n-- purpose: f            (art. 7.1 a-f)\n-- requirement: MAIL-7, MAIL-2\n-- severity: low\n-- mode: automated\n-- summary.en: Mass mail.\n-- summary.nl: Massamail.\nSELECT 1\n";

    #[test]
    fn every_file_in_queries_is_built_in_and_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let on_disk = load_dir(&dir).unwrap();
        let built = builtin().unwrap();
        let ids = |v: &[Rule]| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&on_disk), ids(&built), "add the new rule to rules::BUILTIN");
    }

    #[test]
    fn every_case_query_is_built_in_and_parses_for_every_case_purpose() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries/case");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        assert_eq!(files, CASE_QUERIES.iter().map(|(n, _)| *n).collect::<Vec<_>>());
        for (name, _) in CASE_QUERIES {
            for p in [Purpose::A, Purpose::B, Purpose::C, Purpose::D, Purpose::E] {
                let r = case_query(name.trim_end_matches(".sql"), p).unwrap();
                assert_eq!((r.purpose, r.mode), (p, Mode::Internal));
                assert!(r.sql.contains("$1"), "{name} takes its subject as $1");
            }
        }
        assert!(case_query("case_other", Purpose::A).is_err());
    }

    #[test]
    fn a_good_header_parses() {
        let r = parse(Path::new("queries/mail_x.sql"), GOOD).unwrap();
        assert_eq!((r.purpose, r.severity, r.mode), (Purpose::F, Severity::Low, Mode::Automated));
        assert_eq!(r.requirements, ["MAIL-7", "MAIL-2"]);
        assert_eq!(r.sql.trim(), "SELECT 1");
    }

    #[test]
    fn bad_headers_are_refused_with_file_and_line() {
        let p = Path::new("queries/mail_x.sql");
        let e = parse(p, &GOOD.replace("purpose: f", "purpose: g")).unwrap_err();
        assert_eq!((e.line, e.to_string().contains("\"g\" is not one of a, b, c, d, e, f")), (2, true), "{e}");
        let e = parse(p, &GOOD.replace("-- severity: low\n", "")).unwrap_err();
        assert!(e.to_string().contains("lacks \"-- severity"), "{e}");
        let e = parse(Path::new("queries/other.sql"), GOOD).unwrap_err();
        assert!(e.to_string().contains("differs from the file name"), "{e}");
        let e = parse(p, "SELECT 1").unwrap_err();
        assert!(e.to_string().contains("lacks"), "{e}");
        let e = parse(p, &GOOD.replace("mode: automated", "mode: sometimes")).unwrap_err();
        assert_eq!(e.line, 5);
    }
}
