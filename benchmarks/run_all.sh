#!/usr/bin/env bash
# The whole comparison in one command: every contender and scenario (pyperf), memory and
# gunicorn throughput, the hot-path profile, then docs/benchmarks.md and docs/benchmarks.png.
# Takes about ten minutes on two cores. Needs the bench extra and wrk:
#   python -m pip install -e '.[bench]' && apt-get install -y wrk
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f benchmarks/results.json   # pyperf refuses to overwrite
python benchmarks/run.py -o benchmarks/results.json
python benchmarks/extra.py -o benchmarks/extra.json
python benchmarks/profile_hot_path.py -o benchmarks/profile.json
python benchmarks/report.py benchmarks/results.json benchmarks/extra.json \
    --profile benchmarks/profile.json
