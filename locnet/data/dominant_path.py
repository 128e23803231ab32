"""Dominant-path search: the loss of the best path around building corners (dB).

How the search works (in the spirit of WinProp's dominant path model):
- order 0: the transmitter lights every pixel in its line of sight;
- order k: building corners reached at order k-1 that sit on a shadow boundary become
  secondary sources. Each keeps the state of the path that reached it (length so far,
  accumulated turn and corner losses, incoming direction) and casts rays into the
  wedge behind it, up to the distance where the path would fall below the floor.
  A pixel's loss via a corner depends on the turn it makes there, so the min over
  sources is taken per pixel.
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
from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage

from locnet.constants import FLOOR_DB, MAP_SIZE
from locnet.data import visibility as vis

if TYPE_CHECKING:
    from locnet.data.propagation import PropagationParams

SPEED_OF_LIGHT = 299_792_458.0  # m/s
#: Diagonal neighbour offsets (dx, dy) tested for convex building corners.
DIAGONALS = np.array([(-1, -1), (1, -1), (-1, 1), (1, 1)])
#: A lit corner spawns a secondary source when a free neighbour is this much weaker
#: (dB) or unreached: the corner then sits on a shadow boundary.
SHADOW_EDGE_DB = 6.0
#: Radius (pixels) of the window searched for shadow next to a lit corner.
SHADOW_EDGE_PX = 2
#: One secondary source per cell of this size (pixels) and order ...
SOURCE_CELL_PX = 4
#: ... and at most this many per order (the strongest), bounding the time per map.
MAX_SOURCES = 64
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
    dist_x: np.ndarray  # (S,) float32 column coordinates
    dist_y: np.ndarray  # (S,) float32 row coordinates


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
    coords = np.arange(s, dtype=np.float32)
    return MapGeometry(
        buildings=buildings,
        blocked_pad=vis.padded_blocked(buildings),
        corners=corners,
        corner_diag=diag.reshape(-1, 4)[corners],
        canyon=canyon.ravel(),
        dist_x=coords,
        dist_y=coords,
    )


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


def _wedges(geom: MapGeometry, params: PropagationParams, src: Sources, angles: np.ndarray):
    """(source, ray) pairs: rays into the shadow side of each corner, turns <= max_turn."""
    delta = np.degrees(_wrap(angles[None, :] - src.heading[:, None]))
    ux, uy = np.cos(src.heading), np.sin(src.heading)
    cross = ux[:, None] * DIAGONALS[None, :, 1] - uy[:, None] * DIAGONALS[None, :, 0]
    diag = geom.corner_diag[src.index]
    plus = (diag & (cross > 1e-9)).any(1)
    minus = (diag & (cross < -1e-9)).any(1)
    side = np.where(plus & ~minus, 1.0, np.where(minus & ~plus, -1.0, 0.0))[:, None]
    lo = np.where(side == 0, -params.max_turn_deg, -WEDGE_MARGIN_DEG)
    signed = np.where(side == 0, delta, delta * side)
    ok = (signed >= lo) & (signed <= params.max_turn_deg)
    return np.nonzero(ok)


def _shadow_edge(loss: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Flat bool: pixels with a free pixel within SHADOW_EDGE_PX that is SHADOW_EDGE_DB
    weaker or unreached (the shadow behind a corner starts as a sliver, so look a little
    beyond the 8-neighbours)."""
    grid = np.where(free, loss, -np.inf).reshape(MAP_SIZE, MAP_SIZE)
    worst = ndimage.maximum_filter(grid, size=2 * SHADOW_EDGE_PX + 1, mode="constant", cval=-np.inf)
    with np.errstate(invalid="ignore"):
        return (worst - grid > SHADOW_EDGE_DB).ravel()


