//! The fold of the stages' errors: each stage owns its error type (`ConfigError` in
//! config.rs, `FsError` in fsio.rs, `StoreError` in store/, `IngestError` in ingest/,
//! `RuleError` and `EngineError` in rules.rs, `GeoError` and `BlocklistError` in enrich/),
//! and [`Error`] folds them for the commands, the report and the cases, and knows the
//! process exit code (README, "Exit codes"). Every arrow from here points down.
pub use crate::config::ConfigError;
pub use crate::fsio::FsError;
pub use crate::ingest::IngestError;
pub use crate::rules::{EngineError, RuleError};
pub use crate::store::StoreError;

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
    Rule(#[from] RuleError),
    /// A rule or query that was refused or failed, or what the engine needed.
    #[error(transparent)]
    Engine(#[from] EngineError),
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

impl Error {
    /// The process exit code for this error (README, "Exit codes").
    pub fn exit_code(&self) -> u8 {
        let busy = match self {
            Error::Store(e) | Error::Ingest(IngestError::Store(e)) | Error::Engine(EngineError::Store(e)) => {
                e.is_busy()
            }
            _ => false,
        };
        if busy { EXIT_BUSY } else { EXIT_ERROR }
    }
}

impl From<FsError> for Error {
    fn from(e: FsError) -> Error {
        Error::Store(e.into())
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
