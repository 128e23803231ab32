"""The guided tour: five steps that open chosen cases and say what they show (no Streamlit).

Steps are built from a results folder (locnet.report.tour_cases picks the cases by
documented rules; every number in a step's text is read from the folder): LocNet finds
the transmitter where the heuristics do not; LocNet fails, and the measured reasons;
the credible regions; the benchmark across rates; your own data. `apply_step` puts a
step into the session state (the case, the models to run, the page), so the Explorer
then shows and runs exactly that case; locnet.app.tour_panel draws the step's box with
Back / Next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from locnet.app import state as S
from locnet.app.keys import (
    AUTO_RUN,
    CASE_SOURCE,
    MODELS,
    READOUT,
    READOUT_AUTO,
    SOURCE_UPLOAD,
    TOUR_FOLDER,
    TOUR_STEP,
    TTA,
    State,
)
from locnet.app.models import ModelChoice
from locnet.report.accuracy import WITHIN_METRIC, takeaway, with_within
from locnet.report.chance import chance_reasons
from locnet.report.display import plural
from locnet.report.lookups import dataset_map_id
from locnet.report.readouts import select_readout
from locnet.report.series import DISPLAY_NAMES, LOCNET
from locnet.report.tour_cases import TourCase, pick_tour_cases

EXPLORER_PAGE = "app_pages/explorer.py"
BENCHMARK_PAGE = "app_pages/benchmark.py"
HOME_PAGE = "app_pages/home.py"


@dataclass(frozen=True)
class TourStep:
    """One step: what the page shows and the words beside it."""

    key: str  # "win", "fail", "regions", "benchmark", "own-data"
    title: str
    text: str  # Markdown; every number from the results folder
    page: str  # the page that shows it
    case: TourCase | None = None
    sensors_xy: tuple[tuple[int, int], ...] = ()
    models: tuple[str, ...] = ()  # registry names to run, LocNet first
    example: str | None = None  # the upload example this step loads
    facts: dict[str, float] = field(default_factory=dict)  # the numbers, for tests


def _errors_text(case: TourCase) -> str:
    """'RSS centroid 60.2 m, Strongest sensor 71.0 m'."""
    return ", ".join(f"{k} {v:.1f} m" for k, v in sorted(case.classical_errors_m.items()))


def _case_facts(case: TourCase) -> dict[str, float]:
    facts = {"LocNet": round(case.locnet_error_m, 1)}
    facts.update({k: round(v, 1) for k, v in case.classical_errors_m.items()})
    return facts


def _where(case: TourCase, n_sensors: int) -> str:
    return (
        f"**{case.city}**, map {case.map}, transmitter {case.tx}: "
        f"{plural(n_sensors, 'sensor')} ({case.rate_percent:g} % of the pixels)."
    )


def _win(case: TourCase, n: int) -> str:
    best = case.best_classical
    rival = "" if best is None else (
        f" The best classical method, {best[0]}, is **{best[1]:.1f} m** off "
        f"({_errors_text(case)})."
    )
    return (
        f"{_where(case, n)} LocNet's answer is **{case.locnet_error_m:.1f} m** from the "
        f"transmitter.{rival} The classical methods follow the strongest readings; LocNet "
        "also reads the building map, which says where a signal can come from. Below the "
        "maps, *Sensors one by one* shows its guess sharpen as sensors are added."
    )


def _fail(case: TourCase, n: int) -> str:
    best = case.best_classical
    region = (
        f" although its 90 % region (dashed line) is only {case.radius90_m:.0f} m in radius: "
        "it was sure, and wrong"
        if case.in90 is False and case.radius90_m is not None
        else ""
    )
    rival = "" if best is None else f" The best classical method, {best[0]}, is {best[1]:.1f} m off."
    return (
        f"{_where(case, n)} LocNet is **{case.locnet_error_m:.1f} m** off{region}.{rival} "
        "**Why?** under LocNet's map lists what the measurements show: sensors that read "
        "the floor, a second peak of the posterior, the transmitter at the tile edge, the "
        "nearest sensor, line of sight."
    )


def _regions(case: TourCase, n: int, coverage90: float | None) -> str:
    calibrated = (
        f" On the test set the truth lay inside the 90 % region in {coverage90:.0f} % of "
        "cases (Benchmark: *Are the posteriors calibrated?*)."
        if coverage90 is not None
        else ""
    )
    radius = "" if case.radius90_m is None else f" (radius {case.radius90_m:.0f} m, dashed line)"
    return (
        f"{_where(case, n)} LocNet's point answer misses by **{case.locnet_error_m:.1f} m**, "
        f"but the truth lies inside its 90 % region{radius}: the heatmap says where else "
        "to look. The solid line holds half of the probability." + calibrated
    )


def _benchmark_text(summary: pd.DataFrame, samples: pd.DataFrame | None, readout) -> str:
    table = with_within(select_readout(summary, readout), samples)
    chance = chance_reasons(select_readout(samples, readout)) if samples is not None else {}
    lines = [takeaway(table, WITHIN_METRIC, chance), takeaway(table, "rmse_m", chance)]
    lines = [line for line in lines if line]
    return (
        " ".join(lines)
        + " RMSE squares every error, so a few far misses (another street block) weigh "
        "more there than in the share of answers within 10 m."
    )


def tour_steps(
    res,
    readout: str | None,
    sensors_of: Callable[[TourCase], Sequence[tuple[int, int]] | None],
    example: tuple[str, str] | None = None,
) -> list[TourStep]:
    """The steps for one results folder (`res`: a ResultSet with samples) under `readout`
    (the LocNet checkpoint's calibrated default, what the Explorer's "auto" shows).

    `sensors_of(case)` gives a picked case's sensor pixels (None: they cannot be found, and
    that step is left out); `example` = (name, label) of the upload example to load."""
    steps: list[TourStep] = []
    samples = None if res.samples is None else select_readout(res.samples, readout)
    cases = {} if samples is None else pick_tour_cases(samples)
    models = (LOCNET, *sorted({k for c in cases.values() for k in _classical_models(c)}))
    titles = {
        "win": "LocNet finds the transmitter, the heuristics do not",
        "fail": "When LocNet fails, and why",
        "regions": "Where else to look: the credible regions",
    }
    coverage = None
    if samples is not None:
        rows = samples[samples["model"] == LOCNET]["in90"].dropna()
        coverage = 100 * float(rows.mean()) if len(rows) else None
    for kind in ("win", "fail", "regions"):
        case = cases.get(kind)
        sensors = None if case is None else sensors_of(case)
        if not sensors:
            continue
        n = len(sensors)
        if kind == "win":
            text = _win(case, n)
        elif kind == "fail":
            text = _fail(case, n)
        else:
            text = _regions(case, n, coverage)
        steps.append(
            TourStep(
                kind,
                titles[kind],
                text,
                EXPLORER_PAGE,
                case,
                tuple((int(x), int(y)) for x, y in sensors),
                models,
                facts=_case_facts(case),
            )
        )
    steps.append(
        TourStep(
            "benchmark",
            "Across sampling rates: the benchmark",
            _benchmark_text(res.summary, res.samples, readout),
            BENCHMARK_PAGE,
        )
    )
    own = (
        "Upload a building map (PNG or GeoJSON) and a CSV of readings, or a case .zip. "
        + (
            f"An example is loaded: **{example[1]}**; *Try an example* has the others "
            "(one where LocNet wins, one where a classical method wins)."
            if example
            else ""
        )
    )
    steps.append(
        TourStep(
            "own-data",
            "Your own data",
            own,
            EXPLORER_PAGE,
            models=(LOCNET, "strongest", "centroid"),
            example=None if example is None else example[0],
        )
    )
    return steps


def _classical_models(case: TourCase) -> list[str]:
    """Registry names of the classical methods a case compares with (by display name)."""
    names = {v: k for k, v in DISPLAY_NAMES.items()}
    return [names[label] for label in case.classical_errors_m if label in names]


def step_model_labels(
    step: TourStep, choices: Sequence[ModelChoice], locnet_path: str | None = None
) -> list[str]:
    """Picker labels of the step's models among the available choices: LocNet's the
    checkpoint the folder evaluated (`locnet_path`) when found, else the first one."""
    labels = []
    for name in step.models:
        found = [c for c in choices if c.available and c.model == name]
        if name == LOCNET and locnet_path is not None:
            same = [c for c in found if _same_file(c.spec, locnet_path)]
            found = same or found
        if found:
            labels.append(found[0].label)
    return labels


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def start(state: State, folder: str) -> None:
    """Begin the tour at its first step (the landing page's Start button)."""
    state[TOUR_STEP] = 0
    state[TOUR_FOLDER] = folder


def stop(state: State) -> None:
    state[TOUR_STEP] = None


def apply_step(
    state: State, step: TourStep, *, dataset_dir: str, model_labels: Sequence[str]
) -> None:
    """Put a step into the session: its case (the dataset's, via open_case; or the upload
    source, whose example the caller loads), its models, the calibrated readout and no
    TTA, running on every change."""
    if step.case is not None:
        S.open_case(
            state,
            dataset_dir=dataset_dir,
            map_id=dataset_map_id(step.case.map),
            tx_id=step.case.tx,
            sensors_xy=step.sensors_xy,
            rate_percent=step.case.rate_percent,
        )
    elif step.example is not None:
        state[CASE_SOURCE] = SOURCE_UPLOAD
    if model_labels:
        state[MODELS] = list(model_labels)
    state[READOUT] = READOUT_AUTO
    state[TTA] = False
    state[AUTO_RUN] = True
