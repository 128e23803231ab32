"""Classical, training-free baselines: map centre, strongest sensor, RSS centroid, path-loss fit.

They read the same (B, 2, H, W) input as the networks (docs/design.md §1): sensors are
the pixels where channel 1 == +1, their reading is gray = 255 * channel 0, i.e.
gain_dB = FLOOR_DB + gray / 255 * DB_RANGE; buildings are channel 1 == -1 (absent
in the no-environment encoding). Every model returns a score map (higher = more
likely) so the app can draw a heatmap for each.

Floor readings (gray 0) are censored: the true gain is somewhere at or below
FLOOR_DB. The centroid gives them zero weight; the path-loss fit leaves them out of
the least squares and instead penalises candidates whose fitted model predicts
more than FLOOR_DB at those sensors (a "no signal" sensor says "not near here").

Memory does not grow with (pixels x sensors): the strongest-sensor map asks a k-d tree
(scipy) for each pixel's nearest sensor, and the path-loss fit gets its per-pixel sums
over the unclipped readings as FFT convolutions of the sensor image with the fixed
log-distance kernel (float64); only the censored term visits (pixel, sensor) pairs, in
blocks of CHUNK_PAIRS. 65,536 readings fit in a few hundred MB (docs/cases.md, limits).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
from scipy import fft as sfft
from scipy.spatial import cKDTree

from locnet.constants import DB_RANGE, FLOOR_DB, MAX_DB, PIXEL_M
from locnet.models.base import LocalizationModel, Prediction, argmax_xy, check_input
from locnet.models.registry import register

MIN_DISTANCE_M = 1.0  # distances are clamped here so log10(d) stays finite at the sensor pixel
EXPONENT_RANGE = (1.0, 8.0)  # physically plausible path-loss exponents (free space = 2)
DEFAULT_EXPONENT = 3.0  # used when distances alone cannot identify the exponent
REFERENCE_DB = MAX_DB  # gain at 1 m when no unclipped reading exists (~free space, 5.9 GHz)
TIE_BREAK_DB_PER_M = 1e-3  # strongest-sensor map: tiny slope so the sensor pixel itself wins
# Path-loss fit with fewer than 3 unclipped readings: 2 parameters fit them exactly almost
# everywhere, so the score map is flat; this slope (dB^2 per m from the strongest reading,
# far below any real misfit) makes the answer the strongest sensor instead of pixel (0, 0).
UNDERDETERMINED_DB2_PER_M = 1e-6
MIN_FIT_READINGS = 3  # unclipped readings the path-loss fit needs to tell positions apart
NEAREST_CANDIDATES = 8  # k-d tree neighbours examined per pixel to settle distance ties exactly
# A path-loss misfit below this fraction of sum (db - mean)^2 is rounding in the expanded
# sums (float64: ~1e-14 of it): an exact fit, scored 0 as a direct sum would.
FIT_ROUNDING = 1e-11
CHUNK_PAIRS = 1 << 21  # (pixel, sensor) pairs per block of the censored term (16 MB float64)


@dataclass
class Readings:
    """Sensors of one batch, padded to the largest count S.

    xy (B, S, 2) float pixels (x, y); db (B, S) gain in dB; valid (B, S) bool
    (False on padding); censored (B, S) bool (reading at the FLOOR_DB floor).
    """

    xy: torch.Tensor
    db: torch.Tensor
    valid: torch.Tensor
    censored: torch.Tensor


def read_sensors(x: torch.Tensor) -> Readings:
    """Extract sensor positions and dB readings from encoded inputs (vectorised)."""
    sensor = x[:, 1] > 0.5
    batch = sensor.shape[0]
    counts = sensor.flatten(1).sum(dim=1)
    slots = max(int(counts.max()) if batch else 0, 1)
    b, row, col = sensor.nonzero(as_tuple=True)
    starts = torch.cumsum(counts, 0) - counts
    slot = torch.arange(b.numel(), device=x.device) - starts[b]
    xy = torch.zeros(batch, slots, 2, device=x.device)
    gray = torch.zeros(batch, slots, device=x.device)
    valid = torch.zeros(batch, slots, dtype=torch.bool, device=x.device)
    xy[b, slot] = torch.stack((col, row), dim=1).float()
    gray[b, slot] = torch.round(x[b, 0, row, col].float() * 255.0)
    valid[b, slot] = True
    db = FLOOR_DB + gray / 255.0 * DB_RANGE
    return Readings(xy=xy, db=db, valid=valid, censored=valid & (gray <= 0))


def pixel_grid(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(H*W, 2) float (x, y) of every pixel, row-major."""
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device), torch.arange(width, device=device), indexing="ij"
    )
    return torch.stack((xs.flatten(), ys.flatten()), dim=1).float()


