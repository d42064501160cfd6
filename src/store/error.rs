//! The store's own error: what can go wrong writing, publishing, purging or holding rows.
use std::path::PathBuf;

use crate::config::ConfigError;
use crate::fsio::FsError;

/// Problems with the Parquet store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file operation failed: a busy lock (exit 75), an I/O error, a folder not owned.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// A registry the store keeps beside the rows (`holds.json`) does not parse.
    #[error(transparent)]
    Config(#[from] ConfigError),
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
    /// A request the store refuses (a hold without a reason, longer than allowed, ...):
    /// the message names the value and the limit.
    #[error("{0}")]
    Refused(String),
}

impl StoreError {
    /// Wraps an I/O error with what was being done to which path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Fs(FsError::Io { action, path, source })
    }

    /// Whether another job holds the lock (exit 75).
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Fs(FsError::Busy { .. }))
    }
}
