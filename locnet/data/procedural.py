"""Procedural city building maps: endless unseen environments beyond the real OSM tiles.

A map is one or two *districts* (split by a wide avenue), each a street grid with its own
rotation and pitch: long streets along one axis, cross streets per band (aligned in a
planned grid, staggered at random in an old town), optional smooth warping (curved
streets), wide avenues and straight diagonals cut through everything. Every block gets a
typology (perimeter rows with courtyards, detached houses, solid old-town blocks, slabs,
towers, podium blocks, or open space: parks / plazas) evaluated in block-local
coordinates, so the whole map is a handful of vectorised numpy expressions over the
256 x 256 pixel grid. Buildings never sit on streets, so the street network is one
connected component (up to street stubs cut off by the map edge); enclosed courtyards
are the main outdoor space outside it (`outdoor_connectivity` measures this).

Units: metres; one pixel = PIXEL_M. Output follows Environment: uint8 0/1, [row, col].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from locnet.constants import MAP_SIZE, PIXEL_M
from locnet.data.environment import Environment
from locnet.errors import LocNetError

MIN_COVER, MAX_COVER = 0.10, 0.60  # building share accepted (the real tiles' range)
MAX_ATTEMPTS = 12  # redraws (still deterministic per seed) when cover falls outside
MIN_BUILDING_PX = 12  # specks smaller than this (m^2) are removed
_REACH_M = 0.75 * MAP_SIZE * PIXEL_M + 60.0  # grid lines must cover the rotated map + warp
_THIN = np.ones((3, 3), bool)  # buildings thinner than this (pixels) are removed
_LOTS = 64  # lots per block side with their own random draws (more reuse the last)


@dataclass(frozen=True)
class Preset:
    """Parameter ranges (metres unless noted) of one kind of urban fabric."""

    label: str
    pitch_u: tuple[float, float]  # spacing of the long streets (short side of blocks)
    pitch_v: tuple[float, float]  # spacing of the cross streets
    street_m: tuple[float, float]
    avenue_p: float  # share of long streets that are wide avenues
    avenue_m: tuple[float, float]
    warp_m: tuple[float, float]  # amplitude of smooth street bending
    stagger: float  # 0 = cross streets aligned across bands, 1 = fully random offsets
    depth_m: tuple[float, float]  # building depth behind the frontage ("row" blocks)
    depth_jitter: float  # per-lot depth varies by +- this share (ragged courtyards)
    setback_m: tuple[float, float]
    lot_m: tuple[float, float]  # frontage width of one lot
    side_gap_m: tuple[float, float]  # gap between neighbouring buildings on a street
    empty_lot_p: float
    types: dict[str, float]  # block typology (row/solid/slab/tower/podium/open) -> weight
    split_p: float  # probability of two districts with different grids
    diagonals: tuple[int, int]  # min / max straight avenues cut through the map
    diagonal_m: tuple[float, float]


PRESETS: dict[str, Preset] = {
    "old_town": Preset(  # dense, narrow bent streets, staggered junctions, ragged courtyards
        label="old town", pitch_u=(32, 60), pitch_v=(28, 70), street_m=(3, 7), avenue_p=0.06,
        avenue_m=(9, 14), warp_m=(5, 12), stagger=1.0, depth_m=(8, 14), depth_jitter=0.45,
        setback_m=(0, 0), lot_m=(5, 12), side_gap_m=(0, 0), empty_lot_p=0.04,
        types={"row": 0.72, "solid": 0.08, "open": 0.12, "podium": 0.08},
        split_p=0.5, diagonals=(0, 1), diagonal_m=(6, 10)),
    "grid": Preset(  # Manhattan-like long blocks, backyards, avenues, a diagonal
        label="grid", pitch_u=(70, 105), pitch_v=(140, 240), street_m=(11, 18), avenue_p=0.2,
        avenue_m=(24, 34), warp_m=(0, 0), stagger=0.0, depth_m=(12, 26), depth_jitter=0.4,
        setback_m=(0, 0), lot_m=(8, 24), side_gap_m=(0, 0), empty_lot_p=0.1,
        types={"row": 0.8, "open": 0.08, "podium": 0.07, "tower": 0.05},
        split_p=0.3, diagonals=(0, 1), diagonal_m=(16, 26)),
    "suburb": Preset(  # detached houses with setbacks and side gaps, gently curved streets
        label="suburb", pitch_u=(55, 90), pitch_v=(90, 200), street_m=(6, 10), avenue_p=0.05,
        avenue_m=(14, 20), warp_m=(0, 8), stagger=0.35, depth_m=(8, 13), depth_jitter=0.2,
        setback_m=(4, 8), lot_m=(14, 24), side_gap_m=(3, 6), empty_lot_p=0.12,
        types={"row": 0.88, "open": 0.12}, split_p=0.3, diagonals=(0, 0), diagonal_m=(0, 0)),
    "modern": Preset(  # large slabs and towers, podium blocks, plazas, wide avenues
        label="modern", pitch_u=(95, 160), pitch_v=(100, 180), street_m=(14, 22), avenue_p=0.35,
        avenue_m=(28, 42), warp_m=(0, 0), stagger=0.2, depth_m=(13, 20), depth_jitter=0.3,
        setback_m=(4, 10), lot_m=(30, 60), side_gap_m=(8, 16), empty_lot_p=0.1,
        types={"slab": 0.3, "tower": 0.2, "podium": 0.3, "open": 0.08, "row": 0.12},
        split_p=0.4, diagonals=(0, 1), diagonal_m=(22, 32)),
}
_PRESET_WEIGHTS = {"old_town": 0.3, "grid": 0.3, "suburb": 0.15, "modern": 0.25}


def _uniform(rng: np.random.Generator, bounds: tuple[float, float], size=None):
    return rng.uniform(bounds[0], bounds[1], size)


def _lines(rng: np.random.Generator, pitch: tuple[float, float], n_rows: int) -> np.ndarray:
    """(n_rows, n) sorted line positions (m) covering [-_REACH_M, _REACH_M] in every row."""
    count = int(np.ceil(2 * _REACH_M / pitch[0])) + 2
    steps = _uniform(rng, pitch, (n_rows, count))
    start = -_REACH_M - rng.uniform(0, 1, (n_rows, 1)) * steps[:, :1]
    return start + np.cumsum(steps, axis=1)


def _locate(lines: np.ndarray, widths: np.ndarray, coord: np.ndarray, row):
    """Place every pixel between two street lines of its row (`row`: per-pixel row of
    `lines`, or 0). Returns the flat index of the line after it (the block id), the
    offset from the previous street's kerb, and the clear width between the kerbs (m).

    A per-metre lookup table replaces a per-pixel binary search (lines are > 1 m apart)."""
    n_rows, n = lines.shape
    cells = np.arange(-_REACH_M, _REACH_M + 1, 1.0)
    keyed = (lines + 1e6 * np.arange(n_rows)[:, None]).ravel()
    lut = np.searchsorted(keyed, (cells + 1e6 * np.arange(n_rows)[:, None]), side="right")
    lut = lut.astype(np.int32).ravel()
    cell = np.clip(coord + _REACH_M, 0, len(cells) - 1).astype(np.int32)
    right = lut[row * len(cells) + cell]
    flat = lines.ravel().astype(np.float32)
    right += coord >= flat[np.minimum(right, flat.size - 1)]
    right = np.clip(right, row * n + 1, row * n + n - 1)
    kerb_after = flat - (widths.ravel() / 2).astype(np.float32)
    kerb_before = flat + (widths.ravel() / 2).astype(np.float32)
    lo, hi = kerb_before[right - 1], kerb_after[right]
    return right, coord - lo, hi - lo


def _warp(rng: np.random.Generator, amplitude: float, x: np.ndarray, y: np.ndarray):
    """Smooth displacement field (m): three long-wave sinusoids, built from 1-D factors
    (sin(A(x) + B(y)) = sin A cos B + cos A sin B) so no 2-D transcendental is evaluated."""
    field = np.zeros((y.size, x.size), np.float32)
    for _ in range(3):
        k = 2 * np.pi / rng.uniform(90, 260)
        d = rng.uniform(0, 2 * np.pi)
        ax = (k * np.cos(d) * x + rng.uniform(0, 2 * np.pi)).astype(np.float32)
        by = (k * np.sin(d) * y).astype(np.float32)
        field += np.outer(np.cos(by), np.sin(ax)) + np.outer(np.sin(by), np.cos(ax))
    return field * np.float32(amplitude / 2)


def _mod(value: np.ndarray, period: np.ndarray) -> np.ndarray:
    return value - np.floor(value / period) * period  # np.mod is ~10x slower here


def _district(rng: np.random.Generator, p: Preset, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Building mask of one district covering the whole map (x: column, y: row centres, m)."""
    u, v = _district_frame(rng, p, x, y)
    block, a, b, span_a, span_b, street, n_blocks = _street_grid(rng, p, u, v)
    return _block_buildings(rng, p, block, a, b, span_a, span_b, n_blocks) & ~street