def distance_map(points: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, 2) points -> (B, H, W) Euclidean distance in metres from each pixel."""
    grid = pixel_grid(height, width, points.device)
    dist = torch.cdist(grid[None], points[:, None].float())[..., 0] * PIXEL_M
    return dist.view(-1, height, width)


def _pixels(height: int, width: int) -> np.ndarray:
    """(H*W, 2) int64 (x, y) of every pixel, row-major (numpy twin of pixel_grid)."""
    ys, xs = np.divmod(np.arange(height * width, dtype=np.int64), width)
    return np.stack((xs, ys), axis=1)


def nearest_sensor(xy: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each pixel's nearest sensor: (index into xy, distance in pixels), row-major (H*W,).

    xy (S, 2) integer pixel (x, y), S >= 1. Equidistant sensors go to the lowest index,
    decided on exact integer squared distances; memory is O(H*W*k), never O(H*W*S)."""
    grid = _pixels(height, width)
    count = len(xy)
    k = min(count, NEAREST_CANDIDATES)
    _, idx = cKDTree(xy).query(grid, k=k)
    idx = np.asarray(idx, dtype=np.int64).reshape(len(grid), k)
    d2 = ((grid[:, None, :] - xy[idx]) ** 2).sum(axis=2)
    best = d2.min(axis=1)
    tied = d2 == best[:, None]
    index = np.where(tied, idx, count).min(axis=1)
    crowded = np.flatnonzero(tied.all(axis=1)) if k < count else np.zeros(0, np.int64)
    step = max(1, CHUNK_PAIRS // count)  # more than k sensors may share the distance: scan all
    for start in range(0, len(crowded), step):
        pixels = crowded[start : start + step]
        full = ((grid[pixels, None, :] - xy[None]) ** 2).sum(axis=2)
        index[pixels] = full.argmin(axis=1)  # argmin: the first (lowest) index on ties
    return index, np.sqrt(best.astype(np.float64))


class ClassicalModel(LocalizationModel):
    """Training-free model: forward(x) is the score map (B, H, W); predict adds the argmax."""

    name = "classical"

    def __init__(self) -> None:
        super().__init__()
        self.options = {}

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.name)
        return self.scores(x.float())

    def predict(self, x: torch.Tensor) -> Prediction:
        scores = self.forward(x)
        return Prediction(xy=argmax_xy(scores), scores=scores)


