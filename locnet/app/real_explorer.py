"""Explorer, "Real measurements (POWDER)": one measured sample, the measurement models on it.

`real_measurements_view` is the source's page part: pick the samples (a split's test side,
or the two-transmitter samples), one sample, the models; the split's classical models are
fitted on its training side (evaluate-powder's fit, cached once per process), the learned
ones loaded from checkpoints/real/<model>-<split>.pt. `show_measured_case` is the core and
takes any campus grid, `MeasuredSample` and fitted models, so any measured case (a
campaign case file, later) shows the same way: the campus map (locnet.viz.campus_map, the
metre grid or street tiles), and a table whose errors are evaluate-powder's on a test
sample. A sample with two transmitters is drawn, not solved (no model runs on it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from locnet.app import cache
from locnet.app.binding import bind
from locnet.app.charts import show_chart
from locnet.app.explorer_table import show_results_table
from locnet.app.keys import (
    REAL_BASEMAP,
    REAL_DEFAULT_MODELS,
    REAL_DEFAULT_SET,
    REAL_MODELS,
    REAL_POSTERIOR,
    REAL_SAMPLE,
    REAL_SET,
    REAL_TWO_TX,
)
from locnet.app.real_models import map_answers, map_posterior, results_table
from locnet.app.real_state import fit_choice
from locnet.cases.campaign import CampaignCase
from locnet.cases.campaign_localize import (
    check_powder_case,
    fingerprint_note,
    fixed_receivers,
    why_not_powder,
)
from locnet.errors import LocNetError
from locnet.measurements import learned
from locnet.measurements.campus import CampusGrid
from locnet.measurements.dataset import DEFAULT_FOLDER, MeasuredSample, PowderDataset
from locnet.measurements.evaluate import is_learned, measurement_models
from locnet.measurements.one_sample import (
    SCORED_AS,
    TEST,
    TRAINING,
    UNTRAINED,
    ReceiverLayout,
    SampleAnswer,
    answer_sample,
    fit_classical,
    fit_untrained,
    own_layout,
    powder_layout,
    sample_on,
    sample_side,
    untrained_about,
)
from locnet.models.measurement import MeasuredBatch
from locnet.report.display import plural
from locnet.viz.campus_map import campus_figure

MAP_HEIGHT = 680  # px of the Explorer's campus map
PAGE_CAPTION = (
    "Real measurements: one sample of a measured campaign (no building map, no simulation): "
    "the receivers that heard a transmitter, with their RSS, on a campus grid in metres; "
    "where each measurement model puts the transmitter, and for a learned one its "
    "calibrated posterior with the 50 % and 90 % credible regions. Receivers green, "
    "answers yellow, truth red."
)
CAMPAIGN_NOTE = (
    "A campaign case (locnet-case/2, docs/cases.md): its RSS is as each receiver reports "
    "it, comparable within one receiver, not across two."
)
NO_POSTERIOR = "(none)"
SOURCE_NOTE = (
    "Real measurements: the POWDER outdoor RSS dataset (University of Utah, 2022; MIT "
    "licence), 462.7 MHz, a compact copy in `data/real/powder` (docs/real-data.md). RSS is "
    "uncalibrated per receiver: compare one receiver's readings, not two receivers'."
)
BASEMAP_NOTE = (
    "Street tiles © OpenStreetMap contributors, fetched by your browser: offline they stay "
    "blank (switch *Street map* off for the metre grid)."
)


@dataclass(frozen=True)
class FittedModel:
    """A measurement model ready to answer: its registry spec, the fitted object, the
    receiver layout it reads, where it came from (one line) and a key naming these
    weights (answers are cached under it)."""

    spec: str
    model: object
    layout: ReceiverLayout
    about: str
    key: str


# --- loaders (cached once per process; keys carry the folder's stamp) -------------------


@st.cache_resource(show_spinner="Opening the POWDER copy…", max_entries=2)
def _powder(folder: str, stamp: int) -> PowderDataset:
    return PowderDataset.open(folder)


def powder_folder() -> Path:
    return cache.resolve_path(DEFAULT_FOLDER)


def powder_dataset() -> PowderDataset:
    """The committed POWDER copy (checked against its manifest once). Raises LocNetError."""
    folder = powder_folder()
    return _powder(str(folder), cache.folder_mtimes_ns(folder))


@st.cache_data(show_spinner="Reading the split's training side…", max_entries=8)
def _training_side(folder: str, stamp: int, split: str) -> tuple[MeasuredBatch, np.ndarray]:
    dataset = _powder(folder, stamp)
    train, _ = dataset.split(split)
    return dataset.batch(train), dataset.truth_m(train)


@st.cache_resource(show_spinner="Fitting the model on the split's training side…", max_entries=48)
def _classical(folder: str, stamp: int, split: str, spec: str):
    return fit_classical(spec, *_training_side(folder, stamp, split))


@st.cache_resource(show_spinner="Loading the fitted weights…", max_entries=24)
def _learned(folder: str, stamp: int, split: str, spec: str, path: str, mtime_ns: int):
    return learned.load(Path(path), spec, _powder(folder, stamp), split)


def checkpoint_of(spec: str, split: str) -> Path:
    return cache.resolve_path(learned.checkpoint_path(learned.CHECKPOINT_ROOT, spec, split))


def offered_models(split: str) -> tuple[list[str], dict[str, str]]:
    """(the models that can run on `split`, {left-out learned model: the command that fits
    it}): every classical one, the learned ones with a checkpoint for the split."""
    offered, missing = [], {}
    for spec in measurement_models():
        if is_learned(spec) and not checkpoint_of(spec, split).is_file():
            missing[spec] = learned.fit_command(spec, split)
        else:
            offered.append(spec)
    return offered, missing


def fitted_models(split: str, specs: Sequence[str]) -> tuple[list[FittedModel], list[str]]:
    """(the models fitted or loaded for `split`, one line per model that could not be)."""
    folder = powder_folder()
    stamp = cache.folder_mtimes_ns(folder)
    dataset = _powder(str(folder), stamp)
    layout = powder_layout(dataset)  # what every model fitted on the copy reads
    n_train = len(dataset.split(split)[0])
    out, problems = [], []
    for spec in specs:
        try:
            if is_learned(spec):
                path = checkpoint_of(spec, split)
                mtime = path.stat().st_mtime_ns
                model = _learned(str(folder), stamp, split, spec, str(path), mtime)
                about = f"`{learned.checkpoint_path(learned.CHECKPOINT_ROOT, spec, split)}`"
                key = f"{path}:{mtime}"
            else:
                model = _classical(str(folder), stamp, split, spec)
                about = f"fitted on split {split}'s training side ({n_train:,} samples)"
                key = f"{folder}:{stamp}:{split}:{spec}"
        except (LocNetError, OSError) as exc:
            problems.append(f"{spec}: {exc}")
            continue
        out.append(FittedModel(spec, model, layout, about, key))
    return out, problems


@st.cache_data(show_spinner=False, max_entries=256)
def _answer(key: str, spec: str, sample: MeasuredSample, _model, _layout) -> SampleAnswer:
    return answer_sample(_model, spec, _layout, sample)


# --- the core: any measured sample ---------------------------------------------------------


def show_measured_case(
    grid: CampusGrid,
    sample: MeasuredSample,
    models: Sequence[FittedModel],
    *,
    title: str,
    note: str = SOURCE_NOTE,
) -> list[SampleAnswer]:
    """The sample on its campus grid with each model's answer, one posterior's heatmap and
    regions, and the results table (errors in metres, lat/lon beside). With two
    transmitters nothing runs: the sample is shown, labelled not solved yet."""
    two_tx = len(sample.truth_m) > 1
    answers: list[SampleAnswer] = []
    if two_tx:
        title = f"{title} · {len(sample.truth_m)} transmitters: not solved yet, shown only"
    else:
        for fitted in models:
            try:
                answers.append(
                    _answer(fitted.key, fitted.spec, sample, fitted.model, fitted.layout)
                )
            except LocNetError as exc:
                st.warning(str(exc))
    with_posterior = [a.model for a in answers if a.probs is not None]
    left, right = st.columns([2, 1])
    choices = [*with_posterior, NO_POSTERIOR]
    fit_choice(st.session_state, REAL_POSTERIOR, choices, choices[0])
    if with_posterior:
        left.radio(
            "Posterior drawn (heatmap, 50 % and 90 % regions)",
            choices,
            horizontal=True,
            **bind(REAL_POSTERIOR),
        )
    basemap = right.toggle(
        "Street map (needs your browser online)", **bind(REAL_BASEMAP, convert=bool)
    )
    drawn = next(
        (map_posterior(a) for a in answers if a.model == st.session_state[REAL_POSTERIOR]), None
    )
    figure = campus_figure(
        grid,
        receivers=sample.receivers,
        receivers_xy_m=sample.xy_m,
        rss_db=sample.rss_db,
        truths_m=sample.truth_m,
        answers=map_answers(answers),
        posterior=drawn,
        title=title,
        height=MAP_HEIGHT,
        basemap=basemap,
    )
    show_chart(figure, key="real_map")
    st.caption(
        f"{plural(len(sample.receivers), 'receiver')} heard this sample (green: darker = "
        "stronger, labels in dB); true transmitter red; answers yellow. "
        + (
            BASEMAP_NOTE
            if basemap
            else "Axes: metres east and south on the campus grid; hover a point for its lat/lon."
        )
    )
    unknown = sorted({r for a in answers for r in a.unknown_receivers})
    if unknown:
        st.caption(f"Left out (no model was fitted on them): {', '.join(unknown)}.")
    if answers:
        st.subheader("Results")
        truth = sample.truth_m[0] if len(sample.truth_m) else None
        show_results_table(results_table(answers, grid, truth))
        about = "; ".join(f"{m.spec}: {m.about}" for m in models)
        st.caption(
            f"Errors in metres to the true transmitter, computed as `python -m locnet "
            f"evaluate-powder` and `localize --case` do. {about}. {note}"
        )
    elif two_tx:
        st.info(
            "Two transmitters at once: the models here answer one position, so this sample "
            "is shown (both transmitters red), not solved yet."
        )
        st.caption(note)
    return answers


# --- the POWDER source ------------------------------------------------------------------


def _set_label(dataset: PowderDataset, name: str) -> str:
    if name == REAL_TWO_TX:
        n = int((dataset.samples["n_tx"] == 2).sum())
        return f"two-transmitter samples ({n:,}, shown only)"
    spec = dataset.splits[name]
    return f"split {name}: {spec.get('about') or spec.get('family')} ({len(spec['test']):,} test)"


def set_samples(dataset: PowderDataset, name: str) -> list[str]:
    """The timestamps a set offers: a split's test side, or every two-transmitter sample."""
    if name == REAL_TWO_TX:
        return dataset.samples.loc[dataset.samples["n_tx"] == 2, "sample"].astype(str).tolist()
    return [str(s) for s in dataset.split(name)[1]]


