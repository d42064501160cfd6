//! Many schools, one provider (issue 19, part 3): three schools' workers and the
//! provider's coordinator as separate processes on loopback, started and stopped here.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::Workspace;

const NOW: &str = "2026-11-22T03:00:00Z";
const FROM: &str = "2026-11-16";
const TO: &str = "2026-11-22";

/// A worker process, killed when dropped.
struct WorkerProc {
    child: Child,
    addr: String,
    tmp: tempfile::TempDir,
}

impl Drop for WorkerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `logwacht worker` on a free loopback port, with a temp folder of its own (TMPDIR) to
/// show it writes nothing there; returns once it listens.
fn start_worker(dir: &Path) -> WorkerProc {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args(["--now", NOW, "worker", "--workspace", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some((_, addr)) = line.split_once("listening on ") {
                let _ = tx.send(addr.split_whitespace().next().unwrap_or_default().to_string());
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).expect("the worker printed its address");
    WorkerProc { child, addr, tmp }
}

/// Every file of a workspace but its trail (and the trail's lock), with its size.
fn files(dir: &Path) -> Vec<(PathBuf, u64)> {
    fn walk(d: &Path, out: &mut Vec<(PathBuf, u64)>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if !p.file_name().unwrap().to_string_lossy().starts_with("audit.log") {
                out.push((p.clone(), std::fs::metadata(&p).unwrap().len()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

fn trail(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("audit.log")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

fn federation_file(provider: &Path, name: &str, members: &[(&str, &str, &Path)]) -> PathBuf {
    let mut toml = String::from("[federation]\nname = \"Scholengroep Voorbeeld\"\n");
    for (id, addr, secret) in members {
        toml.push_str(&format!(
            "\n[[school]]\nid = \"{id}\"\nworker = \"{addr}\"\nsecret_file = \"{}\"\ncontact = \"dpo@{id}.example\"\n",
            secret.display()
        ));
    }
    let f = provider.join(name);
    std::fs::write(&f, toml).unwrap();
    f
}

/// A copy of a secret in the provider's folder, owner-only.
fn copy_secret(from: &Path, to: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::copy(from, to).unwrap();
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn three_schools_on_their_own_workers_give_their_own_findings_and_refuse_what_they_must() {
    let ws = Workspace::new();
    let provider = ws.path().join("provider");
    std::fs::create_dir_all(&provider).unwrap();
    let ids = ["sint-jan", "de-klimop", "atheneum"];
    let mut dirs = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let dir = ws.path().join(id);
        let r = ws.run(&[
            "--now",
            NOW,
            "demo",
            "--people",
            "40",
            "--seed",
            &(i + 1).to_string(),
            "--dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        // The third school has not enabled purpose f (cost and capacity) for its provider.
        let purposes =
            if i == 2 { "[\"a\", \"b\", \"c\", \"d\", \"e\"]" } else { "[\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]" };
        let cfg = dir.join("logwacht.toml");
        let text = std::fs::read_to_string(&cfg).unwrap();
        std::fs::write(&cfg, format!("{text}\n[worker]\nschool = \"{id}\"\npurposes = {purposes}\n")).unwrap();
        dirs.push(dir);
    }
    let mut workers: Vec<WorkerProc> = dirs.iter().map(|d| start_worker(d)).collect();
    let mut members = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let secret = provider.join(format!("{id}.secret"));
        copy_secret(&dirs[i].join("worker.secret"), &secret);
        members.push((*id, workers[i].addr.clone(), secret));
    }
    let m: Vec<(&str, &str, &Path)> = members.iter().map(|(i, a, s)| (*i, a.as_str(), s.as_path())).collect();
    let fed = federation_file(&provider, "federation.toml", &m);
    let f = fed.to_str().unwrap();
    let check = ws.run(&["federation", "check", "--file", f]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert_eq!(check.stdout.matches(": ok (worker reachable, secret readable)").count(), 3, "{}", check.stdout);
    let before: Vec<_> = dirs.iter().map(|d| files(d)).collect();
    let trail_before: Vec<usize> = dirs.iter().map(|d| trail(d).len()).collect();

    // Every automated rule, each planned once and run at each school by its own worker.
    let out = provider.join("all");
    let run = ws.run(&["federation", "audit", "--file", f, "--from", FROM, "--to", TO, "--out", out.to_str().unwrap()]);
    // The third school refused the purpose-f rules: recorded, and the run says so.
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("school atheneum refused rule cost_"), "{}{}", run.stdout, run.stderr);
    let summary = read_json(&out.join("federation-audit.json"));
    assert_eq!(summary["complete"], true, "{summary}");
    // Each school's file was written rule by rule and renamed into place: no part left.
    let names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    assert_eq!(names.len(), ids.len() + 4, "{names:?}");
    let mut small = 0;
    for (i, id) in ids.iter().enumerate() {
        // The same findings, row for row, as `audit run` in the school's own workspace.
        let own = Command::new(env!("CARGO_BIN_EXE_logwacht"))
            .args(["--now", NOW, "audit", "run", "--from", FROM, "--to", TO, "--json"])
            .current_dir(&dirs[i])
            .output()
            .unwrap();
        let own: serde_json::Value = serde_json::from_slice(&own.stdout).unwrap();
        let fed_rows = read_json(&out.join(format!("{id}.json")));
        let own = own.as_array().unwrap();
        let fed_rows = fed_rows.as_array().unwrap();
        assert_eq!(own.len(), fed_rows.len(), "{id}");
        let mut compared = 0;
        for (a, b) in own.iter().zip(fed_rows) {
            assert_eq!(a["id"], b["id"]);
            if i == 2 && a["purpose"] == "f" {
                assert!(b["refused"].as_str().unwrap().contains("purpose f is not among"), "{b}");
                assert!(b["rows"].as_array().unwrap().is_empty());
                continue;
            }
            assert_eq!(a, b, "{id}: {}", a["id"]);
            compared += 1;
        }
        assert!(compared >= 15, "{id}: {compared}");
        // Small counts stay suppressed as the school's own threshold says.
        small += fed_rows.iter().filter(|r| r["findings"] == "< 5").count();
        // Every rule the worker ran is in the school's trail, by the provider's group.
        let lines = trail(&dirs[i]);
        let new = &lines[trail_before[i]..];
        let runs = new
            .iter()
            .filter(|e| e["command"] == "audit" && e["operator"] == "federation Scholengroep Voorbeeld")
            .count();
        let refusals: Vec<_> = new.iter().filter(|e| e["command"] == "worker refused").collect();
        if i == 2 {
            assert_eq!(runs + refusals.len(), own.len(), "{id}: one line per rule");
            assert!(
                refusals.iter().all(|e| e["details"]["reason"].as_str().unwrap().contains("purpose f")),
                "{refusals:?}"
            );
        } else {
            assert_eq!(runs, own.len(), "{id}: one trail line per rule");
            assert!(refusals.is_empty(), "{refusals:?}");
        }
        // Nothing from any school's people in the provider's files.
        let people = std::fs::read_to_string(dirs[i].join("reference/people.csv")).unwrap();
        for file in std::fs::read_dir(&out).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            for line in people.lines().skip(1) {
                let cols: Vec<&str> = line.split(',').collect();
                assert!(!text.contains(cols[0]) && !text.contains(cols[2]), "names {}", cols[2]);
            }
        }
    }

    assert!(small > 0, "no small cell to check the suppression on");
    // The group report of the same run: each school's cell as the school shows it (a rule
    // the school refused: not run), totals withheld wherever a cell is small.
    let group = read_json(&out.join("group-report.json"));
    assert_eq!(group["complete"], true);
    assert_eq!(group["min_cell"], 5);
    let mut withheld = 0;
    for g in group["rules"].as_array().unwrap() {
        let cells = g["cells"].as_array().unwrap();
        for (i, id) in ids.iter().enumerate() {
            let own = read_json(&out.join(format!("{id}.json")));
            let r = own.as_array().unwrap().iter().find(|r| r["id"] == g["id"]).unwrap();
            if r["refused"].is_string() {
                assert!(cells[i].is_null(), "{g}");
            } else {
                assert_eq!(cells[i], r["findings"], "{id} {g}");
            }
        }
        if cells.iter().any(|c| c.is_string()) {
            withheld += 1;
            assert_eq!(g["total"], "withheld", "{g}");
        } else {
            let sum: u64 = cells.iter().filter_map(|c| c.as_u64()).sum();
            assert_eq!(g["total"].as_u64(), Some(sum), "{g}");
        }
    }
    assert!(withheld > 0, "a small cell withholds its rule's total");
    for file in ["group-report.md", "group-report.html"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(text.contains("Scholengroep Voorbeeld") && !text.contains("p1-"), "{file}");
    }

    // The week's group report with the schools on their workers: the weekly audit's rules
    // (the automated and the sampled ones) counted where each school's data is; compared
    // below with the same schools' own weekly audits in their workspaces.
    let week = provider.join("week");
    let run = ws.run(&["federation", "report", "--file", f, "--week", "2026-W47", "--out", week.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout.matches(": audited").count(), 3, "{}", run.stdout);
    let weekly = read_json(&week.join("group-report.json"));
    assert_eq!(weekly["complete"], true, "{weekly}");
    assert_eq!(weekly["label"], "2026-W47");
    let weekly_ids: Vec<&serde_json::Value> = weekly["rules"].as_array().unwrap().iter().map(|r| &r["id"]).collect();
    for g in group["rules"].as_array().unwrap() {
        assert!(weekly_ids.contains(&&g["id"]), "{}", g["id"]);
    }
    assert!(weekly_ids.len() > group["rules"].as_array().unwrap().len(), "the sampled rules count too");

    // A provider's rule that selects `sender`: each worker's output gate refuses it, and
    // its trail says so.
    let rules = provider.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("senders.sql"),
        "-- id: senders\n-- purpose: a\n-- requirement: MAIL-1\n-- severity: low\n-- mode: automated\n-- summary.en: senders\n-- summary.nl: afzenders\nSELECT sender AS who FROM email\n",
    )
    .unwrap();
    let run = ws.run(&[
        "federation",
        "audit",
        "--file",
        f,
        "--from",
        FROM,
        "--to",
        TO,
        "--rules",
        rules.to_str().unwrap(),
        "--out",
        provider.join("senders").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    for (i, id) in ids.iter().enumerate() {
        let got = read_json(&provider.join(format!("senders/{id}.json")));
        let refused = got[0]["refused"].as_str().unwrap_or_default();
        assert!(refused.contains("sender") || refused.contains("identity"), "{id}: {got}");
        assert!(got[0]["rows"].as_array().unwrap().is_empty());
        let last = trail(&dirs[i]).into_iter().rev().find(|e| e["command"] == "worker refused").unwrap();
        assert_eq!(last["scope"]["asked"], "senders", "{last}");
    }

    // A client without the school's credentials, or with another school's, is refused by
    // the worker, recorded in its trail; the coordinator names the school and exits 2.
    let wrong = provider.join("wrong.secret");
    std::fs::write(&wrong, "0".repeat(64)).unwrap();
    copy_secret(&wrong, &provider.join("wrong2.secret"));
    // sint-jan with a wrong secret; de-klimop's id and secret sent to atheneum's worker.
    let bad = federation_file(
        &provider,
        "bad.toml",
        &[(ids[0], &members[0].1, &provider.join("wrong2.secret")), (ids[1], &members[2].1, &members[1].2)],
    );
    let run = ws.run(&[
        "federation",
        "audit",
        "--file",
        bad.to_str().unwrap(),
        "--from",
        FROM,
        "--to",
        TO,
        "--rule",
        "signin_outside_allowed_countries",
        "--out",
        provider.join("bad").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(&format!("school {}: NOT AUDITED", ids[0])), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("school {}: NOT AUDITED", ids[1])), "{}", run.stdout);
    assert!(run.stdout.contains("INCOMPLETE"), "{}", run.stdout);
    assert_eq!(read_json(&provider.join("bad/federation-audit.json"))["complete"], false);
    let reasons = |dir: &Path| -> Vec<String> {
        trail(dir)
            .into_iter()
            .filter(|e| e["command"] == "worker refused" && e["scope"]["asked"] == "connection")
            .map(|e| e["details"]["reason"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(reasons(&dirs[0]).iter().any(|r| r.contains("not this school's")), "{:?}", reasons(&dirs[0]));
    assert!(reasons(&dirs[2]).iter().any(|r| r.contains("does not serve")), "{:?}", reasons(&dirs[2]));
    // And one with no token at all, through the library (the CLI always sends one).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut bare = logwacht::federation::coordinator::Target::new(ids[0], &members[0].1, b"x").unwrap();
    bare.token.clear();
    let fragment = logwacht::federation::fragment::Fragment {
        schools: Vec::new(),
        rule_file: "signin_outside_allowed_countries.sql".into(),
        rule_text: std::fs::read_to_string(crate::util::repo().join("queries/signin_outside_allowed_countries.sql"))
            .unwrap(),
        from: FROM.parse().unwrap(),
        to: TO.parse().unwrap(),
        group: "g".into(),
        weekly: false,
    };
    let err = rt.block_on(logwacht::federation::coordinator::run_once(&[bare], fragment)).unwrap_err().to_string();
    assert!(err.contains("refused") || err.contains("without a token"), "{err}");

    // A plan that reads the school's files itself (the directory's addresses, as a CSV
    // scan) is refused by the worker whatever it selects: only rule fragments run there.
    let good = logwacht::federation::coordinator::Target::new(
        ids[0],
        &members[0].1,
        &logwacht::federation::worker::read_secret(&members[0].2).unwrap(),
    )
    .unwrap();
    let people = dirs[0].join("reference/people.csv");
    let err = rt
        .block_on(async {
            let ctx = datafusion::prelude::SessionContext::new();
            ctx.register_csv("people", people.to_str().unwrap(), Default::default()).await?;
            let plan = ctx.sql("SELECT * FROM people").await?.create_physical_plan().await?;
            logwacht::federation::coordinator::run_plan(
                std::slice::from_ref(&good),
                &[ids[0].to_string(), ids[0].to_string()],
                plan,
            )
            .await
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("refused by the worker of sint-jan"), "{err}");
    let last = trail(&dirs[0]).into_iter().rev().find(|e| e["command"] == "worker refused").unwrap();
    assert_eq!(last["scope"]["asked"], "plan fragment", "{last}");
    assert!(last["details"]["reason"].as_str().unwrap().contains("DataSourceExec"), "{last}");

    // A worker killed mid-run: named, the others finish, INCOMPLETE, exit 2.
    let lines = |dir: &Path| std::fs::read_to_string(dir.join("audit.log")).unwrap().matches('\n').count();
    let before_kill = lines(&dirs[2]);
    let out = provider.join("killed");
    let coordinator = Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args([
            "federation",
            "audit",
            "--file",
            f,
            "--from",
            FROM,
            "--to",
            TO,
            "--timeout",
            "120",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while lines(&dirs[2]) == before_kill {
        assert!(start.elapsed() < Duration::from_secs(120), "the third worker never ran a rule");
        std::thread::sleep(Duration::from_millis(20));
    }
    let killed = workers.remove(2);
    drop(killed);
    let done = coordinator.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert_eq!(done.status.code(), Some(2), "{stdout}{}", String::from_utf8_lossy(&done.stderr));
    assert!(stdout.contains("school atheneum: NOT AUDITED") && stdout.contains("INCOMPLETE"), "{stdout}");
    let summary = read_json(&out.join("federation-audit.json"));
    assert_eq!(summary["complete"], false);
    let rules_n = summary["rules"].as_array().unwrap().len();
    for (i, id) in ids.iter().enumerate().take(2) {
        assert_eq!(summary["schools"][i]["status"], "complete", "{summary}");
        assert_eq!(
            read_json(&out.join(format!("{id}.json"))),
            read_json(&provider.join(format!("all/{id}.json"))),
            "{id}"
        );
        assert_eq!(read_json(&out.join(format!("{id}.json"))).as_array().unwrap().len(), rules_n);
    }
    assert_eq!(summary["schools"][2]["status"], "incomplete");
    assert!(summary["schools"][2]["rules_run"].as_u64().unwrap() < rules_n as u64);

    // RET-1: no worker left anything on its school's disk but trail lines, nor in its
    // temp folder.
    for (i, d) in dirs.iter().enumerate() {
        assert_eq!(files(d), before[i], "{}", ids[i]);
    }
    for w in &workers {
        assert_eq!(std::fs::read_dir(w.tmp.path()).unwrap().count(), 0);
    }

    // The same schools as workspaces this machine reaches: each school's own weekly audit in
    // its workspace gives the cells its worker gave (but the purpose-f rules atheneum's
    // worker refused, which its own weekly audit runs).
    let mut toml = String::from("[federation]\nname = \"Scholengroep Voorbeeld\"\n");
    for (id, d) in ids.iter().zip(&dirs) {
        toml.push_str(&format!(
            "\n[[school]]\nid = \"{id}\"\nworkspace = \"{}\"\ncontact = \"dpo@{id}.example\"\n",
            d.display()
        ));
    }
    let local = provider.join("local.toml");
    std::fs::write(&local, toml).unwrap();
    let out = provider.join("week-local");
    let run = ws.run(&[
        "--now",
        NOW,
        "federation",
        "report",
        "--file",
        local.to_str().unwrap(),
        "--week",
        "2026-W47",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let on_disk = read_json(&out.join("group-report.json"));
    let mut compared = 0;
    for g in weekly["rules"].as_array().unwrap() {
        let l = on_disk["rules"].as_array().unwrap().iter().find(|r| r["id"] == g["id"]).unwrap();
        for i in 0..ids.len() {
            if !g["cells"][i].is_null() {
                assert_eq!(g["cells"][i], l["cells"][i], "{} {}", ids[i], g["id"]);
                compared += 1;
            }
        }
    }
    assert!(compared >= 45, "{compared}");
}

/// `openssl` as a provider would run it: a CA, and a certificate it signs.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA `name` and, signed by it, a certificate for the worker (127.0.0.1) and one for
/// the coordinator, EC P-256 as README "For a provider" makes them.
fn provider_ca(dir: &Path, name: &str) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let (ca_key, ca_crt, subject) = (format!("{name}-ca.key"), format!("{name}-ca.crt"), format!("/CN={name} CA"));
    let ca =
        [&["req", "-x509"][..], &ec, &["-keyout", &ca_key, "-out", &ca_crt, "-days", "2", "-subj", &subject]].concat();
    openssl(dir, &ca);
    for (who, ext) in [
        ("worker", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
        ("coordinator", "extendedKeyUsage=clientAuth\n"),
    ] {
        let (key, csr, crt, extf) = (
            format!("{name}-{who}.key"),
            format!("{name}-{who}.csr"),
            format!("{name}-{who}.crt"),
            format!("{name}-{who}.ext"),
        );
        std::fs::write(dir.join(&extf), format!("basicConstraints=CA:FALSE\n{ext}")).unwrap();
        openssl(dir, &[&["req"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", &format!("/CN={who}")]].concat());
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &format!("{name}-ca.crt"),
                "-CAkey",
                &format!("{name}-ca.key"),
                "-CAcreateserial",
                "-out",
                &crt,
                "-days",
                "2",
                "-extfile",
                &extf,
            ],
        );
    }
}

#[test]
fn a_worker_with_mutual_tls_answers_the_providers_certificate_only() {
    let ws = Workspace::new();
    let dir = ws.path().join("school");
    let r = ws.run(&["--now", NOW, "demo", "--people", "30", "--seed", "4", "--dir", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cfg = dir.join("logwacht.toml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        format!("{text}\n[worker]\nschool = \"sint-jan\"\npurposes = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\"]\n"),
    )
    .unwrap();
    let pki = ws.path().join("pki");
    std::fs::create_dir_all(&pki).unwrap();
    provider_ca(&pki, "provider");
    provider_ca(&pki, "stranger");
    let p = |f: &str| pki.join(f).to_str().unwrap().to_string();
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args(["--now", NOW, "worker", "--workspace", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .args([
            "--tls-cert",
            &p("provider-worker.crt"),
            "--tls-key",
            &p("provider-worker.key"),
            "--tls-client-ca",
            &p("provider-ca.crt"),
        ])
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.by_ref().map_while(Result::ok).find(|l| l.contains("listening on ")).unwrap();
    assert!(line.contains("mutual TLS"), "{line}");
    let addr = line.split("listening on ").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    let worker = WorkerProc { child, addr: addr.clone(), tmp };
    let secret = ws.path().join("sint-jan.secret");
    copy_secret(&dir.join("worker.secret"), &secret);
    let fed = |name: &str, who: &str| {
        let f = ws.path().join(name);
        std::fs::write(
            &f,
            format!(
                "[federation]\nname = \"G\"\ntls_ca = \"{}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n\n[[school]]\nid = \"sint-jan\"\nworker = \"{addr}\"\nsecret_file = \"{}\"\n",
                p("provider-ca.crt"),
                p(&format!("{who}-coordinator.crt")),
                p(&format!("{who}-coordinator.key")),
                secret.display()
            ),
        )
        .unwrap();
        f
    };
    let run = |file: &Path, out: &str| {
        ws.run(&[
            "federation",
            "audit",
            "--file",
            file.to_str().unwrap(),
            "--from",
            FROM,
            "--to",
            TO,
            "--rule",
            "signin_outside_allowed_countries",
            "--out",
            ws.path().join(out).to_str().unwrap(),
        ])
    };
    // The provider's coordinator: the same findings as the school's own run.
    let ok = run(&fed("ok.toml", "provider"), "ok");
    assert!(ok.code == 0 || ok.code == 1, "{}{}", ok.stdout, ok.stderr);
    let own = Command::new(env!("CARGO_BIN_EXE_logwacht"))
        .args([
            "--now",
            NOW,
            "audit",
            "run",
            "--from",
            FROM,
            "--to",
            TO,
            "--rule",
            "signin_outside_allowed_countries",
            "--json",
        ])
        .current_dir(&dir)
        .output()
        .unwrap();
    let own: serde_json::Value = serde_json::from_slice(&own.stdout).unwrap();
    assert_eq!(read_json(&ws.path().join("ok/sint-jan.json")), own);
    // A coordinator whose certificate another CA signed: no connection, the school named.
    let stranger = run(&fed("stranger.toml", "stranger"), "stranger");
    assert_eq!(stranger.code, 2, "{}{}", stranger.stdout, stranger.stderr);
    assert!(stranger.stdout.contains("school sint-jan: NOT AUDITED"), "{}", stranger.stdout);
    // And one without TLS at all (the library's plain channel): no answer either.
    let plain = logwacht::federation::coordinator::Target::new(
        "sint-jan",
        &addr,
        &logwacht::federation::worker::read_secret(&secret).unwrap(),
    )
    .unwrap();
    let fragment = logwacht::federation::fragment::Fragment {
        schools: Vec::new(),
        rule_file: "signin_outside_allowed_countries.sql".into(),
        rule_text: std::fs::read_to_string(crate::util::repo().join("queries/signin_outside_allowed_countries.sql"))
            .unwrap(),
        from: FROM.parse().unwrap(),
        to: TO.parse().unwrap(),
        group: "g".into(),
        weekly: false,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let plain = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), logwacht::federation::coordinator::run_once(&[plain], fragment))
            .await
    });
    assert!(matches!(plain, Ok(Err(_)) | Err(_)), "a plain client got an answer");
    drop(worker);
}
