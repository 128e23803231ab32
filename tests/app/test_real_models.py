"""What the Explorer shows of one measured sample's answers (locnet.app.real_models) and
the real source's session logic (real_state): the table and the map's markers and posterior
say the answers (locnet.measurements.one_sample), "Open in Explorer" sets the real source."""

from __future__ import annotations

import pytest

from locnet.app.keys import (
    CASE_SOURCE,
    REAL_DEFAULT_MODELS,
    REAL_MODELS,
    REAL_POSTERIOR,
    REAL_SAMPLE,
    REAL_SET,
    SOURCE_REAL,
)
from locnet.app.real_models import map_answers, map_posterior, results_table
from locnet.app.real_state import fit_choice, open_real_sample
from locnet.measurements.dataset import PowderDataset
from locnet.measurements.one_sample import answer_sample
from locnet.posterior.distribution import REGION_LEVELS
from tests.measurements.test_one_sample import SPLIT, fit_on_split


@pytest.fixture(scope="module")
def fitted() -> tuple[PowderDataset, dict, object]:
    """The committed copy, its models fitted or loaded for SPLIT, and their layout."""
    powder = PowderDataset.open()
    return (powder, *fit_on_split(powder))


def test_results_table_shows_the_answers(fitted):
    powder, models, layout = fitted
    _, test = powder.split(SPLIT)
    sample = powder.sample(test[3])
    answers = [answer_sample(models[s], s, layout, sample) for s in ("rss-knn", "rss-mlp")]
    table = results_table(answers, powder.grid, sample.truth_m[0]).set_index("model")
    assert float(table.loc["rss-knn", "error (m)"]) == pytest.approx(answers[0].error_m, abs=0.05)
    assert table.loc["rss-knn", "truth in 90 % region"] == ""  # no posterior: a blank
    assert table.loc["rss-mlp", "truth in 90 % region"] in ("yes", "no")
    mean_error = answers[1].readout_error_m("mean", sample.truth_m[0])
    assert float(table.loc["rss-mlp", "mean's error (m)"]) == pytest.approx(mean_error, abs=0.05)
    lat, lon = powder.grid.m_to_latlon(*answers[0].xy_m)
    assert table.loc["rss-knn", "lat, lon"] == f"{float(lat):.6f}, {float(lon):.6f}"
    drawn = map_posterior(answers[1])
    assert drawn.regions.shape == (len(REGION_LEVELS), *answers[1].probs.shape)
    assert drawn.label == "rss-mlp" and map_posterior(answers[0]) is None
    labels = [m.label for m in map_answers(answers)]
    assert labels == [
        f"rss-knn: {answers[0].error_m:.1f} m",
        f"rss-mlp ({answers[1].readout}): {answers[1].error_m:.1f} m",
    ]


def test_open_real_sample_sets_the_source_split_sample_and_model():
    state: dict = {}
    open_real_sample(state, split="grid", sample="2022-07-11 09:00:02", model="rss-tldl")
    assert state[CASE_SOURCE] == SOURCE_REAL and state[REAL_SET] == "grid"
    assert state[REAL_SAMPLE] == "2022-07-11 09:00:02"
    assert state[REAL_MODELS] == [*REAL_DEFAULT_MODELS, "rss-tldl"]
    assert state[REAL_POSTERIOR] == "rss-tldl"
    open_real_sample(state, split="random", sample="x", model="rss-knn")
    assert state[REAL_MODELS].count("rss-knn") == 1


def test_fit_choice_keeps_only_what_the_widget_offers():
    state = {"m": ["a", "gone"], "one": "gone"}
    fit_choice(state, "m", ["a", "b"], ["b"])
    fit_choice(state, "one", ["a", "b"], "b")
    fit_choice(state, "none", ["a", "b"], ["b", "c"])
    assert state == {"m": ["a"], "one": "b", "none": ["b"]}
