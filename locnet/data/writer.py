"""Writing datasets in either RadioMapSeer layout (generate, tests); every file atomically."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from locnet.constants import MAP_SIZE
from locnet.data.layout import LAYOUT_DIRS, METADATA_FILE, SPLIT_DIRS, check_split
from locnet.data.maps import check_map
from locnet.data.png import write_png_atomic
from locnet.errors import DatasetError
from locnet.files import atomic_write


class DatasetWriter:
    """Writes maps, radio maps, antennas, masks and cities.csv; every file atomically.

    layout="authors" (default) is what the LocNet code reads; "original" mirrors the
    RadioMapSeer release (no mask folders) and exists mainly for tests.
    """

    def __init__(self, root: str | os.PathLike, layout: str = "authors", *, create: bool = True):
        if layout not in LAYOUT_DIRS:
            raise DatasetError(f"unknown layout '{layout}'; use one of {', '.join(LAYOUT_DIRS)}")
        self.root = Path(root).expanduser()
        self.layout = layout
        self._dirs = {k: self.root / v for k, v in LAYOUT_DIRS[layout].items()}
        for folder in self._dirs.values() if create else ():
            folder.mkdir(parents=True, exist_ok=True)

    def buildings_path(self, map_id: int) -> Path:
        return self._dirs["buildings"] / f"{int(map_id)}.png"

    def radio_path(self, map_id: int, tx_id: int) -> Path:
        return self._dirs["radio"] / f"{int(map_id)}_{int(tx_id)}.png"

    def antenna_path(self, map_id: int, tx_id: int) -> Path:
        return self._dirs["antennas"] / f"{int(map_id)}_{int(tx_id)}.png"

    def mask_path(
        self, split: str, map_id: int, tx_id: int, k: int, rate_percent: float | None = None
    ) -> Path:
        """Train|Val|Test/[rate_R/]{map}_{tx}_{k}.png (rate folder only when a rate is given)."""
        if self.layout != "authors":
            raise DatasetError(
                "the original RadioMapSeer layout has no mask folders; use layout='authors'"
            )
        check_split(split)
        folder = self.root / SPLIT_DIRS[split]
        if rate_percent is not None:
            folder = folder / f"rate_{rate_percent:g}"
        return folder / f"{int(map_id)}_{int(tx_id)}_{int(k)}.png"

    def write_buildings(self, map_id: int, buildings: np.ndarray) -> Path:
        """0/1 building map -> 0/255 PNG (as RadioMapSeer stores it)."""
        path = self.buildings_path(map_id)
        buildings = check_map(buildings, "building map", hint="", error=DatasetError)
        write_png_atomic(path, (buildings != 0).astype(np.uint8) * 255)
        return path

    def write_radio_map(self, map_id: int, tx_id: int, gray: np.ndarray) -> Path:
        path = self.radio_path(map_id, tx_id)
        gray = check_map(gray, f"radio map {map_id}_{tx_id}", hint="", error=DatasetError)
        if gray.dtype != np.uint8:
            raise DatasetError(f"radio map {map_id}_{tx_id} must be uint8 gray, got {gray.dtype}")
        write_png_atomic(path, gray)
        return path

    def write_antenna(self, map_id: int, tx_id: int, xy: tuple[int, int]) -> Path:
        """Antenna image: one pixel = 255 at (x, y) = (column, row)."""
        x, y = int(xy[0]), int(xy[1])
        if not (0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE):
            raise DatasetError(f"transmitter ({x}, {y}) of map {map_id} is off the map")
        image = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
        image[y, x] = 255
        path = self.antenna_path(map_id, tx_id)
        write_png_atomic(path, image)
        return path

    def write_mask(
        self,
        split: str,
        map_id: int,
        tx_id: int,
        k: int,
        mask: np.ndarray,
        rate_percent: float | None = None,
    ) -> Path:
        """0/1 mask stored as 0/1 (what the authors' code multiplies with)."""
        path = self.mask_path(split, map_id, tx_id, k, rate_percent)
        mask = check_map(mask, "sampling mask", hint="", error=DatasetError)
        write_png_atomic(path, (mask != 0).astype(np.uint8))
        return path

    def write_metadata(self, table: pd.DataFrame) -> Path:
        """cities.csv (one row per map: map, env_id, city, source, split, attribution, ...)."""
        if "map" not in table.columns:
            raise DatasetError("metadata table needs a 'map' column")
        return atomic_write(self.root / METADATA_FILE, lambda tmp: table.to_csv(tmp, index=False))
