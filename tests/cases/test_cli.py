"""`python -m locnet localize`: outputs on the examples, one-line errors, visible warnings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from locnet.cli import main
from tests.cases.conftest import HELSINKI_CENTER, csv_bytes, open_map, png_bytes

REPO = Path(__file__).resolve().parents[2]
CENTER = f"{HELSINKI_CENTER[0]},{HELSINKI_CENTER[1]}"


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(["localize", "--checkpoints", str(REPO / "checkpoints"), *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_localize_geojson_and_latlon_dbm_writes_every_output(examples, tmp_path, capsys):
    code, out, err = _run(
        capsys,
        "--buildings",
        examples / "buildings.geojson",
        "--readings",
        examples / "readings_latlon_dbm.csv",
        "--tx-power-dbm",
        23,
        "--center",
        CENTER,
        "--out",
        tmp_path,
    )
    assert code == 0, err
    report = json.loads((tmp_path / "estimates.json").read_text())
    models = {m["model"]: m for m in report["models"]}
    assert set(models) == {"locnet", "strongest", "centroid", "pathloss"}
    for m in models.values():
        assert 59 < m["lat"] < 61 and 24 < m["lon"] < 26 and m["error_m"] >= 0
        assert m["runtime_ms"] > 0 and m["device"] == "cpu"
    assert models["locnet"]["area_90_m2"] > 0 and models["centroid"]["area_90_m2"] is None
    assert report["case"]["georef"]["crs"] == "EPSG:32635" and report["case"]["sensors"] == 33
    assert report["timing_s"]["total_s"] > 0
    regions = np.asarray(Image.open(tmp_path / "regions_locnet.png"))
    assert set(np.unique(regions)) <= {0, 128, 255} and (regions == 255).any()
    geo = json.loads((tmp_path / "regions.geojson").read_text())
    assert {f["properties"]["level_percent"] for f in geo["features"]} == {50, 90}
    assert (tmp_path / "case.png").stat().st_size > 0 and (tmp_path / "estimates.csv").is_file()
    assert "locnet (" in out and "4 models in" in out


def test_localize_a_case_folder_with_a_readout(examples, tmp_path, capsys):
    code, _, err = _run(
        capsys,
        "--case",
        examples,
        "--models",
        "locnet,centroid",
        "--readout",
        "mode",
        "--out",
        tmp_path,
    )
    assert code == 0, err
    models = json.loads((tmp_path / "estimates.json").read_text())["models"]
    assert [m["readout"] for m in models] == ["mode", "point"] and models[0]["lat"] is not None


def test_dropped_readings_are_printed_as_warnings(tmp_path, capsys):
    (tmp_path / "b.png").write_bytes(png_bytes(open_map() * 255))
    (tmp_path / "r.csv").write_bytes(csv_bytes("x_m,y_m,gain_db\n10,20,-60\n70,110,-70\n30,40,-90"))
    code, _, err = _run(
        capsys,
        "--buildings",
        tmp_path / "b.png",
        "--readings",
        tmp_path / "r.csv",
        "--models",
        "centroid",
        "--out",
        tmp_path / "out",
    )
    assert code == 0
    assert "warning: " in err and "dropped 1 reading(s) on a building (line 3" in err
    models = json.loads((tmp_path / "out" / "estimates.json").read_text())["models"]
    assert models[0]["lat"] is None and models[0]["error_m"] is None


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--buildings", "nope.png", "--readings", "nope.csv"],
            "--buildings nope.png does not exist",
        ),
        (["--readings", "{ex}/readings_metres.csv"], "give --buildings MAP"),
        (["--case", "{ex}", "--buildings", "{ex}/buildings.png"], "either --case or --buildings"),
        (
            ["--buildings", "{ex}/buildings.png", "--readings", "{ex}/readings_latlon_dbm.csv"],
            "no geographic reference",
        ),
        (
            [
                "--buildings",
                "{ex}/buildings.png",
                "--readings",
                "{ex}/readings_latlon_dbm.csv",
                "--center",
                "{center}",
            ],
            "give the transmit power",
        ),
        (
            ["--buildings", "{ex}/buildings.geojson", "--readings", "{ex}/readings_metres.csv"],
            "does not say which 256 m tile",
        ),
        (["--case", "{ex}", "--models", "nosuchmodel"], "nosuchmodel"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(examples, tmp_path, capsys, args, message):
    args = [a.format(ex=examples, center=CENTER) for a in args]
    code, _, err = _run(capsys, *args, "--out", tmp_path)
    assert code == 2 and err.startswith("error: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_wrong_size_png_from_a_real_process_has_no_traceback(examples, tmp_path):
    (tmp_path / "b.png").write_bytes(png_bytes(np.zeros((128, 128))))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "locnet",
            "localize",
            "--buildings",
            str(tmp_path / "b.png"),
            "--readings",
            str(examples / "readings_metres.csv"),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == (
        f"error: {tmp_path / 'b.png'} is 128 x 128 pixels; the building "
        "map must be 256 x 256 at 1 m/pixel: crop or pad it, or give "
        "GeoJSON footprints with the tile centre"
    )
