//! Integration tests: the real `logwacht` binary in a temporary workspace.
mod demo;
mod ingest;
mod readers;
mod util;
