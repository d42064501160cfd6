//! The commands, one file each: a command takes the [`Workspace`] (or, for `init`,
//! `generate` and `demo`, which have none yet, the command's instant) and its typed
//! arguments, runs the stages and owns its human output. [`run`] only dispatches.
pub mod audit;
pub mod case;
pub mod demo;
pub mod federation;
pub mod generate;
pub mod geoip;
pub mod hold;
pub mod ingest;
pub mod init;
pub mod key;
pub mod notice;
pub mod purge;
pub mod returns;
pub mod rules;
pub mod store;
pub mod verify_log;

use crate::cli::{Cli, Command, GeoipCommand, HoldCommand, KeyCommand, RulesCommand, StoreCommand};
use crate::clock::Clock;
use crate::error::Result;
use crate::workspace::Workspace;

/// Runs one command and returns the process exit code. The clock is read here, once.
pub fn run(cli: Cli) -> Result<u8> {
    let clock = Clock::from_flag(cli.now.as_deref()).map_err(crate::error::Error::Usage)?;
    let now = clock.now();
    let config = cli.config.as_deref();
    let operator = cli.operator.as_deref();
    // The workspace is opened only by the commands that have one, when they start.
    let writes_trail = trail_writer(&cli.command);
    let open = || Workspace::open(config, now, operator, writes_trail);
    match cli.command {
        Command::Init(args) => init::run(args, now),
        Command::Generate(args) => generate::run(args, now),
        Command::Demo(args) => demo::run(&args, now),
        Command::Rules(RulesCommand::Check { dir }) => rules::check(dir, open),
        Command::Ingest(args) => ingest::run(&open()?, args),
        Command::Purge(args) => purge::run(&open()?, args),
        Command::Hold(cmd) => hold::run(&open()?, cmd),
        Command::Rules(RulesCommand::List) => rules::list(&open()?),
        Command::Audit(args) => audit::run(&open()?, args),
        Command::Case(cmd) => case::run(&open()?, cmd),
        Command::Key(KeyCommand::Rotate) => key::rotate(&open()?),
        Command::Geoip(GeoipCommand::Update { file }) => geoip::update(&open()?, &file),
        Command::Store(StoreCommand::RebuildLedger) => store::rebuild_ledger(&open()?),
        Command::VerifyLog(args) => verify_log::run(&open()?, args),
        Command::Notice { rule, from, to } => notice::run(&open()?, &rule, from, to),
        Command::Returns { from, to } => returns::run(&open()?, from, to),
        Command::Federation(cmd) => federation::run(cmd, now, operator),
        // A server: it reads the clock once per task (its unit of work), not once.
        Command::Worker(args) => {
            let tls = match (args.tls_client_ca, args.tls_cert, args.tls_key) {
                (Some(ca), Some(cert), Some(key)) => Some(crate::federation::TlsFiles { ca, cert, key }),
                _ => None,
            };
            crate::federation::worker::serve(
                &args.workspace.iter().map(|w| w.join(crate::config::FILE_NAME)).collect::<Vec<_>>(),
                args.listen,
                tls.as_ref(),
                clock,
            )
        }
    }
}

/// The name of a command that appends to the workspace's trail, for the lock's note; none
/// for those that only read it (`verify-log`, `rules list`, `hold list`) or have no
/// workspace yet (`init`, `generate`, `demo`, which makes its own).
fn trail_writer(command: &Command) -> Option<&'static str> {
    match command {
        Command::Ingest(_) => Some("ingest"),
        Command::Purge(_) => Some("purge"),
        Command::Hold(HoldCommand::List) => None,
        Command::Hold(_) => Some("hold"),
        Command::Audit(_) => Some("audit"),
        Command::Case(_) => Some("case"),
        Command::Key(_) => Some("key"),
        Command::Geoip(_) => Some("geoip"),
        Command::Store(_) => Some("store"),
        Command::Notice { .. } => Some("notice"),
        Command::Returns { .. } => Some("returns"),
        // A federation command opens each member's workspace (and its trail) itself.
        Command::Rules(_)
        | Command::Init(_)
        | Command::VerifyLog(_)
        | Command::Generate(_)
        | Command::Demo(_)
        | Command::Federation(_)
        // The worker writes one trail line per task, each under the trail's lock then.
        | Command::Worker(_) => None,
    }
}
