#!/usr/bin/env bash
# Runs the snapshot readers' property tests with many more cases than CI does, for a bounded
# time: FUZZ_CASES cases per property (default 20000), stopped after FUZZ_SECONDS (default 300).
# A failing case is shrunk and saved under crates/migrate/tests/*.proptest-regressions; commit it,
# so every later run (CI included) replays it first.
set -euo pipefail
cd "$(dirname "$0")/.."
cases="${FUZZ_CASES:-20000}"
seconds="${FUZZ_SECONDS:-300}"
echo "fuzzing the snapshot readers: $cases cases per property, at most $seconds s"
PROPTEST_CASES="$cases" timeout --foreground "$seconds" \
    cargo test --release -p stackport-migrate --test fuzz_readers -- --nocapture
