"""The guided tour: five steps that open chosen cases and say what they show (no Streamlit).

Steps are built from a results folder (locnet.report.tour_cases picks the cases by
documented rules; every number in a step's text is read from the folder): LocNet finds
the transmitter where the heuristics do not; LocNet fails, and the measured reasons;
the credible regions; the benchmark across rates; your own data. `apply_step` puts a
step into the session state (the case, the models to run, the page), so the Explorer
then shows and runs exactly that case; locnet.app.tour_panel draws the step's box with
Back / Next.

A folder may hold no case for a rule (weights not trained enough: LocNet is within 10 m
nowhere), or its case may lie outside the open dataset. That step is kept, titled
"no such case here", on the Benchmark page, and says so with the folder's counts: the
tour always has its five steps and never shows another case in its place.
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
from locnet.report.accuracy import WITHIN_METRIC, main_locnet, takeaway, with_within
from locnet.report.chance import CHANCE_LABEL, chance_reasons
from locnet.report.display import plural
from locnet.report.headlines import is_classical
from locnet.report.lookups import dataset_map_id
from locnet.report.readouts import select_readout
from locnet.report.series import DISPLAY_NAMES, LOCNET
from locnet.report.tables import NEAR_M
from locnet.report.tour_cases import REGION_MISS_M, TourCase, pick_tour_cases

EXPLORER_PAGE = "app_pages/explorer.py"
BENCHMARK_PAGE = "app_pages/benchmark.py"
HOME_PAGE = "app_pages/home.py"
NO_CASE_TITLE = "no such case here"  # appended to the title of a step without its case
TITLES = {
    "win": "LocNet finds the transmitter, the heuristics do not",
    "fail": "When LocNet fails, and why",
    "regions": "Where else to look: the credible regions",
}


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

    @property
    def missing(self) -> bool:
        """A case step whose folder holds no case by its rule (or none in the dataset)."""
        return self.key in TITLES and self.case is None


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
    that step says so, as a step whose rule finds no case does); `example` = (name, label)
    of the upload example to load."""
    steps: list[TourStep] = []
    samples = None if res.samples is None else select_readout(res.samples, readout)
    cases = {} if samples is None else pick_tour_cases(samples)
    models = (LOCNET, *sorted({k for c in cases.values() for k in _classical_models(c)}))
    coverage = None
    if samples is not None:
        rows = samples[samples["model"] == LOCNET]["in90"].dropna()
        coverage = 100 * float(rows.mean()) if len(rows) else None
    chance = _chance_note(_locnet_rows(samples))
    for kind in ("win", "fail", "regions"):
        case = cases.get(kind)
        sensors = None if case is None else sensors_of(case)
        if not sensors:
            steps.append(_no_case_step(kind, case, samples, res.folder.name))
            continue
        n = len(sensors)
        if kind == "win":
            text = _win(case, n)
        elif kind == "fail":
            text = _fail(case, n)
        else:
            text = _regions(case, n, coverage)
        text += chance
        steps.append(
            TourStep(
                kind,
                TITLES[kind],
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


def _locnet_rows(samples: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of the LocNet series the rules read (report.accuracy.main_locnet)."""
    if samples is None or samples.empty:
        return pd.DataFrame(columns=["model", "variant", "error_m", "in90"])
    ours = main_locnet(sorted(set(zip(samples["model"], samples["variant"]))))
    if ours is None:
        return samples.iloc[0:0]
    return samples[(samples["model"] == ours[0]) & (samples["variant"] == ours[1])]


def _no_case_text(
    kind: str, samples: pd.DataFrame | None, folder: str
) -> tuple[str, dict[str, float]]:
    """Why the folder has no case for `kind`'s rule (tour_cases), in its own counts."""
    rows = _locnet_rows(samples)
    n = len(rows)
    where = f"this results folder (`{folder}`)"
    facts = {"cases": float(n)}
    if n == 0:
        return f"In {where} there are no test samples of LocNet: no case to show.", facts
    errors = rows["error_m"].astype(float)
    if kind == "win":
        near = int((errors <= NEAR_M).sum())
        facts["within"] = float(near)
        if not any(is_classical(str(m)) for m in samples["model"].unique()):
            text = f"In {where} there is no classical method to compare LocNet with."
        elif near == 0:
            text = (
                f"In {where}, LocNet's answer is within {NEAR_M:g} m of the transmitter in "
                f"none of its {plural(n, 'test case')}: there is no case where it finds the "
                "transmitter, so this step has none to show."
            )
        else:
            text = (
                f"In {where}, LocNet is within {NEAR_M:g} m in {near} of {n} test cases, but "
                "none of them has the classical methods' answers for the same case."
            )
    elif kind == "regions":
        misses = rows[errors > REGION_MISS_M]
        inside = int((misses["in90"] == 1).sum())
        facts.update(misses=float(len(misses)), inside=float(inside))
        if rows["in90"].isna().all():
            text = f"In {where}, LocNet's answers have no credible regions."
        elif inside == 0:
            text = (
                f"In {where}, none of LocNet's {plural(len(misses), 'answer')} more than "
                f"{REGION_MISS_M:g} m off has the truth inside its 90 % region."
            )
        else:
            text = (
                f"In {where}, the {plural(inside, 'answer')} more than {REGION_MISS_M:g} m off "
                "with the truth inside the 90 % region are at transmitters the steps before "
                "show."
            )
    else:
        text = f"In {where}, LocNet's only test cases are at the transmitter the step before shows."
    return text + _chance_note(rows), facts


def _chance_note(rows: pd.DataFrame) -> str:
    """' LocNet here is not trained enough (at chance): RMSE 119 m against ...', or ''."""
    chance = chance_reasons(rows) if len(rows) else {}
    return f" LocNet here is {CHANCE_LABEL}: {next(iter(chance.values()))}." if chance else ""


def _no_case_step(
    kind: str, case: TourCase | None, samples: pd.DataFrame | None, folder: str
) -> TourStep:
    """The step of a rule without a case to open: it says why, on the Benchmark page."""
    if case is None:
        text, facts = _no_case_text(kind, samples, folder)
    else:
        text, facts = (
            f"The case the rule picks ({case.city}, map {case.map}, transmitter {case.tx}) "
            f"is not in the open dataset: open the dataset that `{folder}` was computed on "
            "(*Advanced*, in the sidebar) to see it.",
            {},
        )
    return TourStep(
        kind,
        f"{TITLES[kind]}: {NO_CASE_TITLE}",
        text + " The charts below compare the models over all the folder's test cases.",
        BENCHMARK_PAGE,
        facts=facts,
    )


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
