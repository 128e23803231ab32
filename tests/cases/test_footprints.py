"""Bad GeoJSON footprints: each one a CaseError that names the file and the fix."""

from __future__ import annotations

import json

import pytest

from locnet.cases.case import CaseError
from locnet.cases.footprints import footprints_to_map
from tests.cases.conftest import HELSINKI_CENTER

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[24.949, 60.1778], [24.9492, 60.1778], [24.9492, 60.1779], [24.949, 60.1778]]],
}


def _fc(*geometries, **members) -> bytes:
    features = [{"type": "Feature", "properties": {}, "geometry": g} for g in geometries]
    return json.dumps({"type": "FeatureCollection", **members, "features": features}).encode()


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "b.geojson is empty"),
        (b"  \n", "b.geojson is empty"),
        (b'{"type": "FeatureCollection", "features": [\xff]}', "not UTF-8"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not GeoJSON"),
        (
            _fc({"type": "Point", "coordinates": [24.9, 60.1]}),
            r"no Polygon or MultiPolygon \(found: Point x1\)",
        ),
        (_fc(), r"no Polygon or MultiPolygon \(found: nothing\)"),
        (_fc(SQUARE, crs={"type": "name", "properties": {"name": "EPSG:0"}}), "unknown CRS"),
        (_fc(SQUARE, crs={"type": "name"}), "has no properties.name"),
        (
            _fc(
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[385000, 6672000], [385100, 6672000], [385100, 6672100], [385000, 6672000]]
                    ],
                }
            ),
            "not a latitude/longitude pair",
        ),
        (_fc({"type": "Polygon", "coordinates": "oops"}), "cannot be read"),
    ],
)
def test_bad_footprints_are_clear_errors(data, match):
    with pytest.raises(CaseError, match=match):
        footprints_to_map(data, "b.geojson", center=HELSINKI_CENTER)


@pytest.mark.parametrize(
    "box, match",
    [
        (["a", 1, 2, 3], "is not four numbers"),
        ([1, 2, 3], "is not four numbers"),
        ([24.95, 60.18, 24.94, 60.17], r"must be \(min x, min y, max x, max y\)"),
        ([24.94, 91.0, 24.95, 92.0], "not a latitude/longitude pair"),
    ],
)
def test_a_bad_bounding_box_is_a_clear_error(box, match):
    with pytest.raises(CaseError, match=match):
        footprints_to_map(_fc(SQUARE, bbox=box), "b.geojson")


def test_a_tile_must_be_given():
    with pytest.raises(CaseError, match="does not say which 256 m tile"):
        footprints_to_map(_fc(SQUARE), "b.geojson")


def test_a_bounding_box_that_is_not_256_m_is_refused_then_cropped_on_request():
    box = [24.945, 60.176, 24.953, 60.180]  # about 445 m x 445 m
    with pytest.raises(CaseError, match="not the 256 m x 256 m tile.*crop-or-pad"):
        footprints_to_map(_fc(SQUARE, bbox=box), "b.geojson")
    grid, georef, _ = footprints_to_map(_fc(SQUARE, bbox=box), "b.geojson", fit="crop-or-pad")
    assert grid.shape == (256, 256) and georef.crs == "EPSG:32635"


def test_footprints_outside_the_tile_are_a_warning_not_a_silent_empty_map():
    far = {
        "type": "Polygon",
        "coordinates": [[[25.5, 60.5], [25.6, 60.5], [25.6, 60.6], [25.5, 60.5]]],
    }
    grid, _, warnings = footprints_to_map(_fc(far), "b.geojson", center=HELSINKI_CENTER)
    assert not grid.any() and "none of its 1 polygon(s) falls inside the tile" in warnings[0]
