//! `logwacht generate`: the synthetic school's logs.
use chrono::{DateTime, Utc};

use crate::cli::GenerateArgs;
use crate::error::{EXIT_OK, Error, Result};
use crate::generate;

/// Writes the logs of a generated school to `args.out`.
pub fn run(args: GenerateArgs, now: DateTime<Utc>) -> Result<u8> {
    let start = match args.start.as_deref() {
        Some(s) => Some(
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| Error::Usage(format!("--start {s:?} is not a date YYYY-MM-DD")))?,
        ),
        None => None,
    };
    let spec =
        generate::Spec { people: args.people, days: args.days, seed: args.seed, start, ..generate::Spec::default() };
    let stats = generate::write(&args.out, &spec, now)?;
    print!("{}", stats.render());
    Ok(EXIT_OK)
}