def _district_frame(rng: np.random.Generator, p: Preset, x: np.ndarray, y: np.ndarray):
    """(u, v) street-grid coordinates (m): the map rotated by a random angle, maybe warped."""
    theta = rng.uniform(0, np.pi)
    c, s = np.float32(np.cos(theta)), np.float32(np.sin(theta))
    x2, y2 = x[None, :].astype(np.float32), y[:, None].astype(np.float32)
    u, v = x2 * c + y2 * s, y2 * c - x2 * s
    amplitude = _uniform(rng, p.warp_m)
    if amplitude > 0:
        u = u + _warp(rng, amplitude, x, y)
        v = v + _warp(rng, amplitude, x, y)
    return u, v


def _street_grid(rng: np.random.Generator, p: Preset, u: np.ndarray, v: np.ndarray):
    """Block index, block-local (a, b) and spans (m), street mask and block count per pixel.

    Long streets run along u (avenues at random); cross streets per band, staggered.
    """
    u_lines = _lines(rng, p.pitch_u, 1)
    avenue = rng.random(u_lines.shape) < p.avenue_p
    u_widths = np.where(avenue, _uniform(rng, p.avenue_m, u_lines.shape),
                        _uniform(rng, p.street_m, u_lines.shape))
    band, a, span_a = _locate(u_lines, u_widths, u, 0)
    v_base = _lines(rng, p.pitch_v, 1)
    shift = rng.uniform(-0.5, 0.5, (u_lines.shape[1], 1)) * np.diff(v_base[0]).mean() * p.stagger
    v_lines = v_base + shift
    v_widths = _uniform(rng, p.street_m, v_lines.shape)
    block, b, span_b = _locate(v_lines, v_widths, v, band)
    street = (a < 0) | (a > span_a) | (b < 0) | (b > span_b)
    return block, a, b, span_a, span_b, street, v_lines.size


