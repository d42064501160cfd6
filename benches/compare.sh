#!/usr/bin/env bash
# logwacht against DuckDB on the same generated files: see benches/compare.py.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
python3 -m pip install --quiet --disable-pip-version-check duckdb
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time
exec python3 benches/compare.py "$@"
