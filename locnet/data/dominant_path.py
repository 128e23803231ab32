"""Dominant-path search: the loss of the best path around building corners (dB).

How the search works (in the spirit of WinProp's dominant path model):
- order 0: the transmitter lights every pixel in its line of sight;
- order k: building corners reached at order k-1 that sit on a shadow boundary become
  secondary sources. Each keeps the state of the path that reached it (length so far,
  accumulated turn and corner losses, incoming direction) and casts a fan of rays into
  the shadow side, each ray ending where its path would fall below the floor or where
  it re-enters ground lower orders already reach (what lies behind that is another
  corner's shadow). A pixel's loss via a corner depends on the turn it makes there,
  so the min over sources is taken per pixel;
- optionally, the direct ray through buildings (wall + per-metre loss) competes too.
Per-map work (corners, canyon map, padded blocked grid) lives in `MapGeometry`, so many
transmitters on one map share it.

Loss of a path of total length d (m) with turns phi_i (degrees), Phi = sum phi_i:
  L = 20 log10(4 pi f / c) + 10 p(Phi) log10(d) + sum f(phi_i) - w * canyon * b(Phi)
with b(Phi) = min(1, Phi / full_nlos_turn_deg) blending the exponent p from the LOS to
the NLOS value (so a grazing turn costs almost nothing and the map stays continuous at
shadow boundaries), f the corner loss of `PropagationParams.corner_loss` and w the
wave-guiding gain in street canyons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from locnet.constants import FLOOR_DB, MAP_SIZE
from locnet.data import visibility as vis
from locnet.data.propagation_params import PropagationParams

SPEED_OF_LIGHT = 299_792_458.0  # m/s
#: Diagonal neighbour offsets (dx, dy) tested for convex building corners.
DIAGONALS = np.array([(-1, -1), (1, -1), (-1, 1), (1, 1)])
#: A lit corner spawns a secondary source when a free neighbour is this much weaker
#: (dB) or unreached: the corner then sits on a shadow boundary.
SHADOW_EDGE_DB = 6.0
#: Radius (pixels) of the window searched for shadow next to a lit corner.
SHADOW_EDGE_PX = 2
#: At most this many secondary sources per order (the strongest), bounding the time
#: per map on dense maps with many staircase corners.
MAX_SOURCES = 512
#: Rays this far (degrees) on the lit side of the incoming direction are also cast, to
#: cover pixels the discretised shadow boundary leaves out.
WEDGE_MARGIN_DEG = 6.0


@dataclass
class MapGeometry:
    """Per-map precomputation shared by all transmitters on that map."""

    buildings: np.ndarray  # uint8 (S, S) 0/1
    blocked_pad: np.ndarray  # flat padded blocked grid (see visibility.padded_blocked)
    corners: np.ndarray  # (n,) flat indices of free pixels at convex building corners
    corner_diag: np.ndarray  # (n, 4) bool: which DIAGONALS hold the building corner
    canyon: np.ndarray  # flat float32 in [0, 1]: how enclosed each pixel is by buildings
    near: np.ndarray  # (n, 9) flat indices of each corner's 3x3 block (S*S = off the map)
    window: np.ndarray  # (n, (2 * SHADOW_EDGE_PX + 1) ** 2) same for the shadow window


def prepare_map(buildings: np.ndarray, canyon_radius_m: float = 10.0) -> MapGeometry:
    """Find convex corners and the street-canyon map of a validated 0/1 building map."""
    b = buildings.astype(bool)
    pad = np.pad(b, 1, constant_values=True)
    s = MAP_SIZE

    def shifted(dx: int, dy: int) -> np.ndarray:
        return pad[1 + dy : 1 + dy + s, 1 + dx : 1 + dx + s]

    diag = np.stack(
        [~b & shifted(dx, dy) & ~shifted(dx, 0) & ~shifted(0, dy) for dx, dy in DIAGONALS], -1
    )
    corner_mask = diag.any(-1)
    corners = np.flatnonzero(corner_mask)
    size = 2 * int(round(canyon_radius_m)) + 1
    density = ndimage.uniform_filter(b.astype(np.float32), size=size, mode="constant")
    canyon = np.clip(2.0 * density, 0.0, 1.0).astype(np.float32)
    return MapGeometry(
        buildings=buildings,
        blocked_pad=vis.padded_blocked(buildings),
        corners=corners,
        corner_diag=diag.reshape(-1, 4)[corners],
        canyon=canyon.ravel(),
        near=_blocks(corners, 1),
        window=_blocks(corners, SHADOW_EDGE_PX),
    )


def _blocks(flat: np.ndarray, radius: int) -> np.ndarray:
    """(n, (2r+1)^2) flat indices of the square around each pixel; MAP_SIZE**2 off the map."""
    y, x = np.divmod(flat, MAP_SIZE)
    d = np.arange(-radius, radius + 1)
    dy, dx = (a.ravel() for a in np.meshgrid(d, d, indexing="ij"))
    yy, xx = y[:, None] + dy[None, :], x[:, None] + dx[None, :]
    inside = (yy >= 0) & (yy < MAP_SIZE) & (xx >= 0) & (xx < MAP_SIZE)
    return np.where(inside, yy * MAP_SIZE + xx, MAP_SIZE * MAP_SIZE)


@dataclass
class Sources:
    """Secondary sources of one order: the state of the path that reached each."""

    x: np.ndarray  # int64 column
    y: np.ndarray  # int64 row
    length: np.ndarray  # float64 path length so far (m)
    turn: np.ndarray  # float64 accumulated turn (degrees)
    corner_db: np.ndarray  # float64 accumulated corner losses (dB)
    heading: np.ndarray  # float64 incoming direction (radians); NaN for the transmitter
    index: np.ndarray  # int64 position in the corner list (-1 for the transmitter)


def _wrap(angle: np.ndarray) -> np.ndarray:
    return (angle + np.pi) % (2 * np.pi) - np.pi


def _budget_db(params: PropagationParams) -> float:
    """Largest loss (dB) that can still end above the floor after gains and shadowing."""
    return -FLOOR_DB + params.gain_offset_db + params.waveguide_db + 3.0 * params.shadowing_sigma_db


def _exponent(params: PropagationParams, turn_deg: np.ndarray) -> np.ndarray:
    blend = np.clip(turn_deg / params.full_nlos_turn_deg, 0.0, 1.0)
    return params.los_exponent + (params.nlos_exponent - params.los_exponent) * blend


def _next_sources(
    geom: MapGeometry,
    params: PropagationParams,
    src: Sources,
    winner: np.ndarray,
    corner_ids: np.ndarray,
    constant_db: float,
) -> Sources:
    """States of the corners `corner_ids` reached through sources `winner`; prune the useless."""
    flat = geom.corners[corner_ids]
    cy, cx = np.divmod(flat, MAP_SIZE)
    vx, vy = cx - src.x[winner], cy - src.y[winner]
    heading = np.arctan2(vy, vx)
    turn = np.degrees(np.abs(_wrap(heading - src.heading[winner])))
    turn = np.minimum(np.nan_to_num(turn, nan=0.0), params.max_turn_deg)
    new = Sources(
        x=cx, y=cy,
        length=src.length[winner] + np.hypot(vx, vy),
        turn=src.turn[winner] + turn,
        corner_db=src.corner_db[winner] + params.corner_loss(turn),
        heading=heading,
        index=corner_ids,
    )
    reach = _reach_m(params, new, constant_db)
    keep = reach >= 1.0
    return Sources(*(getattr(new, f)[keep] for f in Sources.__dataclass_fields__))


def _reach_m(params: PropagationParams, src: Sources, constant_db: float) -> np.ndarray:
    """Metres a source can still cover, straight on, before its path hits the floor."""
    spare = _budget_db(params) - constant_db - src.corner_db
    total = 10.0 ** (spare / (10.0 * _exponent(params, src.turn)))
    return total - src.length


def _fans(
    geom: MapGeometry, params: PropagationParams, src: Sources
) -> tuple[np.ndarray, np.ndarray]:
    """Start angle and width (radians) of the fan each corner casts into its shadow.

    The shadow side is where the building corner lies relative to the incoming
    direction: turns of 0..max_turn_deg towards it (plus WEDGE_MARGIN_DEG on the lit
    side). A corner with building on both sides (or dead ahead) gets both sides.
    """
    ux, uy = np.cos(src.heading), np.sin(src.heading)
    cross = ux[:, None] * DIAGONALS[None, :, 1] - uy[:, None] * DIAGONALS[None, :, 0]
    diag = geom.corner_diag[src.index]
    plus = (diag & (cross > 1e-9)).any(1)
    minus = (diag & (cross < -1e-9)).any(1)
    turn, margin = np.radians(params.max_turn_deg), np.radians(WEDGE_MARGIN_DEG)
    start = np.where(plus & ~minus, src.heading - margin, src.heading - turn)
    width = np.where(plus != minus, turn + margin, 2 * turn)
    return start, width


def _spawn(geom: MapGeometry, current: np.ndarray, best: np.ndarray, free: np.ndarray,
           winner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Corners that become sources of the next order, and the source that reached each.

    A corner counts as reached when any pixel of its 3x3 block is (a digital ray can
    miss the very pixel at a building's tip), through the best of them. It spawns when
    this order gave that best value and a free pixel within SHADOW_EDGE_PX is at least
    SHADOW_EDGE_DB weaker or unreached: the corner then starts a shadow.
    """
    rows = np.arange(geom.corners.size)
    near = np.append(current, np.float32(np.inf))[geom.near]
    pick = np.argmin(near, axis=1)
    loss = near[rows, pick]
    near_best = np.append(best, np.float32(np.inf))[geom.near].min(axis=1)
    shadow = np.append(np.where(free, best, -np.inf), -np.inf)[geom.window].max(axis=1)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(loss) & (loss <= near_best + 1e-3) & (shadow - loss > SHADOW_EDGE_DB)
    ids = _select(np.flatnonzero(ok), loss)
    via = np.append(winner, 0)[geom.near[ids, pick[ids]]]
    return ids, via


