//! logwacht audits a school's sign-in, email and web logs the way its ICT protocol
//! demands, and no further (`docs/policy.md`).
//!
//! ```text
//!                 commands/ (one file per subcommand) take a Workspace: settings, one now,
//!                 the operator, the trail's lock; they build the stages and print
//!
//!  Entra sign-ins ─┐          enrich: GeoIP places       ┌─> rules: DataFusion SQL, purpose-
//!  Exchange/Postfix ┼─ ingest ─> sign-ins (GEO-1) ─> store ┤   checked, output gate ─> report
//!  Squid/Apache ───┘ (readers,   RecordBatch     (Parquet, ├─> case: one person, one window,
//!                     sink)                      date=DAY) │   letters (CTL-3..CTL-8)
//!                                                          └─> purge: RET-1..RET-4, holds,
//!                                                              receipts
//!  every command that reads or removes personal data ─> audit_log: the hash-chained
//!                                                        trail (CTL-9), one lock
//! ```
//! Stages exchange Arrow `RecordBatch`es and plain outcome structs (`IngestStats`,
//! `PurgeReceipt`, ...); `workspace.rs` opens what a command needs once, and
//! `commands/` wires the stages together. Each stage owns its error type; `error.rs`
//! folds them. Below every stage: `config`, `schema`, `clock`, `calendar`, `fsio`,
//! `pseudonym`, `templates`.
pub mod audit_log;
pub mod calendar;
pub mod case;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod crash;
pub mod demo;
pub mod enrich;
pub mod error;
pub mod federation;
pub mod fsio;
pub mod ingest;
pub mod notice;
pub mod progress;
pub mod pseudonym;
pub mod report;
pub mod returns;
pub mod rules;
pub mod schema;
pub mod store;
pub mod templates;
pub mod workspace;

pub use commands::run;
pub use error::{Error, Result};
