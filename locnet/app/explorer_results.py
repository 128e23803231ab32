"""Explorer, second half: pick models, readout and TTA, run them on the case, show heatmaps
(with each posterior's credible regions); the table and downloads are in explorer_table.

Results are remembered per session (app_state.RUNS) by case, model, device and TTA
setting, so a rerun that changes nothing costs no inference, a readout change costs none
either (a result holds every readout) and sessions never share results.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from locnet.app import cache
from locnet.app import state as S
from locnet.app.binding import bind
from locnet.app.charts import RESULT_CHART_CONFIG, show_chart
from locnet.app.keys import CHANCE, MODELS, READOUT, READOUT_AUTO, READOUT_CHOICES, TTA
from locnet.app.latlon_hover import add_latlon_hover
from locnet.app.models import Case, ModelChoice, default_selection, model_choices, run_choice
from locnet.app.results_picker import chance_of_checkpoints
from locnet.app.sidebar import Settings
from locnet.constants import PIXEL_M
from locnet.errors import LocNetError
from locnet.inference import Answer, error_m, with_readout
from locnet.posterior.distribution import POINT_READOUT
from locnet.report.chance import CHANCE_LABEL, chance_label
from locnet.report.why import case_facts, why_lines
from locnet.viz.maps import case_figure
from locnet.viz.posterior import posterior_figure

FIGURES_PER_ROW = 3
SMALL_SCORE_STEP = 2  # the small figures' heatmaps: one cell per 2 x 2 pixels
RESULT_HEIGHT = 440  # rows of three below the case map
FIRST_RESULT_HEIGHT = 540  # the first model, beside the case map
READOUT_CHOICE_LABELS = {
    READOUT_AUTO: "auto: calibrated default",
    "mode": "mode (argmax, the paper's)",
    "mean": "mean (least squared error)",
    "median": "median (least distance)",
}
TTA_LABEL = "TTA (8 flips, 8x slower)"
TTA_HELP = (
    "Test-time augmentation: average the heatmap models over the 8 flips/rotations of the "
    "map, 8x slower. Spurious far blobs that move with the rotation fade; classical "
    "models ignore it."
)


def at_chance(choices: list[ModelChoice]) -> dict[str, str]:
    """{picker label: why} of the chosen-from checkpoints the main results folder found
    at chance (report.chance): labelled, left out of the default selection, no regions."""
    specs = {c.spec: c.label for c in choices if c.available and c.spec.endswith(".pt")}
    return {specs[spec]: why for spec, why in chance_of_checkpoints(list(specs)).items()}


def model_picker(settings: Settings) -> list[ModelChoice]:
    """Multiselect of runnable models; unavailable ones listed with the command that
    trains them, skipped checkpoint files said once, models at chance labelled."""
    state = st.session_state
    choices = model_choices(cache.checkpoints(settings.checkpoint_dir), settings.checkpoint_dir)
    available = [c for c in choices if c.available]
    labels = [c.label for c in available]
    chance = at_chance(choices)
    state[CHANCE] = chance
    if state[MODELS] is None:
        state[MODELS] = [label for label in default_selection(choices) if label not in chance]
    state[MODELS] = [label for label in state[MODELS] if label in labels]
    st.multiselect(
        "Models",
        labels,
        placeholder="choose models to run",
        format_func=lambda label: chance_label(label, chance, label),
        **bind(MODELS, convert=list),
    )
    missing = [c for c in choices if not c.available]
    if missing:
        with st.expander(f"{len(missing)} model(s) unavailable: no checkpoint"):
            for c in missing:
                st.markdown(f"**{c.label}**: {c.note}")
    for problem in cache.checkpoint_problems(settings.checkpoint_dir):
        st.warning(f"Skipped: {problem}")
    by_label = {c.label: c for c in available}
    return [by_label[label] for label in state[MODELS]]


def posterior_controls() -> tuple[str | None, bool]:
    """Readout and TTA of the heatmap models; returns (readout or None for auto, tta)."""
    state = st.session_state
    if state[READOUT] not in READOUT_CHOICES:  # e.g. a value from an older app version
        state[READOUT] = READOUT_AUTO
    st.selectbox(
        "Readout of the heatmap models",
        READOUT_CHOICES,
        format_func=READOUT_CHOICE_LABELS.get,
        help="Which point of the calibrated posterior is the answer: its most probable "
        "pixel (mode), its mean or its spatial median. Auto uses the one each model's "
        "calibration found best on validation data (mode when uncalibrated). Classical "
        "models give one point and ignore it.",
        **bind(READOUT),
    )
    st.toggle(TTA_LABEL, help=TTA_HELP, **bind(TTA, convert=bool))
    return S.requested_readout(state), bool(state[TTA])


def _checkpoint_file_mtime_ns(choice: ModelChoice) -> int:
    """mtime (ns) of the model's checkpoint file (0 if none): a rewritten file reruns it."""
    path = Path(choice.spec)
    return path.stat().st_mtime_ns if path.is_file() else 0


