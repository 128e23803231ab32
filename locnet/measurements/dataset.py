"""The compact copy of the POWDER dataset (`data/real/powder`, written by `python -m locnet
import-powder`): its files, reading it, and its samples as model batches or one by one.

Files: `receivers.csv` (receiver, index, kind fixed|shuttle, lat, lon), `samples.csv`
(sample = timestamp, n_tx, tx1_lat, tx1_lon, tx2_lat, tx2_lon), `readings.parquet` (sample,
receiver, rss_db, lat, lon: the cleaned readings, one per heard receiver), `splits.json`
(split -> family, source file, test timestamps), `grid.json` (the campus grid) and
`manifest.json` (format, counts, the sha256 of every file), with the licence and
attribution (LICENSE, SOURCE.md, DATASET-README.md) and README.md. Positions are WGS 84
lat/lon on disk and grid metres (`campus`) in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from locnet.errors import DatasetError
from locnet.measurements.campus import CampusGrid
from locnet.measurements.source import FIXED, UNHEARD_DB, sha256_of
from locnet.models.measurement import MeasuredBatch

DEFAULT_FOLDER = Path("data/real/powder")
FORMAT = "locnet-powder/1"
RECEIVERS_FILE, SAMPLES_FILE, READINGS_FILE = "receivers.csv", "samples.csv", "readings.parquet"
SPLITS_FILE, GRID_FILE, MANIFEST_FILE = "splits.json", "grid.json", "manifest.json"
IMPORT_COMMAND = "python -m locnet import-powder --src DIR --out data/real/powder"


@dataclass(frozen=True)
class MeasuredSample:
    """One sample as later phases rasterise it: the receivers that heard the transmitter(s).

    receivers (K,) ids; xy_m (K, 2) their positions in grid metres (x east, y south);
    rss_db (K,) their RSS in dB (uncalibrated per receiver); truth_m (T, 2) the T = 1 or 2
    transmitters in grid metres."""

    sample: str
    receivers: tuple[str, ...]
    xy_m: np.ndarray
    rss_db: np.ndarray
    truth_m: np.ndarray


class PowderDataset:
    """The copy in memory: tables, splits, grid, and receiver-indexed (N, R) arrays."""

    def __init__(
        self,
        folder: Path,
        receivers: pd.DataFrame,
        samples: pd.DataFrame,
        readings: pd.DataFrame,
        splits: dict,
        grid: CampusGrid,
        fingerprint: str,
    ) -> None:
        self.folder, self.grid, self.fingerprint = folder, grid, fingerprint
        self.receivers, self.samples, self.splits = receivers, samples, splits
        self.receiver_ids = tuple(receivers["receiver"])
        self.fixed = (receivers["kind"] == FIXED).to_numpy()
        self._row = pd.Index(samples["sample"])
        n, r = len(samples), len(self.receiver_ids)
        rows = self._row.get_indexer(readings["sample"])
        cols = pd.Index(self.receiver_ids).get_indexer(readings["receiver"])
        if (rows < 0).any() or (cols < 0).any():
            raise DatasetError(
                f"{folder / READINGS_FILE} names samples or receivers that {SAMPLES_FILE} or "
                f"{RECEIVERS_FILE} lack; re-run `{IMPORT_COMMAND}`"
            )
        x, y = grid.latlon_to_m(readings["lat"].to_numpy(), readings["lon"].to_numpy())
        self.rss_db = np.full((n, r), np.nan)
        self.xy_m = np.full((n, r, 2), np.nan)
        fx, fy = grid.latlon_to_m(receivers["lat"].to_numpy(), receivers["lon"].to_numpy())
        self.xy_m[:, self.fixed, 0], self.xy_m[:, self.fixed, 1] = fx[self.fixed], fy[self.fixed]
        self.rss_db[rows, cols] = readings["rss_db"].to_numpy()
        self.xy_m[rows, cols, 0], self.xy_m[rows, cols, 1] = x, y
        self.truth = np.full((n, 2, 2), np.nan)
        for k in (0, 1):
            lat, lon = samples[f"tx{k + 1}_lat"].to_numpy(), samples[f"tx{k + 1}_lon"].to_numpy()
            self.truth[:, k, 0], self.truth[:, k, 1] = grid.latlon_to_m(lat, lon)

    @classmethod
    def open(cls, folder: str | Path = DEFAULT_FOLDER) -> PowderDataset:
        """Read and check a copy (every file against its sha256 in the manifest)."""
        folder = Path(folder)
        manifest_path = folder / MANIFEST_FILE
        if not manifest_path.is_file():
            raise DatasetError(
                f"{folder} holds no imported POWDER copy ({MANIFEST_FILE} missing); "
                f"make it with `{IMPORT_COMMAND}`"
            )
        try:
            manifest = json.loads(manifest_path.read_text())
        except ValueError as exc:
            raise DatasetError(f"{manifest_path} is not JSON ({exc}); re-run the import") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise DatasetError(
                f"{manifest_path} is not a {FORMAT} manifest; re-run `{IMPORT_COMMAND}`"
            )
        for name, digest in manifest.get("files", {}).items():
            path = folder / name
            if not path.is_file() or sha256_of(path) != digest:
                raise DatasetError(
                    f"{path} is {'missing' if not path.is_file() else 'changed'} since the "
                    f"import ({MANIFEST_FILE}); restore it (git) or re-run `{IMPORT_COMMAND}`"
                )
        grid = CampusGrid.from_dict(json.loads((folder / GRID_FILE).read_text()), str(folder))
        receivers = pd.read_csv(folder / RECEIVERS_FILE)
        samples = pd.read_csv(folder / SAMPLES_FILE, dtype={"sample": str})
        readings = pd.read_parquet(folder / READINGS_FILE)
        splits = json.loads((folder / SPLITS_FILE).read_text())
        fingerprint = sha256_of(manifest_path)
        return cls(folder, receivers, samples, readings, splits, grid, fingerprint)

    @property
    def single(self) -> np.ndarray:
        """Timestamps of the one-transmitter samples, in file order."""
        return self.samples.loc[self.samples["n_tx"] == 1, "sample"].to_numpy()

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(training, test) timestamps of a split: the test file's samples, and every other
        one-transmitter sample (docs/real-data.md)."""
        if name not in self.splits:
            raise DatasetError(
                f"unknown split {name!r} in {self.folder}; splits: {', '.join(self.splits)}"
            )
        test = set(self.splits[name]["test"])
        single = self.single
        mask = np.isin(single, list(test))
        return single[~mask], single[mask]

    def rows(self, samples) -> np.ndarray:
        rows = self._row.get_indexer(pd.Index(samples))
        if (rows < 0).any():
            raise DatasetError(f"unknown sample(s) in {self.folder}: {list(samples)[:3]}")
        return rows

    def batch(self, samples) -> MeasuredBatch:
        """The samples as one receiver-indexed batch (every receiver a column)."""
        rows = self.rows(samples)
        low = -self.grid.metres_per_pixel / 2
        high = self.grid.extent_m + low
        return MeasuredBatch(
            receivers=self.receiver_ids,
            rss_db=self.rss_db[rows],
            xy_m=self.xy_m[rows],
            fixed=self.fixed,
            area_m=(low, low, high, high),
            floor_db=UNHEARD_DB,
        )

    def truth_m(self, samples) -> np.ndarray:
        """(N, 2) the (first) transmitter of each sample in grid metres."""
        return self.truth[self.rows(samples), 0]

    def sample(self, sample: str) -> MeasuredSample:
        """One sample: its heard receivers' positions, RSS and ids, and its transmitter(s)."""
        (row,) = self.rows([sample])
        heard = np.isfinite(self.rss_db[row])
        n_tx = int(self.samples["n_tx"].iat[row])
        return MeasuredSample(
            sample=sample,
            receivers=tuple(np.asarray(self.receiver_ids)[heard]),
            xy_m=self.xy_m[row, heard].copy(),
            rss_db=self.rss_db[row, heard].copy(),
            truth_m=self.truth[row, :n_tx].copy(),
        )
