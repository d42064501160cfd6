//! The ingest stage's own error.
use std::path::PathBuf;

use crate::config::ConfigError;
use crate::enrich::geoip::GeoError;
use crate::store::StoreError;

/// Why an input file could not be ingested: the file itself (unreadable, of no known
/// format), or the store, the GeoIP database or the settings it needed. Single bad rows
/// never end up here: they are rejected rows.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The file cannot be opened or read.
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Sniffing found no known format.
    #[error("{path}: unknown log format; tried {tried}")]
    UnknownFormat { path: PathBuf, tried: String },
    /// The format was given or sniffed but does not belong to `--source`.
    #[error("{path}: format {format} holds {actual} logs, not {wanted} (--source)")]
    WrongSource { path: PathBuf, format: &'static str, actual: &'static str, wanted: &'static str },
    /// The file is of the right kind but cannot be read as that format at all.
    #[error("{path}: not a {format} file: {reason}")]
    NotThisFormat { path: PathBuf, format: &'static str, reason: String },
    /// The store refused or failed (a busy lock stops the whole run, exit 75).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The GeoIP database cannot be used.
    #[error(transparent)]
    Geo(#[from] GeoError),
    /// A setting or reference file it needed is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Something that should not happen: a bug in logwacht.
    #[error("{0} (this is a bug)")]
    Bug(String),
}
