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

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from locnet.constants import MAP_SIZE

#: Table radii (pixels), one per level of the multi-resolution march (doubling).
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


@lru_cache(maxsize=None)
def parent_rays(radius: int) -> tuple[np.ndarray, np.ndarray]:
    """For each ray of table `radius`, the two rays of the next smaller table whose
    directions bracket it (the same ray twice when the directions coincide)."""
    level = RADII.index(radius)
    child, parent = ray_table(radius).angle, ray_table(RADII[level - 1]).angle
    right = np.searchsorted(parent, child - 1e-12) % parent.size
    exact = np.abs((parent[right] - child + np.pi) % (2 * np.pi) - np.pi) < 1e-9
    left = np.where(exact, right, (right - 1) % parent.size)
    for array in (left, right):
        array.setflags(write=False)
    return left, right


@lru_cache(maxsize=None)
def child_rays(radius: int) -> np.ndarray:
    """(n_parent, k) rays of table `radius` bracketed by each ray of the next smaller
    table, padded with -1: the rays a live parent may hand its visibility to."""
    left, right = parent_rays(radius)
    parent = np.concatenate([left, right])
    child = np.tile(np.arange(left.size), 2)
    pairs = np.unique(parent.astype(np.int64) * left.size + child)
    parent, child = np.divmod(pairs, left.size)
    n_parent = ray_table(RADII[RADII.index(radius) - 1]).angle.size
    counts = np.bincount(parent, minlength=n_parent)
    slot = np.arange(parent.size) - np.repeat(np.cumsum(counts) - counts, counts)
    out = np.full((n_parent, int(counts.max())), -1, dtype=np.int64)
    out[parent, slot] = child
    out.setflags(write=False)
    return out


def padded_blocked(buildings: np.ndarray, served: np.ndarray | None = None) -> np.ndarray:
    """Flat uint8 padded grid for `cast_fans`: BLOCKED on buildings and off the map (so every
    visible sample is inside the map), plus SERVED where `served` (bool map) is set."""
    grid = np.full((PADDED, PADDED), BLOCKED, dtype=np.uint8)
    inner = buildings.astype(np.uint8) * BLOCKED
    if served is not None:
        inner |= served.reshape(MAP_SIZE, MAP_SIZE).astype(np.uint8) * SERVED
    grid[PAD : PAD + MAP_SIZE, PAD : PAD + MAP_SIZE] = inner
    return grid.ravel()


@dataclass
class LevelHits:
    """Visible samples of one level of `cast_fans`.

    owner/angle: source index and direction (radians) of each ray cast at this level;
    row: the ray of each visible sample; pixel: its flat map index; dist: its distance
    from the source in metres (float32).
    """

    owner: np.ndarray
    angle: np.ndarray
    row: np.ndarray
    pixel: np.ndarray
    dist: np.ndarray


#: Bits of a padded grid passed to `cast_fans`.
BLOCKED = 1  # building or off the map: the ray stops here
SERVED = 2  # already served by a lower order: the ray stops on the 2nd such pixel in a row


def cast_fans(
    grid_pad: np.ndarray,
    src_x: np.ndarray,
    src_y: np.ndarray,
    start: np.ndarray,
    width: np.ndarray,
    limit_fn: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    grace: int = 4,
) -> list[LevelHits]:
    """Cast a fan of rays from each source: directions start[i] .. start[i] + width[i]
    (radians, counter-clockwise in (x, y) = (col, row) axes; width 2 pi = all round).

    Multi-resolution: steps (R/2, R] of the march use the table of radius R, whose
    8R rays just cover that ring, and a ray starts alive when either of the two rays
    of the previous table that bracket it was still alive (a slightly generous line
    of sight, so no pixel next to a shadow edge is missed by every ray). So each pixel
    is sampled about 1.3 times instead of R / distance times. A ray is visible up to
    (excluding) its first BLOCKED pixel and, past its first `grace` steps, its second
    consecutive SERVED pixel. limit_fn(owner, angle) -> max distance (pixels) per ray,
    optional: rays end there (their path would be below the floor anyway).
    """
    src_x = np.asarray(src_x, dtype=np.int64)
    src_y = np.asarray(src_y, dtype=np.int64)
    start = np.asarray(start, dtype=np.float64)
    width = np.asarray(width, dtype=np.float64)
    n_src = src_x.size
    base_pad = (src_y + PAD) * PADDED + src_x + PAD
    base_map = src_y * MAP_SIZE + src_x
    out: list[LevelHits] = []
    alive = served = None
    previous = n_prev = 0
    for radius in RADII:
        table = ray_table(radius)
        n_rays = table.angle.size
        owner, ray = _level_rays(radius, n_src, n_rays, alive, n_prev)
        first = 1 if alive is None else previous + 1
        owner, ray, angle, limit = _in_fan(table, owner, ray, start, width, first, limit_fn)
        if owner.size == 0:
            break
        cell = grid_pad[table.off_pad[first : radius + 1, ray] + base_pad[owner]]
        steps = np.arange(first, radius + 1)[:, None]
        dead = (cell & BLOCKED) | (steps > limit).astype(np.uint8)
        now_served = cell >> 1
        if now_served.any():
            dead |= _served_twice(now_served, served, owner, ray, radius, n_prev, first, grace)
        np.maximum.accumulate(dead, axis=0, out=dead)
        step, row = np.nonzero(dead == 0)
        step += first
        pixel = table.off_map[step, ray[row]] + base_map[owner[row]]
        out.append(LevelHits(owner, angle, row, pixel, table.dist[step, ray[row]]))
        alive = np.zeros(n_src * n_rays, dtype=bool)
        alive[owner * n_rays + ray] = dead[-1] == 0
        served = np.zeros(n_src * n_rays, dtype=np.uint8)
        served[owner * n_rays + ray] = now_served[-1]
        previous, n_prev = radius, n_rays
    return out