def _select(geom: MapGeometry, candidates: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """Keep the strongest corner per SOURCE_CELL_PX cell, then the MAX_SOURCES strongest.

    Rasterised slanted walls are staircases with a corner every few pixels; paths
    through neighbouring corners are near-identical, so one per cell suffices and
    bounds the work per order.
    """
    flat = geom.corners[candidates]
    y, x = np.divmod(flat, MAP_SIZE)
    cell = (y // SOURCE_CELL_PX) * MAP_SIZE + x // SOURCE_CELL_PX
    order = np.lexsort((flat, loss[flat], cell))
    first = np.ones(order.size, dtype=bool)
    first[1:] = cell[order[1:]] != cell[order[:-1]]
    kept = order[first]
    kept = kept[np.argsort(loss[flat[kept]], kind="stable")[:MAX_SOURCES]]
    return np.sort(candidates[kept])


def path_loss_db(geom: MapGeometry, tx_xy: tuple[int, int], params: PropagationParams) -> np.ndarray:
    """(S, S) float32 dominant-path loss in dB (+inf where no path stays above the floor)."""
    tx, ty = int(tx_xy[0]), int(tx_xy[1])
    constant_db = 20.0 * np.log10(4.0 * np.pi * params.frequency_hz / SPEED_OF_LIGHT)
    free = geom.buildings.ravel() == 0
    dx = geom.dist_x[None, :] - tx
    dy = geom.dist_y[:, None] - ty
    direct = np.maximum(np.hypot(dx, dy), 1.0).ravel()
    los = vis.visible_from(geom.blocked_pad, tx, ty).ravel()
    best = np.full(MAP_SIZE * MAP_SIZE, np.inf, dtype=np.float32)
    best[los] = constant_db + 10.0 * params.los_exponent * np.log10(direct[los])
    src = Sources(*(np.array([v]) for v in (tx, ty, 0.0, 0.0, 0.0, np.nan, -1)))
    improved = los
    winner_of_corner = np.zeros(geom.corners.size, dtype=np.int64)
    for _ in range(params.max_interactions):
        spawn = improved[geom.corners] & _shadow_edge(best, free)[geom.corners]
        ids = _select(geom, np.flatnonzero(spawn), best)
        src = _next_sources(geom, params, src, winner_of_corner[ids], ids, constant_db)
        if src.x.size == 0:
            break
        current, winner_of_corner = _cast_order(geom, params, src, constant_db)
        improved = current < best - 1e-3
        np.minimum(best, current, out=best)
    if params.wall_loss_db < _budget_db(params):
        max_cost = _budget_db(params) - constant_db
        cost = vis.through_walls(geom.blocked_pad, tx, ty, params.wall_loss_db,
                                 params.penetration_db_per_m, max_cost).ravel()
        through = constant_db + 10.0 * params.los_exponent * np.log10(direct) + cost
        np.minimum(best, through, out=best)
    best[~free] = np.inf
    return best.reshape(MAP_SIZE, MAP_SIZE)


def _cast_order(geom: MapGeometry, params: PropagationParams, src: Sources, constant_db: float):
    """Min loss over all sources of one order, and the winning source of each corner."""
    current = np.full(MAP_SIZE * MAP_SIZE, np.inf, dtype=np.float32)
    reach = _reach_m(params, src, constant_db)
    radius = np.array([vis.table_for(r).radius for r in reach])
    corner_hits = []
    for r in np.unique(radius):
        table = vis.ray_table(int(r))
        members = np.flatnonzero(radius == r)
        sub = Sources(*(getattr(src, f)[members] for f in Sources.__dataclass_fields__))
        which, rays = _wedges(geom, params, sub, table.angle)
        steps = int(np.ceil(reach[members].max()))
        hits = vis.cast(geom.blocked_pad, table, sub.x[which], sub.y[which], rays, steps)
        owner = members[which[hits.row]]
        dist = table.dist.ravel()[hits.sample]
        keep = dist > 0
        owner, pixel, sample = owner[keep], hits.pixel[keep], hits.sample[keep]
        loss = _sample_loss(geom, params, src, owner, pixel, sample, table, constant_db)
        np.minimum.at(current, pixel, loss)
        corner_hits.append((pixel, loss, owner))
    winner = np.zeros(geom.corners.size, dtype=np.int64)
    corner_slot = np.full(MAP_SIZE * MAP_SIZE, -1, dtype=np.int64)
    corner_slot[geom.corners] = np.arange(geom.corners.size)
    for pixel, loss, owner in corner_hits:
        slot = corner_slot[pixel]
        won = (slot >= 0) & (loss <= current[pixel])
        winner[slot[won]] = owner[won]
    return current, winner


def _sample_loss(geom, params, src, owner, pixel, sample, table, constant_db) -> np.ndarray:
    """Loss (dB, float32) of each visible ray sample reached through its owner source."""
    dist = table.dist.ravel()[sample]
    theta = table.theta.ravel()[sample]
    turn = np.abs(_wrap(theta - src.heading[owner].astype(np.float32)))
    turn = np.minimum(np.degrees(turn), np.float32(params.max_turn_deg))
    total_turn = src.turn[owner].astype(np.float32) + turn
    blend = np.minimum(total_turn / np.float32(params.full_nlos_turn_deg), np.float32(1.0))
    exponent = params.los_exponent + (params.nlos_exponent - params.los_exponent) * blend
    length = np.maximum(src.length[owner].astype(np.float32) + dist, np.float32(1.0))
    loss = np.float32(constant_db) + 10.0 * exponent * np.log10(length)
    loss += src.corner_db[owner].astype(np.float32) + params.corner_loss(turn)
    loss -= np.float32(params.waveguide_db) * geom.canyon[pixel] * blend
    return loss.astype(np.float32, copy=False)
