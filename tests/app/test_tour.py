"""The guided tour (issue #26): steps built from a results folder by rules, put into the
session, and walked in AppTest from the landing page to "your own data", each step's
case and numbers checked against what the Explorer then shows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.app import tour as T
from locnet.app.keys import (
    CASE_SOURCE,
    EXAMPLE,
    MAP_ID,
    MODELS,
    RATE,
    SENSOR_SOURCE,
    SENSORS,
    SOURCE_DATASET,
    SOURCE_UPLOAD,
    TOUR_STEP,
    TX_ID,
    UPLOADED,
)
from locnet.app.models import ModelChoice
from locnet.evaluate.folders import ROOT_KEY, ResultSet


def _rows(map_id, tx, locnet, centroid, *, in90=1.0, radius=20.0, rate=0.05):
    base = {"map": str(map_id), "env_id": "e", "city": "Florence", "tx": tx, "mask": 3,
            "rate_percent": rate, "pred_x": 0.0, "pred_y": 0.0, "true_x": 0.0, "true_y": 0.0,
            "runtime_ms": 1.0}
    return [
        {**base, "model": "locnet", "variant": "env-focal", "readout": "mode", "error_m": locnet,
         "in90": in90, "area90_m2": np.pi * radius**2},
        {**base, "model": "centroid", "variant": "default", "readout": "point",
         "error_m": centroid, "in90": np.nan, "area90_m2": np.nan},
    ]


@pytest.fixture
def folder() -> ResultSet:
    rows = _rows(0, 1, 4.0, 60.0) + _rows(1, 2, 80.0, 6.0, in90=0.0, radius=9.0)
    rows += _rows(2, 0, 30.0, 25.0, radius=40.0)
    samples = pd.DataFrame(rows)
    summary = samples.groupby(["model", "variant", "readout", "rate_percent"], as_index=False).agg(
        rmse_m=("error_m", lambda e: float(np.sqrt(np.mean(e**2)))),
        median_m=("error_m", "median"),
        n=("error_m", "size"),
    )
    return ResultSet(Path("results/x"), summary, samples=samples, meta={})


def test_steps_are_the_picked_cases_then_the_benchmark_then_your_own_data(folder):
    steps = T.tour_steps(folder, "mode", lambda case: [(1, 2), (3, 4)], ("locnet-wins", "LW"))
    assert [s.key for s in steps] == ["win", "fail", "regions", "benchmark", "own-data"]
    win, fail, regions, bench, own = steps
    assert (win.case.map, win.case.tx) == ("0", 1) and win.page == T.EXPLORER_PAGE
    assert "**4.0 m** from the transmitter" in win.text and "RSS centroid, is **60.0 m** off" in win.text
    assert "2 sensors (0.05 % of the pixels)" in win.text
    assert win.facts == {"LocNet": 4.0, "RSS centroid": 60.0}
    assert win.models == ("locnet", "centroid") and win.sensors_xy == ((1, 2), (3, 4))
    assert "only 9 m in radius: it was sure, and wrong" in fail.text and "**Why?**" in fail.text
    assert "misses by **30.0 m**" in regions.text and "inside its 90 % region" in regions.text
    assert bench.page == T.BENCHMARK_PAGE and "within 10 m" in bench.text
    assert own.example == "locnet-wins" and "**LW**" in own.text


def test_a_case_whose_sensors_cannot_be_found_is_left_out(folder):
    steps = T.tour_steps(folder, "mode", lambda case: None)
    assert [s.key for s in steps] == ["benchmark", "own-data"]


def test_applying_a_step_opens_its_case_with_its_models(folder):
    step = T.tour_steps(folder, "mode", lambda case: [(1, 2)])[0]
    state = {CASE_SOURCE: SOURCE_UPLOAD, MODELS: ["x"]}
    choices = [
        ModelChoice("LocNet (a)", "/c/a.pt", "locnet", "locnet", True),
        ModelChoice("LocNet (b)", "/c/b.pt", "locnet", "locnet", True),
        ModelChoice("RSS centroid", "centroid", "centroid", "classical", True),
    ]
    labels = T.step_model_labels(step, choices, "/c/b.pt")
    assert labels == ["LocNet (b)", "RSS centroid"]  # the weights the folder evaluated
    T.apply_step(state, step, dataset_dir="data/demo", model_labels=labels)
    assert state[CASE_SOURCE] == SOURCE_DATASET and state[MAP_ID] == 0 and state[TX_ID] == 1
    assert state[SENSORS] == [(1, 2)] and state[SENSOR_SOURCE] == "case"
    assert state[RATE] == 0.05 and state[MODELS] == labels
    own = T.tour_steps(folder, "mode", lambda case: None, ("locnet-wins", "LW"))[-1]
    T.apply_step(state, own, dataset_dir="data/demo", model_labels=[])
    assert state[CASE_SOURCE] == SOURCE_UPLOAD
    T.start(state, "results/x")
    assert state[TOUR_STEP] == 0
    T.stop(state)
    assert state[TOUR_STEP] is None


def _tour_box(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Guided tour"))


def _errors(at) -> dict[str, float]:
    table = at.dataframe[0].value
    return {m: float(e) for m, e in zip(table["model"], table["error (m)"]) if str(e).strip()}


@pytest.mark.slow
def test_the_tour_walks_from_the_landing_page_to_your_own_data(make_app, evaluated_root):
    """Each case step's numbers (its facts, written in its box) are the ones the Explorer
    shows for that case: the folder evaluated the very weights the Explorer runs."""
    from locnet.app.tour_panel import STEPS_KEY

    at = make_app(page=None, **{ROOT_KEY: str(evaluated_root)}).run()
    assert not at.exception and at.title[0].value.startswith("LocNet Explorer")
    start = next(b for b in at.button if b.label == "Start the demo")
    assert not start.disabled
    start.click().run()
    steps = at.session_state[STEPS_KEY][1]
    assert [s.key for s in steps][-2:] == ["benchmark", "own-data"]
    for index, step in enumerate(steps):
        assert not at.exception, at.exception
        assert at.session_state[TOUR_STEP] == index
        assert _tour_box(at).endswith(f"step {index + 1} of {len(steps)}: {step.title}**")
        if step.case is not None:
            assert at.title[0].value == "Explorer"
            assert at.session_state[MAP_ID] == int(step.case.map)
            assert at.session_state[TX_ID] == step.case.tx
            assert len(at.session_state[SENSORS]) == len(step.sensors_xy)
            shown = _errors(at)
            for label, value in step.facts.items():
                assert shown[label] == pytest.approx(value, abs=0.051), (step.key, label, shown)
            assert f"**{step.facts['LocNet']:.1f} m**" in step.text  # the box says the same
            best = step.case.best_classical
            if step.key in ("win", "fail") and best is not None:  # they name the best rival
                assert f"{best[0]}, is" in step.text and f"{best[1]:.1f} m" in step.text
        elif step.key == "benchmark":
            assert at.title[0].value == "Benchmark"
        if index < len(steps) - 1:
            at.button(key="tour_next").click().run()
    assert step.key == "own-data" and at.title[0].value == "Explorer"
    assert at.session_state[CASE_SOURCE] == SOURCE_UPLOAD and at.session_state[EXAMPLE]
    assert at.session_state[UPLOADED] is not None
    assert len(at.dataframe) == 1 and "LocNet" in set(at.dataframe[0].value["model"])
    at.button(key="tour_next").click().run()  # Finish
    assert not at.exception and at.session_state[TOUR_STEP] is None
