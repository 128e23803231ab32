"""The shared map conventions (locnet.data.maps): shape check, gray <-> dB, sensors <-> mask."""

import numpy as np
import pytest

from locnet.constants import DB_RANGE, FLOOR_DB, MAP_SIZE, MAX_DB
from locnet.data import maps
from locnet.errors import DatasetError, LocNetError


def test_check_map_returns_the_array_and_names_it_in_errors():
    ok = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    assert maps.check_map(ok) is ok
    assert maps.check_map(ok.tolist()).shape == (MAP_SIZE, MAP_SIZE)
    message = r"^radio map has shape \(2, 3\); expected \(256, 256\) pixels$"
    with pytest.raises(LocNetError, match=message):
        maps.check_map(np.zeros((2, 3)), "radio map")
    message = r"^sampling mask has shape \(4,\); expected \(256, 256\)$"
    with pytest.raises(DatasetError, match=message):
        maps.check_map(np.zeros(4), "sampling mask", hint="", error=DatasetError)


def test_check_map_finite_only_when_asked():
    bad = np.zeros((MAP_SIZE, MAP_SIZE))
    bad[3, 4] = np.nan
    assert maps.check_map(bad) is bad
    with pytest.raises(LocNetError, match="building map contains NaN or infinite values"):
        maps.check_map(bad, finite=True)


def test_gray_db_conversions():
    ends = maps.gray_to_db(np.array([0, 255], np.uint8)).tolist()
    assert ends == pytest.approx([FLOOR_DB, MAX_DB])
    assert maps.gray_to_db(np.uint8(51)).dtype == np.float32
    assert maps.gray_to_db(np.uint8(51)) == pytest.approx(FLOOR_DB + 51 / 255 * DB_RANGE, abs=1e-4)
    values = maps.db_to_gray_value(np.array([-300.0, FLOOR_DB + DB_RANGE / 2, 10.0]))
    assert values.tolist() == pytest.approx([0.0, 127.5, 255.0])
    gray = np.arange(256, dtype=np.uint8).repeat(256).reshape(MAP_SIZE, MAP_SIZE)
    buildings = np.zeros_like(gray)
    buildings[200:, :] = 1
    back = maps.db_to_gray(maps.gray_to_db(gray), buildings)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back[:200], gray[:200])
    assert not back[200:].any()


def test_sensors_and_mask_round_trip():
    sensors = [(3, 200), (250, 1), (17, 17)]
    mask = maps.sensors_to_mask(sensors)
    assert mask.dtype == np.uint8 and mask[200, 3] == 1 and mask.sum() == 3
    assert maps.mask_to_sensors(mask) == sorted(sensors, key=lambda p: (p[1], p[0]))
    readings = [(3, 200, -80.0), (250, 1, -90.5)]
    assert maps.mask_to_sensors(maps.sensors_to_mask(readings)) == [(250, 1), (3, 200)]
    assert not maps.sensors_to_mask([]).any()
    flat = np.array([200 * MAP_SIZE + 3, 1 * MAP_SIZE + 250])
    np.testing.assert_array_equal(maps.indices_to_mask(flat), maps.sensors_to_mask(sensors[:2]))
