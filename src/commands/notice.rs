//! `logwacht notice`: CAO nr. 81's alarm-bell notice to all staff (`notice.rs`).
use chrono::NaiveDate;

use crate::error::{EXIT_OK, Result};
use crate::workspace::Workspace;

/// Writes the notice of `rule`'s anomaly from `from` to `to` and records it.
pub fn run(ws: &Workspace, rule: &str, from: NaiveDate, to: NaiveDate) -> Result<u8> {
    let config = &ws.config;
    let out = crate::notice::write(config, ws.now(), rule, (from, to), ws.operator())?;
    println!("alarm-bell notice for rule {rule} ({from} .. {to}), to be sent to all staff concerned:");
    for f in &out.files {
        println!("wrote {}", f.path);
    }
    if out.cao81 != 4 {
        println!(
            "note: rule {rule} serves CAO nr. 81 purpose {} ({}): a staff member may be named for it directly; the notice is not required",
            out.cao81,
            crate::rules::CAO81_PURPOSES[usize::from(out.cao81 - 1)]
        );
    }
    if config.staff_procedure != crate::config::StaffProcedure::Cao81 {
        println!("note: [school] staff_procedure is not \"cao81\": case open does not require notices");
    }
    println!(
        "from now on a recurrence of this anomaly may be traced to the person: `logwacht case open --rule {rule} ...`"
    );
    Ok(EXIT_OK)
}
