//! `logwacht case`: one investigation, from opening to the letter (CTL-3..CTL-8).
use crate::case;
use crate::cli;
use crate::error::{EXIT_OK, Result};
use crate::workspace::Workspace;

/// Every `case` subcommand.
pub fn run(ws: &Workspace, cmd: cli::CaseCommand) -> Result<u8> {
    let (config, now, operator) = (&ws.config, ws.now(), ws.operator());
    use cli::CaseCommand as C;
    let probe = |p: &cli::CaseProbe| case::Probe { subject: p.subject.clone(), from: p.from, to: p.to };
    match cmd {
        C::Open { id, subject, suspicion, purpose, from, to, approved_by, hold, rule } => {
            let req = case::OpenRequest { id, subject, suspicion, purpose, from, to, approved_by, hold, rule };
            let c = case::open(config, now, ws.key()?, &req, operator)?;
            if let Some(step) = &c.staff_step {
                println!("{step}");
            }
            println!(
                "opened case {} (purpose {}, {} .. {}){}; next: logwacht case screen --case {}",
                c.id,
                c.purpose,
                c.from,
                c.to,
                if c.hold { ", retention hold placed for exactly this scope" } else { "" },
                c.id
            );
        }
        C::Screen(p) => {
            let (s, files) = case::screen(config, now, ws.key()?, &p.id, &probe(&p), operator)?;
            for (src, how) in &s.sources {
                println!("{src}: {how}");
            }
            for (what, n) in &s.left_alone {
                println!("left alone: {n} {what}");
            }
            println!("protected messages (counted only): {}", s.protected_messages);
            println!("remainder: {} items", s.remainder.len());
            for f in files {
                println!("wrote {}", f.path);
            }
        }
        C::Report(p) => {
            for f in case::report(config, now, ws.key()?, &p.id, &probe(&p), operator)? {
                println!("wrote {}", f.path);
            }
        }
        C::Close { id, outcome } => {
            let (c, files) = case::close(config, now, ws.key()?, &id, &outcome, operator)?;
            println!(
                "closed case {}; the letter to the subject is due by {}",
                c.id,
                c.letter_due.map(|d| d.to_string()).unwrap_or_default()
            );
            for f in files {
                println!("wrote {}", f.path);
            }
        }
        C::Notified { id } => {
            let c = case::notified(config, now, &id, operator)?;
            println!("case {}: the subject has been told", c.id);
        }
        C::List => {
            let cases = case::Cases::load(&case::Cases::path(config))?;
            let key = ws.key()?;
            for c in &cases.cases {
                let state = match (&c.closed_at, &c.notified_at) {
                    (None, _) => "open".to_string(),
                    (Some(_), None) => {
                        format!("closed, letter due {}", c.letter_due.map(|d| d.to_string()).unwrap_or_default())
                    }
                    (Some(_), Some(n)) => format!("closed, told {}", &n[..10.min(n.len())]),
                };
                println!(
                    "{} subject {} purpose {} {} .. {}: {state}",
                    c.id,
                    key.pseudonym(&c.subject),
                    c.purpose,
                    c.from,
                    c.to
                );
            }
            if cases.cases.is_empty() {
                println!("no cases");
            }
        }
    }
    Ok(EXIT_OK)
}
