"""The case format on disk: folder and zip round trips are exact; bad case files are clear."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from locnet.cases.case import CaseError
from locnet.cases.store import case_from_files, case_zip, read_case, read_case_zip, write_case

REPO = Path(__file__).resolve().parents[2]


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
    case = read_case_zip(_zip(files), "c.zip")
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
            "georef.x_west_m: is missing; it is required",
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


def _example_files(examples) -> dict[str, bytes]:
    return {
        n: (examples / n).read_bytes()
        for n in ("case.json", "buildings.png", "readings_metres.csv")
    }


def test_two_members_with_one_base_name_are_refused_naming_both(examples):
    """Fault probe N40: the second readings file silently replaced the first."""
    files = {
        **_example_files(examples),
        "sub/../../readings_metres.csv": b"x_m,y_m,gain_db\n1,2,-60\n",
    }
    with pytest.raises(CaseError) as info:
        read_case_zip(_zip(files), "c.zip")
    assert str(info.value) == (
        "c.zip holds both 'readings_metres.csv' and 'sub/../../readings_metres.csv', which are "
        "both 'readings_metres.csv' without their folders; keep only one of them"
    )


def _deflated(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "extra, message",
    [
        (
            {f"p{k}.txt": b"x" for k in range(70)},
            r"holds 73 files, 0\.0 MB unpacked; a case zip may hold at most 64 files and 128\.0 MB",
        ),
        ({f"p{k}.bin": bytes(50 << 20) for k in range(3)}, r"holds 6 files, 150\.0 MB unpacked"),
        (
            {"pad.bin": bytes(65 << 20)},
            r"holds 'pad.bin' of 65\.0 MB; a file of a case may be at most 64\.0 MB",
        ),
        (
            {"pad.bin": bytes(2 << 20)},
            r"'pad.bin' would expand 1,0\d\d times .* at most 100 times \(is it a zip bomb\?\)",
        ),
    ],
)
def test_zip_bombs_are_refused_from_the_central_directory(examples, extra, message):
    """Fault probes N42/N114: 60 MB members were unpacked together until memory ran out."""
    data = _deflated({**_example_files(examples), **extra})
    with pytest.raises(CaseError, match=message):
        read_case_zip(data, "c.zip")


def test_extra_files_in_a_zip_are_never_unpacked(examples, monkeypatch):
    read = []
    original = zipfile.ZipFile.read
    monkeypatch.setattr(
        zipfile.ZipFile,
        "read",
        lambda self, m, *a: read.append(m.filename) or original(self, m, *a),
    )
    data = _deflated(
        {**_example_files(examples), "case.png": b"\x89PNG" + bytes(1000), "notes.txt": b"n"}
    )
    assert len(read_case_zip(data, "c.zip").sensors_xy) == 33
    assert sorted(read) == ["buildings.png", "case.json", "readings_metres.csv"]


def test_a_case_folder_reads_only_the_files_case_json_names(examples, tmp_path, monkeypatch):
    """Fault probe N43: an unrelated 3 GB file in the folder was read into memory."""
    folder = tmp_path / "c"
    folder.mkdir()
    for name, data in _example_files(examples).items():
        (folder / name).write_bytes(data)
    with (folder / "huge.bin").open("wb") as handle:
        handle.truncate(3 << 30)  # sparse: no disk used
    opened = []
    original = Path.open
    monkeypatch.setattr(
        Path, "open", lambda self, *a, **k: opened.append(self.name) or original(self, *a, **k)
    )
    assert len(read_case(folder).sensors_xy) == 33
    assert sorted(opened) == ["buildings.png", "case.json", "readings_metres.csv"]


def test_a_huge_file_named_by_case_json_is_refused_before_reading(examples, tmp_path):
    """Fault probe N28 through a case folder: the size is checked on the file system."""
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "readings_metres.csv").write_bytes((examples / "readings_metres.csv").read_bytes())
    meta = json.loads((examples / "case.json").read_text())
    (folder / "case.json").write_text(json.dumps({**meta, "buildings": "b.geojson"}))
    with (folder / "b.geojson").open("wb") as handle:
        handle.truncate(2 << 30)
    with pytest.raises(CaseError, match=r"b.geojson is 2,048.0 MB; at most 64.0 MB is read"):
        read_case(folder)


def test_a_case_json_naming_a_path_outside_the_case_is_refused(examples, tmp_path):
    files = _example_files(examples)
    meta = json.loads(files["case.json"])
    files["case.json"] = json.dumps({**meta, "readings": "../readings_metres.csv"}).encode()
    with pytest.raises(CaseError, match="readings: must be a plain file name"):
        read_case_zip(_zip(files), "c.zip")


@pytest.mark.slow
def test_the_worst_probe_zip_is_refused_quickly_in_little_memory(examples, tmp_path):
    """The fault probe's own bomb: 200 members of 60 MB zeros (a 12 MB zip, 12 GB unpacked)."""
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _example_files(examples).items():
            archive.writestr(name, data)
        blob = bytes(60 << 20)
        for k in range(200):
            archive.writestr(f"pad{k}.bin", blob)
    code = (
        "import json, resource, time\n"
        "from locnet.cases.store import read_case\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "start = time.perf_counter()\n"
        "try:\n"
        f"    read_case({str(bomb)!r})\n"
        "except Exception as exc:\n"
        "    message = str(exc)\n"
        "print(json.dumps({'s': time.perf_counter() - start, 'message': message,\n"
        "    'mb': (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    result = json.loads(out.stdout)
    assert "holds 203 files, 12,000.0 MB unpacked" in result["message"]
    assert result["mb"] < 100, result  # seconds are reported (docs/cases.md), not asserted
