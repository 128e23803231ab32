"""Footprints -> building map: exact on pixel-edge polygons, >= 99 % on committed OSM tiles
through GeoJSON (projected and lon/lat), holes and multipolygons handled."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

from locnet.cases import geo
from locnet.cases.case import GeoRef
from locnet.cases.footprints import footprints_to_map
from locnet.cases.raster import rasterise, vectorise
from locnet.data.cities import find_environment, load_real_tiles
from tests.cases.conftest import HELSINKI_CENTER, HELSINKI_TILE


def test_vectorise_then_rasterise_is_exact_on_every_kind_of_tile():
    for env in load_real_tiles()[::10]:
        assert np.array_equal(rasterise(vectorise(env.buildings).geoms), env.buildings), env.env_id


def test_holes_stay_open_and_multipolygons_fill_every_part():
    ring = [(10, 10), (60, 10), (60, 60), (10, 60)]
    hole = [(20, 20), (40, 20), (40, 40), (20, 40)]
    shape = MultiPolygon([Polygon(ring, [hole]), Polygon([(100, 100), (120, 100), (120, 130)])])
    grid = rasterise(shape.geoms)
    assert grid[15, 15] == 1 and grid[30, 30] == 0 and grid[105, 115] == 1 and grid[128, 101] == 0
    assert grid[20:41, 20:41].sum() == 0


def _geojson(env_id: str, target: str, **members) -> bytes:
    """The committed tile vectorised and written as GeoJSON in `target`."""
    import csv

    from locnet.data.cities import DEFAULT_FOLDER

    with (DEFAULT_FOLDER / "index.csv").open() as handle:
        row = next(r for r in csv.DictReader(handle) if r["env_id"] == env_id)
    georef = GeoRef(row["crs"], float(row["origin_x_m"]), float(row["origin_y_m"]))

    def to_target(xy):
        return np.stack(
            geo.transform(georef.crs, target, *geo.map_to_crs(georef, xy[:, 0], xy[:, 1])), 1
        )

    shape = shapely.transform(vectorise(find_environment(env_id).buildings), to_target)
    obj = {
        "type": "FeatureCollection",
        **members,
        "features": [{"type": "Feature", "properties": {}, "geometry": mapping(shape)}],
    }
    return json.dumps(obj).encode(), georef


@pytest.mark.parametrize("env_id", [HELSINKI_TILE, "osm-kotka-00"])
def test_geojson_of_a_committed_tile_rasterises_back_to_it(env_id):
    tile = find_environment(env_id).buildings
    data, georef = _geojson(env_id, "EPSG:4326")
    lat, lon = geo.map_to_latlon(georef, [127.5], [127.5])
    grid, got, warnings = footprints_to_map(data, "b.geojson", center=(lat[0], lon[0]))
    assert (grid == tile).mean() >= 0.99 and not warnings
    assert got.crs == georef.crs
    box = [georef.x_west, georef.y_north - 256, georef.x_west + 256, georef.y_north]
    data, _ = _geojson(
        env_id, georef.crs, bbox=box, crs={"type": "name", "properties": {"name": georef.crs}}
    )
    grid, got, _ = footprints_to_map(data, "b.geojson")
    assert (grid == tile).mean() >= 0.99 and got == georef


def test_committed_example_geojsons_match_their_tile(examples):
    tile = find_environment(HELSINKI_TILE).buildings
    utm, _, _ = footprints_to_map((examples / "buildings_utm.geojson").read_bytes(), "utm")
    wgs, _, _ = footprints_to_map(
        (examples / "buildings.geojson").read_bytes(), "wgs", center=HELSINKI_CENTER
    )
    assert (utm == tile).mean() >= 0.99 and (wgs == tile).mean() >= 0.99
