#!/usr/bin/env bash
# Build the committed demo dataset data/demo (RadioMapSeer authors' layout, ~25 MB on disk):
# 40 environments (20 real OpenStreetMap tiles incl. the held-out test cities Helsinki and
# Florence, 20 procedural) x 8 transmitters, paper-like propagation, test masks at
# 0.01 ... 0.1 % (5 per rate), 5 flat masks per transmitter on train/val.
# Deterministic; re-running resumes/skips finished maps. To rebuild after a simulator
# change: rm -rf data/demo first. WORKERS=N sets the worker processes (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m locnet generate --out data/demo --cities 40 --tx-per-city 8 --seed 0 \
    --real-fraction 0.5 --paper-like --masks-per-tx 5 --workers "${WORKERS:-2}"
python -m locnet dataset-info data/demo
