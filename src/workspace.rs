//! One command's workspace, opened once: the validated settings (`logwacht.toml`, found
//! and parsed once), the one `now` of the command (read once from the clock, so every trail
//! line and file of one command carries the same time), the operator (resolved once), and,
//! for a command that writes to the trail, the trail's lock from start to end (CTL-9).
//! The commands in `commands/` take it and hand its values to the stages.
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::audit_log::{AuditLog, TrailHold};
use crate::config::Config;
use crate::error::Result;
use crate::pseudonym::Key;
use crate::store::Store;

/// Creates a workspace in `dir`: the pseudonym key (CTL-2, mode 0600), then
/// `logwacht.toml` with the store and reference folders. Refuses to overwrite an existing
/// `logwacht.toml`.
pub fn create(
    dir: &Path,
    mail_domains: Option<&[String]>,
    country: Option<&str>,
    now: &str,
) -> Result<std::path::PathBuf> {
    use crate::config::{ConfigError, FILE_NAME, KEY_FILE};
    std::fs::create_dir_all(dir).map_err(|source| ConfigError::Create { path: dir.into(), source })?;
    let cfg = dir.join(FILE_NAME);
    if cfg.exists() {
        return Err(ConfigError::Exists { path: cfg }.into());
    }
    crate::pseudonym::create(&dir.join(KEY_FILE), now)?;
    Ok(crate::config::init_for(dir, mail_domains, country)?)
}

/// The settings, time, operator, trail lock, pseudonym key and GeoIP database of one
/// command; the store's lock on request.
#[derive(Debug)]
pub struct Workspace {
    /// The validated settings.
    pub config: Config,
    now: DateTime<Utc>,
    operator: String,
    /// The pseudonym key, read from disk at most once per command.
    key: std::cell::OnceCell<Key>,
    /// The GeoIP database(s), opened at most once per command.
    geoip: std::cell::OnceCell<std::sync::Arc<crate::enrich::geoip::GeoIp>>,
    _trail: Option<TrailHold>,
}

impl Workspace {
    /// Finds and reads `logwacht.toml` (`--config`, else the current folder), and when
    /// `writes_trail` names the command, takes the trail's lock for the whole command (a
    /// busy trail stops it here, with nothing done: exit 75).
    pub fn open(
        config: Option<&Path>,
        now: DateTime<Utc>,
        operator: Option<&str>,
        writes_trail: Option<&str>,
    ) -> Result<Workspace> {
        let config = Config::find(config)?;
        let trail = match writes_trail {
            Some(command) => Some(crate::audit_log::AuditLog::of(&config).hold(command)?),
            None => None,
        };
        Ok(Workspace {
            config,
            now,
            operator: crate::audit_log::operator(operator),
            key: std::cell::OnceCell::new(),
            geoip: std::cell::OnceCell::new(),
            _trail: trail,
        })
    }

    /// The command's one instant.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Who runs the command, as the trail records it.
    pub fn operator(&self) -> Option<&str> {
        Some(&self.operator)
    }

    /// The pseudonym key (CTL-2) with its period: read the first time a stage needs it,
    /// then the same key for the rest of the command.
    pub fn key(&self) -> Result<&Key> {
        if let Some(key) = self.key.get() {
            return Ok(key);
        }
        let key = crate::pseudonym::load(&self.config.key_path())?;
        Ok(self.key.get_or_init(|| key))
    }

    /// The store.
    pub fn store(&self) -> Store {
        Store::new(&self.config.store_dir)
    }

    /// Takes the store's lock for a command that writes to it (the store is created
    /// first); busy: exit 75 with nothing done. The stages that change the store take the
    /// lock as proof that their caller holds it.
    pub fn lock_store(&self, command: &str) -> Result<crate::store::lock::StoreLock> {
        let store = self.store();
        store.create()?;
        Ok(crate::store::lock::StoreLock::acquire(store.root(), command, self.now)?)
    }

    /// The GeoIP database that places sign-ins (with its ASN database when one is set),
    /// opened the first time a stage needs it.
    pub fn geoip(&self) -> Result<std::sync::Arc<crate::enrich::geoip::GeoIp>> {
        if let Some(g) = self.geoip.get() {
            return Ok(g.clone());
        }
        let g = std::sync::Arc::new(crate::enrich::geoip::GeoIp::configured(&self.config)?);
        Ok(self.geoip.get_or_init(|| g).clone())
    }

    /// The audit trail.
    pub fn trail(&self) -> AuditLog {
        crate::audit_log::AuditLog::of(&self.config)
    }
}
