//! Many schools, one ICT provider (issue 19, parts 1 and 2): a federation file names the
//! member schools, each its own controller with its own workspace, key, store and trail;
//! the group report runs each school's weekly audit where its data is and merges only what
//! each school's own report already shows: its suppressed counts per rule.
//!
//! ```text
//! federation.toml --check--> members (id, workspace | worker, contact)
//! federation report --week W:
//!   per workspace member: logwacht's weekly audit there (its key, its trail, its folder)
//!     --> its findings.json (counts already suppressed, pseudonyms of its own key)
//!   per worker member: the weekly audit's rules on its worker (`Fragment::weekly`)
//!     --> per rule its count only, counted as its weekly report counts, suppressed
//!   merge: per rule and school the count, suppressed again at the group's threshold;
//!          a rule's total withheld when any of its cells is small or withheld
//!   --> group-report.{html,md,json}: no pseudonym, no row, nothing per person
//! ```
//! No pseudonym crosses schools (each school's key stays in its workspace, and the group
//! report carries none), and no row leaves a school. Members reached through a worker
//! address (`worker = "host:port"`, with the provider's copy of its shared secret) are
//! reached on the distributed engine (`coordinator`, `worker`, `fragment`), by the group
//! report and by `federation audit`.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::report::Lang;
use crate::report::suppress::{Cell, JsonCell};

pub mod coordinator;
pub mod fragment;
pub mod worker;

/// The file name looked for when `--file` is not given.
pub const FILE_NAME: &str = "federation.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    federation: RawFederation,
    #[serde(default)]
    school: Vec<RawSchool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFederation {
    name: String,
    #[serde(default)]
    min_cell: Option<u64>,
    #[serde(default)]
    tls_ca: Option<String>,
    #[serde(default)]
    tls_cert: Option<String>,
    #[serde(default)]
    tls_key: Option<String>,
}

/// The certificate files of one side of a mutual TLS connection: the CA that signed the
/// other side's certificate, and this side's certificate and key (PEM).
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// PEM texts: the CA, a certificate, its key.
pub type Pems = (Vec<u8>, Vec<u8>, Vec<u8>);

impl TlsFiles {
    /// The three files' contents: the CA, this side's certificate, its key.
    pub fn pems(&self) -> Result<Pems, String> {
        let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
        Ok((read(&self.ca)?, read(&self.cert)?, read(&self.key)?))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchool {
    id: String,
    #[serde(default)]
    workspace: Option<String>,
    #[serde(default)]
    worker: Option<String>,
    #[serde(default)]
    secret_file: Option<String>,
    #[serde(default)]
    contact: String,
}

/// Where a member's data is.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// A workspace folder (its `logwacht.toml`) this machine reaches.
    Workspace(PathBuf),
    /// A worker address (`host:port`), for the distributed engine.
    Worker(String),
}

/// One member school.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its id (letters, digits, `.`, `-`, `_`).
    pub id: String,
    /// Where its data is.
    pub place: Place,
    /// Whom to contact (its DPO or director).
    pub contact: String,
    /// The provider's copy of the school worker's shared secret (a worker member only).
    pub secret_file: Option<PathBuf>,
}

/// A validated federation file.
#[derive(Debug, Clone)]
pub struct Federation {
    /// The file.
    pub path: PathBuf,
    /// The group's name (a school group, a provider).
    pub name: String,
    /// The group's threshold, if the file sets one.
    pub min_cell: Option<u64>,
    /// The members, in file order.
    pub members: Vec<Member>,
    /// The coordinator's side of mutual TLS with the workers (`tls_ca`, `tls_cert`,
    /// `tls_key`), when the file sets it.
    pub tls: Option<TlsFiles>,
}

