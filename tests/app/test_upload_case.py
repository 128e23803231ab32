"""Download -> upload gives the same case and the same predictions; the Explorer path of
an upload equals the CLI's; lat/lon in the results table of a geographic upload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.app.models import Case, ModelChoice, run_choice
from locnet.app.upload_case import (
    LATLON_COLUMN,
    UploadedCase,
    case_zip_of,
    explorer_case,
    with_latlon,
)
from locnet.cases.localize import estimate
from locnet.cases.store import read_case, read_case_zip
from locnet.data.cities import find_environment
from locnet.data.maps import mask_to_sensors
from locnet.data.propagation import simulate_gray
from locnet.data.sampling import sample_mask
from locnet.inference import error_m, load_model

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "helsinki"
MODELS = ("locnet", "strongest", "centroid", "pathloss")


@pytest.fixture(scope="module")
def models():
    return {name: load_model(name, REPO / "checkpoints") for name in MODELS}


@pytest.fixture(scope="module")
def dataset_case() -> Case:
    """A case as the Explorer builds it from a dataset: uint8 radio map, sampled sensors."""
    buildings = find_environment("osm-florence-00").buildings.copy()
    rng = np.random.default_rng(3)
    sensors = mask_to_sensors(sample_mask(buildings, 0.05, rng))
    outdoor = np.argwhere(buildings == 0)
    y, x = (int(v) for v in outdoor[len(outdoor) // 3])
    return Case(7, 2, (x, y), buildings, simulate_gray(buildings, (x, y)), sensors)


def _upload(zip_bytes: bytes) -> UploadedCase:
    return explorer_case(read_case_zip(zip_bytes, "case.zip"))


def _same_runs(a, b, truth_a, truth_b) -> None:
    """The same answer on two versions of a case, with each case's truth."""
    assert a.xy == b.xy and a.readouts == b.readouts
    assert error_m(a, truth_a) == error_m(b, truth_b) is not None
    assert a.expected_errors_m == b.expected_errors_m and a.region_area_m2 == b.region_area_m2


def test_downloaded_dataset_case_reuploaded_gives_identical_predictions(dataset_case, models):
    zipped = case_zip_of(
        dataset_case, {"case.png": b"png", "predictions.csv": b"csv"}, {"title": "t"}
    )
    uploaded = _upload(zipped)
    assert (
        uploaded.sensors_xy == dataset_case.sensors_xy
        and uploaded.truth_xy == dataset_case.truth_xy
    )
    assert np.array_equal(uploaded.buildings, dataset_case.buildings)
    for name, model in models.items():
        choice = ModelChoice(name, name, name, "x", True)
        _same_runs(
            run_choice(model, choice, dataset_case),
            run_choice(model, choice, uploaded),
            dataset_case.truth_xy,
            uploaded.truth_xy,
        )
    again = _upload(case_zip_of(uploaded, {}, {}))  # and a second round trip, bit for bit
    assert np.array_equal(again.gains_db, uploaded.gains_db)
    assert np.array_equal(again.radio_gray, uploaded.radio_gray)


def test_the_explorer_and_the_cli_give_the_same_answers_on_an_upload(models):
    user = read_case(EXAMPLES)
    case = explorer_case(user)
    for name, model in models.items():
        run = run_choice(model, ModelChoice(name, name, name, "x", True), case)
        cli = estimate(model, name, user)
        _same_runs(run, cli, case.truth_xy, user.truth_xy)
        assert run.label == cli.label == name


def test_results_table_gets_lat_lon_for_a_geographic_upload(models, dataset_case):
    case = explorer_case(read_case(EXAMPLES))
    run = run_choice(models["centroid"], ModelChoice("c", "centroid", "centroid", "x", True), case)
    table = pd.DataFrame({"model": ["c"], "prediction (m)": ["(1, 2)"], "runtime (ms)": [1.0]})
    out = with_latlon(table, [run], case)
    assert list(out.columns) == ["model", "prediction (m)", LATLON_COLUMN, "runtime (ms)"]
    lat, lon = (float(v) for v in out[LATLON_COLUMN][0].split(","))
    assert 60.17 < lat < 60.19 and 24.94 < lon < 24.96
    assert with_latlon(table, [run], dataset_case) is table
