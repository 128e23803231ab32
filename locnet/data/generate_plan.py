"""What `generate` will write: environments, splits, parameters and files of every map.

A pure function of GenerateConfig (and the output folder's path): real city tiles are
picked round-robin over cities, procedural ones by predicted split, and every map's
transmitter masks are planned up front so a resumed run knows which maps are finished.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from locnet.constants import MASKS_PER_TX, RATES_PERCENT, SPLITS
from locnet.data import cities, propagation
from locnet.data.propagation_params import PAPER_LIKE, random_params
from locnet.data.sampling import n_sensors_for_rate
from locnet.data.splits import split_of
from locnet.data.writer import DatasetWriter
from locnet.errors import LocNetError

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
    # Only held-out (test-split) environments: every real tile of the test cities while they
    # last, then procedural maps whose hash split is test (`python -m locnet testset`).
    test_only: bool = False

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


def _quota(n: int, test_only: bool) -> dict[str, int]:
    """Procedural maps wanted per split: about 80/10/10 (each split at least one from
    n = 3 on), or all n in test."""
    if test_only:
        return {"train": 0, "val": 0, "test": n}
    quota = {s: int(round(PROCEDURAL_SHARE[s] * n)) for s in SPLITS}
    if n >= 3:
        quota["val"], quota["test"] = max(1, quota["val"]), max(1, quota["test"])
    quota["train"] = n - quota["val"] - quota["test"]
    return quota


def _procedural(n: int, seed: int, cities_mod, test_only: bool = False) -> list:
    """n procedural environments whose hash splits cover train/val/test (about 80/10/10),
    or only test ones; seeds are tried in order, so the choice is a function of `seed`."""
    if n == 0:
        return []
    quota = _quota(n, test_only)
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
    if config.test_only:
        real = [env for env in real if split_of(env) == "test"]
    n_real = min(int(round(config.real_fraction * config.n_cities)), len(real))
    envs = _select_real(real, n_real, rng)
    envs += _procedural(config.n_cities - n_real, config.seed, cities_mod, config.test_only)
    tasks, rows = [], []
    for map_id, env in enumerate(envs):
        split = split_of(env)
        if config.randomize:
            params = random_params(np.random.default_rng([config.seed, map_id, 2]))
        else:
            params = PAPER_LIKE
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


def mask_plan(task: MapTask, tx_id: int) -> list[tuple[int, float, float | None]]:
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
            w.mask_path(task.split, task.map_id, t, k, fr) for k, _, fr in mask_plan(task, t)
        ]
    return [str(f) for f in files]


def is_finished(task: MapTask) -> bool:
    return all(os.path.exists(f) for f in task.files)
