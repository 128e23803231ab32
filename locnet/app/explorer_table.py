"""Explorer, below the figures: the results table and the PNG / CSV / case-zip downloads.

Distances are shown in metres (positions are stored as pixel (x, y)). Re-exported by
locnet.app.explorer_results, which the Explorer page calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from locnet.app.models import Case, ModelRun
from locnet.app.upload_case import UPLOAD_MAP_ID, case_zip_of
from locnet.constants import PIXEL_M
from locnet.viz.export import PredictionPoint, case_csv, case_png

TABLE_COLUMNS = (
    "model",
    "readout",
    "error (m)",
    "expected error (m)",
    "90 % radius (m)",
    "calibration",
    "prediction (m)",
    "top-5 candidates (m)",
    "runtime (ms)",
    "TTA",
    "device",
    "weights",
    "problem",
)


def _xy_text(xy: Sequence[float]) -> str:
    return f"({xy[0] * PIXEL_M:.0f}, {xy[1] * PIXEL_M:.0f})"


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def results_table(
    runs: Sequence[ModelRun], weights: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per model: the readout shown and its error in metres, its expected error
    sqrt(E[d^2]) and the 90 % region's equivalent radius under the model's posterior (empty
    for models without one), calibration, prediction, top-k candidates, runtime, device and
    `weights[label]` (which checkpoint and how long it was trained: budgets differ a lot).
    The TTA and problem columns appear only when some row needs them."""
    weights = weights or {}
    rows = [
        {
            "model": r.label,
            "readout": r.readout or "",
            "error (m)": _round(r.error_m),
            "expected error (m)": _round(r.expected_error_m),
            "90 % radius (m)": _round(r.radius_90_m),
            "prediction (m)": _xy_text(r.xy) if r.xy else "",
            "top-5 candidates (m)": " ".join(_xy_text(c) for c in r.topk),
            "runtime (ms)": _round(r.runtime_ms),
            "TTA": r.tta,
            "device": r.device or "",
            "calibration": r.calibration,
            "weights": weights.get(r.label, ""),
            "problem": r.problem or "",
        }
        for r in runs
    ]
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    unused = [c for c in ("TTA", "problem") if not table[c].astype(bool).any()]
    return table.drop(columns=unused)


def downloads(case: Case, runs: Sequence[ModelRun], title: str) -> None:
    """PNG (Pillow) and CSV of the case: building map, sensors, truth and every prediction."""
    points = [
        PredictionPoint(
            r.label,
            r.xy,
            r.error_m,
            r.runtime_ms,
            r.device,
            readout=r.readout,
            expected_error_m=r.expected_error_m,
            radius_90_m=r.radius_90_m,
            calibration=r.calibration,
            tta=r.tta,
        )
        for r in runs
        if r.xy
    ]
    stem = case_stem(case)
    buildings, sensors, truth = case.buildings.copy(), list(case.sensors_xy), case.truth_xy
    gains = case.gains_db.tolist()

    def png() -> bytes:  # deferred: drawn only when the button is clicked
        return case_png(
            buildings, sensors_xy=sensors, truth_xy=truth, predictions=points, title=title
        )

    def csv() -> bytes:
        return case_csv(sensors_xy=sensors, gains_db=gains, truth_xy=truth, predictions=points)

    def case_zip() -> bytes:  # the case format (docs/cases.md): re-uploading it gives this case
        extras = {"case.png": png(), "predictions.csv": csv()}
        return case_zip_of(case, extras, {"title": title})

    c_png, c_csv, c_zip, _ = st.columns([1, 1, 1.3, 1.7])
    c_png.download_button(
        "Download PNG",
        png,
        file_name=f"{stem}.png",
        mime="image/png",
        on_click="ignore",
        icon=":material/image:",
    )
    c_csv.download_button(
        "Download CSV",
        csv,
        file_name=f"{stem}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/table:",
    )
    c_zip.download_button(
        "Download case (.zip)",
        case_zip,
        file_name=f"{stem}.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/folder_zip:",
        help="The case format (docs/cases.md): building map, readings in dB, truth, plus "
        "this picture and the predictions; upload it under 'Upload a case' to reproduce it.",
    )


def case_stem(case: Case) -> str:
    """File name stem of a case's downloads: map and transmitter, or 'uploaded_case'."""
    if case.map_id == UPLOAD_MAP_ID:
        return "uploaded_case"
    if case.tx_id is not None:
        return f"case_map{case.map_id}_tx{case.tx_id}"
    return f"case_map{case.map_id}_tx_{case.truth_xy[0]}_{case.truth_xy[1]}"
