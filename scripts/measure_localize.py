"""How long `localize` takes on one case: reading the files, the models, writing the outputs.

Runs the CLI's steps in one process on examples/helsinki (GeoJSON in lon/lat + lat/lon
readings in dBm: the slowest input path), --repeats times after one warm-up, and prints
the median and p90 of each step (the first call of a process also pays torch's one-time
set-up, printed separately). The goal of issue #14: <= 1 s for LocNet + the classical
baselines on CPU.

Run: python scripts/measure_localize.py [--repeats 10] [--models locnet,strongest,centroid,pathloss]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from locnet.cases.load import build_case
from locnet.cases.localize import DEFAULT_MODELS, localize
from locnet.cases.outputs import write_outputs

EXAMPLES = REPO / "examples" / "helsinki"
CENTER = (60.17783108, 24.94904024)


def one_run(models: list[str], out: Path) -> dict[str, float]:
    """Seconds of each step of one `localize` (as the CLI does them)."""
    t0 = time.perf_counter()
    case = build_case(
        (EXAMPLES / "buildings.geojson").read_bytes(),
        "buildings.geojson",
        (EXAMPLES / "readings_latlon_dbm.csv").read_bytes(),
        "readings.csv",
        tx_power_dbm=23.0,
        center=CENTER,
    )
    t1 = time.perf_counter()
    answers, timing = localize(case, models, checkpoint_dir=REPO / "checkpoints")
    t2 = time.perf_counter()
    write_outputs(out, case, answers, timing)
    t3 = time.perf_counter()
    steps = {
        "read case": t1 - t0,
        "load models": timing["load_s"],
        "predict (all models)": timing["predict_s"],
        "write outputs": t3 - t2,
        "total": t3 - t0,
    }
    steps.update({f"  {a.label} model time": a.runtime_ms / 1000 for a in answers})
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS))
    args = parser.parse_args()
    models = args.models.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        first = one_run(models, Path(tmp))
        runs = [one_run(models, Path(tmp)) for _ in range(args.repeats)]
    print(
        f"localize on examples/helsinki (33 sensors; {', '.join(models)}), "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; seconds"
    )
    print(f"{'step':28s} {'first call':>10s} {'median':>8s} {'p90':>8s}")
    for key in first:
        values = np.array([r[key] for r in runs])
        print(
            f"{key:28s} {first[key]:10.3f} {np.median(values):8.3f} "
            f"{np.percentile(values, 90):8.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
