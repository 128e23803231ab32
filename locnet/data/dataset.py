"""Fast torch Dataset over a dataset folder: PNGs are decoded once into a uint8 memmap cache.

The cache (per dataset folder, fingerprint and split) holds the building maps and radio
maps as raw uint8 (65,536 bytes per radio map plus 65,536 per building map, so the full
RadioMapSeer's 56,080 radio maps take about 3.7 GB of disk and almost no RAM: pages
are read on demand), transmitter positions, and every mask as a list of sensor pixel
indices. An item then only gathers its sensors' gray values, so it costs well under a
millisecond where decoding four PNGs (NaivePngDataset, the authors' approach) costs
several. The cache lives under $LOCNET_CACHE or ~/.cache/locnet (a temp dir if that is
not writable), never inside the dataset, and is rebuilt when the folder changes
(cache.py builds it).
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch.utils.data import Dataset

from locnet.constants import MAP_SIZE, MASKS_PER_TX, RATES_PERCENT
from locnet.data.cache import build_cache
from locnet.data.png import read_png
from locnet.data.radiomapseer import RadioMapDataset, open_dataset
from locnet.data.sampling import (
    add_receiver_noise,
    crop_case,
    drop_readings,
    encode_input,
    encode_sparse,
    n_sensors_for_rate,
    same_rate,
    sample_outdoor_indices,
)
from locnet.errors import DatasetError, LocNetError

Rates = None | list[float] | tuple[float, float]


def rate_filter(rates: Rates):
    """Predicate on a rate in %: None = any, list = one of these, (low, high) tuple = range."""
    if rates is None:
        return lambda r: True
    if isinstance(rates, (int, float)):
        rates = [rates]
    if isinstance(rates, tuple):
        if len(rates) != 2 or not 0 < rates[0] <= rates[1]:
            raise LocNetError(f"rate range {rates} must be (low, high) in % with 0 < low <= high")
        low, high = rates
        return lambda r: low - 1e-9 <= r <= high + 1e-9
    wanted = [float(r) for r in rates]
    if not wanted:
        raise LocNetError("rates is an empty list; give at least one sampling rate in %")
    for rate in wanted:
        n_sensors_for_rate(rate)  # LocNetError for 0, negative or NaN rates
    return lambda r: any(same_rate(r, w) for w in wanted)


class LocalizationDataset(Dataset):
    """Items {"input" (2,H,W) float32, "tx_xy" long (x, y), "map_id", "tx_id", "mask_id",
    "rate_percent", "origin_xy" long (x, y) of the crop window}.

    masks="files": one item per mask file of the split (filtered by `rates`).
    masks="random": masks_per_tx items per (map, tx), masks drawn on the fly at rates from
    `rates` (None = the standard rates, list = one of them, (low, high) = uniform range),
    deterministic per (seed, epoch, index); call set_epoch(e) for fresh masks.
    crop=128: a random window containing the transmitter; tx_xy is then relative to it.
    noise_db / missing: sensor-level domain randomisation (receiver noise in dB, share of
    readings lost).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split: str,
        *,
        masks: str = "files",
        rates: Rates = None,
        env: bool = True,
        seed: int = 0,
        crop: int | None = None,
        cache_dir: str | os.PathLike | None = None,
        masks_per_tx: int = MASKS_PER_TX,
        noise_db: float = 0.0,
        missing: float = 0.0,
    ):
        if masks not in ("files", "random"):
            raise LocNetError(f"masks='{masks}' is unknown; use 'files' or 'random'")
        if crop is not None and not 1 <= int(crop) <= MAP_SIZE:
            raise LocNetError(f"crop={crop} must be between 1 and {MAP_SIZE} pixels")
        if noise_db < 0 or not 0 <= missing < 1:
            raise LocNetError("noise_db must be >= 0 dB and missing in [0, 1)")
        self.source = open_dataset(root)
        self.split, self.masks, self.env, self.seed = split, masks, env, seed
        self.crop, self.noise_db, self.missing = crop, noise_db, missing
        self.rates, self.masks_per_tx, self.epoch = rates, int(masks_per_tx), 0
        self.cache_path = build_cache(self.source, split, cache_dir)
        index = np.load(self.cache_path / "index.npz")
        self.sample_ids = index["sample_ids"]  # (S, 2) map, tx
        self.sample_map = index["sample_map"]  # (S,) row in buildings
        self.tx_xy = index["tx_xy"]  # (S, 2) x, y
        self._mask_offsets = index["mask_offsets"]
        self._mask_idx = index["mask_idx"]
        keep = rate_filter(rates)
        if masks == "files":
            distinct, inverse = np.unique(index["mask_rate"], return_inverse=True)
            self._items = np.flatnonzero(np.asarray([keep(r) for r in distinct], bool)[inverse])
            self._mask_sample = index["mask_sample"]
            self._mask_k = index["mask_k"]
            self._mask_rate = index["mask_rate"]
            if len(self._items) == 0:
                raise DatasetError(
                    f"no sampling masks in {self.source.root} for split '{split}' "
                    f"at rates {rates}; "
                    "use masks='random' or other rates (python -m locnet dataset-info shows them)"
                )
        else:
            if len(self.sample_ids) == 0:
                raise DatasetError(f"{self.source.root} has no radio maps in split '{split}'")
            rate_filter(rates)  # validates
            if rates is None:
                self._rate_choices = list(RATES_PERCENT)
            elif isinstance(rates, tuple):
                self._rate_choices = (float(rates[0]), float(rates[1]))
            else:
                self._rate_choices = [float(r) for r in np.atleast_1d(rates)]
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    # memmaps are opened lazily in each process (DataLoader workers) and never pickled
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_arrays"] = None
        return state

    def _maps(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            n_maps = max(1, int(self.sample_map.max(initial=0)) + 1)
            n_samples = max(1, len(self.sample_ids))
            shape = (MAP_SIZE, MAP_SIZE)
            self._arrays = (
                np.memmap(self.cache_path / "buildings.u8", np.uint8, "r", shape=(n_maps, *shape)),
                np.memmap(self.cache_path / "radio.u8", np.uint8, "r", shape=(n_samples, *shape)),
            )
        return self._arrays

    def set_epoch(self, epoch: int) -> None:
        """Draw different random masks/crops next epoch (deterministic per epoch)."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        if self.masks == "files":
            return len(self._items)
        return len(self.sample_ids) * self.masks_per_tx

    def _draw_rate(self, rng: np.random.Generator) -> float:
        if isinstance(self._rate_choices, tuple):
            return float(rng.uniform(*self._rate_choices))
        return float(self._rate_choices[rng.integers(len(self._rate_choices))])

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        rng = np.random.default_rng([self.seed, self.epoch, index])
        buildings_all, radio_all = self._maps()
        if self.masks == "files":
            m = int(self._items[index])
            sample, mask_id, rate = (
                int(self._mask_sample[m]),
                int(self._mask_k[m]),
                self._mask_rate[m],
            )
            start, stop = self._mask_offsets[m], self._mask_offsets[m + 1]
            sensors = self._mask_idx[start:stop].astype(np.int64)
        else:
            sample, mask_id = divmod(index, self.masks_per_tx)
            rate = self._draw_rate(rng)
            sensors = sample_outdoor_indices(
                buildings_all[self.sample_map[sample]], n_sensors_for_rate(rate), rng
            )
        buildings = np.asarray(buildings_all[self.sample_map[sample]])
        gray = radio_all[sample].reshape(-1)[sensors].astype(np.float32)
        if self.missing > 0:
            keep = drop_readings(len(sensors), self.missing, rng)
            sensors, gray = sensors[keep], gray[keep]
        if self.noise_db > 0:
            gray = add_receiver_noise(gray, self.noise_db, rng)
        tx = self.tx_xy[sample].astype(np.int64)
        origin = np.zeros(2, dtype=np.int64)
        if self.crop is not None and self.crop < MAP_SIZE:
            buildings, sensors, gray, tx, origin = crop_case(
                buildings, sensors, gray, tx, self.crop, rng
            )
        map_id, tx_id = (int(v) for v in self.sample_ids[sample])
        return {
            "input": encode_sparse(buildings, sensors, gray, self.env),
            "tx_xy": torch.from_numpy(tx),
            "map_id": map_id,
            "tx_id": tx_id,
            "mask_id": int(mask_id),
            "rate_percent": float(rate),
            "origin_xy": torch.from_numpy(origin),
        }

    def buildings(self, map_id: int) -> np.ndarray:
        """0/1 uint8 (256, 256) building map of a map in this split (from the cache)."""
        rows = np.flatnonzero(self.sample_ids[:, 0] == int(map_id))
        if rows.size == 0:
            raise LocNetError(f"map {map_id} is not in split '{self.split}'")
        return np.asarray(self._maps()[0][self.sample_map[rows[0]]])


class NaivePngDataset(Dataset):
    """The authors' approach: decode buildings, radio map, antenna and mask PNGs every item.

    Same items, order and inputs as LocalizationDataset(masks="files") without crop; kept
    as the baseline of `python -m locnet bench data`.
    """

    def __init__(
        self, root: str | os.PathLike, split: str, *, rates: Rates = None, env: bool = True
    ):
        self.source: RadioMapDataset = open_dataset(root)
        keep = rate_filter(rates)
        self.refs = [
            r for r in self.source.mask_refs(split, read_rates=True) if keep(r.rate_percent)
        ]
        self.env = env
        dirs = self.source.root
        self._antenna_dir = dirs / (
            "antennas" if self.source.layout == "authors" else "png/antennas"
        )

    def __len__(self) -> int:
        return len(self.refs)

    def __getitem__(self, index: int) -> dict:
        ref = self.refs[index]
        buildings = self.source.buildings(ref.map_id)
        gray = self.source.radio_map(ref.map_id, ref.tx_id)
        antenna = read_png(self._antenna_dir / f"{ref.map_id}_{ref.tx_id}.png")
        lit = int(np.argmax(antenna))
        mask = self.source.load_mask(ref)
        return {
            "input": torch.from_numpy(encode_input(gray, mask, buildings, self.env)),
            "tx_xy": torch.tensor([lit % MAP_SIZE, lit // MAP_SIZE], dtype=torch.int64),
            "map_id": ref.map_id,
            "tx_id": ref.tx_id,
            "mask_id": ref.k,
            "rate_percent": float(ref.rate_percent),
            "origin_xy": torch.zeros(2, dtype=torch.int64),
        }
