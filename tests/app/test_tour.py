"""The guided tour (issue #26): steps built from a results folder by rules, put into the
session, and walked in AppTest from the landing page to "your own data", each step's
case and numbers checked against what the Explorer then shows."""

from __future__ import annotations

import shutil
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
from locnet.evaluate.folders import MAIN_FILE, ROOT_KEY, SAMPLES_FILE, ResultSet


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


def test_a_case_whose_sensors_cannot_be_found_says_so_on_the_benchmark_page(folder):
    steps = T.tour_steps(folder, "mode", lambda case: None)
    assert [s.key for s in steps] == ["win", "fail", "regions", "benchmark", "own-data"]
    win = steps[0]
    assert win.missing and win.case is None and win.page == T.BENCHMARK_PAGE
    assert win.title.endswith(f": {T.NO_CASE_TITLE}") and not win.models
    assert "(Florence, map 0, transmitter 1) is not in the open dataset" in win.text


def test_a_folder_where_locnet_finds_no_transmitter_says_there_is_no_such_case(folder):
    """The "win" rule needs LocNet within 10 m somewhere: without one the step stays, on
    the Benchmark page, and says so with the folder's counts (no other case in its place)."""
    samples = folder.samples.copy()
    locnet = samples["model"] == "locnet"
    samples.loc[locnet, "error_m"] = samples.loc[locnet, "error_m"].clip(lower=25.0)
    samples.loc[locnet, "in90"] = 0.0
    steps = T.tour_steps(
        ResultSet(Path("results/weak"), folder.summary, samples=samples, meta={}),
        "mode",
        lambda case: [(1, 2)],
    )
    assert [s.key for s in steps] == ["win", "fail", "regions", "benchmark", "own-data"]
    win, fail, regions = steps[:3]
    assert win.missing and win.page == T.BENCHMARK_PAGE and win.facts == {"cases": 3, "within": 0}
    assert "(`weak`), LocNet's answer is within 10 m of the transmitter in none of its 3 test" in win.text
    assert not fail.missing and fail.case.tx == 2 and fail.page == T.EXPLORER_PAGE
    assert regions.missing and regions.facts == {"cases": 3, "misses": 3, "inside": 0}
    assert "none of LocNet's 3 answers more than 20 m off has the truth inside" in regions.text
    state = {CASE_SOURCE: SOURCE_UPLOAD, MAP_ID: 7}
    T.apply_step(state, win, dataset_dir="data/demo", model_labels=[])
    assert state[CASE_SOURCE] == SOURCE_UPLOAD and state[MAP_ID] == 7  # no case opened


def test_a_folder_at_chance_says_so_in_each_case_step(folder):
    samples = folder.samples.copy()
    samples.loc[samples["model"] == "locnet", ["pred_x", "pred_y"]] = 128.0  # one place
    samples = samples.assign(true_x=[10.0, 10.0, 200.0, 200.0, 90.0, 90.0], true_y=50.0)
    steps = T.tour_steps(
        ResultSet(Path("results/x"), folder.summary, samples=samples, meta={}),
        "mode",
        lambda case: [(1, 2)],
    )
    note = "LocNet here is not trained enough (at chance): answers collapsed to one place"
    assert all(note in s.text for s in steps[:3]), [s.text for s in steps[:3]]


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


def _tour_texts(at) -> list[str]:
    return [m.value for m in at.markdown]


def _errors(at) -> dict[str, float]:
    table = at.table[0].value
    return {m: float(e) for m, e in zip(table["model"], table["error (m)"]) if str(e).strip()}


def _main_folder(root: Path) -> Path:
    return root / (root / MAIN_FILE).read_text().strip()


def _locnet_finds_it_somewhere(folder: Path) -> bool:
    """Whether LocNet's answer is within 10 m of the transmitter in any test case."""
    samples = pd.read_parquet(folder / SAMPLES_FILE)
    return bool((samples.loc[samples["model"] == "locnet", "error_m"] <= 10.0).any())


