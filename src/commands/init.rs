//! `logwacht init`: a new workspace.
use chrono::{DateTime, Utc};

use crate::cli::InitArgs;
use crate::error::{EXIT_OK, Result};

/// Creates the workspace `args.dir` and says what comes next.
pub fn run(args: InitArgs, now: DateTime<Utc>) -> Result<u8> {
    let now = now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let path = crate::workspace::create(&args.dir, Some(&args.mail_domains), args.country.as_deref(), &now)?;
    println!("created {}", path.display());
    if args.country.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("BE")) {
        println!(
            "staff_procedure = \"cao81\": a staff member is named for a breach of the use rules only after `logwacht notice` (CAO nr. 81)"
        );
    }
    println!(
        "next: put people.csv and travel_exceptions.csv in the reference folder, then `logwacht ingest FILE|DIR...`"
    );
    Ok(EXIT_OK)
}