def _run_one(case: Case, choice: ModelChoice, settings: Settings, tta: bool) -> Answer:
    """Run one model; a failure becomes an Answer with `problem` (the page goes on)."""
    try:
        loaded = cache.model(choice.spec, settings.checkpoint_dir, settings.device)
        return run_choice(loaded, choice, case, tta=tta)
    except LocNetError as exc:
        return Answer(choice.label, problem=str(exc))
    except (RuntimeError, OSError, MemoryError) as exc:  # torch/IO failure: report, keep the page
        return Answer(
            choice.label,
            problem=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}; "
            "try the CPU device or another checkpoint",
        )


def run_models(
    case: Case,
    choices: Sequence[ModelChoice],
    settings: Settings,
    *,
    compute: bool,
    readout: str | None = None,
    tta: bool = False,
) -> list[Answer] | None:
    """Answers for the case, from the session memo or (if `compute`) by running the models,
    each answered by `readout` (None: the model's calibrated default).

    Returns None when some result is missing and computing was not asked for.
    """
    state = st.session_state
    runs = []
    for choice in choices:
        base = (
            S.case_key(state),
            choice.label,
            choice.spec,
            _checkpoint_file_mtime_ns(choice),
            settings.device,
        )
        run = S.find_run(state, base, tta)
        if run is None:
            if not compute:
                return None
            with st.spinner(f"Running {choice.label}…"):
                run = _run_one(case, choice, settings, tta)
            S.remember_run(state, S.run_key(base, None if run.readout == POINT_READOUT else tta), run)
        runs.append(with_readout(run, readout))
    return runs


def _title(run: Answer, truth_xy: tuple[float, float] | None, chance: str | None = None) -> str:
    """'LocNet: error 12.3 m (mean, expected 20 m)'; TTA said when on; a model at chance
    says so first and claims no expected error."""
    if run.problem:
        return f"{run.label}: {run.problem}"
    label = run.label if chance is None else f"{run.label} ({CHANCE_LABEL})"
    error = error_m(run, truth_xy)
    if error is None:  # an uploaded case without a truth
        title = f"{label}: ({run.xy[0] * PIXEL_M:.0f}, {run.xy[1] * PIXEL_M:.0f}) m"
    else:
        title = f"{label}: error {error:.1f} m"
    if run.expected_error_m is not None and chance is None:
        tta = " + TTA" if run.tta else ""
        title += f" ({run.readout}{tta}, expected {run.expected_error_m:.0f} m)"
    return title


def result_figure(
    case: Case,
    run: Answer,
    height: int = RESULT_HEIGHT,
    *,
    score_step: int = 1,
    chance: str | None = None,
):
    """One model's heatmap with buildings, sensors, prediction and truth (axes in metres);
    for a model with a posterior also its 50 % / 90 % regions and mode / mean markers,
    except for a model at chance (`chance`: why), whose regions would only mislead.
    score_step: pixels per sent heatmap cell (SMALL_SCORE_STEP for the small figures)."""
    georef = getattr(getattr(case, "user", None), "georef", None)  # an uploaded geographic case
    title = _title(run, case.truth_xy, chance)
    shared = {  # what both figure builders draw the same way
        "sensors_xy": case.sensors_xy,
        "truth_xy": case.truth_xy,
        "prediction_xy": run.xy,
        "title": title,
        "height": height,
        "score_step": score_step,
    }
    if run.heatmap is not None and run.regions is not None:
        figure = posterior_figure(
            case.buildings,
            run.heatmap,
            regions=None if chance else run.regions,
            readouts=run.readouts,
            readout=run.readout,
            **shared,
        )
    else:
        figure = case_figure(case.buildings, scores=run.heatmap, **shared)
    return add_latlon_hover(figure, georef)


def show_result(
    case: Case, run: Answer, key: str, height: int = RESULT_HEIGHT, *, small: bool = True
) -> None:
    """Draw a run's figure, reused from the last rerun while its case, model, readout and
    result are the same (token: the heatmap array, shared by every readout of a result).
    `small` figures send their heatmap at one cell per SMALL_SCORE_STEP pixels."""
    if run.problem:
        st.error(f"{run.label}: {run.problem}")
        return
    chance = (st.session_state.get(CHANCE) or {}).get(run.label)
    step = SMALL_SCORE_STEP if small else 1
    fig = S.reuse_figure(
        st.session_state,
        key,
        (S.case_key(st.session_state), height, run.label, run.readout, run.tta, step, chance),
        lambda: result_figure(case, run, height, score_step=step, chance=chance),
        token=run if run.heatmap is None else run.heatmap,
    )
    show_chart(fig, key=key, config=RESULT_CHART_CONFIG)
    if chance:
        st.caption(f"{run.label} is {CHANCE_LABEL}: {chance}; its credible regions are not drawn.")


def show_why(case: Case, run: Answer) -> None:
    """What the measurements say about this case (report.why), under a heatmap model's map."""
    if case.truth_xy is None or run.problem or run.posterior is None:
        return
    facts = case_facts(case.buildings, case.sensors_xy, case.gains_db, case.truth_xy, run.posterior)
    lines = why_lines(facts)
    st.markdown("**Why?** (measured on this case)\n" + "\n".join(f"- {line}" for line in lines))
