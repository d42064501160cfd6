//! `logwacht verify-log`: the trail's chain, and the trail against its anchors (CTL-9).
use crate::audit_log;
use crate::config::Config;
use crate::error::{EXIT_ERROR, EXIT_OK, Error, Result};
use crate::fsio;
use crate::workspace::Workspace;

/// Checks the chain and every anchor; exit 2 when either fails.
pub fn run(ws: &Workspace, args: crate::cli::VerifyArgs) -> Result<u8> {
    let config = &ws.config;
    let log = crate::audit_log::AuditLog::of(config);
    let v = log.verify()?;
    let anchors = trail_anchors(config, &args.expect)?;
    let problems = log.check_anchors(&anchors)?;
    match &v.broken {
        None => println!(
            "{}: {} lines, chain intact; head {}; {} anchor(s) checked",
            log.path().display(),
            v.lines,
            v.head,
            anchors.len()
        ),
        Some((line, why)) => println!("{}: line {line} is broken: {why}", log.path().display()),
    }
    for p in &problems {
        println!("  {}", fsio::printable(p));
    }
    Ok(if v.broken.is_none() && problems.is_empty() { EXIT_OK } else { EXIT_ERROR })
}

/// The anchors `verify-log` holds the trail against: `--expect` values (`LINES:HASH` or
/// `HASH`), and the head every weekly report recorded (in `reports_dir` and wherever the
/// trail says `audit` wrote one).
fn trail_anchors(config: &Config, expect: &[String]) -> Result<Vec<audit_log::Anchor>> {
    let mut anchors = Vec::new();
    for e in expect {
        let (lines, head) = match e.split_once(':') {
            Some((n, h)) => (
                Some(
                    n.parse::<usize>()
                        .map_err(|_| Error::Usage(format!("--expect {e:?}: {n:?} is not a line count")))?,
                ),
                h,
            ),
            None => (None, e.as_str()),
        };
        if head.len() != 64 || !head.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Usage(format!("--expect {e:?}: a head is 64 hex digits, as verify-log prints it")));
        }
        anchors.push(audit_log::Anchor { source: "--expect".into(), lines, head: head.to_ascii_lowercase() });
    }
    let mut files: std::collections::BTreeSet<std::path::PathBuf> = std::collections::BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(&config.reports_dir) {
        files.extend(entries.flatten().map(|e| e.path().join("findings.json")));
    }
    // Every case's screening records the trail's head too.
    if let Ok(entries) = std::fs::read_dir(&config.cases_dir) {
        files.extend(entries.flatten().map(|e| e.path().join("screen.json")));
    }
    for e in crate::audit_log::AuditLog::of(config).entries()?.into_iter().filter(|e| e.command == "audit") {
        files.extend(
            e.files_written
                .iter()
                .filter(|f| f.path.ends_with("findings.json"))
                .map(|f| config.workspace().join(&f.path)),
        );
    }
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        if let Some(head) = v["audit_log_head"].as_str() {
            let what = match v["case"].as_str() {
                Some(case) => format!("case {case}"),
                None => format!("report {}", v["label"].as_str().unwrap_or("?")),
            };
            anchors.push(audit_log::Anchor {
                source: what,
                lines: v["audit_log_lines"].as_u64().map(|n| n as usize),
                head: head.to_string(),
            });
        }
    }
    Ok(anchors)
}
