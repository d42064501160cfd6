//! `logwacht key rotate`: a new pseudonym key period (CTL-2).
use crate::audit_log;
use crate::error::{EXIT_OK, Result};
use crate::workspace::Workspace;

/// Starts a new key period; pseudonyms from then on cannot be linked to earlier ones.
pub fn rotate(ws: &Workspace) -> Result<u8> {
    let config = &ws.config;
    let now = ws.now();
    let period = crate::pseudonym::rotate(&config.key_path(), &now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))?;
    let event = audit_log::Event::KeyRotate { period };
    crate::audit_log::AuditLog::of(config).record(now, &audit_log::operator(ws.operator()), event)?;
    println!("started pseudonym key period {period}: pseudonyms from now on cannot be linked to earlier ones");
    Ok(EXIT_OK)
}
