"""Run the registry's models on a user case and write what they found.

Uses the one inference path (locnet.inference: load_model, predict with the checkpoint's
calibration), so a case localized here gives the same answers (locnet.inference.Answer)
as in the Explorer. The outputs (`write_outputs`) are estimates.json / estimates.csv
(`estimate_row`: each model's answer in map metres, in lat/lon when the case is
geographic, its readout, posterior regions' areas, runtime and device), one regions PNG
per heatmap model (255 = 50 % region, 128 = 90 %), regions.geojson (lon/lat) for a
geographic case, and case.png.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from locnet.cases import geo
from locnet.cases.case import GeoRef, UserCase
from locnet.constants import PIXEL_M

if TYPE_CHECKING:  # locnet.inference loads torch: imported where used, so --help stays fast
    from locnet.inference import Answer

DEFAULT_MODELS = ("locnet", "strongest", "centroid", "pathloss")
ESTIMATE_DIGITS = {  # estimates.json / .csv columns, in order, and their rounding (None: as is)
    "model": None,
    "readout": None,
    "x_m": 3,
    "y_m": 3,
    "lat": 8,
    "lon": 8,
    "error_m": 3,
    "expected_error_m": 3,
    "area_50_m2": None,
    "area_90_m2": None,
    "radius_90_m": 3,
    "runtime_ms": 3,
    "device": None,
    "calibration": None,
}


def estimate(model: Any, name: str, case: UserCase, *, readout=None, tta=False) -> Answer:
    """Run one loaded model on the case (locnet.inference.predict on its readings)."""
    from locnet.inference import predict

    return predict(
        model, case.buildings, sensors=case.readings(), readout=readout, tta=tta, label=name
    )


def localize(
    case: UserCase,
    models=DEFAULT_MODELS,
    *,
    checkpoint_dir="checkpoints",
    device="cpu",
    readout=None,
    tta=False,
) -> tuple[list[Answer], dict[str, float]]:
    """Each model's Answer (labelled with its name in `models`) and the timing (s) of
    loading and of predicting, in order.

    A model that cannot be loaded (no checkpoint) is a LocNetError from load_model: the
    caller asked for it by name, so it is not skipped silently."""
    from locnet.inference import load_model

    start = time.perf_counter()
    loaded = [(name, load_model(name, checkpoint_dir, device)) for name in models]
    loaded_at = time.perf_counter()
    answers = [estimate(m, name, case, readout=readout, tta=tta) for name, m in loaded]
    done = time.perf_counter()
    return answers, {"load_s": loaded_at - start, "predict_s": done - loaded_at}


def latlon_of(answer: Answer, georef: GeoRef | None) -> tuple[float, float] | None:
    """The answer in WGS 84 (lat, lon) on a geographic case; None otherwise or if it failed."""
    if georef is None or answer.xy is None:
        return None
    lat, lon = geo.map_to_latlon(georef, [answer.xy[0] * PIXEL_M], [answer.xy[1] * PIXEL_M])
    return float(lat[0]), float(lon[0])


def case_row(answer: Answer, case: UserCase) -> dict[str, Any]:
    """The answer's row (locnet.inference.answer_row) on this case: its error against the
    case's truth and, for a geographic case, lat/lon."""
    from locnet.inference import answer_row

    return answer_row(answer, case.truth_xy, latlon_of(answer, case.georef))


def estimate_row(row: dict[str, Any]) -> dict[str, Any]:
    """One row of estimates.csv / entry of estimates.json from a case_row (metres, dB, ms;
    no arrays)."""
    return {
        key: row[key] if digits is None or row[key] is None else round(row[key], digits)
        for key, digits in ESTIMATE_DIGITS.items()
    }


def safe_name(model: str) -> str:
    """A file-name-safe version of a model name or checkpoint path ('checkpoints/x.pt' -> 'x')."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(model).stem) or "model"