impl Federation {
    /// Reads and validates `path`: ids valid and unique, each member one place, no two
    /// members the same workspace.
    pub fn load(path: &Path) -> Result<Federation, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { path: path.into(), message };
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let raw: RawFile = toml::from_str(&text).map_err(|e| invalid(e.message().to_string()))?;
        if raw.federation.name.trim().is_empty() {
            return Err(invalid("federation.name is empty".into()));
        }
        if raw.federation.min_cell == Some(0) {
            return Err(invalid("federation.min_cell is 0; use 1 or more".into()));
        }
        if raw.school.is_empty() {
            return Err(invalid("no [[school]]: a federation names its member schools".into()));
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let mut ids = BTreeSet::new();
        let mut places = BTreeSet::new();
        let mut members = Vec::new();
        for (i, s) in raw.school.into_iter().enumerate() {
            let n = i + 1;
            crate::fsio::check_id("school", &s.id).map_err(|e| invalid(format!("school {n}: {e}")))?;
            if !ids.insert(s.id.clone()) {
                return Err(invalid(format!("school {n}: id {} appears twice", s.id)));
            }
            let place = match (s.workspace.as_deref().map(str::trim), s.worker.as_deref().map(str::trim)) {
                (Some(w), None) if !w.is_empty() => Place::Workspace(base.join(w)),
                (None, Some(a))
                    if a.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok()) =>
                {
                    Place::Worker(a.to_string())
                }
                (None, Some(a)) => {
                    return Err(invalid(format!(
                        "school {}: worker {:?} is not host:port",
                        s.id,
                        crate::fsio::shown(a)
                    )));
                }
                _ => {
                    return Err(invalid(format!(
                        "school {}: give exactly one of workspace (a folder) and worker (host:port)",
                        s.id
                    )));
                }
            };
            // One worker may host several schools (each its own workspace, key and secret);
            // a workspace is one school's.
            if let Place::Workspace(p) = &place
                && !places.insert(std::path::absolute(p).unwrap_or_else(|_| p.clone()).display().to_string())
            {
                return Err(invalid(format!("school {}: its workspace is another member's too", s.id)));
            }
            let secret_file = match (&place, s.secret_file.as_deref().map(str::trim)) {
                (Place::Worker(_), Some(f)) if !f.is_empty() => Some(base.join(f)),
                (Place::Worker(_), _) => {
                    return Err(invalid(format!(
                        "school {}: a worker needs secret_file, the provider's copy of the worker's shared secret",
                        s.id
                    )));
                }
                (Place::Workspace(_), None) => None,
                (Place::Workspace(_), Some(_)) => {
                    return Err(invalid(format!(
                        "school {}: secret_file belongs to a worker, not to a workspace",
                        s.id
                    )));
                }
            };
            members.push(Member { id: s.id, place, contact: s.contact.trim().to_string(), secret_file });
        }
        let f = &raw.federation;
        let tls = match (&f.tls_ca, &f.tls_cert, &f.tls_key) {
            (None, None, None) => None,
            (Some(ca), Some(cert), Some(key)) => {
                Some(TlsFiles { ca: base.join(ca), cert: base.join(cert), key: base.join(key) })
            }
            _ => {
                return Err(invalid(
                    "federation: give all three of tls_ca, tls_cert and tls_key (mutual TLS), or none".into(),
                ));
            }
        };
        Ok(Federation {
            path: path.into(),
            name: raw.federation.name.trim().to_string(),
            min_cell: raw.federation.min_cell,
            members,
            tls,
        })
    }
}

/// What `check` found of one member.
#[derive(Debug, Clone)]
pub struct MemberCheck {
    /// The member.
    pub id: String,
    /// `ok`, or why it cannot be audited from here.
    pub problem: Option<String>,
    /// Its settings' threshold, when its workspace was read.
    pub min_cell: Option<u64>,
}

/// Checks that each member's workspace can be opened here (its settings and key read).
pub fn check(fed: &Federation) -> Vec<MemberCheck> {
    fed.members
        .iter()
        .map(|m| match &m.place {
            Place::Worker(a) => {
                let secret = m.secret_file.as_deref().map(worker::read_secret);
                let problem = match secret {
                    Some(Err(e)) => Some(format!("worker {a}: {}", crate::fsio::printable(&e.to_string()))),
                    _ => coordinator::reachable(a).err().map(|e| format!("worker {a}: {e}")),
                };
                MemberCheck { id: m.id.clone(), problem, min_cell: None }
            }
            Place::Workspace(p) => {
                let opened = Config::find(Some(&p.join(crate::config::FILE_NAME)))
                    .map_err(|e| e.to_string())
                    .and_then(|c| crate::pseudonym::load(&c.key_path()).map(|_| c).map_err(|e| e.to_string()));
                match opened {
                    Ok(c) => MemberCheck { id: m.id.clone(), problem: None, min_cell: Some(c.min_cell) },
                    Err(e) => {
                        MemberCheck { id: m.id.clone(), problem: Some(crate::fsio::printable(&e)), min_cell: None }
                    }
                }
            }
        })
        .collect()
}

/// One rule's row of the group report.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRule {
    /// The rule.
    pub id: String,
    /// Per member (in file order): its count as the group may show it, `None` when the
    /// member did not run the rule.
    pub cells: Vec<Option<GroupCell>>,
    /// The total over the members, withheld when a cell is small or withheld.
    pub total: GroupCell,
}

/// A count of the group report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "serde_json::Value")]
pub struct GroupCell(pub Cell, pub u64);

impl From<GroupCell> for serde_json::Value {
    fn from(c: GroupCell) -> serde_json::Value {
        serde_json::to_value(JsonCell(c.0, c.1)).unwrap_or_default()
    }
}

/// The merged report.
#[derive(Debug, Clone)]
pub struct GroupReport {
    /// The group's name.
    pub name: String,
    /// The week.
    pub label: String,
    /// The threshold applied to every cell.
    pub k: u64,
    /// The members, in file order, and whether their audit ran (else why not).
    pub members: Vec<(String, Option<String>)>,
    /// Per rule.
    pub rules: Vec<GroupRule>,
    /// When it was made.
    pub generated_at: DateTime<Utc>,
}

impl GroupReport {
    /// True when every member's audit ran.
    pub fn complete(&self) -> bool {
        self.members.iter().all(|(_, p)| p.is_none())
    }
}

