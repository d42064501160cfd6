//! `logwacht generate`: the synthetic school's logs.
use chrono::{DateTime, Utc};

use crate::cli::GenerateArgs;
use crate::demo;
use crate::error::{EXIT_OK, Result};

/// Writes the logs of a generated school to `args.out`.
pub fn run(args: GenerateArgs, now: DateTime<Utc>) -> Result<u8> {
    let spec = demo::Spec {
        people: args.people,
        days: args.days,
        seed: args.seed,
        start: args.start,
        platform: args.platform,
        web: args.web,
        ..demo::Spec::default()
    };
    let stats = demo::write(&args.out, &spec, now)?;
    print!("{}", stats.render());
    Ok(EXIT_OK)
}
