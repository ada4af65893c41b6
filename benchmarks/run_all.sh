#!/usr/bin/env bash
# Run every benchmark (each compares against the tool a user would otherwise pick, in the same
# run, prints ratios and writes benchmarks/results/<name>.json). Needs ../shared/data for the
# real-data benchmarks. Extra arguments are ignored; set BENCH_ONLY=name to run one.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
for b in bench_natural_breaks bench_build bench_clusters bench_registry bench_web bench_register bench_security bench_report; do
  if [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$b" ]; then continue; fi
  echo "=== $b"
  "$PY" "benchmarks/$b.py"
done