def _select(candidates: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """The MAX_SOURCES strongest candidate corners (`loss` is per corner), sorted."""
    if candidates.size > MAX_SOURCES:
        candidates = candidates[np.argsort(loss[candidates], kind="stable")[:MAX_SOURCES]]
    return np.sort(candidates)


def _fill_pinholes(loss: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Give unreached free pixels flanked by reached ones (left/right or up/down) the
    weaker flank: digital rays leave such one-pixel holes at grazing angles."""
    grid = loss.reshape(MAP_SIZE, MAP_SIZE)
    pad = np.pad(grid, 1, constant_values=np.inf)
    across = np.minimum(
        np.maximum(pad[1:-1, :-2], pad[1:-1, 2:]), np.maximum(pad[:-2, 1:-1], pad[2:, 1:-1])
    )
    hole = np.isinf(grid) & free.reshape(grid.shape) & np.isfinite(across)
    grid[hole] = across[hole]
    return loss


def path_loss_db(
    geom: MapGeometry, tx_xy: tuple[int, int], params: PropagationParams
) -> np.ndarray:
    """(S, S) float32 dominant-path loss in dB (+inf where no path stays above the floor)."""
    tx, ty = int(tx_xy[0]), int(tx_xy[1])
    constant_db = 20.0 * np.log10(4.0 * np.pi * params.frequency_hz / SPEED_OF_LIGHT)
    free = geom.buildings.ravel() == 0
    yy, xx = np.divmod(np.arange(MAP_SIZE * MAP_SIZE), MAP_SIZE)
    direct = np.maximum(np.hypot(xx - tx, yy - ty), 1.0).astype(np.float32)
    los = vis.visible_from(geom.blocked_pad, tx, ty).ravel()
    current = np.full(MAP_SIZE * MAP_SIZE, np.inf, dtype=np.float32)
    current[los] = constant_db + 10.0 * params.los_exponent * np.log10(direct[los])
    best = _fill_pinholes(current, free).copy()
    winner = np.zeros(MAP_SIZE * MAP_SIZE, dtype=np.int64)
    src = Sources(*(np.array([v]) for v in (tx, ty, 0.0, 0.0, 0.0, np.nan, -1)))
    for _ in range(params.max_interactions):
        ids, via = _spawn(geom, current, best, free, winner)
        src = _next_sources(geom, params, src, via, ids, constant_db)
        if src.x.size == 0:
            break
        current, winner = _cast_order(geom, params, src, constant_db, np.isfinite(best))
        np.minimum(best, _fill_pinholes(current, free), out=best)
    if params.wall_loss_db < _budget_db(params):
        max_cost = _budget_db(params) - constant_db
        cost = vis.through_walls(geom.blocked_pad, tx, ty, params.wall_loss_db,
                                 params.penetration_db_per_m, max_cost).ravel()
        through = constant_db + 10.0 * params.los_exponent * np.log10(direct) + cost
        np.minimum(best, through, out=best)
    best[~free] = np.inf
    return best.reshape(MAP_SIZE, MAP_SIZE)


def _cast_order(geom: MapGeometry, params: PropagationParams, src: Sources, constant_db: float,
                served: np.ndarray):
    """Min loss over all sources of one order, and the winning source of each pixel.

    served: bool flat map of pixels lower orders already reach; rays stop there.
    """
    current = np.full(MAP_SIZE * MAP_SIZE, np.inf, dtype=np.float32)
    winner = np.zeros(MAP_SIZE * MAP_SIZE, dtype=np.int64)
    grid = vis.padded_blocked(geom.buildings, served)
    start, width = _fans(geom, params, src)
    budget = _budget_db(params)

    def limit(owner: np.ndarray, angle: np.ndarray) -> np.ndarray:
        base, slope, guide = _ray_terms(params, src, owner, angle, constant_db)
        return 10.0 ** ((budget + guide - base) / slope) - src.length[owner]

    results = []
    length0 = src.length.astype(np.float32)
    for level in vis.cast_fans(grid, src.x, src.y, start, width, limit):
        base, slope, guide = _ray_terms(params, src, level.owner, level.angle, constant_db)
        row = level.row
        length = np.maximum(length0[level.owner[row]] + level.dist, np.float32(1.0))
        loss = base[row] + slope[row] * np.log10(length)
        loss -= guide[row] * geom.canyon[level.pixel]
        np.minimum.at(current, level.pixel, loss)
        results.append((level.pixel, loss, level.owner[row]))
    for pixel, loss, owner in results:
        won = loss <= current[pixel]
        winner[pixel[won]] = owner[won]
    return current, winner


def _ray_terms(params: PropagationParams, src: Sources, owner: np.ndarray, angle: np.ndarray,
               constant_db: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per ray: loss = base + slope * log10(path length) - guide * canyon (float32, dB).

    The turn at the owner corner is taken from the ray's direction, so every term but
    the distance is constant along a ray.
    """
    turn = np.degrees(np.abs(_wrap(angle - src.heading[owner])))
    turn = np.minimum(turn, params.max_turn_deg)
    total_turn = src.turn[owner] + turn
    blend = np.clip(total_turn / params.full_nlos_turn_deg, 0.0, 1.0)
    slope = 10.0 * _exponent(params, total_turn)
    base = constant_db + src.corner_db[owner] + params.corner_loss(turn)
    guide = params.waveguide_db * blend
    return base.astype(np.float32), slope.astype(np.float32), guide.astype(np.float32)
