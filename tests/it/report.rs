//! The weekly DPO report (issue 6): no identity in any file, log values escaped, formulas
//! neutralised, the sample redrawn from the seed in the trail, and a page Chromium renders.
use std::path::{Path, PathBuf};

use crate::rules::rules_workspace;
use crate::util::{Workspace, fixture};

const NOW: &str = "2026-11-22T03:00:00Z";

fn set(ws: &Workspace, from: &str, to: &str) {
    let p = ws.path().join("logwacht.toml");
    let cfg = std::fs::read_to_string(&p).unwrap();
    assert!(cfg.contains(from), "logwacht.toml has no {from:?}");
    std::fs::write(&p, cfg.replacen(from, to, 1)).unwrap();
}

fn audit(ws: &Workspace, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["--now", NOW, "audit", "--week", "2026-W47"];
    args.extend_from_slice(extra);
    ws.run(&args)
}

fn report_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

/// Every address, name, IP and subject of the fixtures the workspace holds.
fn identities() -> Vec<String> {
    let email = regex::Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}").unwrap();
    let ipv4 = regex::Regex::new(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b").unwrap();
    let subject = regex::Regex::new(r"header Subject: (.*?) from ").unwrap();
    let mut out = Vec::new();
    for f in ["rules/mail.log", "rules/access.log", "email/mail.log", "email/messagetrace.csv", "web/access.log"] {
        let text = std::fs::read_to_string(fixture(f)).unwrap();
        out.extend(email.find_iter(&text).map(|m| m.as_str().to_lowercase()));
        out.extend(ipv4.find_iter(&text).map(|m| m.as_str().to_string()));
        out.extend(subject.captures_iter(&text).map(|c| c[1].to_string()));
    }
    let people = std::fs::read_to_string(fixture("rules/people.csv")).unwrap();
    for line in people.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        out.push(cols[0].to_string());
        out.push(cols[2].to_string());
    }
    // URL paths and hosts of the web fixture.
    out.extend(
        ["020sextoy.com", "/sk/page1.html", "Setup.EXE", "0819-4xo.pages.dev", "klascement", "rapport.pdf.exe"]
            .map(String::from),
    );
    out.sort();
    out.dedup();
    out.retain(|s| s.len() >= 4);
    out
}

