//! The `logwacht` binary: parse the command line, run the pipeline, report the error chain.
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // `logwacht rules list | head`: a reader that closes the pipe ends the command quietly,
    // as with any Unix tool, instead of a panic from println!.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if text.starts_with("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
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
            // A path or id from a user can hold escape sequences: never raw to a terminal.
            eprintln!("{}", logwacht::fsio::printable(&msg));
            ExitCode::from(err.exit_code())
        }
    }
}
