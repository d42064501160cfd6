"""Reads a logwacht store the way an analyst would, with DuckDB and with polars, and prints
the row count of each table per reader as JSON: {"duckdb": {"web": 9, ...}, "polars": {...}}.

Usage: python3 tests/read_store.py STORE
"""
import json
import os
import sys

import duckdb
import polars as pl

store = sys.argv[1]
out = {"duckdb": {}, "polars": {}, "dates": {}}
for table in ("signin", "email", "web"):
    pattern = os.path.join(store, table, "**", "*.parquet")
    if not os.path.isdir(os.path.join(store, table)):
        continue
    con = duckdb.connect()
    n = con.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning = true)", [pattern]
    ).fetchone()[0]
    out["duckdb"][table] = n
    # The Hive partition column must come through as the event's UTC date.
    bad = con.execute(
        "SELECT count(*) FROM read_parquet(?, hive_partitioning = true) "
        "WHERE CAST(date AS VARCHAR) <> strftime(event_time AT TIME ZONE 'UTC', '%Y-%m-%d')",
        [pattern],
    ).fetchone()[0]
    out["dates"][table] = bad
    lf = pl.scan_parquet(pattern, hive_partitioning=True)
    out["polars"][table] = lf.select(pl.len()).collect().item()
print(json.dumps(out))
