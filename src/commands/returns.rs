//! `logwacht returns`: the suspicious messages for the mail system to return (`returns.rs`).
use chrono::{Duration, NaiveDate};

use crate::error::{EXIT_OK, Result};
use crate::workspace::Workspace;

/// Lists the messages of `from..=to` (default: yesterday) to return to their senders.
pub fn run(ws: &Workspace, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<u8> {
    let config = &ws.config;
    let yesterday = ws.now().with_timezone(&config.timezone).date_naive() - Duration::days(1);
    let from = from.or(to).unwrap_or(yesterday);
    let to = to.unwrap_or(from);
    let out = crate::returns::run(config, ws.now(), ws.key()?, (from, to), ws.operator())?;
    println!("{} message(s) to return to their senders ({from} .. {to})", out.messages.len());
    for (rule, n) in &out.per_rule {
        println!("  {rule}: {n}");
    }
    for (rule, why) in &out.skipped {
        println!("  not used: {rule}: {why}");
    }
    for f in &out.files {
        println!("wrote {}", f.path);
    }
    if !out.messages.is_empty() {
        println!(
            "next: a mail admin runs return-exchange.ps1 (Exchange Online) or feeds returns-postfix.tsv to postsuper (README, \"Suspicious mail back to its sender\")"
        );
    }
    Ok(EXIT_OK)
}
