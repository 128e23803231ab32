"""Campaign cases (locnet-case/2): the grid travels with the case, receivers keep their
ids, every bad input is one error naming the file and the field, and v1 cases still load."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.cases.campaign import (
    CampaignCase,
    campaign_files,
    read_any_case,
    read_any_case_zip,
    read_campaign,
)
from locnet.cases.case import CaseError, UserCase
from locnet.cases.store import read_case
from locnet.cli import main
from locnet.measurements.campus import CampusGrid

CENTER = (40.765, -111.84)  # somewhere on the Utah campus (UTM zone 12N)
GRID = {"center": list(CENTER), "metres_per_pixel": 12.5, "size": 256}
RECEIVERS = {"roof-a": (-300.0, -200.0), "roof-b": (400.0, -250.0), "bus-1": (0.0, 350.0)}


def grid_of(spec: dict = GRID) -> CampusGrid:
    from locnet.cases.campaign import campus_grid
    from locnet.cases.schema import GridSpec

    return campus_grid(
        GridSpec(**{k: tuple(v) if k == "center" else v for k, v in spec.items()}), "t"
    )[0]


def readings_table(grid: CampusGrid) -> pd.DataFrame:
    """Three receivers around the grid's centre, in lat/lon, with their kinds."""
    centre = (grid.size - 1) * grid.metres_per_pixel / 2
    xy = np.array(list(RECEIVERS.values())) + centre
    lat, lon = grid.m_to_latlon(xy[:, 0], xy[:, 1])
    return pd.DataFrame(
        {
            "receiver": list(RECEIVERS),
            "kind": ["fixed", "fixed", "shuttle"],
            "lat": lat,
            "lon": lon,
            "rss_db": [-71.5, -88.25, -60.0],
        }
    )


def case_meta(**changes) -> dict:
    meta = {
        "format": "locnet-case/2",
        "kind": "campaign",
        "grid": dict(GRID),
        "readings": "readings.csv",
        "truth": [[40.766, -111.841]],
        "campaign": {"dataset": "my-campaign", "sample": "run-7"},
    }
    meta.update(changes)
    return {k: v for k, v in meta.items() if v is not None}


def write(folder: Path, meta: dict, readings: bytes | pd.DataFrame | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "case.json").write_text(json.dumps(meta))
    if readings is None:
        readings = readings_table(grid_of())
    if isinstance(readings, pd.DataFrame):
        readings = readings.to_csv(index=False).encode()
    (folder / "readings.csv").write_bytes(readings)
    return folder


def test_a_campaign_case_reads_into_its_grid_and_sample(tmp_path):
    case = read_campaign(write(tmp_path / "c", case_meta()))
    grid = grid_of()
    assert case.grid == grid and grid.crs == "EPSG:32612"
    assert case.sample.receivers == tuple(RECEIVERS)
    assert case.kinds == ("fixed", "fixed", "shuttle")
    centre = (grid.size - 1) * grid.metres_per_pixel / 2
    expected = np.array(list(RECEIVERS.values())) + centre
    np.testing.assert_allclose(case.sample.xy_m, expected, atol=1e-6)
    np.testing.assert_array_equal(case.sample.rss_db, [-71.5, -88.25, -60.0])
    assert case.sample.truth_m.shape == (1, 2)
    lat, lon = case.latlon(case.sample.truth_m)
    assert (float(lat[0]), float(lon[0])) == pytest.approx((40.766, -111.841), abs=1e-9)
    assert case.sample.sample == "run-7" and case.provenance.dataset == "my-campaign"
    assert case.warnings == []