def _centre(batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
    centre = torch.tensor([[width // 2, height // 2]], dtype=torch.float32, device=device)
    return centre.expand(batch, 2)


class Centre(ClassicalModel):
    """Always the map centre pixel (W//2, H//2): the floor any method must beat (~104 m RMSE)."""

    name = "centre"

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        return -distance_map(_centre(x.shape[0], height, width, x.device), height, width)


class Strongest(ClassicalModel):
    """The sensor with the highest reading (first one on ties); centre if there are no sensors.

    Score map: the reading of the nearest sensor (dB) minus a 0.001 dB/m slope, a
    Voronoi picture of the readings whose maximum is the strongest sensor itself.
    """

    name = "strongest"

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        r = read_sensors(x)
        scores = -distance_map(_centre(batch, height, width, x.device), height, width)
        for i in range(batch):
            valid = r.valid[i]
            if not valid.any():
                continue  # no sensor: the centre's map stays
            xy = r.xy[i][valid].cpu().numpy().astype(np.int64)
            db = r.db[i][valid].cpu().numpy().astype(np.float64)
            index, dist = nearest_sensor(xy, height, width)
            best = db[index] - TIE_BREAK_DB_PER_M * dist * PIXEL_M
            scores[i] = torch.from_numpy(best.reshape(height, width)).to(scores)
        return scores


class Centroid(ClassicalModel):
    """RSS-weighted centroid of the sensors with linear power weights 10^(dB/10).

    Floor (censored) readings get weight 0; with no unclipped reading the answer is
    the map centre. xy is the exact (fractional) centroid; scores = -distance (m) to it.
    """

    name = "centroid"

    def centroid(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        r = read_sensors(x)
        use = r.valid & ~r.censored
        best = r.db.masked_fill(~use, -torch.inf).amax(dim=1, keepdim=True).clamp_min(FLOOR_DB)
        rel_db = r.db - best  # relative to the strongest reading: no underflow in 10^(dB/10)
        weight = torch.where(use, torch.pow(10.0, rel_db / 10.0), torch.zeros_like(r.db))
        total = weight.sum(dim=1, keepdim=True)
        xy = (weight[..., None] * r.xy).sum(dim=1) / total.clamp_min(1e-30)
        return torch.where(total > 0, xy, _centre(batch, height, width, x.device))

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        return -distance_map(self.centroid(x), *x.shape[-2:])

    def predict(self, x: torch.Tensor) -> Prediction:
        check_input(x, self.name)
        xy = self.centroid(x.float())
        return Prediction(xy=xy, scores=-distance_map(xy, *x.shape[-2:]))


@functools.lru_cache(maxsize=4)
def _log_distance_kernel(height: int, width: int) -> np.ndarray:
    """u(dx, dy) = -10 log10(max(d, 1 m)) for every offset, (2H-1, 2W-1), centre at
    (H-1, W-1): the log-distance regressor of a pixel seen from a sensor at that offset."""
    dy = np.arange(-(height - 1), height, dtype=np.float64)[:, None]
    dx = np.arange(-(width - 1), width, dtype=np.float64)[None, :]
    distance = np.hypot(dx, dy) * PIXEL_M
    return -10.0 * np.log10(np.maximum(distance, MIN_DISTANCE_M))


def _no_signal_excess(u: np.ndarray) -> np.ndarray:
    """max(0, REFERENCE_DB + DEFAULT_EXPONENT u - FLOOR_DB)^2: a censored sensor's cost when
    no reading was heard (the fit is then the same at every pixel)."""
    return np.maximum(REFERENCE_DB + DEFAULT_EXPONENT * u - FLOOR_DB, 0.0) ** 2


OFFSET_KERNELS = {"u": lambda u: u, "u2": lambda u: u * u, "no_signal": _no_signal_excess}


@functools.lru_cache(maxsize=8)
def _kernel_spectrum(height: int, width: int, kind: str) -> tuple[tuple[int, int], np.ndarray]:
    """FFT shape and the real FFT of OFFSET_KERNELS[kind] of u (cached: map size only)."""
    shape = (sfft.next_fast_len(3 * height - 2, True), sfft.next_fast_len(3 * width - 2, True))
    return shape, sfft.rfft2(OFFSET_KERNELS[kind](_log_distance_kernel(height, width)), shape)


def offset_sum(
    xy: np.ndarray, values: np.ndarray, kind: str, height: int, width: int
) -> np.ndarray:
    """(H*W,) row-major: for every pixel c, sum_s values_s * k(c - s) over the sensors xy
    (S, 2) integer (x, y), k = OFFSET_KERNELS[kind] of u. One FFT convolution of the (H, W)
    sensor image: O(HW log HW) time and memory whatever S is (float64 rounding ~1e-12 of
    the sum's size)."""
    shape, kernel = _kernel_spectrum(height, width, kind)
    image = np.zeros((height, width))
    image[xy[:, 1], xy[:, 0]] = values
    full = sfft.irfft2(sfft.rfft2(image, shape) * kernel, shape)
    return full[height - 1 : 2 * height - 1, width - 1 : 2 * width - 1].ravel()


def censored_cost(
    xy: np.ndarray, a: np.ndarray, n: np.ndarray, height: int, width: int
) -> np.ndarray:
    """(H*W,) sum over the censored sensors xy (C, 2) of max(0, a + n u - FLOOR_DB)^2, the
    fitted model's excess over the floor where a sensor heard nothing; a (H*W,) gain at
    1 m and n (H*W,) exponent per candidate. Blocks of CHUNK_PAIRS pairs bound the memory."""
    cost = np.zeros(height * width)
    if len(xy) == 0:
        return cost
    kernel = _log_distance_kernel(height, width).ravel()
    stride = 2 * width - 1  # offset (dx, dy) sits at (dy + H - 1) * stride + dx + W - 1
    grid = _pixels(height, width) + (width - 1, height - 1)
    pixel_at = (grid[:, 1] * stride + grid[:, 0]).astype(np.int32)
    sensor_at = (xy[:, 1] * stride + xy[:, 0]).astype(np.int32)
    headroom = a - FLOOR_DB
    step = max(1, CHUNK_PAIRS // len(xy))
    for start in range(0, height * width, step):
        block = slice(start, start + step)
        excess = kernel[pixel_at[block, None] - sensor_at[None, :]]  # u of every pair
        excess *= n[block, None]
        excess += headroom[block, None]
        np.maximum(excess, 0.0, out=excess)
        cost[block] = np.einsum("ij,ij->i", excess, excess)
    return cost


class PathLoss(ClassicalModel):
    """Log-distance path-loss least squares over every outdoor candidate pixel.

    For candidate c and sensor s: db_s ~ A - 10 n log10(d_cs), d in metres clamped to
    1 m. A (gain at 1 m, dB) and n (exponent, clamped to EXPONENT_RANGE) are fitted in
    closed form on the unclipped readings; censored readings add (pred - FLOOR_DB)^2
    where the fit predicts more than the floor. Score = -(mean squared residual, dB^2).
    Buildings (channel 1 == -1) are never candidates: they get the sample's lowest score.
    With fewer than MIN_FIT_READINGS unclipped readings the fit cannot tell positions
    apart; UNDERDETERMINED_DB2_PER_M then makes the strongest reading's pixel the answer.
    """

    name = "pathloss"

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        r = read_sensors(x)
        height, width = x.shape[-2:]
        maps = []
        for i in range(x.shape[0]):
            valid = r.valid[i]
            xy = r.xy[i][valid].cpu().numpy().astype(np.int64)
            db = r.db[i][valid].cpu().numpy().astype(np.float64)
            maps.append(self._one(xy, db, r.censored[i][valid].cpu().numpy(), height, width))
        scores = torch.from_numpy(np.stack(maps)).to(device=x.device, dtype=torch.float32)
        scores = scores.view(-1, height, width)
        building = x[:, 1] < -0.5
        floor = scores.masked_fill(building, torch.inf).flatten(1).amin(dim=1)
        floor = torch.where(torch.isfinite(floor), floor, torch.zeros_like(floor))
        return torch.where(building, floor[:, None, None], scores)

    @staticmethod
    def _one(xy, db, censored, height: int, width: int) -> np.ndarray:
        """(HW,) float64 score of every pixel for one sample's sensors xy (S, 2), db (S,)."""
        pixels = height * width
        if len(db) == 0:
            return np.zeros(pixels)
        heard = ~censored
        count = int(heard.sum())
        if count > 0:
            mean_p = db[heard].mean()
            centred = db[heard] - mean_p
            sum_u, sum_uu, sum_ud = (
                offset_sum(xy[heard], values, kind, height, width)
                for values, kind in ((1.0, "u"), (1.0, "u2"), (centred, "u"))
            )
            mean_u = sum_u / count
            var_u = np.maximum(sum_uu - sum_u * mean_u, 0.0)  # sum (u - mean_u)^2
            cov = sum_ud - mean_u * centred.sum()  # sum (u - mean_u)(db - mean_p)
            fitted = cov / np.maximum(var_u, 1e-6)
            n = np.where(var_u > 1e-6, fitted, DEFAULT_EXPONENT).clip(*EXPONENT_RANGE)
            a = mean_p - n * mean_u
            # sum (db - a - n u)^2 = sum (db' - n (u - mean_u))^2, expanded
            spread = (centred * centred).sum()
            fit = spread - 2.0 * n * cov + n * n * var_u
            fit = np.where(fit > FIT_ROUNDING * spread, fit, 0.0)
            over = censored_cost(xy[censored], a, n, height, width)
        else:  # nothing heard: one fit everywhere, so the censored cost is a convolution too
            fit = np.zeros(pixels)
            over = offset_sum(xy[censored], 1.0, "no_signal", height, width)
        score = -(fit + over) / len(db)
        if count < MIN_FIT_READINGS:
            anchor = xy[heard][np.argmax(db[heard])] if count else (width // 2, height // 2)
            grid = _pixels(height, width)
            score -= UNDERDETERMINED_DB2_PER_M * np.hypot(*(grid - anchor).T) * PIXEL_M
        return score


_DESCRIPTIONS = {
    "centre": (Centre, "heatmap", "map centre pixel: the sanity floor (~104 m RMSE on 256 m maps)"),
    "strongest": (Strongest, "heatmap", "position of the sensor with the strongest reading"),
    "centroid": (
        Centroid,
        "coordinates",
        "RSS-weighted centroid of the sensors (linear power weights)",
    ),
    "pathloss": (
        PathLoss,
        "heatmap",
        "log-distance path-loss least-squares fit over all outdoor candidate pixels",
    ),
}


def _make_builder(cls: type[ClassicalModel]):
    def build() -> ClassicalModel:
        return cls()

    build.__name__ = f"build_{cls.name}"
    build.__doc__ = cls.__doc__
    return build


for _name, (_cls, _output, _text) in _DESCRIPTIONS.items():
    register(_name, family="classical", output=_output, trainable=False, description=_text)(
        _make_builder(_cls)
    )
