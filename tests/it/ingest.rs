//! `logwacht init` and `logwacht ingest` end to end.
use crate::util::{Workspace, count_rows, fixture};

const NOW: &str = "2026-11-22T03:00:00Z";

fn file_outcome<'a>(out: &'a serde_json::Value, suffix: &str) -> &'a serde_json::Value {
    out["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no outcome for {suffix}: {out:#}"))
}

fn counts(out: &serde_json::Value, suffix: &str) -> (u64, u64, u64) {
    let f = file_outcome(out, suffix);
    let c = &f["counts"];
    let rejected: u64 = c["rejected"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    (c["stored"].as_u64().unwrap(), rejected, c["expired"].as_u64().unwrap())
}

#[test]
fn init_writes_a_commented_config_and_refuses_to_overwrite_it() {
    let ws = Workspace::new();
    let cfg = std::fs::read_to_string(ws.path().join("logwacht.toml")).unwrap();
    for needle in [
        "days = 28",
        "\"BE\", \"NL\", \"FR\", \"DE\", \"LU\"",
        "travel_lead_days = 21",
        "summer_deadline = \"06-10\"",
        "Europe/Brussels",
        "gmail.com",
        "# RET-1",
    ] {
        assert!(cfg.contains(needle), "logwacht.toml lacks {needle}");
    }
    assert!(ws.path().join("reference/people.csv").exists());
    let again = ws.run(&["init", "."]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn every_fixture_format_is_read_with_exact_counts() {
    let ws = Workspace::new();
    let run = ws.ingest(NOW, &[fixture("signin"), fixture("email"), fixture("web")]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = run.json();
    let expected: [(&str, &str, (u64, u64, u64)); 14] = [
        ("signin/graph_array.json", "graph-json", (3, 0, 0)),
        ("signin/graph_page.json", "graph-json", (3, 0, 0)),
        ("signin/graph_lines.jsonl", "graph-json", (3, 2, 0)),
        ("signin/diagnostic.json", "azure-diagnostic", (3, 0, 0)),
        ("signin/loganalytics.csv", "loganalytics-csv", (3, 0, 0)),
        ("signin/loganalytics_serviceprincipals.csv", "loganalytics-csv", (3, 0, 0)),
        ("signin/google_login.json", "google-login", (4, 1, 0)),
        ("email/messagetrace.csv", "exo-trace-csv", (3, 1, 0)),
        ("email/messagetrace_report.csv", "exo-report-csv", (3, 0, 0)),
        ("email/messagetrace.json", "exo-trace-json", (2, 0, 0)),
        ("email/tracking.log", "exchange-tracking", (3, 0, 0)),
        ("email/mail.log", "postfix", (4, 1, 0)),
        ("web/access.log", "squid", (5, 2, 0)),
        ("web/combined.log", "combined", (4, 1, 0)),
    ];
    for (file, format, want) in expected {
        assert_eq!(file_outcome(&out, file)["format"], format, "{file}");
        assert_eq!(counts(&out, file), want, "{file}");
    }
    // The store holds what ingest says, read back by DataFusion as a Hive-partitioned table.
    assert_eq!(count_rows(&ws.store(), "signin", ""), 22);
    // Google's login audit: a logout is no sign-in (skipped); Google's own country kept.
    assert_eq!(file_outcome(&out, "signin/google_login.json")["counts"]["skipped"], 1);
    assert_eq!(
        count_rows(
            &ws.store(),
            "signin",
            "WHERE source_format = 'google-login' AND NOT success AND source_country = 'US'"
        ),
        2
    );
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE log_category = 'login_success (suspicious)'"), 1);
    // Apps and managed identities from the Log Analytics export, by name and kind.
    assert_eq!(
        count_rows(
            &ws.store(),
            "signin",
            "WHERE principal_type = 'service principal' AND \"user\" = 'Roosterkoppeling'"
        ),
        2
    );
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE principal_type = 'managed identity'"), 1);
    assert_eq!(count_rows(&ws.store(), "email", ""), 15);
    assert_eq!(count_rows(&ws.store(), "web", ""), 9);
    // Partitioned by the UTC day of the event.
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE date = '2026-11-21'"), 5);
    assert_eq!(count_rows(&ws.store(), "web", "WHERE date = '2026-11-20' AND host = 'games.example.com'"), 1);
    // Addresses are lower-cased, the source country kept apart.
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE \"user\" = 'jan.peeters@school.example'"), 5);
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE source_country = 'US' AND success"), 5);
    assert_eq!(count_rows(&ws.store(), "email", "WHERE recipient_type = 'bcc'"), 1);
    assert_eq!(
        count_rows(
            &ws.store(),
            "email",
            "WHERE source_format = 'postfix' AND recipient_count = 2 AND submitted_by = 'nieuwsbrief@school.example'"
        ),
        3
    );
    // Every row says where it came from (CTL-5).
    assert_eq!(
        count_rows(&ws.store(), "web", "WHERE source_line IS NULL OR source_file NOT LIKE '%fixtures/web/%'"),
        0
    );
}

#[test]
fn apps_and_managed_identities_are_stored_as_principals_and_other_categories_counted_apart() {
    // An Azure diagnostic export of service principal, managed identity and Microsoft
    // first-party sign-ins, with an audit record between them (fixtures/geo/README.md).
    let ws = Workspace::new();
    let run = ws.ingest("2026-04-02T00:00:00Z", &[fixture("geo/workloads.json")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(file_outcome(&out, "geo/workloads.json")["format"], "azure-diagnostic");
    assert_eq!(counts(&out, "geo/workloads.json"), (7, 1, 0));
    let rejected = &file_outcome(&out, "geo/workloads.json")["counts"]["rejected"];
    assert_eq!(rejected["not a sign-in record (another log category)"], 1, "{rejected}");
    let store = ws.store();
    assert_eq!(count_rows(&store, "signin", "WHERE principal_type = 'service principal'"), 5);
    assert_eq!(count_rows(&store, "signin", "WHERE principal_type = 'managed identity'"), 2);
    // The principal's name in `user`, its id in `principal_id`.
    assert_eq!(
        count_rows(
            &store,
            "signin",
            "WHERE \"user\" = 'Roosterkoppeling' AND principal_id = 'b1c34143-e405-4058-8e29-84596ad737b8'"
        ),
        3
    );
    // The app in `workload_networks` of the rules' workspace really is placed abroad.
    assert_eq!(count_rows(&store, "signin", "WHERE \"user\" = 'Back-up naar Azure' AND geo_country = 'US'"), 1);
    // An empty address and a 0.0.0.0 caller are unknown, not errors.
    assert_eq!(count_rows(&store, "signin", "WHERE ip IS NULL AND geo_outcome = 'unknown'"), 1);
    // People's sign-ins are `user`s.
    let run = ws.ingest("2026-11-22T03:00:00Z", &[fixture("signin/diagnostic.json")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(count_rows(&store, "signin", "WHERE principal_type = 'user'"), 3);
}

#[test]
fn the_entra_admin_centre_download_is_read_tab_by_tab() {
    // Sign-in logs -> Download -> CSV, as a tenant admin without Entra ID P1 has it.
    let ws = Workspace::new();
    let run = ws.ingest(NOW, &[fixture("entra")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    for (file, want) in
        [("InteractiveSignIns_2026-11-20_2026-11-21.csv", 3), ("ApplicationSignIns_2026-11-20_2026-11-21.csv", 2)]
    {
        assert_eq!(file_outcome(&out, file)["format"], "entra-csv", "{file}");
        assert_eq!(counts(&out, file), (want, 0, 0), "{file}");
    }
    let store = ws.store();
    let n = |filter: &str| count_rows(&store, "signin", filter);
    // The tab decides the category and whether the sign-ins were interactive.
    assert_eq!(n("WHERE log_category = 'SignInLogs' AND interactive AND principal_type = 'user'"), 3);
    assert_eq!(
        n(
            "WHERE log_category = 'ServicePrincipalSignInLogs' AND principal_type = 'service principal' AND \"user\" = 'Roosterkoppeling'"
        ),
        2
    );
    // Status and code: an MFA interruption is no success; the country is Location's last part.
    assert_eq!(n("WHERE NOT success AND error_code IN (50126, 50074)"), 2);
    assert_eq!(n("WHERE source_country = 'US' AND geo_country = 'US'"), 2);
    assert_eq!(n("WHERE source_country = 'BE' AND principal_id = '8105c513-d24b-4b8d-9035-f8d48854d703'"), 1);
}

#[test]
fn fortigate_and_sophos_web_logs_are_requests_and_the_rules_see_them() {
    let ws = Workspace::new();
    let run = ws.ingest(NOW, &[fixture("firewall")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(file_outcome(&out, "firewall/fortigate.log")["format"], "fortigate");
    assert_eq!(file_outcome(&out, "firewall/sophos.log")["format"], "sophos");
    // (stored, rejected, expired); DNS, admin events and firewall-rule lines are skipped.
    assert_eq!(counts(&out, "firewall/fortigate.log"), (3, 1, 0));
    assert_eq!(file_outcome(&out, "firewall/fortigate.log")["counts"]["skipped"], 2);
    assert_eq!(counts(&out, "firewall/sophos.log"), (3, 1, 0));
    assert_eq!(file_outcome(&out, "firewall/sophos.log")["counts"]["skipped"], 1);
    let store = ws.store();
    let n = |filter: &str| count_rows(&store, "web", filter);
    // The vendor's category beside the request; times in UTC from eventtime, tz and timezone.
    assert_eq!(n("WHERE vendor_category = 'Pornography' AND host = '020sextoy.com' AND cache_result = 'blocked'"), 1);
    assert_eq!(n("WHERE vendor_category = 'Phishing & Fraud' AND http_status = 403"), 1);
    assert_eq!(n("WHERE event_time = TIMESTAMP '2026-11-20T09:05:12.123456Z'"), 1);
    assert_eq!(n("WHERE event_time = TIMESTAMP '2026-11-20T09:15:30Z' AND source_format = 'sophos'"), 1);
    assert_eq!(n("WHERE event_time = TIMESTAMP '2026-11-20T09:18:10Z' AND source_format = 'sophos'"), 1);
    // logwacht's own categories (UT1) find the same requests as with a proxy.
    let audit = ws.run(&[
        "--now",
        NOW,
        "audit",
        "run",
        "--rule",
        "web_forbidden_category",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-20",
        "--json",
    ]);
    assert!(audit.code <= 1, "{}", audit.stderr);
    let found = audit.json();
    let rule = found.as_array().unwrap().iter().find(|r| r["id"] == "web_forbidden_category").unwrap();
    assert_eq!(rule["findings"], 1, "{rule:#}");
}

#[test]
fn the_unified_audit_log_gives_the_sign_ins_any_licence_keeps() {
    let ws = Workspace::new();
    let run = ws.ingest(NOW, &[fixture("ual")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    let csv = "ual/AuditLog_2026-11-20_2026-11-21.csv";
    assert_eq!(file_outcome(&out, csv)["format"], "ual-csv");
    assert_eq!(file_outcome(&out, "ual/management_api.json")["format"], "ual-json");
    // A message sent goes to the mail table; a mailbox read and a file opened are counted
    // as skipped by their operation's name; a cut-off AuditData is rejected.
    assert_eq!(counts(&out, csv), (3, 1, 0));
    assert_eq!(file_outcome(&out, csv)["counts"]["also_stored"]["email"], 1);
    assert_eq!(file_outcome(&out, csv)["counts"]["skipped"], 1);
    assert_eq!(file_outcome(&out, csv)["counts"]["skipped_by"]["MailItemsAccessed"], 1);
    assert_eq!(counts(&out, "ual/management_api.json"), (2, 0, 0));
    assert_eq!(file_outcome(&out, "ual/management_api.json")["counts"]["skipped_by"]["FileAccessed"], 1);
    let store = ws.store();
    let sent = count_rows(
        &store,
        "email",
        "WHERE event = 'Send' AND sender = 'leerling.an@school.example' AND recipient IS NULL \
         AND attachment_names = 'taak.docx;schema.png' AND size_bytes = 48211 AND source_format = 'ual-csv'",
    );
    assert_eq!(sent, 1);
    // The terminal summary counts the sent message with the mail table and names what
    // was skipped.
    let fresh = Workspace::new();
    let dir = fixture("ual").display().to_string();
    let text = fresh.run(&["ingest", "--now", NOW, &dir]).stdout;
    assert!(text.contains("3 stored (+1 in email), 1 rejected"), "{text}");
    assert!(text.contains("email: 1 rows stored"), "{text}");
    assert!(text.contains("  skipped 1: MailItemsAccessed") && text.contains("  skipped 1: FileAccessed"), "{text}");
    let n = |filter: &str| count_rows(&store, "signin", filter);
    assert_eq!(
        n("WHERE log_category = 'UserLoginFailed' AND NOT success AND error_code = 50126 AND geo_country = 'US'"),
        2
    );
    // Addresses without their ports, IPv6 included, placed in Belgium.
    assert_eq!(n("WHERE ip = '81.246.12.34' AND geo_country = 'BE'"), 2);
    assert_eq!(n("WHERE ip = '2a02:1810:4d02:8a00::1' AND \"user\" = 'juf.els@school.example'"), 1);
    assert_eq!(n("WHERE event_time = TIMESTAMP '2026-11-20T08:15:30Z'"), 2);
}

#[test]
fn summarised_non_interactive_sign_ins_keep_their_count() {
    // Graph's summarizedSignIn pages (the portal's aggregated non-interactive rows): one
    // row per summary, its count kept, dated by its first sign-in.
    let ws = Workspace::new();
    let run = ws.ingest(NOW, &[fixture("summarized")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    let users = "summarized/summarized_noninteractive.json";
    assert_eq!(file_outcome(&out, users)["format"], "graph-json");
    assert_eq!(counts(&out, users), (2, 1, 0));
    assert_eq!(file_outcome(&out, users)["counts"]["rejected"]["signInCount is not a positive whole number"], 1);
    assert_eq!(file_outcome(&out, "summarized/summarized_msi.json")["format"], "graph-json");
    let store = ws.store();
    let n = |filter: &str| count_rows(&store, "signin", filter);
    assert_eq!(
        n("WHERE signin_count = 42 AND NOT interactive AND success AND event_time = TIMESTAMP '2026-11-20T07:04:12Z' \
           AND log_category = 'NonInteractiveUserSignInLogs' AND principal_type = 'user'"),
        1
    );
    assert_eq!(n("WHERE signin_count = 7 AND error_code = 50126 AND geo_country = 'US'"), 1);
    assert_eq!(
        n("WHERE signin_count = 120 AND principal_type = 'managed identity' AND \"user\" = 'roosters-sync' \
           AND ip IS NULL AND log_category = 'ManagedIdentitySignInLogs'"),
        1
    );
    // Rows of one sign-in have no count.
    let ws2 = Workspace::new();
    assert_eq!(ws2.ingest(NOW, &[fixture("signin/graph_page.json")]).code, 0);
    assert_eq!(count_rows(&ws2.store(), "signin", "WHERE signin_count IS NOT NULL"), 0);
}

#[test]
fn an_older_audit_log_export_with_a_type_line_is_read_too() {
    // Windows PowerShell's `Search-UnifiedAuditLog | Export-Csv` of older tenants: a #TYPE
    // line, then `CreationDate, UserIds, Operations, AuditData`, US dates.
    let ws = Workspace::new();
    let data = r#"{""CreationTime"":""2026-11-20T08:15:30"",""Id"":""a1"",""Operation"":""UserLoginFailed"",""RecordType"":15,""UserId"":""an@school.example"",""Workload"":""AzureActiveDirectory"",""ClientIP"":""3.80.12.7"",""LogonError"":""InvalidUserNameOrPassword"",""ErrorNumber"":""50126""}"#;
    let text = format!(
        "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AuditRecord\r\n\"CreationDate\",\"UserIds\",\"Operations\",\"AuditData\"\r\n\"11/20/2026 8:15:30 AM\",\"an@school.example\",\"UserLoginFailed\",\"{data}\"\r\n"
    );
    let file = ws.path().join("ual-old.csv");
    std::fs::write(&file, text).unwrap();
    let run = ws.ingest(NOW, &[file]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(file_outcome(&out, "ual-old.csv")["format"], "ual-csv");
    assert_eq!(counts(&out, "ual-old.csv"), (1, 0, 0));
    assert_eq!(
        count_rows(
            &ws.store(),
            "signin",
            "WHERE NOT success AND error_code = 50126 AND failure_reason = 'InvalidUserNameOrPassword'"
        ),
        1
    );
}

#[test]
fn timestamps_with_offsets_and_seven_digits_land_in_utc() {
    let ws = Workspace::new();
    let run = ws.ingest(NOW, &[fixture("signin/diagnostic.json"), fixture("signin/loganalytics.csv")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 2026-11-20T09:15:30.1234567+01:00 is 08:15:30.123456 UTC.
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE event_time = TIMESTAMP '2026-11-20T08:15:30.123456Z'"), 1);
    // 11/20/2026, 2:08:45.221 PM (UTC) from the Log Analytics CSV.
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE event_time = TIMESTAMP '2026-11-20T14:08:45.221Z'"), 1);
    // 11/21/2026, 12:00:01.000 AM is just after midnight: the 21st.
    assert_eq!(
        count_rows(&ws.store(), "signin", "WHERE date = '2026-11-21' AND source_format = 'loganalytics-csv'"),
        1
    );
}

#[test]
fn reingesting_a_file_adds_nothing() {
    let ws = Workspace::new();
    assert_eq!(ws.ingest(NOW, &[fixture("web")]).code, 0);
    let before = ws.parts();
    let again = ws.ingest(NOW, &[fixture("web")]);
    assert_eq!(again.code, 0);
    for f in again.json()["files"].as_array().unwrap() {
        assert_eq!(f["status"], "already stored");
    }
    assert_eq!(ws.parts(), before);
    assert_eq!(count_rows(&ws.store(), "web", ""), 9);
}

#[test]
fn events_past_the_retention_window_are_not_stored() {
    let ws = Workspace::new();
    // RET-1: 28 days after 2026-11-20 the fixture rows are expired on arrival, and so is
    // the damaged line whose time can still be read; only the one without a time is kept.
    let run = ws.ingest("2026-12-19T00:00:00Z", &[fixture("web/access.log")]);
    assert_eq!(run.code, 0);
    assert_eq!(counts(&run.json(), "web/access.log"), (0, 1, 6));
    assert!(ws.parts().is_empty());
}

#[test]
fn events_in_the_future_are_rejected_with_a_reason() {
    let ws = Workspace::new();
    let run = ws.ingest("2026-11-19T00:00:00Z", &[fixture("web/combined.log")]);
    let out = run.json();
    let f = file_outcome(&out, "web/combined.log");
    assert_eq!(f["counts"]["rejected"]["event time lies in the future beyond the tolerance"], 4);
}

#[test]
fn rejected_rows_keep_file_line_reason_and_raw_text() {
    let ws = Workspace::new();
    ws.ingest(NOW, &[fixture("web/access.log")]);
    // A damaged line goes to the rejected rows of the day its time says, when it can be
    // read, else of the ingest day.
    let rejected: Vec<_> = ws.all_files().into_iter().filter(|p| p.to_string_lossy().contains("_rejected")).collect();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    let mut rows: Vec<serde_json::Value> = rejected
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect::<Vec<_>>()
        })
        .collect();
    rows.sort_by_key(|r| r["line"].as_u64());
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().any(|r| r["event_time_us"].is_i64()), "{rows:?}");
    assert_eq!(rows[0]["line"], 6);
    assert_eq!(rows[0]["reason"], "fewer than 9 fields");
    assert_eq!(rows[0]["raw"], "garbage line without fields");
    assert!(rows[0]["file"].as_str().unwrap().ends_with("fixtures/web/access.log"));
}

#[test]
fn output_and_errors_name_no_log_values() {
    let ws = Workspace::new();
    let human = ws.run(&[
        "ingest",
        "--now",
        NOW,
        fixture("signin").to_str().unwrap(),
        fixture("email").to_str().unwrap(),
        fixture("web").to_str().unwrap(),
        fixture("bad").to_str().unwrap(),
    ]);
    let all = format!("{}{}", human.stdout, human.stderr);
    for secret in [
        "jan.peeters",
        "eva.maes",
        "ouder.maes",
        "81.246.12.34",
        "2001:db8",
        "Rapport Eva",
        "wachtwoord",
        "garbage line",
    ] {
        assert!(!all.contains(secret), "output shows {secret}:\n{all}");
    }
    assert!(all.contains("rows stored"), "{all}");
}

#[test]
fn a_bad_file_is_a_clear_error_and_the_others_still_go_in() {
    let ws = Workspace::new();
    let run = ws.ingest(NOW, &[fixture("bad"), fixture("web/access.log")]);
    assert_eq!(run.code, 2);
    let out = run.json();
    let unknown = file_outcome(&out, "bad/unknown.txt");
    assert_eq!(unknown["status"], "error");
    let msg = unknown["error"].as_str().unwrap();
    assert!(msg.contains("unknown log format") && msg.contains("squid") && msg.contains("graph-json"), "{msg}");
    assert!(file_outcome(&out, "bad/not_signins.json")["error"].as_str().unwrap().contains("unknown log format"));
    assert!(file_outcome(&out, "bad/utf16.csv")["error"].as_str().unwrap().contains("UTF-16"));
    assert_eq!(file_outcome(&out, "web/access.log")["status"], "stored");
    assert_eq!(count_rows(&ws.store(), "web", ""), 5);
    // An empty log (a quiet day's rotation) is no error.
    std::fs::write(ws.path().join("mail.log"), "").unwrap();
    let run = ws.ingest(NOW, &[ws.path().join("mail.log")]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(file_outcome(&run.json(), "mail.log")["status"], "empty");
}

#[test]
fn a_forced_format_that_does_not_fit_is_refused_without_storing() {
    let ws = Workspace::new();
    let run =
        ws.run(&["ingest", "--now", NOW, "--format", "graph-json", fixture("bad/not_signins.json").to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("not a graph-json file"), "{}", run.stdout);
    let run = ws.run(&[
        "ingest",
        "--now",
        NOW,
        "--format",
        "loganalytics-csv",
        fixture("bad/wrong_header.csv").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("UserPrincipalName"), "{}", run.stdout);
    let run = ws.run(&["ingest", "--now", NOW, "--source", "signin", fixture("web/access.log").to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("holds web logs, not signin"), "{}", run.stdout);
    assert!(ws.parts().is_empty());
    assert!(ws.all_files().iter().all(|p| !p.to_string_lossy().contains("_tmp/")), "temporary files left behind");
}

#[test]
fn bad_flags_and_a_missing_config_exit_2() {
    let ws = Workspace::new();
    let run = ws.run(&["ingest", "--source", "dns", "x.log"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("\"dns\""), "{}", run.stderr);
    let run = ws.run(&["ingest", "--now", "gisteren", "x.log"]);
    assert_eq!(run.code, 2);
    let run = ws.run(&["--config", "/nonexistent/logwacht.toml", "ingest", "x.log"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("logwacht init"), "{}", run.stderr);
}

#[test]
fn a_second_writer_exits_75_naming_the_holder() {
    let ws = Workspace::new();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let _held = logwacht::store::lock::StoreLock::acquire(&ws.store(), "purge", now).unwrap();
    let run = ws.ingest(NOW, &[fixture("web/access.log")]);
    assert_eq!(run.code, 75);
    assert!(run.stderr.contains("logwacht purge") && run.stderr.contains("busy"), "{}", run.stderr);
}

#[test]
fn leftovers_of_a_crashed_ingest_are_removed_before_the_next_one() {
    let ws = Workspace::new();
    assert_eq!(ws.ingest(NOW, &[fixture("web/access.log")]).code, 0);
    // A crash after publishing a part but before the ledger line (its intent names it),
    // and one mid-write.
    let orphan = ws.store().join("web/date=2026-11-20/part-00000000deadbeef-0000.parquet");
    let kept = ws.parts()[0].clone();
    std::fs::copy(ws.store().join(&kept), &orphan).unwrap();
    let intent = serde_json::json!({
        "sha256": format!("00000000deadbeef{}", "0".repeat(48)),
        "files": ["web/date=2026-11-20/part-00000000deadbeef-0000.parquet"],
    });
    std::fs::write(ws.store().join("_tmp/commit-00000000deadbeef.json"), intent.to_string()).unwrap();
    std::fs::write(ws.store().join("_tmp/web-00000000deadbeef-20412.parquet.tmp"), b"PAR1").unwrap();
    assert_eq!(count_rows(&ws.store(), "web", ""), 10);
    assert_eq!(ws.ingest(NOW, &[fixture("web/combined.log")]).code, 0);
    assert!(!orphan.exists());
    assert!(ws.all_files().iter().all(|p| !p.to_string_lossy().contains("_tmp/")));
    assert_eq!(count_rows(&ws.store(), "web", ""), 9);
}

#[test]
fn the_real_samples_ingest_with_zero_rejected_rows() {
    let ws = Workspace::new();
    let run = ws.ingest("2015-05-21T00:00:00Z", &[fixture("samples/apache_combined_access.log")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(counts(&run.json(), "apache_combined_access.log"), (10_000, 0, 0));
    let run = ws.ingest("2023-08-28T00:00:00Z", &[fixture("samples/exchange2019_message_tracking.csv")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (stored, rejected, expired) = counts(&run.json(), "exchange2019_message_tracking.csv");
    assert_eq!((rejected, expired), (0, 0));
    assert!(stored >= 9, "{stored}");
    assert_eq!(
        count_rows(&ws.store(), "web", "WHERE date = '2015-05-17'"),
        count_rows(&ws.store(), "web", "WHERE event_time < TIMESTAMP '2015-05-18T00:00:00Z'")
    );
}

/// Rows the ledger says are stored, per the store's own commit record.
fn ledger_rows(store: &std::path::Path) -> i64 {
    std::fs::read_to_string(store.join("_ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| v["stored"].as_i64().unwrap())
        .sum()
}

fn total_rows(store: &std::path::Path) -> i64 {
    ["signin", "email", "web"].iter().map(|t| count_rows(store, t, "")).sum()
}

#[test]
fn an_ingest_killed_at_any_step_leaves_whole_files_and_a_consistent_ledger() {
    let ws = Workspace::new();
    let made = ws.run(&["--now", NOW, "generate", "--people", "15", "--days", "2", "--seed", "3", "--out", "school"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let logs = ws.path().join("school/logs");
    let ingest = |fail_after: Option<u64>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_logwacht"));
        cmd.current_dir(ws.path()).args(["ingest", "--now", NOW, logs.to_str().unwrap()]);
        if let Some(n) = fail_after {
            cmd.env("LOGWACHT_FAIL_AFTER", n.to_string());
        }
        cmd.output().unwrap()
    };
    let reset = || {
        let _ = std::fs::remove_dir_all(ws.store());
        std::fs::create_dir_all(ws.store()).unwrap();
    };
    reset();
    assert!(ingest(None).status.success());
    let clean = total_rows(&ws.store());
    assert!(clean > 0);
    assert_eq!(ledger_rows(&ws.store()), clean);
    let steps = std::fs::read_to_string(ws.store().join("_ledger.jsonl")).unwrap().lines().count() as u64 * 3;
    for n in 1..=steps {
        reset();
        let crashed = ingest(Some(n));
        if crashed.status.success() {
            break; // fewer steps than guessed: every crash point is covered
        }
        // Readers see whole files only: every visible part reads.
        let visible = total_rows(&ws.store());
        assert!(visible >= ledger_rows(&ws.store()), "step {n}: the ledger claims rows the store lacks");
        // The next run recovers (orphans out) and finishes: no row lost or doubled.
        assert!(ingest(None).status.success(), "step {n}: the next ingest failed");
        assert_eq!(total_rows(&ws.store()), clean, "step {n}");
        assert_eq!(ledger_rows(&ws.store()), clean, "step {n}");
    }
}

#[test]
fn sign_ins_are_placed_by_the_geoip_database_that_is_recorded_per_row() {
    let ws = Workspace::new();
    assert_eq!(ws.ingest(NOW, &[fixture("signin")]).code, 0);
    // 3.80.12.7 is in the US in the built-in database: one such sign-in per Microsoft
    // fixture file, two in Google's.
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE geo_country = 'US' AND geo_outcome = 'placed'"), 7);
    // Belgian addresses, IPv4 and IPv6, are placed in BE (a managed identity's and a
    // Google sign-in among them).
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE geo_country = 'BE'"), 12);
    assert_eq!(
        count_rows(
            &ws.store(),
            "signin",
            "WHERE geo_outcome IS NULL OR geo_database <> 'geo-whois-asn-country.mmdb' OR geo_build_epoch < 1700000000"
        ),
        0
    );
    // Microsoft's own country stays in its own column, whatever ours says.
    assert_eq!(count_rows(&ws.store(), "signin", "WHERE source_country = 'NL' AND geo_country = 'BE'"), 1);
}

#[test]
fn an_asn_database_in_the_config_adds_the_autonomous_system_columns() {
    let ws = Workspace::new();
    let cfg = std::fs::read_to_string(ws.path().join("logwacht.toml")).unwrap();
    let asn = fixture("geoip/maxmind-test").join("GeoLite2-ASN-Test.mmdb");
    std::fs::write(
        ws.path().join("logwacht.toml"),
        cfg.replace("asn_database = \"\"", &format!("asn_database = {:?}", asn.display().to_string())),
    )
    .unwrap();
    assert_eq!(ws.ingest(NOW, &[fixture("signin/graph_array.json")]).code, 0);
    // The tiny test database knows none of the fixture addresses: the columns are there, NULL.
    assert_eq!(
        count_rows(&ws.store(), "signin", "WHERE geo_asn IS NULL AND geo_as_org IS NULL AND geo_country IS NOT NULL"),
        2
    );
    // A country database given as the ASN database is refused.
    let wrong = fixture("geoip/maxmind-test").join("GeoIP2-Country-Test.mmdb");
    std::fs::write(
        ws.path().join("logwacht.toml"),
        cfg.replace("asn_database = \"\"", &format!("asn_database = {:?}", wrong.display().to_string())),
    )
    .unwrap();
    let run = ws.ingest(NOW, &[fixture("signin/graph_page.json")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("GeoIP2-Country-Test.mmdb") && run.stderr.contains("GeoLite2-ASN"), "{}", run.stderr);
}

#[test]
fn a_broken_or_wrong_geoip_database_stops_ingest_with_a_clear_error() {
    for (db, says) in [
        ("GeoIP2-City-Test-Broken-Double-Format.mmdb", "not a valid MaxMind DB"),
        ("GeoLite2-ASN-Test.mmdb", "Country or City"),
    ] {
        let ws = Workspace::new();
        let cfg = std::fs::read_to_string(ws.path().join("logwacht.toml")).unwrap();
        let path = fixture("geoip/maxmind-test").join(db);
        std::fs::write(
            ws.path().join("logwacht.toml"),
            cfg.replace("database = \"\"", &format!("database = {:?}", path.display().to_string())),
        )
        .unwrap();
        let run = ws.ingest(NOW, &[fixture("signin/graph_array.json")]);
        assert_eq!(run.code, 2, "{db}");
        assert!(run.stderr.contains(says) && run.stderr.contains(db), "{db}: {}", run.stderr);
        assert!(ws.parts().is_empty());
    }
}

/// Sign-in JSON is parsed on several threads in chunks; what reaches the store is still
/// the file's records in the file's order: every good line once, per day in line order,
/// every bad line rejected under its own number.
#[test]
fn sign_ins_parsed_in_parallel_keep_every_record_in_file_order() {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::Int64Type;
    let ws = Workspace::new();
    let first = std::fs::read_to_string(fixture("signin/diagnostic.json")).unwrap();
    let record = first.lines().next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.json");
    // More records than several chunks hold, over two days, with a broken line every 997.
    let mut text = String::new();
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    for line in 1..=12_000u64 {
        if line % 997 == 0 {
            text.push_str("{\"time\": \"2026-11-20T09:15:30Z\", \"category\": \"SignInLogs\", cut\n");
            bad.push(line);
        } else {
            let day = if line % 3 == 0 { "2026-11-19" } else { "2026-11-20" };
            text.push_str(&record.replace("2026-11-20", day));
            text.push('\n');
            good.push(line);
        }
    }
    std::fs::write(&path, text).unwrap();
    let run = ws.ingest(NOW, &[path]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(counts(&run.json(), "many.json"), (good.len() as u64, bad.len() as u64, 0));

    let mut stored = Vec::new();
    let parts = ws.parts();
    assert_eq!(parts.len(), 2, "one part per day: {parts:?}");
    for part in parts {
        let file = std::fs::File::open(ws.store().join(&part)).unwrap();
        let reader =
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
        let mut lines = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let col = batch.column_by_name("source_line").unwrap().as_primitive::<Int64Type>();
            lines.extend((0..col.len()).map(|i| col.value(i) as u64));
        }
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{part}: rows out of file order");
        stored.extend(lines);
    }
    stored.sort_unstable();
    assert_eq!(stored, good);

    let mut rejected: Vec<u64> = ws
        .all_files()
        .into_iter()
        .filter(|p| p.to_string_lossy().contains("_rejected"))
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["line"].as_u64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    rejected.sort_unstable();
    assert_eq!(rejected, bad);
}
