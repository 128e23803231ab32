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
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from locnet.constants import MASKS_PER_TX, RATES_PERCENT, SPLITS
from locnet.data.radiomapseer import DatasetWriter
from locnet.data.sampling import n_sensors_for_rate, sample_mask, sample_transmitters
from locnet.data.splits import split_of
from locnet.errors import LocNetError
from locnet.files import atomic_write, ensure_writable_folder, remove_stale_temps

SETTINGS_FILE = "generate.json"
SETTINGS_FORMAT = "locnet-generate/1"
PROCEDURAL_SHARE = {"train": 0.8, "val": 0.1, "test": 0.1}
PROCEDURAL_SEED_STRIDE = 100_000  # procedural seeds of run seed s: s * stride + 0, 1, ...


@dataclass(frozen=True)
class GenerateConfig:
    """What to generate; the whole dataset is a pure function of this."""

    n_cities: int
    tx_per_city: int
    seed: int = 0
    real_fraction: float = 0.5
    randomize: bool = False
    rates: tuple[float, ...] = RATES_PERCENT  # test split: one folder per rate
    masks_per_tx: int = MASKS_PER_TX
    train_rates: tuple[float, ...] = RATES_PERCENT  # train/val: flat masks at these rates

    def validate(self) -> None:
        if self.n_cities < 1 or self.tx_per_city < 1 or self.masks_per_tx < 1:
            raise LocNetError("--cities, --tx-per-city and --masks-per-tx must be at least 1")
        if not 0.0 <= self.real_fraction <= 1.0:
            raise LocNetError(f"--real-fraction {self.real_fraction} must be between 0 and 1")
        for rate in (*self.rates, *self.train_rates):
            n_sensors_for_rate(rate)


@dataclass
class MapTask:
    """One environment to simulate and write (picklable for worker processes)."""

    out: str
    map_id: int
    split: str
    buildings: np.ndarray
    params: object
    config: GenerateConfig
    files: list[str] = field(default_factory=list)


def _backends():
    from locnet.data import cities, propagation

    return cities, propagation


def _select_real(real: list, n_real: int, rng: np.random.Generator) -> list:
    """Round-robin over cities (held-out test/val cities first) so small sets cover them."""
    by_city: dict[str, list] = {}
    for env in sorted(real, key=lambda e: e.env_id):
        by_city.setdefault(env.city, []).append(env)
    rank = {"test": 0, "val": 1, "train": 2}
    cities = sorted(by_city, key=lambda c: (rank[split_of(by_city[c][0])], c))
    for city in cities:
        rng.shuffle(by_city[city])
    chosen: list = []
    while len(chosen) < n_real:
        for city in cities:
            if by_city[city] and len(chosen) < n_real:
                chosen.append(by_city[city].pop())
    return chosen


def _procedural(n: int, seed: int, cities_mod) -> list:
    """n procedural environments whose hash splits cover train/val/test (about 80/10/10)."""
    if n == 0:
        return []
    quota = {s: int(round(PROCEDURAL_SHARE[s] * n)) for s in SPLITS}
    if n >= 3:
        quota["val"], quota["test"] = max(1, quota["val"]), max(1, quota["test"])
    quota["train"] = n - quota["val"] - quota["test"]
    chosen: list = []
    for j in range(1000 * n):
        city_seed = seed * PROCEDURAL_SEED_STRIDE + j
        # cities.py names procedural maps 'proc-<seed>' (their own group): predict the
        # split from the id and only build maps a split still needs.
        env_id = f"proc-{city_seed:06d}"
        probe = SimpleNamespace(env_id=env_id, city="", source="procedural", group=env_id)
        if quota[split_of(probe)] == 0:
            continue
        env = cities_mod.procedural_city(city_seed)
        split = split_of(env)
        if quota[split] > 0:
            quota[split] -= 1
            chosen.append(env)
            if len(chosen) == n:
                return chosen
    raise LocNetError(f"could not draw {n} procedural environments covering every split")


def plan(config: GenerateConfig, out: Path) -> tuple[list[MapTask], pd.DataFrame]:
    """Environments, splits and propagation parameters of every map, plus cities.csv."""
    config.validate()
    cities_mod, propagation = _backends()
    rng = np.random.default_rng([config.seed, 0])
    real = list(cities_mod.load_real_tiles()) if config.real_fraction > 0 else []
    n_real = min(int(round(config.real_fraction * config.n_cities)), len(real))
    envs = _select_real(real, n_real, rng)
    envs += _procedural(config.n_cities - n_real, config.seed, cities_mod)
    tasks, rows = [], []
    for map_id, env in enumerate(envs):
        split = split_of(env)
        if config.randomize:
            params = propagation.random_params(np.random.default_rng([config.seed, map_id, 2]))
        else:
            params = propagation.PAPER_LIKE
        tasks.append(
            MapTask(str(out), map_id, split, np.asarray(env.buildings, np.uint8), params, config)
        )
        rows.append(
            {
                "map": map_id,
                "env_id": env.env_id,
                "city": env.city,
                "source": env.source,
                "group": env.group,
                "split": split,
                "attribution": env.attribution,
                "building_fraction": round(float(np.mean(env.buildings != 0)), 4),
                "propagation": "randomized" if config.randomize else "paper-like",
                "params": json.dumps(_params_dict(params), sort_keys=True),
            }
        )
    for task in tasks:
        task.files = _expected_files(task)
    return tasks, pd.DataFrame(rows)


