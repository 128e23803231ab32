"""The measurement models (locnet/models/rss_classical.py, fingerprint.py) through the one
registry: what each answers on batches whose answer is known, and their refusals."""

from __future__ import annotations

import numpy as np
import pytest

from locnet.errors import LocNetError
from locnet.evaluate.plan import resolve_models
from locnet.models.measurement import MeasuredBatch
from locnet.models.registry import MEASUREMENT_FAMILY, available_models, create_model, model_info

NAMES = ("rss-centre", "rss-strongest", "rss-centroid", "rss-pathloss", "rss-knn")
AREA = (-5.0, -5.0, 1995.0, 1995.0)
RECEIVERS = np.array([[200.0, 300.0], [1700.0, 250.0], [900.0, 1800.0], [1500.0, 1500.0]])
OFFSETS = np.array([-10.0, -25.0, -18.0, -30.0])


def batch(rss: np.ndarray, xy: np.ndarray | None = None, fixed=None) -> MeasuredBatch:
    rss = np.atleast_2d(np.asarray(rss, dtype=float))
    n, r = rss.shape
    if xy is None:
        xy = np.repeat(RECEIVERS[None, :r], n, axis=0)
    fixed = np.ones(r, dtype=bool) if fixed is None else np.asarray(fixed)
    return MeasuredBatch(tuple(f"rx{j}" for j in range(r)), rss, xy, fixed, AREA, -101.0)


def law(tx: np.ndarray, receivers: np.ndarray = RECEIVERS, offsets=OFFSETS, n=3.0):
    d = np.linalg.norm(tx[:, None, :] - receivers[None, :, :], axis=2)
    return offsets[None, :] - 10 * n * np.log10(np.maximum(d, 10.0))


def test_registered_as_measurement_models_that_evaluate_all_leaves_out(tmp_path):
    assert set(NAMES) <= set(available_models())
    for name in NAMES:
        info = model_info(name)
        assert info.family == MEASUREMENT_FAMILY and info.output == "coordinates"
        assert not info.trainable
    picked = {e.model for e in resolve_models(["all"], tmp_path)}
    assert picked and not picked & set(NAMES)


def test_centre_is_the_training_mean_and_every_model_needs_fit_first():
    truth = np.array([[100.0, 200.0], [300.0, 600.0]])
    model = create_model("rss-centre").fit(batch(law(truth)), truth)
    assert np.allclose(model.predict(batch(law(truth[:1]))), [[200.0, 400.0]])
    for name in NAMES:
        with pytest.raises(LocNetError, match="call fit"):
            create_model(name).predict(batch(law(truth)))
    with pytest.raises(LocNetError, match="fitted on receivers"):
        model.predict(batch(law(truth)[:, :3]))
    with pytest.raises(LocNetError, match="one finite"):
        create_model("rss-centre").fit(batch(law(truth)), truth[:1])


def test_strongest_picks_the_loudest_placed_receiver_including_a_shuttle():
    rss = np.array([[-70.0, -60.0, np.nan, -80.0], [np.nan, np.nan, np.nan, np.nan]])
    xy = np.repeat(RECEIVERS[None], 2, axis=0)
    xy[0, 3] = [50.0, 60.0]  # a shuttle: placed per sample
    model = create_model("rss-strongest").fit(batch(rss, xy, [1, 1, 1, 0]), np.ones((2, 2)))
    rss[0, 3] = -50.0
    out = model.predict(batch(rss, xy, np.array([1, 1, 1, 0], dtype=bool)))
    assert np.allclose(out[0], [50.0, 60.0])
    assert np.allclose(out[1], [1.0, 1.0])  # nothing heard: the training centre


def test_centroid_weights_linear_power():
    rss = np.array([[-60.0, -60.0, np.nan, np.nan], [-50.0, -60.0, np.nan, np.nan]])
    model = create_model("rss-centroid").fit(batch(rss), np.zeros((2, 2)))
    out = model.predict(batch(rss))
    assert np.allclose(out[0], RECEIVERS[:2].mean(axis=0))
    assert np.allclose(out[1], (10 * RECEIVERS[0] + RECEIVERS[1]) / 11)


def test_pathloss_learns_offsets_and_exponent_and_finds_noise_free_transmitters():
    rng = np.random.default_rng(1)
    train = rng.uniform(100, 1900, size=(60, 2))
    model = create_model("rss-pathloss").fit(batch(law(train)), train)
    assert model.exponent == pytest.approx(3.0, abs=1e-9)
    assert np.allclose(model.offsets_db, OFFSETS, atol=1e-9)
    test = rng.uniform(100, 1900, size=(5, 2))
    out = model.predict(batch(law(test)))
    step = model.step_m  # the answer is a candidate of the step_m grid next to the truth
    assert np.hypot(*(out - test).T).max() <= step
    unheard = law(test)
    unheard[:, 3] = np.nan  # one receiver silent: still found from the others
    assert np.hypot(*(model.predict(batch(unheard)) - test).T).max() <= step
    with pytest.raises(LocNetError, match="positive"):
        create_model("rss-pathloss", step_m=0.0)


def test_knn_averages_the_nearest_fingerprints_with_the_floor_for_no_reading():
    rng = np.random.default_rng(2)
    train = rng.uniform(0, 2000, size=(40, 2))
    rss = law(train)
    rss[rss < -95] = np.nan
    fit = batch(rss)
    model = create_model("rss-knn").fit(fit, train)
    query = law(rng.uniform(0, 2000, size=(3, 2)))
    features = np.where(np.isfinite(rss), rss, -101.0)
    q = np.where(np.isfinite(query), query, -101.0)
    nearest = np.argsort(np.linalg.norm(features[None] - q[:, None], axis=2), axis=1)[:, :5]
    assert np.allclose(model.predict(batch(query)), train[nearest].mean(axis=1))
    one = create_model("rss-knn", k=1).fit(fit, train)
    assert np.allclose(one.predict(batch(rss[:4])), train[:4])
    with pytest.raises(LocNetError, match="k must be >= 1"):
        create_model("rss-knn", k=0)
    with pytest.raises(LocNetError, match="fewer than k=5"):
        create_model("rss-knn").fit(batch(rss[:3]), train[:3])


def test_knn_reads_only_fixed_receivers():
    rng = np.random.default_rng(3)
    train = rng.uniform(0, 2000, size=(20, 2))
    rss = law(train)
    fixed = np.array([True, True, True, False])
    model = create_model("rss-knn", k=1).fit(batch(rss, fixed=fixed), train)
    noisy = rss.copy()
    noisy[:, 3] = -20.0  # the moving receiver says anything: the answer does not change
    assert np.allclose(model.predict(batch(noisy, fixed=fixed)), train)