def _start_the_demo(make_app, root: Path):
    from locnet.app.tour_panel import STEPS_KEY

    at = make_app(page=None, **{ROOT_KEY: str(root)}).run()
    assert not at.exception and at.title[0].value.startswith("LocNet Explorer")
    start = next(b for b in at.button if b.label == "Start the demo")
    assert not start.disabled
    start.click().run()
    return at, at.session_state[STEPS_KEY][1]


def _assert_case_is_open(at, step) -> None:
    """The Explorer shows the step's case: map, transmitter, rate and its sensors."""
    assert at.title[0].value == "Explorer"
    assert at.session_state[CASE_SOURCE] == SOURCE_DATASET
    assert at.session_state[MAP_ID] == int(step.case.map)
    assert at.session_state[TX_ID] == step.case.tx
    assert at.session_state[RATE] == pytest.approx(step.case.rate_percent)
    assert [tuple(s) for s in at.session_state[SENSORS]] == list(step.sensors_xy)


@pytest.mark.slow
def test_the_tour_walks_from_the_landing_page_to_your_own_data(make_app, evaluated_root):
    """Each case step's numbers (its facts, written in its box) are the ones the Explorer
    shows for that case: the folder evaluated the very weights the Explorer runs. The
    random weights find the transmitter nowhere: the first step says there is no such case
    (checked against the folder itself, so the test follows the fixture if that changes)."""
    at, steps = _start_the_demo(make_app, evaluated_root)
    assert [s.key for s in steps] == ["win", "fail", "regions", "benchmark", "own-data"]
    assert steps[0].missing is not _locnet_finds_it_somewhere(_main_folder(evaluated_root))
    for index, step in enumerate(steps):
        assert not at.exception, at.exception
        assert at.session_state[TOUR_STEP] == index
        assert _tour_box(at).endswith(f"step {index + 1} of {len(steps)}: {step.title}**")
        if step.missing:
            assert at.title[0].value == "Benchmark" and T.NO_CASE_TITLE in step.title
            assert "no such case" in _tour_box(at) and step.text in _tour_texts(at)
        elif step.case is not None:
            _assert_case_is_open(at, step)
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
    assert len(at.table) == 1 and "LocNet" in set(at.table[0].value["model"])
    at.button(key="tour_next").click().run()  # Finish
    assert not at.exception and at.session_state[TOUR_STEP] is None


@pytest.mark.slow
def test_a_folder_where_locnet_finds_it_opens_that_case_first(make_app, evaluated_root, tmp_path):
    """The other side of the "win" rule: the evaluated folder with one case's LocNet error
    set to 4 m (a doctored copy: the Explorer's own numbers differ, only the case is
    compared) makes that case the tour's first step, opened in the Explorer."""
    root = Path(shutil.copytree(evaluated_root, tmp_path / "results"))
    path = _main_folder(root) / SAMPLES_FILE
    samples = pd.read_parquet(path)
    locnet = samples[(samples["model"] == "locnet") & (samples["rate_percent"] == 0.05)]
    chosen = locnet.iloc[0][["map", "tx", "mask"]]
    same = (samples[["map", "tx", "mask"]] == chosen).all(axis=1) & (samples["model"] == "locnet")
    samples.loc[same & (samples["rate_percent"] == 0.05), "error_m"] = 4.0
    samples.to_parquet(path, index=False)
    at, steps = _start_the_demo(make_app, root)
    win = steps[0]
    assert not win.missing and win.key == "win" and win.page == T.EXPLORER_PAGE
    assert (win.case.map, win.case.tx, win.case.mask) == (str(chosen["map"]), chosen["tx"], chosen["mask"])
    assert not at.exception and at.session_state[TOUR_STEP] == 0
    _assert_case_is_open(at, win)
    assert "LocNet's answer is **4.0 m** from the transmitter" in win.text
    assert win.text in _tour_texts(at)  # the box shows it
