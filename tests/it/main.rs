//! Integration tests: the real `logwacht` binary in a temporary workspace.
mod ingest;
mod readers;
mod util;