def real_measurements_view() -> None:
    """The Explorer's real-measurement source: pickers, then `show_measured_case`."""
    try:
        dataset = powder_dataset()
    except (LocNetError, OSError) as exc:
        st.error(f"Cannot open the real measurements: {exc}")
        return
    state = st.session_state
    sets = [*dataset.splits, REAL_TWO_TX]
    fit_choice(state, REAL_SET, sets, REAL_DEFAULT_SET)
    a, b, c = st.columns([1.3, 1.3, 2.4])
    a.selectbox("Samples", sets, format_func=lambda s: _set_label(dataset, s), **bind(REAL_SET))
    name = state[REAL_SET]
    samples = set_samples(dataset, name)
    fit_choice(state, REAL_SAMPLE, samples, samples[0])
    position = {s: i for i, s in enumerate(samples)}
    b.selectbox(
        "Sample (timestamp)",
        samples,
        format_func=lambda s: f"#{position[s] + 1} · {s}",
        help="Type to search a timestamp; the Cases page lists the best and worst ones.",
        **bind(REAL_SAMPLE),
    )
    sample = dataset.sample(state[REAL_SAMPLE])
    models: list[FittedModel] = []
    if name != REAL_TWO_TX:
        offered, missing = offered_models(name)
        fit_choice(state, REAL_MODELS, offered, list(REAL_DEFAULT_MODELS))
        c.multiselect("Models", offered, **bind(REAL_MODELS))
        if missing:
            c.caption(
                f"Not fitted for split {name}: {', '.join(missing)} "
                f"(`{next(iter(missing.values()))}`)."
            )
        models, problems = fitted_models(name, state[REAL_MODELS])
        for problem in problems:
            st.warning(problem)
        if not models:
            st.info("Choose at least one model to run.")
    where = "two-transmitter sample" if name == REAL_TWO_TX else f"split {name}, test sample"
    title = f"POWDER · {where} #{position[sample.sample] + 1} ({sample.sample})"
    show_measured_case(dataset.grid, sample, models, title=title)


