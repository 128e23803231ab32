"""Classical baselines on hand-built inputs whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from locnet.constants import DB_RANGE, FLOOR_DB
from locnet.models.classical import Centroid, PathLoss, read_sensors
from locnet.models.registry import count_parameters, create_model, model_info

SIZE = 256


def encode(sensors: list, buildings: np.ndarray | None = None, env: bool = True) -> torch.Tensor:
    """(x, y, gray) sensor list -> (2, SIZE, SIZE) input encoded as docs/design.md §1."""
    buildings = np.zeros((SIZE, SIZE)) if buildings is None else buildings
    mask = np.zeros((SIZE, SIZE))
    gray = np.zeros((SIZE, SIZE))
    for x, y, g in sensors:
        mask[y, x] = 1
        gray[y, x] = g
    ch1 = mask - buildings if env else mask
    return torch.tensor(np.stack([gray / 255 * mask, ch1]), dtype=torch.float32)


def log_distance_gray(tx, xs, ys, exponent=2.5, ref_db=-50.0):
    d = np.hypot(np.asarray(xs) - tx[0], np.asarray(ys) - tx[1]).clip(1)
    db = ref_db - 10 * exponent * np.log10(d)
    return np.clip(np.round((db - FLOOR_DB) / DB_RANGE * 255), 0, 255).astype(int)


def test_read_sensors_pads_and_decodes_db():
    x = torch.stack([encode([(3, 4, 255), (10, 2, 0)]), encode([(7, 7, 51)])])
    r = read_sensors(x)
    assert r.xy.shape == (2, 2, 2)
    assert r.valid.tolist() == [[True, True], [True, False]]
    # row-major order: (10, 2) comes before (3, 4)
    assert r.xy[0].tolist() == [[10.0, 2.0], [3.0, 4.0]]
    assert r.db[0].tolist() == pytest.approx([FLOOR_DB, FLOOR_DB + DB_RANGE])
    assert r.db[1, 0].item() == pytest.approx(FLOOR_DB + 51 / 255 * DB_RANGE, abs=1e-4)
    assert r.censored.tolist() == [[True, False], [False, False]]


def test_centre_is_map_centre_with_radial_scores():
    pred = create_model("centre").predict(torch.stack([encode([(1, 1, 9)])] * 2))
    assert pred.xy.tolist() == [[128.0, 128.0]] * 2
    assert pred.scores.shape == (2, SIZE, SIZE)
    assert pred.scores[0, 128, 128] == 0 and pred.scores[0, 0, 0] < pred.scores[0, 100, 100]


def test_strongest_picks_the_strongest_sensor():
    x = torch.stack([encode([(20, 30, 100), (200, 40, 180), (90, 220, 120)]), encode([])])
    pred = create_model("strongest").predict(x)
    assert pred.xy[0].tolist() == [200.0, 40.0]
    assert pred.xy[1].tolist() == [128.0, 128.0]  # no sensor: map centre
    # Voronoi picture: next to the weak sensor the score is the weak reading
    assert pred.scores[0, 30, 21] < pred.scores[0, 40, 199]


def test_centroid_linear_power_weights_by_hand():
    sensors = [(10, 20, 200), (110, 60, 175), (30, 200, 0)]
    pred = Centroid().predict(encode(sensors)[None])
    db = FLOOR_DB + np.array([200, 175]) / 255 * DB_RANGE
    w = 10 ** (db / 10)  # the floor reading (gray 0) is censored: weight 0
    expected = (w[:, None] * np.array([[10, 20], [110, 60]])).sum(0) / w.sum()
    assert pred.xy[0].numpy() == pytest.approx(expected, abs=1e-3)
    assert pred.scores.shape == (1, SIZE, SIZE)


def test_centroid_all_floor_falls_back_to_centre():
    pred = Centroid().predict(encode([(10, 20, 0), (50, 60, 0)])[None])
    assert pred.xy[0].tolist() == [128.0, 128.0]


def test_pathloss_recovers_transmitter_of_log_distance_field():
    rng = np.random.default_rng(1)
    tx = (173, 61)
    xs, ys = rng.integers(0, SIZE, 25), rng.integers(0, SIZE, 25)
    gray = log_distance_gray(tx, xs, ys)
    pred = create_model("pathloss").predict(encode(list(zip(xs, ys, gray)))[None])
    assert np.hypot(*(pred.xy[0].numpy() - tx)) <= 2.0


def test_pathloss_never_picks_a_building_and_uses_censored_sensors():
    buildings = np.zeros((SIZE, SIZE))
    buildings[100:160, 100:160] = 1
    tx = (130, 170)  # just south of the block
    xs = np.array([130, 60, 200, 130, 20, 240])
    ys = np.array([200, 170, 170, 240, 20, 20])
    gray = log_distance_gray(tx, xs, ys, exponent=4.5)
    assert gray[4] == gray[5] == 0 and gray[:4].min() > 0  # far sensors read the floor: censored
    sensors = list(zip(xs, ys, gray))
    x = torch.stack([encode(sensors, buildings), encode(sensors, env=False)])
    pred = PathLoss().predict(x)
    px, py = pred.xy[0].long().tolist()
    assert buildings[py, px] == 0
    assert np.hypot(px - tx[0], py - tx[1]) < 10
    inside = pred.scores[0][torch.tensor(buildings, dtype=torch.bool)]
    assert torch.all(inside <= pred.scores[0].max())
    assert torch.isfinite(pred.scores).all()
    # the censored sensors at the top corners must push the fit away from them
    assert pred.scores[0, 20, 20] < pred.scores[0, py, px]


def test_pathloss_with_one_reading_and_no_sensors_is_finite():
    x = torch.stack([encode([(50, 50, 150)]), encode([])])
    pred = PathLoss().predict(x)
    assert torch.isfinite(pred.scores).all()
    assert pred.xy.shape == (2, 2)


@pytest.mark.parametrize("name", ["centre", "strongest", "centroid", "pathloss"])
def test_registry_metadata_and_no_parameters(name):
    info = model_info(name)
    assert info.family == "classical" and not info.trainable
    assert count_parameters(create_model(name)) == 0
    with pytest.raises(NotImplementedError):
        create_model(name).training_loss(torch.zeros(1, 2, 8, 8), torch.zeros(1, 2).long())


def test_pathloss_censored_reading_breaks_mirror_ambiguity():
    tx, mirror = (160, 128), (96, 128)
    xs, ys = np.array([128, 128, 128]), np.array([90, 128, 166])
    gray = log_distance_gray(tx, xs, ys, exponent=4.5)
    plain = encode(list(zip(xs, ys, gray)))
    with_floor = encode(list(zip(xs, ys, gray)) + [(0, 128, 0)])  # "no signal" far left
    pred = PathLoss().predict(torch.stack([plain, with_floor]))
    assert pred.scores[0, 128, 96] == pytest.approx(pred.scores[0, 128, 160].item(), rel=1e-5)
    assert pred.scores[1, 128, 96] < pred.scores[1, 128, 160] - 1.0
    assert np.hypot(*(pred.xy[1].numpy() - tx)) < np.hypot(*(pred.xy[1].numpy() - mirror))
