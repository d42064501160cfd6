//! Golden tests: every rule in `queries/` runs against small inputs and its findings are
//! compared with `tests/golden/<rule id>.json`. `LOGWACHT_BLESS=1 cargo test` rewrites the
//! golden files; review the diff before committing it.
use std::path::PathBuf;

use crate::util::{Workspace, fixture, repo};

/// Points the workspace at a rules folder: the shipped rules plus `id.sql` with `text`.
fn with_rules(ws: &Workspace, id: &str, text: &str) -> PathBuf {
    let rules = ws.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for f in std::fs::read_dir(repo().join("queries")).unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, rules.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::write(rules.join(format!("{id}.sql")), text).unwrap();
    let cfg = std::fs::read_to_string(ws.path().join("logwacht.toml")).unwrap();
    let cfg = cfg.replacen("dir = \"\"\n\n[mail]", "dir = \"rules\"\n\n[mail]", 1);
    assert!(cfg.contains("dir = \"rules\""), "the [rules] dir setting moved in logwacht.toml");
    std::fs::write(ws.path().join("logwacht.toml"), cfg).unwrap();
    rules
}

fn golden(id: &str) -> PathBuf {
    repo().join("tests/golden").join(format!("{id}.json"))
}

/// A workspace holding the GeoIP cases (fixtures/geo/README.md).
fn geo_workspace() -> Workspace {
    let ws = Workspace::new();
    std::fs::copy(fixture("geo/travel_exceptions.csv"), ws.path().join("reference/travel_exceptions.csv")).unwrap();
    assert_eq!(ws.ingest("2026-04-02T00:00:00Z", &[fixture("geo/signins_spring.json")]).code, 0);
    assert_eq!(ws.ingest("2026-10-28T00:00:00Z", &[fixture("geo/signins_autumn.json")]).code, 0);
    ws
}

/// The findings of one rule with evidence pointers made relative.
fn findings(out: &serde_json::Value, id: &str) -> serde_json::Value {
    let rule = out.as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no rule {id}"));
    let mut rule = rule.clone();
    for row in rule["rows"].as_array_mut().unwrap() {
        if let Some(f) = row.get_mut("source_file") {
            let name = f.as_str().unwrap().rsplit('/').next().unwrap().to_string();
            *f = serde_json::Value::String(name);
        }
    }
    rule
}

fn check_golden(id: &str, got: &serde_json::Value) {
    let path = golden(id);
    let text = serde_json::to_string_pretty(got).unwrap() + "\n";
    if std::env::var_os("LOGWACHT_BLESS").is_some() {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("no golden file {}; run with LOGWACHT_BLESS=1", path.display()));
    assert_eq!(text, want, "{id} differs from {}", path.display());
}

#[test]
fn every_rule_has_a_golden_file() {
    for entry in std::fs::read_dir(repo().join("queries")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "sql") {
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(golden(&id).exists(), "rule {id} has no golden file tests/golden/{id}.json");
        }
    }
}

