"""Sensors one by one (locnet.app.sequence): every prefix of the sensors in one batched
call, its last frame the same answer as `predict` on all the sensors."""

from __future__ import annotations

import numpy as np
import pytest

from locnet.app.sequence import _partial_masks, sensor_order, sensor_sequence
from locnet.constants import MAP_SIZE


def test_sensor_order_is_a_fixed_permutation():
    sensors = [(i, 2 * i) for i in range(10)]
    order = sensor_order(sensors)
    assert sorted(order) == sorted(sensors) and order == sensor_order(sensors)
    assert order != sensors  # not the row-by-row order of the draw


def test_partial_masks_hold_the_first_k_sensors():
    order = [(5, 1), (2, 3), (7, 7)]
    masks = _partial_masks(order, (MAP_SIZE, MAP_SIZE))
    assert masks.shape == (3, MAP_SIZE, MAP_SIZE) and masks.sum(axis=(1, 2)).tolist() == [1, 2, 3]
    assert masks[0, 1, 5] == 1 and masks[0, 3, 2] == 0 and masks[1, 3, 2] == 1


def test_the_last_frame_is_predict_on_all_the_sensors(tiny_dataset, app_checkpoints):
    from locnet.data.radiomapseer import open_dataset
    from locnet.inference import load_model, predict

    ds = open_dataset(tiny_dataset)
    map_id, tx = ds.samples[0]
    buildings, gray = ds.buildings(map_id), ds.radio_map(map_id, tx)
    free = np.argwhere(buildings == 0)
    sensors = [(int(c), int(r)) for r, c in free[np.linspace(0, len(free) - 1, 5).astype(int)]]
    truth = ds.transmitter(map_id, tx)
    locnet = load_model(app_checkpoints / "locnet.pt", app_checkpoints, "cpu")
    centroid = load_model("centroid", app_checkpoints, "cpu")
    seq = sensor_sequence(locnet, centroid, "RSS centroid", buildings, gray, sensors, truth, chunk=2)
    assert seq.xy.shape == (5, 2) and seq.frames.shape == (5, 64, 64)
    assert np.isfinite(seq.radius90_m).all() and seq.readout == "mode"
    mask = np.zeros_like(buildings)
    for x, y in sensors:
        mask[y, x] = 1
    full = predict(locnet, buildings, mask=mask, radio_gray=gray)
    base = predict(centroid, buildings, mask=mask, radio_gray=gray)
    assert tuple(seq.xy[-1]) == pytest.approx(full.xy, abs=1e-3)
    assert tuple(seq.baseline_xy[-1]) == pytest.approx(base.xy, abs=1e-3)
    dist = np.hypot(full.xy[0] - truth[0], full.xy[1] - truth[1])
    assert seq.errors_m[-1] == pytest.approx(dist, abs=1e-3)
