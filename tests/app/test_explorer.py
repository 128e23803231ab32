"""The Explorer page in AppTest: default case, sampling, clicks (via session state),
open_case from other pages, bad checkpoints, zero sensors, the posterior (readout, TTA,
credible regions, table columns). The readout switch itself (locnet.inference.with_readout)
is tested in tests/test_inference.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from locnet.app import state as S
from locnet.app.keys import (
    DEFAULT_RATE_PERCENT,
    MAP_ID,
    RATE,
    READOUT,
    RUNS,
    SEED,
    SENSOR_SOURCE,
    SENSORS,
    TTA,
    TX_ID,
    TX_XY,
)
from locnet.data.radiomapseer import open_dataset
from locnet.data.sampling import n_sensors_for_rate
from locnet.posterior.distribution import POINT_READOUT

POSTERIOR_COLUMNS = ("readout", "expected error (m)", "90 % radius (m)", "calibration")


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _results(at):
    """The results table as a DataFrame (the only table on the page)."""
    assert len(at.table) == 1, f"no results table; errors: {_texts(at.error)}"
    return at.table[0].value


def _sensor_count(at) -> int:
    line = next(m.value for m in at.markdown if "sensors**" in m.value)
    return int(line.split("**")[1].split()[0])


def test_default_case_runs_locnet_and_reports_an_error_in_metres(make_app):
    at = make_app().run()
    assert not at.exception and not at.error
    table = _results(at)
    locnet = table[table["model"] == "LocNet"]
    assert len(locnet) == 1
    error_m = float(locnet["error (m)"].iloc[0])
    assert 0.0 <= error_m <= 256 * np.sqrt(2)
    assert locnet["device"].iloc[0] == "cpu" and float(locnet["runtime (ms)"].iloc[0]) > 0
    assert len(locnet["top-5 candidates (m)"].iloc[0].split(") (")) == 5
    assert {"Strongest sensor", "RSS centroid"} <= set(table["model"])
    assert len(at.get("plotly_chart")) >= 1 + len(table)  # the case map + one heatmap per model


def test_rate_slider_changes_the_sensor_count(make_app):
    at = make_app().run()
    assert _sensor_count(at) == n_sensors_for_rate(DEFAULT_RATE_PERCENT)
    at.slider[0].set_value(0.1).run()
    assert not at.exception
    assert _sensor_count(at) == n_sensors_for_rate(0.1)
    assert at.session_state[RATE] == pytest.approx(0.1)
    at.slider[0].set_value(0.01).run()
    assert _sensor_count(at) == n_sensors_for_rate(0.01)


def test_resample_and_clear_buttons(make_app):
    at = make_app().run()
    before = list(at.session_state[SENSORS])
    next(b for b in at.button if b.label == "Resample").click().run()
    after = list(at.session_state[SENSORS])
    assert after != before and len(after) == len(before) and at.session_state[SEED] == 1
    next(b for b in at.button if b.label == "Clear all").click().run()
    assert not at.exception and _sensor_count(at) == 0
    assert "No sensors" in _texts(at.warning)
    assert len(at.table) == 0  # nothing is run on zero sensors


def test_manual_sensors_stand_for_clicks(make_app, tiny_dataset: Path):
    ds = open_dataset(tiny_dataset)
    map_id = ds.maps[0]
    outdoor = np.argwhere(ds.buildings(map_id) == 0)[::500][:3]
    sensors = [(int(x), int(y)) for y, x in outdoor]
    at = make_app(**{MAP_ID: map_id, SENSORS: sensors, SENSOR_SOURCE: "manual"}).run()
    assert not at.exception
    assert _sensor_count(at) == 3 and "edited by clicks" in _texts(at.markdown)
    assert "LocNet" in set(_results(at)["model"])


def test_placed_transmitter_is_simulated_live(make_app, tiny_dataset: Path):
    ds = open_dataset(tiny_dataset)
    map_id = ds.maps[0]
    y, x = np.argwhere(ds.buildings(map_id) == 0)[1000]
    at = make_app(**{MAP_ID: map_id, TX_ID: None, TX_XY: (int(x), int(y))}).run()
    assert not at.exception and not at.error
    assert at.selectbox(key="_w_" + TX_ID).value == "placed by click"
    assert f"placed transmitter at ({x}, {y}) m" in str(at.get("plotly_chart")[0].proto.spec)


def test_open_case_from_another_page_is_honoured(make_app, tiny_dataset: Path):
    ds = open_dataset(tiny_dataset)
    map_id, tx_id = ds.samples_in("val")[0]
    mask = ds.load_mask(ds.mask_refs("val")[0])
    sensors = [(int(x), int(y)) for y, x in np.argwhere(mask)]
    state: dict = {}
    S.open_case(state, dataset_dir=tiny_dataset, map_id=map_id, tx_id=tx_id, sensors_xy=sensors)
    at = make_app(**state).run()
    assert not at.exception and not at.error
    assert at.session_state[MAP_ID] == map_id and at.session_state[TX_ID] == tx_id
    assert list(at.session_state[SENSORS]) == sensors
    assert _sensor_count(at) == len(sensors) and "opened case" in _texts(at.markdown)


def test_checkpoint_of_another_shape_is_an_error_not_a_traceback(make_app, tmp_path: Path):
    from locnet.models.checkpoints import atomic_torch_save, build_checkpoint
    from locnet.models.registry import create_model

    payload = build_checkpoint("locnet", create_model("locnet"))
    payload["state_dict"] = {k: torch.zeros(3) for k in list(payload["state_dict"])[:5]}
    atomic_torch_save(payload, tmp_path / "locnet.pt")
    (tmp_path / "locnet-bbce.pt").write_bytes(b"not a checkpoint at all")
    at = make_app(checkpoint_dir=tmp_path).run()
    assert not at.exception
    assert "does not fit model 'locnet'" in _texts(at.error)
    table = _results(at)
    assert "does not fit" in table.loc[table["model"] == "LocNet", "problem"].iloc[0]
    assert (table["error (m)"] != "").sum() == len(table) - 1  # the other models still ran
    skipped = [w.value for w in at.main.warning if "locnet-bbce.pt" in w.value]
    assert len(skipped) == 1 and "corrupt" in skipped[0]  # said once, on the page
    assert not at.sidebar.warning


def test_without_checkpoints_locnet_is_listed_with_the_train_command(make_app, tmp_path: Path):
    at = make_app(checkpoint_dir=tmp_path).run()
    assert not at.exception
    notes = _texts(at.markdown)
    assert "-m locnet train --model locnet" in notes and "python -m locnet generate" in notes
    assert "LocNet" not in set(_results(at)["model"])


def _row(at, model: str):
    """One model's row, numbers as floats (a column with blanks is text in the table)."""
    table = _results(at)
    (row,) = table[table["model"] == model].to_dict("records")
    return {k: _number(v) for k, v in row.items()}


