"""Ray-casting geometry: coverage, blocking, symmetry, wall crossings."""

import numpy as np

from locnet.constants import MAP_SIZE
from locnet.data import visibility as vis


def test_empty_map_is_fully_visible_from_anywhere():
    grid = vis.padded_blocked(np.zeros((MAP_SIZE, MAP_SIZE), np.uint8))
    for x, y in [(0, 0), (128, 128), (255, 3), (37, 200)]:
        assert vis.visible_from(grid, x, y).all()


def test_a_wall_casts_a_shadow_that_widens_with_distance():
    b = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    b[100:140, 60:64] = 1  # wall 4 m thick, 40 m long
    seen = vis.visible_from(vis.padded_blocked(b), 20, 120)
    assert not seen[120, 100] and not seen[120, 200]
    assert seen[120, 40] and seen[5, 200]
    shadow_width = lambda col: int((~seen[:, col]).sum())  # noqa: E731
    assert shadow_width(200) > shadow_width(100) > 30
    assert not seen[b == 1].any()


def test_ray_tables_are_mirror_symmetric():
    table = vis.ray_table(64)
    dx = table.off_map % MAP_SIZE
    dx = np.where(dx > MAP_SIZE // 2, dx - MAP_SIZE, dx)
    dy = (table.off_map - dx) // MAP_SIZE
    pairs = {(a, b) for a, b in zip(dx.ravel(), dy.ravel())}
    assert pairs == {(-a, b) for a, b in pairs} == {(a, -b) for a, b in pairs}


def test_fans_only_light_their_angular_range():
    grid = vis.padded_blocked(np.zeros((MAP_SIZE, MAP_SIZE), np.uint8))
    levels = vis.cast_fans(grid, [128], [128], np.array([-0.2]), np.array([0.4]))
    pixels = np.concatenate([level.pixel for level in levels])
    y, x = np.divmod(pixels, MAP_SIZE)
    angle = np.abs(np.arctan2(y - 128, x - 128))
    far = np.hypot(x - 128, y - 128) > 32  # fans are widened by a couple of ray spacings
    assert np.all(angle[far] < 0.3) and np.all(angle < 0.6)
    assert np.any(angle[far] > 0.19)
    assert (x - 128).max() == 127


def test_through_walls_counts_walls_and_metres():
    b = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    b[:, 50:55] = 1  # 5 m thick wall
    cost = vis.through_walls(vis.padded_blocked(b), 20, 128, 10.0, 1.0, 100.0)
    assert cost[128, 40] == np.inf  # line of sight: not a penetration path
    assert cost[128, 60] == 15.0  # one wall + 5 m inside
    assert np.isinf(cost[b == 1]).all()