def _params_dict(params) -> dict:
    if dataclasses.is_dataclass(params):
        return {
            k: (float(v) if isinstance(v, (int, float)) else v)
            for k, v in dataclasses.asdict(params).items()
        }
    return {}


def _mask_plan(task: MapTask, tx_id: int) -> list[tuple[int, float, float | None]]:
    """(k, rate, folder rate or None) of every mask of one transmitter, in write order."""
    cfg = task.config
    if task.split == "test":
        return [
            (i * cfg.masks_per_tx + j, rate, rate)
            for i, rate in enumerate(cfg.rates)
            for j in range(cfg.masks_per_tx)
        ]
    rng = np.random.default_rng([cfg.seed, task.map_id, 3, tx_id])
    rates = rng.choice(np.asarray(cfg.train_rates, dtype=float), size=cfg.masks_per_tx)
    return [(j, float(rate), None) for j, rate in enumerate(rates)]


def _expected_files(task: MapTask) -> list[str]:
    """Every file generate_map writes for a task (a map is finished when all exist)."""
    w = DatasetWriter(task.out, create=False)
    files = [w.buildings_path(task.map_id)]
    for t in range(task.config.tx_per_city):
        files += [w.radio_path(task.map_id, t), w.antenna_path(task.map_id, t)]
        files += [
            w.mask_path(task.split, task.map_id, t, k, fr) for k, _, fr in _mask_plan(task, t)
        ]
    return [str(f) for f in files]


def is_finished(task: MapTask) -> bool:
    return all(os.path.exists(f) for f in task.files)


def generate_map(task: MapTask) -> int:
    """Simulate and write one map (all transmitters and masks); returns the map id."""
    _, propagation = _backends()
    cfg = task.config
    rng = np.random.default_rng([cfg.seed, task.map_id, 1])
    txs = sample_transmitters(task.buildings, cfg.tx_per_city, rng)
    grays = propagation.simulate_batch(task.buildings, txs, task.params, rng)
    writer = DatasetWriter(task.out)
    for t, (xy, gray) in enumerate(zip(txs, grays)):
        writer.write_radio_map(task.map_id, t, np.asarray(gray, dtype=np.uint8))
        writer.write_antenna(task.map_id, t, (int(xy[0]), int(xy[1])))
        mask_rng = np.random.default_rng([cfg.seed, task.map_id, 4, t])
        for k, rate, folder_rate in _mask_plan(task, t):
            mask = sample_mask(task.buildings, rate, mask_rng)
            writer.write_mask(task.split, task.map_id, t, k, mask, folder_rate)
    writer.write_buildings(task.map_id, task.buildings)
    return task.map_id


def _settings(config: GenerateConfig) -> dict:
    return {"format": SETTINGS_FORMAT, **json.loads(json.dumps(dataclasses.asdict(config)))}


def _prepare_out(out: Path, config: GenerateConfig) -> None:
    settings_path = out / SETTINGS_FILE
    if settings_path.is_file():
        previous = json.loads(settings_path.read_text())
        if previous != _settings(config):
            raise LocNetError(
                f"{out} was generated with other settings ({settings_path}); resume with the "
                "same options or choose a new --out folder"
            )
        ensure_writable_folder(out)
        remove_stale_temps(out)  # left by a killed or out-of-space run
        return
    if out.exists() and any(out.iterdir()):
        raise LocNetError(
            f"{out} is not empty and was not made by generate; choose a new --out folder"
        )
    ensure_writable_folder(out)
    atomic_write(settings_path, lambda p: p.write_text(json.dumps(_settings(config), indent=2)))


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)


def generate_dataset(
    out: str | os.PathLike, config: GenerateConfig, *, workers: int = 1, progress: bool = True
) -> dict:
    """Generate (or resume) a dataset; returns counts and timings."""
    config.validate()
    out = Path(out).expanduser()
    _prepare_out(out, config)
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
    )
    summary = generate_dataset(args.out, config, workers=args.workers, progress=not args.quiet)
    splits = ", ".join(f"{k} {v}" for k, v in summary["splits"].items())
    print(
        f"{args.out}: {summary['maps']} maps ({summary['real_maps']} real tiles, "
        f"{summary['skipped']} already done), {summary['radio_maps']} radio maps, "
        f"maps per split: {splits}; {summary['seconds']} s"
    )
    return 0
