"""Data benchmark: simulator seconds per radio map on one core, and cached vs PNG loader speed.

`python -m locnet bench data [--data DIR] [--json FILE]`. The loader comparison reads
the same items of the same split through LocalizationDataset (after its cache is
built; the build time is reported separately) and NaivePngDataset (the authors'
decode-every-item approach) in one run, and checks both give identical tensors.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from locnet.data import propagation
from locnet.data.dataset import LocalizationDataset, NaivePngDataset
from locnet.data.procedural import procedural_city
from locnet.data.propagation_params import PAPER_LIKE, random_params
from locnet.data.sampling import sample_transmitters
from locnet.errors import LocNetError
from locnet.evaluate.tables import portable_path
from locnet.files import PROJECT_ROOT, write_json_or_show

DEFAULT_DATA = PROJECT_ROOT / "data" / "demo"
LOADER_SPEEDUP_GOAL = 5.0


def _one_core() -> tuple[set[int] | None, str]:
    """Pin this process to one CPU (restored by the caller); returns the old affinity."""
    torch.set_num_threads(1)
    if hasattr(os, "sched_getaffinity"):
        old = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(old)})
        return old, f"pinned to CPU {min(old)}, torch threads 1"
    return None, "torch threads 1 (CPU pinning unsupported here)"


def bench_simulator(n_tx: int = 5, seed: int = 0) -> dict:
    """Seconds per radio map of simulate_batch on one core (paper-like and randomised)."""
    old_threads = torch.get_num_threads()
    old_affinity, how = _one_core()
    try:
        rng = np.random.default_rng(seed)
        env = procedural_city(seed)
        txs = sample_transmitters(env.buildings, n_tx, rng)
        propagation.simulate_batch(env.buildings, txs[:1], PAPER_LIKE, rng)  # warm-up
        timings = {}
        for name, params in (
            ("paper_like", PAPER_LIKE),
            ("randomized", random_params(rng)),
        ):
            start = time.perf_counter()
            propagation.simulate_batch(env.buildings, txs, params, rng)
            timings[name] = (time.perf_counter() - start) / n_tx
    finally:
        torch.set_num_threads(old_threads)
        if old_affinity is not None:
            os.sched_setaffinity(0, old_affinity)
    return {
        "sim_seconds_per_map": round(timings["paper_like"], 4),
        "sim_seconds_per_map_randomized": round(timings["randomized"], 4),
        "sim_maps_timed": n_tx,
        "sim_setup": how,
    }


def _rate(dataset, indices: list[int]) -> float:
    for i in indices[:3]:
        dataset[i]
    start = time.perf_counter()
    for i in indices:
        dataset[i]
    return len(indices) / (time.perf_counter() - start)


def bench_loader(data: Path, split: str = "test", n_items: int = 300) -> dict:
    """Samples/s of LocalizationDataset vs NaivePngDataset on the same items (one process)."""
    if n_items < 1:
        raise LocNetError(f"--items must be >= 1, got {n_items}")
    with tempfile.TemporaryDirectory(prefix="locnet-bench-cache-") as cache_dir:
        start = time.perf_counter()
        fast = LocalizationDataset(data, split, cache_dir=cache_dir)
        build_s = time.perf_counter() - start
        naive = NaivePngDataset(data, split)
        if len(fast) != len(naive) or len(fast) == 0:
            raise LocNetError(f"{data} has no '{split}' masks to benchmark; pick another --split")
        step = max(1, len(fast) // n_items)
        indices = list(range(0, len(fast), step))[:n_items]
        for i in indices[:: max(1, len(indices) // 10)]:
            if not torch.equal(fast[i]["input"], naive[i]["input"]):
                raise AssertionError(f"cached and PNG loaders disagree on item {i}")
        naive_rate = _rate(naive, indices)
        fast_rate = _rate(fast, indices)
        cache_bytes = sum(f.stat().st_size for f in Path(fast.cache_path).iterdir())
        n_samples = len(fast.sample_ids)
    return {
        "loader_split": split,
        "loader_items": len(indices),
        "cached_samples_per_s": round(fast_rate, 1),
        "naive_samples_per_s": round(naive_rate, 1),
        "loader_speedup": round(fast_rate / naive_rate, 2),
        "loader_speedup_goal": LOADER_SPEEDUP_GOAL,
        "cache_build_s": round(build_s, 3),
        "cache_bytes": cache_bytes,
        "cache_bytes_per_radio_map": round(cache_bytes / max(1, n_samples)),
    }


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", default=None, help=f"dataset folder (default: {DEFAULT_DATA.name} demo data)"
    )
    parser.add_argument("--split", default="test", help="split whose masks are loaded")
    parser.add_argument("--items", type=int, default=300, help="items timed per loader")
    parser.add_argument("--sim-maps", type=int, default=5, help="radio maps simulated")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")


def run(args: argparse.Namespace) -> int:
    if args.items < 1 or args.sim_maps < 1:
        raise LocNetError(
            f"--items and --sim-maps must be >= 1, got {args.items} and {args.sim_maps}"
        )
    data = Path(args.data) if args.data else DEFAULT_DATA
    results = {
        "data": portable_path(data),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
    }
    results.update(bench_simulator(args.sim_maps))
    results.update(bench_loader(data, args.split, args.items))
    for key, value in results.items():
        print(f"{key:<32} {value}")
    if args.json:
        print(f"wrote {write_json_or_show(args.json, results)}")
    return 0
