//! Issue 12, tried as a hostile or careless user would: ids that become paths, a lost
//! ledger, report folders outside the workspace. Each must end in a clear refusal or a
//! correct result, and never in lost data.
use std::path::Path;

use crate::rules::rules_workspace;
use crate::util::{Workspace, fixture};

const NOW: &str = "2026-11-22T03:00:00Z";
/// Long after everything of the fixtures has left the window.
const LATER: &str = "2027-02-01T03:00:00Z";

fn open_case(ws: &Workspace, id: &str) -> crate::util::Run {
    crate::case::open(ws, id, "jan.peeters@school.example", "a", &[])
}

/// `hold add` of `subject` over the fixtures' two days, until 2026-12-10.
fn hold_add(ws: &Workspace, id: &str, subject: &str) -> crate::util::Run {
    ws.run(&[
        "--now",
        NOW,
        "hold",
        "add",
        "--case",
        id,
        "--subject",
        subject,
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-21",
        "--reason",
        "melding van een ouder",
        "--approved-by",
        "directie",
        "--until",
        "2026-12-10",
    ])
}

/// Every file below `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn case_ids_that_name_another_folder_are_refused_at_open() {
    let ws = rules_workspace();
    let long = "x".repeat(300);
    for (id, says) in [
        ("..", "must start with a letter or a digit"),
        (".", "must start with a letter or a digit"),
        ("a/b", "'/' is not one of"),
        ("../../etc", "must start with a letter or a digit"),
        ("x\u{1b}]0;pwned\u{7}", "is not one of"),
        (long.as_str(), "300 bytes; the maximum is 64"),
    ] {
        let r = open_case(&ws, id);
        assert_eq!(r.code, 2, "{id:?}: {}", r.stdout);
        assert!(r.stderr.contains("case id") && r.stderr.contains(says), "{id:?}: {}", r.stderr);
        assert!(!r.stderr.contains('\u{1b}') && !r.stderr.contains('\u{7}'), "{:?}", r.stderr);
    }
    assert!(!ws.path().join("reference/cases.json").exists());
    let trail = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    assert_eq!(trail.matches("\"case refused\"").count(), 6, "{trail}");
    assert!(!trail.contains(&long), "a 300-byte id went into the trail whole");
}

#[test]
fn a_registry_with_a_dot_dot_case_stops_the_purge_before_anything_is_removed() {
    // The registry as a hand edit (or an older version) could leave it: a closed, told
    // case with the id "..", long past the window. Its folder would be the workspace.
    let ws = rules_workspace();
    assert_eq!(open_case(&ws, "2026-014").code, 0);
    let registry = ws.path().join("reference/cases.json");
    let mut cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&registry).unwrap()).unwrap();
    cases[0]["id"] = "..".into();
    cases[0]["closed_at"] = "2026-11-22T04:00:00Z".into();
    cases[0]["notified_at"] = "2026-11-22T05:00:00Z".into();
    std::fs::write(&registry, serde_json::to_string(&cases).unwrap()).unwrap();
    let before = tree(ws.path());
    for cmd in [&["--now", LATER, "purge"][..], &["--now", LATER, "case", "list"][..]] {
        let r = ws.run(cmd);
        assert_eq!(r.code, 2, "{cmd:?}: {}", r.stdout);
        assert!(r.stderr.contains("cases.json") && r.stderr.contains("case id \"..\""), "{}", r.stderr);
    }
    let after = tree(ws.path());
    assert_eq!(
        before.iter().filter(|f| f.ends_with(".parquet")).count(),
        after.iter().filter(|f| f.ends_with(".parquet")).count()
    );
    assert!(after.contains(&"audit.log".to_string()) && after.contains(&"secret.key".to_string()), "{after:?}");
}

