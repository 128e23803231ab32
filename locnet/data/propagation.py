"""Our dominant-path-style radio simulator: building map + transmitter -> path gain map.

RadioMapSeer's maps were made with WinProp's dominant path model at 5.9 GHz with
transmitter and receivers 1.5 m above ground among 25 m buildings; they store path
GAIN (= -loss, dB), clipped to [FLOOR_DB, MAX_DB] and quantised to 8-bit gray. This
module reproduces that recipe (geometry in `visibility`, path search in
`dominant_path`) with every uncertain constant in `PropagationParams`, one fixed
`PAPER_LIKE` setting for the reproduction and `random_params` for domain randomisation.

Maps are (256, 256) arrays indexed [row, col]; transmitters are (x, y) = (col, row).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import ndimage

from locnet.constants import FLOOR_DB, MAP_SIZE, MAX_DB, PIXEL_M
from locnet.data.dominant_path import MapGeometry, path_loss_db, prepare_map
from locnet.data.maps import check_map, db_to_gray
from locnet.data.propagation_params import PAPER_LIKE, PropagationParams
from locnet.errors import LocNetError


def validate_buildings(buildings: np.ndarray) -> np.ndarray:
    """Check a building map is a (256, 256) 0/1 uint8 (or bool) array; return it as uint8."""
    if not isinstance(buildings, np.ndarray):
        raise LocNetError(f"building map must be a numpy array, got {type(buildings).__name__}")
    check_map(buildings, hint="(crop or resample the city to 256 x 256 pixels at 1 m/pixel)")
    if buildings.dtype == bool:
        return buildings.astype(np.uint8)
    if buildings.dtype != np.uint8:
        raise LocNetError(
            f"building map has dtype {buildings.dtype}; expected uint8 0/1 "
            "(convert with (buildings > 0).astype(np.uint8))"
        )
    if buildings.max(initial=0) > 1:
        raise LocNetError(
            f"building map has values up to {int(buildings.max())}; expected 0/1 "
            "(a PNG mask stores 255: use (png > 0).astype(np.uint8))"
        )
    return buildings


def validate_tx(buildings: np.ndarray, tx_xy: Sequence[int]) -> tuple[int, int]:
    """Check a transmitter (x=col, y=row) lies on an outdoor pixel of the map."""
    try:
        x, y = (int(v) for v in tx_xy)
    except (TypeError, ValueError):
        raise LocNetError(f"transmitter {tx_xy!r} must be two integers (x=column, y=row)") from None
    if not (0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE):
        raise LocNetError(f"transmitter (x={x}, y={y}) is off the {MAP_SIZE}x{MAP_SIZE} map")
    if buildings[y, x]:
        raise LocNetError(
            f"transmitter (x={x}, y={y}) is on a building pixel; transmitters must be "
            "outdoors (pick a pixel where buildings[y, x] == 0)"
        )
    return x, y


def shadowing_db(params: PropagationParams, rng: np.random.Generator) -> np.ndarray:
    """(S, S) float32 log-normal shadowing in dB: Gaussian field with the given std and
    1/e correlation length (a Gaussian kernel of std L/2 gives correlation exp(-d^2/L^2))."""
    noise = rng.standard_normal((MAP_SIZE, MAP_SIZE)).astype(np.float32)
    sigma_px = params.shadowing_corr_m / PIXEL_M / 2.0
    field = ndimage.gaussian_filter(noise, sigma=sigma_px, mode="wrap")
    field *= np.float32(params.shadowing_sigma_db) / max(float(field.std()), 1e-12)
    return field


def _simulate(geom: MapGeometry, tx: tuple[int, int], params: PropagationParams,
              rng: np.random.Generator | None) -> np.ndarray:
    gain = params.gain_offset_db - path_loss_db(geom, tx, params)
    if params.shadowing_sigma_db > 0:
        gain += shadowing_db(params, rng if rng is not None else np.random.default_rng(0))
    gain = np.clip(gain, FLOOR_DB, MAX_DB).astype(np.float32)
    gain[geom.buildings.astype(bool)] = FLOOR_DB
    return gain


def simulate_db(
    buildings: np.ndarray,
    tx_xy: Sequence[int],
    params: PropagationParams = PAPER_LIKE,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """(256, 256) float32 path gain in dB for a transmitter at tx_xy = (x=col, y=row).

    Buildings and unreached pixels are FLOOR_DB. rng drives shadowing when
    params.shadowing_sigma_db > 0 (None: a fixed seed, so results stay deterministic).
    """
    b = validate_buildings(buildings)
    tx = validate_tx(b, tx_xy)
    return _simulate(prepare_map(b, params.canyon_radius_m), tx, params, rng)


def simulate_gray(
    buildings: np.ndarray,
    tx_xy: Sequence[int],
    params: PropagationParams = PAPER_LIKE,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """(256, 256) uint8: the content of a RadioMapSeer DPM PNG for this transmitter."""
    return db_to_gray(simulate_db(buildings, tx_xy, params, rng), buildings)


def simulate_batch_db(
    buildings: np.ndarray,
    txs: Sequence[Sequence[int]] | np.ndarray,
    params: PropagationParams = PAPER_LIKE,
    rng: np.random.Generator | None = None,
    workers: int = 1,
) -> np.ndarray:
    """(N, 256, 256) float32 gain (dB) for N transmitters on one map: the map's geometry is
    prepared once, and `workers` threads share it (the path search is numpy, which releases
    the GIL in its large operations). With shadowing, each transmitter draws its own field
    from the one rng stream in order (so use workers=1 to make shadowed batches seeded)."""
    b = validate_buildings(buildings)
    tx_list = [validate_tx(b, tx) for tx in np.asarray(txs).reshape(-1, 2)]
    if rng is None and params.shadowing_sigma_db > 0:
        rng = np.random.default_rng(0)
    geom = prepare_map(b, params.canyon_radius_m)
    out = np.empty((len(tx_list), MAP_SIZE, MAP_SIZE), dtype=np.float32)

    def one(i: int) -> None:
        out[i] = _simulate(geom, tx_list[i], params, rng)

    if workers > 1 and len(tx_list) > 1 and params.shadowing_sigma_db == 0:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, range(len(tx_list))))
    else:
        for i in range(len(tx_list)):
            one(i)
    return out


def simulate_batch(
    buildings: np.ndarray,
    txs: Sequence[Sequence[int]] | np.ndarray,
    params: PropagationParams = PAPER_LIKE,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """(N, 256, 256) uint8 gray maps for N transmitters on one map (per-map work shared).

    With shadowing, each transmitter draws its own field from the one rng stream, so a
    seed fixes the whole batch.
    """
    maps = simulate_batch_db(buildings, txs, params, rng)
    b = validate_buildings(buildings)
    return np.stack([db_to_gray(m, b) for m in maps]) if len(maps) else maps.astype(np.uint8)
