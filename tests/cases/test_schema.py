"""case.json against its declared schema: every wrong type or range is one CaseError that
names the file and the field (fault probes N44-N47, N24), unknown keys are warnings."""

from __future__ import annotations

import json

import pytest

from locnet.cases.case import CaseError, GeoRef
from locnet.cases.geo import check_area_of_use, degrees_outside
from locnet.cases.schema import read_case_json
from locnet.cases.store import case_from_files

GOOD = {
    "format": "locnet-case/1",
    "buildings": "buildings.png",
    "readings": "readings_metres.csv",
    "tx_power_dbm": None,
    "georef": {"crs": "EPSG:32635", "x_west_m": 386101.0, "y_north_m": 6673111.0},
    "tile": {"center": [60.17783108, 24.94904024], "fit": "exact"},
    "metadata": {"title": "t"},
}


def _with(path: str, value) -> dict:
    meta = json.loads(json.dumps(GOOD))
    *parents, key = path.split(".")
    target = meta
    for parent in parents:
        target = target[parent]
    target[key] = value
    return meta


def test_the_example_case_json_reads_into_typed_fields(examples):
    spec, warnings = read_case_json(json.loads((examples / "case.json").read_text()), "c.json")
    assert spec.georef.georef() == GeoRef("EPSG:32635", 386101.0, 6673111.0)
    assert spec.tile.fit == "exact" and spec.tile.center is None and spec.tx_power_dbm is None
    assert spec.metadata["title"].startswith("Helsinki") and warnings == []


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("metadata", [1, 2], "metadata: must be a JSON object {...}, got a list"),  # N44
        ("tile", [1, 2], "tile: must be a JSON object {...}, got a list"),  # N45
        ("georef.crs", "EPSG:999999", "georef.crs: unknown CRS 'EPSG:999999'"),  # N46
        ("tx_power_dbm", "lots", r"tx_power_dbm: must be a number \(dBm\), got a string 'lots'"),
        ("tx_power_dbm", True, r"tx_power_dbm: must be a number \(dBm\), got true/false"),
        ("tx_power_dbm", 1e9, r"tx_power_dbm: must be a number in -50 .. 90 \(dBm\)"),
        ("georef.crs", "EPSG:4326", "georef.crs: must be a projected CRS in metres"),
        ("georef.crs", 32635, "georef.crs: must name a CRS as a string"),
        ("georef.x_west_m", "386101", "georef.x_west_m: must be a number"),
        ("georef", {"crs": "EPSG:32635"}, "georef.x_west_m: is missing; it is required"),
        ("georef", "EPSG:32635", "georef: must be a JSON object"),
        ("tile.center", [95, 24.9], r"tile.center: must be a number in -90 .. 90"),
        ("tile.center", "60,24", r"tile.center: must be \[lat, lon\]"),
        ("tile.bbox", [1, 2, 3], r"tile.bbox: must be \[min_x, min_y, max_x, max_y\]"),
        ("tile.fit", "stretch", "tile.fit: must be one of 'exact', 'crop-or-pad'"),
        ("buildings", "../../etc/passwd", "buildings: must be a plain file name"),
        ("readings", None, "readings: is null; it is required"),
        ("readings", 5, "readings: must name a file of the case"),
    ],
)
def test_a_wrong_field_is_one_error_naming_the_file_and_the_field(path, value, message):
    with pytest.raises(CaseError, match=message) as info:
        read_case_json(_with(path, value), "c/case.json")
    assert str(info.value).startswith("c/case.json: ") and "\n" not in str(info.value)


def test_nan_from_a_json_literal_is_refused():
    meta = json.loads(json.dumps(GOOD).replace("386101.0", "NaN"))
    with pytest.raises(CaseError, match="georef.x_west_m: must be a number in"):
        read_case_json(meta, "c/case.json")


def test_unknown_fields_are_warnings_not_silently_dropped():
    meta = _with("tx_power_dBm", 23)
    meta["tile"]["centre"] = [60.0, 24.0]
    _, warnings = read_case_json(meta, "c/case.json")
    assert sorted(w.split(" is not")[0] for w in warnings) == [
        "c/case.json: tile.centre",
        "c/case.json: tx_power_dBm",
    ]
    assert "is not a field of locnet-case/1 and is ignored (check its spelling)" in warnings[0]


def test_a_case_with_a_typo_shows_the_warning(examples):
    files = {p.name: p.read_bytes() for p in examples.iterdir()}
    meta = json.loads(files["case.json"])
    meta["tx_power"] = 23
    files["case.json"] = json.dumps(meta).encode()
    case = case_from_files(files, "c")
    assert any("tx_power is not a field" in w for w in case.warnings)


def test_georef_far_outside_its_crs_is_refused_and_near_it_a_warning():
    """Fault probe N24: Helsinki UTM numbers labelled EPSG:2056 answered in Greenland."""
    with pytest.raises(CaseError, match=r"77\.8 degrees outside where EPSG:2056") as info:
        read_case_json(_with("georef.crs", "EPSG:2056"), "c/case.json")
    assert "c/case.json: georef: the tile's centre (75.62" in str(info.value)
    # Helsinki (24.95 E) in UTM zone 34 (18-24 E): a neighbouring zone, used in practice
    near = GeoRef("EPSG:32634", 719000.0, 6675000.0)
    (warning,) = check_area_of_use(near, "b.geojson")
    assert "outside where EPSG:32634" in warning and "check that this is the CRS" in warning
    assert check_area_of_use(GeoRef("EPSG:32635", 386101.0, 6673111.0), "x") == []


def test_a_tile_nowhere_on_earth_is_refused():
    with pytest.raises(CaseError, match="is nowhere on Earth"):
        check_area_of_use(GeoRef("EPSG:32635", 9e7, 9e7), "c/case.json: georef")


def test_degrees_outside_handles_the_antimeridian():
    assert degrees_outside(0.0, 179.0, 170.0, -10.0, -170.0, 10.0) == 0.0
    assert degrees_outside(0.0, -175.0, 170.0, -10.0, -170.0, 10.0) == 0.0
    assert degrees_outside(0.0, -160.0, 170.0, -10.0, -170.0, 10.0) == pytest.approx(10.0)
    assert degrees_outside(20.0, 175.0, 170.0, -10.0, -170.0, 10.0) == pytest.approx(10.0)
