//! Snapshots of what each command prints for a person at a terminal (insta; the files are
//! in tests/it/snapshots). A change to a command's wording or layout shows here as a diff
//! to review: `INSTA_UPDATE=always cargo test --test it snapshots` writes the new ones,
//! `git diff` shows them. What changes from run to run is made stable first: the temporary
//! workspace's path, pseudonyms (a fresh key per workspace), hashes (the trail's chain
//! covers the random seed of the samples), the samples' estimates, the demo's time and the
//! bytes a purge frees (a part holds its input's path, so its size follows the clone's).
use crate::case::open;
use crate::rules::rules_workspace;
use crate::util::{Run, Workspace, fixture, repo};

const NOW: &str = "2026-11-22T03:00:00Z";
const JAN: &str = "jan.peeters@school.example";

/// Numbers each distinct match of `re` in order of appearance: `[label 1]`, `[label 2]`.
fn number(text: &str, re: &str, label: &str) -> String {
    let re = regex::Regex::new(re).unwrap();
    let mut seen: Vec<String> = Vec::new();
    re.replace_all(text, |c: &regex::Captures| {
        let s = c[0].to_string();
        let i = seen.iter().position(|x| *x == s).unwrap_or_else(|| {
            seen.push(s.clone());
            seen.len() - 1
        });
        format!("[{label} {}]", i + 1)
    })
    .into_owned()
}

/// The text with what differs between runs and machines replaced.
fn stable(ws: &Workspace, text: &str) -> String {
    let mut t = text.replace(&repo().join("fixtures").display().to_string(), "[fixtures]");
    // The workspace as the binary sees it (a temp dir may be reached through a link).
    for p in [ws.path().to_path_buf(), ws.path().canonicalize().unwrap()] {
        t = t.replace(&p.display().to_string(), "[ws]");
    }
    // The samples are drawn from a fresh random seed, and the demo says how long it took.
    let t = regex::Regex::new(r"\d+\.\d %-\d+\.\d %").unwrap().replace_all(&t, "[interval]");
    let t = regex::Regex::new(r"done in \d+\.\d s").unwrap().replace_all(&t, "done in [seconds]");
    // Parquet parts hold their input's path, so their size depends on where the clone is.
    let t = regex::Regex::new(r"\d+ bytes freed").unwrap().replace_all(&t, "[n] bytes freed");
    let t = number(&t, r"p1-[0-9a-f]{16}", "person");
    let t = number(&t, r"\b[0-9a-f]{64}\b", "sha256");
    number(&t, r"\b[0-9a-f]{16}\b", "hash16")
}

/// stdout, then stderr when there is any, and the exit code.
fn shown(ws: &Workspace, run: &Run) -> String {
    let mut out = format!("exit {}\n{}", run.code, stable(ws, &run.stdout));
    if !run.stderr.is_empty() {
        out.push_str("--- stderr\n");
        out.push_str(&stable(ws, &run.stderr));
    }
    out
}

fn at(ws: &Workspace, args: &[&str]) -> Run {
    let mut a = vec!["--now", NOW, "--operator", "snapshot"];
    a.extend_from_slice(args);
    ws.run(&a)
}

#[test]
fn init_ingest_and_rules() {
    let dir = tempfile::tempdir().unwrap();
    let ws = Workspace { dir };
    insta::assert_snapshot!("init", shown(&ws, &at(&ws, &["init", "."])));
    ws.set_min_cell(1);
    let (mail, web, bad) = (fixture("rules/mail.log"), fixture("rules/access.log"), fixture("bad/wrong_header.csv"));
    let paths = [mail.to_str().unwrap(), web.to_str().unwrap(), bad.to_str().unwrap()];
    let mut args = vec!["ingest"];
    args.extend(paths);
    insta::assert_snapshot!("ingest", shown(&ws, &at(&ws, &args)));
    insta::assert_snapshot!("ingest_again", shown(&ws, &at(&ws, &args)));
    insta::assert_snapshot!("rules_list", shown(&ws, &at(&ws, &["rules", "list"])));
    insta::assert_snapshot!("rules_check", shown(&ws, &at(&ws, &["rules", "check"])));
    insta::assert_snapshot!("store_rebuild_ledger", shown(&ws, &at(&ws, &["store", "rebuild-ledger"])));
}

