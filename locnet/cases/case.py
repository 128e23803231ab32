"""The user's case in memory: a building map, sensor readings in dB, optional truth.

Everything a user brings (a PNG or GeoJSON map, a CSV of readings in metres or lat/lon,
dBm or dB) is turned into one `UserCase` on the project's grid: 256 x 256 pixels at
1 m/pixel, pixel (x, y) = (column, row) centred at (x, y) metres, as everywhere else
(docs/architecture.md). Readings the validation dropped are listed in `warnings`, which
the CLI prints and the app shows: nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from locnet.errors import LocNetError

FORMAT = "locnet-case/1"  # case.json "format"; bump the number on an incompatible change
CAMPAIGN_FORMAT = "locnet-case/2"  # a measured campaign's case on any grid (campaign.py)
TILE_M = 256.0  # side of the tile in metres (MAP_SIZE * PIXEL_M)
TILE_TOLERANCE_M = 3.0  # a bounding box within this of 256 m per side counts as the tile
FIT_EXACT = "exact"
FIT_CROP_OR_PAD = "crop-or-pad"
FITS = (FIT_EXACT, FIT_CROP_OR_PAD)


class CaseError(LocNetError):
    """A user case file (building map, readings, case.json) is unusable; the message says
    which file and how to fix it."""


@dataclass(frozen=True)
class GeoRef:
    """Where the tile lies on Earth: a projected CRS in metres (`crs`, e.g. 'EPSG:32635')
    and the tile's west and north edges in it. Pixel (x, y) is centred at
    (x_west + x + 0.5, y_north - y - 0.5): row 0 is the north edge, as in data/cities."""

    crs: str
    x_west: float
    y_north: float

    def to_json(self) -> dict[str, Any]:
        return {"crs": self.crs, "x_west_m": self.x_west, "y_north_m": self.y_north}


@dataclass
class UserCase:
    """One case on the grid. sensors_xy: int64 (N, 2) pixel (x, y); gains_db: float64
    (N,) path gain in dB (received minus transmitted power); truth_xy: pixel (x, y) in
    metres (may be fractional) or None; georef: set when the input was geographic."""

    buildings: np.ndarray
    sensors_xy: np.ndarray
    gains_db: np.ndarray
    truth_xy: tuple[float, float] | None = None
    georef: GeoRef | None = None
    tx_power_dbm: float | None = None
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def readings(self) -> list[tuple[int, int, float]]:
        """[(x, y, gain_dB), ...]: what locnet.inference.predict takes as `sensors`."""
        return [
            (int(x), int(y), float(g)) for (x, y), g in zip(self.sensors_xy.tolist(), self.gains_db)
        ]

    @property
    def geographic(self) -> bool:
        return self.georef is not None

    def digest(self) -> str:
        """A short hash of what the models see (map, readings, truth): the app's case key."""
        h = hashlib.sha256(np.ascontiguousarray(self.buildings, dtype=np.uint8).tobytes())
        h.update(np.ascontiguousarray(self.sensors_xy, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(self.gains_db, dtype=np.float64).tobytes())
        h.update(repr((self.truth_xy, self.georef)).encode())
        return h.hexdigest()[:16]
