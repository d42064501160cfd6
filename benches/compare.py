"""End-to-end comparison: logwacht against DuckDB on the same files, same machine, same run.

    python3 benches/compare.py [--people N] [--days D] [--work DIR]

1. `logwacht generate` writes a school; its Squid day files are joined into one access.log
   and its diagnostic sign-in files into one JSON-lines file.
2. Squid -> Parquet: `logwacht ingest` into a fresh store, against DuckDB turning the same
   file into Parquet (zstd) with one `regexp_extract` over each line.
3. Sign-in JSON -> Parquet: `logwacht ingest` against DuckDB's `read_json` + COPY.
4. Log Analytics sign-in CSV -> Parquet (the generated weekly files, their rows repeated
   CSV_REPEAT times under one header): `logwacht ingest` against `read_csv` + COPY.
Prints wall seconds, peak memory (max RSS of the child) and the ratio for each.
Needs a release build (cargo build --release) and `pip install duckdb`.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "logwacht")
NOW = "2026-11-22T03:00:00Z"


def timed(cmd, **kw):
    """Runs cmd; returns (seconds, peak RSS of that command in MiB, from GNU time)."""
    t = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, **kw)
    secs = time.perf_counter() - t
    kib = int(res.stderr.strip().splitlines()[-1])
    return secs, kib / 1024


DUCK_SQUID = r"""
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads = 2")
# A progress bar on stdout would be read as the result (it was, once).
con.execute("SET enable_progress_bar = false")
con.execute('''
COPY (
  SELECT
    make_timestamp(CAST(CAST(m.t AS DOUBLE) * 1000000 AS BIGINT)) AS event_time,
    CAST(m.elapsed AS BIGINT) AS elapsed_ms, m.client AS client_ip, m.action AS cache_result,
    CAST(m.status AS INTEGER) AS http_status, CAST(m.bytes AS BIGINT) AS bytes, m.method AS method,
    m.url AS url, m.ident AS "user", m.hier AS hierarchy, m.ctype AS content_type
  FROM (
    SELECT regexp_extract(line,
      '^(\d+\.\d+)\s+(\d+)\s+(\S+)\s+([^/\s]+)/(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(\S*)',
      ['t','elapsed','client','action','status','bytes','method','url','ident','hier','ctype']) AS m
    FROM read_csv(?, columns = {'line': 'VARCHAR'}, header = false, delim = '\x01', quote = '', escape = '')
  )
) TO '__OUT__' (FORMAT parquet, COMPRESSION zstd)
'''.replace('__OUT__', sys.argv[2]), [sys.argv[1]])
"""

DUCK_JSON = r"""
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads = 2")
# A progress bar on stdout would be read as the result (it was, once).
con.execute("SET enable_progress_bar = false")
con.execute('''
COPY (
  SELECT CAST(properties.createdDateTime AS TIMESTAMPTZ) AS event_time,
         lower(properties.userPrincipalName) AS "user", properties.ipAddress AS ip,
         properties.status.errorCode = 0 AS success, properties.status.errorCode AS error_code,
         properties.appDisplayName AS app, properties.clientAppUsed AS client_app,
         properties.isInteractive AS interactive, properties.location.countryOrRegion AS source_country,
         category AS log_category, properties.id AS request_id
  FROM read_json(?, format = 'newline_delimited', maximum_object_size = 1048576)
) TO '__OUT__' (FORMAT parquet, COMPRESSION zstd)
'''.replace('__OUT__', sys.argv[2]), [sys.argv[1]])
"""


DUCK_CSV = r"""
import duckdb, sys
con = duckdb.connect()
con.execute("SET threads = 2")
con.execute("SET enable_progress_bar = false")
# Every column as DuckDB's sniffer types it: logwacht keeps fewer, DuckDB does less work per
# column it does not convert.
con.execute('''
COPY (SELECT * FROM read_csv(?, header = true)) TO '__OUT__' (FORMAT parquet, COMPRESSION zstd)
'''.replace('__OUT__', sys.argv[2]), [sys.argv[1]])
"""

# The generated school writes the Log Analytics CSV export for a few days only (a few MB):
# its rows are repeated this many times under one header for a file of a useful size.
CSV_REPEAT = 20


def join_csv(parts, path):
    """One CSV: the first file's header, then every file's rows, CSV_REPEAT times."""
    bodies = []
    header = None
    for p in parts:
        with open(p, "rb") as f:
            text = f.read()
        first, _, body = text.partition(b"\n")
        header = header or first + b"\n"
        bodies.append(body if body.endswith(b"\n") or not body else body + b"\n")
    with open(path, "wb") as out:
        out.write(header or b"")
        for _ in range(CSV_REPEAT):
            for b in bodies:
                out.write(b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=400)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--work", default="/tmp/logwacht-bench")
    ap.add_argument("--keep", action="store_true", help="reuse generated data in --work")
    args = ap.parse_args()
    work = args.work
    school = os.path.join(work, "school")
    if not (args.keep and os.path.isdir(school)):
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        subprocess.run([BIN, "--now", NOW, "generate", "--people", str(args.people), "--days", str(args.days),
                        "--seed", "1", "--out", school], check=True, stdout=subprocess.DEVNULL)
    inputs = {
        "squid": (sorted(glob.glob(os.path.join(school, "logs/web/access-*.log"))), "access.log", DUCK_SQUID),
        "signin-json": (sorted(glob.glob(os.path.join(school, "logs/signin/diagnostic-*.json"))), "signins.json", DUCK_JSON),
        "signin-csv": (sorted(glob.glob(os.path.join(school, "logs/signin/loganalytics-*.csv"))), "signins.csv", DUCK_CSV),
    }
    results = {}
    for name, (parts, joined, duck) in inputs.items():
        path = os.path.join(work, joined)
        if not (args.keep and os.path.exists(path)):
            if name == "signin-csv":
                join_csv(parts, path)
            else:
                with open(path, "wb") as out:
                    for p in parts:
                        with open(p, "rb") as f:
                            shutil.copyfileobj(f, out)
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            lines = sum(1 for _ in f)
        ws = os.path.join(work, "ws-" + name)
        shutil.rmtree(ws, ignore_errors=True)
        subprocess.run([BIN, "init", ws], check=True, stdout=subprocess.DEVNULL)
        ours, our_mem = timed([BIN, "--config", os.path.join(ws, "logwacht.toml"), "--now", NOW, "ingest", path])
        dout = os.path.join(work, name + "-duckdb.parquet")
        theirs, their_mem = timed([sys.executable, "-c", duck, path, dout])
        results[name] = {
            "lines": lines, "mb": round(size / 1e6, 1),
            "logwacht_s": round(ours, 2), "duckdb_s": round(theirs, 2),
            "ratio": round(theirs / ours, 2),
            "logwacht_mib": round(our_mem), "duckdb_mib": round(their_mem),
        }
        print(f"{name:12} {lines:>10} lines {size/1e6:8.1f} MB  logwacht {ours:6.2f} s ({our_mem:5.0f} MiB)"
              f"  duckdb {theirs:6.2f} s ({their_mem:5.0f} MiB)  ratio {theirs/ours:5.2f}x", flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
