"""Explorer, second half: pick models, run them on the case, show heatmaps, table, downloads.

Results are remembered per session (app_state.RUNS) by case, model and device, so a
rerun that changes nothing costs no inference, and sessions never share results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import streamlit as st

from locnet import app_state as S
from locnet.constants import PIXEL_M
from locnet.errors import LocNetError
from locnet.ui import cache
from locnet.ui.binding import bind
from locnet.ui.export import PredictionPoint, case_csv, case_png
from locnet.ui.models import (
    Case,
    ModelChoice,
    ModelRun,
    default_selection,
    model_choices,
    run_choice,
)
from locnet.ui.sidebar import Settings
from locnet.viz import case_figure

FIGURES_PER_ROW = 3
RESULT_HEIGHT = 440  # rows of three below the case map
FIRST_RESULT_HEIGHT = 540  # the first model, beside the case map
TABLE_COLUMNS = (
    "model",
    "error (m)",
    "prediction (m)",
    "top-5 candidates (m)",
    "runtime (ms)",
    "device",
    "weights",
    "problem",
)


def model_picker(settings: Settings) -> list[ModelChoice]:
    """Multiselect of runnable models; unavailable ones listed with the command that trains them."""
    state = st.session_state
    choices = model_choices(cache.checkpoints(settings.checkpoint_dir), settings.checkpoint_dir)
    available = [c for c in choices if c.available]
    labels = [c.label for c in available]
    if state[S.MODELS] is None:
        state[S.MODELS] = default_selection(choices)
    state[S.MODELS] = [label for label in state[S.MODELS] if label in labels]
    st.multiselect(
        "Models", labels, placeholder="choose models to run", **bind(S.MODELS, convert=list)
    )
    missing = [c for c in choices if not c.available]
    if missing:
        with st.expander(f"{len(missing)} model(s) unavailable: no checkpoint"):
            for c in missing:
                st.markdown(f"**{c.label}**: {c.note}")
    by_label = {c.label: c for c in available}
    return [by_label[label] for label in state[S.MODELS]]


def _checkpoint_stamp(choice: ModelChoice) -> int:
    path = Path(choice.spec)
    return path.stat().st_mtime_ns if path.is_file() else 0


def run_models(
    case: Case, choices: Sequence[ModelChoice], settings: Settings, *, compute: bool
) -> list[ModelRun] | None:
    """Runs for the case, from the session memo or (if `compute`) by running the models.

    Returns None when some result is missing and computing was not asked for.
    """
    state = st.session_state
    runs = []
    for choice in choices:
        key = (
            S.case_key(state),
            choice.label,
            choice.spec,
            _checkpoint_stamp(choice),
            settings.device,
        )
        run = state[S.RUNS].get(key)
        if run is None:
            if not compute:
                return None
            try:
                run = run_choice(
                    cache.model(choice.spec, settings.checkpoint_dir, settings.device), choice, case
                )
            except LocNetError as exc:
                run = ModelRun(choice.label, problem=str(exc))
            except (
                RuntimeError,
                OSError,
                MemoryError,
            ) as exc:  # torch/IO failure: report, keep the page
                run = ModelRun(
                    choice.label,
                    problem=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}; "
                    "try the CPU device or another checkpoint",
                )
            S.remember_run(state, key, run)
        runs.append(run)
    return runs


def result_figure(case: Case, run: ModelRun, height: int = RESULT_HEIGHT):
    """One model's heatmap with buildings, sensors, prediction and truth (axes in metres)."""
    title = (
        f"{run.label}: error {run.error_m:.1f} m"
        if run.error_m is not None
        else f"{run.label}: {run.problem}"
    )
    return case_figure(
        case.buildings,
        sensors_xy=case.sensors_xy,
        truth_xy=case.truth_xy,
        prediction_xy=run.xy,
        scores=run.scores,
        title=title,
        height=height,
    )


def show_result(case: Case, run: ModelRun, key: str, height: int = RESULT_HEIGHT) -> None:
    if run.problem:
        st.error(f"{run.label}: {run.problem}")
        return
    fig = S.reuse_figure(
        st.session_state,
        key,
        (S.case_key(st.session_state), height),
        lambda: result_figure(case, run, height),
        token=run,
    )
    st.plotly_chart(fig, key=key, width="stretch", config={"displaylogo": False})


def _xy_text(xy: Sequence[float]) -> str:
    return f"({xy[0] * PIXEL_M:.0f}, {xy[1] * PIXEL_M:.0f})"


def results_table(
    runs: Sequence[ModelRun], weights: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per model: error in metres, prediction, top-k candidates, runtime, device and
    `weights[label]` (which checkpoint and how long it was trained: budgets differ a lot)."""
    weights = weights or {}
    rows = [
        {
            "model": r.label,
            "error (m)": None if r.error_m is None else round(r.error_m, 1),
            "prediction (m)": _xy_text(r.xy) if r.xy else "",
            "top-5 candidates (m)": " ".join(_xy_text(c) for c in r.topk),
            "runtime (ms)": None if r.runtime_ms is None else round(r.runtime_ms, 1),
            "device": r.device or "",
            "weights": weights.get(r.label, ""),
            "problem": r.problem or "",
        }
        for r in runs
    ]
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return table if table["problem"].astype(bool).any() else table.drop(columns="problem")


def downloads(case: Case, runs: Sequence[ModelRun], title: str) -> None:
    """PNG (Pillow) and CSV of the case: building map, sensors, truth and every prediction."""
    points = [
        PredictionPoint(r.label, r.xy, r.error_m, r.runtime_ms, r.device) for r in runs if r.xy
    ]
    stem = f"case_map{case.map_id}_" + (
        f"tx{case.tx_id}" if case.tx_id is not None else f"tx_{case.truth_xy[0]}_{case.truth_xy[1]}"
    )
    buildings, sensors, truth = case.buildings.copy(), list(case.sensors_xy), case.truth_xy
    gains = case.gains_db.tolist()

    def png() -> bytes:  # deferred: drawn only when the button is clicked
        return case_png(
            buildings, sensors_xy=sensors, truth_xy=truth, predictions=points, title=title
        )

    def csv() -> bytes:
        return case_csv(sensors_xy=sensors, gains_db=gains, truth_xy=truth, predictions=points)

    c_png, c_csv, _ = st.columns([1, 1, 3])
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
