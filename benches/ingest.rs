//! Criterion benches of the ingest stage on seeded generated data: each line parser into
//! Arrow builders (rows/s, bytes/s), and whole files into a fresh Parquet store.
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use logwacht::ingest::record::{Batcher, Provenance, WebBatcher};
use logwacht::ingest::sink::Window;
use logwacht::ingest::{IngestContext, IngestOptions};
use logwacht::store::Store;
use logwacht::store::ledger::Ledger;

/// A line parser of a web format.
type Parse = for<'a> fn(&'a str) -> Result<logwacht::ingest::record::WebRecord<'a>, &'static str>;

const NOW: &str = "2026-11-22T03:00:00Z";

/// A generated school of `people` over `days`, written once per bench run.
fn school(people: u32, days: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let spec = logwacht::demo::Spec { people, days, seed: 42, ..Default::default() };
    logwacht::demo::write(dir.path(), &spec, now).unwrap();
    let logs = dir.path().join("logs");
    (dir, logs)
}

fn concat(files: &[PathBuf], out: &std::path::Path) -> u64 {
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    for f in files {
        w.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    w.flush().unwrap();
    std::fs::metadata(out).unwrap().len()
}

fn fixture_path(rel: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

/// Writes `header_lines` of a fixture once and the rest `times` times; returns the size.
fn repeat(fixture: &std::path::Path, header_lines: usize, times: usize, out: &std::path::Path) -> u64 {
    let text = std::fs::read(fixture).unwrap();
    let mut cut = 0;
    for _ in 0..header_lines {
        cut += text[cut..].iter().position(|b| *b == b'\n').unwrap() + 1;
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).unwrap());
    w.write_all(&text[..cut]).unwrap();
    for _ in 0..times {
        w.write_all(&text[cut..]).unwrap();
    }
    w.flush().unwrap();
    std::fs::metadata(out).unwrap().len()
}

fn files(dir: &std::path::Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    v.sort();
    v
}

fn parsers(c: &mut Criterion) {
    let (_keep, logs) = school(200, 2);
    let squid = std::fs::read_to_string(files(&logs.join("web"), "access-")[1].clone()).unwrap();
    let combined = std::fs::read_to_string(&files(&logs.join("web"), "www-access-")[1]).unwrap();
    let prov = Provenance { format: "bench", file: "/bench".into() };
    let mut g = c.benchmark_group("parse");
    for (name, text, parse) in [
        ("squid", &squid, logwacht::ingest::squid::parse_line as Parse),
        ("combined", &combined, logwacht::ingest::combined::parse_line as Parse),
    ] {
        let lines: Vec<&str> = text.lines().collect();
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(format!("{name} bytes"), |b| {
            b.iter(|| {
                let mut builder = WebBatcher::with_capacity(65536);
                for (i, l) in lines.iter().enumerate() {
                    let rec = parse(l).unwrap();
                    builder.push(&rec, &prov, i as u64);
                    if builder.len() == 65536 {
                        std::hint::black_box(builder.finish());
                    }
                }
                std::hint::black_box(builder.finish())
            })
        });
        g.throughput(Throughput::Elements(lines.len() as u64));
        g.bench_function(format!("{name} rows"), |b| b.iter(|| lines.iter().filter(|l| parse(l).is_ok()).count()));
    }
    g.finish();
}

fn into_store(c: &mut Criterion) {
    let (_keep, logs) = school(200, 3);
    let big = _keep.path().join("bench");
    std::fs::create_dir_all(&big).unwrap();
    let generated = [
        ("squid", files(&logs.join("web"), "access-"), "access.log"),
        ("graph-json", files(&logs.join("signin"), "graph-"), "graph.json"),
        ("azure-diagnostic", files(&logs.join("signin"), "diagnostic-"), "diagnostic.json"),
        ("exo-trace-csv", files(&logs.join("email"), "messagetrace-").into_iter().take(1).collect(), "trace.csv"),
    ];
    let mut inputs: Vec<(&str, PathBuf, u64)> = Vec::new();
    for (name, parts, file) in generated {
        let path = big.join(file);
        // Graph pages cannot be concatenated; take the first file alone for those.
        let bytes = if name == "graph-json" || name == "exo-trace-csv" {
            std::fs::copy(&parts[0], &path).unwrap()
        } else {
            concat(&parts, &path)
        };
        inputs.push((name, path, bytes));
    }
    // The formats the generator does not write: their fixtures' records, repeated.
    for (name, fixture, header_lines, file) in [
        ("loganalytics-csv", "signin/loganalytics.csv", 1, "la.csv"),
        ("exo-report-csv", "email/messagetrace_report.csv", 1, "report.csv"),
        ("exchange-tracking", "email/tracking.log", 5, "tracking.log"),
        // The generator's relay logs are small: the rules fixture (every header kind) instead.
        ("postfix", "rules/mail.log", 0, "mail.log"),
        ("entra-csv", "entra/InteractiveSignIns_2026-11-20_2026-11-21.csv", 1, "InteractiveSignIns_bench.csv"),
        ("ual-csv", "ual/AuditLog_2026-11-20_2026-11-21.csv", 1, "ual.csv"),
        ("fortigate", "firewall/fortigate.log", 0, "fortigate.log"),
        ("sophos", "firewall/sophos.log", 0, "sophos.log"),
    ] {
        let path = big.join(file);
        let times = if name == "postfix" { 2000 } else { 4000 };
        let bytes = repeat(&fixture_path(fixture), header_lines, times, &path);
        inputs.push((name, path, bytes));
    }
    let trace: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(fixture_path("email/messagetrace.json")).unwrap()).unwrap();
    let many: Vec<&serde_json::Value> = trace.iter().cycle().take(trace.len() * 4000).collect();
    let path = big.join("trace.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&many).unwrap()).unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    inputs.push(("exo-trace-json", path, bytes));
    // Google's login audit: the fixture page's sign-in items, 4000 times, as one page.
    let page: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture_path("signin/google_login.json")).unwrap()).unwrap();
    let items: Vec<&serde_json::Value> =
        page["items"].as_array().unwrap().iter().filter(|i| i["id"]["applicationName"] == "login").collect();
    let many: Vec<&serde_json::Value> = items.iter().copied().cycle().take(items.len() * 4000).collect();
    let path = big.join("google_login.json");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&serde_json::json!({"kind": "admin#reports#activities", "items": many})).unwrap(),
    )
    .unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    inputs.push(("google-login", path, bytes));
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let now_us = now.timestamp_micros();
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for (name, path, bytes) in inputs {
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(name, |b| {
            b.iter_batched(
                || tempfile::tempdir().unwrap(),
                |dir| {
                    let store = Store::new(dir.path());
                    store.create().unwrap();
                    let mut ledger = Ledger::load(&store.ledger_path()).unwrap();
                    let ctx = IngestContext {
                        store,
                        window: Window { cutoff_us: 0, future_us: now_us + 3_600_000_000, now_us, max_record: 1 << 20 },
                        timezone: chrono_tz::Europe::Brussels,
                        batch_rows: 65536,
                        now,
                        geoip: Some(std::sync::Arc::new(logwacht::enrich::geoip::GeoIp::builtin().unwrap())),
                    };
                    let t = Instant::now();
                    let stats = logwacht::ingest::run(
                        &ctx,
                        &mut ledger,
                        std::slice::from_ref(&path),
                        &IngestOptions::default(),
                    )
                    .unwrap();
                    assert_eq!(stats.failed(), 0);
                    std::hint::black_box(t.elapsed())
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn geoip(c: &mut Criterion) {
    use rand::{Rng, SeedableRng};
    let base = logwacht::enrich::geoip::GeoIp::builtin().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let distinct: Vec<String> =
        (0..10_000).map(|_| std::net::Ipv4Addr::from(rng.random::<u32>()).to_string()).collect();
    let repeated: Vec<&String> = (0..10_000).map(|i| &distinct[i % 50]).collect();
    let mut g = c.benchmark_group("geoip");
    g.throughput(Throughput::Elements(distinct.len() as u64));
    g.bench_function("lookups, all distinct", |b| {
        b.iter(|| {
            let mut geo = base.fork();
            distinct.iter().filter(|ip| geo.lookup(ip).country().is_some()).count()
        })
    });
    g.bench_function("lookups, 50 addresses repeated (cache)", |b| {
        b.iter(|| {
            let mut geo = base.fork();
            repeated.iter().filter(|ip| geo.lookup(ip).country().is_some()).count()
        })
    });
    g.finish();
}

/// WEB-1..WEB-5: matching requests against the UT1 lists (the full lists in the folder
/// `LOGWACHT_UT1_DIR` names, else the built-in sample): hosts and paths of a generated Squid log, every category the
/// default `[web]` groups name.
fn blocklist(c: &mut Criterion) {
    use logwacht::enrich::blocklist::Blocklist;
    let config =
        logwacht::config::Config::parse(std::path::Path::new("/b/logwacht.toml"), logwacht::config::TEMPLATE).unwrap();
    let mut cats: Vec<String> = config.category_groups.values().flatten().cloned().collect();
    cats.sort();
    cats.dedup();
    let full = std::env::var_os("LOGWACHT_UT1_DIR").map(std::path::PathBuf::from);
    let load = || match &full {
        Some(dir) => Blocklist::load(dir, &cats).unwrap(),
        None => Blocklist::builtin(&cats).unwrap(),
    };
    let list = load();
    let (_keep, logs) = school(200, 2);
    let squid = std::fs::read_to_string(files(&logs.join("web"), "access-")[1].clone()).unwrap();
    let requests: Vec<(String, Option<String>)> = squid
        .lines()
        .filter_map(|l| logwacht::ingest::squid::parse_line(l).ok())
        .filter_map(|r| Some((r.host?.to_ascii_lowercase(), r.path.map(str::to_string))))
        .collect();
    let mut g = c.benchmark_group("blocklist");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.bench_function(format!("load {} entries", list.len()), |b| b.iter(load));
    g.throughput(Throughput::Elements(requests.len() as u64));
    g.bench_function("match requests", |b| {
        b.iter(|| requests.iter().filter(|(h, p)| list.lookup(h, p.as_deref()) != 0).count())
    });
    g.finish();
}

/// Each rule over a generated store: 300 people, the last 7 of 14 days, in one
/// DataFusion session per purpose (as `audit` runs them).
fn rules(c: &mut Criterion) {
    let (keep, logs) = school(300, 14);
    let ws = keep.path().join("ws");
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let cfg = logwacht::workspace::create(&ws, None, None, NOW).unwrap();
    for f in ["people.csv", "travel_exceptions.csv"] {
        std::fs::copy(logs.parent().unwrap().join("reference").join(f), ws.join("reference").join(f)).unwrap();
    }
    let config = logwacht::config::Config::find(Some(&cfg)).unwrap();
    let store = logwacht::store::Store::new(&config.store_dir);
    store.create().unwrap();
    let lock = logwacht::store::lock::StoreLock::acquire(store.root(), "bench", now).unwrap();
    let geoip = std::sync::Arc::new(logwacht::enrich::geoip::GeoIp::configured(&config).unwrap());
    let stats = logwacht::commands::ingest::ingest_paths(
        &config,
        &lock,
        now,
        geoip,
        std::slice::from_ref(&logs),
        &IngestOptions::default(),
        None,
    )
    .unwrap();
    assert_eq!(stats.failed(), 0);
    let window = logwacht::rules::engine::Window { from: now - chrono::Duration::days(7), to: now };
    let engine = logwacht::rules::engine::Engine::new(
        &config,
        Some(&logwacht::pseudonym::load(&config.key_path()).unwrap()),
        window,
    )
    .unwrap();
    let mut g = c.benchmark_group("rules");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    for rule in logwacht::rules::configured(&config).unwrap() {
        g.bench_function(&rule.id, |b| {
            b.iter(|| engine.run(&rule).unwrap().iter().map(|b| b.num_rows()).sum::<usize>())
        });
    }
    g.finish();
}

criterion_group!(benches, parsers, into_store, geoip, blocklist, rules);
criterion_main!(benches);
