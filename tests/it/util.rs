//! A temporary workspace and a way to run the binary in it (after ripgrep's `TestCommand`).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture file or folder.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("fixtures").join(rel)
}

/// The shipped rule files: the `.sql` files directly in `queries/`, sorted (its `case/`
/// folder holds logwacht's own case queries, which are not rules).
pub fn shipped_rules() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("queries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "sql"))
        .collect();
    v.sort();
    v
}

/// A workspace made by `logwacht init` in a fresh temp dir.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

/// What a run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

impl Workspace {
    /// `logwacht init` in a new temp dir. The small fixtures make counts of 1 to 4 the
    /// rule, so the test workspaces show every count (`[audit] min_cell = 1`); the tests of
    /// small-cell suppression set it back to 5.
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace { dir };
        let r = ws.run(&["init", "."]);
        assert_eq!(r.code, 0, "init failed: {}", r.stderr);
        ws.set_min_cell(1);
        ws
    }

    /// Sets `[audit] min_cell` of this workspace's (or `config`'s) `logwacht.toml`.
    pub fn set_min_cell(&self, k: u64) {
        set_min_cell(&self.path().join("logwacht.toml"), k);
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> PathBuf {
        self.path().join("store")
    }

    /// Runs the binary in the workspace.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(
            Command::new(env!("CARGO_BIN_EXE_logwacht"))
                .args(args)
                .current_dir(self.path())
                .output()
                .expect("run logwacht"),
        )
    }

    /// `ingest --json --now NOW paths...`
    pub fn ingest(&self, now: &str, paths: &[PathBuf]) -> Run {
        let mut args: Vec<String> = vec!["ingest".into(), "--json".into(), "--now".into(), now.into()];
        args.extend(paths.iter().map(|p| p.display().to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&refs)
    }

    /// Every parquet file in the store, relative, sorted.
    pub fn parts(&self) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.store(), &mut out);
        let root = self.store();
        let mut rel: Vec<String> = out
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
            .collect();
        rel.sort();
        rel
    }

    /// Every file below the store, absolute.
    pub fn all_files(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        walk(&self.store(), &mut out);
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() { walk(&p, out) } else { out.push(p) }
    }
}

/// Sets `[audit] min_cell` in a `logwacht.toml`.
pub fn set_min_cell(config: &Path, k: u64) {
    let text = std::fs::read_to_string(config).unwrap();
    let re = regex::Regex::new(r"(?m)^min_cell = \d+$").unwrap();
    assert!(re.is_match(&text), "no min_cell line in {}", config.display());
    std::fs::write(config, re.replace(&text, format!("min_cell = {k}").as_str()).as_ref()).unwrap();
}

/// Runs `sql` over one table of a store through DataFusion, reading it as a Hive-partitioned
/// Parquet table exactly as an analyst's engine would; `None` when the table has no folder.
fn query_table(store: &Path, table: &str, sql: &str) -> Option<Vec<datafusion::arrow::record_batch::RecordBatch>> {
    use datafusion::prelude::{ParquetReadOptions, SessionContext};
    if !store.join(table).is_dir() {
        return None;
    }
    // The schema is given, so an emptied table (every partition purged) still reads.
    let schema = logwacht::schema::Source::parse(table).unwrap().schema();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    Some(rt.block_on(async {
        let ctx = SessionContext::new();
        let opts = ParquetReadOptions::default()
            .schema(&schema)
            .table_partition_cols(vec![("date".into(), datafusion::arrow::datatypes::DataType::Utf8)]);
        ctx.register_parquet(table, &format!("{}/", store.join(table).display()), opts).await.unwrap();
        ctx.sql(sql).await.unwrap().collect().await.unwrap()
    }))
}

/// Counts rows of one table of a store (0 when it has none).
pub fn count_rows(store: &Path, table: &str, filter: &str) -> i64 {
    use datafusion::arrow::array::Int64Array;
    let Some(batches) = query_table(store, table, &format!("SELECT count(*) AS n FROM {table} {filter}")) else {
        return 0;
    };
    batches[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0)
}

/// Every distinct non-empty value of one column of a store table, as text: what the
/// privacy scans look for in outputs.
pub fn distinct_texts(store: &Path, table: &str, column: &str) -> Vec<String> {
    use datafusion::arrow::array::{Array, AsArray};
    let sql = format!("SELECT DISTINCT CAST(\"{column}\" AS VARCHAR) AS v FROM {table} WHERE \"{column}\" IS NOT NULL");
    let mut out = Vec::new();
    for b in query_table(store, table, &sql).unwrap_or_default() {
        let col = datafusion::arrow::compute::cast(b.column(0), &datafusion::arrow::datatypes::DataType::Utf8).unwrap();
        let s = col.as_string::<i32>();
        out.extend((0..s.len()).filter(|i| s.is_valid(*i)).map(|i| s.value(i).to_string()).filter(|v| !v.is_empty()));
    }
    out
}
