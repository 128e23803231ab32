"""Sensor counts, outdoor-only sampling and the exact input encoding (docs/design.md §1)."""

import numpy as np
import pytest
import torch

from locnet.constants import DB_RANGE, FLOOR_DB, MAP_SIZE, RATES_PERCENT
from locnet.data import sampling as S
from locnet.errors import LocNetError


def city(fraction: float = 0.3, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((MAP_SIZE, MAP_SIZE)) < fraction).astype(np.uint8)


def test_sensor_counts_per_rate():
    assert S.n_sensors_for_rate(0.01) == 7
    assert S.n_sensors_for_rate(0.1) == 66
    assert [S.n_sensors_for_rate(r) for r in RATES_PERCENT] == [
        7,
        13,
        20,
        26,
        33,
        39,
        46,
        52,
        59,
        66,
    ]
    assert S.n_sensors_for_rate(1e-6) == 1
    for bad in (0, -0.01, float("nan"), 101):
        with pytest.raises(LocNetError):
            S.n_sensors_for_rate(bad)


def test_rate_for_sensors_snaps_to_standard_rates():
    assert S.rate_for_sensors(7) == 0.01
    assert S.rate_for_sensors(66) == 0.1
    assert S.rate_for_sensors(8) == pytest.approx(8 / 65536 * 100, abs=1e-6)
    assert S.same_rate(0.0105, 0.01) and not S.same_rate(0.02, 0.01)


@pytest.mark.parametrize("rate", RATES_PERCENT)
def test_sample_mask_counts_and_outdoor_only(rate):
    buildings = city(0.4, seed=1)
    mask = S.sample_mask(buildings, rate, np.random.default_rng(0))
    assert mask.dtype == np.uint8 and mask.shape == (MAP_SIZE, MAP_SIZE)
    assert set(np.unique(mask)) <= {0, 1}
    assert mask.sum() == S.n_sensors_for_rate(rate)
    assert not (mask & buildings).any()


def test_sampling_is_uniform_over_outdoor_pixels_including_dense_maps():
    buildings = city(0.9, seed=2)  # mostly buildings: exercises the exact fallback
    rng = np.random.default_rng(0)
    hits = np.zeros(MAP_SIZE * MAP_SIZE)
    for _ in range(200):
        hits += S.sample_mask(buildings, 0.1, rng).reshape(-1)
    assert hits[buildings.reshape(-1) == 1].sum() == 0
    outdoor = buildings.reshape(-1) == 0
    # every outdoor pixel is equally likely: hit rate ~ 200*66/outdoor
    assert hits[outdoor].mean() == pytest.approx(200 * 66 / outdoor.sum())
    left = hits.reshape(MAP_SIZE, MAP_SIZE)[:, :128][buildings[:, :128] == 0].mean()
    right = hits.reshape(MAP_SIZE, MAP_SIZE)[:, 128:][buildings[:, 128:] == 0].mean()
    assert left == pytest.approx(right, rel=0.2)


def test_sample_mask_deterministic_and_errors():
    buildings = city()
    a = S.sample_mask(buildings, 0.05, np.random.default_rng(3))
    b = S.sample_mask(buildings, 0.05, np.random.default_rng(3))
    assert np.array_equal(a, b)
    full = np.ones((MAP_SIZE, MAP_SIZE), np.uint8)
    with pytest.raises(LocNetError, match="outdoor"):
        S.sample_mask(full, 0.01, np.random.default_rng(0))
    with pytest.raises(LocNetError, match="shape"):
        S.sample_mask(np.zeros((10, 10), np.uint8), 0.01, np.random.default_rng(0))


def test_sample_transmitters_outdoor_distinct_xy():
    buildings = city(0.5)
    txs = S.sample_transmitters(buildings, 50, np.random.default_rng(0))
    assert txs.shape == (50, 2)
    assert len({tuple(t) for t in txs}) == 50
    assert (buildings[txs[:, 1], txs[:, 0]] == 0).all()  # (x, y) = (column, row)


