"""`python -m locnet import-powder`: the copy, its cleaning counts, licence and attribution;
one clear error for each kind of bad file; never a half-written output."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from locnet.cli import main
from locnet.measurements import importer
from locnet.measurements.dataset import MANIFEST_FILE, READINGS_FILE
from locnet.measurements.source import SINGLE_CSV, TWO_CSV
from locnet.measurements.splits import SPLITS, SPLITS_FOLDER
from tests.measurements.conftest import N_SINGLE, N_TWO

RULES = ("shuttle_absent", "shuttle_off_grid", "unheard_fixed", "unheard_shuttle")


def _import(src: Path, out: Path) -> int:
    return main(["import-powder", "--src", str(src), "--out", str(out)])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_copy_counts_licence_and_readme(release, tmp_path):
    src, truth = release
    out = tmp_path / "copy"
    assert _import(src, out) == 0
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    counts = manifest["counts"]
    for rule in RULES:
        assert counts[rule] == truth[1][rule] + truth[2][rule], rule
    assert counts["shuttle_off_grid"] > 0 and counts["shuttle_absent"] > 0
    assert (counts["samples_1tx"], counts["samples_2tx"]) == (N_SINGLE, N_TWO)
    assert counts["duplicate_timestamps"] == counts["samples_without_readings"] == 0
    slots = (N_SINGLE + N_TWO) * 6  # 4 fixed + 2 shuttles per row
    assert counts["readings"] == slots - sum(counts[r] for r in RULES)
    readings = pd.read_parquet(out / READINGS_FILE)
    assert len(readings) == counts["readings"] and (readings["rss_db"] > -101).all()
    assert (out / "LICENSE").read_bytes() == (src / "LICENSE").read_bytes()
    assert (out / "SOURCE.md").read_bytes() == (src / "SOURCE.md").read_bytes()
    assert (out / "DATASET-README.md").read_bytes() == (src / "README.md").read_bytes()
    text = (out / "README.md").read_text()
    assert "MIT" in text and "University of Utah" in text
    assert f"| {counts['shuttle_absent']:,} | shuttle slots dropped" in text
    for name in manifest["files"]:
        assert (out / name).is_file(), name
    assert set(manifest["source_files"]) >= {SINGLE_CSV, TWO_CSV}
    assert not list(tmp_path.glob(".*"))  # no temporary folder left beside the copy


def test_reimport_gives_the_same_files_and_refuses_a_foreign_folder(release, tmp_path):
    src, _ = release
    out = tmp_path / "copy"
    assert _import(src, out) == 0
    first = _snapshot(out)
    assert _import(src, out) == 0
    assert _snapshot(out) == first
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(Exception, match="not empty and holds no earlier import"):
        importer.check_out(foreign)
    assert _import(src, foreign) == 2
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_duplicate_timestamps_keep_the_first_row(release, tmp_path):
    src, _ = release
    path = src / SINGLE_CSV
    lines = path.read_text().splitlines()
    twin = lines[1].split(",")
    twin[-2] = "40.7600"  # same timestamp, another transmitter position
    path.write_text("\r\n".join([*lines, ",".join(twin)]) + "\r\n")
    two = src / TWO_CSV  # and a two-transmitter row repeating a one-transmitter timestamp
    rows = two.read_text().splitlines()
    rows[1] = lines[2].split(",")[0] + "," + rows[1].split(",", 1)[1]
    two.write_text("\r\n".join(rows) + "\r\n")
    out = tmp_path / "copy"
    assert _import(src, out) == 0
    counts = json.loads((out / MANIFEST_FILE).read_text())["counts"]
    assert counts["duplicate_timestamps"] == 2
    assert (counts["samples_1tx"], counts["samples_2tx"]) == (N_SINGLE, N_TWO - 1)
    samples = pd.read_csv(out / "samples.csv", dtype={"sample": str})
    first = samples.set_index("sample").loc[lines[1].split(",")[0]]
    assert first["tx1_lat"] == pytest.approx(float(lines[1].split(",")[-2]))


def _truncate(src: Path) -> str:
    path = src / SINGLE_CSV
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # the last row loses its last fields
    return "single_tx.csv, line 41"


def _unknown_receiver(src: Path) -> str:
    path = src / SINGLE_CSV
    path.write_text(path.read_text().replace("pole-c", "pole-x", 1))
    return "column 'pole-x' names no receiver"


def _nan(src: Path) -> str:
    path = src / TWO_CSV
    lines = path.read_text().splitlines()
    fields = lines[2].split(",")
    fields[8] = "NaN"
    lines[2] = ",".join(fields)
    path.write_text("\r\n".join(lines) + "\r\n")
    return "two_tx.csv, line 3, column 'roof-b'"


def _unknown_split_timestamp(src: Path) -> str:
    path = src / SPLITS_FOLDER / SPLITS[1].file
    keys = json.loads(path.read_text())
    keys["2021-01-01 00:00:00"] = {}
    path.write_text(json.dumps(keys))
    return "grid_test.json: 1 timestamp(s) are not imported one-transmitter samples"


def _two_tx_in_split(src: Path) -> str:
    path = src / SPLITS_FOLDER / SPLITS[0].file
    path.write_text(json.dumps({"2022-07-01 10:30:00": {}}))
    return "1 are two-transmitter samples"


def _missing_licence(src: Path) -> str:
    (src / "LICENSE").unlink()
    return "LICENSE is missing"


def _not_a_number(src: Path) -> str:
    path = src / SINGLE_CSV
    path.write_text(path.read_text().replace("-101,-1,-1", "-101,absent,-1", 1))
    return "'absent' is not a finite number"


@pytest.mark.parametrize(
    "damage",
    [
        _truncate,
        _unknown_receiver,
        _nan,
        _unknown_split_timestamp,
        _two_tx_in_split,
        _missing_licence,
        _not_a_number,
    ],
)
def test_bad_files_are_one_error_and_leave_the_copy_as_it_was(release, tmp_path, capsys, damage):
    src, _ = release
    out = tmp_path / "copy"
    assert _import(src, out) == 0
    before = _snapshot(out)
    capsys.readouterr()
    expected = damage(src)
    assert _import(src, out) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert expected in err
    assert _snapshot(out) == before
    fresh = tmp_path / "fresh"
    assert _import(src, fresh) == 2
    assert not fresh.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_failure_while_writing_leaves_the_old_copy(release, tmp_path, monkeypatch):
    src, _ = release
    out = tmp_path / "copy"
    assert _import(src, out) == 0
    before = _snapshot(out)

    def broken(data, command):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(importer, "readme", broken)
    assert _import(src, out) == 2
    assert _snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