@pytest.mark.parametrize("positions", ["metres", "latlon"])
def test_written_cases_read_back_to_the_same_sample(tmp_path, positions):
    case = read_campaign(write(tmp_path / "c", case_meta()))
    files = campaign_files(case, latlon=False if positions == "metres" else None)
    folder = tmp_path / "again"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    again = read_campaign(folder)
    assert again.grid == case.grid and again.sample.receivers == case.sample.receivers
    np.testing.assert_allclose(again.sample.xy_m, case.sample.xy_m, atol=1e-6, rtol=0)
    np.testing.assert_allclose(again.sample.truth_m, case.sample.truth_m, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(again.sample.rss_db, case.sample.rss_db)
    assert again.kinds == case.kinds and again.provenance == case.provenance


def test_a_grid_by_its_edges_is_the_campus_grid(tmp_path):
    edges = {"crs": "EPSG:32612", "x_west_m": 427400.0, "y_north_m": 4514300.0,
             "metres_per_pixel": 12.5, "size": 256}  # fmt: skip
    case = read_campaign(write(tmp_path / "c", case_meta(grid=edges)))
    assert case.grid == CampusGrid.from_dict(edges, "t")


def test_either_format_is_read_and_v1_cases_load_unchanged(tmp_path, examples):
    v1 = read_any_case(examples)
    assert isinstance(v1, UserCase)
    assert v1.digest() == read_case(examples).digest()
    v2 = read_any_case(write(tmp_path / "c", case_meta()))
    assert isinstance(v2, CampaignCase)


def test_a_v1_reader_says_what_a_campaign_case_is(tmp_path):
    with pytest.raises(CaseError, match=r"c/case.json is a campaign case \(locnet-case/2"):
        read_case(write(tmp_path / "c", case_meta()))
    with pytest.raises(CaseError, match="kind 'survey'.*update LocNet Explorer"):
        read_campaign(write(tmp_path / "d", case_meta(kind="survey")))
    with pytest.raises(CaseError, match="locnet-case/3; this version reads.*update"):
        read_any_case(write(tmp_path / "e", case_meta(format="locnet-case/3")))


def test_v1_flags_are_refused_on_a_campaign_case(tmp_path):
    with pytest.raises(CaseError, match="campaign case.*center apply to locnet-case/1"):
        read_any_case(write(tmp_path / "c", case_meta()), center=CENTER)


def _csv(text: str) -> bytes:
    return "\n".join(line.strip() for line in text.strip().splitlines()).encode() + b"\n"


GOOD_XY = "receiver,x_m,y_m,rss_db\na,100,100,-70\nb,200,200,-80\n"


@pytest.mark.parametrize(
    "meta, readings, match",
    [
        (
            {},
            GOOD_XY.replace("-80", "nan"),
            r"readings.csv: rss_db is empty, NaN or not a number on line\(s\) 3",
        ),
        ({}, GOOD_XY.replace("-80", ""), r"readings.csv: rss_db is empty.*line\(s\) 3"),
        (
            {},
            GOOD_XY.replace("b,200", "a,200"),
            r"readings.csv: receiver 'a' appears on lines 2, 3",
        ),
        ({}, GOOD_XY.replace("b,200", ",200"), r"readings.csv: receiver is empty.*line\(s\) 3"),
        (
            {},
            GOOD_XY.replace("200,200", "4000,200"),
            r"readings.csv: 1 receiver position\(s\) \(x_m, y_m\) lie outside the grid's 3,200 m.*line 3",
        ),
        ({}, GOOD_XY.replace("receiver,", "sensor,"), "readings.csv has no receiver column"),
        (
            {},
            GOOD_XY.replace("rss_db", "gain_db"),
            "readings.csv has no rss_db column \\('gain_db' is not it\\)",
        ),
        (
            {},
            GOOD_XY.replace("-70", "-300"),
            r"readings.csv: rss_db -300 on line\(s\) 2 is outside",
        ),
        (
            {},
            "receiver,x_m,y_m,lat,lon,rss_db\na,1,1,40,-111,-70\n",
            "readings.csv has both lat,lon and x_m,y_m",
        ),
        (
            {},
            "receiver,kind,x_m,y_m,rss_db\na,tower,1,1,-70\n",
            r"readings.csv: kind 'tower' on line\(s\) 2 is not a receiver kind",
        ),
        ({}, "receiver,x_m,y_m,rss_db\n", "readings.csv has a header but no reading"),
        (
            {"grid": {**GRID, "size": 512}},
            GOOD_XY,
            r"case.json: grid.size: is 512 pixels; the grid may have at most 256 x 256",
        ),
        (
            {"grid": {**GRID, "size": 12.5}},
            GOOD_XY,
            r"case.json: grid.size: must be a whole number of pixels",
        ),
        (
            {"grid": {**GRID, "metres_per_pixel": 0}},
            GOOD_XY,
            r"case.json: grid.metres_per_pixel: must be a number in 0.01 .. 1000",
        ),
        (
            {"grid": {"metres_per_pixel": 12.5, "size": 256}},
            GOOD_XY,
            "case.json: grid: place the grid by its centre",
        ),
        (
            {"grid": {**GRID, "x_west_m": 1.0}},
            GOOD_XY,
            "case.json: grid: give either center or x_west_m/y_north_m",
        ),
        (
            {"grid": {**GRID, "crs": "EPSG:4326"}},
            GOOD_XY,
            "case.json: grid.crs: must be a projected CRS",
        ),
        ({"grid": None}, GOOD_XY, "case.json: grid: is missing; it is required"),
        (
            {"truth": [[41.5, -111.84]]},
            GOOD_XY,
            r"case.json: truth\[0\] \(41.5, -111.84\) lies outside the grid",
        ),
        (
            {"truth": [[-111.84, 40.7]]},
            GOOD_XY,
            r"case.json: truth: \[0\] must be a number in -90 .. 90",
        ),
        ({"truth": []}, GOOD_XY, "case.json: truth: must be a list of 1 to 8"),
        ({"campaign": {"split": "random"}}, GOOD_XY, "case.json: campaign.dataset: is missing"),
        ({"readings": "../r.csv"}, GOOD_XY, "case.json: readings: must be a plain file name"),
        ({"readings": "other.csv"}, GOOD_XY, "names readings file 'other.csv', which is not there"),
        ({"buildings": "b.png"}, GOOD_XY, "names buildings file 'b.png', which is not there"),
        ({"tx_power_dbm": "1 W"}, GOOD_XY, "case.json: tx_power_dbm: must be a number \\(dBm\\)"),
    ],
)
def test_bad_campaign_inputs_name_the_file_and_the_field(tmp_path, meta, readings, match):
    folder = write(tmp_path / "c", case_meta(**meta), _csv(readings))
    with pytest.raises(CaseError, match=match):
        read_campaign(folder)


def test_unknown_keys_are_warnings_naming_the_format(tmp_path):
    case = read_campaign(write(tmp_path / "c", case_meta(tx_power_dBm=30)))
    assert any("tx_power_dBm is not a field of locnet-case/2" in w for w in case.warnings)


def test_zip_checks_and_size_caps_apply_to_campaign_cases(tmp_path, monkeypatch):
    folder = write(tmp_path / "c", case_meta())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, path.name)
    assert isinstance(read_any_case_zip(out.getvalue(), "c.zip"), CampaignCase)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("sub/readings.csv", "x")
    with pytest.raises(CaseError, match="holds both 'readings.csv' and 'sub/readings.csv'"):
        read_any_case_zip(out.getvalue(), "c.zip")
    monkeypatch.setattr("locnet.cases.readings.MAX_CSV_BYTES", 64)
    with pytest.raises(CaseError, match="readings.csv is 0.0 MB; at most"):
        read_campaign(folder)


