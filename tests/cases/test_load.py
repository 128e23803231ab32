"""Building maps as PNG, and a whole case from files (the examples walk-through)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from locnet.cases.case import CaseError
from locnet.cases.load import build_case, buildings_from_png
from locnet.data.cities import find_environment
from tests.cases.conftest import HELSINKI_CENTER, HELSINKI_TILE, TX_POWER_DBM, open_map, png_bytes


def test_gray_and_one_bit_pngs_non_zero_is_building():
    grid = open_map()
    assert np.array_equal(buildings_from_png(png_bytes(grid * 37), "b.png"), grid)
    out = io.BytesIO()
    Image.fromarray(grid.astype(bool)).convert("1").save(out, "PNG")
    assert np.array_equal(buildings_from_png(out.getvalue(), "b.png"), grid)


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "b.png is empty"),
        (
            png_bytes(np.zeros((200, 300))),
            r"^b.png is 300 x 200 pixels; the building map must be 256 x 256",
        ),
        (png_bytes(np.full((256, 256), 255)), "building everywhere"),
        (b"\x89PNG\r\n\x1a\nnot really", "not a readable PNG"),
    ],
)
def test_bad_pngs_are_clear_errors(data, match):
    with pytest.raises(CaseError, match=match):
        buildings_from_png(data, "b.png")


def test_colour_png_is_refused():
    rgb = np.zeros((256, 256, 3), np.uint8)
    rgb[..., 0] = 200
    with pytest.raises(CaseError, match="colour image"):
        buildings_from_png(png_bytes(rgb, "RGB"), "b.png")


def test_the_three_example_inputs_give_the_same_case(examples):
    read = lambda name: (examples / name).read_bytes()
    tile = find_environment(HELSINKI_TILE).buildings
    wgs = build_case(
        read("buildings.geojson"),
        "b.geojson",
        read("readings_latlon_dbm.csv"),
        "r.csv",
        tx_power_dbm=TX_POWER_DBM,
        center=HELSINKI_CENTER,
    )
    utm = build_case(
        read("buildings_utm.geojson"),
        "b.geojson",
        read("readings_latlon_dbm.csv"),
        "r.csv",
        tx_power_dbm=TX_POWER_DBM,
    )
    png = build_case(read("buildings.png"), "b.png", read("readings_metres.csv"), "r.csv")
    png_geo = build_case(
        read("buildings.png"),
        "b.png",
        read("readings_latlon_dbm.csv"),
        "r.csv",
        tx_power_dbm=TX_POWER_DBM,
        center=HELSINKI_CENTER,
    )
    for case in (wgs, utm, png, png_geo):
        assert np.array_equal(case.buildings, tile) and not case.warnings
        assert np.array_equal(case.sensors_xy, png.sensors_xy)
        assert np.allclose(case.gains_db, png.gains_db, atol=1e-9)
        assert np.hypot(*np.subtract(case.truth_xy, png.truth_xy)) < 0.01
    assert png.georef is None and utm.georef.crs == "EPSG:32635"


def test_bbox_with_a_png_is_refused():
    with pytest.raises(CaseError, match="--bbox is for GeoJSON"):
        build_case(
            png_bytes(open_map()),
            "b.png",
            b"x_m,y_m,gain_db\n1,2,-60\n",
            "r.csv",
            bbox=[0, 0, 1, 1],
        )


def test_an_unexpected_library_failure_is_still_one_clear_message(examples, monkeypatch):
    from locnet.cases import load

    def boom(*args, **kwargs):
        raise RuntimeError("PROJ: internal proj error\nmore detail")

    monkeypatch.setattr(load, "parse_readings", boom)
    with pytest.raises(CaseError, match=r"^b.png \+ r.csv could not be read \(RuntimeError: PROJ"):
        build_case((examples / "buildings.png").read_bytes(), "b.png", b"x_m", "r.csv")
