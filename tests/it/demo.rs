//! `logwacht generate` and `logwacht demo`.
use std::collections::BTreeMap;
use std::path::Path;

use crate::util::Workspace;

const NOW: &str = "2026-11-22T03:00:00Z";

fn digest_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn number_before(text: &str, label: &str) -> u64 {
    let i = text.find(label).unwrap_or_else(|| panic!("no {label:?} in:\n{text}"));
    text[..i].split_whitespace().last().unwrap().replace(',', "").parse().unwrap()
}

#[test]
fn generate_is_deterministic_for_a_seed() {
    let ws = Workspace::new();
    let run = |seed: &str, out: &str| {
        let r = ws.run(&["--now", NOW, "generate", "--people", "20", "--days", "3", "--seed", seed, "--out", out]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        digest_tree(&ws.path().join(out))
    };
    let a = run("5", "a");
    let b = run("5", "b");
    let c = run("6", "c");
    assert_eq!(a, b);
    assert_ne!(a, c);
    for needle in [
        "logs/signin/graph-2026-11-19.json",
        "logs/email/messagetrace-2026-11-19.csv",
        "logs/email/mail.log-2026-11-19",
        "logs/web/access-2026-11-19.log",
        "reference/people.csv",
        "reference/travel_exceptions.csv",
    ] {
        assert!(a.contains_key(needle), "generate wrote no {needle}: {:?}", a.keys().collect::<Vec<_>>());
    }
    let people = String::from_utf8(a["reference/people.csv"].clone()).unwrap();
    for role in ["pupil", "staff", "counsellor", "parent", "shared-mailbox"] {
        assert!(people.contains(&format!(",{role},")), "no {role} in the directory");
    }
}

#[test]
fn the_demo_stores_every_generated_row() {
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let r = ws.run(&["--now", NOW, "demo", "--people", "20", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains("nightly ingests: 35 ("), "{out}");
    assert!(out.contains(", 0 could not be read)"), "{out}");
    // The second traveller's exception was requested 5 days ahead (GEO-2).
    assert!(out.contains("rule travel_exception_late_request (purpose e, GEO-2, GEO-3): 1 findings"), "{out}");
    let removed = |table: &str| -> u64 {
        let line = out.lines().find(|l| l.starts_with("purge")).unwrap();
        let list = line.split("rows removed: ").nth(1).unwrap();
        list.split(", ").find_map(|kv| kv.strip_prefix(&format!("{table} "))).map(|n| n.parse().unwrap()).unwrap_or(0)
    };
    let generated = [("sign-ins", "signin"), ("mail rows", "email"), ("web requests", "web")];
    for (label, table) in generated {
        let made = number_before(out, label);
        assert!(made > 0, "{label}");
        let line = out.lines().find(|l| l.trim_start().starts_with(table)).unwrap();
        let stored: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(stored, made, "{table}: {line}");
        assert!(line.contains(" 0 rejected"), "{line}");
        // The purge after the last night took the first week.
        assert!(removed(table) > 0, "{table}");
        assert_eq!(crate::util::count_rows(&dir.join("store"), table, "") as u64, made - removed(table));
    }
}

#[test]
fn the_sign_in_rules_find_exactly_what_the_generator_injected() {
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let r = ws.run(&["--now", NOW, "demo", "--people", "40", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Every count is compared with the ground truth, the small ones too.
    crate::util::set_min_cell(&dir.join("logwacht.toml"), 1);
    // The demo's last night is 2026-11-22 03:00 in Brussels; it keeps 28 days.
    let audit = ws.run(&[
        "--config",
        dir.join("logwacht.toml").to_str().unwrap(),
        "--now",
        "2026-11-22T02:00:00Z",
        "audit",
        "signin",
        "--from",
        "2026-10-25",
        "--to",
        "2026-11-21",
        "--json",
    ]);
    assert_eq!(audit.code, 1, "{}", audit.stderr);
    let out = audit.json();
    let rule = |id: &str| out.as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("school/ground_truth.json")).unwrap()).unwrap();
    // Still in the store: after the purge's cut-off, before the window's end.
    let (cutoff, end) = ("2026-10-25T02:00:00Z", "2026-11-21T23:00:00Z");
    let mut want: Vec<(String, String)> = truth["signin_outside_allowed_countries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["event_time"].as_str().unwrap() >= cutoff && t["event_time"].as_str().unwrap() < end)
        .map(|t| (t["event_time"].as_str().unwrap().to_string(), t["finding_severity"].as_str().unwrap().to_string()))
        .collect();
    let mut got: Vec<(String, String)> = rule("signin_outside_allowed_countries")["rows"]
        .as_array()
        .unwrap()
        .iter()
        // The request id is an identity the output gate keeps out (CTL-2): sign-ins are
        // matched by their time and severity.
        .map(|r| (r["event_time"].as_str().unwrap().to_string(), r["finding_severity"].as_str().unwrap().to_string()))
        .collect();
    want.sort();
    got.sort();
    assert!(want.iter().any(|w| w.1 == "high"), "the demo injects an uncovered traveller");
    assert!(want.iter().any(|w| w.1 == "info"), "the demo injects blocked attackers");
    assert_eq!(got, want, "findings differ from the ground truth");
    // The stolen app secret of the generated school's timetable sync, by its own rule.
    let pairs = |rows: &serde_json::Value, time: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t[time].as_str().unwrap() >= cutoff && t[time].as_str().unwrap() < end)
            .map(|t| (t[time].as_str().unwrap().to_string(), t["finding_severity"].as_str().unwrap().to_string()))
            .collect();
        v.sort();
        v
    };
    let want = pairs(&truth["signin_workload_outside_allowed_countries"], "event_time");
    assert!(want.iter().any(|w| w.1 == "high") && want.iter().any(|w| w.1 == "info"), "{want:?}");
    assert_eq!(pairs(&rule("signin_workload_outside_allowed_countries")["rows"], "event_time"), want);
    let late: Vec<String> = rule("travel_exception_late_request")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source_line"].as_str().unwrap().to_string())
        .collect();
    let late_truth: Vec<String> = truth["travel_exception_late_request"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["source_line"].to_string())
        .collect();
    assert_eq!(late, late_truth);
    assert!(!late.is_empty());
}

#[test]
fn the_mail_and_web_rules_find_exactly_what_the_generator_injected() {
    // Recall and precision both 100 %: every injected violation still in the store is found,
    // with its file and line, and nothing else is (the clean traffic and the protected
    // look-alikes of CTL-7/CTL-8 give no finding).
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let r = ws.run(&["--now", NOW, "demo", "--people", "60", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    crate::util::set_min_cell(&dir.join("logwacht.toml"), 1);
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("school/ground_truth.json")).unwrap()).unwrap();
    let rules = truth["rules"].as_object().unwrap();
    let config = dir.join("logwacht.toml");
    let mut checked = 0;
    for id in [
        "mail_private_address_staff_pupil",
        "mail_external_recipients_visible",
        "mail_password_in_subject",
        "mail_sensitive_pupil_data_in_subject",
        "mail_sender_misrepresented",
        "mail_forbidden_attachment",
        "mail_mass_or_chain",
        "mail_staff_to_parent_after_hours",
        "mail_unapproved_client",
        "web_forbidden_category",
        "web_filter_circumvention",
        "web_leisure_during_school_hours",
        "web_download_executable",
        "web_malware_or_phishing",
    ] {
        let audit = ws.run(&[
            "--config",
            config.to_str().unwrap(),
            "--now",
            "2026-11-22T02:00:00Z",
            "audit",
            "run",
            "--rule",
            id,
            "--from",
            "2026-10-25",
            "--to",
            "2026-11-21",
            "--json",
        ]);
        assert!(audit.code <= 1, "{id}: {}", audit.stderr);
        let out = audit.json();
        let mut got: Vec<(String, String)> = out[0]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r.get("violation").is_none_or(|v| v == "true"))
            .map(|r| {
                let file = r["source_file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
                (file, r["source_line"].as_str().unwrap().to_string())
            })
            .collect();
        // The purge took everything before 2026-10-25 (local).
        let mut want: Vec<(String, String)> = rules
            .get(id)
            .and_then(|v| v.as_array())
            .map(|v| v.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|t| t["day"].as_str().unwrap() >= "2026-10-25")
            .map(|t| (t["source_file"].as_str().unwrap().to_string(), t["source_line"].to_string()))
            .collect();
        got.sort();
        want.sort();
        assert!(!want.is_empty(), "the generator injected nothing for {id}");
        assert_eq!(got, want, "{id}: findings differ from the ground truth");
        checked += want.len();
    }
    assert!(checked > 50, "{checked}");
}

#[test]
fn nothing_the_demo_writes_for_the_dpo_names_anyone_even_with_hostile_school_rules() {
    // CTL-2 end to end: the generated school's addresses, names, IPs, subjects, URLs,
    // attachment names and user agents appear in no file the DPO reads, also when the
    // school's rule folder holds every hostile rule of tests/hostile_rules.
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let r = ws.run(&["--now", NOW, "demo", "--people", "40", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rules = dir.join("school-rules");
    std::fs::create_dir_all(&rules).unwrap();
    for folder in ["queries", "tests/hostile_rules"] {
        for f in std::fs::read_dir(crate::util::repo().join(folder)).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "sql") {
                std::fs::copy(&p, rules.join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    let config = dir.join("logwacht.toml");
    let cfg = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, cfg.replacen("dir = \"\"\n\n[mail]", "dir = \"school-rules\"\n\n[mail]", 1)).unwrap();
    assert!(std::fs::read_to_string(&config).unwrap().contains("school-rules"));
    let cfg = config.to_str().unwrap();
    let run = ws.run(&[
        "--config",
        cfg,
        "--now",
        "2026-11-22T02:00:00Z",
        "audit",
        "run",
        "--from",
        "2026-10-25",
        "--to",
        "2026-11-21",
        "--json",
    ]);
    assert_eq!(run.code, 2, "refused rules make the run exit 2: {}", run.stderr);
    let week = ws.run(&[
        "--config",
        cfg,
        "--now",
        "2026-11-22T02:00:00Z",
        "audit",
        "--week",
        "2026-W47",
        "--lang",
        "en",
        "--out",
        "dpo",
    ]);
    assert_eq!(week.code, 2, "{}", week.stderr);
    // What a person could be recognised by, from the directory and the store.
    let mut values: Vec<String> = Vec::new();
    let people = std::fs::read_to_string(dir.join("reference/people.csv")).unwrap();
    for line in people.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        values.push(cols[0].to_string());
        values.push(cols[2].to_string());
    }
    let store = dir.join("store");
    for (table, cols) in [
        ("signin", &["user", "ip"][..]),
        ("email", &["sender", "recipient", "subject", "attachment_names", "mailer", "client_ip"][..]),
        ("web", &["user", "client_ip", "url", "path", "user_agent", "referer"][..]),
    ] {
        for c in cols {
            values.extend(crate::util::distinct_texts(&store, table, c));
        }
    }
    values.retain(|v| v.chars().count() >= 6);
    values.sort();
    values.dedup();
    assert!(values.len() > 500, "{}", values.len());
    let pattern = values.iter().map(|v| regex::escape(v)).collect::<Vec<_>>().join("|");
    let any = regex::RegexBuilder::new(&pattern).size_limit(1 << 30).dfa_size_limit(1 << 30).build().unwrap();
    let mut outputs = vec![("audit run --json".to_string(), run.stdout.clone()), ("audit stderr".into(), run.stderr)];
    outputs.push(("weekly stderr".into(), week.stderr));
    let mut folders = vec![ws.path().join("dpo")];
    folders.extend(std::fs::read_dir(dir.join("reports")).unwrap().map(|e| e.unwrap().path()));
    for folder in folders {
        // The trend's cache beside the report folders is scanned too.
        if folder.is_file() {
            outputs.push((folder.display().to_string(), std::fs::read_to_string(&folder).unwrap()));
            continue;
        }
        for f in std::fs::read_dir(&folder).unwrap() {
            let p = f.unwrap().path();
            outputs.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
        }
    }
    assert!(outputs.len() >= 6, "{}", outputs.len());
    for (name, text) in &outputs {
        if let Some(m) = any.find(text) {
            panic!("{name} shows {:?}", m.as_str());
        }
    }
}

/// A school on Google Workspace behind a FortiGate (and one behind a Sophos firewall): the
/// demo runs it as it runs today's, and every rule finds exactly what was injected.
#[test]
fn a_google_school_behind_a_firewall_runs_as_well_as_todays() {
    let re = regex::Regex::new(r"(\d+) of (\d+) injected violations found, 0 findings on clean rows").unwrap();
    for web in ["fortigate", "sophos"] {
        let ws = Workspace::new();
        let dir = ws.path().join("demo");
        let r = ws.run(&[
            "--now",
            NOW,
            "demo",
            "--people",
            "20",
            "--dir",
            dir.to_str().unwrap(),
            "--platform",
            "google",
            "--web",
            web,
        ]);
        assert_eq!(r.code, 0, "{web}: {}", r.stderr);
        // Nothing the readers could not place: every generated file was read whole.
        assert!(r.stdout.contains("files, 0 could not be read"), "{web}: {}", r.stdout);
        let line = r.stdout.lines().find(|l| l.starts_with("mail and web rules")).unwrap();
        let c = re.captures(line).unwrap_or_else(|| panic!("{web}: {line}"));
        assert_eq!(c[1], c[2], "{web}: {line}");
        assert!(c[2].parse::<u32>().unwrap() > 50, "{line}");
        let files: Vec<String> = std::fs::read_dir(dir.join("school/logs/signin"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(files.iter().all(|f| f.starts_with("google-login-")), "{files:?}");
        // The sign-ins from abroad are those the generator injected.
        crate::util::set_min_cell(&dir.join("logwacht.toml"), 1);
        let audit = ws.run(&[
            "--config",
            dir.join("logwacht.toml").to_str().unwrap(),
            "--now",
            "2026-11-22T02:00:00Z",
            "audit",
            "signin",
            "--from",
            "2026-10-25",
            "--to",
            "2026-11-21",
            "--json",
        ]);
        let out = audit.json();
        let rule = out.as_array().unwrap().iter().find(|r| r["id"] == "signin_outside_allowed_countries").unwrap();
        let truth: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("school/ground_truth.json")).unwrap()).unwrap();
        let (cutoff, end) = ("2026-10-25T02:00:00Z", "2026-11-21T23:00:00Z");
        let mut want: Vec<String> = truth["signin_outside_allowed_countries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["event_time"].as_str().unwrap().to_string())
            .filter(|t| t.as_str() >= cutoff && t.as_str() < end)
            .collect();
        let mut got: Vec<String> =
            rule["rows"].as_array().unwrap().iter().map(|r| r["event_time"].as_str().unwrap().to_string()).collect();
        want.sort();
        got.sort();
        assert!(!want.is_empty());
        assert_eq!(got, want, "{web}");
    }
}

#[test]
fn the_returns_list_holds_exactly_the_injected_suspicious_messages_and_no_subject() {
    // CTL-10: the security rules' messages, by id and sender, for the mail system to return;
    // none of the protected look-alikes (a counsellor's message with an executable), no
    // subject anywhere.
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let r = ws.run(&["--now", NOW, "demo", "--people", "60", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = dir.join("logwacht.toml");
    let cfg = config.to_str().unwrap();
    let run = ws.run(&["--config", cfg, "--now", NOW, "returns", "--from", "2026-10-25", "--to", "2026-11-21"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The demo's own nightly list is of its last week; this one is of the whole window.
    let listed: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join("returns"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("2026-10-25_2026-11-21-"))
        .collect();
    assert_eq!(listed.len(), 1);
    let out = &listed[0];
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("returns.json")).unwrap()).unwrap();
    let mut got: Vec<(String, String)> = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert_eq!(m["rule"], "mail_forbidden_attachment");
            let file = m["evidence"][0].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (file, m["evidence"][1].to_string())
        })
        .collect();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("school/ground_truth.json")).unwrap()).unwrap();
    let mut want: Vec<(String, String)> = truth["rules"]["mail_forbidden_attachment"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["day"].as_str().unwrap() >= "2026-10-25")
        .map(|t| (t["source_file"].as_str().unwrap().to_string(), t["source_line"].to_string()))
        .collect();
    got.sort();
    want.sort();
    assert!(!want.is_empty(), "the generator injected forbidden attachments");
    assert_eq!(got, want, "the list differs from the ground truth");
    // Every message by its queue id and sender in the Postfix list, one line each.
    let tsv = std::fs::read_to_string(out.join("returns-postfix.tsv")).unwrap();
    let lines: Vec<&str> = tsv.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), want.len(), "{tsv}");
    for l in &lines {
        let cols: Vec<&str> = l.split('\t').collect();
        assert_eq!(cols.len(), 4, "{l}");
        assert!(cols[0].chars().all(|c| c.is_ascii_alphanumeric()) && cols[2].contains('@'), "{l}");
    }
    // No subject, no counsellor, in any file of the list.
    let people = std::fs::read_to_string(dir.join("reference/people.csv")).unwrap();
    let counsellors: Vec<&str> =
        people.lines().filter(|l| l.contains(",counsellor,")).map(|l| l.split(',').next().unwrap()).collect();
    assert!(!counsellors.is_empty());
    for f in ["returns.json", "returns-postfix.tsv", "returns-exchange.csv", "return-exchange.ps1"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        for word in ["Rapport", "Verslag CLB", "rapport.pdf.exe", "verslag.exe"] {
            assert!(!text.contains(word), "{f} shows {word:?}");
        }
        for c in &counsellors {
            assert!(!text.contains(c), "{f} lists a counsellor's message");
        }
    }
    // The script carries no value of the list: it reads the CSV beside it.
    let script = std::fs::read_to_string(out.join("return-exchange.ps1")).unwrap();
    assert_eq!(script, std::fs::read_to_string(crate::util::repo().join("templates/return-exchange.ps1")).unwrap());
    // The trail records the list with its count and hashes; the weekly report counts it.
    let log = std::fs::read_to_string(dir.join("audit.log")).unwrap();
    let entry: serde_json::Value =
        serde_json::from_str(log.lines().rev().find(|l| l.contains("\"command\":\"returns\"")).unwrap()).unwrap();
    assert_eq!(entry["details"]["messages"]["mail_forbidden_attachment"], want.len());
    assert_eq!(entry["files_written"].as_array().unwrap().len(), 4);
    let week = ws.run(&["--config", cfg, "--now", NOW, "returns", "--from", "2026-11-16", "--to", "2026-11-21"]);
    assert_eq!(week.code, 0, "{}", week.stderr);
    crate::util::set_min_cell(&config, 1);
    let report = ws.run(&[
        "--config",
        cfg,
        "--now",
        NOW,
        "audit",
        "--week",
        "2026-W47",
        "--lang",
        "en",
        "--out",
        dir.join("w47").to_str().unwrap(),
    ]);
    assert!(report.code <= 2, "{}", report.stderr);
    let findings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("w47/findings.json")).unwrap()).unwrap();
    let in_week = truth["rules"]["mail_forbidden_attachment"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["day"].as_str().unwrap() >= "2026-11-16")
        .count();
    assert_eq!(findings["returns"], serde_json::json!([{"rule": "mail_forbidden_attachment", "messages": in_week}]));
}

