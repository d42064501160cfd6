//! The pseudonym key (CTL-2): created private by `init`, refused when others may read
//! it, rotated with a line in the audit trail.
use std::os::unix::fs::PermissionsExt;

use crate::util::Workspace;

#[test]
fn init_creates_a_private_key_and_rotation_is_recorded_without_the_key() {
    let ws = Workspace::new();
    let key = ws.path().join("secret.key");
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    let before = std::fs::read_to_string(&key).unwrap();
    let r = ws.run(&["--now", "2026-11-29T00:00:00Z", "--operator", "dpo", "key", "rotate"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("period 2"), "{}", r.stdout);
    let after = std::fs::read_to_string(&key).unwrap();
    assert_ne!(before, after);
    let secret: serde_json::Value = serde_json::from_str(&after).unwrap();
    let trail = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    assert!(
        trail.contains("\"key rotate\"") && trail.contains("\"key_period\":2") && trail.contains("\"dpo\""),
        "{trail}"
    );
    assert!(!trail.contains(secret["key"].as_str().unwrap()), "the trail holds the key");
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn a_key_readable_by_others_is_refused() {
    let ws = Workspace::new();
    let key = ws.path().join("secret.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = ws.run(&["key", "rotate"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("readable by group or others (mode 644)"), "{}", r.stderr);
}

/// The hostile rule corpus with its expectations (`tests/hostile_rules/README.md`).
fn hostile_rules() -> Vec<(String, String, Option<String>)> {
    let dir = crate::util::repo().join("tests/hostile_rules");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "sql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let expect = text
            .lines()
            .find_map(|l| l.strip_prefix("-- expect: "))
            .unwrap_or_else(|| panic!("{id} has no expect line"));
        let needle = expect.strip_prefix("refused").map(|n| n.trim().to_string());
        assert!(needle.is_some() || expect == "allowed", "{id}: {expect}");
        out.push((id, text, needle));
    }
    out.sort();
    out
}

/// What the rules fixtures hold that no DPO output may show: addresses, accounts, IPs,
/// subjects, URLs, hosts, paths, attachment names, header values (values of 6 or more
/// characters, so that no short word matches by chance).
fn personal_values(ws: &Workspace) -> Vec<String> {
    let store = ws.store();
    let mut values = Vec::new();
    for (table, cols) in [
        (
            "email",
            &[
                "sender",
                "recipient",
                "subject",
                "attachment_names",
                "mailer",
                "header_from",
                "submitted_by",
                "message_id",
                "client_ip",
                "client_host",
            ][..],
        ),
        ("web", &["user", "client_ip", "url", "host", "path", "referer", "user_agent"][..]),
    ] {
        for c in cols {
            values.extend(crate::util::distinct_texts(&store, table, c));
        }
    }
    values.retain(|v| v.chars().count() >= 6);
    values.sort();
    values.dedup();
    values
}

#[test]
fn hostile_rules_are_refused_or_show_only_allowed_values_and_nothing_personal_leaks() {
    let ws = crate::rules::rules_workspace();
    let rules = ws.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for p in crate::util::shipped_rules() {
        std::fs::copy(&p, rules.join(p.file_name().unwrap())).unwrap();
    }
    let corpus = hostile_rules();
    assert!(corpus.len() >= 40, "{}", corpus.len());
    for (id, text, _) in &corpus {
        std::fs::write(rules.join(format!("{id}.sql")), text).unwrap();
    }
    let cfg = std::fs::read_to_string(ws.path().join("logwacht.toml")).unwrap();
    std::fs::write(
        ws.path().join("logwacht.toml"),
        cfg.replacen("dir = \"\"\n\n[mail]", "dir = \"rules\"\n\n[mail]", 1),
    )
    .unwrap();
    let now = "2026-11-22T03:00:00Z";
    let run = ws.run(&["--now", now, "audit", "run", "--from", "2026-11-20", "--to", "2026-11-21", "--json"]);
    // Refused rules make the run exit 2, after every other rule ran.
    assert_eq!(run.code, 2, "{}", run.stderr);
    let outcomes = run.json();
    let outcome = |id: &str| outcomes.as_array().unwrap().iter().find(|o| o["id"] == id).cloned();
    for (id, _, needle) in &corpus {
        let o = outcome(id).unwrap_or_else(|| panic!("{id} is missing from the run"));
        match needle {
            Some(n) => {
                let why = o["refused"].as_str().unwrap_or_else(|| panic!("{id} was not refused: {o}"));
                assert!(why.contains(n.as_str()), "{id}: {why:?} lacks {n:?}");
                assert!(o["rows"].as_array().unwrap().is_empty(), "{id}");
            }
            None => assert!(o.get("refused").is_none(), "{id} was refused: {o}"),
        }
    }
    // Every shipped automated rule still ran (sampled ones run in the weekly report).
    let mut shipped = Vec::new();
    for path in crate::util::shipped_rules() {
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        if std::fs::read_to_string(&path).unwrap().contains("-- mode: sample") {
            assert!(outcome(&id).is_none(), "{id}");
        } else {
            let o = outcome(&id).unwrap_or_else(|| panic!("{id} did not run"));
            assert!(o.get("refused").is_none(), "shipped rule {id} was refused: {o}");
        }
        shipped.push(id);
    }
    assert_eq!(shipped.len(), 19);
    // The weekly report: the refused rules are listed as such, the others reported.
    let report = ws.run(&["--now", now, "audit", "--week", "2026-W47"]);
    assert_eq!(report.code, 2, "{}", report.stderr);
    let dir = ws.path().join("reports/2026-W47");
    let findings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap();
    let refused: Vec<&str> =
        findings["refused"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    for (id, _, needle) in &corpus {
        assert_eq!(refused.contains(&id.as_str()), needle.is_some(), "{id} in the report's refused list");
    }
    for id in &shipped {
        assert!(!refused.contains(&id.as_str()), "shipped rule {id} refused in the report");
    }
    // Nothing personal anywhere the DPO reads.
    let values = personal_values(&ws);
    assert!(values.len() > 20, "{values:?}");
    let mut outputs = vec![("audit run --json".to_string(), run.stdout.clone()), ("stderr".into(), run.stderr.clone())];
    for f in ["report.html", "report.md", "findings.json"] {
        outputs.push((f.to_string(), std::fs::read_to_string(dir.join(f)).unwrap()));
    }
    outputs.push(("report stderr".into(), report.stderr.clone()));
    for (name, text) in &outputs {
        for v in &values {
            assert!(!text.contains(v.as_str()), "{name} shows {v:?}");
        }
    }
    assert!(!std::path::Path::new("/tmp/logwacht-stolen.csv").exists());
}

#[test]
fn the_schema_document_shows_the_class_of_every_column_as_the_code_has_it() {
    let doc = std::fs::read_to_string(crate::util::repo().join("docs/schema.md")).unwrap();
    let section = doc.split("## Privacy classes").nth(1).expect("docs/schema.md has no Privacy classes section");
    let mut documented = Vec::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() == 5 && cells[1].starts_with('`') && cells[2].starts_with('`') {
            documented.push((
                cells[1].trim_matches('`').to_string(),
                cells[2].trim_matches('`').to_string(),
                cells[3].to_string(),
            ));
        }
    }
    let code: Vec<(String, String, String)> = logwacht::schema::CLASSES
        .iter()
        .map(|(t, c, k)| (t.to_string(), c.to_string(), k.name().to_string()))
        .collect();
    assert_eq!(documented, code, "docs/schema.md and src/schema.rs disagree");
}
