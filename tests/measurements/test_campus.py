"""The campus grid: lat/lon <-> grid metres <-> pixels, and distances true to the ground."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from locnet.errors import LocNetError
from locnet.measurements.campus import POWDER_GRID, CampusGrid


def test_round_trip_and_pixel_convention():
    grid = POWDER_GRID
    x = np.array([0.0, 12.5, 1600.0, 3187.5])
    y = np.array([0.0, 3187.5, 1600.0, 6.0])
    lat, lon = grid.m_to_latlon(x, y)
    back_x, back_y = grid.latlon_to_m(lat, lon)
    assert np.allclose(back_x, x, atol=1e-6) and np.allclose(back_y, y, atol=1e-6)
    col, row = grid.m_to_pixel(x, y)
    assert col.tolist() == [0, 1, 128, 255] and row.tolist() == [0, 255, 128, 0]
    assert lat[1] < lat[0] and lon[3] > lon[0]  # y grows south, x east


def test_contains_the_raster_only():
    grid = POWDER_GRID
    half = grid.metres_per_pixel / 2
    inside = grid.contains(
        np.array([-half, grid.extent_m - half - 1e-6, -half - 0.01, 100.0, np.nan]),
        np.array([-half, 0.0, 0.0, grid.extent_m, 0.0]),
    )
    assert inside.tolist() == [True, True, False, False, False]


def test_grid_distances_match_the_ground():
    """UTM keeps campus distances within 0.1 % of the ellipsoid's."""
    lat, lon = POWDER_GRID.m_to_latlon(np.array([200.0, 3000.0]), np.array([300.0, 2500.0]))
    _, _, ground = Geod(ellps="WGS84").inv(lon[0], lat[0], lon[1], lat[1])
    assert np.hypot(2800.0, 2200.0) == pytest.approx(ground, rel=1e-3)


def test_grid_from_dict_round_trip_and_errors():
    assert CampusGrid.from_dict(POWDER_GRID.to_dict(), "grid.json") == POWDER_GRID
    with pytest.raises(LocNetError, match="grid.json: not a campus grid"):
        CampusGrid.from_dict({"crs": "EPSG:32612"}, "grid.json")
    with pytest.raises(LocNetError, match="must be positive"):
        CampusGrid.from_dict({**POWDER_GRID.to_dict(), "size": 0}, "grid.json")
