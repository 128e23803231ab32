"""One measured sample, answered (locnet.measurements.one_sample): the one-row batch is the
dataset's own row, the answers are evaluate-powder's (results/powder), unknown receivers
are left out and named, and the training-free models answer a sample on its own receivers
as `localize --case` does. The one home for both the Explorer and `localize --case`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from locnet.errors import LocNetError
from locnet.evaluate.folders import SAMPLES_FILE
from locnet.measurements import learned
from locnet.measurements.campus import CampusGrid
from locnet.measurements.dataset import MeasuredSample, PowderDataset
from locnet.measurements.evaluate import RESULTS_FOLDER, is_learned, measurement_models
from locnet.measurements.one_sample import (
    FREE,
    answer_moved,
    answer_sample,
    answer_untrained,
    fit_classical,
    layout_of,
    powder_layout,
    sample_batch,
    sample_on,
)
from locnet.posterior.distribution import POINT_READOUT, REGION_LEVELS

SPLIT = "grid"


@pytest.fixture(scope="module")
def powder() -> PowderDataset:
    return PowderDataset.open()


@pytest.fixture(scope="module")
def fitted(powder):
    return fit_on_split(powder)


def fit_on_split(powder: PowderDataset):
    """Every classical model fitted on the split's training side, rss-mlp loaded, and the
    layout they read."""
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
    for layout in (layout_of(powder.batch(train[:2])), powder_layout(powder)):
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
    alone = MeasuredSample("x", ("new-radio",), np.zeros((1, 2)), np.array([-60.0]), s.truth_m)
    with pytest.raises(LocNetError, match="none of its receivers"):
        answer_sample(None, "rss-knn", layout, alone)


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
            assert answer.runtime_ms >= 0
            if spec == "rss-mlp":
                cols = answer.posterior_columns
                assert bool(cols["in90"]) == bool(row["in90"])
                assert cols["area90_m2"] == pytest.approx(row["area90_m2"])
                assert answer.regions.shape == (len(REGION_LEVELS), 64, 64)
                assert answer.probs.sum() == pytest.approx(1.0, abs=1e-4)
                assert answer.raster.size == 64
            else:
                assert answer.probs is None and not answer.posterior_columns


def test_without_a_truth_only_the_truths_columns_are_blank(powder, fitted):
    models, layout = fitted
    _, test = powder.split(SPLIT)
    sample = powder.sample(test[5])
    blind = MeasuredSample(sample.sample, sample.receivers, sample.xy_m, sample.rss_db,
                           np.zeros((0, 2)))  # fmt: skip
    seen = answer_sample(models["rss-mlp"], "rss-mlp", layout, sample)
    answer = answer_sample(models["rss-mlp"], "rss-mlp", layout, blind)
    assert answer.error_m is None and np.isnan(answer.posterior_columns["credible_level"])
    assert np.allclose(answer.xy_m, seen.xy_m)
    cols = answer.posterior_columns
    assert cols["area90_m2"] == pytest.approx(seen.posterior_columns["area90_m2"])
    assert cols["expected_error_m"] == pytest.approx(seen.posterior_columns["expected_error_m"])


def test_two_transmitters_are_scored_against_the_first(powder, fitted):
    models, layout = fitted
    two = powder.samples.loc[powder.samples["n_tx"] == 2, "sample"].iloc[0]
    sample = powder.sample(two)
    answer = answer_sample(models["rss-knn"], "rss-knn", layout, sample)
    assert answer.error_m == pytest.approx(np.hypot(*(answer.xy_m - sample.truth_m[0])))


def test_training_free_models_answer_on_the_samples_own_receivers():
    grid = CampusGrid("EPSG:32612", 427400.0, 4514300.0, 10.0, 100)
    xy = np.array([[100.0, 100.0], [900.0, 100.0], [500.0, 800.0]])
    sample = MeasuredSample("s", ("a", "b", "c"), xy, np.array([-50.0, -80.0, -90.0]),
                            np.array([[120.0, 90.0]]))  # fmt: skip
    answers = answer_untrained(sample, grid, np.array([True, False, True]))
    by = {a.model: a for a in answers}
    assert np.allclose(by["rss-strongest"].xy_m, xy[0])
    assert np.allclose(by["rss-centre"].xy_m, [495.0, 495.0])  # (size - 1) / 2 pixels
    assert by["rss-strongest"].error_m == pytest.approx(np.hypot(20.0, 10.0))
    assert all(a.readout == POINT_READOUT and a.scored_as == FREE for a in answers)
    assert by["rss-centre"].trained_on == "nothing (the grid's centre)"


def test_a_sample_on_another_grid_is_moved_there_and_back(powder, fitted):
    models, layout = fitted
    _, test = powder.split(SPLIT)
    sample = powder.sample(test[7])
    g = powder.grid
    shifted = CampusGrid(g.crs, g.x_west_m - 500.0, g.y_north_m + 300.0, g.metres_per_pixel,
                         g.size)  # fmt: skip
    there = sample_on(sample, g, shifted)
    assert np.allclose(there.xy_m, sample.xy_m + [500.0, 300.0])
    back = sample_on(there, shifted, g)
    assert np.allclose(back.xy_m, sample.xy_m) and np.allclose(back.truth_m, sample.truth_m)
    answer = answer_sample(models["rss-mlp"], "rss-mlp", layout, back)
    moved = answer_moved(answer, g, shifted)
    assert np.allclose(moved.xy_m, answer.xy_m + [500.0, 300.0])
    assert np.allclose(moved.by_readout["mean"], answer.by_readout["mean"] + [500.0, 300.0])