def _in_fan(table: RayTable, owner, ray, start, width, first: int, limit_fn):
    """(owner, ray, angle, limit) of the rays inside their source's fan (with two ray
    spacings of slack each side) whose limit reaches this level's first step."""
    spacing = 2 * np.pi / table.angle.size
    angle = table.angle[ray]
    rel = (angle - start[owner] + 2 * spacing) % (2 * np.pi)
    limit = np.full(owner.size, table.radius) if limit_fn is None else limit_fn(owner, angle)
    keep = (rel <= width[owner] + 4 * spacing) & (limit >= first)
    return owner[keep], ray[keep], angle[keep], limit[keep]


def _level_rays(radius: int, n_src: int, n_rays: int, alive: np.ndarray | None, n_prev: int):
    """(owner, ray) of the rays cast at this level: every ray on the first level, later
    only the children of the previous level's rays that were still alive (flat
    owner * n_prev + ray indices in `alive`)."""
    if alive is None:
        return np.divmod(np.arange(n_src * n_rays), n_rays)
    parent_owner, parent_ray = np.divmod(np.flatnonzero(alive), n_prev)
    kids = child_rays(radius)[parent_ray]
    mark = np.zeros(n_src * n_rays, dtype=bool)
    mark[(parent_owner[:, None] * n_rays + kids)[kids >= 0]] = True
    return np.divmod(np.flatnonzero(mark), n_rays)


def _served_twice(now_served, served, owner, ray, radius, n_prev, first, grace) -> np.ndarray:
    """uint8 (steps, rays): 1 on a ray's second consecutive SERVED sample (the previous
    level's last sample counts when both bracketing parent rays ended on one), 0 on the
    first `grace` steps of the march."""
    before = np.zeros(owner.size, dtype=np.uint8)
    if served is not None:
        left, right = parent_rays(radius)
        before = served[owner * n_prev + left[ray]] & served[owner * n_prev + right[ray]]
    twice = now_served & np.concatenate([before[None, :], now_served[:-1]])
    twice[: max(grace - first, 0)] = 0
    return twice


def visible_from(blocked_pad: np.ndarray, x: int, y: int) -> np.ndarray:
    """(MAP_SIZE, MAP_SIZE) bool: pixels with a clear line of sight to pixel (x, y)."""
    out = np.zeros(MAP_SIZE * MAP_SIZE, dtype=bool)
    out[y * MAP_SIZE + x] = blocked_pad[(y + PAD) * PADDED + x + PAD] == 0
    for level in cast_fans(blocked_pad, [x], [y], np.zeros(1), np.full(1, 2 * np.pi)):
        out[level.pixel] = True
    return out.reshape(MAP_SIZE, MAP_SIZE)


def through_walls(
    blocked_pad: np.ndarray, x: int, y: int, wall_cost: float, metre_cost: float, max_cost: float
) -> np.ndarray:
    """Cost of the straight ray from (x, y) through buildings to each pixel behind them.

    cost = wall_cost * (walls entered) + metre_cost * (metres inside buildings); a
    (MAP_SIZE, MAP_SIZE) float32 map, +inf where the ray crosses no wall (line of sight,
    handled elsewhere), is not free, or costs more than max_cost (rays stop there).
    Same multi-resolution march as `cast_fans`; a ray inherits the cheaper state of
    the two rays that bracket it. Used for the optional wall-penetration path.
    """
    cost = np.full(MAP_SIZE * MAP_SIZE, np.inf, dtype=np.float32)
    base_pad, base_map = (y + PAD) * PADDED + x + PAD, y * MAP_SIZE + x
    previous = 0
    for radius in RADII:
        table = ray_table(radius)
        if previous == 0:
            ray = np.arange(table.angle.size)
            last = walls = np.zeros(ray.size, dtype=np.int16)
            metres = np.zeros(ray.size, dtype=np.float32)
        else:
            left, right = parent_rays(radius)
            end_cost = wall_cost * walls + metre_cost * metres
            parent = np.where(end_cost[left] <= end_cost[right], left, right)
            ray = np.flatnonzero(end_cost[parent] <= max_cost)
            parent = parent[ray]
            last, walls, metres = last[parent], walls[parent], metres[parent]
        if ray.size == 0:
            break
        direction = table.angle[ray]
        step_m = 1.0 / np.maximum(np.abs(np.cos(direction)), np.abs(np.sin(direction)))
        blocked = (blocked_pad[table.off_pad[previous + 1 : radius + 1, ray] + base_pad] & BLOCKED)
        blocked = blocked.astype(np.int16)
        entered = np.diff(blocked, axis=0, prepend=last[None, :]) == 1
        wall_count = walls + np.cumsum(entered, axis=0, dtype=np.int16)
        inside_m = metres + np.cumsum(blocked, axis=0, dtype=np.float32) * step_m.astype(np.float32)
        ray_cost = wall_cost * wall_count + metre_cost * inside_m
        step, col = np.nonzero((blocked == 0) & (wall_count > 0) & (ray_cost <= max_cost))
        cost[table.off_map[step + previous + 1, ray[col]] + base_map] = ray_cost[step, col]
        full = lambda a: np.zeros(table.angle.size, dtype=a.dtype)  # noqa: E731
        last, walls, metres = full(blocked), full(wall_count), full(inside_m) + np.inf
        last[ray], walls[ray], metres[ray] = blocked[-1], wall_count[-1], inside_m[-1]
        previous = radius
    return cost.reshape(MAP_SIZE, MAP_SIZE)
