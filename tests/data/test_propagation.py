"""Physics checks of the dominant-path simulator on small synthetic layouts."""

import dataclasses

import numpy as np
import pytest

from locnet.constants import DB_RANGE, FLOOR_DB, MAP_SIZE, MAX_DB
from locnet.data import maps
from locnet.data import propagation as prop
from locnet.data.propagation_params import (
    PAPER_LIKE,
    RANDOM_BOUNDS,
    PropagationParams,
    random_params,
)
from locnet.errors import LocNetError

FSPL_1M_DB = 47.86  # free-space loss at 1 m and 5.9 GHz


def solid() -> np.ndarray:
    return np.ones((MAP_SIZE, MAP_SIZE), dtype=np.uint8)


def carve(b: np.ndarray, rows: slice, cols: slice) -> np.ndarray:
    b[rows, cols] = 0
    return b


def grid_city(block: int = 30, street: int = 12) -> np.ndarray:
    b = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    for y0 in range(6, MAP_SIZE, block + street):
        for x0 in range(6, MAP_SIZE, block + street):
            b[y0 : y0 + block, x0 : x0 + block] = 1
    return b


def test_free_space_slope_is_20_db_per_decade():
    empty = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    db = prop.simulate_db(empty, (128, 128))
    yy, xx = np.mgrid[:MAP_SIZE, :MAP_SIZE]
    d = np.hypot(xx - 128, yy - 128)
    sel = (d >= 3) & (d <= 120)
    slope, intercept = np.polyfit(np.log10(d[sel]), db[sel], 1)
    assert slope == pytest.approx(-20.0, abs=0.5)
    assert intercept == pytest.approx(-FSPL_1M_DB, abs=0.5)


def test_gain_decays_monotonically_along_an_open_street():
    street = carve(solid(), slice(120, 137), slice(0, MAP_SIZE))
    db = prop.simulate_db(street, (10, 128))
    along = db[128, 11:]
    assert np.all(np.diff(along) <= 1e-4)
    assert along[0] - along[-1] > 20.0


def l_street() -> np.ndarray:
    """Horizontal street (rows 100-111, x < 141) turning down a vertical one (cols 129-140)."""
    b = carve(solid(), slice(100, 112), slice(0, 141))
    return carve(b, slice(100, MAP_SIZE), slice(129, 141))


def test_around_a_corner_is_weaker_than_line_of_sight_at_the_same_distance():
    db = prop.simulate_db(l_street(), (10, 105))
    los = db[105, 10 + 150 - 20]  # 130 m away along the street (line of sight)
    # a pixel down the side street, also 130 m from the transmitter in a straight line
    y = 105 + int(round(np.sqrt(130.0**2 - (134 - 10) ** 2)))
    around = db[y, 134]
    assert np.hypot(134 - 10, y - 105) == pytest.approx(130.0, abs=1.0)
    assert around < los - 10.0
    assert around > FLOOR_DB  # reached, just weaker


def test_two_corners_shadow_deeper_than_one_at_similar_path_length():
    # one turn: right 120 m, then down; two turns: right 60 m, down 60 m, right again
    one = l_street()
    two = carve(solid(), slice(100, 112), slice(0, 81))
    two = carve(two, slice(100, 172), slice(69, 81))
    two = carve(two, slice(160, 172), slice(69, MAP_SIZE))
    db_one = prop.simulate_db(one, (10, 105))
    db_two = prop.simulate_db(two, (10, 105))
    # receivers about 200 m of street from the transmitter on each layout
    path_one = (134 - 10) + (y_one := 180) - 105
    path_two = (75 - 10) + (166 - 105) + ((x_two := 150) - 75)
    assert abs(path_one - path_two) < 15
    assert db_two[166, x_two] < db_one[y_one, 134] - 5.0


