"""Sensors and the model input encoding (docs/design.md §1).

Sensors sit on outdoor pixels drawn uniformly, *including* pixels at the -147 dB
floor: a "no signal" reading is information and real sensors cannot know where the
signal is. The input tensor is (2, 256, 256) float32:
channel 0 = radio-map gray / 255 times the 0/1 mask (sensor readings, 0 elsewhere);
channel 1 = mask - buildings (+1 sensor, -1 building, 0 elsewhere), or the mask only
for the "no environment" ablation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch

from locnet.constants import MAP_SIZE, N_PIXELS, RATES_PERCENT
from locnet.data.maps import GRAY_PER_DB, check_map, db_to_gray_value, indices_to_mask
from locnet.errors import LocNetError


def n_sensors_for_rate(rate_percent: float) -> int:
    """Sensors for a sampling rate in % of the 65,536 pixels (7 at 0.01 %, 66 at 0.1 %)."""
    if not np.isfinite(rate_percent) or rate_percent <= 0 or rate_percent > 100:
        raise LocNetError(f"sampling rate {rate_percent!r} % is invalid; use a value in (0, 100]")
    return max(1, int(round(rate_percent / 100.0 * N_PIXELS)))


def rate_for_sensors(n_sensors: int) -> float:
    """Sampling rate in % of a mask with `n_sensors` sensors.

    Snaps to the standard rate of RATES_PERCENT with that sensor count (7 -> 0.01),
    otherwise returns n / 65536 * 100 rounded to 6 decimals.
    """
    for rate in RATES_PERCENT:
        if n_sensors_for_rate(rate) == n_sensors:
            return rate
    return round(n_sensors / N_PIXELS * 100.0, 6)


def same_rate(a: float, b: float) -> bool:
    """True when two rates give the same number of sensors (how masks are matched)."""
    return n_sensors_for_rate(a) == n_sensors_for_rate(b)


def sample_outdoor_indices(buildings: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` distinct flat pixel indices (row * 256 + col) drawn uniformly over outdoor pixels.

    Rejection sampling over the whole map (fast when most pixels are outdoor) with an
    exact fallback, so the draw is uniform without replacement either way.
    """
    flat = check_map(buildings).reshape(-1)
    outdoor_count = int(flat.size - np.count_nonzero(flat))
    if n > outdoor_count:
        raise LocNetError(
            f"cannot place {n} sensors/transmitters: the map has only {outdoor_count} "
            "outdoor pixels; use a lower rate or a less built-up map"
        )
    if outdoor_count >= flat.size // 4:
        for _ in range(4):
            candidates = rng.integers(0, flat.size, size=4 * n + 16)
            candidates = candidates[flat[candidates] == 0]
            _, first = np.unique(candidates, return_index=True)
            if first.size >= n:
                return candidates[np.sort(first)[:n]].astype(np.int64)
    outdoor = np.flatnonzero(flat == 0)
    return rng.choice(outdoor, size=n, replace=False).astype(np.int64)


RATE_KEY_SCALE = 1000  # rate % -> integer part of an evaluation mask's seed (0.01 % -> 10)


def evaluation_mask_rng(
    seed: int, map_id: int, tx_id: int, rate_percent: float, k: int
) -> np.random.Generator:
    """The generator of the k-th random evaluation mask of (map, transmitter, rate).

    `evaluate` draws masks with it when a dataset has no mask files, and the result pages
    redraw the same mask from it to show a case: one definition keeps them identical.
    """
    return np.random.default_rng([seed, map_id, tx_id, round(rate_percent * RATE_KEY_SCALE), k])


def sample_mask(buildings: np.ndarray, rate_percent: float, rng: np.random.Generator) -> np.ndarray:
    """0/1 uint8 (256, 256) sampling mask with n_sensors_for_rate(rate) outdoor sensors."""
    return indices_to_mask(sample_outdoor_indices(buildings, n_sensors_for_rate(rate_percent), rng))


