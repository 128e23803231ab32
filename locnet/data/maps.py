"""The map arrays' shared conventions: the (256, 256) shape check, gray <-> dB, sensors <-> mask.

Every map is a (256, 256) numpy array indexed [row, col] = [y, x] (docs/architecture.md).
A radio map is RadioMapSeer's 8-bit gray: gain_dB = FLOOR_DB + gray / 255 * DB_RANGE
(-147 dB at gray 0, -47.84 dB at gray 255; docs/design.md §1). A sampling mask is uint8
0/1 with 1 at each sensor pixel; the same sensors as a list are pixel (x, y) pairs.
Callers elsewhere use these functions rather than their own copies of the formulas.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from locnet.constants import DB_RANGE, FLOOR_DB, MAP_SIZE, N_PIXELS
from locnet.errors import LocNetError

MAP_SHAPE = (MAP_SIZE, MAP_SIZE)
GRAY_PER_DB = 255.0 / DB_RANGE  # gray levels per dB of path gain


def check_map(
    array,
    name: str = "building map",
    *,
    hint: str = "pixels",
    finite: bool = False,
    error: type[LocNetError] = LocNetError,
) -> np.ndarray:
    """`array` as a numpy array if it is (256, 256) (and all finite when `finite`), else `error`.

    The message names the map: "<name> has shape (h, w); expected (256, 256) <hint>".
    """
    array = np.asarray(array)
    if array.shape != MAP_SHAPE:
        expected = f"expected ({MAP_SIZE}, {MAP_SIZE})" + (f" {hint}" if hint else "")
        raise error(f"{name} has shape {array.shape}; {expected}")
    if finite and not np.isfinite(array.astype(np.float64)).all():
        raise error(f"{name} contains NaN or infinite values")
    return array


def gray_to_db(gray: np.ndarray) -> np.ndarray:
    """8-bit gray (any shape) -> float32 path gain in dB (FLOOR_DB + gray / 255 * DB_RANGE)."""
    scaled = np.asarray(gray, dtype=np.float32) / np.float32(255.0) * np.float32(DB_RANGE)
    return (np.float32(FLOOR_DB) + scaled).astype(np.float32)


def db_to_gray_value(gain_db: np.ndarray) -> np.ndarray:
    """Path gain in dB -> float64 gray level clipped to 0..255, not rounded (sensor readings)."""
    scaled = (np.asarray(gain_db, dtype=np.float64) - FLOOR_DB) / DB_RANGE * 255.0
    return np.clip(scaled, 0.0, 255.0)


def db_to_gray(db: np.ndarray, buildings: np.ndarray) -> np.ndarray:
    """A dB map -> RadioMapSeer's uint8 gray (rounded to the nearest level), buildings 0.

    gray_to_db inverts it to within half a gray step (0.19 dB).
    """
    gray = np.rint(db_to_gray_value(db)).astype(np.uint8)
    gray[np.asarray(buildings).astype(bool)] = 0
    return gray


def sensors_to_mask(sensors: Sequence[Sequence[int]]) -> np.ndarray:
    """Sensor pixels (x, y) (extra items such as a reading are ignored) -> uint8 0/1 mask."""
    mask = np.zeros(MAP_SHAPE, dtype=np.uint8)
    if len(sensors):
        xy = np.asarray([tuple(s)[:2] for s in sensors], dtype=np.int64)
        mask[xy[:, 1], xy[:, 0]] = 1
    return mask


def indices_to_mask(flat_indices: np.ndarray) -> np.ndarray:
    """Flat pixel indices (row * 256 + col) of the sensors -> uint8 0/1 (256, 256) mask."""
    mask = np.zeros(N_PIXELS, dtype=np.uint8)
    mask[np.asarray(flat_indices, dtype=np.int64)] = 1
    return mask.reshape(MAP_SHAPE)


def mask_to_sensors(mask: np.ndarray) -> list[tuple[int, int]]:
    """0/1 sampling mask [y, x] -> its sensor pixels (x, y), row by row (y, then x)."""
    rows, cols = np.nonzero(mask)  # row-major order: sorted by (y, x)
    return [(int(c), int(r)) for r, c in zip(rows, cols)]
