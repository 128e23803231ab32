"""Readings CSVs: units from the header, every bad input a clear message, drops warned."""

from __future__ import annotations

import numpy as np
import pytest

from locnet.cases.case import CaseError, GeoRef
from locnet.cases.readings import parse_readings, place_readings
from tests.cases.conftest import csv_bytes, open_map

GEO = GeoRef("EPSG:32635", 386101.0, 6673111.0)


def _case(text: str, **kwargs):
    parsed = parse_readings(csv_bytes(text), "r.csv", **kwargs)
    return parsed, place_readings(parsed, open_map(), "r.csv")


def test_metres_and_gain_with_truth():
    parsed, (xy, gains, warnings) = _case("""x_m,y_m,gain_db,truth_x_m,truth_y_m
                                             10,20,-80.5,30,40
                                             11.4,20.6,-147,,""")
    assert xy.tolist() == [[10, 20], [11, 21]] and gains.tolist() == [-80.5, -147.0]
    assert parsed.truth_xy == (30.0, 40.0) and not warnings and not parsed.warnings


def test_received_power_needs_and_uses_the_transmit_power():
    text = "X_M , Y_M, RSS_dBm\n10,20,-60"
    with pytest.raises(CaseError, match="give the transmit power"):
        _case(text)
    _, (_, gains, _) = _case(text, tx_power_dbm=23)
    assert gains.tolist() == [-83.0]


def test_latlon_needs_a_georeference_and_lands_on_the_right_pixel():
    text = "lat,lon,gain_db\n60.17894182,24.95029629,-90"
    with pytest.raises(CaseError, match="no geographic reference"):
        _case(text)
    _, (xy, _, _) = _case(text, georef=GEO)
    assert xy.tolist() == [[201, 6]]  # the first row of examples/helsinki


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "r.csv is empty"),
        ("x_m,y_m,gain_db\n", "header but no reading"),
        ("a,b,c\n1,2,3", "none of x_m,y_m or lat,lon"),
        ("x_m,y_m,lat,lon,gain_db\n1,2,3,4,5", "both x_m,y_m and lat,lon"),
        ("x_m,y_m\n1,2", "no value column"),
        ("x_m,y_m,rss\n1,2,-60", "column 'rss' has no unit"),
        ("x_m,y_m,gain_db,rss_dbm\n1,2,-60,-50", "both gain_db and rss_dbm"),
        ("x_m,y_m,gain_db\n1,2,nan", r"gain_db is empty, NaN or not a number on line\(s\) 2"),
        ("x_m,y_m,gain_db\n1,2,-60\n3,,-60", r"y_m is empty.*line\(s\) 3"),
        ("x_m,y_m,gain_db\n1,2,abc", "not a number"),
        ("x_m,y_m,gain_db\n1,2,12", "outside the physical range -250 .. 0"),
        ("x_m,y_m,gain_db\n1,2,-400", "outside the physical range"),
        ("x_m,y_m,rss_dbm\n1,2,40", "received power above the transmit power"),
        ("x_m,y_m,gain_db,truth_x_m\n1,2,-60,3", "give both truth_x_m and truth_y_m"),
        ("x_m,y_m,gain_db,truth_x_m,truth_y_m\n1,2,-60,3,4\n5,6,-70,9,9", "differ between rows"),
        ("x_m,y_m,gain_db\n10,20,-60\n10.2,19.9,-61", "fall on the same 1 m pixel"),
        ('x_m,y_m,gain_db\n1,2,"-60', "not a readable CSV"),
        ("x_m,y_m,gain_db\n1,2,-60\n3,4,-70,5", r"line\(s\) 3 do not have the header's 3 fields"),
        ("x_m,y_m,gain_db,X_M\n1,2,-60,3", "x_m appear twice"),
        ("x_m;y_m;gain_db\n1;2;-60", r"none of x_m,y_m or lat,lon \(header: x_m;y_m;gain_db\)"),
    ],
)
def test_bad_readings_are_clear_errors(text, match):
    with pytest.raises(CaseError, match=match):
        _case(text, tx_power_dbm=23 if "rss_dbm" in text else None)


def test_not_utf8_is_a_clear_error():
    with pytest.raises(CaseError, match=r"not UTF-8 text \(byte 0xe9"):
        parse_readings(b"x_m,y_m,gain_db\n1,2,-60 caf\xe9\n", "r.csv")


def test_too_many_readings_is_refused_before_any_work():
    rows = "\n".join("1,2,-60" for _ in range(65_537))
    with pytest.raises(CaseError, match="65,537 readings; at most 65,536"):
        parse_readings(("x_m,y_m,gain_db\n" + rows).encode(), "r.csv")


def test_blank_lines_and_a_bom_are_fine_and_lines_are_numbered_as_in_the_file():
    data = b"\xef\xbb\xbfx_m,y_m,gain_db\n\n1,2,-60\n\n3,4,oops\n"
    with pytest.raises(CaseError, match=r"on line\(s\) 5;"):
        parse_readings(data, "r.csv")


def test_outside_the_tile_and_on_buildings_are_dropped_with_a_warning_naming_them():
    _, (xy, _, warnings) = _case("""x_m,y_m,gain_db
                                    10,20,-60
                                    300,20,-60
                                    -3,5,-60
                                    70,110,-60""")
    assert xy.tolist() == [[10, 20]]
    text = " ".join(warnings)
    assert (
        "dropped 2 reading(s) outside the 256 m x 256 m tile (line 3: (300.0, 20.0) m; line 4"
        in text
    )
    assert "dropped 1 reading(s) on a building (line 5: (70.0, 110.0) m)" in text


def test_nothing_left_is_an_error():
    with pytest.raises(CaseError, match="no reading is left"):
        _case("x_m,y_m,gain_db\n70,110,-60")


def test_gains_beyond_the_models_range_are_clipped_with_a_warning():
    parsed, _ = _case("x_m,y_m,gain_db\n10,20,-30\n11,20,-200")
    assert "are outside -147 .. -47.84 dB" in parsed.warnings[0] and "clipped" in parsed.warnings[0]
    assert np.isfinite(parsed.gains_db).all()
