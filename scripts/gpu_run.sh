#!/usr/bin/env bash
# The one-command GPU run: bash scripts/gpu_run.sh OUT [--minutes M] (see scripts/gpu_run.py).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 scripts/gpu_run.py "$@"
