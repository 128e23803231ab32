"""The Explorer's "Real measurements (POWDER)" source and the Cases page's real samples, in
AppTest: the source opens on the committed copy, the models run and their errors are
evaluate-powder's (results/powder), a two-transmitter sample is shown without running, and
a real card's "Open in Explorer" shows the same sample with the same error."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from locnet.app.keys import (
    CASE_SOURCE,
    CASES_REAL,
    REAL_BASEMAP,
    REAL_DEFAULT_MODELS,
    REAL_SAMPLE,
    REAL_SET,
    REAL_TWO_TX,
    SOURCE_REAL,
)
from locnet.evaluate.folders import SAMPLES_FILE
from locnet.measurements.dataset import PowderDataset
from locnet.measurements.evaluate import RESULTS_FOLDER
from locnet.viz.campus_map import RECEIVERS_NAME, TRUTH_NAME
from tests.app.test_benchmark_campaign import values


def evaluated(split: str, sample: str) -> pd.DataFrame:
    """evaluate-powder's rows of one test sample, by model."""
    table = pd.read_parquet(RESULTS_FOLDER / split / SAMPLES_FILE)
    return table[table["sample"] == sample].set_index("model")


def shown_errors(at) -> dict[str, float]:
    table = at.table[0].value
    return {m: float(e) for m, e in zip(table["model"], table["error (m)"])}


def chart(at, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def test_real_source_runs_the_models_with_evaluate_powders_errors(make_app):
    at = make_app(**{CASE_SOURCE: SOURCE_REAL}).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    sample = at.session_state[REAL_SAMPLE]
    assert at.session_state[REAL_SET] == "random" and sample
    rows = evaluated("random", sample)
    errors = shown_errors(at)
    assert list(errors) == list(REAL_DEFAULT_MODELS)
    for spec, error in errors.items():
        assert error == pytest.approx(rows.loc[spec, "error_m"], abs=0.051), spec
    table = at.table[0].value.set_index("model")
    in90 = "yes" if rows.loc["rss-mlp", "in90"] else "no"
    assert table.loc["rss-mlp", "truth in 90 % region"] == in90
    spec = chart(at)
    names = [t.get("name", "") for t in spec["data"]]
    assert any(n.startswith(RECEIVERS_NAME) for n in names) and TRUTH_NAME in names
    assert {"50 % region", "90 % region"} <= set(names)
    assert any(t["type"] == "heatmap" for t in spec["data"])
    assert "m" in spec["layout"]["xaxis"]["title"]["text"]


def test_street_map_toggle_draws_on_tiles(make_app):
    at = make_app(**{CASE_SOURCE: SOURCE_REAL, REAL_BASEMAP: True}).run()
    assert not at.exception
    spec = chart(at)
    assert {t["type"] for t in spec["data"]} == {"scattermap"}
    assert spec["layout"]["map"]["style"] == "open-street-map"


def test_two_transmitter_sample_is_shown_not_solved(make_app):
    at = make_app(**{CASE_SOURCE: SOURCE_REAL, REAL_SET: REAL_TWO_TX}).run()
    assert not at.exception and not at.error
    assert not at.table and not at.multiselect  # no model runs on it
    assert any("not solved yet" in i.value for i in at.info)
    spec = chart(at)
    assert "not solved yet" in spec["layout"]["title"]["text"]
    (truths,) = [t for t in spec["data"] if t.get("name") == f"{TRUTH_NAME}s (2)"]
    shown = PowderDataset.open().sample(at.session_state[REAL_SAMPLE]).truth_m
    assert values(truths["x"]) == pytest.approx(shown[:, 0].tolist())
    assert values(truths["y"]) == pytest.approx(shown[:, 1].tolist())


def test_a_copy_that_cannot_be_opened_is_one_error(make_app, tmp_path, monkeypatch):
    from locnet.app import real_explorer

    monkeypatch.setattr(real_explorer, "DEFAULT_FOLDER", tmp_path / "no-copy")
    at = make_app(**{CASE_SOURCE: SOURCE_REAL}).run()
    assert not at.exception and not at.table
    (error,) = at.error
    assert "Cannot open the real measurements" in error.value and "import-powder" in error.value


def test_a_real_case_card_opens_the_same_sample_in_the_explorer(make_app):
    at = make_app(page="gallery_cases", **{CASES_REAL: True}).run()
    assert not at.exception and not at.error
    at.selectbox[0].set_value("grid").run()
    next(r for r in at.radio if r.label == "Show").set_value("worst").run()
    assert at.selectbox[1].value == "rss-mlp"
    line = next(m.value for m in at.markdown if ": error **" in m.value)
    card_error = float(line.split("error **")[1].split(" m")[0])
    header = next(m.value for m in at.markdown if m.value.startswith("**#"))
    button = next(b for b in at.button if b.label == "Open in Explorer")
    button.click().run()
    assert not at.exception and at.title[0].value == "Explorer"
    assert at.session_state[CASE_SOURCE] == SOURCE_REAL and at.session_state[REAL_SET] == "grid"
    assert at.session_state[REAL_SAMPLE] in header
    assert shown_errors(at)["rss-mlp"] == pytest.approx(card_error, abs=0.051)
