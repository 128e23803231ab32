"""Time the Explorer: model time per click (predict) and the page rerun after a click (AppTest).

    python scripts/measure_explorer.py [--data data/demo] [--checkpoints checkpoints] [--repeats 20]
    python scripts/measure_explorer.py > results/bench/explorer.txt   # the recorded numbers

Goals (docs): LocNet click -> heatmap <= 150 ms of model time on 2 CPU cores; page rerun
after a click <= 400 ms with LocNet's 50 % / 90 % credible regions drawn. A "click" here
adds one sensor through locnet.app.state (what the map's click handler does), so every
rerun runs LocNet again on a new case. Also timed: model time with test-time
augmentation (8 passes), and a rerun after a readout change (no model runs). Prints
median and 90th percentile; nothing is asserted (timings depend on the machine's load,
which is printed too). Without a LocNet checkpoint, one with random weights is used:
the timing does not depend on the weights.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

from locnet.app.clicks import add_sensor
from locnet.app.keys import (
    CHECKPOINT_DIR,
    DATASET_DIR,
    DEFAULT_RATE_PERCENT,
    MAP_ID,
    MODELS,
    READOUT,
    READOUT_AUTO,
    READOUT_CHOICES,
)
from locnet.errors import LocNetError
from locnet.evaluate.tables import portable_path

GOAL_MODEL_MS = 150.0
GOAL_RERUN_MS = 400.0


def summary(values_ms: list[float]) -> str:
    values = np.asarray(values_ms)
    return f"median {np.median(values):7.1f} ms   p90 {np.percentile(values, 90):7.1f} ms   (n={len(values)})"


def checkpoint_folder(folder: Path) -> tuple[Path, str]:
    """The folder if it holds a LocNet checkpoint, else a temp one with random weights."""
    from locnet.models.checkpoints import list_checkpoints, save_checkpoint
    from locnet.models.registry import create_model

    if any(c.model == "locnet" for c in list_checkpoints(folder)):
        return folder, f"from {portable_path(folder)}"
    tmp = Path(tempfile.mkdtemp(prefix="locnet-measure-"))
    save_checkpoint(tmp / "locnet.pt", "locnet", create_model("locnet"))
    return tmp, "random weights"


def clicks(buildings: np.ndarray, n: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """n distinct outdoor pixels to 'click' on."""
    outdoor = np.argwhere(buildings == 0)
    picks = outdoor[rng.choice(len(outdoor), size=n, replace=False)]
    return [(int(x), int(y)) for y, x in picks]


def measure_predict(dataset: Path, checkpoints: Path, repeats: int) -> list[float]:
    """Model time (Answer.runtime_ms, with the posterior's readouts and regions) of
    LocNet on the default case plus one click each; then a few with TTA."""
    from locnet.data.radiomapseer import open_dataset
    from locnet.data.sampling import n_sensors_for_rate, sample_mask
    from locnet.inference import load_model, predict

    ds = open_dataset(dataset)
    map_id, tx_id = (ds.samples_in("test") or ds.samples)[0]
    buildings, gray = ds.buildings(map_id), ds.radio_map(map_id, tx_id)
    rng = np.random.default_rng(0)
    mask = sample_mask(buildings, DEFAULT_RATE_PERCENT, rng)
    model = load_model(str(checkpoints / "locnet.pt"), checkpoints, "cpu")
    predict(model, buildings, mask=mask, radio_gray=gray)  # warm-up, as the app's loader does
    times, cpu = [], []
    for x, y in clicks(buildings, repeats, rng):
        mask = mask.copy()
        mask[y, x] = 1
        start = time.process_time()
        times.append(predict(model, buildings, mask=mask, radio_gray=gray).runtime_ms)
        cpu.append((time.process_time() - start) * 1000)
    print(
        f"LocNet predict, {n_sensors_for_rate(DEFAULT_RATE_PERCENT)}+ sensors, model time: {summary(times)}"
    )
    print(
        f"  CPU time of the same calls (all threads; ~ wall x threads when the machine is idle): "
        f"{summary(cpu)}"
    )
    tta = [
        predict(model, buildings, mask=mask, radio_gray=gray, tta=True).runtime_ms
        for _ in range(max(3, repeats // 4))
    ]
    print(f"  the same with test-time augmentation (8 passes):  {summary(tta)}")
    return times


def measure_reruns(
    dataset: Path, checkpoints: Path, repeats: int
) -> tuple[list[float], list[float]]:
    """AppTest wall time of a rerun after a click (LocNet runs) and of a rerun with no change."""
    from streamlit.testing.v1 import AppTest

    # AppTest runs pages outside a server: streamlit warns "missing ScriptRunContext" for
    # every cached call; those lines would bury the measurements.
    logging.disable(logging.WARNING)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state[DATASET_DIR] = str(dataset)
    at.session_state[CHECKPOINT_DIR] = str(checkpoints)
    at.session_state[MODELS] = ["LocNet"]
    at.switch_page("app_pages/explorer.py")  # the app opens on the landing page
    start = time.perf_counter()
    at.run()
    print(
        f"first page load (cold: imports, dataset, model warm-up): {time.perf_counter() - start:.1f} s"
    )
    if at.exception or at.error:
        raise LocNetError(
            f"the Explorer did not load: {[e.value for e in [*at.exception, *at.error]]}"
        )
    from locnet.data.radiomapseer import open_dataset

    buildings = open_dataset(dataset).buildings(at.session_state[MAP_ID])
    after_click, unchanged, readout_change = [], [], []
    readouts = [r for r in READOUT_CHOICES if r != READOUT_AUTO]
    for i, (x, y) in enumerate(clicks(buildings, repeats, np.random.default_rng(1))):
        add_sensor(at.session_state, buildings, x, y)
        start = time.perf_counter()
        at.run()
        after_click.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        at.run()
        unchanged.append((time.perf_counter() - start) * 1000)
        at.session_state[READOUT] = readouts[i % len(readouts)]
        start = time.perf_counter()
        at.run()
        readout_change.append((time.perf_counter() - start) * 1000)
        at.session_state[READOUT] = READOUT_AUTO
    assert not at.exception and len(at.dataframe) == 1, "the rerun did not produce results"
    spec = at.get("plotly_chart")[1].proto.spec
    assert '"contour"' in spec, "LocNet's figure has no credible regions"
    print(f"page rerun after a click (LocNet, regions drawn): {summary(after_click)}")
    print(f"page rerun after a readout change (no model run): {summary(readout_change)}")
    print(f"page rerun with nothing changed:                  {summary(unchanged)}")
    return after_click, unchanged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/demo", help="dataset folder (RadioMapSeer layout)")
    parser.add_argument("--checkpoints", default="checkpoints", help="checkpoint folder")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    dataset = Path(args.data).resolve()
    try:
        import torch

        from locnet.data.radiomapseer import open_dataset

        open_dataset(dataset)
        checkpoints, kind = checkpoint_folder(Path(args.checkpoints).resolve())
        print(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}; LocNet checkpoint: {kind}; "
            f"data: {portable_path(dataset)}"  # relative to the repository: no machine path
        )
        model_ms = measure_predict(dataset, checkpoints, args.repeats)
        rerun_ms, _ = measure_reruns(dataset, checkpoints, args.repeats)
    except LocNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"goals: model time <= {GOAL_MODEL_MS:.0f} ms -> median {statistics.median(model_ms):.0f} ms; "
        f"rerun <= {GOAL_RERUN_MS:.0f} ms -> median {statistics.median(rerun_ms):.0f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
