"""Fault probes of issue #24 through `python -m locnet localize`: each bad input is one
line and exit 2, each accepted one runs without a traceback or a silent change."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from locnet.cli import main

REPO = Path(__file__).resolve().parents[2]
CASE_FILES = ("case.json", "buildings.png", "readings_metres.csv")


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(["localize", "--checkpoints", str(REPO / "checkpoints"), *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code: int, err: str) -> str:
    assert code == 2 and err.startswith("error: ") and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def _case_folder(examples: Path, folder: Path, **changes) -> Path:
    folder.mkdir()
    for name in CASE_FILES[1:]:
        shutil.copy(examples / name, folder / name)
    meta = json.loads((examples / "case.json").read_text())
    for key, value in changes.items():
        if key == "crs":
            meta["georef"]["crs"] = value
        else:
            meta[key] = value
    (folder / "case.json").write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize(
    "probe, changes, message",
    [
        ("N44", {"metadata": [1, 2]}, "case.json: metadata: must be a JSON object {...}"),
        ("N45", {"tile": [1, 2]}, "case.json: tile: must be a JSON object {...}, got a list"),
        ("N46", {"crs": "EPSG:999999"}, "case.json: georef.crs: unknown CRS 'EPSG:999999'"),
        ("N47", {"tx_power_dbm": "lots"}, "case.json: tx_power_dbm: must be a number (dBm)"),
        ("N24", {"crs": "EPSG:2056"}, "lies 77.8 degrees outside where EPSG:2056"),
    ],
)
def test_a_mistyped_case_json_is_one_line_naming_the_field(
    examples, tmp_path, capsys, probe, changes, message
):
    folder = _case_folder(examples, tmp_path / probe, **changes)
    code, _, err = _run(capsys, "--case", folder, "--models", "centroid", "--out", tmp_path / "o")
    assert message in _one_line_error(code, err)


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_whose_members_share_a_base_name_is_refused(examples, tmp_path, capsys):
    """N40: the 33-sensor case silently became the 1-sensor one (rc 0)."""
    files = {n: (examples / n).read_bytes() for n in CASE_FILES}
    files["sub/../../readings_metres.csv"] = b"x_m,y_m,gain_db\n10,250,-60\n"
    (tmp_path / "coll.zip").write_bytes(_zip(files))
    code, out, err = _run(capsys, "--case", tmp_path / "coll.zip", "--out", tmp_path / "o")
    line = _one_line_error(code, err)
    assert "holds both 'readings_metres.csv' and 'sub/../../readings_metres.csv'" in line
    assert out == "" and not (tmp_path / "o" / "estimates.json").exists()


def test_a_zip_bomb_is_refused_before_unpacking(examples, tmp_path, capsys):
    """N42: 60 MB members unpacked together until MemoryError (a traceback)."""
    files = {n: (examples / n).read_bytes() for n in CASE_FILES}
    files.update({f"pad{k}.bin": bytes(60 << 20) for k in range(3)})
    (tmp_path / "bomb.zip").write_bytes(_zip(files))
    code, _, err = _run(capsys, "--case", tmp_path / "bomb.zip", "--out", tmp_path / "o")
    assert "unpacked; a case zip may hold at most 64 files and 128.0 MB" in _one_line_error(
        code, err
    )


def test_footprints_in_the_wrong_metric_crs_are_refused(examples, tmp_path, capsys):
    """N24: Helsinki UTM footprints labelled EPSG:2056 answered in Greenland (rc 0)."""
    footprints = json.loads((examples / "buildings_utm.geojson").read_text())
    footprints["crs"]["properties"]["name"] = "EPSG:2056"
    (tmp_path / "b.geojson").write_text(json.dumps(footprints))
    code, _, err = _run(
        capsys,
        "--buildings",
        tmp_path / "b.geojson",
        "--readings",
        examples / "readings_metres.csv",
        "--models",
        "centroid",
        "--out",
        tmp_path / "o",
    )
    line = _one_line_error(code, err)
    assert "b.geojson: the tile's centre (75.62" in line and "must be in another CRS" in line


def _readings(path: Path, count: int, buildings: np.ndarray, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    free = np.argwhere(buildings == 0)
    rows, cols = free[rng.choice(len(free), count, replace=False)].T
    gains = rng.uniform(-140, -60, count)
    lines = "".join(f"{x},{y},{g:.2f}\n" for x, y, g in zip(cols, rows, gains))
    path.write_text("x_m,y_m,gain_db\n" + lines)
    return path


def test_30000_readings_run_every_classical_model(examples, tmp_path, capsys):
    """N18/N19: 5,000 readings took 9.4 GB; 30,000 were OOM-killed (cdist in classical.py)."""
    buildings = np.asarray(Image.open(examples / "buildings.png"))
    readings = _readings(tmp_path / "r.csv", 30_000, buildings)
    code, out, err = _run(
        capsys,
        "--buildings",
        examples / "buildings.png",
        "--readings",
        readings,
        "--models",
        "strongest,centroid,pathloss",
        "--out",
        tmp_path / "o",
    )
    assert code == 0, err
    models = json.loads((tmp_path / "o" / "estimates.json").read_text())["models"]
    assert [m["model"] for m in models] == ["strongest", "centroid", "pathloss"]
    assert "30000 sensors, 3 models" in out


def test_one_reading_pathloss_warns_and_answers_the_sensor(examples, tmp_path, capsys):
    """N16: one reading gave pathloss (0.0, 0.0) m with no warning."""
    (tmp_path / "one.csv").write_text("x_m,y_m,gain_db\n60,200,-90\n")
    code, out, err = _run(
        capsys,
        "--buildings",
        examples / "buildings.png",
        "--readings",
        tmp_path / "one.csv",
        "--models",
        "pathloss",
        "--out",
        tmp_path / "o",
    )
    assert code == 0, err
    assert "warning: " in err and "only 1 reading(s) above the -147 dB floor" in err
    assert "pathloss (point): (60.0, 200.0) m" in out
