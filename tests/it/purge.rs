//! `logwacht purge`, holds and the audit trail: row-exact retention (RET-1), holds that
//! keep exactly their scope (RET-2), receipts, and crash safety.
use std::path::Path;
use std::process::Command;

use crate::util::{Workspace, count_rows, fixture};

const INGEST_NOW: &str = "2026-11-22T03:00:00Z";
/// 28 days after this the cut-off is 2026-11-20T09:00:00Z: inside the fixtures' first day.
const PURGE_NOW: &str = "2026-12-18T09:00:00Z";
const CUTOFF: &str = "TIMESTAMP '2026-11-20T09:00:00Z'";

fn all_tables(store: &Path, filter: &str) -> i64 {
    ["signin", "email", "web"].iter().map(|t| count_rows(store, t, filter)).sum()
}

fn loaded() -> Workspace {
    let ws = Workspace::new();
    let r = ws.ingest(INGEST_NOW, &[fixture("signin"), fixture("email"), fixture("web")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    ws
}

#[test]
fn purge_removes_exactly_the_rows_before_the_cutoff() {
    let ws = loaded();
    let before_cutoff = all_tables(&ws.store(), &format!("WHERE event_time < {CUTOFF}"));
    let in_window = all_tables(&ws.store(), &format!("WHERE event_time >= {CUTOFF}"));
    assert!(before_cutoff > 0 && in_window > 0, "the fixtures must straddle the cut-off");

    let dry = ws.run(&["--now", PURGE_NOW, "purge", "--dry-run", "--json"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    let dry = dry.json();
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        all_tables(&ws.store(), &format!("WHERE event_time < {CUTOFF}")),
        before_cutoff,
        "a dry run changed the store"
    );

    let real = ws.run(&["--now", PURGE_NOW, "purge", "--json"]);
    assert_eq!(real.code, 0, "{}", real.stderr);
    let real = real.json();
    // The dry run said exactly what would go.
    assert_eq!(dry["rows_removed"], real["rows_removed"]);
    assert_eq!(dry["partitions_deleted"], real["partitions_deleted"]);
    let removed: i64 = ["signin", "email", "web"].iter().map(|s| real["rows_removed"][s].as_i64().unwrap_or(0)).sum();
    assert_eq!(removed, before_cutoff);
    assert_eq!(all_tables(&ws.store(), &format!("WHERE event_time < {CUTOFF}")), 0);
    assert_eq!(all_tables(&ws.store(), ""), in_window);
    // The receipt names removed files by hash, and no person.
    let text = real.to_string();
    assert!(real["files_rewritten"].as_array().unwrap().len() >= 3, "{real:#}");
    for secret in ["peeters", "maes", "81.246", "Rapport"] {
        assert!(!text.contains(secret), "the receipt shows {secret}");
    }
    // Idempotent: a second run removes nothing.
    let again = ws.run(&["--now", PURGE_NOW, "purge", "--json"]).json();
    assert_eq!(again["rows_removed"], serde_json::json!({}));
    assert!(again["files_removed"].as_array().unwrap().is_empty());
}

#[test]
fn rejected_rows_expire_with_the_window() {
    let ws = loaded();
    let rejected =
        |ws: &Workspace| ws.all_files().into_iter().filter(|p| p.to_string_lossy().contains("_rejected")).count();
    assert!(rejected(&ws) > 0);
    // 28 days after the ingest day, even the rows without a readable time are past.
    let r = ws.run(&["--now", "2026-12-21T00:00:00Z", "purge", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.json()["rows_removed"]["rejected"].as_i64().unwrap() > 0);
    assert_eq!(rejected(&ws), 0);
    assert_eq!(all_tables(&ws.store(), ""), 0);
}

#[test]
fn a_hold_keeps_exactly_its_subject_sources_and_period_until_it_ends() {
    let ws = loaded();
    let subject_rows = count_rows(&ws.store(), "web", "WHERE \"user\" = 'jan.peeters@school.example'")
        + count_rows(
            &ws.store(),
            "email",
            "WHERE sender = 'jan.peeters@school.example' OR recipient = 'jan.peeters@school.example'",
        );
    assert!(subject_rows > 0);
    let add = ws.run(&[
        "--now",
        "2026-12-01T10:00:00Z",
        "hold",
        "add",
        "--case",
        "2026-014",
        "--subject",
        "Jan.Peeters@school.example",
        "--sources",
        "email,web",
        "--from",
        "2026-11-19",
        "--to",
        "2026-11-21",
        "--reason",
        "melding datalek 2026-014",
        "--approved-by",
        "directie",
        "--until",
        "2027-02-20",
    ]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    // Everything expired by 2026-12-25; only the held rows survive, in the hold area.
    let r = ws.run(&["--now", "2026-12-25T00:00:00Z", "purge", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["rows_moved_to_holds"]["2026-014"].as_i64(), Some(subject_rows));
    assert_eq!(all_tables(&ws.store(), ""), 0);
    let held = ws.store().join("_holds").join("2026-014");
    assert_eq!(count_rows(&held, "web", "") + count_rows(&held, "email", ""), subject_rows);
    assert_eq!(
        count_rows(
            &held,
            "email",
            "WHERE sender <> 'jan.peeters@school.example' AND recipient <> 'jan.peeters@school.example'"
        ),
        0
    );
    assert!(!held.join("signin").exists(), "a source outside the hold was kept");
    let list = ws.run(&["--now", "2026-12-25T00:00:00Z", "hold", "list"]);
    assert!(list.stdout.contains("2026-014") && list.stdout.contains("active"), "{}", list.stdout);
    // Released: the next purge lets the rows go.
    assert_eq!(ws.run(&["--now", "2026-12-26T00:00:00Z", "hold", "release", "--case", "2026-014"]).code, 0);
    let r = ws.run(&["--now", "2026-12-26T00:00:00Z", "purge", "--json"]).json();
    assert_eq!(r["holds_ended"], serde_json::json!(["2026-014"]));
    assert!(!held.exists());
    // Adding, releasing and purging are in the audit trail, and the chain holds.
    let trail = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    for cmd in ["\"hold add\"", "\"hold release\"", "\"purge\"", "\"ingest\""] {
        assert!(trail.contains(cmd), "audit.log lacks {cmd}");
    }
    assert!(!trail.contains("jan.peeters"), "the audit trail names the subject");
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn holds_are_refused_without_reason_approver_or_within_the_limit() {
    let ws = Workspace::new();
    let base = [
        "--now",
        "2026-12-01T10:00:00Z",
        "hold",
        "add",
        "--case",
        "c1",
        "--subject",
        "a@school.example",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-02",
    ];
    let with = |extra: &[&str]| {
        let mut v: Vec<&str> = base.to_vec();
        v.extend_from_slice(extra);
        ws.run(&v)
    };
    let r = with(&["--approved-by", "directie", "--until", "2026-12-10"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no reason"), "{}", r.stderr);
    let r = with(&["--reason", "x", "--until", "2026-12-10"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no approver"), "{}", r.stderr);
    let r = with(&["--reason", "x", "--approved-by", "d", "--until", "2027-06-01"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("runs 183 days; the maximum is 90 (RET-2)"), "{}", r.stderr);
    assert!(!ws.path().join("reference/holds.json").exists());
}

#[test]
fn purge_refuses_politely_while_the_store_is_locked() {
    let ws = loaded();
    let now = chrono::DateTime::parse_from_rfc3339(INGEST_NOW).unwrap().to_utc();
    let _held = logwacht::store::lock::StoreLock::acquire(&ws.store(), "ingest", now).unwrap();
    let r = ws.run(&["--now", PURGE_NOW, "purge"]);
    assert_eq!(r.code, 75);
    assert!(r.stderr.contains("logwacht ingest"), "{}", r.stderr);
}

#[test]
fn a_tampered_audit_trail_is_caught_at_its_first_broken_line() {
    let ws = loaded();
    ws.run(&["--now", PURGE_NOW, "purge"]);
    ws.run(&["--now", PURGE_NOW, "purge", "--dry-run"]);
    let path = ws.path().join("audit.log");
    let good = std::fs::read_to_string(&path).unwrap();
    // ingest, the purge's plan, its receipt, the dry run.
    let lines: Vec<&str> = good.lines().collect();
    assert_eq!(lines.len(), 4);
    std::fs::write(
        &path,
        format!("{}\n{}\n{}\n{}\n", lines[0], lines[1].replace("retention", "misuse"), lines[2], lines[3]),
    )
    .unwrap();
    let r = ws.run(&["verify-log"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("line 3 is broken"), "{}", r.stdout);
    std::fs::write(&path, format!("{}\n{}\n", lines[0], lines[2])).unwrap();
    assert!(ws.run(&["verify-log"]).stdout.contains("line 2 is broken"));
}

/// The store of a generated school, nightly-ingested, with a hold on one staff member.
struct Crashable {
    ws: Workspace,
    pristine: std::path::PathBuf,
    now: String,
    cutoff: String,
    in_window: i64,
    subject: String,
}

fn crashable() -> Crashable {
    let ws = Workspace::new();
    let demo = ws.path().join("demo");
    let r = ws.run(&["--now", INGEST_NOW, "demo", "--people", "20", "--dir", demo.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The demo purged already; move the clock 3 days on so there is work again.
    let now = "2026-11-25T02:00:00Z".to_string();
    let cutoff = "TIMESTAMP '2026-10-28T02:00:00Z'".to_string();
    let people = std::fs::read_to_string(demo.join("reference/people.csv")).unwrap();
    let subject = people.lines().find(|l| l.contains(",staff,")).unwrap().split(',').next().unwrap().to_string();
    let cfg = demo.join("logwacht.toml");
    let hold = Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--now",
            &now,
            "hold",
            "add",
            "--case",
            "k1",
            "--subject",
            &subject,
            "--sources",
            "signin,email,web",
            "--from",
            "2026-10-20",
            "--to",
            "2026-11-20",
            "--reason",
            "test",
            "--approved-by",
            "dpo",
            "--until",
            "2026-12-20",
        ])
        .output()
        .unwrap();
    assert!(hold.status.success(), "{}", String::from_utf8_lossy(&hold.stderr));
    let store = demo.join("store");
    let in_window = all_tables(&store, &format!("WHERE event_time >= {cutoff}"));
    let pristine = ws.path().join("pristine");
    copy_dir(&demo, &pristine);
    Crashable { ws, pristine, now, cutoff, in_window, subject }
}

fn copy_dir(from: &Path, to: &Path) {
    let st = Command::new("cp").arg("-a").arg(from).arg(to).status().unwrap();
    assert!(st.success());
}

impl Crashable {
    fn fresh(&self, name: &str) -> std::path::PathBuf {
        let dir = self.ws.path().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&self.pristine, &dir);
        dir
    }

    fn purge(&self, dir: &Path, fail_after: Option<u64>) -> std::process::Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_logwacht"));
        cmd.args(["--config", dir.join("logwacht.toml").to_str().unwrap(), "--now", &self.now, "purge", "--json"]);
        cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
        if let Some(n) = fail_after {
            cmd.env("LOGWACHT_FAIL_AFTER", n.to_string());
        }
        cmd.spawn().unwrap()
    }

    fn held(&self, dir: &Path) -> i64 {
        let held = dir.join("store/_holds/k1");
        ["signin", "email", "web"].iter().filter(|t| held.join(t).exists()).map(|t| count_rows(&held, t, "")).sum()
    }

    /// After a crash: every file readable, the window intact, the hold area never more
    /// than it should be; after the next run: nothing expired, the hold area exact.
    fn check(&self, dir: &Path, expected_held: i64, label: &str) {
        let store = dir.join("store");
        assert_eq!(
            all_tables(&store, &format!("WHERE event_time >= {}", self.cutoff)),
            self.in_window,
            "{label}: rows in the window lost or doubled"
        );
        assert!(self.held(dir) <= expected_held, "{label}: held rows doubled");
        let done = self.purge(dir, None).wait_with_output().unwrap();
        assert!(done.status.success(), "{label}: the next purge failed");
        assert_eq!(all_tables(&store, &format!("WHERE event_time < {}", self.cutoff)), 0, "{label}: expired rows left");
        assert_eq!(all_tables(&store, ""), self.in_window, "{label}");
        assert_eq!(self.held(dir), expected_held, "{label}: hold area");
        assert!(
            !std::fs::read_dir(store.join("_tmp")).map(|mut d| d.next().is_some()).unwrap_or(false),
            "{label}: temp files left"
        );
    }
}

#[test]
fn a_purge_killed_at_any_step_loses_nothing_and_the_next_run_finishes() {
    let c = crashable();
    // A clean run: how many steps it takes and what the hold area ends with.
    let clean = c.fresh("clean");
    let out = c.purge(&clean, None).wait_with_output().unwrap();
    assert!(out.status.success());
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let expected_held = c.held(&clean);
    assert!(expected_held > 0, "the hold on {} kept nothing", c.subject);
    assert_eq!(receipt["rows_moved_to_holds"]["k1"].as_i64(), Some(expected_held));
    let steps =
        receipt["files_removed"].as_array().unwrap().len() + receipt["files_rewritten"].as_array().unwrap().len();
    assert!(steps > 10, "{steps}");
    // Failure injected after each step (held copies come first, so count a few more).
    for n in 1..=(steps as u64 + 8) {
        let dir = c.fresh("crash");
        let st = c.purge(&dir, Some(n)).wait().unwrap();
        let _ = st;
        c.check(&dir, expected_held, &format!("abort after step {n}"));
    }
}

#[test]
fn a_purge_sigkilled_at_random_moments_loses_nothing() {
    let c = crashable();
    let expected_held = {
        let clean = c.fresh("clean");
        assert!(c.purge(&clean, None).wait().unwrap().success());
        c.held(&clean)
    };
    // Deterministic "random" moments from 0 to ~300 ms.
    let mut x: u64 = 0x2545F4914F6CDD1D;
    for i in 0..12 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let delay = std::time::Duration::from_millis(x % 300);
        let dir = c.fresh("kill");
        let mut child = c.purge(&dir, None);
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        c.check(&dir, expected_held, &format!("SIGKILL #{i} after {delay:?}"));
    }
}

#[test]
fn a_quarantine_hold_keeps_only_the_named_messages() {
    // RET-3 (003 art. 8.5b): an infected message is kept apart under the hold rules.
    let ws = loaded();
    let id = "<1116-23956@ouders.example>";
    let rows = count_rows(&ws.store(), "email", &format!("WHERE message_id = '{id}'"));
    assert!(rows > 0);
    let add = ws.run(&[
        "--now",
        "2026-12-01T10:00:00Z",
        "hold",
        "add",
        "--case",
        "Q-7",
        "--message-id",
        id,
        "--sources",
        "email",
        "--from",
        "2026-11-19",
        "--to",
        "2026-11-21",
        "--reason",
        "attachment flagged as malware",
        "--approved-by",
        "ict",
        "--until",
        "2027-01-15",
    ]);
    assert_eq!(add.code, 0, "{}", add.stderr);
    let both = ws.run(&[
        "--now",
        "2026-12-01T10:00:00Z",
        "hold",
        "add",
        "--case",
        "Q-8",
        "--message-id",
        id,
        "--subject",
        "a@school.example",
        "--sources",
        "email",
        "--from",
        "2026-11-19",
        "--to",
        "2026-11-21",
        "--reason",
        "x",
        "--approved-by",
        "ict",
        "--until",
        "2027-01-15",
    ]);
    assert_eq!(both.code, 2);
    assert!(both.stderr.contains("RET-3"), "{}", both.stderr);
    assert_eq!(ws.run(&["--now", "2026-12-25T00:00:00Z", "purge"]).code, 0);
    let held = ws.store().join("_holds").join("Q-7");
    assert_eq!(count_rows(&held, "email", ""), rows);
    assert_eq!(count_rows(&held, "email", &format!("WHERE message_id <> '{id}'")), 0);
    assert_eq!(all_tables(&ws.store(), ""), 0);
}