# --- a campaign case (an upload or an example: locnet-case/2) ------------------------------


@dataclass(frozen=True)
class CampaignPlan:
    """What a campaign case is shown with: the grid and sample (on the POWDER copy's grid
    when its trained models run), the models that apply (localize_campaign's rule), notes
    on what was left out, and the sample's side of the split (None: no split applies)."""

    grid: CampusGrid
    sample: MeasuredSample
    models: list[FittedModel]
    notes: list[str]
    side: str | None = None


def campaign_plan(case: CampaignCase) -> CampaignPlan:
    """The models `localize --case` runs on the case: for POWDER receivers and a split named
    in its provenance, every model fitted or loaded for that split (cached as the POWDER
    source's); otherwise the training-free ones on the case's own receivers. Raises
    CaseError (a receiver or split the copy lacks) or LocNetError (no POWDER copy)."""
    why_not = why_not_powder(case)
    if why_not is not None:
        fixed = fixed_receivers(case)
        layout = own_layout(case.sample, case.grid, fixed)
        key = f"untrained:{case.grid.to_dict()}:{fixed.tobytes().hex()}"
        models = [
            FittedModel(
                spec,
                fit_untrained(spec, layout, case.sample, case.grid),
                layout,
                f"fitted on {untrained_about(spec)}",
                f"{key}:{spec}",
            )
            for spec in UNTRAINED
        ]
        return CampaignPlan(
            case.grid, case.sample, models, [f"POWDER-trained models not run: {why_not}."]
        )
    dataset = powder_dataset()
    check_powder_case(case, dataset)
    split = case.provenance.split
    offered, missing = offered_models(split)
    models, problems = fitted_models(split, offered)
    notes = fingerprint_note(case, dataset) + problems
    notes += [
        f"{spec}: not run, no checkpoint for split {split} (`{cmd}`)"
        for spec, cmd in missing.items()
    ]
    side = sample_side(dataset, split, case.provenance.sample)
    sample = sample_on(case.sample, case.grid, dataset.grid)
    return CampaignPlan(dataset.grid, sample, models, notes, side)


