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
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from locnet.constants import DB_RANGE, FLOOR_DB, MAX_DB, PIXEL_M
from locnet.models.base import LocalizationModel, Prediction, argmax_xy, check_input
from locnet.models.registry import register

MIN_DISTANCE_M = 1.0  # distances are clamped here so log10(d) stays finite at the sensor pixel
EXPONENT_RANGE = (1.0, 8.0)  # physically plausible path-loss exponents (free space = 2)
DEFAULT_EXPONENT = 3.0  # used when distances alone cannot identify the exponent
REFERENCE_DB = MAX_DB  # gain at 1 m when no unclipped reading exists (~free space, 5.9 GHz)
TIE_BREAK_DB_PER_M = 1e-3  # strongest-sensor map: tiny slope so the sensor pixel itself wins


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
    batch, _, width = sensor.shape
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
        grid = pixel_grid(height, width, x.device)
        dist = torch.cdist(grid[None].expand(batch, -1, -1), r.xy) * PIXEL_M  # (B, HW, S)
        dist = dist.masked_fill(~r.valid[:, None], float("inf"))
        nearest_d, nearest = dist.min(dim=2)
        reading = torch.gather(r.db, 1, nearest)
        scores = reading - TIE_BREAK_DB_PER_M * nearest_d
        empty = ~r.valid.any(dim=1)
        if empty.any():
            fallback = -distance_map(_centre(batch, height, width, x.device), height, width)
            scores[empty] = fallback.flatten(1)[empty]
        return scores.view(batch, height, width)


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


class PathLoss(ClassicalModel):
    """Log-distance path-loss least squares over every outdoor candidate pixel.

    For candidate c and sensor s: db_s ~ A - 10 n log10(d_cs), d in metres clamped to
    1 m. A (gain at 1 m, dB) and n (exponent, clamped to EXPONENT_RANGE) are fitted in
    closed form on the unclipped readings; censored readings add (pred - FLOOR_DB)^2
    where the fit predicts more than the floor. Score = -(mean squared residual, dB^2).
    Buildings (channel 1 == -1) are never candidates: they get the sample's lowest score.
    """

    name = "pathloss"

    def scores(self, x: torch.Tensor) -> torch.Tensor:
        r = read_sensors(x)
        height, width = x.shape[-2:]
        grid = pixel_grid(height, width, x.device)
        maps = [
            self._one(grid, r.xy[i], r.db[i], r.valid[i], r.censored[i]) for i in range(x.shape[0])
        ]
        scores = torch.stack(maps).view(-1, height, width)
        building = x[:, 1] < -0.5
        floor = scores.masked_fill(building, torch.inf).flatten(1).amin(dim=1)
        floor = torch.where(torch.isfinite(floor), floor, torch.zeros_like(floor))
        return torch.where(building, floor[:, None, None], scores)

    @staticmethod
    def _one(grid, xy, db, valid, censored) -> torch.Tensor:
        """(HW,) score of every pixel for one sample's sensors (vectorised over HW x S)."""
        xy, db, censored = xy[valid], db[valid], censored[valid]
        if db.numel() == 0:
            return torch.zeros(grid.shape[0], device=grid.device)
        dist = (torch.cdist(grid, xy) * PIXEL_M).clamp_min(MIN_DISTANCE_M)  # (HW, S)
        u = -10.0 * torch.log10(dist)
        w = (~censored).float()
        count = w.sum()
        if count > 0:
            mean_p = (w * db).sum() / count
            mean_u = (u * w).sum(dim=1, keepdim=True) / count
            du = (u - mean_u) * w
            var_u = (du * du).sum(dim=1, keepdim=True)
            cov = (du * (db - mean_p)).sum(dim=1, keepdim=True)
            identifiable = var_u > 1e-6
            fitted = cov / var_u.clamp_min(1e-6)
            n = torch.where(identifiable, fitted, torch.full_like(var_u, DEFAULT_EXPONENT))
            n = n.clamp(*EXPONENT_RANGE)
            a = mean_p - n * mean_u
        else:
            n = torch.full((grid.shape[0], 1), DEFAULT_EXPONENT, device=grid.device)
            a = torch.full_like(n, REFERENCE_DB)
        pred = a + n * u
        fit = w * (db - pred) ** 2
        over = (1.0 - w) * torch.relu(pred - FLOOR_DB) ** 2
        return -(fit + over).mean(dim=1)


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