#[test]
fn audit_and_the_trail() {
    let ws = rules_workspace();
    let window = ["--from", "2026-11-20", "--to", "2026-11-21"];
    let mut run = vec!["audit", "run"];
    run.extend(window);
    insta::assert_snapshot!("audit_run", shown(&ws, &at(&ws, &run)));
    let mut signin = vec!["audit", "signin"];
    signin.extend(window);
    insta::assert_snapshot!("audit_signin", shown(&ws, &at(&ws, &signin)));
    insta::assert_snapshot!("audit_week", shown(&ws, &at(&ws, &["audit", "--week", "2026-W47", "--lang", "en"])));
    insta::assert_snapshot!("key_rotate", shown(&ws, &at(&ws, &["key", "rotate"])));
    let db = fixture("geoip/geo-whois-asn-country.mmdb");
    insta::assert_snapshot!("geoip_update", shown(&ws, &at(&ws, &["geoip", "update", db.to_str().unwrap()])));
    insta::assert_snapshot!("verify_log", shown(&ws, &at(&ws, &["verify-log"])));
}

#[test]
fn holds_and_the_purge() {
    let ws = rules_workspace();
    let add = [
        "hold",
        "add",
        "--case",
        "2026-020",
        "--subject",
        JAN,
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-21",
        "--reason",
        "Melding van een ouder",
        "--approved-by",
        "Directeur De Smet",
        "--until",
        "2026-12-20",
    ];
    insta::assert_snapshot!("hold_add", shown(&ws, &at(&ws, &add)));
    insta::assert_snapshot!("hold_list", shown(&ws, &at(&ws, &["hold", "list"])));
    let later = ["--now", "2026-12-30T03:00:00Z", "--operator", "snapshot"];
    let mut dry = later.to_vec();
    dry.extend(["purge", "--dry-run"]);
    insta::assert_snapshot!("purge_dry_run", shown(&ws, &ws.run(&dry)));
    let mut release = later.to_vec();
    release.extend(["hold", "release", "--case", "2026-020"]);
    insta::assert_snapshot!("hold_release", shown(&ws, &ws.run(&release)));
    let mut purge = later.to_vec();
    purge.push("purge");
    insta::assert_snapshot!("purge", shown(&ws, &ws.run(&purge)));
}

#[test]
fn a_case_from_open_to_notified() {
    let ws = rules_workspace();
    insta::assert_snapshot!("case_open", shown(&ws, &open(&ws, "2026-021", JAN, "a", &[])));
    insta::assert_snapshot!("case_screen", shown(&ws, &at(&ws, &["case", "screen", "--case", "2026-021"])));
    insta::assert_snapshot!("case_report", shown(&ws, &at(&ws, &["case", "report", "--case", "2026-021"])));
    let close = ["case", "close", "--case", "2026-021", "--outcome", "Geen inbreuk vastgesteld."];
    insta::assert_snapshot!("case_close", shown(&ws, &at(&ws, &close)));
    insta::assert_snapshot!("case_notified", shown(&ws, &at(&ws, &["case", "notified", "--case", "2026-021"])));
    insta::assert_snapshot!("case_list", shown(&ws, &at(&ws, &["case", "list"])));
    let refused = ["case", "screen", "--case", "2026-021", "--from", "2026-11-01"];
    insta::assert_snapshot!("case_refused", shown(&ws, &at(&ws, &refused)));
}

#[test]
fn usage_errors_name_the_value() {
    let ws = Workspace::new();
    let bad_day = ["audit", "run", "--from", "2026-13-01", "--to", "2026-11-21"];
    insta::assert_snapshot!("usage_bad_day", shown(&ws, &at(&ws, &bad_day)));
    let bad_purpose = [
        "case",
        "open",
        "--case",
        "x1",
        "--subject",
        JAN,
        "--suspicion",
        "Een concreet vermoeden",
        "--purpose",
        "g",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-21",
        "--approved-by",
        "Directie",
    ];
    insta::assert_snapshot!("usage_bad_purpose", shown(&ws, &at(&ws, &bad_purpose)));
}

#[test]
fn generate_and_the_demo() {
    let ws = Workspace::new();
    let gen_args = ["generate", "--people", "40", "--days", "3", "--seed", "7", "--out", "school"];
    insta::assert_snapshot!("generate", shown(&ws, &at(&ws, &gen_args)));
    insta::assert_snapshot!("demo", shown(&ws, &at(&ws, &["demo", "--people", "20", "--dir", "demo"])));
}