def sample_transmitters(buildings: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """(k, 2) int64 distinct outdoor transmitter positions as (x, y) = (column, row)."""
    idx = sample_outdoor_indices(buildings, k, rng)
    return np.stack((idx % MAP_SIZE, idx // MAP_SIZE), axis=1)


def crop_origin(tx_xy: np.ndarray, crop: int, rng: np.random.Generator) -> np.ndarray:
    """Top-left (x, y) of a uniformly drawn crop window of side `crop` holding the transmitter."""
    tx = np.asarray(tx_xy, dtype=np.int64)
    low = np.maximum(0, tx - crop + 1)
    high = np.minimum(tx, MAP_SIZE - crop)
    return rng.integers(low, high + 1).astype(np.int64)


def crop_case(
    buildings: np.ndarray,
    sensors: np.ndarray,
    gray: np.ndarray,
    tx_xy: np.ndarray,
    crop: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random crop window holding the transmitter: (buildings, sensor flat indices in the
    window, their gray values, transmitter (x, y) and the window's origin (x, y))."""
    origin = crop_origin(tx_xy, crop, rng)
    rows, cols = sensors // MAP_SIZE - origin[1], sensors % MAP_SIZE - origin[0]
    inside = (rows >= 0) & (rows < crop) & (cols >= 0) & (cols < crop)
    window = buildings[origin[1] : origin[1] + crop, origin[0] : origin[0] + crop]
    return window, rows[inside] * crop + cols[inside], gray[inside], tx_xy - origin, origin


def encode_input(
    radio_gray: np.ndarray, mask: np.ndarray, buildings: np.ndarray, env: bool = True
) -> np.ndarray:
    """Model input (2, 256, 256) float32 from a gray radio map, a 0/1 mask and 0/1 buildings."""
    mask_f = (check_map(mask, "sampling mask") != 0).astype(np.float32)
    out = np.empty((2, MAP_SIZE, MAP_SIZE), dtype=np.float32)
    out[0] = check_map(radio_gray, "radio map").astype(np.float32) / 255.0 * mask_f
    if env:
        out[1] = mask_f - (check_map(buildings) != 0).astype(np.float32)
    else:
        out[1] = mask_f
    return out


def encode_batch(
    radio_gray: torch.Tensor, mask: torch.Tensor, buildings: torch.Tensor, env: bool = True
) -> torch.Tensor:
    """Batched torch encode_input: (B, H, W) uint8/float inputs -> (B, 2, H, W) float32."""
    mask_f = (mask != 0).to(torch.float32)
    ch0 = radio_gray.to(torch.float32) / 255.0 * mask_f
    ch1 = mask_f - (buildings != 0).to(torch.float32) if env else mask_f
    return torch.stack((ch0, ch1), dim=1)


def encode_sparse(
    buildings: np.ndarray,
    sensor_idx: np.ndarray,
    gray_values: np.ndarray,
    env: bool = True,
) -> torch.Tensor:
    """encode_input from sensor flat indices and their gray values (0..255, may be float).

    Equal to encode_input(gray, mask, buildings, env) but touches only the sensor pixels,
    which is what makes the cached Dataset fast. Works for any (H, W) window.
    """
    height, width = buildings.shape
    out = np.zeros((2, height * width), dtype=np.float32)  # numpy: no intra-op thread pool
    idx = np.asarray(sensor_idx, dtype=np.int64)
    out[0, idx] = np.asarray(gray_values, dtype=np.float32) / np.float32(255.0)
    if env:
        np.not_equal(buildings.reshape(-1), 0, out=out[1], casting="unsafe")
        np.negative(out[1], out=out[1])
    out[1, idx] += 1.0
    return torch.from_numpy(out.reshape(2, height, width))


def encode_readings(
    buildings: np.ndarray,
    sensors: Iterable[Sequence[float]],
    env: bool = True,
) -> np.ndarray:
    """Model input from app/user readings [(x, y, gain_dB), ...] (x = column, y = row).

    Gains are converted to the gray/255 scale and clipped to [-147, -47.84] dB.
    """
    buildings = check_map(buildings)
    try:
        rows = [tuple(s) for s in sensors]
    except TypeError:
        raise LocNetError(
            f"sensors must be a list of (x, y, gain_dB) readings, got {type(sensors).__name__}"
        ) from None
    if not rows:
        raise LocNetError("no sensor readings given; place at least one sensor on an outdoor pixel")
    if any(len(r) != 3 for r in rows):
        raise LocNetError("each reading must be (x, y, gain_dB); got " + repr(rows[:3]))
    try:
        xs, ys, gains = (np.asarray(col, dtype=np.float64) for col in zip(*rows))
    except (TypeError, ValueError):
        raise LocNetError(
            "each reading must be three numbers (x, y, gain_dB); got " + repr(rows[:3])
        ) from None
    for x, y, g in zip(xs, ys, gains):
        if not (np.isfinite(x) and np.isfinite(y)) or not (
            0 <= round(x) < MAP_SIZE and 0 <= round(y) < MAP_SIZE
        ):
            raise LocNetError(
                f"sensor at ({x}, {y}) is off the map; x and y must be in 0..{MAP_SIZE - 1}"
            )
        if not np.isfinite(g):
            raise LocNetError(f"sensor at ({x:.0f}, {y:.0f}) has gain {g}; give a finite dB value")
    cols, rws = np.rint(xs).astype(np.int64), np.rint(ys).astype(np.int64)
    on_building = buildings[rws, cols] != 0
    if on_building.any():
        i = int(np.flatnonzero(on_building)[0])
        raise LocNetError(
            f"sensor at ({cols[i]}, {rws[i]}) is on a building; sensors must be outdoors"
        )
    flat = rws * MAP_SIZE + cols
    uniq, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        dup = int(uniq[counts > 1][0])
        raise LocNetError(
            f"two readings at pixel ({dup % MAP_SIZE}, {dup // MAP_SIZE}); keep one per pixel"
        )
    return encode_sparse(buildings, flat, db_to_gray_value(gains), env).numpy()


def add_receiver_noise(
    gray_values: np.ndarray, sigma_db: float, rng: np.random.Generator
) -> np.ndarray:
    """Gaussian receiver noise of `sigma_db` dB on sensor gray levels (float, clipped 0..255)."""
    noisy = np.asarray(gray_values, dtype=np.float32) + rng.normal(
        0.0, sigma_db * GRAY_PER_DB, size=np.shape(gray_values)
    ).astype(np.float32)
    return np.clip(noisy, 0.0, 255.0)


def drop_readings(n_sensors: int, p_missing: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean keep-mask over sensors: each reading lost with probability p (one always kept)."""
    keep = rng.random(n_sensors) >= p_missing
    if n_sensors and not keep.any():
        keep[rng.integers(n_sensors)] = True
    return keep
