//! `logwacht store rebuild-ledger`: the ledger written anew from the parts (nothing removed).
use crate::audit_log;
use crate::error::{EXIT_OK, Result};
use crate::store::ledger::Ledger;
use crate::store::{self, Store};
use crate::workspace::Workspace;

/// Writes ledger lines for the parts the ledger does not know.
pub fn rebuild_ledger(ws: &Workspace) -> Result<u8> {
    let config = &ws.config;
    let now = ws.now();
    let _lock = ws.lock_store("store rebuild-ledger")?;
    let store = Store::new(&config.store_dir);
    let mut ledger = Ledger::load(&store.ledger_path())?;
    store::commit::clear_interrupted(&store, &ledger)?;
    let unknown = store::commit::unknown_files(&store, &ledger)?;
    let stamp = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let entries = store::ledger::rebuild(&store, &mut ledger, &unknown, &stamp)?;
    let event = audit_log::Event::RebuildLedger {
        lines_written: entries.len(),
        files: unknown.len(),
        rows: entries.iter().map(|e| e.stored).sum(),
    };
    crate::audit_log::AuditLog::of(config).record(now, &audit_log::operator(ws.operator()), event)?;
    println!(
        "{}: {} line(s) written for {} file(s) the ledger did not know; nothing removed",
        store.ledger_path().display(),
        entries.len(),
        unknown.len()
    );
    Ok(EXIT_OK)
}
