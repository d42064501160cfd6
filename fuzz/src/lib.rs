//! What the fuzz targets share: each target hands its input to one of logwacht's readers
//! or loaders and checks what a correct result must satisfy. A panic, a hang (libFuzzer's
//! `-timeout`) or memory over the limit (`-rss_limit_mb`) is a finding; an error is not,
//! it is how bad input is meant to end.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use logwacht::ingest::record::Provenance;
use logwacht::ingest::sink::Window;
use logwacht::ingest::{Format, IngestContext, read_into};
use logwacht::store::Store;

/// The fixed "now" of every target: 2026-11-20T12:00:00Z.
const NOW_US: i64 = 1_795_694_400_000_000;
/// The smallest `[ingest] max_record_bytes` the config allows: short inputs reach the
/// over-long paths too.
const MAX_RECORD: usize = 4096;

/// A scratch folder for this process, on the RAM disk when there is one (the readers
/// sync what they write; on tmpfs that costs nothing).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        let dir = base.join(format!("logwacht-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    })
}

/// Writes `data` to a file of the scratch folder and returns its path.
pub fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    std::fs::write(&path, data).expect("the scratch file is written");
    path
}

fn context() -> &'static IngestContext {
    static CTX: OnceLock<IngestContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let now = chrono::DateTime::from_timestamp_micros(NOW_US).expect("a valid now");
        IngestContext {
            store: Store::new(scratch().join("store")),
            window: Window {
                cutoff_us: NOW_US - 28 * logwacht::calendar::DAY_US,
                future_us: NOW_US + 15 * 60_000_000,
                now_us: NOW_US,
                max_record: MAX_RECORD,
            },
            timezone: chrono_tz::Europe::Brussels,
            batch_rows: 64,
            now,
            // The built-in database places the sign-ins, as `ingest` does (GEO-1).
            geoip: Some(Arc::new(logwacht::enrich::geoip::GeoIp::builtin().expect("the built-in GeoIP database"))),
        }
    })
}

/// Reads `data` as `format` into a scratch store: the rows written must be the rows
/// counted as stored, and a rejected row keeps at most 4 KiB of its line.
pub fn read(format: Format, data: &[u8]) {
    static N: AtomicU64 = AtomicU64::new(0);
    let ctx = context();
    let stem = format!("fuzz-{}", N.fetch_add(1, Ordering::Relaxed));
    let prov = Provenance { format: format.name(), file: Arc::from("/fuzz/input") };
    let mut input = data;
    if let Ok((counts, parts, rejects)) = read_into(ctx, format, &mut input, stem, prov, Some(2026)) {
        let rows: u64 = parts.iter().map(|p| p.rows).sum();
        let elsewhere: u64 = counts.also_stored.values().sum();
        assert_eq!(rows, counts.stored + elsewhere, "rows in the parts and rows counted as stored");
        for r in &rejects {
            let text = std::fs::read_to_string(&r.tmp).expect("rejected rows are UTF-8 JSON lines");
            for line in text.lines() {
                let v: serde_json::Value = serde_json::from_str(line).expect("a rejected row is one JSON object");
                let raw = v["raw"].as_str().expect("a rejected row has its raw text");
                assert!(raw.len() <= 3 * MAX_RECORD + 64, "a rejected row keeps a bounded part of its line");
            }
        }
    }
    // Whatever the outcome, nothing is left for the next input.
    if let Ok(entries) = std::fs::read_dir(ctx.store.tmp_dir()) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}
