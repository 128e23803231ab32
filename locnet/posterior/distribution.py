"""A heatmap model's scores as a calibrated probability over where the transmitter is.

The one posterior used by inference, evaluate, calibrate, the app and the report
(docs/posterior.md): p = softmax(logits / T) over the outdoor pixels of the map
(transmitters are never inside buildings), 0 on buildings. From it come the three
readouts (`mode`, the paper's argmax; `mean`, which minimises expected squared error;
`median`, the spatial median, which minimises expected distance), the highest-probability
regions holding 50 % / 90 % of the mass, the expected error sqrt(E[d^2]) of an answer,
and the credible level of the true pixel, from which coverage at any level follows.
Everything is batched torch over (B, H, W) maps; pixel coordinates are (x = column,
y = row), 1 px = PIXEL_M m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from scipy.optimize import minimize_scalar

from locnet.constants import PIXEL_M
from locnet.errors import LocNetError
from locnet.models.base import argmax_xy

READOUTS = ("mode", "mean", "median")  # a heatmap model's answers, the paper's first
POINT_READOUT = "point"  # the one answer of a model without a heatmap (classical, regressors)
REGION_LEVELS = (0.5, 0.9)  # credible regions the app draws and evaluate reports
RELIABILITY_LEVELS = tuple(round(0.1 * i, 1) for i in range(1, 10))  # 10 % ... 90 %
TEMPERATURE_BOUNDS = (1e-3, 1e3)  # search range of the calibration fit
MEDIAN_ITERATIONS = 30  # Weiszfeld steps over cells; the change after 30 is far below a pixel
MEDIAN_POOL = 4  # cell side (pixels) of the coarse Weiszfeld pass
MEDIAN_REFINE_STEPS = 3  # full-resolution steps after it
_MEDIAN_EPS_PX = 1e-3  # keeps Weiszfeld's 1/distance finite at a pixel centre


def check_readout(readout: str) -> str:
    """The readout name, or LocNetError listing the valid ones."""
    if readout not in READOUTS:
        raise LocNetError(f"unknown readout '{readout}'; use one of {', '.join(READOUTS)}")
    return readout


def outdoor_mask(buildings: torch.Tensor | np.ndarray) -> torch.Tensor:
    """(…, H, W) building maps (non-zero = building) -> bool outdoor pixels."""
    if isinstance(buildings, np.ndarray):
        return torch.from_numpy(buildings == 0)  # a new array: read-only maps are fine
    return buildings == 0


def probabilities(
    logits: torch.Tensor, outdoor: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """(B, H, W) logits -> (B, H, W) float32 probabilities summing to 1 over outdoor pixels.

    outdoor: (B, H, W) or (H, W) bool. A map with no outdoor pixel has no posterior.
    """
    if not temperature > 0 or not math.isfinite(temperature):
        raise LocNetError(f"temperature must be a positive number, got {temperature}")
    outdoor = outdoor.to(logits.device).expand_as(logits)
    if not outdoor.flatten(1).any(dim=1).all():
        raise LocNetError("a map has no outdoor pixel: nowhere to put the transmitter")
    scaled = (logits.float() / temperature).masked_fill(~outdoor, -torch.inf)
    return torch.softmax(scaled.flatten(1), dim=1).view_as(logits)


def _grids(probs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    height, width = probs.shape[-2:]
    ys = torch.arange(height, device=probs.device, dtype=torch.float32)
    xs = torch.arange(width, device=probs.device, dtype=torch.float32)
    return xs, ys


def mean_xy(probs: torch.Tensor) -> torch.Tensor:
    """(B, H, W) -> (B, 2) posterior mean (x, y): the answer with the least expected d^2."""
    xs, ys = _grids(probs)
    return torch.stack(((probs.sum(1) * xs).sum(1), (probs.sum(2) * ys).sum(1)), dim=1)


def _weiszfeld(
    weight: torch.Tensor, px: torch.Tensor, py: torch.Tensor, point: torch.Tensor, steps: int
) -> torch.Tensor:
    """Weiszfeld steps towards the weighted geometric median of points (px, py).

    weight: (B, N); px, py: (N,) or (B, N); point: (B, 2) start."""
    for _ in range(steps):
        dist = torch.hypot(px - point[:, :1], py - point[:, 1:])
        w = weight / dist.clamp_min(_MEDIAN_EPS_PX)
        point = torch.stack(((w * px).sum(1), (w * py).sum(1)), dim=1) / w.sum(1, keepdim=True)
    return point


def median_xy(probs: torch.Tensor, iterations: int = MEDIAN_ITERATIONS) -> torch.Tensor:
    """(B, H, W) -> (B, 2) spatial (geometric) median: least expected distance.

    Weiszfeld's iteration from the mean, first over MEDIAN_POOL x MEDIAN_POOL cells (each
    its mass at its own centre of mass: 16x fewer points), then a few steps over pixels.
    """
    batch, height, width = probs.shape
    xs, ys = _grids(probs)
    px, py = xs.repeat(height), ys.repeat_interleave(width)  # coordinates of flat pixels
    point = mean_xy(probs)
    f = MEDIAN_POOL if height % MEDIAN_POOL == 0 and width % MEDIAN_POOL == 0 else 1
    cells = (batch, height // f, f, width // f, f)
    mass = probs.reshape(cells).sum((2, 4)).flatten(1)
    safe = mass.clamp_min(torch.finfo(mass.dtype).tiny)
    cx = (probs * xs).reshape(cells).sum((2, 4)).flatten(1) / safe
    cy = (probs * ys[:, None]).reshape(cells).sum((2, 4)).flatten(1) / safe
    point = _weiszfeld(mass, cx, cy, point, iterations)
    return _weiszfeld(probs.flatten(1), px, py, point, MEDIAN_REFINE_STEPS)


_READERS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "mode": argmax_xy,  # the most probable pixel
    "mean": mean_xy,
    "median": median_xy,
}


def read_out(probs: torch.Tensor, readout: str) -> torch.Tensor:
    """(B, H, W) posterior -> (B, 2) float (x, y) answer of one readout."""
    return _READERS[check_readout(readout)](probs)


def expected_error_m(probs: torch.Tensor, xy: torch.Tensor) -> torch.Tensor:
    """(B,) sqrt(E[d^2]) in metres between an answer xy (B, 2) and the posterior's transmitter."""
    xs, ys = _grids(probs)
    px, py = probs.sum(1), probs.sum(2)  # marginals over x (B, W) and y (B, H)
    dx2 = (px * (xs[None] - xy[:, :1]) ** 2).sum(1)
    dy2 = (py * (ys[None] - xy[:, 1:]) ** 2).sum(1)
    return torch.sqrt(dx2 + dy2) * PIXEL_M