def campaign_title(case: CampaignCase, name: str) -> str:
    return str(case.metadata.get("title") or name)


def campaign_case_view(case: CampaignCase, name: str) -> None:
    """A campaign case in the Explorer: what it is, the models that apply, the leakage
    note on a training sample, then `show_measured_case`. A problem is one st.error
    naming the file."""
    try:
        plan = campaign_plan(case)
    except (LocNetError, OSError) as exc:
        message = str(exc)
        st.error(message if name in message else f"{name}: {message}")
        return
    p = case.provenance
    where = "" if p is None else f" · {p.dataset}" + (f", split {p.split}" if p.split else "")
    st.markdown(
        f"**Campaign case** `{name}`{where}: {plural(len(case.sample.receivers), 'receiver')} "
        f"on a {case.grid.size} x {case.grid.size} grid of {case.grid.metres_per_pixel:g} m "
        f"({case.grid.crs})."
    )
    for warning in case.warnings:
        st.warning(warning)
    if plan.side == TRAINING:
        st.warning(
            f"In-sample: sample {p.sample} is on split {p.split}'s training side, so the "
            "POWDER-trained models were fitted on it: their errors here are leakage, not a "
            "test (export a test sample of the split, or name the split it tests)."
        )
    elif plan.side is not None and plan.side != TEST:
        st.info(f"Scored as: {SCORED_AS[plan.side]}.")
    for note in plan.notes:
        st.caption(note)
    show_measured_case(
        plan.grid,
        plan.sample,
        plan.models,
        title=campaign_title(case, name),
        note=SOURCE_NOTE if plan.side is not None else CAMPAIGN_NOTE,
    )
