"""The case format on disk: folder and zip round trips are exact; bad case files are clear."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from locnet.cases.case import CaseError
from locnet.cases.store import case_from_files, case_zip, read_case, write_case, zip_members


def _same(a, b) -> None:
    assert np.array_equal(a.buildings, b.buildings)
    assert np.array_equal(a.sensors_xy, b.sensors_xy)
    assert np.array_equal(a.gains_db, b.gains_db)  # bit for bit
    assert a.truth_xy == b.truth_xy and a.georef == b.georef


def test_folder_and_zip_round_trips_are_exact(examples, tmp_path):
    case = read_case(examples)
    case.gains_db = case.gains_db + np.random.default_rng(0).normal(0, 1e-7, len(case.gains_db))
    _same(read_case(write_case(tmp_path / "c", case, {"note.txt": b"kept"})), case)
    assert (tmp_path / "c" / "note.txt").read_bytes() == b"kept"
    (tmp_path / "c.zip").write_bytes(case_zip(case))
    _same(read_case(tmp_path / "c.zip"), case)
    assert read_case(tmp_path / "c.zip").metadata["title"].startswith("Helsinki")


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_zip_with_one_enclosing_folder_is_read(examples):
    files = {f"mycase/{p.name}": p.read_bytes() for p in examples.iterdir()}
    case = case_from_files(zip_members(_zip(files), "c.zip"), "c.zip")
    assert len(case.sensors_xy) == 33


@pytest.mark.parametrize(
    "meta, match",
    [
        (None, "has no case.json"),
        (b"{oops", "not UTF-8 JSON"),
        ({"format": "other/1"}, "expected 'locnet-case/1'"),
        ({"format": "locnet-case/2"}, "update LocNet Explorer"),
        (
            {
                "format": "locnet-case/1",
                "buildings": "missing.png",
                "readings": "readings_metres.csv",
            },
            "names buildings file 'missing.png', which is not there",
        ),
        (
            {
                "format": "locnet-case/1",
                "buildings": "buildings.png",
                "readings": "readings_metres.csv",
                "georef": {"crs": "EPSG:32635"},
            },
            "'georef' needs crs, x_west_m and y_north_m",
        ),
    ],
)
def test_bad_case_files_are_clear_errors(examples, meta, match):
    files = {p.name: p.read_bytes() for p in examples.iterdir() if p.name != "case.json"}
    if meta is not None:
        files["case.json"] = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    with pytest.raises(CaseError, match=match):
        case_from_files(files, "case")


def test_not_a_zip_and_a_missing_path(tmp_path):
    (tmp_path / "c.zip").write_bytes(b"PK not a zip")
    with pytest.raises(CaseError, match="not a readable zip"):
        read_case(tmp_path / "c.zip")
    with pytest.raises(CaseError, match="does not exist"):
        read_case(tmp_path / "nothing")
