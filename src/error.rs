//! The crate's error type: one enum per stage, folded into [`Error`], which also knows the
//! process exit code (README, "Exit codes").
use std::path::PathBuf;

/// Exit code: the command did what was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code: an audit found something.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: bad input file, bad config, bad flags, or an internal error.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: another job holds the store lock (EX_TEMPFAIL from sysexits.h).
pub const EXIT_BUSY: u8 = 75;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Flags that do not fit together or name something that does not exist.
    #[error("{0}")]
    Usage(String),
    /// `logwacht.toml` or a reference file is missing or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A whole input file could not be read (single bad rows never end up here).
    #[error(transparent)]
    Ingest(#[from] IngestError),
    /// The Parquet store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A rule file that cannot be used.
    #[error(transparent)]
    // Up, on purpose: the fold names each stage's own error so that `?` carries it; the
    // stages below it return the fold only for what they call of each other.
    Rule(#[from] crate::rules::RuleError),
    /// The GeoIP database cannot be used.
    #[error(transparent)]
    // Up, on purpose (as `Rule`).
    Geo(#[from] crate::enrich::geoip::GeoError),
    /// The web category lists cannot be used.
    #[error(transparent)]
    // Up, on purpose (as `Rule`).
    Blocklist(#[from] crate::enrich::blocklist::BlocklistError),
    /// Something that should not happen: a bug in logwacht.
    #[error("{0} (this is a bug)")]
    Bug(String),
}

impl Error {
    /// The process exit code for this error (README, "Exit codes").
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Store(StoreError::Busy { .. }) => EXIT_BUSY,
            _ => EXIT_ERROR,
        }
    }
}

pub use crate::config::ConfigError;

/// Problems with a whole input file.
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
}

/// Problems with the Parquet store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another job holds the lock of the store or of the audit trail (`store` names which).
    #[error("{store} is busy: {holder}; nothing was done, try again when it has finished")]
    Busy { store: PathBuf, holder: String },
    /// A filesystem operation on the store failed.
    #[error("store: cannot {action} {path}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Parquet encoding failed.
    #[error("store: cannot write parquet {path}")]
    Parquet {
        path: PathBuf,
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Arrow refused a batch.
    #[error("store: arrow batch for {source_name} does not fit its schema")]
    Arrow {
        source_name: &'static str,
        #[source]
        source: datafusion::arrow::error::ArrowError,
    },
    /// The ledger has a line that does not parse.
    #[error("store: ledger {path} line {line} is damaged: {message}")]
    Ledger { path: PathBuf, line: usize, message: String },
    /// Parts in the store that neither the ledger nor an interrupted commit accounts for:
    /// the ledger is missing, emptied or damaged. Nothing is removed; every writer stops.
    #[error(
        "store: the ledger {ledger} does not know {count} part(s) in the store (first: {first}); it may be missing, emptied or damaged, so nothing was removed and no writer runs. Rebuild it from the parts with `logwacht store rebuild-ledger` (README, \"When the ledger is lost\")"
    )]
    UnknownParts { ledger: PathBuf, count: usize, first: String },
    /// A folder logwacht was about to remove is not one it owns.
    #[error("refusing to remove {path}: {why} (owner folder {owner}); nothing was removed")]
    NotOwned { path: PathBuf, owner: PathBuf, why: String },
}

impl StoreError {
    /// Wraps an I/O error with what was being done to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io { action, path, source }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