#[test]
fn the_weekly_report_shows_no_address_name_ip_or_subject() {
    let ws = rules_workspace();
    ws.set_min_cell(5);
    let run = ws.ingest(NOW, &[fixture("email/mail.log"), fixture("web/access.log")]);
    assert!(run.code <= 2, "{}", run.stderr);
    let run = audit(&ws, &["--lang", "nl"]);
    assert_eq!(run.code, 1, "findings exit 1: {}", run.stderr);
    let run_en = audit(&ws, &["--lang", "en", "--out", "en"]);
    assert_eq!(run_en.code, 1, "{}", run_en.stderr);
    let dir = ws.path().join("reports/2026-W47");
    let mut files = report_files(&dir);
    files.extend(report_files(&ws.path().join("en")));
    assert_eq!(files.len(), 6, "{files:?}");
    let ids = identities();
    assert!(ids.len() > 40, "{ids:?}");
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap().to_lowercase();
        for id in &ids {
            assert!(!text.contains(&id.to_lowercase()), "{} shows {id:?}", f.display());
        }
    }
    for id in &ids {
        assert!(!run.stdout.contains(id.as_str()) && !run.stderr.contains(id.as_str()), "the terminal shows {id:?}");
    }
    // What the DPO does see: the rules, pseudonyms, suppressed small counts.
    let nl = std::fs::read_to_string(dir.join("report.html")).unwrap();
    // (Pseudonyms appear in review lists, which small counts withhold: see the redraw test.)
    assert!(nl.contains("Wekelijkse audit") && nl.contains("web_forbidden_category"));
    let en = std::fs::read_to_string(ws.path().join("en/report.html")).unwrap();
    assert!(en.contains("Weekly audit") && en.contains("Sign-ins per country"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap();
    assert_eq!(json["schema"], "logwacht-findings/1");
    let rule = |id: &str| json["rules"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
    assert_eq!(rule("web_forbidden_category")["findings"], "< 5", "2 findings are a small cell");
    assert_eq!(rule("signin_outside_allowed_countries")["findings"], 0);
    // The trail records the report with every file's hash, and stays whole.
    let log = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["command"], "audit");
    assert_eq!(last["files_written"].as_array().unwrap().len(), 3);
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn log_values_are_escaped_and_spreadsheet_formulas_neutralised() {
    let ws = rules_workspace();
    set(&ws, "sample_rate = 0.05", "sample_rate = 1.0");
    ws.set_min_cell(1);
    // MAIL-9 reads the mail client, a value the sender controls: the output gate keeps it
    // out of the report whole. What does reach the report from outside is the evidence, the
    // input file's name, which whoever names the export controls: it is escaped in HTML and
    // Markdown and guarded against spreadsheet formulas in findings.json.
    let exports = tempfile::tempdir().unwrap();
    for (qid, mailer, name) in [
        ("B2001", "<script>alert('x')</script>", "<img src=x onerror=alert(1)>.log"),
        ("B2002", "=HYPERLINK(\"http://evil.example\",\"x\")", "=HYPERLINK(\"evil\").log"),
    ] {
        let text = format!(
            "Nov 20 13:05:01 relay postfix/smtpd[2101]: {qid}: client=pc12.school.example[10.20.0.12], sasl_method=LOGIN, sasl_username=tom.wouters@school.example\n\
             Nov 20 13:05:01 relay postfix/cleanup[2102]: {qid}: message-id=<{qid}@school.example>\n\
             Nov 20 13:05:01 relay postfix/cleanup[2102]: {qid}: info: header X-Mailer: {mailer} from pc12.school.example[10.20.0.12]; from=<tom.wouters@school.example> to=<an.claes@school.example> proto=ESMTP helo=<pc12>\n\
             Nov 20 13:05:01 relay postfix/qmgr[2103]: {qid}: from=<tom.wouters@school.example>, size=900, nrcpt=1 (queue active)\n\
             Nov 20 13:05:02 relay postfix/lmtp[2105]: {qid}: to=<an.claes@school.example>, relay=mail.school.example[private/dovecot-lmtp], delay=0.2, delays=0.1/0/0/0.1, dsn=2.0.0, status=sent (250 2.0.0 Saved)\n"
        );
        std::fs::write(exports.path().join(name), text).unwrap();
    }
    assert_eq!(ws.ingest(NOW, &[exports.path().to_path_buf()]).code, 0);
    assert_eq!(audit(&ws, &[]).code, 1);
    let dir = ws.path().join("reports/2026-W47");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;.log"), "the evidence is not in the review");
    assert!(
        !html.to_lowercase().contains("<script") && !html.contains("<img"),
        "report.html carries markup from a log"
    );
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(!md.contains("<script") && !md.contains("<img"), "report.md carries markup from a log");
    for text in [&html, &md] {
        assert!(!text.contains("alert('x')") && !text.contains("evil.example"), "a mail client reached the report");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap();
    let review =
        json["rules"].as_array().unwrap().iter().find(|r| r["id"] == "mail_unapproved_client").unwrap()["review"]
            .clone();
    let evidence: Vec<&str> = review.as_array().unwrap().iter().filter_map(|r| r["evidence"].as_str()).collect();
    assert!(evidence.iter().any(|e| e.starts_with("'=HYPERLINK(")), "{evidence:?}");
    assert!(!evidence.iter().any(|e| e.starts_with('=')), "{evidence:?}");
    assert!(review.as_array().unwrap().iter().all(|r| r["details"].get("mailer").is_none()), "{review}");
}

fn seeds(ws: &Workspace) -> Vec<(String, String)> {
    std::fs::read_to_string(ws.path().join("audit.log"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e.get("seed").is_some())
        .map(|e| (e["command"].as_str().unwrap().to_string(), e["seed"].as_str().unwrap().to_string()))
        .collect()
}

fn review(dir: &Path) -> Vec<serde_json::Value> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap();
    json["rules"].as_array().unwrap().iter().map(|r| serde_json::json!([r["id"], r["review"], r["sample"]])).collect()
}

#[test]
fn the_seed_is_in_the_trail_before_the_draw_and_redraws_the_same_sample() {
    let ws = rules_workspace();
    set(&ws, "sample_rate = 0.05", "sample_rate = 0.5");
    // The fixtures' counts are small: with the default threshold no review rows are listed.
    ws.set_min_cell(1);
    assert_eq!(audit(&ws, &["--out", "first"]).code, 1);
    let s = seeds(&ws);
    // The seed line comes first, then the report that used it.
    assert_eq!(s.len(), 2, "{s:?}");
    assert_eq!((s[0].0.as_str(), s[1].0.as_str()), ("audit sample seed", "audit"));
    assert_eq!(s[0].1, s[1].1);
    let seed = s[0].1.clone();
    assert_eq!(seed.len(), 64);
    let first = review(&ws.path().join("first"));
    assert!(serde_json::Value::Array(first.clone()).to_string().contains("\"p1-"), "no pseudonym in the review");
    // Anyone with the trail redraws the same sample.
    assert_eq!(audit(&ws, &["--out", "again", "--redraw", &seed]).code, 1);
    assert_eq!(review(&ws.path().join("again")), first);
    // Without --redraw, a fresh seed.
    assert_eq!(audit(&ws, &["--out", "fresh"]).code, 1);
    let s = seeds(&ws);
    assert_eq!(s.len(), 6);
    assert_ne!(s[4].1, seed);
    let bad = audit(&ws, &["--redraw", "my-favourite-sample"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("64 hex digits"), "{}", bad.stderr);
    // A well-formed seed the trail never recorded for this week cannot choose a sample,
    // nor can a recorded one of another week.
    let chosen = "ab".repeat(32);
    let bad = audit(&ws, &["--out", "chosen", "--redraw", &chosen]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("recorded no draw of 2026-W47"), "{}", bad.stderr);
    assert!(!ws.path().join("chosen").exists());
    let other_week = ws.run(&["--now", NOW, "audit", "--week", "2026-W46", "--out", "w46", "--redraw", &seed]);
    assert_eq!(other_week.code, 2, "{}", other_week.stderr);
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn the_report_is_one_self_contained_page_that_chromium_renders() {
    let ws = rules_workspace();
    assert_eq!(audit(&ws, &[]).code, 1);
    let page = ws.path().join("reports/2026-W47/report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for outside in ["src=\"http", "href=\"http", "@import", "url(", "<script", "<link"] {
        assert!(!html.contains(outside), "report.html loads something: {outside}");
    }
    assert!(html.matches("<svg").count() >= 3, "charts missing");
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        assert!(std::env::var_os("LOGWACHT_REQUIRE_CHROMIUM").is_none(), "chromium is required (.ci/run installs it)");
        eprintln!("skipped: no chromium on this machine");
        return;
    };
    let shot = ws.path().join("report.png");
    let dom = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,2400"])
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Wekelijkse audit van de logbestanden 2026-W47"), "{dom:.300}");
    assert!(dom.contains("<svg") && dom.contains("mail_password_in_subject"));
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "screenshot of {} bytes", png.len());
}

#[test]
fn a_count_below_the_threshold_lists_no_rows_and_no_small_counts() {
    // CTL-2: "< 5" must not be undone by a review list of 1 to 4 rows, nor by a count of
    // requests or mails inside a row, nor by `audit run`.
    let ws = rules_workspace();
    ws.set_min_cell(5);
    let run = ws.run(&["--now", NOW, "audit", "run", "--from", "2026-11-20", "--to", "2026-11-21", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let small: Vec<serde_json::Value> =
        run.json().as_array().unwrap().iter().filter(|r| r["findings"] == "< 5").cloned().collect();
    assert!(small.len() >= 5, "{}", run.stdout);
    assert!(small.iter().all(|r| r["rows"].as_array().unwrap().is_empty()), "{small:?}");
    let human = ws.run(&["--now", NOW, "audit", "run", "--from", "2026-11-20", "--to", "2026-11-21"]);
    assert!(human.stdout.contains("< 5 findings") && !human.stdout.contains(": 1 findings"), "{}", human.stdout);
    set(&ws, "sample_rate = 0.05", "sample_rate = 1.0");
    assert_eq!(audit(&ws, &[]).code, 1);
    let dir = ws.path().join("reports/2026-W47");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap();
    let mut small_rules = 0;
    for r in json["rules"].as_array().unwrap() {
        let findings = &r["findings"];
        let review = r["review"].as_array().unwrap();
        if findings.as_str().is_some_and(|s| s.starts_with('<')) {
            small_rules += 1;
            assert!(review.is_empty(), "{} lists {} rows under a suppressed count", r["id"], review.len());
        }
        for row in review {
            for (name, v) in row["details"].as_object().unwrap() {
                if let Some(n) = v.as_str().and_then(|s| s.parse::<u64>().ok()) {
                    assert!(n == 0 || n >= 5, "{}: {name} = {n} in a row", r["id"]);
                }
            }
        }
    }
    assert!(small_rules >= 5, "{small_rules}");
}

#[test]
fn reports_cover_whole_weeks_and_a_longer_window_withholds_what_a_week_would_reveal() {
    // CTL-2: a two-week report minus a one-week report must not give away a small cell.
    let ws = rules_workspace();
    ws.set_min_cell(5);
    let bad = ws.run(&["--now", NOW, "audit", "--from", "2026-11-18", "--to", "2026-11-21", "--out", "odd"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("whole ISO weeks"), "{}", bad.stderr);
    let two = ws.run(&["--now", NOW, "audit", "--from", "2026-11-09", "--to", "2026-11-22", "--out", "two"]);
    assert!(two.code <= 1, "{}", two.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path().join("two/findings.json")).unwrap()).unwrap();
    let rule = json["rules"].as_array().unwrap().iter().find(|r| r["id"] == "web_forbidden_category").unwrap().clone();
    // Two findings in the second week, none in the first: the total is withheld, not "2".
    assert_ne!(rule["findings"], "< 5", "{rule}");
    assert_ne!(rule["findings"], 2, "{rule}");
    assert!(rule["findings"].as_str().is_some_and(|s| !s.chars().any(|c| c.is_ascii_digit())), "{rule}");
}

/// The report says which GeoIP database placed the week's sign-ins, how old it is, warns
/// when it is older than `[geo] max_database_age_days`, and counts the sign-ins whose own
/// country disagrees; `geoip update` swaps in another database and the trail records it.
#[test]
fn the_report_is_honest_about_its_geoip_database_and_an_update_is_recorded() {
    let ws = Workspace::new();
    // Two sign-ins: one whose source says BE from a Belgian address, one whose source
    // says BE from an address the database places in the US.
    let signins = ws.path().join("signins.json");
    std::fs::write(
        &signins,
        r#"[{"id":"1","createdDateTime":"2026-11-20T08:00:00Z","userPrincipalName":"a@school.example","ipAddress":"81.246.12.34","status":{"errorCode":0},"location":{"countryOrRegion":"BE"}},
            {"id":"2","createdDateTime":"2026-11-20T09:00:00Z","userPrincipalName":"a@school.example","ipAddress":"3.80.12.7","status":{"errorCode":0},"location":{"countryOrRegion":"BE"}}]"#,
    )
    .unwrap();
    assert_eq!(ws.ingest(NOW, &[signins]).code, 0);
    let findings = |dir: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(ws.path().join(dir).join("findings.json")).unwrap()).unwrap()
    };
    set(&ws, "max_database_age_days = 35", "max_database_age_days = 100000");
    audit(&ws, &["--lang", "en", "--out", "fresh"]);
    let geo = &findings("fresh")["geoip"];
    assert_eq!(geo["database"], "geo-whois-asn-country.mmdb", "{geo}");
    assert_eq!(geo["stale"], false);
    assert_eq!(geo["country_disagreements"], serde_json::json!([{"source_format": "graph-json", "signins": 1}]));
    let md = std::fs::read_to_string(ws.path().join("fresh/report.md")).unwrap();
    assert!(md.contains("GeoIP database: `geo-whois-asn-country.mmdb`, built on ") && !md.contains("Warning"), "{md}");
    // Older than the setting: the report warns.
    set(&ws, "max_database_age_days = 100000", "max_database_age_days = 0");
    audit(&ws, &["--lang", "en", "--out", "stale"]);
    assert_eq!(findings("stale")["geoip"]["stale"], true);
    let html = std::fs::read_to_string(ws.path().join("stale/report.html")).unwrap();
    assert!(html.contains("class=\"warn\"") && html.contains("logwacht geoip update"), "{html}");
    // An update: not a database, refused; an older one, refused; the same build, taken.
    let not_mmdb = ws.run(&["--now", NOW, "geoip", "update", "logwacht.toml"]);
    assert_eq!(not_mmdb.code, 2, "{}", not_mmdb.stderr);
    let ok = ws.run(&[
        "--now",
        NOW,
        "geoip",
        "update",
        crate::util::fixture("geoip/geo-whois-asn-country.mmdb").to_str().unwrap(),
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ws.path().join("reference/geoip.mmdb").is_file());
    let log = std::fs::read_to_string(ws.path().join("audit.log")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["command"], "geoip update");
    assert_eq!(last["scope"]["database"], "geo-whois-asn-country.mmdb");
    assert_eq!(last["scope"]["sha256"].as_str().unwrap().len(), 64);
    audit(&ws, &["--lang", "en", "--out", "updated"]);
    assert_eq!(findings("updated")["geoip"]["database"], "geoip.mmdb");
    let test_db = crate::util::fixture("geoip/maxmind-test/GeoLite2-Country-Test.mmdb");
    let older = ws.run(&["--now", NOW, "geoip", "update", test_db.to_str().unwrap()]);
    assert_eq!(older.code, 2, "{}", older.stdout);
    assert!(
        older.stderr.contains("before the database in use") && older.stderr.contains("nothing changed"),
        "{}",
        older.stderr
    );
    // With `[geo] database` set, an update would not be used: refused, saying so.
    set(&ws, "database = \"\"", &format!("database = \"{}\"", test_db.display()));
    let refused = ws.run(&["--now", NOW, "geoip", "update", test_db.to_str().unwrap()]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("[geo] database names"), "{}", refused.stderr);
    assert_eq!(ws.run(&["verify-log"]).code, 0);
}

#[test]
fn the_report_shows_coverage_the_purge_who_looked_and_a_sign_off() {
    // The nightly job ran on the 18th and the 19th, then stopped; web logs arrived for
    // Friday the 20th only; the report is made on Sunday the 22nd.
    let ws = Workspace::new();
    for night in ["2026-11-18T01:00:00Z", "2026-11-19T01:00:00Z"] {
        let r = ws.run(&["--now", night, "--operator", "nachtjob", "purge"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = ws.run(&[
        "--now",
        NOW,
        "--operator",
        "ict <b>beheer</b>",
        "ingest",
        &fixture("web/access.log").display().to_string(),
    ]);
    assert!(r.code <= 2, "{}", r.stderr);
    let run = audit(&ws, &["--lang", "en", "--operator", "dpo"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let dir = ws.path().join("reports/2026-W47");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("findings.json")).unwrap()).unwrap();
    // Only the source the school has is expected; a school day without rows is missing.
    let coverage = json["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 1, "{coverage:?}");
    assert_eq!(coverage[0]["source"], "web");
    let status: Vec<&str> =
        coverage[0]["days"].as_array().unwrap().iter().map(|d| d["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["missing", "missing", "missing", "missing", "arrived", "quiet", "pending"]);
    // The purge ran on the 18th and 19th and not since; before the trail began nothing
    // is missed.
    assert_eq!(json["purge"]["nights_missed"], serde_json::json!(["2026-11-20", "2026-11-21"]));
    assert_eq!(json["purge"]["overdue"], false);
    // Who looked: the operators as the trail names them.
    let who = json["who_looked"].as_array().unwrap();
    let of = |name: &str| who.iter().find(|w| w["operator"] == name).map(|w| w["activities"].clone());
    assert_eq!(of("nachtjob"), Some(serde_json::json!({"purge": 2})));
    assert_eq!(of("ict <b>beheer</b>"), Some(serde_json::json!({"ingest": 1})));
    assert_eq!(json["audit_log_verifies"], true);
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("ict &lt;b&gt;beheer&lt;/b&gt;") && !html.contains("<b>beheer"),
        "operator names are escaped"
    );
    assert!(html.contains("Nights without a purge: 2026-11-20, 2026-11-21"));
    assert!(html.contains("Missing exports (school days without rows): web 2026-11-16, web 2026-11-17"));
    assert!(html.contains("The hash chain verifies") && html.contains("Sign-off") && html.contains("size:A4"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| web | **MISSING** (0) |"), "{md}");
    assert!(md.contains("## Sign-off") && md.contains("| nachtjob | purge | 2 |"), "{md}");
    // An edited trail is said so in the next report (and verify-log fails).
    let log = ws.path().join("audit.log");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(&log, text.replacen("nachtjob", "nachtjoB", 1)).unwrap();
    let run = audit(&ws, &["--lang", "en", "--out", "again"]);
    assert!(run.code <= 1, "{}", run.stderr);
    let html = std::fs::read_to_string(ws.path().join("again/report.html")).unwrap();
    assert!(html.contains("THE HASH CHAIN IS BROKEN at line 2"), "{}", &html[html.len().saturating_sub(3000)..]);
    assert_ne!(ws.run(&["verify-log"]).code, 0);
}
