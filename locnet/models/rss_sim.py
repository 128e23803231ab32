"""Simulated measured samples at a real campaign's scale, for pre-training (docs/real-data.md).

`simulate_like(batch, truth_m, n, rng)` makes `n` samples shaped like `batch` (the same
receivers in the same columns): fixed receivers where they really stand, each shuttle
present as often as it really reported and at a position it really reported from, and
transmitters uniform over the training transmitters' bounding box. The gains come from our
simulator (`locnet.data.propagation`) at the campaign's frequency (POWDER: 462.7 MHz) on a
256 x 256 map over the batch's area (POWDER: 12.5 m pixels): half of the scenes open
terrain, half a procedural suburb (at this scale its houses read as campus buildings of
100-160 m), each with propagation settings drawn from the simulator's randomised ranges.

The simulator's pixels are 1 m; a map read at `m` metres per pixel is the same geometry
scaled, and in line of sight only the distance term changes, by -10 n log10(m) dB (n the
line-of-sight exponent), which `gain_offset_db` adds. Readings copy how the real receivers
report: each receiver has its own unknown gain (uniform +-RECEIVER_GAIN_DB, per scene),
a receiver hears a transmitter when its reading clears the scene's threshold (a quantile
of the scene's readings, so 40-85 % of the fixed receivers hear an average sample, as in
POWDER), and a heard reading is that margin above a -95 dB floor plus 1 dB of noise.
"""

from __future__ import annotations

import math

import numpy as np

from locnet.constants import MAP_SIZE
from locnet.data.procedural import procedural_city
from locnet.data.propagation import simulate_batch_db
from locnet.data.propagation_params import random_params
from locnet.models.measurement import MeasuredBatch

POWDER_FREQUENCY_HZ = 462.7e6  # the POWDER campaign's handheld radios
TX_PER_SCENE = 16  # transmitters simulated on one map and one propagation setting
OPEN_SHARE = 0.5  # share of scenes without buildings
CAMPUS_PRESET = "suburb"  # procedural fabric whose houses, scaled up, read as a campus
RECEIVER_GAIN_DB = 8.0  # each receiver's unknown gain: uniform in +- this (dB)
HEARD_QUANTILE = (0.15, 0.6)  # the scene's threshold: this quantile of its readings (uniform)
READING_FLOOR_DB = -95.0  # a reading just at the threshold (POWDER's floors are -93 to -98)
READING_NOISE_DB = 1.0


def _pixels(xy_m: np.ndarray, area_m: tuple[float, float, float, float]) -> np.ndarray:
    """(..., 2) metres -> (..., 2) int (column, row) of the MAP_SIZE map over the area."""
    x0, y0, x1, _ = area_m
    return np.floor((xy_m - (x0, y0)) / ((x1 - x0) / MAP_SIZE)).astype(np.int64)


def _on_map(pixels: np.ndarray) -> np.ndarray:
    return ((pixels >= 0) & (pixels < MAP_SIZE)).all(axis=-1)


def simulate_like(
    batch: MeasuredBatch, truth_m: np.ndarray, n: int, rng: np.random.Generator,
    frequency_hz: float = POWDER_FREQUENCY_HZ,
) -> tuple[MeasuredBatch, np.ndarray]:
    """`n` simulated samples with `batch`'s receivers and area, and their transmitters (n, 2)
    in metres. Deterministic for a given rng state."""
    x0, y0, x1, _ = batch.area_m
    metres_per_px = (x1 - x0) / MAP_SIZE
    n_rx = len(batch.receivers)
    placed = np.isfinite(batch.xy_m).all(axis=2) & batch.heard
    fixed_xy = np.full((n_rx, 2), np.nan)
    for j in np.flatnonzero(batch.fixed):
        rows = np.flatnonzero(np.isfinite(batch.xy_m[:, j]).all(axis=1))
        if rows.size:
            fixed_xy[j] = batch.xy_m[rows[0], j]
    pools = {j: batch.xy_m[placed[:, j], j] for j in np.flatnonzero(~batch.fixed)}
    presence = placed.mean(axis=0)
    # receivers stand outdoors: clear the building pixels under every receiver position
    stands = np.concatenate([fixed_xy[batch.fixed], *pools.values()])
    stands = _pixels(stands[np.isfinite(stands).all(axis=1)], batch.area_m)
    stands = stands[_on_map(stands)]
    low_px = np.clip(_pixels(np.nanmin(truth_m, axis=0), batch.area_m), 0, MAP_SIZE - 1)
    high_px = np.clip(_pixels(np.nanmax(truth_m, axis=0), batch.area_m), 0, MAP_SIZE - 1)

    rss = np.full((n, n_rx), np.nan)
    xy = np.full((n, n_rx, 2), np.nan)
    xy[:, batch.fixed] = fixed_xy[batch.fixed]
    truth = np.empty((n, 2))
    for start in range(0, n, TX_PER_SCENE):
        k = min(TX_PER_SCENE, n - start)
        if rng.random() < OPEN_SHARE:
            buildings = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
        else:
            seed = int(rng.integers(0, 2**31))
            buildings = procedural_city(seed, CAMPUS_PRESET).buildings.copy()
            buildings[stands[:, 1], stands[:, 0]] = 0
        free = np.argwhere(buildings[low_px[1] : high_px[1] + 1, low_px[0] : high_px[0] + 1] == 0)
        tx = free[rng.choice(len(free), size=k, replace=False)][:, ::-1] + low_px  # (x, y)
        params = random_params(rng)
        params = params.replace(
            frequency_hz=frequency_hz,
            gain_offset_db=-10.0 * params.los_exponent * math.log10(metres_per_px),
        )
        gains = simulate_batch_db(buildings, tx, params, rng)
        part = slice(start, start + k)
        truth[part] = (tx + 0.5) * metres_per_px + (x0, y0)
        for j, pool in pools.items():
            if len(pool):
                here = rng.random(k) < presence[j]
                xy[part, j][here] = pool[rng.integers(0, len(pool), size=int(here.sum()))]
        px = _pixels(np.nan_to_num(xy[part], nan=-1e12), batch.area_m)
        where = _on_map(px)
        cols, rows = np.clip(px[..., 0], 0, MAP_SIZE - 1), np.clip(px[..., 1], 0, MAP_SIZE - 1)
        level = gains[np.arange(k)[:, None], rows, cols]
        level = level + rng.uniform(-RECEIVER_GAIN_DB, RECEIVER_GAIN_DB, size=n_rx)[None, :]
        level = np.where(where, level, np.nan)
        threshold = np.nanquantile(level[:, batch.fixed], rng.uniform(*HEARD_QUANTILE))
        heard = where & (level > threshold)
        noise = rng.normal(0.0, READING_NOISE_DB, size=level.shape)
        rss[part] = np.where(heard, READING_FLOOR_DB + level - threshold + noise, np.nan)
    return (
        MeasuredBatch(batch.receivers, rss, xy, batch.fixed, batch.area_m, batch.floor_db),
        truth,
    )
