//! The `logwacht` binary: parse the command line, run the pipeline, report the error chain.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = logwacht::cli::Cli::parse();
    match logwacht::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let mut msg = format!("logwacht: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                msg.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("{msg}");
            ExitCode::from(err.exit_code())
        }
    }
}