def _block_buildings(rng: np.random.Generator, p: Preset, block, a, b, span_a, span_b,
                     n_blocks: int) -> np.ndarray:
    """Buildings of every block by its drawn typology, in block-local coordinates (m)."""
    names = list(p.types)
    weights = np.array([p.types[t] for t in names])
    kinds = rng.choice(len(names), n_blocks, p=weights / weights.sum()).astype(np.int8)[block]
    table = np.stack([_uniform(rng, p.depth_m, n_blocks), _uniform(rng, p.setback_m, n_blocks),
                      _uniform(rng, p.lot_m, n_blocks), _uniform(rng, p.side_gap_m, n_blocks)])
    depth, setback, lot, side_gap = np.take(table.astype(np.float32), block, axis=1)

    # distance to the nearest kerb and position along that kerb, block-local (m)
    to_u = np.minimum(a, span_a - a)
    to_v = np.minimum(b, span_b - b)
    edge = np.minimum(to_u, to_v)
    near_u = to_u < to_v
    along = a + near_u * (b - a)
    side = near_u * (a > span_a / 2) + ~near_u * (2 + (b > span_b / 2))
    lot_id = np.floor(along / lot)
    in_lot = along - lot_id * lot
    slot = (block * 4 + side) * _LOTS + np.clip(lot_id, 0, _LOTS - 1).astype(np.int32)
    lot_rand = rng.random((2, n_blocks * 4 * _LOTS), dtype=np.float32)
    empty, jitter = np.take(lot_rand, slot, axis=1)
    lot_depth = depth * (1 - p.depth_jitter + 2 * p.depth_jitter * jitter)

    def repeated(coord, span, size, period):
        """Bars of `size` every `period` from the setback line, only where a whole bar fits."""
        offset = _mod(coord - setback, period)
        return (offset < size) & (coord - offset + size <= span - setback) & (coord >= setback)

    long_a = span_a > span_b
    masks = {
        "row": lambda: ((edge >= setback) & (edge < setback + lot_depth) & (empty >= p.empty_lot_p)
                        & (in_lot >= side_gap / 2) & (in_lot <= lot - side_gap / 2)),
        "solid": lambda: edge >= 0,
        "slab": lambda: (edge >= setback) & repeated(b + long_a * (a - b), span_b + long_a * (
            span_a - span_b), depth, 2.2 * depth + setback),
        "tower": lambda: (repeated(a, span_a, 1.6 * depth, 2.8 * depth)
                          & repeated(b, span_b, 1.6 * depth, 2.8 * depth)),
        "podium": lambda: (edge >= setback) & (edge < setback + 2.2 * depth),
    }
    buildings = np.zeros(block.shape, bool)  # block is per pixel, like u and v
    for index, name in enumerate(names):
        if name in masks:
            buildings |= (kinds == index) & masks[name]()
    return buildings