#[test]
fn golden_signin_rules() {
    let ws = geo_workspace();
    let run = ws.run(&[
        "--now",
        "2026-10-28T00:00:00Z",
        "audit",
        "signin",
        "--from",
        "2026-03-01",
        "--to",
        "2026-10-31",
        "--json",
    ]);
    assert_eq!(run.code, 1, "findings exit 1: {}", run.stderr);
    let out = run.json();
    let outside = findings(&out, "signin_outside_allowed_countries");
    // The cases of fixtures/geo/README.md, by the last digits of their id: the golden file
    // is reviewed, and these hold whatever it says.
    let lines: Vec<i64> = outside["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source_line"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(outside["findings"], 8, "{outside:#}");
    assert_eq!(outside["by_severity"], serde_json::json!({"high": 5, "info": 1, "review": 2}));
    assert!(!lines.is_empty());
    check_golden("signin_outside_allowed_countries", &outside);
    let late = findings(&out, "travel_exception_late_request");
    let late_lines: Vec<&str> =
        late["rows"].as_array().unwrap().iter().map(|r| r["source_line"].as_str().unwrap()).collect();
    assert_eq!(late_lines, ["4", "5", "7"]);
    check_golden("travel_exception_late_request", &late);
    // No identity in what audit prints.
    for who in ["reiziger", "thuis", "directie", "3.80.12", "10.1.2.3"] {
        assert!(!run.stdout.contains(who), "audit output shows {who}");
    }
}

#[test]
fn a_purpose_f_rule_that_reads_addresses_is_refused_by_the_engine() {
    let ws = geo_workspace();
    with_rules(
        &ws,
        "signin_volume_per_person",
        "-- id: signin_volume_per_person\n-- purpose: f\n-- requirement: none\n-- severity: info\n-- mode: automated\n-- summary.en: Sign-ins per person.\n-- summary.nl: Aanmeldingen per persoon.\nSELECT \"user\" AS person, count(*) AS n FROM signin GROUP BY \"user\"\n",
    );
    assert!(ws.run(&["rules", "list"]).stdout.contains("signin_volume_per_person"));
    let run =
        ws.run(&["--now", "2026-10-28T00:00:00Z", "audit", "signin", "--from", "2026-03-01", "--to", "2026-10-31"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("purpose f") && run.stderr.contains("signin.user") && run.stderr.contains("art. 8.7-8.8"),
        "{}",
        run.stderr
    );
}

#[test]
fn rules_check_names_the_file_and_line_of_a_bad_header() {
    let ws = Workspace::new();
    let dir = ws.path().join("myrules");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("web_x.sql"), "-- id: web_x\n-- purpose: z\n-- requirement: WEB-1\n-- severity: high\n-- mode: automated\n-- summary.en: x\n-- summary.nl: x\nSELECT 1\n").unwrap();
    let run = ws.run(&["rules", "check", dir.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("web_x.sql:2") && run.stderr.contains("\"z\""), "{}", run.stderr);
    assert_eq!(ws.run(&["rules", "check"]).code, 0);
}

#[test]
fn a_rule_sees_only_the_window_and_has_no_way_around_it() {
    let ws = geo_workspace();
    let header = "-- purpose: e\n-- requirement: GEO-1\n-- severity: info\n-- mode: automated\n-- summary.en: x\n-- summary.nl: x\n";
    let rules = with_rules(
        &ws,
        "signin_all_rows",
        &format!("-- id: signin_all_rows\n{header}SELECT event_time AS t FROM signin\n"),
    );
    // The spring file has 12 sign-ins on 2026-03-26..30; the local day 2026-03-27 holds 7
    // of them (cases 1-3 and 9-12 of fixtures/geo/README.md).
    let run = ws.run(&[
        "--now",
        "2026-10-28T00:00:00Z",
        "audit",
        "signin",
        "--from",
        "2026-03-27",
        "--to",
        "2026-03-27",
        "--json",
    ]);
    let out = run.json();
    let all = out.as_array().unwrap().iter().find(|r| r["id"] == "signin_all_rows").unwrap();
    assert_eq!(all["findings"], 7, "{all:#}");
    // The unfiltered files are not a table of their own.
    std::fs::write(
        rules.join("signin_all_rows.sql"),
        format!("-- id: signin_all_rows\n{header}SELECT event_time AS t FROM store_signin\n"),
    )
    .unwrap();
    let run =
        ws.run(&["--now", "2026-10-28T00:00:00Z", "audit", "signin", "--from", "2026-03-27", "--to", "2026-03-27"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("store_signin"), "{}", run.stderr);
}

#[test]
fn a_rule_that_reads_counsellor_mail_content_gets_nulls_whatever_its_purpose() {
    // CTL-8 (003 art. 6.9): mail of counsellors is never inspected for content.
    let ws = Workspace::new();
    std::fs::write(
        ws.path().join("reference/people.csv"),
        "address,role,display_name,class\neva.maes@school.example,counsellor,Eva Maes,\njan.peeters@school.example,staff,Jan Peeters,\n",
    )
    .unwrap();
    assert_eq!(ws.ingest("2026-11-22T03:00:00Z", &[fixture("email")]).code, 0);
    let probe = "-- id: mail_subject_probe\n-- purpose: a\n-- requirement: CTL-8\n-- severity: info\n-- mode: case\n-- summary.en: x\n-- summary.nl: x\n\
        SELECT CASE WHEN subject IS NULL THEN 'hidden' ELSE 'visible' END AS finding_severity,\n\
               CASE WHEN sender = 'eva.maes@school.example' OR recipient = 'eva.maes@school.example' THEN 'CO' ELSE 'XX' END AS country\n\
        FROM email WHERE subject IS NOT NULL OR sender = 'eva.maes@school.example' OR recipient = 'eva.maes@school.example'\n";
    with_rules(&ws, "mail_subject_probe", probe);
    let run = ws.run(&[
        "--now",
        "2026-11-22T03:00:00Z",
        "audit",
        "run",
        "--rule",
        "mail_subject_probe",
        "--from",
        "2026-11-19",
        "--to",
        "2026-11-21",
        "--json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = run.json();
    let rows = out[0]["rows"].as_array().unwrap();
    let counsellor: Vec<&str> =
        rows.iter().filter(|r| r["country"] == "CO").map(|r| r["finding_severity"].as_str().unwrap()).collect();
    let others: Vec<&str> =
        rows.iter().filter(|r| r["country"] == "XX").map(|r| r["finding_severity"].as_str().unwrap()).collect();
    assert_eq!(counsellor.len(), 5, "{out:#}");
    assert!(counsellor.iter().all(|s| *s == "hidden"), "a counsellor's subject was readable: {counsellor:?}");
    assert!(!others.is_empty() && others.iter().all(|s| *s == "visible"), "{others:?}");
    let unknown = ws.run(&[
        "--now",
        "2026-11-22T03:00:00Z",
        "audit",
        "run",
        "--rule",
        "no_such_rule",
        "--from",
        "2026-11-19",
        "--to",
        "2026-11-21",
    ]);
    assert_eq!(unknown.code, 2);
}