def test_encode_input_exact_values():
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    buildings[0, 0] = 1
    gray = np.full((MAP_SIZE, MAP_SIZE), 51, np.uint8)
    mask = np.zeros_like(buildings)
    mask[5, 7] = 1
    x = S.encode_input(gray, mask, buildings, env=True)
    assert x.dtype == np.float32 and x.shape == (2, MAP_SIZE, MAP_SIZE)
    assert x[0, 5, 7] == pytest.approx(0.2) and np.count_nonzero(x[0]) == 1
    assert x[1, 5, 7] == 1 and x[1, 0, 0] == -1 and np.count_nonzero(x[1]) == 2
    x_no_env = S.encode_input(gray, mask, buildings, env=False)
    assert np.array_equal(x_no_env[0], x[0])
    assert x_no_env[1, 0, 0] == 0 and x_no_env[1, 5, 7] == 1 and np.count_nonzero(x_no_env[1]) == 1


@pytest.mark.parametrize("env", [True, False])
def test_batch_and_sparse_encodings_match_encode_input(env):
    rng = np.random.default_rng(0)
    buildings = city(0.3)
    gray = rng.integers(0, 256, (MAP_SIZE, MAP_SIZE)).astype(np.uint8)
    mask = S.sample_mask(buildings, 0.1, rng)
    ref = S.encode_input(gray, mask, buildings, env)
    batch = S.encode_batch(
        torch.from_numpy(gray)[None],
        torch.from_numpy(mask)[None],
        torch.from_numpy(buildings)[None],
        env,
    )
    assert torch.equal(batch[0], torch.from_numpy(ref))
    idx = np.flatnonzero(mask)
    sparse = S.encode_sparse(buildings, idx, gray.reshape(-1)[idx], env)
    assert torch.equal(sparse, torch.from_numpy(ref))


def test_encode_readings_matches_encode_input():
    rng = np.random.default_rng(0)
    buildings = city(0.3)
    gray = rng.integers(0, 256, (MAP_SIZE, MAP_SIZE)).astype(np.uint8)
    mask = S.sample_mask(buildings, 0.05, rng)
    rows, cols = np.nonzero(mask)
    readings = [(c, r, FLOOR_DB + gray[r, c] / 255 * DB_RANGE) for r, c in zip(rows, cols)]
    x = S.encode_readings(buildings, readings)
    assert np.allclose(x, S.encode_input(gray, mask, buildings), atol=1e-6)


def test_encode_readings_clips_gain():
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    x = S.encode_readings(buildings, [(1, 2, -300.0), (3, 4, 10.0)], env=False)
    assert x[0, 2, 1] == 0 and x[0, 4, 3] == 1 and x[1, 2, 1] == 1


@pytest.mark.parametrize(
    "readings, message",
    [
        ([], "no sensor"),
        ([(300, 2, -80.0)], "off the map"),
        ([(-1, 2, -80.0)], "off the map"),
        ([(1, 2, float("nan"))], "finite"),
        ([(10, 10, -80.0)], "building"),
        ([(1, 2, -80.0), (1, 2, -90.0)], "two readings"),
        ([(1, 2)], r"\(x, y, gain_dB\)"),
    ],
)
def test_encode_readings_errors(readings, message):
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    buildings[10, 10] = 1
    with pytest.raises(LocNetError, match=message):
        S.encode_readings(buildings, readings)


def test_encode_readings_wrong_map_size():
    with pytest.raises(LocNetError, match="shape"):
        S.encode_readings(np.zeros((128, 128)), [(1, 1, -80.0)])


def test_noise_and_missing_readings():
    rng = np.random.default_rng(0)
    gray = np.full(10000, 128.0, np.float32)
    noisy = S.add_receiver_noise(gray, 5.0, rng)
    assert np.std(noisy - gray) == pytest.approx(5.0 * 255 / DB_RANGE, rel=0.05)
    assert S.add_receiver_noise(np.array([0.0, 255.0]), 50.0, rng).min() >= 0
    keep = S.drop_readings(10000, 0.2, rng)
    assert keep.mean() == pytest.approx(0.8, abs=0.02)
    assert S.drop_readings(3, 0.999999, rng).sum() >= 1
