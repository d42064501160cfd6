//! Keyed pseudonyms (CTL-2): HMAC-SHA256 over the normalised address with a secret key
//! that `logwacht init` creates with mode 0600. A pseudonym is stable within a key period,
//! so the DPO sees repeats; `logwacht key rotate` starts a new period (old pseudonyms can
//! no longer be linked to new ones) and says so in the audit trail. The key file is
//! refused when its permissions let the group or others read it.
use std::io::Write;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::ConfigError;

pub use crate::config::KEY_FILE;

/// A pseudonym key and its period.
#[derive(Clone, Serialize, Deserialize)]
pub struct Key {
    /// 1 for the first key; +1 at every rotation.
    pub period: u32,
    /// When this period began, RFC 3339.
    pub created: String,
    /// 32 random bytes, hex. Never printed.
    key: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key").field("period", &self.period).field("created", &self.created).finish_non_exhaustive()
    }
}

fn fresh(period: u32, created: &str) -> Key {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Key { period, created: created.to_string(), key: hex::encode(bytes) }
}

fn write_private(path: &Path, key: &Key) -> Result<(), ConfigError> {
    use std::os::unix::fs::OpenOptionsExt;
    let create = |source| ConfigError::Create { path: path.into(), source };
    let tmp = path.with_extension("key.tmp");
    let mut f =
        std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(create)?;
    let text = serde_json::to_string(key).map_err(|e| create(std::io::Error::other(e)))?;
    f.write_all(text.as_bytes()).map_err(create)?;
    f.sync_all().map_err(create)?;
    std::fs::rename(&tmp, path).map_err(create)
}

/// Creates the first key (refuses to overwrite one).
pub fn create(path: &Path, now: &str) -> Result<(), ConfigError> {
    if path.exists() {
        return Err(ConfigError::Exists { path: path.into() });
    }
    write_private(path, &fresh(1, now))
}

/// Reads the key, refusing a file the group or others may read.
pub fn load(path: &Path) -> Result<Key, ConfigError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::Invalid {
            path: path.into(),
            message: format!(
                "the pseudonym key is readable by group or others (mode {mode:o}); run `chmod 600 {}`",
                path.display()
            ),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
    serde_json::from_str(&text)
        .map_err(|_| ConfigError::Invalid { path: path.into(), message: "not a logwacht key file".into() })
}

/// Starts a new key period; returns the new period.
pub fn rotate(path: &Path, now: &str) -> Result<u32, ConfigError> {
    let old = load(path)?;
    let next = fresh(old.period + 1, now);
    write_private(path, &next)?;
    Ok(next.period)
}

/// A key ready to pseudonymise many addresses (the key decoded once).
#[derive(Clone)]
pub struct Pseudonymiser {
    period: u32,
    mac: Option<Hmac<Sha256>>,
}

impl Pseudonymiser {
    /// The same value as [`Key::pseudonym`].
    pub fn pseudonym(&self, address: &str) -> String {
        let Some(mac) = &self.mac else { return format!("p{}-invalid", self.period) };
        let mut mac = mac.clone();
        mac.update(address.trim().to_lowercase().as_bytes());
        let tag = hex::encode(mac.finalize().into_bytes());
        format!("p{}-{}", self.period, &tag[..16])
    }
}

impl Key {
    /// This key, decoded once for many pseudonyms.
    pub fn pseudonymiser(&self) -> Pseudonymiser {
        let key = hex::decode(&self.key).unwrap_or_default();
        Pseudonymiser { period: self.period, mac: Hmac::<Sha256>::new_from_slice(&key).ok() }
    }

    /// The pseudonym of an address in this period: `p<period>-` and 16 hex digits of
    /// HMAC-SHA256 over the trimmed, lower-cased address.
    pub fn pseudonym(&self, address: &str) -> String {
        let key = hex::decode(&self.key).unwrap_or_default();
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else { return format!("p{}-invalid", self.period) };
        mac.update(address.trim().to_lowercase().as_bytes());
        let tag = hex::encode(mac.finalize().into_bytes());
        format!("p{}-{}", self.period, &tag[..16])
    }
}

/// The key file of a workspace.
pub fn path_in(workspace: &Path) -> PathBuf {
    workspace.join(KEY_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_are_stable_within_a_period_and_change_with_the_key() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(KEY_FILE);
        create(&p, "2026-11-22T00:00:00Z").unwrap();
        let k = load(&p).unwrap();
        let a = k.pseudonym("Jan.Peeters@School.example ");
        assert_eq!(a, k.pseudonym("jan.peeters@school.example"));
        assert!(a.starts_with("p1-") && a.len() == 19, "{a}");
        assert_ne!(a, k.pseudonym("eva.maes@school.example"));
        assert!(!format!("{k:?}").contains(&k.key), "Debug shows the key");
        assert_eq!(rotate(&p, "2026-11-29T00:00:00Z").unwrap(), 2);
        let k2 = load(&p).unwrap();
        let b = k2.pseudonym("jan.peeters@school.example");
        assert!(b.starts_with("p2-") && b[3..] != a[3..]);
        assert!(create(&p, "x").is_err(), "create overwrote a key");
    }

    #[test]
    fn a_key_others_may_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(KEY_FILE);
        create(&p, "2026-11-22T00:00:00Z").unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = load(&p).unwrap_err().to_string();
        assert!(e.contains("mode 640") && e.contains("chmod 600"), "{e}");
    }
}