def credible_level(probs: torch.Tensor, truth_xy: torch.Tensor) -> torch.Tensor:
    """(B,) mass of pixels strictly more probable than the true pixel.

    The truth lies inside the level-a highest-probability region exactly when this is
    below a, so one number per sample gives coverage at every level.
    """
    index = truth_xy[:, 1].long() * probs.shape[-1] + truth_xy[:, 0].long()
    flat = probs.flatten(1)
    p_true = flat.gather(1, index[:, None])
    return torch.where(flat > p_true, flat, 0.0).sum(1)


def _descending(probs: torch.Tensor) -> torch.Tensor:
    """(B, H*W) probabilities sorted high to low. numpy's sort on the CPU (about 40x
    faster than torch's for 65,536 floats here), torch's elsewhere."""
    flat = probs.flatten(1)
    if flat.device.type != "cpu":
        return flat.sort(dim=1, descending=True).values
    ordered = np.sort(flat.numpy(), axis=1)[:, ::-1]
    return torch.from_numpy(np.ascontiguousarray(ordered))


def region_sizes(
    probs: torch.Tensor, levels=REGION_LEVELS, ordered: torch.Tensor | None = None
) -> torch.Tensor:
    """(B, L) pixels in the smallest set holding each level of the mass."""
    ordered = _descending(probs) if ordered is None else ordered
    cumulative = ordered.cumsum(dim=1)
    targets = torch.tensor(levels, dtype=cumulative.dtype, device=probs.device)
    # the first index whose cumulative mass reaches the level, +1 for a count
    count = torch.searchsorted(cumulative, targets.expand(len(probs), -1).contiguous()) + 1
    return count.clamp_max(cumulative.shape[1])