#[test]
fn a_hold_id_too_long_for_a_file_name_is_refused_at_hold_add() {
    let ws = Workspace::new();
    let long = "h".repeat(300);
    for id in [long.as_str(), "..", "."] {
        let r = hold_add(&ws, id, "a@school.example");
        assert_eq!(r.code, 2, "{}", r.stdout);
        assert!(r.stderr.contains("hold id"), "{}", r.stderr);
    }
    assert!(!ws.path().join("reference/holds.json").exists());
}

#[test]
fn a_lost_ledger_stops_every_writer_removes_nothing_and_can_be_rebuilt() {
    let ws = Workspace::new();
    let r = ws.ingest(NOW, &[fixture("signin"), fixture("email"), fixture("web")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let parts = ws.parts();
    assert!(parts.len() > 5, "{parts:?}");
    let ledger = ws.store().join("_ledger.jsonl");
    let kept = std::fs::read_to_string(&ledger).unwrap();
    for lose in [|p: &Path| std::fs::write(p, "").unwrap(), |p: &Path| std::fs::remove_file(p).unwrap()] {
        std::fs::write(&ledger, &kept).unwrap();
        lose(&ledger);
        let r = ws.ingest(NOW, &[fixture("web/combined.log")]);
        assert_eq!(r.code, 2, "{}", r.stdout);
        assert!(r.stderr.contains("does not know") && r.stderr.contains("rebuild-ledger"), "{}", r.stderr);
        let r = ws.run(&["--now", LATER, "purge"]);
        assert_eq!(r.code, 2, "{}", r.stdout);
        assert_eq!(ws.parts(), parts, "a writer removed parts after the ledger was lost");
    }
    let r = ws.run(&["--now", NOW, "store", "rebuild-ledger"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("nothing removed"), "{}", r.stdout);
    assert_eq!(ws.parts(), parts);
    // The rebuilt ledger knows every input again: re-ingesting adds nothing, a purge runs.
    let r = ws.ingest(NOW, &[fixture("signin"), fixture("email"), fixture("web")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ws.parts(), parts);
    let files = r.json()["files"].as_array().unwrap().clone();
    assert!(files.iter().all(|f| f["status"] == "already stored"), "{files:?}");
    assert_eq!(ws.run(&["--now", NOW, "purge"]).code, 0);
    assert_eq!(ws.parts(), parts);
    let trail = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    assert!(trail.contains("\"store rebuild-ledger\""), "{trail}");
}

#[test]
fn the_purge_removes_only_report_files_it_wrote_wherever_they_are() {
    let ws = rules_workspace();
    let outside = tempfile::tempdir().unwrap();
    // A folder that looks like an old report but that logwacht did not write.
    let decoy = ws.path().join("reports/2026-W01");
    std::fs::create_dir_all(&decoy).unwrap();
    std::fs::write(decoy.join("findings.json"), r#"{"from":"2026-01-01","to":"2026-01-07"}"#).unwrap();
    std::fs::write(decoy.join("notes.txt"), "the DPO's own notes").unwrap();
    // A report written outside the workspace, into a folder that also holds other files.
    let out = outside.path().join("dpo");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "not logwacht's").unwrap();
    let r = ws.run(&["--now", NOW, "audit", "--week", "2026-W47", "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(out.join("findings.json").exists() && out.join("report.html").exists());
    let r = ws.run(&["--now", LATER, "purge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("report 2026-W47"), "{}", r.stdout);
    // What logwacht wrote is gone; what it did not write is untouched.
    assert!(
        !out.join("findings.json").exists() && !out.join("report.html").exists() && !out.join("report.md").exists()
    );
    assert!(out.join("keep.txt").exists());
    assert!(decoy.join("findings.json").exists() && decoy.join("notes.txt").exists());
}

#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let ws = Workspace::new();
    // The reading end is closed before logwacht writes a byte: every write fails (EPIPE).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args(["rules", "list"])
        .current_dir(ws.path())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn file_names_with_escape_sequences_never_reach_the_terminal_raw() {
    let ws = Workspace::new();
    let dir = tempfile::tempdir().unwrap();
    let evil = dir.path().join("a\u{1b}]0;owned\u{7}\u{1b}[2J.log");
    std::fs::copy(fixture("web/access.log"), &evil).unwrap();
    let bad = dir.path().join("b\u{1b}[31m.txt");
    std::fs::write(&bad, "hello, not a log\n").unwrap();
    let r = ws.run(&["--now", NOW, "ingest", evil.to_str().unwrap(), bad.to_str().unwrap()]);
    for text in [&r.stdout, &r.stderr] {
        assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
    }
    assert!(r.stdout.contains("\\u{1b}"), "{}", r.stdout);
}

#[test]
fn markdown_from_log_values_cannot_make_links_images_or_control_codes() {
    let evil = "![x](http://tracker.example/b.png) [click](javascript:alert(1)) # head \u{1b}[31m *b* `c` <img src=x>";
    let out = logwacht::report::render::md(evil);
    for bad in ["![", "](", "\u{1b}", "<img", "`c`", "*b*"] {
        assert!(!out.contains(bad), "{bad:?} in {out:?}");
    }
}

#[test]
fn a_trail_cut_short_removed_or_rewritten_fails_against_its_anchors() {
    let ws = rules_workspace();
    assert_eq!(ws.run(&["--now", NOW, "audit", "--week", "2026-W47"]).code, 1);
    assert_eq!(open_case(&ws, "2026-040").code, 0);
    let screen = ws.run(&["--now", NOW, "--operator", "security-officer", "case", "screen", "--case", "2026-040"]);
    assert_eq!(screen.code, 0, "{}", screen.stderr);
    let trail = ws.path().join("audit.log");
    let kept = std::fs::read_to_string(&trail).unwrap();
    let ok = ws.run(&["verify-log"]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert!(ok.stdout.contains("chain intact") && ok.stdout.contains("2 anchor(s)"), "{}", ok.stdout);
    let head = ok.stdout.split("head ").nth(1).unwrap().split(';').next().unwrap().trim().to_string();
    let lines: Vec<&str> = kept.lines().collect();
    let rewrite = |text: String| std::fs::write(&trail, text).unwrap();
    // The last lines deleted, back to before the report: both anchors saw more.
    rewrite(lines[..lines.len() - 5].iter().map(|l| format!("{l}\n")).collect());
    let r = ws.run(&["verify-log"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.contains("report 2026-W47") && r.stdout.contains("cut"), "{}", r.stdout);
    assert!(r.stdout.contains("case 2026-040"), "{}", r.stdout);
    // Truncated, and removed.
    rewrite(String::new());
    assert!(ws.run(&["verify-log"]).stdout.contains("cut"));
    std::fs::remove_file(&trail).unwrap();
    assert_eq!(ws.run(&["verify-log"]).code, 2);
    // Rewritten as a consistent chain: one line changed, every later hash recomputed.
    let mut prev = "0".repeat(64);
    let mut forged = String::new();
    for (i, l) in lines.iter().enumerate() {
        let mut e: serde_json::Value = serde_json::from_str(l).unwrap();
        if i == 0 {
            e["operator"] = "someone else".into();
        }
        e["prev_sha256"] = prev.clone().into();
        let line = serde_json::to_string(&e).unwrap();
        prev = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(line.as_bytes()))
        };
        forged.push_str(&line);
        forged.push('\n');
    }
    rewrite(forged);
    let r = ws.run(&["verify-log"]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.contains("chain intact") && r.stdout.contains("rewritten or forked"), "{}", r.stdout);
    // A head written down by hand is an anchor too.
    rewrite(kept.clone());
    assert_eq!(ws.run(&["verify-log", "--expect", &head]).code, 0);
    assert_eq!(ws.run(&["verify-log", "--expect", &format!("{}:{head}", lines.len())]).code, 0);
    rewrite(lines[..lines.len() - 1].iter().map(|l| format!("{l}\n")).collect());
    let r = ws.run(&["verify-log", "--expect", &head]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.contains("--expect"), "{}", r.stdout);
}

#[test]
fn link_loops_and_fifos_in_an_exports_folder_neither_hang_nor_stop_ingest() {
    let ws = Workspace::new();
    let exports = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("web/access.log"), exports.path().join("access.log")).unwrap();
    std::os::unix::fs::symlink(".", exports.path().join("loop1")).unwrap();
    std::os::unix::fs::symlink(".", exports.path().join("loop2")).unwrap();
    std::os::unix::fs::symlink("/", exports.path().join("root")).unwrap();
    let fifo = exports.path().join("pipe.log");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args(["--now", NOW, "ingest", "--json", exports.path().to_str().unwrap()])
        .current_dir(ws.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A hang is a failure: give it a minute, then kill it.
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("ingest hung on a link loop or a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = json["files"].as_array().unwrap();
    let stored: Vec<_> = files.iter().filter(|f| f["status"] == "stored").collect();
    assert_eq!(stored.len(), 1, "{files:?}");
    let fifo_outcome = files.iter().find(|f| f["file"].as_str().unwrap().ends_with("pipe.log")).unwrap();
    assert_eq!(fifo_outcome["status"], "skipped", "{fifo_outcome}");
}

#[test]
fn a_purge_killed_half_way_is_in_the_trail_and_the_next_run_completes_its_receipt() {
    let ws = Workspace::new();
    let r = ws.ingest(NOW, &[fixture("signin"), fixture("email"), fixture("web")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let killed = std::process::Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args(["--now", LATER, "purge"])
        .env("LOGWACHT_FAIL_AFTER", "2")
        .current_dir(ws.path())
        .output()
        .unwrap();
    assert!(!killed.status.success());
    let entries = || -> Vec<serde_json::Value> {
        std::fs::read_to_string(ws.path().join("audit.log"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let plan = entries().into_iter().find(|e| e["command"] == "purge plan").expect("no purge plan in the trail");
    assert!(!plan["details"]["partitions_deleted"].as_array().unwrap().is_empty(), "{plan}");
    assert!(entries().iter().all(|e| e["command"] != "purge"), "the killed purge wrote a receipt");
    let r = ws.run(&["--now", LATER, "purge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("completes the purge planned at"), "{}", r.stdout);
    let receipt = entries().into_iter().rev().find(|e| e["command"] == "purge").unwrap();
    assert_eq!(receipt["details"]["completes"], plan["time"]);
    // A purge after a finished one completes nothing.
    let r = ws.run(&["--now", LATER, "purge"]);
    assert!(!r.stdout.contains("completes"), "{}", r.stdout);
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn rejected_rows_are_dated_by_their_time_and_never_outlive_the_window() {
    let ws = Workspace::new();
    let dir = tempfile::tempdir().unwrap();
    // NOW is 2026-11-22T03:00Z. One good line, a damaged line from long ago (its address and
    // query must not be kept past the window), a damaged recent one, a damaged future one.
    let old = chrono::DateTime::parse_from_rfc3339("2026-09-01T08:00:00Z").unwrap().timestamp();
    let recent = chrono::DateTime::parse_from_rfc3339("2026-11-21T08:00:00Z").unwrap().timestamp();
    let future = chrono::DateTime::parse_from_rfc3339("2027-06-01T08:00:00Z").unwrap().timestamp();
    let log = format!(
        "{recent}.000     99 10.1.2.3 TCP_MISS/200 1433 GET http://example.org/ jan HIER_DIRECT/93.184.216.34 text/html\n\
         {old}.000     99 10.9.9.9 TCP_MISS/200 oops GET http://example.org/?q=geheim\n\
         {recent}.500     99 10.1.2.4 TCP_MISS/200 oops GET http://example.org/?q=recent\n\
         {future}.000     99 10.1.2.5 TCP_MISS/200 oops GET http://example.org/?q=toekomst\n"
    );
    std::fs::write(dir.path().join("access.log"), log).unwrap();
    let r = ws.ingest(NOW, &[dir.path().join("access.log")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let f = &r.json()["files"][0];
    assert_eq!(f["counts"]["stored"], 1, "{f}");
    assert_eq!(f["counts"]["expired"], 1, "{f}");
    let kept: String = ws
        .all_files()
        .iter()
        .filter(|p| p.to_string_lossy().contains("_rejected"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(!kept.contains("geheim"), "a bad line from before the window was kept");
    assert!(kept.contains("recent") && kept.contains("toekomst"), "{kept}");
    // 29 days after the ingest nothing rejected is left, the future-dated line included.
    let r = ws.run(&["--now", "2026-12-21T04:00:00Z", "purge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(ws.all_files().iter().all(|p| !p.to_string_lossy().contains("_rejected")), "{:?}", ws.all_files());
}

#[test]
fn open_cases_ended_holds_and_ledger_paths_do_not_outlive_their_bounds() {
    let ws = rules_workspace();
    assert_eq!(open_case(&ws, "2026-030").code, 0);
    let r = hold_add(&ws, "h-1", "jan.peeters@school.example");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ledger = std::fs::read_to_string(ws.store().join("_ledger.jsonl")).unwrap();
    assert!(ledger.contains("fixtures/rules/mail.log"), "{ledger}");
    // Four months on: the case was never closed, the hold ended long ago, every ingest is
    // older than the window.
    let r = ws.run(&["--now", "2027-03-30T03:00:00Z", "purge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("case 2026-030: never told"), "{}", r.stdout);
    assert!(r.stdout.contains("hold of case h-1"), "{}", r.stdout);
    assert!(r.stdout.contains("input file path(s) older than the window cleared"), "{}", r.stdout);
    assert!(!ws.path().join("cases/2026-030").exists());
    let cases = std::fs::read_to_string(ws.path().join("reference/cases.json")).unwrap();
    assert!(!cases.contains("jan.peeters"), "{cases}");
    let holds = std::fs::read_to_string(ws.path().join("reference/holds.json")).unwrap();
    assert!(!holds.contains("jan.peeters") && !holds.contains("melding"), "{holds}");
    let ledger = std::fs::read_to_string(ws.store().join("_ledger.jsonl")).unwrap();
    assert!(!ledger.contains("fixtures/"), "{ledger}");
    // The hashes stay: the same files are still recognised (and expired) on a re-ingest.
    let again = ws.ingest("2027-03-30T03:00:00Z", &[fixture("rules/mail.log")]);
    assert_eq!(again.json()["files"][0]["status"], "already stored");
}

#[test]
fn a_line_or_record_over_the_limit_is_rejected_and_the_rest_goes_in() {
    let ws = Workspace::new();
    let dir = tempfile::tempdir().unwrap();
    let huge = "A".repeat(3 << 20);
    // Squid: a 3 MiB URL between two good lines.
    let squid = std::fs::read_to_string(fixture("web/access.log")).unwrap();
    let first = squid.lines().next().unwrap();
    std::fs::write(
        dir.path().join("access.log"),
        format!("{first}\n{}\n{first}x\n", first.replacen("http://", &format!("http://{huge}"), 1)),
    )
    .unwrap();
    // Postfix: a 3 MiB header line.
    let postfix = std::fs::read_to_string(fixture("email/mail.log")).unwrap();
    let mut lines: Vec<String> = postfix.lines().map(str::to_string).collect();
    lines.insert(2, format!("{} {huge}", lines[1]));
    std::fs::write(dir.path().join("mail.log"), lines.join("\n") + "\n").unwrap();
    // Graph JSON: one record with a 3 MiB field between two good ones.
    let graph: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("signin/graph_array.json")).unwrap()).unwrap();
    let mut records = graph.as_array().unwrap().clone();
    let mut big = records[0].clone();
    big["appDisplayName"] = huge.clone().into();
    records.insert(1, big);
    std::fs::write(dir.path().join("graph.json"), serde_json::to_string_pretty(&records).unwrap()).unwrap();
    let r = ws.ingest(NOW, &[dir.path().to_path_buf()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for f in r.json()["files"].as_array().unwrap() {
        assert_eq!(f["counts"]["rejected"]["longer than [ingest] max_record_bytes"], 1, "{f}");
        assert!(f["counts"]["stored"].as_u64().unwrap() >= 2, "{f}");
    }
    // Only the first 4 KiB of each are kept.
    for p in ws.all_files().iter().filter(|p| p.to_string_lossy().contains("_rejected")) {
        assert!(std::fs::metadata(p).unwrap().len() < 64 * 1024, "{}", p.display());
    }
}

#[test]
fn a_damaged_first_record_does_not_hide_the_format_of_the_file() {
    let ws = Workspace::new();
    let dir = tempfile::tempdir().unwrap();
    let squid = std::fs::read_to_string(fixture("web/access.log")).unwrap();
    std::fs::write(dir.path().join("access.log"), format!("\u{1}{}", &squid[1..])).unwrap();
    let graph = std::fs::read_to_string(fixture("signin/graph_array.json")).unwrap();
    // One byte of the first record's first key turned into a control character: that
    // record no longer parses, the others do.
    let at = graph.find("createdDateTime").unwrap();
    let mut damaged = graph.clone();
    damaged.replace_range(at + 3..at + 4, "\u{0}");
    std::fs::write(dir.path().join("graph.json"), damaged).unwrap();
    let r = ws.ingest(NOW, &[dir.path().to_path_buf()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = r.json()["files"].as_array().unwrap().clone();
    let format =
        |name: &str| files.iter().find(|f| f["file"].as_str().unwrap().ends_with(name)).unwrap()["format"].clone();
    assert_eq!(format("access.log"), "squid");
    assert_eq!(format("graph.json"), "graph-json");
}

#[test]
fn a_csv_quote_that_never_closes_is_one_rejected_record_and_the_rows_after_it_go_in() {
    // The csv crate holds a record whole: a quote opened and not closed would make the
    // rest of the file one record, memory growing with the file. The reader's byte budget
    // rejects it at max_record_bytes and reads on from the next line.
    let ws = Workspace::new();
    let clean = Workspace::new();
    let dir = tempfile::tempdir().unwrap();
    let huge = "A".repeat(3 << 20);
    for name in ["signin/loganalytics.csv", "email/messagetrace.csv"] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Right after the header: a good record can span lines (JSON in a cell).
        let at = lines.iter().position(|l| !l.starts_with('#')).unwrap() + 1;
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        out.insert(at, format!("\"{huge}"));
        let file = dir.path().join(name.replace('/', "-"));
        std::fs::write(&file, out.join("\r\n") + "\r\n").unwrap();
        let expected = clean.ingest(NOW, &[fixture(name)]).json()["files"][0]["counts"]["stored"].clone();
        let r = ws.ingest(NOW, &[file]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let f = &r.json()["files"][0];
        assert_eq!(f["counts"]["rejected"]["longer than [ingest] max_record_bytes"], 1, "{name}: {f}");
        assert_eq!(f["counts"]["stored"], expected, "{name}: every good row is stored: {f}");
        assert!(expected.as_u64().unwrap() >= 2, "{name}");
    }
    let mut kept = 0;
    for p in ws.all_files().iter().filter(|p| p.to_string_lossy().contains("_rejected")) {
        assert!(std::fs::metadata(p).unwrap().len() < 64 * 1024, "{}", p.display());
        // The record's first 4 KiB are kept, from its opening quote on.
        let text = std::fs::read_to_string(p).unwrap();
        kept += text.matches(&format!("\\\"{}", "A".repeat(4095))).count();
    }
    assert_eq!(kept, 2);
}

#[test]
fn a_command_that_cannot_take_the_trail_changes_nothing_and_exits_75_naming_the_holder() {
    let ws = Workspace::new();
    let lock = ws.path().join("audit.log.lock");
    let note = "held by `logwacht audit` (pid 4242)";
    let _held = logwacht::fsio::FileLock::acquire(&lock, &ws.path().join("audit.log"), note, std::time::Duration::ZERO)
        .unwrap();
    let holds = ws.path().join("reference/holds.json");
    let before = std::fs::read(&holds).ok();
    // The command waits logwacht's TRAIL_WAIT (10 s) for the lock, then gives up.
    let started = std::time::Instant::now();
    let r = hold_add(&ws, "zaak-1", "jan.peeters@school.example");
    assert_eq!(r.code, 75, "{}", r.stderr);
    assert!(started.elapsed() >= logwacht::audit_log::TRAIL_WAIT, "it gave up before the wait");
    assert!(r.stderr.contains("pid 4242"), "the holder is named: {}", r.stderr);
    // The hold it could not record was not placed either.
    assert_eq!(std::fs::read(&holds).ok(), before);
    assert!(
        !ws.path().join("audit.log").exists()
            || !std::fs::read_to_string(ws.path().join("audit.log")).unwrap().contains("zaak-1")
    );
}

#[test]
fn a_log_code_that_is_an_address_or_an_ip_never_reaches_the_dpo() {
    // Codes may reach the DPO by their class; a code column written by a hostile log holds
    // whatever it likes. A school rule printing such columns shows codes, and in place of an
    // address, URL or IP the marker.
    let ws = Workspace::new();
    crate::rules::with_rules(
        &ws,
        "signin_reasons",
        "-- id: signin_reasons\n-- purpose: e\n-- requirement: GEO-1\n-- severity: info\n-- mode: automated\n\
         -- summary.en: Reasons.\n-- summary.nl: Redenen.\n\
         SELECT s.event_time, s.failure_reason AS reason, s.source_country AS country, s.client_app, s.source_line \
         FROM signin s ORDER BY s.source_line\n",
    );
    let lines = [
        r#"{"id":"1","createdDateTime":"2026-11-20T08:00:00Z","userPrincipalName":"a@school.example","ipAddress":"81.246.12.34","status":{"errorCode":50126,"failureReason":"Invalid username or password."},"clientAppUsed":"Browser","location":{"countryOrRegion":"BE"}}"#,
        r#"{"id":"2","createdDateTime":"2026-11-20T08:01:00Z","userPrincipalName":"a@school.example","ipAddress":"81.246.12.34","status":{"errorCode":50126,"failureReason":"Ask jan.peeters@school.example"},"clientAppUsed":"see http://x.example/jan","location":{"countryOrRegion":"jan.peeters@school.example"}}"#,
        r#"{"id":"3","createdDateTime":"2026-11-20T08:02:00Z","userPrincipalName":"a@school.example","ipAddress":"81.246.12.34","status":{"errorCode":50126,"failureReason":"blocked from 81.246.12.34 and 2a02:1810::1"},"clientAppUsed":"IMAP4","location":{"countryOrRegion":"NL"}}"#,
    ];
    let file = ws.path().join("hostile-signins.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    assert_eq!(ws.ingest("2026-11-22T03:00:00Z", &[file]).code, 0);
    let run = ws.run(&[
        "--now",
        "2026-11-22T03:00:00Z",
        "audit",
        "run",
        "--rule",
        "signin_reasons",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-20",
        "--json",
    ]);
    assert!(run.code <= 1, "{}", run.stderr);
    let rows = run.json()[0]["rows"].clone();
    let col =
        |k: &str| rows.as_array().unwrap().iter().map(|r| r[k].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
    let w = "(withheld: not a code)";
    assert_eq!(col("reason"), ["Invalid username or password.", w, w]);
    assert_eq!(col("country"), ["BE", w, "NL"]);
    assert_eq!(col("client_app"), ["Browser", w, "IMAP4"]);
    for hidden in ["jan.peeters", "81.246.12.34", "2a02:1810", "http://"] {
        assert!(!run.stdout.contains(hidden), "the DPO's output shows {hidden}");
    }
}
