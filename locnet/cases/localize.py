"""Run the registry's models on a user case and write what they found.

Uses the one inference path (locnet.inference: load_model, predict with the checkpoint's
calibration), so a case localized here gives the same answers as in the Explorer. The
outputs (`write_outputs`) are estimates.json / estimates.csv (each model's answer in map
metres, in lat/lon when the case is geographic, its readouts, posterior regions' areas,
runtime and device), one regions PNG per heatmap model (255 = 50 % region, 128 = 90 %),
regions.geojson (lon/lat) for a geographic case, and case.png.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from locnet.cases import geo
from locnet.cases.case import UserCase, error_m
from locnet.constants import PIXEL_M

DEFAULT_MODELS = ("locnet", "strongest", "centroid", "pathloss")


@dataclass
class Estimate:
    """One model's answer on the case; `problem` set (the rest empty) if it failed.
    xy in pixels = map metres; regions (2, 256, 256) bool 50 % / 90 % or None."""

    model: str
    xy: tuple[float, float] | None = None
    readout: str = ""
    readouts: dict[str, tuple[float, float]] = field(default_factory=dict)
    expected_error_m: float | None = None
    region_area_m2: tuple[float, float] | None = None
    regions: np.ndarray | None = None
    runtime_ms: float | None = None
    device: str = ""
    calibration: str = ""
    error_m: float | None = None
    latlon: tuple[float, float] | None = None
    problem: str | None = None


def estimate(model: Any, name: str, case: UserCase, *, readout=None, tta=False) -> Estimate:
    """Run one loaded model on the case (locnet.inference.predict on its readings)."""
    from locnet.inference import predict

    result = predict(model, case.buildings, sensors=case.readings(), readout=readout, tta=tta)
    xy = (float(result.xy[0]), float(result.xy[1]))
    latlon = None
    if case.georef is not None:
        lat, lon = geo.map_to_latlon(case.georef, [xy[0] * PIXEL_M], [xy[1] * PIXEL_M])
        latlon = (float(lat[0]), float(lon[0]))
    has_posterior = result.posterior is not None
    return Estimate(
        name,
        xy,
        result.readout,
        {k: tuple(v) for k, v in result.readouts.items()},
        result.expected_error_m,
        result.region_area_m2,
        None if result.regions is None else np.asarray(result.regions, dtype=bool),
        float(result.runtime_ms),
        str(result.device),
        result.calibration.label() if has_posterior else "no posterior",
        error_m(xy, case.truth_xy),
        latlon,
    )


def localize(
    case: UserCase,
    models=DEFAULT_MODELS,
    *,
    checkpoint_dir="checkpoints",
    device="cpu",
    readout=None,
    tta=False,
) -> tuple[list[Estimate], dict[str, float]]:
    """Each model's Estimate and the timing (s) of loading and of predicting, in order.

    A model that cannot be loaded (no checkpoint) is a LocNetError from load_model: the
    caller asked for it by name, so it is not skipped silently."""
    from locnet.inference import load_model

    start = time.perf_counter()
    loaded = [(name, load_model(name, checkpoint_dir, device)) for name in models]
    loaded_at = time.perf_counter()
    estimates = [estimate(m, name, case, readout=readout, tta=tta) for name, m in loaded]
    done = time.perf_counter()
    return estimates, {"load_s": loaded_at - start, "predict_s": done - loaded_at}


def estimate_row(e: Estimate) -> dict[str, Any]:
    """One row of estimates.csv / entry of estimates.json (metres, dB, ms; no arrays)."""
    areas = e.region_area_m2 or (None, None)
    radius = None if areas[1] is None else float(np.sqrt(areas[1] / np.pi))
    return {
        "model": e.model,
        "readout": e.readout,
        "x_m": None if e.xy is None else round(e.xy[0] * PIXEL_M, 3),
        "y_m": None if e.xy is None else round(e.xy[1] * PIXEL_M, 3),
        "lat": None if e.latlon is None else round(e.latlon[0], 8),
        "lon": None if e.latlon is None else round(e.latlon[1], 8),
        "error_m": None if e.error_m is None else round(e.error_m, 3),
        "expected_error_m": None if e.expected_error_m is None else round(e.expected_error_m, 3),
        "area_50_m2": areas[0],
        "area_90_m2": areas[1],
        "radius_90_m": None if radius is None else round(radius, 3),
        "runtime_ms": None if e.runtime_ms is None else round(e.runtime_ms, 3),
        "device": e.device,
        "calibration": e.calibration,
    }


def safe_name(model: str) -> str:
    """A file-name-safe version of a model name or checkpoint path ('checkpoints/x.pt' -> 'x')."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(model).stem) or "model"
