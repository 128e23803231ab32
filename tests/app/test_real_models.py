"""Measurement models on one measured sample (locnet.app.real_models, real_state): the one-row
batch is the dataset's, the answers are evaluate-powder's (results/powder), two transmitters
are refused, and "Open in Explorer" sets the real source."""

from __future__ import annotations

import numpy as np
import pandas as pd
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
from locnet.app.real_models import (
    answer_sample,
    fit_classical,
    layout_of,
    map_answers,
    results_table,
    sample_batch,
)
from locnet.app.real_state import fit_choice, open_real_sample
from locnet.errors import LocNetError
from locnet.evaluate.folders import SAMPLES_FILE
from locnet.measurements import learned
from locnet.measurements.dataset import MeasuredSample, PowderDataset
from locnet.measurements.evaluate import RESULTS_FOLDER, is_learned, measurement_models
from locnet.posterior.distribution import REGION_LEVELS

SPLIT = "grid"


@pytest.fixture(scope="module")
def powder() -> PowderDataset:
    return PowderDataset.open()


@pytest.fixture(scope="module")
def fitted(powder):
    """Every classical model fitted on the split's training side, and rss-mlp loaded."""
    train, _ = powder.split(SPLIT)
    batch, truth = powder.batch(train), powder.truth_m(train)
    models = {
        spec: fit_classical(spec, batch, truth)
        for spec in measurement_models()
        if not is_learned(spec)
    }
    path = learned.checkpoint_path(learned.CHECKPOINT_ROOT, "rss-mlp", SPLIT)
    models["rss-mlp"] = learned.load(path, "rss-mlp", powder, SPLIT)
    return models, layout_of(batch)


def test_a_sample_becomes_the_datasets_own_row(powder):
    train, test = powder.split(SPLIT)
    layout = layout_of(powder.batch(train[:2]))
    for sid in test[::97]:
        batch, unknown = sample_batch(layout, powder.sample(sid))
        ref = powder.batch([sid])
        assert not unknown
        assert np.array_equal(np.isnan(batch.rss_db), np.isnan(ref.rss_db))
        assert np.allclose(batch.rss_db, ref.rss_db, equal_nan=True)
        assert np.allclose(batch.xy_m, ref.xy_m, equal_nan=True)  # unheard fixed ones too


def test_unknown_receivers_are_left_out_and_named(powder):
    train, test = powder.split(SPLIT)
    layout = layout_of(powder.batch(train[:1]))
    s = powder.sample(test[0])
    odd = MeasuredSample(
        s.sample,
        (*s.receivers, "new-radio"),
        np.vstack([s.xy_m, [[10.0, 10.0]]]),
        np.append(s.rss_db, -60.0),
        s.truth_m,
    )
    batch, unknown = sample_batch(layout, odd)
    assert unknown == ["new-radio"] and batch.heard.sum() == len(s.receivers)


def test_answers_equal_evaluate_powder_per_sample_table(powder, fitted):
    models, layout = fitted
    table = pd.read_parquet(RESULTS_FOLDER / SPLIT / SAMPLES_FILE)
    _, test = powder.split(SPLIT)
    for sid in test[::111]:
        sample = powder.sample(sid)
        rows = table[table["sample"] == sid].set_index("model")
        for spec, model in models.items():
            answer = answer_sample(model, spec, layout, sample)
            row = rows.loc[spec]
            assert answer.error_m == pytest.approx(row["error_m"], abs=0.01), (sid, spec)
            assert answer.readout == row["readout"]
            assert np.allclose(answer.xy_m, [row["pred_x_m"], row["pred_y_m"]], atol=0.01)
            if spec == "rss-mlp":
                cols = answer.posterior_columns
                assert bool(cols["in90"]) == bool(row["in90"])
                assert cols["area90_m2"] == pytest.approx(row["area90_m2"])
                assert answer.posterior.regions.shape == (len(REGION_LEVELS), 64, 64)
                assert answer.posterior.probs.sum() == pytest.approx(1.0, abs=1e-4)
            else:
                assert answer.posterior is None and not answer.posterior_columns


def test_results_table_shows_the_answers(powder, fitted):
    models, layout = fitted
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
    labels = [m.label for m in map_answers(answers)]
    assert labels == [
        f"rss-knn: {answers[0].error_m:.1f} m",
        f"rss-mlp ({answers[1].readout}): {answers[1].error_m:.1f} m",
    ]


def test_two_transmitters_are_not_solved(powder, fitted):
    models, layout = fitted
    two = powder.samples.loc[powder.samples["n_tx"] == 2, "sample"].iloc[0]
    with pytest.raises(LocNetError, match="not solved yet"):
        answer_sample(models["rss-knn"], "rss-knn", layout, powder.sample(two))


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