def test_mirrored_layout_gives_mirrored_map():
    rng = np.random.default_rng(3)
    b = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    for _ in range(25):
        x, y = rng.integers(0, 230, 2)
        w, h = rng.integers(6, 30, 2)
        b[y : y + h, x : x + w] = 1
    free = np.argwhere(b == 0)
    y, x = free[len(free) // 3]
    db = prop.simulate_db(b, (x, y))
    mirrored = prop.simulate_db(np.ascontiguousarray(b[:, ::-1]), (MAP_SIZE - 1 - x, y))
    diff = np.abs(db - mirrored[:, ::-1])
    assert np.mean(diff) < 0.3
    assert np.mean(diff < 1.0) > 0.98


def test_same_seed_same_map_and_shadowing_varies_with_seed():
    params = PAPER_LIKE.replace(shadowing_sigma_db=6.0, shadowing_corr_m=15.0)
    b = grid_city()
    a1 = prop.simulate_db(b, (40, 100), params, np.random.default_rng(7))
    a2 = prop.simulate_db(b, (40, 100), params, np.random.default_rng(7))
    a3 = prop.simulate_db(b, (40, 100), params, np.random.default_rng(8))
    np.testing.assert_array_equal(a1, a2)
    assert np.abs(a1 - a3).max() > 1.0


def test_shadowing_has_the_requested_spread_and_correlation():
    empty = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    params = PAPER_LIKE.replace(shadowing_sigma_db=5.0, shadowing_corr_m=20.0)
    shadowed = prop.simulate_db(empty, (128, 128), params, np.random.default_rng(1))
    field = shadowed - prop.simulate_db(empty, (128, 128))
    inner = field[40:216, 40:216]  # clear of the MAX_DB clip next to the transmitter
    assert inner.std() == pytest.approx(5.0, rel=0.25)
    near = np.corrcoef(inner[:, :-2].ravel(), inner[:, 2:].ravel())[0, 1]
    far = np.corrcoef(inner[:, :-60].ravel(), inner[:, 60:].ravel())[0, 1]
    assert near > 0.9 and abs(far) < 0.3


def test_gray_has_black_buildings_and_a_realistic_floor_share():
    b = grid_city()
    gray = prop.simulate_gray(b, (40, 100))
    assert gray.dtype == np.uint8 and gray.shape == (MAP_SIZE, MAP_SIZE)
    assert np.all(gray[b == 1] == 0)
    outdoor = gray[b == 0]
    assert 0.05 < np.mean(outdoor == 0) < 0.9  # far streets at the floor, not everything
    assert outdoor.max() > 240  # bright next to the transmitter


def test_db_range_and_gray_round_trip():
    b = grid_city()
    db = prop.simulate_db(b, (40, 100))
    assert db.dtype == np.float32
    assert db.min() >= FLOOR_DB and db.max() <= MAX_DB
    assert np.all(db[b == 1] == FLOOR_DB)
    gray = maps.db_to_gray(db, b)
    back = maps.gray_to_db(gray)
    outdoor = b == 0
    assert np.abs(back - db)[outdoor].max() <= DB_RANGE / 255 / 2 + 1e-4
    np.testing.assert_array_equal(maps.db_to_gray(back, b), gray)
    ends = maps.gray_to_db(np.array([0, 255], np.uint8)).tolist()
    assert ends == pytest.approx([FLOOR_DB, MAX_DB])


def test_batch_matches_single_maps():
    b = grid_city()
    txs = [(40, 100), (200, 40), (5, 5)]
    batch = prop.simulate_batch(b, txs)
    assert batch.shape == (3, MAP_SIZE, MAP_SIZE) and batch.dtype == np.uint8
    for tx, got in zip(txs, batch):
        np.testing.assert_array_equal(got, prop.simulate_gray(b, tx))


def test_random_params_stay_in_documented_bounds():
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = random_params(rng)
        for name, (lo, hi) in RANDOM_BOUNDS.items():
            assert lo <= getattr(p, name) <= hi, name
        assert p.nlos_exponent >= p.los_exponent
        assert p.corner_loss_max_db >= p.corner_loss_db
        assert p.frequency_hz == PAPER_LIKE.frequency_hz
    assert set(RANDOM_BOUNDS) <= {f.name for f in dataclasses.fields(PropagationParams)}


def test_random_params_produce_varied_floor_shares():
    b = grid_city()
    rng = np.random.default_rng(5)
    shares = [np.mean(prop.simulate_gray(b, (40, 100), random_params(rng), rng)[b == 0] == 0)
              for _ in range(6)]
    assert max(shares) - min(shares) > 0.05


def test_corner_loss_grows_with_turn_angle():
    p = PAPER_LIKE
    loss = p.corner_loss(np.array([0.0, 30.0, 90.0, 150.0]))
    assert loss[0] == 0.0 and loss[2] == pytest.approx(p.corner_loss_db)
    assert np.all(np.diff(loss) >= 0) and loss[-1] <= p.corner_loss_max_db


@pytest.mark.parametrize(
    "buildings, tx, match",
    [
        (np.zeros((MAP_SIZE, MAP_SIZE), np.uint8), (300, 5), "off the"),
        (np.zeros((MAP_SIZE, MAP_SIZE), np.uint8), (-1, 5), "off the"),
        (np.ones((MAP_SIZE, MAP_SIZE), np.uint8), (5, 5), "on a building"),
        (np.zeros((128, 128), np.uint8), (5, 5), "shape"),
        (np.zeros((MAP_SIZE, MAP_SIZE), np.float32), (5, 5), "dtype"),
        (np.full((MAP_SIZE, MAP_SIZE), 255, np.uint8), (5, 5), "0/1"),
        (np.zeros((MAP_SIZE, MAP_SIZE), np.uint8), (1.5, "a"), "two integers"),
        ([[0]], (0, 0), "numpy array"),
    ],
)
def test_bad_input_raises_a_clear_error(buildings, tx, match):
    with pytest.raises(LocNetError, match=match):
        prop.simulate_db(buildings, tx)


def test_bool_maps_are_accepted_and_bad_params_rejected():
    b = grid_city().astype(bool)
    assert prop.simulate_gray(b, (40, 100)).shape == (MAP_SIZE, MAP_SIZE)
    with pytest.raises(LocNetError, match="nlos_exponent"):
        PAPER_LIKE.replace(nlos_exponent=1.5)
    with pytest.raises(LocNetError, match="los_exponent"):
        PropagationParams(los_exponent=-2.0)
