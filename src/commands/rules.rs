//! `logwacht rules list` and `logwacht rules check`.
use std::path::PathBuf;

use crate::error::{EXIT_OK, Result};
use crate::fsio;
use crate::rules;
use crate::workspace::Workspace;

/// The configured rules, one line each.
pub fn list(ws: &Workspace) -> Result<u8> {
    let config = &ws.config;
    println!("{:<36} {:<8} {:<18} {:<8} {:<10} summary", "rule", "purpose", "requirement", "severity", "mode");
    for r in crate::rules::configured(config)? {
        println!(
            "{:<36} {:<8} {:<18} {:<8} {:<10} {}",
            r.id,
            r.purpose.letter(),
            r.requirements.join(", "),
            r.severity,
            r.mode,
            fsio::printable(&r.summary_en)
        );
    }
    Ok(EXIT_OK)
}

/// Checks the headers of the rules in `dir` (else the configured ones); `ws` is opened only
/// when there is no `dir`.
pub fn check(dir: Option<PathBuf>, ws: impl FnOnce() -> Result<Workspace>) -> Result<u8> {
    let rules = match dir {
        Some(d) => rules::load_dir(&d)?,
        None => crate::rules::configured(&ws()?.config)?,
    };
    println!("{} rules, every header valid", rules.len());
    Ok(EXIT_OK)
}
