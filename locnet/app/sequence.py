"""Sensors one by one: LocNet's answer and posterior as the case's sensors are added in a
fixed order, beside a classical baseline's answer (no Streamlit here).

All n partial cases (the first 1, 2, ..., n sensors) are encoded at once and run through
each model in one call of `sensor_sequence` (batched in chunks of CHUNK maps to bound the
memory), through locnet.posterior.calibration.answer_batch, the same path as `predict`.
Frames keep the posterior as block maxima of FRAME_STEP pixels quantised to uint8, so an
animation of 66 frames stays a few hundred KB. Positions are pixel (x, y); errors in m.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from locnet.constants import PIXEL_M
from locnet.data.sampling import encode_batch
from locnet.posterior import distribution as P
from locnet.posterior.calibration import answer_batch
from locnet.viz.maps import score_levels

CHUNK = 8  # partial cases per forward pass
FRAME_STEP = 4  # posterior frames at one cell per 4 x 4 pixels (64 x 64)
ORDER_SEED = 0


@dataclass(frozen=True)
class SensorSequence:
    """Frame k (0-based) uses the first k + 1 sensors of `order`."""

    order: list[tuple[int, int]]
    readout: str  # LocNet's readout (its calibrated default)
    xy: np.ndarray  # (n, 2) LocNet's answer per frame, pixels
    errors_m: np.ndarray  # (n,) NaN without a truth
    radius90_m: np.ndarray  # (n,) equivalent radius of the 90 % region
    frames: np.ndarray  # (n, 256 / FRAME_STEP, 256 / FRAME_STEP) uint8 posterior levels
    baseline: str  # the baseline's label
    baseline_xy: np.ndarray  # (n, 2)
    baseline_errors_m: np.ndarray  # (n,)


def sensor_order(sensors_xy: Sequence[Sequence[int]], seed: int = ORDER_SEED) -> list:
    """The sensors in a fixed, seeded random order: spread over the map from the first
    frames on (the sampled list is row by row, which would sweep the map top-down)."""
    order = np.random.default_rng(seed).permutation(len(sensors_xy))
    return [tuple(int(v) for v in sensors_xy[i]) for i in order]


def _partial_masks(order: Sequence[tuple[int, int]], shape: tuple[int, int]) -> np.ndarray:
    """(n, H, W) uint8: frame k holds the first k + 1 sensors (vectorised by rank)."""
    rank = np.full(shape, len(order), dtype=np.int32)
    xy = np.asarray(order, dtype=np.int64).reshape(-1, 2)
    rank[xy[:, 1], xy[:, 0]] = np.arange(len(order))
    return (rank[None] <= np.arange(len(order))[:, None, None]).astype(np.uint8)


def _answers(model, gray, masks, buildings, chunk: int):
    """answer_batch over all partial cases in chunks: (xy per readout, probs or None)."""
    from locnet.models.device import model_device

    env = bool((getattr(model, "options", None) or {}).get("env", True))
    device = model_device(model)
    build = torch.from_numpy(np.asarray(buildings, dtype=np.uint8))
    outdoor1 = P.outdoor_mask(np.asarray(buildings))
    gray_t = torch.from_numpy(np.asarray(gray, dtype=np.float32))
    xy: dict[str, list] = {}
    probs, calibration = [], None
    with torch.inference_mode():
        for start in range(0, len(masks), chunk):
            m = torch.from_numpy(masks[start : start + chunk])
            b = len(m)
            x = encode_batch(gray_t.expand(b, -1, -1), m, build.expand(b, -1, -1), env)
            outdoor = outdoor1.expand(b, -1, -1)
            answers = answer_batch(model, x.to(device), outdoor.to(device))
            calibration = answers.calibration
            for name, value in answers.xy.items():
                xy.setdefault(name, []).append(value.float().cpu().numpy())
            if answers.probs is not None:
                probs.append(answers.probs.float().cpu())
    xy_np = {k: np.concatenate(v) for k, v in xy.items()}
    return xy_np, (torch.cat(probs) if probs else None), calibration


def _errors(xy: np.ndarray, truth_xy) -> np.ndarray:
    if truth_xy is None:
        return np.full(len(xy), np.nan)
    return np.hypot(xy[:, 0] - truth_xy[0], xy[:, 1] - truth_xy[1]) * PIXEL_M


def sensor_sequence(
    model,
    baseline,
    baseline_label: str,
    buildings: np.ndarray,
    radio_gray: np.ndarray,
    sensors_xy: Sequence[Sequence[int]],
    truth_xy: Sequence[float] | None,
    *,
    chunk: int = CHUNK,
    step: int = FRAME_STEP,
) -> SensorSequence:
    """LocNet's (`model`, a heatmap model) and the baseline's answers for every prefix of
    the sensors in sensor_order; `radio_gray` holds each sensor's gray level (a dataset
    radio map, or an upload's readings at their pixels)."""
    order = sensor_order(sensors_xy)
    masks = _partial_masks(order, np.asarray(buildings).shape)
    xy, probs, calibration = _answers(model, radio_gray, masks, buildings, chunk)
    readout = calibration.default_readout if probs is not None else P.POINT_READOUT
    ours = xy.get(readout, next(iter(xy.values())))
    if probs is not None:
        _, sizes = P.regions(probs)
        radius = P.equivalent_radius_m(sizes[:, -1].float().numpy() * PIXEL_M**2)
        frames = np.stack([score_levels(p.numpy(), step) for p in probs])
    else:
        radius = np.full(len(order), np.nan)
        frames = np.zeros((len(order), 1, 1), dtype=np.uint8)
    base_xy, _, _ = _answers(baseline, radio_gray, masks, buildings, chunk)
    theirs = base_xy.get(P.POINT_READOUT, next(iter(base_xy.values())))
    return SensorSequence(
        order,
        readout,
        ours,
        _errors(ours, truth_xy),
        np.asarray(radius, dtype=float),
        frames,
        baseline_label,
        theirs,
        _errors(theirs, truth_xy),
    )
