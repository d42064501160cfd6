//! Targeted investigations (issue 7): refusals, leaving regular traffic alone, protected
//! mail, the case file, the letter, and the trail.
use crate::rules::rules_workspace;
use crate::util::{Workspace, repo};

const NOW: &str = "2026-11-22T03:00:00Z";
const JAN: &str = "jan.peeters@school.example";

fn case(ws: &Workspace, args: &[&str]) -> crate::util::Run {
    let mut a = vec!["--now", NOW, "--operator", "security-officer", "case"];
    a.extend_from_slice(args);
    ws.run(&a)
}

/// `case open` of `subject` over the rules fixtures' two days, by the security officer.
pub fn open(ws: &Workspace, id: &str, subject: &str, purpose: &str, extra: &[&str]) -> crate::util::Run {
    let mut a = vec![
        "open",
        "--case",
        id,
        "--subject",
        subject,
        "--suspicion",
        "Melding van een ouder: contact met een leerling via privémail",
        "--purpose",
        purpose,
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-21",
        "--approved-by",
        "Directeur De Smet",
    ];
    a.extend_from_slice(extra);
    case(ws, &a)
}

fn golden(name: &str, text: &str) {
    let path = repo().join("tests/golden").join(name);
    if std::env::var_os("LOGWACHT_BLESS").is_some() {
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("no golden file {}", path.display()));
    assert_eq!(text, want, "{name} differs from {}", path.display());
}

/// Pseudonyms change with the key and paths with the machine: both made stable.
fn stable(text: &str) -> String {
    let p = regex::Regex::new(r"p1-[0-9a-f]{16}").unwrap();
    let mut seen: Vec<String> = Vec::new();
    let text = p.replace_all(text, |c: &regex::Captures| {
        let s = c[0].to_string();
        let i = seen.iter().position(|x| *x == s).unwrap_or_else(|| {
            seen.push(s.clone());
            seen.len() - 1
        });
        format!("(person {})", i + 1)
    });
    let fixtures = repo().join("fixtures").display().to_string();
    text.replace(&fixtures, "fixtures")
}

