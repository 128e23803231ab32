"""The Explorer's "Upload a case" source in AppTest: files in, results (with lat/lon) out,
bad files as st.error, dropped readings as st.warning, never an exception."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from locnet.app.keys import CASE_SOURCE, SOURCE_DATASET, SOURCE_UPLOAD
from locnet.cases.store import case_zip, read_case
from tests.cases.conftest import HELSINKI_CENTER, csv_bytes, open_map, png_bytes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "helsinki"
CENTER = f"{HELSINKI_CENTER[0]}, {HELSINKI_CENTER[1]}"


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _upload(at, map_file, readings=None, *, power=None, center=""):
    at.file_uploader[0].set_value(map_file)
    at.file_uploader[1].set_value(readings)
    at.text_input(key="upload_center").set_value(center)
    at.number_input(key="upload_tx_power").set_value(power)
    return at.run()


def _file(name: str, data: bytes | None = None, mime: str = "application/octet-stream"):
    return (name, data if data is not None else (EXAMPLES / name).read_bytes(), mime)


def test_geojson_and_latlon_dbm_upload_runs_like_a_dataset_case(make_app):
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    assert not at.exception and "Upload a building map" in _texts(at.info)
    at = _upload(
        at, _file("buildings.geojson"), _file("readings_latlon_dbm.csv"), power=23.0, center=CENTER
    )
    assert not at.exception and not at.error, _texts(at.error)
    assert "33 sensors" in _texts(at.markdown) and "23 dBm" in _texts(at.markdown)
    table = at.table[0].value
    assert {"LocNet", "RSS centroid"} <= set(table["model"])
    assert table["prediction (lat, lon)"].str.match(r"60\.1\d+, 24\.9\d+").all()
    assert (table["error (m)"] >= 0).all()
    assert "Download case (.zip)" in [b.label for b in at.get("download_button")]


def test_a_case_zip_upload_and_its_predictions(make_app):
    zipped = case_zip(read_case(EXAMPLES))
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = _upload(at, ("case.zip", zipped, "application/zip"))
    assert not at.exception and not at.error, _texts(at.error)
    table = at.table[0].value
    centroid = table[table["model"] == "RSS centroid"]
    assert float(centroid["error (m)"].iloc[0]) < 256


def test_bad_files_are_st_errors(make_app):
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = _upload(
        at, ("b.png", png_bytes(np.zeros((100, 100))), "image/png"), _file("readings_metres.csv")
    )
    assert not at.exception and "b.png is 100 x 100 pixels" in _texts(at.error)
    at = _upload(at, _file("buildings.png"), ("r.csv", b"x_m,y_m,gain_db\n1,2,\xff\n", "text/csv"))
    assert not at.exception and "r.csv is not UTF-8 text" in _texts(at.error)
    at = _upload(at, _file("buildings.geojson"), _file("readings_latlon_dbm.csv"), power=23.0)
    assert not at.exception and "does not say which 256 m tile" in _texts(at.error)
    assert len(at.table) == 0


def test_dropped_readings_are_warned_and_the_rest_runs(make_app):
    readings = csv_bytes("x_m,y_m,gain_db\n10,20,-60\n70,110,-70\n300,5,-80\n30,40,-90")
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = _upload(
        at, ("b.png", png_bytes(open_map() * 255), "image/png"), ("r.csv", readings, "text/csv")
    )
    assert not at.exception and not at.error
    warnings = _texts(at.warning)
    assert "dropped 1 reading(s) on a building (line 3" in warnings
    assert "dropped 1 reading(s) outside the 256 m x 256 m tile (line 4" in warnings
    assert "2 sensors" in _texts(at.markdown)
    assert "prediction (lat, lon)" not in at.table[0].value.columns


def test_upload_works_without_a_dataset_and_switching_back_keeps_the_dataset_case(
    make_app, tmp_path
):
    at = make_app(dataset_dir=tmp_path / "none", **{CASE_SOURCE: SOURCE_UPLOAD}).run()
    assert not at.exception and not at.error  # an upload needs no dataset: nothing to fix
    assert "cannot be opened" in _texts(at.sidebar.caption)  # Advanced says it, quietly
    at = _upload(at, _file("buildings.png"), _file("readings_metres.csv"))
    assert not at.exception and len(at.table) == 1
    at2 = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at2.radio(
        key=next(k for k in [r.key for r in at2.radio] if k and "case_source" in k)
    ).set_value(SOURCE_DATASET).run()
    assert not at2.exception and not at2.error and len(at2.table) == 1


def _case_zip(**changes) -> bytes:
    """The example case as a zip, with case.json fields changed or extra members added."""
    meta = json.loads((EXAMPLES / "case.json").read_text())
    extra = changes.pop("members", {})
    for key, value in changes.items():
        if key == "crs":
            meta["georef"]["crs"] = value
        else:
            meta[key] = value
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("case.json", json.dumps(meta))
        for name in ("buildings.png", "readings_metres.csv"):
            archive.writestr(name, (EXAMPLES / name).read_bytes())
        for name, data in extra.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "probe, changes, message",
    [
        (
            "N105",
            {"members": {"sub/../../readings_metres.csv": b"x_m,y_m,gain_db\n10,250,-60\n"}},
            "case.zip holds both 'readings_metres.csv' and 'sub/../../readings_metres.csv'",
        ),
        ("N106", {"metadata": [1, 2]}, "case.zip/case.json: metadata: must be a JSON object"),
        ("N107", {"crs": "EPSG:999999"}, "case.zip/case.json: georef.crs: unknown CRS"),
        ("N108", {"tile": [1, 2]}, "case.zip/case.json: tile: must be a JSON object"),
        ("N109", {"tx_power_dbm": "lots"}, "case.zip/case.json: tx_power_dbm: must be a number"),
        (
            "N114",
            {"members": {f"pad{k}.bin": bytes(60 << 20) for k in range(3)}},
            "a case zip may hold at most 64 files and 128.0 MB in all",
        ),
    ],
)
def test_bad_case_zips_are_one_st_error_naming_the_problem(make_app, probe, changes, message):
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = _upload(at, ("case.zip", _case_zip(**changes), "application/zip"))
    assert not at.exception, probe
    assert len(at.error) == 1 and message in _texts(at.error), _texts(at.error)
    assert len(at.table) == 0  # nothing ran on a substituted or half-read case


def test_the_upload_size_limit_is_said_on_the_page(make_app):
    """N112: a file over 200 MB left only 'upload the readings CSV too' in view; the reason
    was in a tooltip on the file. The page now says what the upload boxes refuse."""
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    assert "A file over 200 MB is refused by the upload box itself" in _texts(at.info)
    at = _upload(at, _file("buildings.png"))  # the readings file was refused by its box
    error = _texts(at.error)
    assert "upload the readings CSV too" in error and "A file over 200 MB is refused" in error


def test_30000_sensors_run_within_memory(make_app):
    """N115: the strongest-sensor map asked for 7.86 GB (a (65,536 x 30,000) tensor)."""
    buildings = np.asarray(Image.open(EXAMPLES / "buildings.png"))
    rng = np.random.default_rng(0)
    free = np.argwhere(buildings == 0)
    rows, cols = free[rng.choice(len(free), 30_000, replace=False)].T
    lines = "".join(
        f"{x},{y},{g:.2f}\n" for x, y, g in zip(cols, rows, rng.uniform(-140, -60, 30_000))
    )
    readings = ("r.csv", ("x_m,y_m,gain_db\n" + lines).encode(), "text/csv")
    at = make_app(**{CASE_SOURCE: SOURCE_UPLOAD}).run()
    at = _upload(at, _file("buildings.png"), readings)
    assert not at.exception and not at.error, _texts(at.error)
    assert "30,000 sensors" in _texts(at.markdown)
    table = at.table[0].value
    assert {"Strongest sensor", "RSS centroid"} <= set(table["model"])
    assert table["prediction (m)"].notna().all()
