//! `logwacht geoip update FILE`: a school replaces the GeoIP database that places sign-ins
//! without rebuilding logwacht. The file is checked (a MaxMind DB whose search tree and
//! data verify, of a country or city type, not older than the one in use), copied into the
//! workspace as `reference/geoip.mmdb`, and the swap recorded in the trail (CTL-9). Rows
//! already stored keep the placement they got, with the database and build that made it.
use std::path::Path;

use crate::audit_log;
use crate::enrich::geoip::{GeoIp, UPDATED_DATABASE};
use crate::error::{EXIT_OK, Error, Result};
use crate::workspace::Workspace;

fn built(epoch: u64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(i64::try_from(epoch).unwrap_or(i64::MAX), 0)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_else(|| "?".into())
}

/// Checks `file` and makes it the workspace's GeoIP database.
pub fn update(ws: &Workspace, file: &Path) -> Result<u8> {
    let config = &ws.config;
    if let Some(set) = &config.geoip_database {
        return Err(Error::Usage(format!(
            "[geo] database names {}: that file places sign-ins, so an update would not be used; replace that file, or clear the setting and run the update again",
            set.display()
        )));
    }
    let new = GeoIp::open(file)?;
    let old = GeoIp::configured(config)?;
    if new.build_epoch < old.build_epoch {
        return Err(Error::Usage(format!(
            "{} was built on {}, before the database in use ({}, built on {}); nothing changed",
            file.display(),
            built(new.build_epoch),
            old.name,
            built(old.build_epoch)
        )));
    }
    let bytes = std::fs::read(file).map_err(|source| crate::error::ConfigError::Read { path: file.into(), source })?;
    let dest = config.reference_dir.join(UPDATED_DATABASE);
    crate::fsio::write_atomic(&dest, &bytes).map_err(crate::fsio::FsError::io("write", &dest))?;
    let (sha256, _) = crate::fsio::file_sha256(&dest)?;
    let event = audit_log::Event::GeoipUpdate {
        database: &new.name,
        built: built(new.build_epoch),
        sha256: &sha256,
        replaced: &old.name,
        replaced_built: built(old.build_epoch),
    };
    audit_log::AuditLog::of(config).record(ws.now(), &audit_log::operator(ws.operator()), event)?;
    // The file names come from the user's paths: escaped for the terminal.
    let line = format!(
        "{} (built on {}) places sign-ins from the next ingest on, as {}; it replaces {} (built on {}); recorded in the audit trail",
        new.name,
        built(new.build_epoch),
        dest.display(),
        old.name,
        built(old.build_epoch)
    );
    println!("{}", crate::fsio::printable(&line));
    Ok(EXIT_OK)
}
