"""Classical baselines for measured RSS (docs/real-data.md): centre, strongest receiver,
RSS-weighted centroid, and a log-distance path-loss fit with per-receiver offsets.

They read a `MeasuredBatch` (every receiver with a known position: fixed ones and the
shuttles present at that sample) and answer in metres. RSS is uncalibrated per receiver, so
only the path-loss fit compares readings across receivers on a common scale: it learns one
offset per receiver (and one path-loss exponent) on the training side's known transmitters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from locnet.errors import LocNetError
from locnet.models.measurement import MeasuredBatch, MeasurementModel
from locnet.models.registry import MEASUREMENT_FAMILY, register

CHUNK = 64  # samples per block of the path-loss search: (CHUNK, candidates) float64 arrays


def _or_centre(xy: np.ndarray, ok: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Rows of xy where ok, the training centre elsewhere (a sample nothing could be read from)."""
    return np.where(ok[:, None], xy, centre[None, :])


class RssCentre(MeasurementModel):
    """Always the training transmitters' mean position: the floor any method must beat."""

    name = "rss-centre"

    def predict(self, batch: MeasuredBatch) -> np.ndarray:
        self.check(batch)
        return np.repeat(self.centre_m[None, :], len(batch), axis=0)


class RssStrongest(MeasurementModel):
    """The position of the receiver with the highest RSS (fixed or shuttle; first on ties)."""

    name = "rss-strongest"

    def predict(self, batch: MeasuredBatch) -> np.ndarray:
        self.check(batch)
        heard = batch.heard
        rss = np.where(heard, batch.rss_db, -np.inf)
        best = rss.argmax(axis=1)
        xy = batch.xy_m[np.arange(len(batch)), best]
        return _or_centre(xy, heard.any(axis=1), self.centre_m)


class RssCentroid(MeasurementModel):
    """RSS-weighted centroid of the receivers, linear power weights 10^(dB/10)."""

    name = "rss-centroid"

    def predict(self, batch: MeasuredBatch) -> np.ndarray:
        self.check(batch)
        heard = batch.heard
        rss = np.where(heard, batch.rss_db, -np.inf)
        top = rss.max(axis=1, keepdims=True)
        top = np.where(np.isfinite(top), top, 0.0)
        weight = np.where(heard, 10.0 ** ((rss - top) / 10.0), 0.0)  # relative: no underflow
        xy = np.where(heard[..., None], batch.xy_m, 0.0)
        total = weight.sum(axis=1)
        centroid = (weight[..., None] * xy).sum(axis=1) / np.maximum(total, 1e-300)[:, None]
        return _or_centre(centroid, total > 0, self.centre_m)


@dataclass(frozen=True)
class PathLossOptions:
    """step_m: spacing of the candidate positions (12.5 m = the campus grid's pixels);
    min_distance_m: distances are clamped here so log10(d) stays finite near a receiver."""

    step_m: float = 12.5
    min_distance_m: float = 10.0


