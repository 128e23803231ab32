"""Why a case went the way it did, from measured features (no hand-written stories).

For one case (building map, sensors and their readings, the truth, and a heatmap model's
posterior) `case_facts` measures what usually explains a miss: sensors that read the
floor (no signal reached them), a transmitter at the tile edge, a far second peak of the
posterior holding a real share of it, the nearest sensor's distance, and how many sensors
have a line of sight to the transmitter; `why_lines` turns them into short sentences,
the most telling first. Positions are pixel (x, y) of PIXEL_M metres; gains in dB.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from locnet.constants import FLOOR_DB, MAP_SIZE, PIXEL_M
from locnet.data.visibility import padded_blocked, visible_from

FLOOR_TOLERANCE_DB = 0.5  # a reading this close to the floor carries no signal
EDGE_M = 12.0  # a transmitter closer than this to the tile edge is "at the edge"
FAR_PEAK_M = 30.0  # a second peak at least this far from the main one is "far"
PEAK_WINDOW_PX = 9  # local maxima of the posterior in windows of this size
MIN_PEAK_SHARE = 0.10  # a second peak holding less of the posterior is not mentioned
FAR_SENSOR_M = 40.0  # no sensor within this of the transmitter: "far"
MANY_FLOOR_SHARE = 0.5  # this share of floor readings or more is worth saying


@dataclass(frozen=True)
class CaseFacts:
    """Measured features of one case (distances in metres)."""

    n_sensors: int
    n_floor: int  # sensors whose reading is the floor (no signal reached them)
    edge_m: float  # truth's distance to the nearest tile edge
    nearest_sensor_m: float  # inf without sensors
    n_line_of_sight: int  # sensors with a clear straight line to the truth
    second_peak_xy: tuple[int, int] | None  # the far second peak of the posterior
    second_peak_m: float | None  # its distance from the posterior's mode
    second_peak_share: float | None  # posterior mass nearer to it than to the mode (0-1)
    truth_at_second_peak: bool  # the truth is nearer the second peak than the mode


def _second_peak(posterior: np.ndarray) -> tuple[tuple[int, int], float, float, tuple] | None:
    """(peak xy, distance from the mode in m, mass share on its side, mode xy) of the
    highest local maximum at least FAR_PEAK_M from the mode; None if there is none."""
    probs = np.asarray(posterior, dtype=np.float64)
    total = probs.sum()
    if not np.isfinite(total) or total <= 0:
        return None
    probs = probs / total
    mode = np.unravel_index(int(np.argmax(probs)), probs.shape)  # (row, col)
    peaks = (probs == ndimage.maximum_filter(probs, size=PEAK_WINDOW_PX)) & (probs > 0)
    rows, cols = np.nonzero(peaks)
    far = np.hypot(rows - mode[0], cols - mode[1]) * PIXEL_M >= FAR_PEAK_M
    if not far.any():
        return None
    best = int(np.argmax(np.where(far, probs[rows, cols], -1.0)))
    peak = (int(cols[best]), int(rows[best]))
    yy, xx = np.mgrid[0 : probs.shape[0], 0 : probs.shape[1]]
    nearer = np.hypot(yy - peak[1], xx - peak[0]) < np.hypot(yy - mode[0], xx - mode[1])
    distance = float(np.hypot(peak[0] - mode[1], peak[1] - mode[0]) * PIXEL_M)
    return peak, distance, float(probs[nearer].sum()), (int(mode[1]), int(mode[0]))


def case_facts(
    buildings: np.ndarray,
    sensors_xy: Sequence[Sequence[int]],
    gains_db: Sequence[float],
    truth_xy: Sequence[float],
    posterior: np.ndarray | None = None,
) -> CaseFacts:
    """Measure one case; `posterior` (H, W) sums to 1 over outdoor pixels (None: a model
    without one, and the second-peak facts are None)."""
    xy = np.asarray(sensors_xy, dtype=float).reshape(-1, 2)
    gains = np.asarray(gains_db, dtype=float).reshape(-1)
    tx = np.asarray(truth_xy, dtype=float)
    n_floor = int(np.sum(gains <= FLOOR_DB + FLOOR_TOLERANCE_DB))
    edge = float(min(tx[0], tx[1], MAP_SIZE - 1 - tx[0], MAP_SIZE - 1 - tx[1]) * PIXEL_M)
    nearest = float(np.min(np.hypot(*(xy - tx).T)) * PIXEL_M) if len(xy) else float("inf")
    ix, iy = round(tx[0]), round(tx[1])
    seen = visible_from(padded_blocked(np.asarray(buildings) != 0), ix, iy)
    cols, rows = xy[:, 0].astype(int), xy[:, 1].astype(int)
    n_los = int(seen[rows, cols].sum()) if len(xy) else 0
    second = None if posterior is None else _second_peak(posterior)
    if second is None:
        peak = distance = share = None
        at_peak = False
    else:
        peak, distance, share, mode = second
        at_peak = bool(
            np.hypot(tx[0] - peak[0], tx[1] - peak[1]) < np.hypot(tx[0] - mode[0], tx[1] - mode[1])
        )
    return CaseFacts(len(xy), n_floor, edge, nearest, n_los, peak, distance, share, at_peak)


def why_lines(facts: CaseFacts) -> list[str]:
    """Short sentences, the most telling first (floor readings, second peak, edge, line
    of sight, nearest sensor)."""
    lines = []
    n = facts.n_sensors
    if n and facts.n_floor == n:
        lines.append(
            f"All {n} sensors read the floor ({FLOOR_DB:g} dB): no signal reached any of "
            "them, so nothing points to the transmitter."
        )
    elif n and facts.n_floor / n >= MANY_FLOOR_SHARE:
        lines.append(
            f"{facts.n_floor} of {n} sensors read the floor ({FLOOR_DB:g} dB): they only say "
            "the transmitter is not near them."
        )
    if facts.second_peak_share is not None and facts.second_peak_share >= MIN_PEAK_SHARE:
        where = (
            " and the transmitter is there"
            if facts.truth_at_second_peak
            else ""
        )
        lines.append(
            f"A second peak {facts.second_peak_m:.0f} m away holds "
            f"{100 * facts.second_peak_share:.0f} % of the posterior{where}: two places fit "
            "the readings."
        )
    if facts.edge_m <= EDGE_M:
        lines.append(
            f"The transmitter is {facts.edge_m:.0f} m from the tile edge: part of its signal "
            "leaves the map, where no sensor can read it."
        )
    if n:
        if facts.n_line_of_sight == 0:
            lines.append(
                "No sensor has a line of sight to the transmitter: every reading comes "
                "around buildings."
            )
        else:
            lines.append(
                f"{facts.n_line_of_sight} of {n} sensors see the transmitter directly."
            )
        far = " (none close by)" if facts.nearest_sensor_m >= FAR_SENSOR_M else ""
        lines.append(f"Nearest sensor: {facts.nearest_sensor_m:.0f} m from the transmitter{far}.")
    else:
        lines.append("No sensors.")
    return lines
