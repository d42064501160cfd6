//! Integration tests: the real `logwacht` binary in a temporary workspace.
mod case;
mod cluster;
mod demo;
mod federation;
mod hostile;
mod ingest;
mod privacy;
mod purge;
mod readers;
mod report;
mod rules;
mod snapshots;
mod standalone;
mod util;
