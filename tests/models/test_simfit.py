"""simfit: the simulator-fit localizer (reciprocity, offset fit, censoring, oracle accuracy)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from locnet.constants import FLOOR_DB
from locnet.data.procedural import procedural_city
from locnet.data.propagation import simulate_gray
from locnet.data.propagation_params import PAPER_LIKE
from locnet.data.sampling import encode_input, sample_mask
from locnet.models.registry import create_model, model_info
from locnet.models.simfit import misfit, propagation_settings, reciprocity_gap_db


def test_offset_absorbs_an_unknown_transmit_power():
    predicted = torch.tensor([[-80.0, -60.0], [-90.0, -70.0], [-100.0, -75.0]], dtype=torch.float64)
    readings = predicted[:, 0] + 7.5  # candidate 0, 7.5 dB more power than simulated
    cost = misfit(readings, predicted, sigma_db=1.0)
    assert cost[0] == pytest.approx(0.0, abs=1e-9) and cost[1] > 1.0


def test_floor_readings_are_censored():
    predicted = torch.tensor([[-80.0, -80.0], [-150.0, -100.0]], dtype=torch.float64)
    readings = torch.tensor([-80.0, FLOOR_DB], dtype=torch.float64)  # sensor 2 heard nothing
    cost = misfit(readings, predicted, sigma_db=1.0)
    # candidate 0 predicts below the floor at sensor 2: no cost; candidate 1 predicts -100 dB
    assert cost[0] == pytest.approx(0.0, abs=1e-9)
    assert cost[1] == pytest.approx(np.log1p((-100.0 - FLOOR_DB) ** 2))


def test_misfit_is_robust_to_one_wild_sensor():
    predicted = torch.tensor([[-80.0], [-85.0], [-90.0], [-95.0]], dtype=torch.float64)
    readings = predicted[:, 0].clone()
    readings[3] += 40.0  # one sensor off by 40 dB costs log(1 + 1600), not 1600
    assert misfit(readings, predicted, 1.0)[0] == pytest.approx(np.log1p(1600.0))


def test_our_simulator_is_nearly_reciprocal():
    """Measured on procedural maps 5, 7 and 11 (12 points each): the median pair differs by
    0.1-0.6 dB between the two directions and 59-71 % of pairs agree within 1 dB, but a few
    differ by up to ~50 dB (the path search from A to B is not the one from B to A): why
    simfit re-scores its best candidates with forward simulations."""
    buildings = procedural_city(11).buildings
    outdoor = np.argwhere(buildings == 0)
    rng = np.random.default_rng(1)
    points = outdoor[rng.choice(len(outdoor), 10, replace=False)][:, ::-1].copy()
    gap = reciprocity_gap_db(buildings, points)
    pairs = gap[~np.eye(len(points), dtype=bool)]
    assert np.median(pairs) < 1.0 and np.mean(pairs <= 1.0) >= 0.5 and pairs.max() > 1.0


def test_settings_start_paper_like_and_are_seeded():
    first, *rest = propagation_settings(3, seed=0)
    assert first.los_exponent == propagation_settings(1)[0].los_exponent and len(rest) == 2
    assert rest == list(propagation_settings(3, seed=0)[1:])


@pytest.fixture(scope="module")
def oracle_case():
    buildings = procedural_city(5).buildings
    rng = np.random.default_rng(3)
    outdoor = np.argwhere(buildings == 0)
    ty, tx = outdoor[np.argmin(np.abs(outdoor - 128).sum(axis=1))]  # near the centre: heard
    gray = simulate_gray(buildings, (int(tx), int(ty)))
    mask = sample_mask(buildings, 0.05, rng)
    x = torch.from_numpy(encode_input(gray, mask, buildings))[None]
    assert (gray[mask == 1] > 0).sum() >= 5  # sensors that heard it: the case is informative
    return x, (int(tx), int(ty))


def test_simfit_finds_the_transmitter_on_its_own_simulator(oracle_case):
    x, truth = oracle_case
    assert model_info("simfit").family == "physics" and not model_info("simfit").trainable
    model = create_model("simfit").eval()
    with torch.inference_mode():
        prediction = model.predict(x)
    logits = prediction.logits[0]
    assert logits.shape == (256, 256) and torch.isneginf(logits[x[0, 1] < -0.5]).all()
    assert prediction.scores.max() == 1.0 and (prediction.scores[0][x[0, 1] < -0.5] == 0).all()
    error = float(np.hypot(*(prediction.xy[0].numpy() - np.array(truth))))
    assert error <= 5.0  # an oracle: same simulator, same parameters


def test_moving_only_the_transmitter_reuses_the_sensor_maps(oracle_case):
    x, _ = oracle_case
    model = create_model("simfit", verify_top=0)
    model.forward(x)
    cached = dict(model.cache._maps)
    other = x.clone()
    other[0, 0] = other[0, 0] * 0.9  # other readings, same sensors
    model.forward(other)
    assert dict(model.cache._maps).keys() == cached.keys()


def test_simfit_answers_with_a_posterior_like_every_heatmap_model(oracle_case):
    from locnet.inference import predict

    x, truth = oracle_case
    buildings = (x[0, 1] < -0.5).numpy().astype(np.uint8)
    gray = (x[0, 0] * 255).round().numpy().astype(np.uint8)
    answer = predict(
        create_model("simfit").eval(),
        buildings,
        mask=(x[0, 1] > 0.5).numpy().astype(np.uint8),
        radio_gray=gray,
    )
    assert set(answer.readouts) == {"mode", "mean", "median"} and answer.posterior is not None
    assert answer.regions[1][truth[1], truth[0]]  # the truth is inside the 90 % region


def test_the_sensor_map_cache_is_bounded_in_bytes():
    from locnet.models.simfit import SensorMapCache

    buildings = procedural_city(5).buildings
    outdoor = np.argwhere(buildings == 0)[:, ::-1].copy()
    cache = SensorMapCache(max_bytes=3 * 256 * 256 * 4)  # room for three maps
    for start in range(0, 8, 2):  # four sets of two sensors (two maps each): one set fits
        cache.get(buildings, outdoor[start * 500 : start * 500 + 1000 : 500], PAPER_LIKE, 1)
    assert len(cache._maps) == 1 and sum(m.nbytes for m in cache._maps.values()) <= 3 * 2**18


def test_settings_beyond_the_first_carry_no_shadowing():
    assert all(s.shadowing_sigma_db == 0 for s in propagation_settings(6, seed=3))


def test_at_most_max_sensors_are_simulated_heard_ones_first_and_spread():
    from locnet.models.simfit import informative_sensors

    rng = np.random.default_rng(0)
    xy = rng.integers(0, 256, size=(60, 2))
    db = np.full(60, FLOOR_DB)
    db[:10] = -90.0 - np.arange(10)  # ten sensors heard it, sensor 0 loudest
    chosen = informative_sensors(xy, db, 16)
    assert len(chosen) == 16 and set(range(10)) <= set(chosen.tolist())
    assert informative_sensors(xy, db, 0).tolist() == list(range(60))  # 0: all
    few = informative_sensors(xy, db, 4)
    assert 0 in few and set(few.tolist()) <= set(range(10))
    spread = xy[few]  # farthest-point order: no two of four picks are close together
    gaps = np.linalg.norm(spread[:, None] - spread[None], axis=-1)[~np.eye(4, dtype=bool)]
    assert gaps.min() > 20


def test_variants_of_models_without_weights_are_built_by_name():
    from locnet.models.registry import fixed_variant, variant_label

    assert fixed_variant("simfit-robust") == ("simfit", {"settings": 4})
    assert fixed_variant("strongest") == ("strongest", {})
    assert fixed_variant("locnet") is None and fixed_variant("checkpoints/x.pt") is None
    assert variant_label("simfit") == "default" and variant_label("simfit", {"settings": 4}) == "robust"
    assert variant_label("locnet") == "env-focal"