def test_localize_runs_the_training_free_models_on_any_campaign(tmp_path, capsys):
    folder = write(tmp_path / "c", case_meta())
    assert main(["localize", "--case", str(folder), "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "note: the POWDER-trained models are not run" in printed
    table = pd.read_csv(tmp_path / "o" / "estimates.csv").set_index("model")
    assert list(table.index) == ["rss-strongest", "rss-centroid", "rss-centre"]
    case = read_campaign(folder)
    centre = (case.grid.size - 1) * case.grid.metres_per_pixel / 2
    assert table.loc["rss-centre", ["x_m", "y_m"]].tolist() == pytest.approx([centre, centre])
    strongest = case.sample.xy_m[np.argmax(case.sample.rss_db)]
    assert table.loc["rss-strongest", ["x_m", "y_m"]].tolist() == pytest.approx(strongest, abs=1e-3)
    error = np.hypot(*(strongest - case.sample.truth_m[0]))
    assert table.loc["rss-strongest", "error_m"] == pytest.approx(error, abs=1e-3)
    lat, lon = case.latlon(strongest)
    assert table.loc["rss-strongest", "lat"] == pytest.approx(float(lat[0]), abs=1e-8)
    assert table.loc["rss-strongest", "lon"] == pytest.approx(float(lon[0]), abs=1e-8)
    estimates = json.loads((tmp_path / "o" / "estimates.json").read_text())
    assert estimates["case"]["format"] == "locnet-case/2"
    assert estimates["case"]["grid"] == case.grid.to_dict()


def test_localize_refuses_image_models_on_a_campaign(tmp_path, capsys):
    folder = write(tmp_path / "c", case_meta())
    assert (
        main(
            ["localize", "--case", str(folder), "--models", "locnet", "--out", str(tmp_path / "o")]
        )
        == 2
    )
    assert "a campaign case runs measurement models" in capsys.readouterr().err
