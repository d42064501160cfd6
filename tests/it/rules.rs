//! Golden tests: every rule in `queries/` runs against small inputs and its findings are
//! compared with `tests/golden/<rule id>.json`. `LOGWACHT_BLESS=1 cargo test` rewrites the
//! golden files; review the diff before committing it.
use std::path::PathBuf;

use crate::util::{Workspace, fixture, repo};

/// Points the workspace at a rules folder: the shipped rules plus `id.sql` with `text`.
pub fn with_rules(ws: &Workspace, id: &str, text: &str) -> PathBuf {
    let rules = ws.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    for p in crate::util::shipped_rules() {
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
    let toml = ws.path().join("logwacht.toml");
    let cfg = std::fs::read_to_string(&toml).unwrap();
    assert!(cfg.contains("workload_networks = []"));
    std::fs::write(&toml, cfg.replace("workload_networks = []", "workload_networks = [\"3.90.0.0/16\"]")).unwrap();
    assert_eq!(ws.ingest("2026-04-02T00:00:00Z", &[fixture("geo/signins_spring.json")]).code, 0);
    // Apps and managed identities beside the people (fixtures/geo/README.md).
    assert_eq!(ws.ingest("2026-04-02T00:00:00Z", &[fixture("geo/workloads.json")]).code, 0);
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
    for p in crate::util::shipped_rules() {
        {
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(golden(&id).exists(), "rule {id} has no golden file tests/golden/{id}.json");
            // ... and a test of its own that holds its output to it.
            let tests = std::fs::read_to_string(repo().join("tests/it/rules.rs")).unwrap();
            assert!(
                tests.contains(&format!("    {id}: [")) || tests.contains(&format!("check_golden(\"{id}\"")),
                "rule {id} has no golden test in tests/it/rules.rs"
            );
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
    // Workloads: their own rule, by the cases of fixtures/geo/README.md.
    let workloads = findings(&out, "signin_workload_outside_allowed_countries");
    let lines: Vec<&str> =
        workloads["rows"].as_array().unwrap().iter().map(|r| r["source_line"].as_str().unwrap()).collect();
    assert_eq!(lines, ["2", "3", "5"], "{workloads:#}");
    assert_eq!(workloads["by_severity"], serde_json::json!({"high": 2, "info": 1}));
    check_golden("signin_workload_outside_allowed_countries", &workloads);
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
    // 7 people's sign-ins and 7 of apps and managed identities (fixtures/geo) that day.
    assert_eq!(all["findings"], 14, "{all:#}");
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
    let probe = "-- id: mail_subject_probe\n-- purpose: a\n-- requirement: CTL-8\n-- severity: info\n-- mode: automated\n-- summary.en: x\n-- summary.nl: x\n\
        SELECT CASE WHEN e.subject IS NULL THEN 'hidden' ELSE 'visible' END AS finding_severity,\n\
               CASE WHEN c.address IS NOT NULL THEN 'CO' ELSE 'XX' END AS country\n\
        FROM email e LEFT JOIN people c ON c.role = 'counsellor' AND (c.address = e.sender OR c.address = e.recipient)\n\
        WHERE e.subject IS NOT NULL OR c.address IS NOT NULL\n";
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

/// A workspace holding the mail and web cases of fixtures/rules/README.md, with the MAIL-7
/// thresholds lowered so that small inputs reach them.
pub fn rules_workspace() -> Workspace {
    let ws = Workspace::new();
    std::fs::copy(fixture("rules/people.csv"), ws.path().join("reference/people.csv")).unwrap();
    let cfg = std::fs::read_to_string(ws.path().join("logwacht.toml")).unwrap();
    let cfg =
        cfg.replace("mass_recipients = 50", "mass_recipients = 11").replace("chain_repeats = 20", "chain_repeats = 3");
    assert!(cfg.contains("mass_recipients = 11") && cfg.contains("chain_repeats = 3"));
    std::fs::write(ws.path().join("logwacht.toml"), cfg).unwrap();
    let run = ws.ingest("2026-11-22T03:00:00Z", &[fixture("rules/mail.log"), fixture("rules/access.log")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    ws
}

/// `audit run --rule ID --json` over the fixtures' two days.
fn audit_rule(ws: &Workspace, id: &str) -> crate::util::Run {
    ws.run(&[
        "--now",
        "2026-11-22T03:00:00Z",
        "audit",
        "run",
        "--rule",
        id,
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-21",
        "--json",
    ])
}

fn run_rule(ws: &Workspace, id: &str) -> serde_json::Value {
    let run = audit_rule(ws, id);
    assert!(run.code <= 1, "{id}: {}", run.stderr);
    findings(&run.json(), id)
}

/// Pseudonyms change with every key, and so does an order by pseudonym: the golden file
/// holds the rows sorted by everything else and the pseudonyms by order of appearance.
fn stable_pseudonyms(rule: &mut serde_json::Value) {
    let rows = rule["rows"].as_array_mut().unwrap();
    let without = |r: &serde_json::Value| {
        let mut r = r.clone();
        r.as_object_mut().unwrap().remove("person_pseudonym");
        r.to_string()
    };
    rows.sort_by_key(without);
    let mut seen: Vec<String> = Vec::new();
    for row in rows {
        if let Some(p) = row.get_mut("person_pseudonym") {
            let s = p.as_str().unwrap().to_string();
            assert!(s.starts_with("p1-") && s.len() == 19, "not a pseudonym: {s}");
            let i = seen.iter().position(|x| *x == s).unwrap_or_else(|| {
                seen.push(s.clone());
                seen.len() - 1
            });
            *p = serde_json::Value::String(format!("person {}", i + 1));
        }
    }
}

/// One rule over the fixture workspace: it must find exactly the fixture cases at `lines`
/// (fixtures/rules/README.md, by the source line of the evidence), and its whole output must
/// equal its golden file.
fn check_rule(id: &str, lines: &[&str]) {
    let ws = rules_workspace();
    let mut got = run_rule(&ws, id);
    let rows = got["rows"].as_array().unwrap();
    // Sampled rules list their population; the violations are the findings.
    let found: Vec<&str> = rows
        .iter()
        .filter(|r| r.get("violation").is_none_or(|v| v == "true"))
        .filter_map(|r| r["source_line"].as_str())
        .collect();
    assert_eq!(found, lines, "{id}: {got:#}");
    stable_pseudonyms(&mut got);
    check_golden(id, &got);
}

/// One golden test per rule, named after it (the sign-in rules: `golden_signin_rules`).
macro_rules! golden_rules {
    ($($id:ident: [$($line:literal),*];)*) => {
        mod golden {
            $(
                #[test]
                fn $id() {
                    super::check_rule(stringify!($id), &[$($line),*]);
                }
            )*
        }
    };
}

golden_rules! {
    mail_private_address_staff_pupil: ["7", "21"];
    mail_external_recipients_visible: ["29"];
    mail_password_in_subject: ["65"];
    mail_sensitive_pupil_data_in_subject: ["81"];
    mail_sender_misrepresented: ["90", "98"];
    mail_forbidden_attachment: ["108"];
    mail_mass_or_chain: ["139", "147"];
    mail_staff_to_parent_after_hours: ["108", "116"];
    mail_unapproved_client: ["132"];
    web_forbidden_category: ["2", "3"];
    web_filter_circumvention: ["5", "6"];
    web_leisure_during_school_hours: ["7"];
    web_download_executable: ["10", "12"];
    web_malware_or_phishing: ["13"];
    cost_web_volume_per_person_day: [];
    cost_mail_volume_per_person_week: [];
}

#[test]
fn protected_mail_never_shows_its_subject_to_any_rule() {
    // CTL-7: the message with `Sensitivity: Personal` (line 170) says "wachtwoord" and
    // CTL-8: the one to the counsellor (line 73) says "CLB"; neither is a finding, and a
    // probe of purpose a that asks for subjects gets NULL for both.
    let ws = rules_workspace();
    let probe = "-- id: mail_subject_probe\n-- purpose: a\n-- requirement: CTL-7, CTL-8\n-- severity: info\n-- mode: automated\n-- summary.en: x\n-- summary.nl: x\n\
        SELECT min(source_line) AS source_line, bool_or(subject IS NOT NULL) AS visible, bool_or(attachment_names IS NOT NULL) AS attachment\n\
        FROM email GROUP BY coalesce(message_id, trace_id) ORDER BY source_line\n";
    with_rules(&ws, "mail_subject_probe", probe);
    let got = run_rule(&ws, "mail_subject_probe");
    let visible: Vec<(String, String)> = got["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["source_line"].as_str().unwrap().to_string(), r["visible"].as_str().unwrap().to_string()))
        .collect();
    assert!(visible.contains(&("73".into(), "false".into())), "{visible:?}");
    assert!(visible.contains(&("170".into(), "false".into())), "{visible:?}");
    assert_eq!(visible.iter().filter(|(_, v)| v == "false").count(), 2, "{visible:?}");
    assert_eq!(run_rule(&ws, "mail_password_in_subject")["findings"], 1);
    check_golden("protected_rows", &got);
}

#[test]
fn the_engine_refuses_what_a_purpose_may_not_read() {
    let ws = rules_workspace();
    let header = |id: &str, p: &str| {
        format!(
            "-- id: {id}\n-- purpose: {p}\n-- requirement: CTL-1\n-- severity: info\n-- mode: automated\n-- summary.en: x\n-- summary.nl: x\n"
        )
    };
    // (id, purpose, query); each either runs (its row count) or is refused (the message).
    let probes = [
        ("probe_f_subject", "f", "SELECT count(*) AS n FROM email WHERE subject IS NOT NULL"),
        ("probe_f_url", "f", "SELECT sum(bytes) AS b FROM web WHERE url LIKE '%x%'"),
        ("probe_f_group_by_user", "f", "SELECT \"user\", count(*) AS n FROM web GROUP BY \"user\""),
        ("probe_f_filter_on_sender", "f", "SELECT count(*) AS n FROM email WHERE sender = 'x'"),
        ("probe_f_star", "f", "SELECT * FROM web"),
        ("probe_f_renamed", "f", "SELECT w.u FROM (SELECT client_ip AS u FROM web) w"),
        (
            "probe_f_pseudonym",
            "f",
            "SELECT pseudonym(\"user\") AS p, count(*) AS n FROM web GROUP BY pseudonym(\"user\") ORDER BY n",
        ),
        ("probe_f_join_people", "f", "SELECT count(*) AS n FROM email e JOIN people p ON p.address = e.sender"),
        ("probe_b_web", "b", "SELECT count(*) AS n FROM web"),
        ("probe_b_signin", "b", "SELECT count(*) AS n FROM signin"),
        (
            "probe_b_pupil_mail",
            "b",
            // Mail to or from a pupil's school address (a rule names no person: CTL-3).
            "SELECT count(*) AS n FROM email e JOIN people p ON p.role = 'pupil' AND (p.address = e.sender OR p.address = e.recipient)",
        ),
        ("probe_a_web", "a", "SELECT count(*) AS n FROM web"),
        (
            "probe_a_pupil_mail",
            "a",
            "SELECT count(*) AS n FROM email e JOIN people p ON p.role = 'pupil' AND (p.address = e.sender OR p.address = e.recipient)",
        ),
    ];
    let mut out = serde_json::Map::new();
    for (id, purpose, sql) in probes {
        with_rules(&ws, id, &format!("{}{sql}\n", header(id, purpose)));
        let run = audit_rule(&ws, id);
        let outcome = if run.code == 2 {
            serde_json::json!({"refused": run.stderr.trim().trim_start_matches("logwacht: ")})
        } else {
            let f = findings(&run.json(), id);
            serde_json::json!({"rows": f["rows"]})
        };
        out.insert(id.to_string(), outcome);
        std::fs::remove_file(ws.path().join("rules").join(format!("{id}.sql"))).unwrap();
    }
    let refused = |id: &str| out[id].get("refused").and_then(|r| r.as_str()).unwrap_or("").to_string();
    for id in [
        "probe_f_subject",
        "probe_f_url",
        "probe_f_group_by_user",
        "probe_f_filter_on_sender",
        "probe_f_star",
        "probe_f_renamed",
        "probe_f_join_people",
        "probe_b_web",
        "probe_b_signin",
    ] {
        let r = refused(id);
        assert!(r.contains("art. 8") && r.contains(&format!("rule {id} has purpose")), "{id} ran: {:#}", out[id]);
    }
    assert!(refused("probe_f_group_by_user").contains("web.user (identity) except through pseudonym()"));
    assert!(refused("probe_b_web").contains("web."), "{}", refused("probe_b_web"));
    // Purpose f counts per pseudonym; purpose b sees staff mail only; purpose a sees all
    // 13 web rows.
    assert_eq!(out["probe_f_pseudonym"]["rows"].as_array().map(Vec::len), Some(4), "{:#}", out["probe_f_pseudonym"]);
    assert_eq!(out["probe_a_web"]["rows"][0]["n"], "13");
    // Of the pupils' mail, purpose b sees only the rows with staff on the other side.
    assert_eq!(out["probe_b_pupil_mail"]["rows"][0]["n"], "6");
    let all_pupil_mail: u32 = out["probe_a_pupil_mail"]["rows"][0]["n"].as_str().unwrap().parse().unwrap();
    assert!(all_pupil_mail > 6, "{all_pupil_mail}");
    let mut golden = serde_json::Value::Object(out);
    for row in golden["probe_f_pseudonym"]["rows"].as_array_mut().unwrap() {
        row["p"] = serde_json::Value::String("(pseudonym)".into());
    }
    check_golden("purpose_limits", &golden);
}

#[test]
fn a_message_to_a_counsellor_and_a_colleague_is_protected_on_every_row() {
    // CTL-8 per message, not per row: the colleague's copy of a message that also went to
    // the counsellor, and a message to a protected mailbox, show no subject to any rule,
    // no rule flags them, and a case only counts them.
    let ws = rules_workspace();
    let people = std::fs::read_to_string(ws.path().join("reference/people.csv")).unwrap();
    std::fs::write(
        ws.path().join("reference/people.csv"),
        format!("{people}vertrouwenspersoon@school.example,protected-mailbox,Vertrouwenspersoon,\n"),
    )
    .unwrap();
    let mut log = String::new();
    for (qid, to) in [
        ("C3001", ["eva.maes@school.example", "an.claes@school.example"]),
        ("C3002", ["vertrouwenspersoon@school.example", "jan.peeters@school.example"]),
    ] {
        log.push_str(&format!(
            "Nov 20 14:05:01 relay postfix/smtpd[2101]: {qid}: client=pc12.school.example[10.20.0.12], sasl_method=LOGIN, sasl_username=tom.wouters@school.example\n\
             Nov 20 14:05:01 relay postfix/cleanup[2102]: {qid}: message-id=<{qid}@school.example>\n\
             Nov 20 14:05:01 relay postfix/cleanup[2102]: {qid}: info: header Subject: Echtscheiding en voogdij bij Lotte from pc12.school.example[10.20.0.12]; from=<tom.wouters@school.example> to=<{}> proto=ESMTP helo=<pc12>\n\
             Nov 20 14:05:01 relay postfix/qmgr[2103]: {qid}: from=<tom.wouters@school.example>, size=900, nrcpt=2 (queue active)\n\
             Nov 20 14:05:02 relay postfix/lmtp[2105]: {qid}: to=<{}>, relay=mail.school.example[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)\n\
             Nov 20 14:05:02 relay postfix/lmtp[2105]: {qid}: to=<{}>, relay=mail.school.example[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)\n",
            to[0], to[0], to[1]
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("protected.log"), log).unwrap();
    assert_eq!(ws.ingest("2026-11-22T03:00:00Z", &[dir.path().join("protected.log")]).code, 0);
    let probe = "-- id: mail_copy_probe\n-- purpose: a\n-- requirement: CTL-8\n-- severity: info\n-- mode: automated\n-- summary.en: x\n-- summary.nl: x\n\
        SELECT e.source_line, e.subject IS NOT NULL AS visible, b.subject IS NOT NULL AS via_join\n\
        FROM email e JOIN email b ON b.message_id = e.message_id\n\
        WHERE e.source_file LIKE '%protected.log' ORDER BY e.source_line\n";
    with_rules(&ws, "mail_copy_probe", probe);
    let got = run_rule(&ws, "mail_copy_probe");
    let rows = got["rows"].as_array().unwrap();
    assert!(rows.len() >= 4, "{got:#}");
    assert!(rows.iter().all(|r| r["visible"] == "false" && r["via_join"] == "false"), "{got:#}");
    let sensitive = run_rule(&ws, "mail_sensitive_pupil_data_in_subject");
    let flagged: Vec<&serde_json::Value> = sensitive["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source_file"] == "protected.log" && r["violation"] == "true")
        .collect();
    assert!(flagged.is_empty(), "{flagged:?}");
    // A case on the colleague counts the message as protected and never lists it.
    let case = |args: &[&str]| {
        let mut a = vec!["--now", "2026-11-22T03:00:00Z", "--operator", "security-officer", "case"];
        a.extend_from_slice(args);
        ws.run(&a)
    };
    let r = crate::case::open(&ws, "2026-020", "an.claes@school.example", "a", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = case(&["screen", "--case", "2026-020"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = case(&["report", "--case", "2026-020"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for f in std::fs::read_dir(ws.path().join("cases/2026-020")).unwrap() {
        let text = std::fs::read_to_string(f.unwrap().path()).unwrap_or_default();
        assert!(!text.to_lowercase().contains("echtscheiding"), "a protected subject reached the case file");
    }
}

#[test]
fn a_school_rule_with_action_return_lists_its_messages_for_exchange() {
    // CTL-10 for any rule whose header says `action: return`: here mail Exchange filtered
    // as spam and still delivered somewhere. The list names each copy by trace id, message
    // id, sender and recipient, as Get-MessageTrace does, and never its subject.
    let ws = Workspace::new();
    with_rules(
        &ws,
        "mail_spam_return",
        "-- id: mail_spam_return\n-- purpose: e\n-- requirement: CTL-10\n-- severity: medium\n-- mode: automated\n\
         -- action: return\n-- summary.en: Mail filtered as spam.\n-- summary.nl: Mail gefilterd als spam.\n\
         SELECT e.event_time, e.source_file, e.source_line FROM email e WHERE e.status = 'FilteredAsSpam'\n",
    );
    assert_eq!(ws.ingest("2026-11-22T03:00:00Z", &[fixture("email/messagetrace.csv")]).code, 0);
    let run = ws.run(&["--now", "2026-11-22T03:00:00Z", "returns", "--from", "2026-11-20", "--to", "2026-11-21"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("mail_spam_return: 1"), "{}", run.stdout);
    let dir = std::fs::read_dir(ws.path().join("returns")).unwrap().next().unwrap().unwrap().path();
    let csv = std::fs::read_to_string(dir.join("returns-exchange.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("MessageTraceId,MessageId,SenderAddress,RecipientAddress,Received,Rule,Reason"));
    assert_eq!(
        lines.next(),
        Some(
            "5c1d2e3f-4a5b-4c6d-9e7f-08dd09a1b2c4,<CAF=ab12@mail.gmail.com>,ouder.maes@gmail.com,jan.peeters@school.example,2026-11-20T09:01:44Z,mail_spam_return,Mail filtered as spam."
        )
    );
    assert_eq!(lines.next(), None);
    assert!(!csv.contains("afwezigheid"), "no subject");
    // RET-4: the list expires once its days have left the retention window.
    let purge = ws.run(&["--now", "2026-12-25T03:00:00Z", "purge"]);
    assert_eq!(purge.code, 0, "{}", purge.stderr);
    assert!(purge.stdout.contains("returns list 2026-11-20..2026-11-21: removed (RET-4)"), "{}", purge.stdout);
    assert!(!dir.join("returns-exchange.csv").exists() && !dir.exists());
    // A header that says anything else is refused with its line.
    with_rules(
        &ws,
        "bad_action",
        "-- id: bad_action\n-- purpose: e\n-- requirement: CTL-10\n-- severity: low\n-- mode: automated\n-- action: delete\n\
         -- summary.en: x\n-- summary.nl: x\nSELECT 1\n",
    );
    let check = ws.run(&["rules", "check", ws.path().join("rules").to_str().unwrap()]);
    assert_ne!(check.code, 0);
    assert!(check.stderr.contains("bad_action.sql:6") && check.stderr.contains("\"delete\""), "{}", check.stderr);
}