#[test]
fn the_trend_counts_each_finished_week_once_and_again_when_its_inputs_change() {
    let ws = Workspace::new();
    let dir = ws.path().join("demo");
    let r = ws.run(&["--now", NOW, "demo", "--people", "60", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let config = dir.join("logwacht.toml");
    crate::util::set_min_cell(&config, 1);
    let cfg = config.to_str().unwrap();
    let audit = |out: &str| -> serde_json::Value {
        let o = dir.join(out);
        let run = ws.run(&["--config", cfg, "--now", NOW, "audit", "--week", "2026-W47", "--out", o.to_str().unwrap()]);
        assert!(run.code <= 2, "{}", run.stderr);
        let f: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(o.join("findings.json")).unwrap()).unwrap();
        f["rules"].as_array().unwrap().iter().map(|r| serde_json::json!([r["id"], r["per_week"]])).collect()
    };
    let first = audit("a");
    let cache_path = dir.join("reports/.trend-cache.json");
    let cache = std::fs::read_to_string(&cache_path).unwrap();
    // Counts per rule and week only: no pseudonym, no address.
    assert!(!cache.contains("p1-") && !cache.contains('@'), "{cache}");
    assert!(cache.contains("2026-W46") && cache.contains("2026-W44"), "{cache}");
    // The next report takes the earlier weeks from the cache (shown by editing it)...
    let edited = regex::Regex::new(r#"("2026-W4[4-6]"):\d+"#).unwrap().replace_all(&cache, "$1:777").to_string();
    assert_ne!(edited, cache);
    std::fs::write(&cache_path, &edited).unwrap();
    let second = audit("b");
    assert!(second.to_string().contains("777"), "the cached weeks were counted again: {second}");
    // ...and counts them again as soon as anything they depend on changes (a setting).
    let toml = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{toml}\n# edited\n")).unwrap();
    let third = audit("c");
    assert_eq!(third, first, "recounted after the settings changed");
    assert!(!third.to_string().contains("777"));
    // A report keeps its own (finished) week for next week's trend.
    std::fs::remove_file(&cache_path).unwrap();
    let o = dir.join("w46");
    let run = ws.run(&["--config", cfg, "--now", NOW, "audit", "--week", "2026-W46", "--out", o.to_str().unwrap()]);
    assert!(run.code <= 2, "{}", run.stderr);
    let cache = std::fs::read_to_string(&cache_path).unwrap();
    assert!(cache.contains("\"2026-W46\""), "the report's own week is kept: {cache}");
}