fn trail(ws: &Workspace) -> Vec<serde_json::Value> {
    std::fs::read_to_string(ws.path().join("audit.log"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn case_refusals_are_named_recorded_and_never_show_the_subject() {
    let ws = rules_workspace();
    assert_eq!(open(&ws, "2026-014", JAN, "a", &[]).code, 0);
    let long = |to: &str| {
        vec![
            "open",
            "--case",
            "2026-015",
            "--subject",
            JAN,
            "--suspicion",
            "Een concreet vermoeden van misbruik",
            "--purpose",
            "a",
            "--from",
            "2026-11-01",
            "--to",
            to,
            "--approved-by",
            "Directeur De Smet",
        ]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    let attempts: Vec<(&str, Vec<String>)> = vec![
        ("no suspicion", {
            let mut a = long("2026-11-02");
            a[6] = " ".into();
            a
        }),
        ("no approver", {
            let mut a = long("2026-11-02");
            a[14] = "".into();
            a
        }),
        ("purpose f", {
            let mut a = long("2026-11-02");
            a[8] = "f".into();
            a
        }),
        ("fifteen days", long("2026-11-15")),
        ("before the retained data", {
            let mut a = long("2026-10-21");
            a[10] = "2026-10-20".into();
            a
        }),
        ("two subjects", {
            let mut a = long("2026-11-02");
            a[4] = format!("{JAN}, an.claes@school.example");
            a
        }),
        ("another subject under an open case id", {
            let mut a = long("2026-11-21");
            a[2] = "2026-014".into();
            a[4] = "an.claes@school.example".into();
            a[10] = "2026-11-20".into();
            a
        }),
        (
            "screen another subject",
            ["screen", "--case", "2026-014", "--subject", "an.claes@school.example"].map(String::from).to_vec(),
        ),
        ("screen another window", ["screen", "--case", "2026-014", "--from", "2026-11-01"].map(String::from).to_vec()),
        ("report another window", ["report", "--case", "2026-014", "--to", "2026-11-22"].map(String::from).to_vec()),
        ("an unknown case", ["screen", "--case", "2026-999"].map(String::from).to_vec()),
    ];
    let mut out = String::new();
    for (what, args) in &attempts {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = case(&ws, &args);
        assert_eq!(run.code, 2, "{what} was not refused: {}", run.stdout);
        for who in [JAN, "an.claes"] {
            assert!(!run.stderr.contains(who), "{what}: the refusal names {who}");
        }
        out.push_str(&format!("{what}: {}", run.stderr.trim_start_matches("logwacht: ")));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    golden("case_refusals.txt", &out);
    let refused = trail(&ws).into_iter().filter(|e| e["command"] == "case refused").count();
    assert_eq!(refused, attempts.len(), "every refusal is in the audit trail");
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn screening_leaves_regular_traffic_alone_and_only_counts_protected_mail() {
    let ws = rules_workspace();
    assert_eq!(open(&ws, "2026-014", JAN, "a", &["--hold"]).code, 0);
    let run = case(&ws, &["screen", "--case", "2026-014"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dir = ws.path().join("cases/2026-014");
    let md = std::fs::read_to_string(dir.join("screen.md")).unwrap();
    // Jan's messages: to the pupil's private address (line 7) and the .exe (line 108) stay;
    // three regular ones are counted; the personal-labelled one (line 170) is only counted.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("screen.json")).unwrap()).unwrap();
    assert_eq!(json["left_alone"]["email messages"], 3);
    assert_eq!(json["protected_messages"], 1);
    let evidence: Vec<String> = json["remainder"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["evidence"].as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(evidence, ["mail.log:7", "access.log:10", "access.log:12", "mail.log:108"]);
    // Metadata only: no subject line, no URL path, no address of another person.
    for content in ["Huiswerk", "Setup.EXE", "fitness", "Rapport", "lotte.maes", "ouder.maes"] {
        assert!(!md.contains(content) && !run.stdout.contains(content), "screening shows {content}");
    }
    golden("case_screen.md", &stable(&md));
    // A purpose-b case sees business mail only: no web traffic, no sign-ins.
    assert_eq!(open(&ws, "2026-015", JAN, "b", &[]).code, 0);
    let run = case(&ws, &["screen", "--case", "2026-015"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("web: not screened: purpose b may not read it"), "{}", run.stdout);
    assert!(run.stdout.contains("signin: not screened"), "{}", run.stdout);
}

#[test]
fn the_case_file_names_the_subject_and_shows_content_only_for_the_remainder() {
    let ws = rules_workspace();
    assert_eq!(open(&ws, "2026-014", JAN, "a", &[]).code, 0);
    assert_eq!(case(&ws, &["report", "--case", "2026-014"]).code, 0);
    let md = std::fs::read_to_string(ws.path().join("cases/2026-014/case-report.md")).unwrap();
    assert!(md.contains("Jan Peeters &lt;jan.peeters@school.example&gt;"), "{md}");
    // Content of the remainder (step 3), never of regular or protected mail.
    assert!(md.contains("subject: Huiswerk |") && md.contains("Setup.EXE"), "{md}");
    for hidden in ["Huiswerk wiskunde", "Info klas", "fitness", "Doorsturen"] {
        assert!(!md.contains(hidden), "the case file shows {hidden}");
    }
    // Everyone else by pseudonym.
    for other in ["lotte.maes", "ouder.maes", "tom.wouters", "an.claes"] {
        assert!(!md.contains(other), "the case file names {other}");
    }
    assert!(md.contains("mail.log:7") && md.contains("mail.log:108"), "evidence lines");
    golden("case_report.md", &stable(&md));
}

#[test]
fn closing_writes_the_letters_and_the_report_lists_the_case_until_the_subject_is_told() {
    let ws = rules_workspace();
    assert_eq!(open(&ws, "2026-014", JAN, "a", &["--hold"]).code, 0);
    assert_eq!(case(&ws, &["screen", "--case", "2026-014"]).code, 0);
    let run =
        case(&ws, &["close", "--case", "2026-014", "--outcome", "Het vermoeden werd bevestigd voor één bericht."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("due by 2026-11-29"), "{}", run.stdout);
    let dir = ws.path().join("cases/2026-014");
    let nl = std::fs::read_to_string(dir.join("letter-nl.md")).unwrap();
    let en = std::fs::read_to_string(dir.join("letter-en.md")).unwrap();
    for (letter, words) in [
        (
            &nl,
            [
                "Waarom",
                "Wat werd gecontroleerd",
                "2026-11-20",
                "Uitkomst",
                "28 dagen",
                "Gegevensbeschermingsautoriteit",
            ],
        ),
        (&en, ["Why", "What was checked", "2026-11-20", "Outcome", "28 days", "Data Protection Authority"]),
    ] {
        for w in words {
            assert!(letter.contains(w), "the letter lacks {w}: {letter}");
        }
    }
    golden("case_letter_nl.md", &nl);
    golden("case_letter_en.md", &en);
    // A closed case takes no more screening.
    assert_eq!(case(&ws, &["screen", "--case", "2026-014"]).code, 2);
    // The weekly report lists the case until the subject is told.
    let audit = |out: &str| ws.run(&["--now", NOW, "audit", "--week", "2026-W47", "--lang", "en", "--out", out]);
    audit("r1");
    let r1 = std::fs::read_to_string(ws.path().join("r1/findings.json")).unwrap();
    assert!(r1.contains("\"2026-014\",\n        \"2026-11-29\""), "{r1}");
    assert_eq!(case(&ws, &["notified", "--case", "2026-014"]).code, 0);
    audit("r2");
    let r2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("r2/findings.json")).unwrap()).unwrap();
    assert_eq!(r2["retention"]["cases_waiting"], serde_json::json!([]));
    // Every case command is in the trail with the case id, the subject as a pseudonym.
    let commands: Vec<String> = trail(&ws)
        .into_iter()
        .filter(|e| e["scope"]["case"] == "2026-014")
        .map(|e| e["command"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(commands, ["case open", "case screen", "case close", "case refused", "case notified"]);
    let log = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    assert!(!log.contains(JAN), "the trail names the subject");
}

#[test]
fn case_files_and_reports_expire_with_the_retention_window() {
    // RET-4: once the subject is told and no hold keeps them, case files go; reports go
    // when their week leaves the window.
    let ws = rules_workspace();
    assert_eq!(open(&ws, "2026-014", JAN, "a", &[]).code, 0);
    assert_eq!(case(&ws, &["close", "--case", "2026-014", "--outcome", "Geen inbreuk vastgesteld."]).code, 0);
    assert_eq!(case(&ws, &["notified", "--case", "2026-014"]).code, 0);
    assert_eq!(ws.run(&["--now", NOW, "audit", "--week", "2026-W47"]).code, 1);
    assert!(ws.path().join("cases/2026-014").exists() && ws.path().join("reports/2026-W47").exists());
    let soon = ws.run(&["--now", "2026-12-01T03:00:00Z", "purge"]);
    assert_eq!(soon.code, 0, "{}", soon.stderr);
    assert!(ws.path().join("cases/2026-014").exists() && ws.path().join("reports/2026-W47").exists());
    let later = ws.run(&["--now", "2026-12-24T03:00:00Z", "purge"]);
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert!(later.stdout.contains("report 2026-W47") && later.stdout.contains("case 2026-014"), "{}", later.stdout);
    assert!(!ws.path().join("cases/2026-014").exists() && !ws.path().join("reports/2026-W47").exists());
    let cases = std::fs::read_to_string(ws.path().join("reference/cases.json")).unwrap();
    assert!(!cases.contains(JAN), "{cases}");
}

/// `[school] staff_procedure = "cao81"` and a recorded works council date.
fn follow_cao81(ws: &Workspace) {
    let p = ws.path().join("logwacht.toml");
    let cfg = std::fs::read_to_string(&p).unwrap();
    let cfg = cfg.replacen("staff_procedure = \"none\"", "staff_procedure = \"cao81\"", 1).replacen(
        "works_council_informed = \"\"",
        "works_council_informed = \"2026-09-01\"",
        1,
    );
    assert!(cfg.contains("staff_procedure = \"cao81\""));
    std::fs::write(&p, cfg).unwrap();
}

#[test]
fn under_cao81_staff_are_named_for_a_use_rule_breach_only_after_the_alarm_bell() {
    let ws = rules_workspace();
    follow_cao81(&ws);
    let rule = "mail_private_address_staff_pupil";
    // Purpose a serves CAO 81's fourth purpose: without the rule whose anomaly recurred,
    // and then without that rule's notice before the window, the case is refused.
    let run = open(&ws, "2026-020", JAN, "a", &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("fourth purpose") && run.stderr.contains("--rule"), "{}", run.stderr);
    let run = open(&ws, "2026-020", JAN, "a", &["--rule", rule]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains(&format!("no alarm-bell notice of rule {rule}")), "{}", run.stderr);
    assert!(!run.stderr.contains(JAN));
    // The notice: three languages, no one named, recorded in the trail.
    let run = ws.run(&[
        "--now",
        "2026-11-16T08:00:00Z",
        "--operator",
        "directie",
        "notice",
        "--rule",
        rule,
        "--from",
        "2026-11-09",
        "--to",
        "2026-11-13",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dirs: Vec<_> = std::fs::read_dir(ws.path().join("notices")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1);
    let people = std::fs::read_to_string(crate::util::fixture("rules/people.csv")).unwrap();
    for (file, words) in [("notice.nl.md", "niemand"), ("notice.fr.md", "personne"), ("notice.en.md", "names no one")] {
        let text = std::fs::read_to_string(dirs[0].join(file)).unwrap();
        assert!(text.contains(words) && text.contains("2026-11-09") && text.contains(rule), "{file}: {text}");
        for line in people.lines().skip(1) {
            let cols: Vec<&str> = line.split(',').collect();
            assert!(!text.contains(cols[0]) && !text.contains(cols[2]), "{file} names {}", cols[2]);
        }
    }
    let notice = trail(&ws).into_iter().find(|e| e["command"] == "notice").unwrap();
    assert_eq!(
        (notice["scope"]["rule"].as_str(), notice["files_written"].as_array().map(Vec::len)),
        (Some(rule), Some(3))
    );
    // A notice written after the window starts does not precede the recurrence.
    let late = "web_forbidden_category";
    assert_eq!(ws.run(&["--now", NOW, "notice", "--rule", late, "--from", "2026-11-20", "--to", "2026-11-20"]).code, 0);
    let run = open(&ws, "2026-021", JAN, "a", &["--rule", late]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    // The recurrence after the notice: opened, and the letter invites to an interview.
    let run = open(&ws, "2026-020", JAN, "a", &["--rule", rule]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("purpose 4: a recurrence after the alarm-bell notice"), "{}", run.stdout);
    assert_eq!(case(&ws, &["screen", "--case", "2026-020"]).code, 0);
    assert_eq!(case(&ws, &["close", "--case", "2026-020", "--outcome", "Eén bericht via privémail."]).code, 0);
    let nl = std::fs::read_to_string(ws.path().join("cases/2026-020/letter-nl.md")).unwrap();
    let en = std::fs::read_to_string(ws.path().join("cases/2026-020/letter-en.md")).unwrap();
    assert!(nl.contains("## Gesprek") && en.contains("## Interview"), "{en}");
    // Security (purpose e: CAO 81's third) names directly; a pupil is outside CAO 81.
    let run = open(&ws, "2026-022", "an.claes@school.example", "e", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("direct individualisation is allowed"), "{}", run.stdout);
    let run = open(&ws, "2026-023", "lotte.maes@school.example", "a", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("does not apply: the subject is a pupil"), "{}", run.stdout);
    assert_eq!(case(&ws, &["close", "--case", "2026-022", "--outcome", "Geen inbreuk."]).code, 0);
    let en = std::fs::read_to_string(ws.path().join("cases/2026-022/letter-en.md")).unwrap();
    assert!(!en.contains("## Interview"), "no interview outside the fourth purpose");
    // The weekly report shows the notices and the collective information.
    let run = ws.run(&["--now", NOW, "audit", "--week", "2026-W47", "--lang", "en"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let md = std::fs::read_to_string(ws.path().join("reports/2026-W47/report.md")).unwrap();
    assert!(md.contains("The school follows CAO nr. 81"), "{md}");
    assert!(
        md.contains(&format!("| {} | 2026-11-16T08:00:00Z | 2026-11-09 – 2026-11-13 | 1 |", rule.replace('_', "\\_")))
            || md.contains(&format!("| {rule} | 2026-11-16T08:00:00Z | 2026-11-09 – 2026-11-13 | 1 |")),
        "{md}"
    );
    assert!(md.contains("informed on: 2026-09-01") && md.contains("Protocol sent to staff on: NOT RECORDED"), "{md}");
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn init_for_a_belgian_school_proposes_cao81() {
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args(["init", "--country", "BE", dir.path().join("ws").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success());
    let cfg = std::fs::read_to_string(dir.path().join("ws/logwacht.toml")).unwrap();
    assert!(cfg.contains("staff_procedure = \"cao81\""), "{cfg}");
    let plain = std::process::Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args(["init", dir.path().join("nl").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(plain.status.success());
    assert!(
        std::fs::read_to_string(dir.path().join("nl/logwacht.toml")).unwrap().contains("staff_procedure = \"none\"")
    );
}
