#!/usr/bin/env bash
# The whole comparison in one command, on both builds: build the compiled wheel into its venv,
# fetch wsgicors 0.7, time every contender and scenario (run.py), measure memory and gunicorn
# throughput (extra.py), profile the hot path, then write docs/benchmarks.md and
# docs/benchmarks.png and print the targets of issue 10. About eight minutes on two cores.
# Needs the dev extra, a C compiler and wrk:
#   python -m pip install -e '.[dev]' && apt-get install -y wrk
# The JSON results stay in benchmarks/ (untracked build outputs); the docs page is the report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/compiled-venv.sh build/benchmarks/venv
python benchmarks/legacy.py
python benchmarks/run.py -o benchmarks/results.json
python benchmarks/extra.py -o benchmarks/extra.json >/dev/null
python benchmarks/profile_hot_path.py -o benchmarks/profile.json
python benchmarks/report.py benchmarks/results.json benchmarks/extra.json \
    --profile benchmarks/profile.json
