"""Explorer, below the figures: the results table (a static table) and the PNG / CSV / case-zip downloads.

Distances are shown in metres (answers hold pixel (x, y)); every row comes from
locnet.inference.answer_row, as the downloads' and `localize`'s do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from locnet.app.models import Case
from locnet.app.upload_case import UPLOAD_MAP_ID, case_zip_of
from locnet.inference import Answer, answer_row
from locnet.report.display import readable_table
from locnet.viz.export import case_csv, case_png

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


def _xy_text(x_m: float, y_m: float) -> str:
    return f"({x_m:.0f}, {y_m:.0f})"


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def results_table(
    runs: Sequence[Answer],
    truth_xy: tuple[float, float] | None,
    weights: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per model (locnet.inference.answer_row): the readout shown and its error in
    metres, its expected error sqrt(E[d^2]) and the 90 % region's equivalent radius under
    the model's posterior (empty for models without one), calibration, prediction, top-k
    candidates, runtime, device and `weights[label]` (which checkpoint and how long it was
    trained: budgets differ a lot). The TTA and problem columns appear only when some row
    needs them; a number a model does not have (a classical model's expected error) is
    a blank cell (report.display.readable_table)."""
    weights = weights or {}
    rows = []
    for row in (answer_row(r, truth_xy) for r in runs):
        rows.append(
            {
                "model": row["model"],
                "readout": row["readout"],
                "error (m)": _round(row["error_m"]),
                "expected error (m)": _round(row["expected_error_m"]),
                "90 % radius (m)": _round(row["radius_90_m"]),
                "prediction (m)": "" if row["x_m"] is None else _xy_text(row["x_m"], row["y_m"]),
                "top-5 candidates (m)": " ".join(_xy_text(*c) for c in row["top_k_m"]),
                "runtime (ms)": _round(row["runtime_ms"]),
                "TTA": row["tta"],
                "device": row["device"],
                "calibration": row["calibration"],
                "weights": weights.get(row["model"], ""),
                "problem": row["problem"],
            }
        )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    unused = [c for c in ("TTA", "problem") if not table[c].astype(bool).any()]
    return readable_table(table.drop(columns=unused))  # a gap is a blank, never "None"


def show_results_table(table: pd.DataFrame) -> None:
    """A results table drawn as a static table: a few rows need no scrolling or sorting,
    and the interactive data grid (a canvas with its own script) cost the browser ~0.3 s of
    the Explorer's first page (docs/app.md, Speed). Numbers keep the one decimal that
    readable_table rounded them to (a static table would print four)."""
    st.table(table.style.format(precision=1), hide_index=True)


def downloads(case: Case, runs: Sequence[Answer], title: str) -> None:
    """PNG (Pillow) and CSV of the case: building map, sensors, truth and every prediction."""
    points = [answer_row(r, case.truth_xy) for r in runs]
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
