"""Grid line-of-sight by vectorised ray casting (the geometry half of the simulator).

Why rays to a square perimeter: digital lines from a source to every pixel on the
perimeter of the square of Chebyshev radius R cover every pixel inside that square
(a pixel at Chebyshev distance m < R is hit by the R/m >= 1 rays whose rounded line
passes through it), every ray has exactly R + 1 samples, and the tables depend only
on the offset from the source, so they are built once and shifted to any source by
adding a flat base index. A sample is visible when no building pixel lies on its ray
at or before it. Rounding is half-away-from-zero so the tables are mirror-symmetric
(a mirrored city gives a mirrored radio map).

Coordinates: offsets (dx, dy) in pixels, dx along columns, dy along rows; angles are
atan2(dy, dx) in radians. Maps are flattened row-major.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from locnet.constants import MAP_SIZE

#: Table radii (pixels) a caller can choose from; small radii cost ~R^2 samples.
RADII = (8, 16, 32, 64, 128, 256)
#: Padding (pixels) around the map in the blocked grid, so any offset within
#: +-MAP_SIZE of an in-map source stays inside the padded array.
PAD = MAP_SIZE
PADDED = MAP_SIZE + 2 * PAD


@dataclass(frozen=True)
class RayTable:
    """Rays from (0, 0) to the 8R perimeter pixels of radius R, sorted by angle.

    Sample arrays are step-major, (R + 1, n_rays): [k, i] is step k of ray i, and
    step 0 is the source itself.
    """

    radius: int
    angle: np.ndarray  # (n_rays,) float64, ray direction in radians, ascending
    dist: np.ndarray  # float32 metres from the source to the sample pixel
    theta: np.ndarray  # float32 direction (radians) from the source to the sample pixel
    off_pad: np.ndarray  # int32 flat offset in the padded blocked grid
    off_map: np.ndarray  # int32 flat offset in a MAP_SIZE x MAP_SIZE map


def _round_half_away(values: np.ndarray) -> np.ndarray:
    return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype(np.int64)


@lru_cache(maxsize=None)
def ray_table(radius: int) -> RayTable:
    """Build (once) the ray table of Chebyshev radius `radius` pixels."""
    r = int(radius)
    side = np.arange(-r, r + 1)
    px = np.concatenate([side, side, np.full(2 * r - 1, -r), np.full(2 * r - 1, r)])
    py = np.concatenate([np.full(2 * r + 1, -r), np.full(2 * r + 1, r), side[1:-1], side[1:-1]])
    angle = np.arctan2(py, px)
    order = np.argsort(angle, kind="stable")
    px, py, angle = px[order], py[order], angle[order]
    k = np.arange(r + 1)
    dx = _round_half_away(k[:, None] * px[None, :] / r)
    dy = _round_half_away(k[:, None] * py[None, :] / r)
    tables = RayTable(
        radius=r,
        angle=angle,
        dist=np.hypot(dx, dy).astype(np.float32),
        theta=np.arctan2(dy, dx).astype(np.float32),
        off_pad=(dy * PADDED + dx).astype(np.int32),
        off_map=(dy * MAP_SIZE + dx).astype(np.int32),
    )
    for array in (tables.angle, tables.dist, tables.theta, tables.off_pad, tables.off_map):
        array.setflags(write=False)
    return tables


def table_for(reach_m: float) -> RayTable:
    """Smallest table whose radius covers `reach_m` metres (capped at the largest)."""
    for radius in RADII:
        if radius >= reach_m:
            return ray_table(radius)
    return ray_table(RADII[-1])


def padded_blocked(buildings: np.ndarray) -> np.ndarray:
    """Flat uint8 blocked grid: the building map with a PAD-wide blocked border.

    Outside the map counts as blocked, so every visible sample is inside the map.
    """
    grid = np.ones((PADDED, PADDED), dtype=np.uint8)
    grid[PAD : PAD + MAP_SIZE, PAD : PAD + MAP_SIZE] = buildings
    return grid.ravel()


@dataclass
class Hits:
    """Visible samples of a batch of rays.

    row: index of the ray in the caller's request; pixel: flat map index;
    sample: flat index into the table's (step-major) sample arrays, for dist / theta.
    """

    row: np.ndarray
    pixel: np.ndarray
    sample: np.ndarray


def cast(
    blocked_pad: np.ndarray,
    table: RayTable,
    src_x: np.ndarray,
    src_y: np.ndarray,
    ray_ids: np.ndarray,
    n_steps: int | None = None,
) -> Hits:
    """Cast ray `ray_ids[i]` of `table` from source (src_x[i], src_y[i]) for every i.

    n_steps limits each ray to its first n_steps + 1 samples (pixels), saving work
    when the caller knows nothing farther matters. Rays are marched in chunks of
    growing length and dropped once blocked: in a city most rays die within a few
    tens of metres, so this touches a small fraction of the table.
    """
    n_rays = table.angle.size
    k_max = table.radius + 1 if n_steps is None else min(int(n_steps) + 1, table.radius + 1)
    live = np.arange(np.size(ray_ids))
    ray_ids = np.asarray(ray_ids, dtype=np.int32)
    base_pad = ((np.asarray(src_y) + PAD) * PADDED + np.asarray(src_x) + PAD).astype(np.int32)
    base_map = (np.asarray(src_y) * MAP_SIZE + np.asarray(src_x)).astype(np.int32)
    rows, samples = [], []
    start, chunk = 0, 8
    while start < k_max and live.size:
        stop = min(start + chunk, k_max)
        rays = ray_ids[live]
        blocked = blocked_pad[table.off_pad[start:stop, rays] + base_pad[live]]
        np.maximum.accumulate(blocked, axis=0, out=blocked)
        step, col = np.nonzero(blocked == 0)
        rows.append(live[col])
        samples.append((step + start) * n_rays + rays[col])
        live = live[blocked[-1] == 0]
        start, chunk = stop, chunk * 2
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    sample = np.concatenate(samples) if samples else np.zeros(0, dtype=np.int64)
    pixel = table.off_map.ravel()[sample] + base_map[row]
    return Hits(row=row, pixel=pixel, sample=sample)


def visible_from(blocked_pad: np.ndarray, x: int, y: int) -> np.ndarray:
    """(MAP_SIZE, MAP_SIZE) bool: pixels with a clear line of sight to pixel (x, y)."""
    table = ray_table(RADII[-1])
    n = table.angle.size
    hits = cast(blocked_pad, table, np.full(n, x), np.full(n, y), np.arange(n))
    out = np.zeros(MAP_SIZE * MAP_SIZE, dtype=bool)
    out[hits.pixel] = True
    return out.reshape(MAP_SIZE, MAP_SIZE)


def through_walls(
    blocked_pad: np.ndarray, x: int, y: int, wall_cost: float, metre_cost: float, max_cost: float
) -> np.ndarray:
    """Cost of the straight ray from (x, y) through buildings to each pixel behind them.

    cost = wall_cost * (walls entered) + metre_cost * (metres inside buildings); a
    (MAP_SIZE, MAP_SIZE) float32 map, +inf where the ray crosses no wall (line of sight,
    handled elsewhere), is not free, or costs more than max_cost. Rays stop once over
    max_cost. Where several rays hit one pixel any of them is kept (they differ by at
    most a pixel of building). Used for the optional wall-penetration path.
    """
    table = ray_table(RADII[-1])
    n = table.angle.size
    step_m = (1.0 / np.maximum(np.abs(np.cos(table.angle)), np.abs(np.sin(table.angle))))
    step_m = step_m.astype(np.float32)
    base_pad = (y + PAD) * PADDED + x + PAD
    cost = np.full(MAP_SIZE * MAP_SIZE, np.inf, dtype=np.float32)
    live = np.arange(n)
    last = np.zeros(n, dtype=np.int16)
    walls = np.zeros(n, dtype=np.int16)
    inside = np.zeros(n, dtype=np.int16)
    start, chunk = 1, 8
    while start <= table.radius and live.size:
        stop = min(start + chunk, table.radius + 1)
        blocked = blocked_pad[table.off_pad[start:stop, live] + base_pad].astype(np.int16)
        entered = np.diff(blocked, axis=0, prepend=last[live][None, :]) == 1
        wall_count = walls[live] + np.cumsum(entered, axis=0, dtype=np.int16)
        inside_count = inside[live] + np.cumsum(blocked, axis=0, dtype=np.int16)
        ray_cost = wall_cost * wall_count + metre_cost * inside_count * step_m[live]
        step, col = np.nonzero((blocked == 0) & (wall_count > 0) & (ray_cost <= max_cost))
        pixel = table.off_map[step + start, live[col]] + (y * MAP_SIZE + x)
        cost[pixel] = ray_cost[step, col]
        last[live], walls[live], inside[live] = blocked[-1], wall_count[-1], inside_count[-1]
        live = live[ray_cost[-1] <= max_cost]
        start, chunk = stop, chunk * 2
    return cost.reshape(MAP_SIZE, MAP_SIZE)
