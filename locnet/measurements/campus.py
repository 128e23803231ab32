"""The campus grid: where a measured campaign lies on a square raster in a metric projection.

Later phases rasterise samples onto it (LocNet on 256 x 256 maps), so it follows the maps'
conventions (docs/architecture.md): row 0 is the north edge, column 0 the west edge, and a
point (x, y) in grid metres is (column, row) x `metres_per_pixel`, pixel centres at whole
multiples (x east from the centre of the west column, y south from the centre of the north
row). pyproj does every projection: lat/lon (WGS 84) <-> the grid's CRS (a UTM zone, metres,
grid north up).

`POWDER_GRID` covers the POWDER dataset: 256 x 256 pixels of 12.5 m (3.2 km square) in
UTM zone 12N (EPSG:32612), centred on the transmitters' bounding box (rounded to 10 m), which
leaves about 40 m east and west of the outermost transmitters and 330 m north and south.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass

import numpy as np
from pyproj import Transformer

from locnet.errors import LocNetError

WGS84 = "EPSG:4326"


@functools.lru_cache(maxsize=8)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


@dataclass(frozen=True)
class CampusGrid:
    """A square raster in a projected CRS: `size` x `size` pixels of `metres_per_pixel`.

    x_west_m / y_north_m: easting / northing (metres in `crs`) of the raster's west and
    north edges."""

    crs: str
    x_west_m: float
    y_north_m: float
    metres_per_pixel: float
    size: int

    @property
    def extent_m(self) -> float:
        """Side of the raster in metres."""
        return self.size * self.metres_per_pixel

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict, where: str) -> CampusGrid:
        """The grid a `grid.json` describes, or LocNetError naming `where`."""
        try:
            grid = cls(
                str(data["crs"]),
                float(data["x_west_m"]),
                float(data["y_north_m"]),
                float(data["metres_per_pixel"]),
                int(data["size"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LocNetError(
                f"{where}: not a campus grid ({exc!r}); it needs crs, x_west_m, y_north_m, "
                "metres_per_pixel and size - re-run `python -m locnet import-powder`"
            ) from None
        if grid.metres_per_pixel <= 0 or grid.size < 1:
            raise LocNetError(f"{where}: metres_per_pixel and size must be positive")
        return grid

    def latlon_to_m(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """WGS 84 latitude/longitude (degrees) -> grid metres (x east, y south)."""
        east, north = _transformer(WGS84, self.crs).transform(
            np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        )
        half = self.metres_per_pixel / 2
        return np.asarray(east) - self.x_west_m - half, self.y_north_m - np.asarray(north) - half

    def m_to_latlon(self, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
        """Grid metres -> WGS 84 (latitude, longitude) in degrees (inverse of latlon_to_m)."""
        half = self.metres_per_pixel / 2
        east = self.x_west_m + np.asarray(x_m, dtype=np.float64) + half
        north = self.y_north_m - np.asarray(y_m, dtype=np.float64) - half
        lon, lat = _transformer(self.crs, WGS84).transform(east, north)
        return np.asarray(lat), np.asarray(lon)

    def m_to_pixel(self, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
        """Grid metres -> (column, row) of the pixel holding each point (int arrays)."""
        col = np.floor(np.asarray(x_m, dtype=np.float64) / self.metres_per_pixel + 0.5)
        row = np.floor(np.asarray(y_m, dtype=np.float64) / self.metres_per_pixel + 0.5)
        return col.astype(np.int64), row.astype(np.int64)

    def contains(self, x_m, y_m) -> np.ndarray:
        """Whether each point lies on the raster (NaN: no)."""
        col, row = self.m_to_pixel(np.nan_to_num(x_m, nan=-1e12), np.nan_to_num(y_m, nan=-1e12))
        inside = (col >= 0) & (col < self.size) & (row >= 0) & (row < self.size)
        return inside & np.isfinite(x_m) & np.isfinite(y_m)


POWDER_GRID = CampusGrid(
    crs="EPSG:32612", x_west_m=427_400.0, y_north_m=4_514_300.0, metres_per_pixel=12.5, size=256
)