def _cut(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, width: float):
    """Signed distance (m) to a random straight line near the map centre, and its mask."""
    angle = rng.uniform(0, np.pi)
    offset = rng.uniform(-0.3, 0.3) * MAP_SIZE * PIXEL_M
    dist = (x[None, :] * np.cos(angle) + y[:, None] * np.sin(angle) - offset).astype(np.float32)
    return dist, np.abs(dist) < width / 2


def _generate(rng: np.random.Generator, p: Preset) -> np.ndarray:
    x = y = (np.arange(MAP_SIZE) + 0.5 - MAP_SIZE / 2) * PIXEL_M
    buildings = _district(rng, p, x, y)
    if rng.random() < p.split_p:
        dist, avenue = _cut(rng, x, y, _uniform(rng, p.avenue_m))
        other = _district(rng, p, x, y)
        buildings = np.where(dist > 0, buildings, other) & ~avenue
    for _ in range(rng.integers(p.diagonals[0], p.diagonals[1] + 1)):
        buildings &= ~_cut(rng, x, y, _uniform(rng, p.diagonal_m))[1]
    buildings = ndimage.binary_opening(buildings, _THIN)  # no wall-thin slivers left by cuts
    labels, n = ndimage.label(buildings)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    keep = sizes >= MIN_BUILDING_PX / PIXEL_M**2
    keep[0] = False
    return keep[labels].astype(np.uint8)


def outdoor_connectivity(buildings: np.ndarray) -> float:
    """Share of outdoor pixels in the largest 4-connected outdoor region (1.0 = all
    reachable; enclosed courtyards lower it)."""
    labels, n = ndimage.label(np.asarray(buildings) == 0)
    if n == 0:
        return 0.0
    sizes = np.bincount(labels.ravel())[1:]
    return float(sizes.max() / sizes.sum())


def default_preset(seed: int) -> str:
    """The preset `procedural_city(seed)` uses when none is given."""
    names = list(_PRESET_WEIGHTS)
    weights = np.array(list(_PRESET_WEIGHTS.values()))
    pick = np.random.default_rng([seed, 0x5EED]).choice(len(names), p=weights / weights.sum())
    return names[pick]


def procedural_city(seed: int, preset: str | None = None) -> Environment:
    """Deterministic procedural environment for `seed` (>= 0); `preset` is one of PRESETS
    or None to pick one from the seed. Building cover is kept within 10-60 %.

    env_id is 'proc-000123', or 'proc-000123-grid' when an explicit preset differs from the
    seed's default, so the id alone regenerates the map (see cities.find_environment)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LocNetError(f"procedural city seed must be an integer >= 0, got {seed!r}")
    if preset is not None and preset not in PRESETS:
        raise LocNetError(f"unknown city preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    seed = int(seed)
    default = default_preset(seed)
    preset = preset or default
    best, best_miss = None, np.inf
    for attempt in range(MAX_ATTEMPTS):
        buildings = _generate(np.random.default_rng([seed, attempt]), PRESETS[preset])
        cover = buildings.mean()
        miss = max(MIN_COVER - cover, cover - MAX_COVER, 0.0)
        if miss < best_miss:
            best, best_miss = buildings, miss
        if miss == 0.0:
            break
    best.setflags(write=False)
    env_id = f"proc-{seed:06d}" if preset == default else f"proc-{seed:06d}-{preset}"
    return Environment(
        env_id=env_id,
        city=f"Procedural ({PRESETS[preset].label})",
        source=f"procedural:{preset}",
        origin_m=(0.0, 0.0),
        group=env_id,
        buildings=best,
        attribution="",
    )