/// A member's count from its `findings.json`: a number, or `"< k"` (small), or withheld.
fn member_cell(v: &serde_json::Value, k: u64) -> Cell {
    match v.as_u64() {
        Some(n) => Cell::of(n, k),
        None if v.as_str().is_some_and(|s| s.starts_with('<')) => Cell::Small,
        None => Cell::Withheld,
    }
}

/// Merges the members' `findings.json` (their order is the members'; `None` for a member
/// whose audit did not run) at threshold `k`.
pub fn merge(
    name: &str,
    label: &str,
    k: u64,
    members: Vec<(String, Option<String>)>,
    findings: &[Option<serde_json::Value>],
    now: DateTime<Utc>,
) -> GroupReport {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut per: Vec<BTreeMap<String, Cell>> = Vec::new();
    for f in findings {
        let mut m = BTreeMap::new();
        if let Some(rules) = f.as_ref().and_then(|f| f["rules"].as_array()) {
            for r in rules {
                let Some(id) = r["id"].as_str().filter(|id| crate::fsio::is_id(id)) else { continue };
                ids.insert(id.to_string());
                m.insert(id.to_string(), member_cell(&r["findings"], k));
            }
        }
        per.push(m);
    }
    let rules = ids
        .into_iter()
        .map(|id| {
            let cells: Vec<Option<Cell>> = per.iter().map(|m| m.get(&id).copied()).collect();
            let ran: Vec<Cell> = cells.iter().flatten().copied().collect();
            let total = if ran.iter().any(|c| !matches!(c, Cell::Count(_))) {
                Cell::Withheld
            } else {
                Cell::Count(ran.iter().filter_map(|c| c.value()).sum())
            };
            GroupRule {
                id,
                cells: cells.into_iter().map(|c| c.map(|c| GroupCell(c, k))).collect(),
                total: GroupCell(total, k),
            }
        })
        .collect();
    GroupReport { name: name.to_string(), label: label.to_string(), k, members, rules, generated_at: now }
}

/// The group report as JSON.
pub fn json(r: &GroupReport) -> serde_json::Value {
    serde_json::json!({
        "schema": "logwacht-group/1",
        "federation": r.name,
        "label": r.label,
        "generated_at": r.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "min_cell": r.k,
        "complete": r.complete(),
        "schools": r.members.iter().map(|(id, p)| serde_json::json!({"id": id, "audited": p.is_none(), "problem": p})).collect::<Vec<_>>(),
        "rules": r.rules,
    })
}

/// The words of the group report.
#[derive(Serialize)]
struct Words {
    title: &'static str,
    intro: &'static str,
    incomplete: &'static str,
    rule: &'static str,
    total: &'static str,
    not_run: &'static str,
    schools: &'static str,
    audited: &'static str,
}

const NL: Words = Words {
    title: "Groepsrapport",
    intro: "Per regel en school het aantal bevindingen van de week, zoals elke school het in haar eigen rapport toont; kleine aantallen lezen \"< k\", en een totaal dat een klein aantal zou verraden, is weggelaten. Het rapport bevat geen pseudoniemen en geen rijen: elke school blijft verwerkingsverantwoordelijke van haar eigen gegevens.",
    incomplete: "ONVOLLEDIG: niet elke school kon worden geauditeerd.",
    rule: "Regel",
    total: "Totaal",
    not_run: "niet gedraaid",
    schools: "Scholen",
    audited: "geauditeerd",
};

const EN: Words = Words {
    title: "Group report",
    intro: "Per rule and school, the week's findings as each school's own report shows them; small counts read \"< k\", and a total that would reveal a small count is withheld. The report holds no pseudonym and no row: each school stays the controller of its own data.",
    incomplete: "INCOMPLETE: not every school could be audited.",
    rule: "Rule",
    total: "Total",
    not_run: "not run",
    schools: "Schools",
    audited: "audited",
};

/// Renders the report in `lang` as `group.html` or `group.md`.
pub fn render(r: &GroupReport, lang: Lang, template: &str) -> Result<String, Error> {
    let t = if lang == Lang::Nl { &NL } else { &EN };
    let text = |c: &GroupCell| c.0.text(c.1);
    let view = minijinja::context! {
        t => crate::templates::words(t),
        lang => if lang == Lang::Nl { "nl" } else { "en" },
        name => r.name.as_str(),
        label => crate::templates::safe(r.label.as_str()),
        generated_at => crate::templates::safe(r.generated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        intro => crate::templates::safe(t.intro.replace("< k", &format!("< {}", r.k))),
        complete => r.complete(),
        schools => r.members.iter().map(|(id, p)| minijinja::context! { id => id.as_str(), problem => p.as_deref() }).collect::<Vec<_>>(),
        rules => r.rules.iter().map(|x| minijinja::context! {
            id => x.id.as_str(),
            cells => x.cells.iter().map(|c| crate::templates::safe(c.as_ref().map_or_else(|| t.not_run.to_string(), text))).collect::<Vec<_>>(),
            total => crate::templates::safe(text(&x.total)),
        }).collect::<Vec<_>>(),
    };
    crate::templates::render(template, &view).map_err(Error::Bug)
}