def regions(probs: torch.Tensor, levels=REGION_LEVELS) -> tuple[torch.Tensor, torch.Tensor]:
    """((B, L, H, W) bool highest-probability regions, (B, L) their sizes in pixels), from
    one sort. The masks include pixels tied at the edge; the sizes count the smallest set."""
    ordered = _descending(probs)
    sizes = region_sizes(probs, levels, ordered)
    threshold = ordered.gather(1, sizes - 1).to(probs.device)  # smallest probability inside
    masks = (probs[:, None] >= threshold[:, :, None, None]) & (probs[:, None] > 0)
    return masks, sizes



def equivalent_radius_m(area_m2: torch.Tensor | np.ndarray | float):
    """Radius (m) of the disc with this area: a region's size as one distance."""
    return (area_m2 / math.pi) ** 0.5


# --- calibration ------------------------------------------------------------------------


@dataclass(frozen=True)
class TemperatureFit:
    """The fitted temperature, its mean NLL (nats per sample) and how many samples it used."""

    temperature: float
    nll: float
    n: int


def mean_nll(
    logits: torch.Tensor, outdoor: torch.Tensor, truth_xy: torch.Tensor, temperature: float,
    chunk: int = 64,
) -> float:
    """Mean -log p(true pixel) over samples at one temperature (chunked to bound memory)."""
    total = 0.0
    for start in range(0, len(logits), chunk):
        sl = slice(start, start + chunk)
        z = (logits[sl].float() / temperature).masked_fill(~outdoor[sl], -torch.inf).flatten(1)
        index = truth_xy[sl, 1].long() * logits.shape[-1] + truth_xy[sl, 0].long()
        true = z.gather(1, index[:, None])[:, 0]
        total += float((torch.logsumexp(z, dim=1) - true).sum())
    return total / len(logits)


def fit_temperature(
    logits: torch.Tensor, outdoor: torch.Tensor, truth_xy: torch.Tensor
) -> TemperatureFit:
    """Maximum-likelihood T of p = softmax(logits / T) for the true pixels (a 1-D search
    over log T). Samples whose true pixel is on a building are refused: no posterior
    puts mass there."""
    if len(logits) == 0:
        raise LocNetError("no samples to calibrate on")
    index = truth_xy[:, 1].long() * logits.shape[-1] + truth_xy[:, 0].long()
    if not outdoor.flatten(1).gather(1, index[:, None]).all():
        raise LocNetError(
            "a true transmitter lies on a building pixel; the posterior covers outdoor "
            "pixels only, so this data cannot calibrate it"
        )
    low, high = (math.log(b) for b in TEMPERATURE_BOUNDS)
    result = minimize_scalar(
        lambda log_t: mean_nll(logits, outdoor, truth_xy, math.exp(log_t)),
        bounds=(low, high),
        method="bounded",
        options={"xatol": 1e-3},
    )
    temperature = float(math.exp(result.x))
    return TemperatureFit(temperature, mean_nll(logits, outdoor, truth_xy, temperature), len(logits))


# --- test-time augmentation -------------------------------------------------------------


def dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """The k-th of the 8 flips/rotations (0 = identity) of (..., H, W) square maps."""
    x = torch.rot90(x, k % 4, dims=(-2, -1))
    return x.flip(-1) if k >= 4 else x


def undo_dihedral(x: torch.Tensor, k: int) -> torch.Tensor:
    """Inverse of dihedral(., k)."""
    x = x.flip(-1) if k >= 4 else x
    return torch.rot90(x, -(k % 4), dims=(-2, -1))


def tta_logits(
    logits_of: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    identity: torch.Tensor | None = None,
) -> torch.Tensor:
    """(B, H, W) logits averaged over the 8 flips/rotations of the (B, C, H, W) input.

    A model that is not rotation-equivariant places spurious far blobs differently under
    each transform; averaging keeps what all eight agree on. identity: the logits of x
    itself when the caller already has them (saves one of the eight passes).
    """
    if x.shape[-1] != x.shape[-2]:
        raise LocNetError(f"test-time augmentation needs square maps, got {tuple(x.shape[-2:])}")
    total = logits_of(x).float() if identity is None else identity.float()
    for k in range(1, 8):
        total = total + undo_dihedral(logits_of(dihedral(x, k)).float(), k)
    return total / 8
DEFAULT_READOUT = "mode"  # the paper's, and every uncalibrated checkpoint's