class RssPathLoss(MeasurementModel):
    """Log-distance path loss with a per-receiver offset, fitted on the training side.

    Model: rss_ij = a_j - n * 10 log10(d_ij) for receiver j hearing transmitter i at d_ij
    metres; the offsets a_j (dB: the receiver's uncalibrated gain plus the 1 W radio's power
    at 1 m) and the exponent n come from one least-squares fit over every training reading.
    A test sample's answer is the candidate (a `step_m` grid over the batch's area) with the
    least sum of squared residuals over its receivers; receivers never heard in training
    have no offset and are left out."""

    name = "rss-pathloss"

    def __init__(self, step_m: float, min_distance_m: float) -> None:
        super().__init__()
        if step_m <= 0 or min_distance_m <= 0:
            raise LocNetError("rss-pathloss: step_m and min_distance_m must be positive")
        self.step_m, self.min_distance_m = float(step_m), float(min_distance_m)
        self.offsets_db = np.zeros(0)
        self.exponent = 2.0

    def _log_distance(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """10 log10 of the distance (metres, clamped) between points a (..., 2) and b (..., 2)."""
        d = np.sqrt(((a - b) ** 2).sum(axis=-1))
        return 10.0 * np.log10(np.maximum(d, self.min_distance_m))

    def _fit(self, batch: MeasuredBatch, truth_m: np.ndarray) -> None:
        rows, cols = np.nonzero(batch.heard)
        seen = np.zeros(len(batch.receivers), dtype=bool)
        seen[cols] = True
        design = np.zeros((rows.size, int(seen.sum()) + 1))
        design[np.arange(rows.size), np.cumsum(seen)[cols] - 1] = 1.0
        design[:, -1] = -self._log_distance(batch.xy_m[rows, cols], truth_m[rows])
        solution, *_ = np.linalg.lstsq(design, batch.rss_db[rows, cols], rcond=None)
        self.offsets_db = np.full(len(batch.receivers), np.nan)
        self.offsets_db[seen] = solution[:-1]
        self.exponent = float(solution[-1])

    def candidates(self, area_m: tuple[float, float, float, float]) -> np.ndarray:
        """(C, 2) candidate positions: a step_m grid inside the area, row by row."""
        x0, y0, x1, y1 = area_m
        xs = np.arange(x0 + self.step_m / 2, x1, self.step_m)
        ys = np.arange(y0 + self.step_m / 2, y1, self.step_m)
        gx, gy = np.meshgrid(xs, ys)
        return np.stack((gx.ravel(), gy.ravel()), axis=1)

    def predict(self, batch: MeasuredBatch) -> np.ndarray:
        self.check(batch)
        grid = self.candidates(batch.area_m)
        use = batch.heard & np.isfinite(self.offsets_db)[None, :]
        residual = np.where(use, batch.rss_db - self.offsets_db[None, :], 0.0)  # c_j, 0 if unused
        fixed = np.flatnonzero(batch.fixed)
        moving = np.flatnonzero(~batch.fixed)
        # fixed receivers: sum_j (c_j + n L_jc)^2 expanded into matrix products over candidates
        table = self._log_distance(grid[None, :, :], np.nan_to_num(batch.xy_m[0, fixed])[:, None])
        n = self.exponent
        out = np.empty((len(batch), 2))
        for start in range(0, len(batch), CHUNK):
            part = slice(start, start + CHUNK)
            w, c = use[part][:, fixed].astype(np.float64), residual[part][:, fixed]
            cost = (w * c * c).sum(axis=1, keepdims=True) + 2 * n * (w * c) @ table
            cost += n * n * (w @ (table * table))
            for k, i in enumerate(range(start, min(start + CHUNK, len(batch)))):
                for j in moving[use[i, moving]]:
                    log_d = self._log_distance(grid, batch.xy_m[i, j])
                    cost[k] += (residual[i, j] + n * log_d) ** 2
            out[part] = grid[cost.argmin(axis=1)]
        return _or_centre(out, use.any(axis=1), self.centre_m)


def build_centre() -> RssCentre:
    return RssCentre()


def build_strongest() -> RssStrongest:
    return RssStrongest()


def build_centroid() -> RssCentroid:
    return RssCentroid()


def build_pathloss(step_m: float, min_distance_m: float) -> RssPathLoss:
    return RssPathLoss(step_m, min_distance_m)


_MODELS = {
    "rss-centre": (build_centre, None, "the training transmitters' mean position"),
    "rss-strongest": (build_strongest, None, "the receiver with the strongest reading"),
    "rss-centroid": (build_centroid, None, "RSS-weighted centroid (linear power weights)"),
    "rss-pathloss": (
        build_pathloss,
        PathLossOptions,
        "log-distance path-loss fit, per-receiver offsets learned on the training side",
    ),
}
for _name, (_build, _config, _text) in _MODELS.items():
    register(
        _name,
        family=MEASUREMENT_FAMILY,
        output="coordinates",
        trainable=False,
        config=_config,
        description=f"measured RSS: {_text}",
    )(_build)