def _number(value):
    try:
        return float(value) if isinstance(value, str) and value.strip() else value
    except ValueError:
        return value


def _figure(at, title_start: str) -> dict:
    """The plotly figure (as JSON) whose title starts with `title_start`."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = (spec["layout"].get("title") or {}).get("text") or ""
        if title.startswith(title_start):
            return spec
    raise AssertionError(f"no figure titled {title_start!r}")


def test_locnet_figure_draws_credible_regions_mode_and_mean(make_app):
    at = make_app().run()
    assert not at.exception and not at.error
    names = [t.get("name") for t in _figure(at, "LocNet:")["data"]]
    regions = [t for t in _figure(at, "LocNet:")["data"] if "region" in t.get("name", "")]
    assert sorted(t["name"] for t in regions) == ["50 % region", "90 % region"]
    assert all(t["type"] == "scatter" and t["mode"] == "lines" for t in regions)  # traced here
    assert {t["name"]: t["line"]["dash"] for t in regions} == {
        "50 % region": "solid",
        "90 % region": "dash",
    }
    assert {"mode (argmax)", "mean", "prediction (mode)"} <= set(names)  # uncalibrated: mode
    classical = [t.get("name", "") for t in _figure(at, "RSS centroid:")["data"]]
    assert not [n for n in classical if "region" in n]


def test_table_has_readout_uncertainty_and_calibration_columns(make_app):
    at = make_app().run()
    table = _results(at)
    assert set(POSTERIOR_COLUMNS) <= set(table.columns) and "TTA" not in table.columns
    locnet = _row(at, "LocNet")
    assert locnet["readout"] == "mode" and locnet["calibration"] == "uncalibrated (T = 1)"
    assert locnet["expected error (m)"] > 0 and 0 < locnet["90 % radius (m)"] <= 256
    assert isinstance(locnet["expected error (m)"], float)  # a column with blanks is text
    centroid = _row(at, "RSS centroid")
    assert centroid["readout"] == POINT_READOUT and centroid["calibration"] == "no posterior"
    # blank, not "None" (Streamlit's grid writes None into a missing cell)
    assert centroid["expected error (m)"] == "" and centroid["90 % radius (m)"] == ""


def test_readout_selector_changes_the_answer_without_running_again(make_app):
    at = make_app().run()
    before = _row(at, "LocNet")
    runs = dict(at.session_state[RUNS])
    at.selectbox(key="_w_" + READOUT).set_value("mean").run()
    assert not at.exception and at.session_state[READOUT] == "mean"
    after = _row(at, "LocNet")
    assert after["readout"] == "mean" and after["prediction (m)"] != before["prediction (m)"]
    assert after["expected error (m)"] <= before["expected error (m)"]  # the mean minimises it
    assert after["runtime (ms)"] == before["runtime (ms)"]  # the same run, read out again
    assert dict(at.session_state[RUNS]) == runs  # no model ran
    names = [t.get("name") for t in _figure(at, "LocNet:")["data"]]
    assert "prediction (mean)" in names
    assert _row(at, "RSS centroid")["readout"] == POINT_READOUT


def test_tta_toggle_reruns_only_the_heatmap_models(make_app):
    at = make_app().run()
    plain = _row(at, "LocNet")
    centroid_runs = {k: v for k, v in at.session_state[RUNS].items() if k[1] == "RSS centroid"}
    at.toggle(key="_w_" + TTA).set_value(True).run()
    assert not at.exception and not at.error and at.session_state[TTA] is True
    table = _results(at)
    with_tta = _row(at, "LocNet")
    assert bool(with_tta["TTA"]) and not table.loc[table["model"] == "RSS centroid", "TTA"].any()
    assert with_tta["runtime (ms)"] > plain["runtime (ms)"]  # eight forward passes
    assert "TTA" in _figure(at, "LocNet:")["layout"]["title"]["text"]
    after = {k: v for k, v in at.session_state[RUNS].items() if k[1] == "RSS centroid"}
    assert after.keys() == centroid_runs.keys()  # the classical model did not run again
    at.toggle(key="_w_" + TTA).set_value(False).run()
    assert _row(at, "LocNet")["runtime (ms)"] == plain["runtime (ms)"]  # remembered

