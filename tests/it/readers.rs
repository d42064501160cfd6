//! DuckDB and polars, the analyst's tools, read the store as a Hive-partitioned table and
//! count the same rows as logwacht (run by `.ci/run`, which installs them).
use std::process::Command;

use crate::util::{Workspace, count_rows, fixture};

#[test]
fn duckdb_and_polars_read_the_store_with_the_same_counts() {
    let have = Command::new("python3").args(["-c", "import duckdb, polars"]).status().is_ok_and(|s| s.success());
    if !have {
        assert!(
            std::env::var_os("LOGWACHT_REQUIRE_READERS").is_none(),
            "duckdb and polars are required here: python3 -m pip install duckdb polars"
        );
        eprintln!("skipped: python3 -m pip install duckdb polars to run this test");
        return;
    }
    let ws = Workspace::new();
    let run = ws.ingest("2026-11-22T03:00:00Z", &[fixture("signin"), fixture("email"), fixture("web")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let script = crate::util::repo().join("tests/read_store.py");
    let out = Command::new("python3").arg(script).arg(ws.store()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let counts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for table in ["signin", "email", "web"] {
        let ours = count_rows(&ws.store(), table, "");
        assert!(ours > 0);
        assert_eq!(counts["duckdb"][table].as_i64(), Some(ours), "duckdb {table}");
        assert_eq!(counts["polars"][table].as_i64(), Some(ours), "polars {table}");
        assert_eq!(counts["dates"][table].as_i64(), Some(0), "rows in the wrong date partition: {table}");
    }
}
