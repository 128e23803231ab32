"""Projections of a case: lat/lon <-> map metres, the UTM zone, tiles from centre or box."""

from __future__ import annotations

import numpy as np
import pytest

from locnet.cases import geo
from locnet.cases.case import FIT_CROP_OR_PAD, CaseError, GeoRef
from tests.cases.conftest import HELSINKI_CENTER

HELSINKI = GeoRef("EPSG:32635", 386101.0, 6673111.0)  # osm-helsinki-01 in data/cities


def test_latlon_to_metres_and_back_within_half_a_metre():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 255, 200), rng.uniform(0, 255, 200)
    lat, lon = geo.map_to_latlon(HELSINKI, x, y)
    x2, y2 = geo.latlon_to_map(HELSINKI, lat, lon)
    assert np.hypot(x2 - x, y2 - y).max() < 1e-3
    # through a pixel (what a reading becomes): each axis within half a 1 m pixel
    px, py = np.rint(x2), np.rint(y2)
    lat3, lon3 = geo.map_to_latlon(HELSINKI, px, py)
    x3, y3 = geo.latlon_to_map(HELSINKI, lat3, lon3)
    assert np.abs(x3 - x).max() <= 0.5 + 1e-6 and np.abs(y3 - y).max() <= 0.5 + 1e-6


def test_tile_centre_gives_the_committed_tile_origin():
    assert geo.utm_crs(*HELSINKI_CENTER) == "EPSG:32635"
    georef = geo.georef_at_center(*HELSINKI_CENTER)
    assert georef.x_west == pytest.approx(HELSINKI.x_west, abs=0.01)
    assert georef.y_north == pytest.approx(HELSINKI.y_north, abs=0.01)


def test_bounding_box_must_be_the_256_m_tile_unless_cropped():
    box = [HELSINKI.x_west, HELSINKI.y_north - 256, HELSINKI.x_west + 256, HELSINKI.y_north]
    assert geo.georef_from_bbox(box, "EPSG:32635", "EPSG:32635", "exact", "b") == HELSINKI
    wide = [box[0] - 50, box[1], box[2] + 50, box[3]]
    with pytest.raises(CaseError, match=r"356\.0 m x 256\.0 m.*crop or pad"):
        geo.georef_from_bbox(wide, "EPSG:32635", "EPSG:32635", "exact", "b")
    assert geo.georef_from_bbox(wide, "EPSG:32635", "EPSG:32635", FIT_CROP_OR_PAD, "b") == HELSINKI


@pytest.mark.parametrize(
    "text, match",
    [("EPSG:999999", "unknown CRS"), ("not a crs", "unknown CRS"), ("EPSG:2227", "not metres")],
)
def test_unknown_or_non_metric_crs_is_a_clear_error(text, match):
    with pytest.raises(CaseError, match=match):
        geo.parse_crs(text, "buildings.geojson")


def test_latitude_out_of_range_says_columns_may_be_swapped():
    with pytest.raises(CaseError, match="swapped"):
        geo.check_latlon(np.array([124.9]), np.array([60.1]), "readings.csv")
