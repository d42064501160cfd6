//! Targeted investigations (CTL-3..CTL-8: 003 art. 6.6, 6.8, 6.9, 8.1b-e): one person, a
//! concrete suspicion, a limited window, metadata first, then the person is told.
//!
//! The registry is `reference/cases.json`, written atomically; every case command is
//! recorded in the audit trail with the case id.
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::{ConfigError, Error};

/// One case.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Case {
    /// The case id (letters, digits, `.`, `-`, `_`).
    pub id: String,
    /// The one person investigated, lower-cased.
    pub subject: String,
    /// The concrete suspicion, in writing (CTL-3).
    pub suspicion: String,
    /// The purpose (art. 7.1 a-e).
    pub purpose: char,
    /// First local day of the window.
    pub from: NaiveDate,
    /// Last local day, inclusive.
    pub to: NaiveDate,
    /// Who approved it.
    pub approved_by: String,
    /// When it was opened, RFC 3339.
    pub opened_at: String,
    /// Whether a retention hold was placed for exactly this scope.
    pub hold: bool,
    /// When it was closed, and its outcome.
    #[serde(default)]
    pub closed_at: Option<String>,
    /// The outcome written at closing.
    #[serde(default)]
    pub outcome: Option<String>,
    /// The day the letter to the subject is due (CTL-6).
    #[serde(default)]
    pub letter_due: Option<NaiveDate>,
    /// When the letter was recorded as sent.
    #[serde(default)]
    pub notified_at: Option<String>,
}

/// The case registry.
#[derive(Debug)]
pub struct Cases {
    path: PathBuf,
    /// Every case, open and closed.
    pub cases: Vec<Case>,
}

impl Cases {
    /// The registry of a workspace.
    pub fn path(config: &Config) -> PathBuf {
        config.reference_dir.join("cases.json")
    }

    /// Reads the registry (none if absent).
    pub fn load(path: &Path) -> Result<Cases, Error> {
        let cases = match std::fs::read_to_string(path) {
            Ok(t) => serde_json::from_str(&t)
                .map_err(|e| Error::Config(ConfigError::Parse { path: path.into(), message: e.to_string() }))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(source) => return Err(ConfigError::Read { path: path.into(), source }.into()),
        };
        Ok(Cases { path: path.into(), cases })
    }

    /// Writes the registry atomically.
    pub fn save(&self) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(&self.cases).map_err(|e| Error::Bug(e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text + "\n")
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|source| Error::Config(ConfigError::Create { path: self.path.clone(), source }))
    }

    /// The case with this id.
    pub fn get(&self, id: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }
}

/// Closed cases whose subject has not been told yet: id and the day the letter is due.
pub fn waiting(config: &Config) -> Result<Vec<(String, String)>, Error> {
    let cases = Cases::load(&Cases::path(config))?;
    Ok(cases
        .cases
        .iter()
        .filter(|c| c.closed_at.is_some() && c.notified_at.is_none())
        .map(|c| (c.id.clone(), c.letter_due.map(|d| d.to_string()).unwrap_or_default()))
        .collect())
}
