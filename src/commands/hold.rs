//! `logwacht hold`: retention holds for a concrete case (RET-2, RET-3).
use crate::audit_log;
use crate::cli::HoldCommand;
use crate::error::{EXIT_OK, Error, Result};
use crate::store::{self, Store};
use crate::workspace::Workspace;

/// `hold list`, `hold add`, `hold release`.
pub fn run(ws: &Workspace, cmd: HoldCommand) -> Result<u8> {
    let config = &ws.config;
    let now = ws.now();
    let tz = config.timezone;
    let store = Store::new(&config.store_dir);
    let trail = crate::audit_log::AuditLog::of(config);
    let who = audit_log::operator(ws.operator());
    match cmd {
        HoldCommand::List => {
            let holds = store::hold::Holds::load(&config.holds_path())?;
            println!(
                "{:<16} {:<8} {:<18} {:<23} {:<10} {:>10}",
                "case", "state", "sources", "events", "until", "held rows"
            );
            for h in &holds.holds {
                let state = if h.released_at.is_some() {
                    "released"
                } else if h.active(now, tz) {
                    "active"
                } else {
                    "ended"
                };
                let sources: Vec<&str> = h.sources.iter().map(|s| s.name()).collect();
                println!(
                    "{:<16} {:<8} {:<18} {:<23} {:<10} {:>10}",
                    h.case,
                    state,
                    sources.join(","),
                    format!("{}..{}", h.from, h.to),
                    h.until,
                    store::retention::held_rows(&store, &h.case)
                );
            }
            Ok(EXIT_OK)
        }
        HoldCommand::Add(a) => {
            let sources = a.sources.clone();
            let req = store::hold::HoldRequest {
                case: a.case.clone(),
                subject: a.subject.clone(),
                message_ids: a.message_ids.clone(),
                sources,
                from: a.from,
                to: a.to,
                reason: a.reason.clone(),
                approved_by: a.approved_by.clone(),
                until: a.until,
            };
            let _lock = ws.lock_store("hold add")?;
            let mut holds = store::hold::Holds::load(&config.holds_path())?;
            let new = holds.add(req, now, tz, config.max_hold_days)?;
            holds.save()?;
            let h = holds.active_case(&a.case, now, tz).cloned().ok_or_else(|| Error::Bug("hold vanished".into()))?;
            trail.record(now, &who, audit_log::Event::HoldAdd { hold: &h, extended: !new })?;
            println!(
                "{} hold for case {} until {} (reason and approver recorded)",
                if new { "placed" } else { "extended" },
                h.case,
                h.until
            );
            Ok(EXIT_OK)
        }
        HoldCommand::Release { case } => {
            let _lock = ws.lock_store("hold release")?;
            let mut holds = store::hold::Holds::load(&config.holds_path())?;
            holds.release(&case, now, tz)?;
            holds.save()?;
            trail.record(now, &who, audit_log::Event::HoldRelease { case: &case })?;
            println!("released the hold of case {case}; its rows go at the next purge");
            Ok(EXIT_OK)
        }
    }
}
