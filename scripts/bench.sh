#!/usr/bin/env bash
# The benchmark of docs/performance.md, from one command:
#   scripts/bench.sh                      # 10^5 and 10^6 rows, then 1,000 tables + 5,000 configurations
#   scripts/bench.sh --rows 10000000      # any row counts, comma-separated
# Installs the sqlite3 shell (the baseline) when it is missing, builds the release binary, and
# runs `stackport bench`, which prints each figure beside the baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "installing the sqlite3 shell for the baseline" >&2
    if command -v apt-get >/dev/null 2>&1; then
        (apt-get install -y sqlite3 || (apt-get update && apt-get install -y sqlite3)) >/dev/null
    elif command -v brew >/dev/null 2>&1; then
        brew install sqlite >/dev/null
    else
        echo "cannot install sqlite3 here; install it and run again" >&2
        exit 1
    fi
fi
cargo build --release -p stackport
exec target/release/stackport bench --dir "${BENCH_DIR:-target/stackport-bench}" "$@"
