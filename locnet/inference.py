"""Inference for the app and scripts: pick a device, load a model, localize one map.

`predict` takes what a user has: either sensor readings [(x, y, gain_dB), ...] placed on
the map, or a 0/1 sampling mask plus a gray radio map (gain_dB = -147 + gray/255 * 99.16).
It returns an `Answer`, the one record of one model's answer on one map that every caller
shows (the app's table and figures, its downloads, `localize`'s estimates): the answer
(x, y) of the chosen readout in pixels (x = column, y = row, 1 px = 1 m) beside the other
readouts, the heatmap, the calibrated posterior with its 50 % / 90 % credible regions and
expected error (docs/posterior.md), the top-k distinct peaks, the runtime and which
checkpoint answered. `answer_row` flattens an Answer into the one table row (metres) those
callers print, `error_m` measures it against a truth and `with_readout` rereads it by
another readout without running the model. Input errors raise LocNetError (a ValueError)
with a message the app can show as is.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from scipy import ndimage

from locnet.constants import PIXEL_M
from locnet.data.maps import check_map
from locnet.data.sampling import encode_input, encode_readings
from locnet.errors import LocNetError
from locnet.models import checkpoints as ckpt
from locnet.models.base import LocalizationModel
from locnet.models.checkpoints import how_to_get
from locnet.models.device import model_device, pick_device
from locnet.models.registry import (
    MEASUREMENT_FAMILY,
    available_models,
    create_model,
    fixed_variant,
    model_info,
)
from locnet.posterior import distribution as P
from locnet.posterior.calibration import UNCALIBRATED, Answers, Calibration, answer_batch

PEAK_MIN_DISTANCE_PX = 5  # top-k candidates are at least this far apart (pixels, Chebyshev)
CANDIDATE_POOL = 8  # local maxima examined per requested candidate before spacing them out
CHECKPOINT_ID = "checkpoint_id"  # attribute load_model sets on a model with weights
NO_POSTERIOR = "no posterior"  # calibration column of a model without a posterior


@dataclass(frozen=True)
class Answer:
    """One model's answer on one map; `problem` is set (and the rest empty) if it failed.

    label: what tables call the model (the CLI's --models entry, the app's picker label);
    checkpoint: which weights answered ('locnet.pt sha256:1a2b3c4d5e6f'; '' for a model
    without weights). xy: the answer (x, y) in pixels of `readout` (POINT_READOUT for a
    model without a posterior); readouts: every readout's answer. top_k: [(x, y, score)]
    distinct peaks of the heatmap, best first (a regressor gives its one answer with score
    NaN). heatmap: (256, 256) float32 scores (higher = more likely) or None for
    regressors. runtime_ms: model time (with TTA and readouts) on `device`.

    Posterior fields (None / empty for models without a heatmap): posterior (256, 256)
    float32 probabilities summing to 1 over outdoor pixels; regions (2, 256, 256) bool, the
    50 % and 90 % highest-probability regions; region_area_m2 (50 %, 90 %);
    expected_error_m sqrt(E[d^2]) of `xy` under the posterior (expected_errors_m: of every
    readout's answer). calibration: the model's Calibration (its label says whether T was
    fitted); tta: whether the logits were averaged over the 8 flips/rotations.
    """

    label: str
    xy: tuple[float, float] | None = None
    readout: str = ""
    readouts: dict[str, tuple[float, float]] = field(default_factory=dict)
    top_k: list[tuple[int, int, float]] = field(default_factory=list)
    heatmap: np.ndarray | None = None
    posterior: np.ndarray | None = None
    regions: np.ndarray | None = None
    region_area_m2: tuple[float, float] | None = None
    expected_error_m: float | None = None
    expected_errors_m: dict[str, float] = field(default_factory=dict)
    calibration: Calibration = UNCALIBRATED
    tta: bool = False
    checkpoint: str = ""
    runtime_ms: float | None = None
    device: str = ""
    problem: str | None = None


def error_m(answer: Answer, truth_xy: tuple[float, float] | None) -> float | None:
    """Distance in metres between the answer and the truth (pixels); None without a truth
    (an uploaded case without one) or without an answer (a failed run)."""
    if truth_xy is None or answer.xy is None:
        return None
    return float(np.hypot(answer.xy[0] - truth_xy[0], answer.xy[1] - truth_xy[1])) * PIXEL_M


def with_readout(answer: Answer, readout: str | None) -> Answer:
    """The same answer read out by another readout (None: as it is), without running the
    model again. A model without a posterior, a failed run or an unknown readout is
    returned unchanged."""
    if readout is None or readout == answer.readout or readout not in answer.readouts:
        return answer
    return replace(
        answer,
        xy=answer.readouts[readout],
        readout=readout,
        expected_error_m=answer.expected_errors_m.get(readout),
    )


def answer_row(
    answer: Answer,
    truth_xy: tuple[float, float] | None = None,
    latlon: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """The one flat row of an answer, unrounded, that every table is made from: the app's
    results table, the PNG / CSV downloads and `localize`'s estimates.json / .csv.

    Positions and distances in metres (x_m, y_m, top_k_m: [(x_m, y_m)]), error_m against
    `truth_xy` (pixels; None without one), lat / lon as given (a geographic case), the
    90 % region's equivalent radius, runtime in ms; calibration is Calibration.label() or
    NO_POSTERIOR ('' for a failed run).
    """
    xy, areas = answer.xy, answer.region_area_m2 or (None, None)
    if answer.problem:
        calibration = ""
    else:
        calibration = answer.calibration.label() if answer.posterior is not None else NO_POSTERIOR
    lat, lon = latlon or (None, None)
    return {
        "model": answer.label,
        "readout": answer.readout,
        "x_m": None if xy is None else xy[0] * PIXEL_M,
        "y_m": None if xy is None else xy[1] * PIXEL_M,
        "lat": lat,
        "lon": lon,
        "error_m": error_m(answer, truth_xy),
        "expected_error_m": answer.expected_error_m,
        "area_50_m2": areas[0],
        "area_90_m2": areas[1],
        "radius_90_m": None if areas[1] is None else float(P.equivalent_radius_m(areas[1])),
        "runtime_ms": answer.runtime_ms,
        "device": answer.device,
        "calibration": calibration,
        "tta": answer.tta,
        "checkpoint": answer.checkpoint,
        "top_k_m": [(x * PIXEL_M, y * PIXEL_M) for x, y, _ in answer.top_k],
        "problem": answer.problem or "",
    }


def load_model(
    name_or_checkpoint: str | os.PathLike,
    checkpoint_dir: str | os.PathLike = "checkpoints",
    device: str | torch.device = "cpu",
    *,
    name: str | None = None,
) -> LocalizationModel:
    """A ready model in eval mode on `device`.

    Accepts a registry name (models without weights are built directly, with the
    calibration of `{checkpoint_dir}/{name}.pt` if `calibrate --model` wrote one; trainable
    ones load `{checkpoint_dir}/{name}.pt`), a checkpoint stem ('locnet-noenv') or a .pt path.
    `name` says which model a bare state_dict holds (the authors' Pretrained_LocNet.pt:
    name='locnet') and is checked against our checkpoints. A model with weights carries
    their checkpoint_id, which its answers repeat.
    """
    device = pick_device(device)
    spec, names = str(name_or_checkpoint), available_models()
    fixed = fixed_variant(spec)
    if fixed is not None and model_info(fixed[0]).family == MEASUREMENT_FAMILY:
        raise LocNetError(
            f"'{spec}' localizes from measured receiver readings, not from a map; run it "
            f"with `python -m locnet evaluate-powder --models {fixed[0]}`"
        )
    if fixed is not None:  # no weights (classical models, simfit...): built from options...
        path = ckpt.weightless_calibration(spec, checkpoint_dir, *fixed)
        if path is None:
            return create_model(fixed[0], **fixed[1]).to(device).eval()
        name = fixed[0]  # ...unless `calibrate --model` wrote a calibration file for it
    else:
        path = ckpt.resolve_checkpoint(spec, checkpoint_dir)
        if spec in names:
            name = name or spec
            if not path.is_file():
                raise LocNetError(
                    f"model '{spec}' needs trained weights and {path} does not exist: "
                    f"{how_to_get(spec)}; or pass another checkpoint"
                )
    model = ckpt.load_weights(path, name, device=device)
    model.calibration = Calibration.from_dict(model.calibration, path)  # malformed: fails here
    setattr(model, CHECKPOINT_ID, checkpoint_id(path))
    return model


def checkpoint_id(path: str | os.PathLike) -> str:
    """'locnet.pt sha256:1a2b3c4d5e6f': the file and (a prefix of) its digest, which changes
    with a new training or calibration of the same file name."""
    return f"{os.path.basename(path)} sha256:{ckpt.file_sha256(path)[:12]}"


def encode_user_input(
    buildings, *, sensors=None, mask=None, radio_gray=None, env: bool = True
) -> np.ndarray:
    """(2, 256, 256) float32 model input from readings or from mask + radio map (validated)."""
    buildings = check_map(buildings, "building map", finite=True)
    if sensors is not None and (mask is not None or radio_gray is not None):
        raise LocNetError(
            "give either sensors=[(x, y, gain_dB), ...] or mask + radio_gray, not both"
        )
    if sensors is not None:
        return encode_readings(buildings, sensors, env=env)
    if mask is None or radio_gray is None:
        raise LocNetError(
            "no sensors: give sensors=[(x, y, gain_dB), ...] or a mask and a radio map"
        )
    mask = check_map(mask, "sampling mask", finite=True) != 0
    radio_gray = check_map(radio_gray, "radio map", finite=True)
    if not mask.any():
        raise LocNetError("the sampling mask has no sensor; mark at least one outdoor pixel")
    on_building = mask & (buildings != 0)
    if on_building.any():
        y, x = np.argwhere(on_building)[0]
        raise LocNetError(
            f"{int(on_building.sum())} sensor(s) on buildings, e.g. at ({x}, {y}); "
            "sensors must be on outdoor pixels"
        )
    if radio_gray.min() < 0 or radio_gray.max() > 255:
        raise LocNetError("radio map must be gray levels 0..255 (RadioMapSeer PNG encoding)")
    return encode_input(radio_gray, mask.astype(np.uint8), buildings, env=env)


def top_peaks(
    scores: np.ndarray | torch.Tensor, k: int, min_distance: int = PEAK_MIN_DISTANCE_PX
) -> list[tuple[int, int, float]]:
    """Up to k local maxima of a (H, W) map, best first, pairwise > min_distance px apart.

    On the CPU in numpy/scipy: the map is on the host anyway for drawing, and scipy's
    separable max filter is ~5x faster than torch's 11 x 11 max_pool2d here.
    """
    if k < 1:
        return []
    if isinstance(scores, torch.Tensor):
        scores = scores.detach().float().cpu().numpy()
    scores = np.asarray(scores, dtype=np.float32)
    pooled = ndimage.maximum_filter(
        scores, size=2 * min_distance + 1, mode="constant", cval=-np.inf
    )
    flat = np.where(scores == pooled, scores, -np.inf).ravel()
    n = min(int(np.isfinite(flat).sum()), k * CANDIDATE_POOL)
    if n == 0:
        return []
    index = np.argpartition(flat, -n)[-n:]
    index = index[np.lexsort((index, -flat[index]))]  # best first; ties by pixel order
    width = scores.shape[-1]
    chosen: list[tuple[int, int, float]] = []
    for i in index.tolist():
        x, y = i % width, i // width
        if all(max(abs(x - cx), abs(y - cy)) > min_distance for cx, cy, _ in chosen):
            chosen.append((x, y, float(flat[i])))
            if len(chosen) == k:
                break
    return chosen


def predict(
    model: LocalizationModel,
    buildings,
    *,
    sensors=None,
    mask=None,
    radio_gray=None,
    top_k: int = 5,
    readout: str | None = None,
    tta: bool = False,
    label: str = "",
) -> Answer:
    """Localize the transmitter on one map; env encoding follows model.options['env'].

    readout: mode | mean | median (docs/posterior.md); None = the one the model's
    calibration found best on validation data (mode when uncalibrated). tta: average the
    logits over the 8 flips/rotations of the input (8x the model time). label: what the
    answer's tables call the model.
    """
    if readout is not None:
        P.check_readout(readout)
    env = bool((getattr(model, "options", None) or {}).get("env", True))
    x = encode_user_input(buildings, sensors=sensors, mask=mask, radio_gray=radio_gray, env=env)
    device = model_device(model)
    batch = torch.from_numpy(x)[None].to(device)
    outdoor = P.outdoor_mask(np.asarray(buildings))[None].to(device)
    answers, runtime_ms = _timed_answers(model, batch, outdoor, tta)
    answer = Answer(
        label,
        readouts={k: tuple(float(v) for v in xy[0].tolist()) for k, xy in answers.xy.items()},
        calibration=answers.calibration,
        tta=answers.tta,
        checkpoint=getattr(model, CHECKPOINT_ID, ""),
        runtime_ms=runtime_ms,
        device=str(device),
    )
    if answers.probs is None:
        return _point_answer(answer, answers.scores, top_k)
    return _posterior_answer(answer, answers, readout, top_k)


def _timed_answers(
    model: LocalizationModel, batch: torch.Tensor, outdoor: torch.Tensor, tta: bool
) -> tuple[Answers, float]:
    """The model's answers and the model time in ms (CUDA synchronised around the call)."""
    device = batch.device
    with torch.inference_mode():
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        answers = answer_batch(model, batch, outdoor, tta=tta)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        runtime_ms = (time.perf_counter() - start) * 1000
    return answers, runtime_ms


def _point_answer(answer: Answer, scores: torch.Tensor | None, top_k: int) -> Answer:
    """No posterior: the model's one answer (and its score map, if it has one)."""
    xy = answer.readouts[P.POINT_READOUT]
    if scores is None:
        heatmap, peaks = None, [(int(round(xy[0])), int(round(xy[1])), float("nan"))]
    else:
        heatmap = scores[0].float().cpu().numpy()
        peaks = top_peaks(heatmap, top_k)
    return replace(answer, xy=xy, readout=P.POINT_READOUT, top_k=peaks, heatmap=heatmap)


def _posterior_answer(answer: Answer, answers: Answers, readout: str | None, top_k: int) -> Answer:
    """A heatmap model: the chosen readout's answer with the posterior and its regions."""
    probs = answers.probs
    names = list(answers.xy)
    expected = P.expected_error_m(
        probs.expand(len(names), -1, -1), torch.cat([answers.xy[n] for n in names])
    )
    masks, sizes = P.regions(probs)
    areas = (sizes.float() * PIXEL_M**2)[0].tolist()
    scores = answers.scores[0].float().cpu().numpy()
    full = replace(
        answer,
        top_k=top_peaks(scores, top_k),
        heatmap=scores,
        posterior=probs[0].cpu().numpy(),
        regions=masks[0].cpu().numpy(),
        region_area_m2=(float(areas[0]), float(areas[1])),
        expected_errors_m={n: float(v) for n, v in zip(names, expected.tolist())},
    )
    return with_readout(full, readout or answers.calibration.default_readout)
