"""`python -m locnet generate`: simulate a dataset in the authors' RadioMapSeer layout.

Environments are real OpenStreetMap city tiles (whole cities kept in one split, see
splits.py) plus procedural cities; transmitters are drawn on outdoor pixels and radio
maps come from our propagation simulator with one fixed paper-like setting or
parameters randomised per map (domain randomisation). Test maps get masks per standard
rate in Test/rate_R/ folders; train/val maps get flat masks at random standard rates.
Everything is deterministic for a seed (independent of --workers), written atomically,
and an interrupted run resumes: finished maps are skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import multiprocessing
import os
import time
from pathlib import Path

import numpy as np

from locnet.constants import MASKS_PER_TX, RATES_PERCENT, SPLITS
from locnet.data import propagation
from locnet.data.generate_plan import (
    GenerateConfig,
    MapTask,
    is_finished,
    mask_plan,
    plan,
)
from locnet.data.sampling import sample_mask, sample_transmitters
from locnet.data.writer import DatasetWriter
from locnet.errors import LocNetError
from locnet.files import (
    atomic_write,
    claim_output_folder,
    ensure_writable_folder,
    output_entries,
    remove_stale_temps,
)

# The training set of the shipped checkpoints (not committed: deterministic, about 2 minutes
# and 126 MB on 2 cores); checkpoints/README.md and the "not installed" notes quote it.
TRAINING_SET = "data/train400"
TRAINING_SET_COMMAND = (
    f"python -m locnet generate --out {TRAINING_SET} --cities 400 --tx-per-city 16 --seed 1 "
    "--real-fraction 0.15 --paper-like --masks-per-tx 1 --workers 2"
)

SETTINGS_FILE = "generate.json"
SETTINGS_FORMAT = "locnet-generate/1"


def generate_map(task: MapTask) -> int:
    """Simulate and write one map (all transmitters and masks); returns the map id."""
    cfg = task.config
    rng = np.random.default_rng([cfg.seed, task.map_id, 1])
    txs = sample_transmitters(task.buildings, cfg.tx_per_city, rng)
    grays = propagation.simulate_batch(task.buildings, txs, task.params, rng)
    writer = DatasetWriter(task.out)
    for t, (xy, gray) in enumerate(zip(txs, grays)):
        writer.write_radio_map(task.map_id, t, np.asarray(gray, dtype=np.uint8))
        writer.write_antenna(task.map_id, t, (int(xy[0]), int(xy[1])))
        mask_rng = np.random.default_rng([cfg.seed, task.map_id, 4, t])
        for k, rate, folder_rate in mask_plan(task, t):
            mask = sample_mask(task.buildings, rate, mask_rng)
            writer.write_mask(task.split, task.map_id, t, k, mask, folder_rate)
    writer.write_buildings(task.map_id, task.buildings)
    return task.map_id


# Fields added after datasets were made: left out of generate.json at their default, so
# a folder written before them still resumes.
LATER_FIELDS = {"test_only": False}


def _settings(config: GenerateConfig) -> dict:
    values = json.loads(json.dumps(dataclasses.asdict(config)))
    for name, default in LATER_FIELDS.items():
        if values.get(name) == default:
            values.pop(name)
    return {"format": SETTINGS_FORMAT, **values}


def check_out(out: Path, config: GenerateConfig, flag: str = "--out") -> bool:
    """Whether `out` is a run of this command to resume (True) or new (False); LocNetError
    naming `flag` for a folder made with other settings or by something else. Writes
    nothing: `testset` checks both of its folders before it writes either."""
    settings_path = out / SETTINGS_FILE
    if settings_path.is_file():
        if json.loads(settings_path.read_text()) != _settings(config):
            raise LocNetError(
                f"{flag} {out} was generated with other settings ({settings_path}); resume "
                f"with the same options or choose a new {flag} folder"
            )
        return True
    if out.exists() and output_entries(out):
        raise LocNetError(
            f"{flag} {out} is not empty and was not made by generate; choose a new {flag} folder"
        )
    return False


def prepare_out(out: Path, config: GenerateConfig, flag: str = "--out") -> None:
    """Check --out before any simulation (check_out), then resume it (stale temps removed)
    or start it (generate.json written)."""
    resume = check_out(out, config, flag)
    ensure_writable_folder(out, flag)
    if resume:
        remove_stale_temps(out)  # left by a killed or out-of-space run
        return
    settings_path = out / SETTINGS_FILE
    atomic_write(settings_path, lambda p: p.write_text(json.dumps(_settings(config), indent=2)))


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def generate_dataset(
    out: str | os.PathLike,
    config: GenerateConfig,
    *,
    workers: int = 1,
    progress: bool = True,
    flag: str = "--out",
) -> dict:
    """Generate (or resume) a dataset; returns counts and timings. `out` is claimed for
    the run (locnet.files.claim_output_folder): a second generate on it fails at once."""
    config.validate()
    out = Path(out).expanduser()
    with claim_output_folder(out, flag=flag, resume=True):
        prepare_out(out, config, flag)
        return _generate(out, config, workers, progress)


def _generate(out: Path, config: GenerateConfig, workers: int, progress: bool) -> dict:
    start = time.perf_counter()
    tasks, table = plan(config, out)
    DatasetWriter(out).write_metadata(table)
    todo = [t for t in tasks if not is_finished(t)]
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), initial=len(tasks) - len(todo), unit="map", disable=not progress)
    if workers > 1 and len(todo) > 1:
        context = multiprocessing.get_context("spawn")
        with context.Pool(min(workers, len(todo)), initializer=_init_worker) as pool:
            for _ in pool.imap_unordered(generate_map, todo, chunksize=1):
                bar.update()
    else:
        for task in todo:
            generate_map(task)
            bar.update()
    bar.close()
    return {
        "maps": len(tasks),
        "generated": len(todo),
        "skipped": len(tasks) - len(todo),
        "radio_maps": len(tasks) * config.tx_per_city,
        "real_maps": int((~table["source"].str.startswith("procedural")).sum()),
        "splits": {s: int((table["split"] == s).sum()) for s in SPLITS},
        "seconds": round(time.perf_counter() - start, 2),
    }


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder (new, or a run to resume)")
    parser.add_argument("--cities", type=int, default=10, help="number of environments (maps)")
    parser.add_argument("--tx-per-city", type=int, default=8, help="transmitters per map")
    parser.add_argument("--seed", type=int, default=0)
    real = parser.add_mutually_exclusive_group()
    real.add_argument(
        "--real-fraction",
        type=float,
        default=0.5,
        help="share of real OSM city tiles (rest procedural; default 0.5)",
    )
    real.add_argument(
        "--real",
        dest="real_fraction",
        action="store_const",
        const=1.0,
        help="real city tiles for every map while they last, then procedural",
    )
    real.add_argument(
        "--procedural",
        dest="real_fraction",
        action="store_const",
        const=0.0,
        help="procedural cities only",
    )
    prop = parser.add_mutually_exclusive_group()
    prop.add_argument(
        "--randomize",
        dest="randomize",
        action="store_true",
        help="randomise propagation parameters per map (domain randomisation)",
    )
    prop.add_argument(
        "--paper-like",
        dest="randomize",
        action="store_false",
        help="one fixed paper-like propagation setting (default)",
    )
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=list(RATES_PERCENT),
        help="test-split sampling rates in %% (default 0.01 ... 0.1)",
    )
    parser.add_argument(
        "--masks-per-tx",
        type=int,
        default=MASKS_PER_TX,
        help="masks per transmitter (per rate on the test split)",
    )
    parser.add_argument(
        "--test-only",
        action="store_true",
        help="held-out environments only: test-city tiles, then procedural test maps",
    )
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    config = GenerateConfig(
        n_cities=args.cities,
        tx_per_city=args.tx_per_city,
        seed=args.seed,
        real_fraction=args.real_fraction,
        randomize=args.randomize,
        rates=tuple(args.rates),
        masks_per_tx=args.masks_per_tx,
        test_only=args.test_only,
    )
    summary = generate_dataset(args.out, config, workers=args.workers, progress=not args.quiet)
    splits = ", ".join(f"{k} {v}" for k, v in summary["splits"].items())
    print(
        f"{args.out}: {summary['maps']} maps ({summary['real_maps']} real tiles, "
        f"{summary['skipped']} already done), {summary['radio_maps']} radio maps, "
        f"maps per split: {splits}; {summary['seconds']} s"
    )
    return 0
