"""A training source without a fixed dataset: every item is a freshly simulated case.

Each item draws an (environment, transmitter, propagation) triple and a sensor mask from
its own seeded generator (seed, split, epoch, index), so the stream is reproducible,
independent of DataLoader workers and resumable mid-epoch (the training loop skips the
indices it has done), and a long run never sees the same radio map twice:

- environment: a committed real OSM tile of the split (probability `real_share`) or a
  procedural city whose hash split is the split (locnet.data.splits: test environments
  never appear in a training stream), under one of the 8 rotations/flips;
- propagation: the paper-like setting (probability `paper_like_share`) or randomised
  parameters (locnet.data.random_params);
- sensors: a standard sampling rate (0.01 ... 0.1 %) drawn uniformly, sensors uniform
  over outdoor pixels, as `LocalizationDataset(masks="random")` draws them.

An "epoch" of the stream is just `samples_per_epoch` items between two validations.
A simulated case costs about 0.03 s on one core (`python -m locnet bench train --stream`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from locnet.constants import MAP_SIZE, RATES_PERCENT, SPLITS
from locnet.data import propagation
from locnet.data.cities import load_real_tiles
from locnet.data.procedural import procedural_city
from locnet.data.propagation_params import PAPER_LIKE, random_params
from locnet.data.sampling import (
    crop_case,
    encode_sparse,
    n_sensors_for_rate,
    sample_outdoor_indices,
    sample_transmitters,
)
from locnet.data.splits import split_of
from locnet.errors import LocNetError

STREAM_FORMAT = "locnet-stream/1"  # bump when the same config would draw other cases
STREAM_TAG = 0x57EA  # keeps stream seeds apart from generate's and the datasets'
PROCEDURAL_SEEDS = 10**9  # procedural city seeds are drawn from [0, PROCEDURAL_SEEDS)


@dataclass(frozen=True)
class StreamConfig:
    """Everything that fixes the stream's items (stored in the checkpoint's fingerprint)."""

    seed: int = 0
    split: str = "train"
    real_share: float = 0.3
    paper_like_share: float = 0.75
    rates: tuple[float, ...] = RATES_PERCENT
    crop: int | None = None
    env: bool = True
    samples_per_epoch: int = 4096
    masks_per_case: int = 1  # > 1: each simulated map serves this many sensor draws (GPU rates)

    def __post_init__(self) -> None:
        if self.split not in SPLITS:
            raise LocNetError(f"stream split {self.split!r}: use one of {', '.join(SPLITS)}")
        for name in ("real_share", "paper_like_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise LocNetError(f"stream {name} must be between 0 and 1")
        if self.samples_per_epoch < 1 or self.masks_per_case < 1:
            raise LocNetError("--epoch-samples and --masks-per-case must be >= 1")
        if self.crop is not None and not 8 <= self.crop <= MAP_SIZE:
            raise LocNetError(f"stream crop {self.crop} must be between 8 and {MAP_SIZE}")
        for rate in self.rates:
            n_sensors_for_rate(rate)

    def fingerprint(self) -> str:
        """A short stable id of the stream (what a resumed run must match)."""
        fields = dataclasses.asdict(self)
        if self.masks_per_case == 1:  # the stream as it was before the field existed
            del fields["masks_per_case"]
        text = json.dumps({"format": STREAM_FORMAT, **fields}, sort_keys=True)
        return "stream:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def _real_tiles(split: str) -> list:
    return [env for env in load_real_tiles() if split_of(env) == split]


def _procedural_buildings(split: str, rng: np.random.Generator) -> tuple[str, np.ndarray]:
    """A procedural city of the split: seeds are drawn until one hashes into it."""
    for _ in range(1000):
        seed = int(rng.integers(PROCEDURAL_SEEDS))
        env_id = f"proc-{seed:06d}"
        probe = SimpleNamespace(env_id=env_id, city="", source="procedural", group=env_id)
        if split_of(probe) == split:
            return env_id, np.asarray(procedural_city(seed).buildings)
    raise LocNetError(f"no procedural city hashes into split {split!r}")  # pragma: no cover


def dihedral(buildings: np.ndarray, op: int) -> np.ndarray:
    """One of the 8 rotations/flips of a square map (op 0 = unchanged)."""
    out = np.rot90(buildings, k=op % 4)
    return np.ascontiguousarray(out[:, ::-1] if op >= 4 else out)


def draw_case(cfg: StreamConfig, rng: np.random.Generator, real_tiles: list) -> dict:
    """One simulated case: buildings, transmitter (x, y), gray radio map, what was drawn."""
    if real_tiles and rng.random() < cfg.real_share:
        env = real_tiles[int(rng.integers(len(real_tiles)))]
        env_id, buildings = env.env_id, np.asarray(env.buildings)
    else:
        env_id, buildings = _procedural_buildings(cfg.split, rng)
    op = int(rng.integers(8))
    buildings = dihedral(buildings, op)
    paper_like = bool(rng.random() < cfg.paper_like_share)
    params = PAPER_LIKE if paper_like else random_params(rng)
    tx = sample_transmitters(buildings, 1, rng)[0]
    gray = propagation.simulate_batch(buildings, tx[None], params, rng)[0]
    return {"env_id": env_id, "op": op, "paper_like": paper_like, "buildings": buildings,
            "tx_xy": tx.astype(np.int64), "gray": gray}


class SimulatedStream(Dataset):
    """Items like LocalizationDataset's ({"input", "tx_xy", "rate_percent", "origin_xy", ...}),
    each simulated on demand from (seed, split, epoch, index); set_epoch(e) for new ones.

    With masks_per_case = K > 1, items K*c ... K*c + K-1 share case c's radio map (each
    draws its own sensors and crop) and `ordered` asks the loop for consecutive indices,
    so a worker simulates each map once (its last case is cached)."""

    def __init__(self, cfg: StreamConfig) -> None:
        self.cfg, self.epoch = cfg, 0
        self.ordered = cfg.masks_per_case > 1
        self._real: list | None = None  # loaded lazily per process (workers)
        self._last: tuple | None = None  # (epoch, case index, case) in this process

    def __len__(self) -> int:
        return self.cfg.samples_per_epoch

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def fingerprint(self) -> str:
        return self.cfg.fingerprint()

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        cfg = self.cfg
        case_index, k = divmod(index, cfg.masks_per_case)
        case, rng = self._case(case_index)
        if cfg.masks_per_case > 1:
            key = [cfg.seed, STREAM_TAG, SPLITS.index(cfg.split), self.epoch, case_index, k, 1]
            rng = np.random.default_rng(key)
        rate = float(cfg.rates[int(rng.integers(len(cfg.rates)))])
        buildings, tx = case["buildings"], case["tx_xy"]
        sensors = sample_outdoor_indices(buildings, n_sensors_for_rate(rate), rng)
        gray = case["gray"].reshape(-1)[sensors].astype(np.float32)
        origin = np.zeros(2, dtype=np.int64)
        if cfg.crop is not None and cfg.crop < MAP_SIZE:
            buildings, sensors, gray, tx, origin = crop_case(buildings, sensors, gray, tx, cfg.crop, rng)
        return {
            "input": encode_sparse(buildings, sensors, gray, cfg.env),
            "tx_xy": torch.from_numpy(tx),
            "map_id": -1,
            "tx_id": -1,
            "mask_id": index,
            "rate_percent": rate,
            "origin_xy": torch.from_numpy(origin),
            "paper_like": case["paper_like"],
        }


    def _case(self, case_index: int) -> tuple[dict, np.random.Generator]:
        """(case, the generator that drew it) for case `case_index` of this epoch."""
        cfg = self.cfg
        if self._last is not None and self._last[:2] == (self.epoch, case_index):
            return self._last[2], self._last[3]
        key = [cfg.seed, STREAM_TAG, SPLITS.index(cfg.split), self.epoch, case_index]
        rng = np.random.default_rng(key)
        if self._real is None:
            self._real = _real_tiles(cfg.split) if cfg.real_share > 0 else []
        case = draw_case(cfg, rng, self._real)
        if cfg.masks_per_case > 1:  # K = 1 draws the sensors from `rng` next: never reuse it
            self._last = (self.epoch, case_index, case, rng)
        return case, rng


class FrozenSamples(Dataset):
    """A fixed list of a dataset's items, computed once (a validation draw of the stream,
    so every validation measures the same cases without simulating them again)."""

    def __init__(self, dataset: Dataset, workers: int = 0) -> None:
        loader = DataLoader(dataset, batch_size=None, num_workers=workers)
        self.items = list(loader)
        self.fingerprint = getattr(dataset, "fingerprint", lambda: "")()

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]
