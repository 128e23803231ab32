"""The measurement models on one measured sample (a POWDER sample, a campaign case,
docs/cases.md and docs/real-data.md): which apply, and their answers in grid metres.

A fitted measurement model reads receiver-indexed batches (locnet.models.measurement): its
columns are the receivers it was fitted on (`ReceiverLayout`). One sample becomes a one-row
batch in that layout (`sample_batch`): the heard receivers' readings and positions in their
columns, the fixed receivers that did not hear it at their known places, as the dataset's
batches are built (a receiver the layout lacks is left out and named). `answer_sample` is
the one place a fitted model answers one sample, as `python -m locnet evaluate-powder`
computes it (the classical model's `predict`, `learned.answer`), so a split's test sample
gets the numbers results/powder holds for it; a learned model also gives its calibrated
posterior over its raster cells and the 50 / 90 % credible regions. Both
`localize --case` (locnet.cases.campaign_localize) and the Explorer (locnet.app) use it.

Which models: the training-free ones (strongest receiver, RSS-weighted centroid, the grid's
centre) answer any sample on its own receivers (`answer_untrained`); the POWDER-trained
ones answer only a sample whose receivers are the dataset's (`answer_trained`), fitted and
loaded as evaluate-powder does. `sample_side` says whether the sample is on the split's
test side; on its training side an answer is in-sample (leakage), and `scored_as` says so.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from locnet.errors import LocNetError
from locnet.measurements import learned
from locnet.measurements.campus import CampusGrid
from locnet.measurements.dataset import MeasuredSample, PowderDataset
from locnet.measurements.evaluate import is_learned, measurement_models
from locnet.measurements.source import UNHEARD_DB
from locnet.models.measurement import MeasuredBatch
from locnet.models.registry import create_model, variant_options
from locnet.models.rss_heatmap import Raster
from locnet.posterior import distribution as P
from locnet.posterior.calibration import Calibration, answer_batch

UNTRAINED = ("rss-strongest", "rss-centroid", "rss-centre")  # rss-centre: the grid's centre
TEST, TRAINING, NEITHER, UNKNOWN = "test", "training", "neither", "unknown"
SCORED_AS = {
    TEST: "test (the sample is on the split's test side)",
    TRAINING: "in-sample: the sample is on the split's training side (leakage, not a test)",
    NEITHER: "not in the split (a two-transmitter sample: on neither side)",
    UNKNOWN: "side unknown: the case names no sample, so it may be a training sample",
}
FREE = "test (the model is fitted on nothing)"
TRUTH_COLUMNS = ("credible_level", "in50", "in90")  # the posterior columns that need a truth


# --- the one-row batch ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiverLayout:
    """The columns of a fitted model's batches: receiver ids, which are fixed, the fixed
    ones' positions (R, 2) grid metres (NaN for moving ones), the area a transmitter can
    be in and the RSS that stands for "not heard"."""

    receivers: tuple[str, ...]
    fixed: np.ndarray
    fixed_xy_m: np.ndarray
    area_m: tuple[float, float, float, float]
    floor_db: float


def layout_of(batch: MeasuredBatch) -> ReceiverLayout:
    """The layout of a dataset's batch (any of its rows: a fixed receiver stands still)."""
    if len(batch) == 0:
        raise LocNetError("an empty batch has no receiver layout")
    fixed_xy = np.where(batch.fixed[:, None], batch.xy_m[0], np.nan)
    return ReceiverLayout(batch.receivers, batch.fixed, fixed_xy, batch.area_m, batch.floor_db)


def powder_layout(dataset: PowderDataset) -> ReceiverLayout:
    """The POWDER copy's layout: every receiver of receivers.csv a column, fixed ones at
    their receivers.csv positions (what its trained models read)."""
    return layout_of(dataset.batch(dataset.samples["sample"].iloc[:1]))


def area_of(grid: CampusGrid) -> tuple[float, float, float, float]:
    """Where a transmitter can be on the grid (metres, pixel edges), as PowderDataset.batch."""
    low = -grid.metres_per_pixel / 2
    high = grid.extent_m + low
    return (low, low, high, high)


def own_layout(sample: MeasuredSample, grid: CampusGrid, fixed: np.ndarray) -> ReceiverLayout:
    """The sample's own receivers as columns (`fixed` (K,) bool: which never move): what
    the training-free models read on a case of any campaign."""
    fixed = np.asarray(fixed, dtype=bool)
    fixed_xy = np.where(fixed[:, None], np.asarray(sample.xy_m, dtype=np.float64), np.nan)
    return ReceiverLayout(tuple(sample.receivers), fixed, fixed_xy, area_of(grid), UNHEARD_DB)


def sample_batch(layout: ReceiverLayout, sample: MeasuredSample) -> tuple[MeasuredBatch, list[str]]:
    """(the one-row batch of `sample` in `layout`'s columns, the sample's receivers the
    layout lacks: their readings are left out, as a model cannot read them)."""
    column = {r: i for i, r in enumerate(layout.receivers)}
    rss = np.full((1, len(layout.receivers)), np.nan)
    xy = layout.fixed_xy_m[None].copy()
    unknown = []
    for receiver, pos, value in zip(sample.receivers, sample.xy_m, sample.rss_db):
        j = column.get(receiver)
        if j is None:
            unknown.append(receiver)
            continue
        rss[0, j], xy[0, j] = value, pos
    batch = MeasuredBatch(layout.receivers, rss, xy, layout.fixed, layout.area_m, layout.floor_db)
    return batch, unknown


# --- grids ------------------------------------------------------------------------------------


def moved(xy_m: np.ndarray, source: CampusGrid, target: CampusGrid) -> np.ndarray:
    """(N, 2) grid metres on `source` -> `target` (through lat/lon unless the grids are equal)."""
    xy_m = np.asarray(xy_m, dtype=np.float64).reshape(-1, 2)
    if source == target:
        return xy_m
    lat, lon = source.m_to_latlon(xy_m[:, 0], xy_m[:, 1])
    return np.stack([np.asarray(v, dtype=np.float64) for v in target.latlon_to_m(lat, lon)], axis=1)


def sample_on(sample: MeasuredSample, source: CampusGrid, target: CampusGrid) -> MeasuredSample:
    """The sample's receivers and truth moved from `source`'s metres to `target`'s."""
    if source == target:
        return sample
    return replace(
        sample,
        xy_m=moved(sample.xy_m, source, target),
        truth_m=moved(sample.truth_m, source, target),
    )


# --- answers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleAnswer:
    """One model's answer on one sample: the model (its registry spec), its readout
    ("point" for a model without a posterior) and position xy_m (2,) grid metres, every
    readout's position (a posterior's mode, mean, median), the error against the first transmitter (None without one);
    for a posterior its evaluate-powder columns (credible_level, area50_m2, area90_m2,
    expected_error_m, in50, in90; the truth's ones NaN without a truth), its probabilities
    (H, W) over `raster`'s cells and regions (L, H, W) at P.REGION_LEVELS; the sample's
    receivers the model could not read; what it was fitted on, whether the answer is a
    test, and the answer's runtime."""

    model: str
    readout: str
    xy_m: np.ndarray
    by_readout: dict[str, np.ndarray]
    error_m: float | None
    posterior_columns: dict[str, float]
    probs: np.ndarray | None = None
    regions: np.ndarray | None = None
    raster: Raster | None = None
    unknown_receivers: tuple[str, ...] = ()
    trained_on: str = ""
    scored_as: str = ""
    runtime_ms: float = float("nan")

    def readout_error_m(self, readout: str, truth_m: np.ndarray | None) -> float | None:
        if truth_m is None or readout not in self.by_readout:
            return None
        return float(np.hypot(*(self.by_readout[readout] - truth_m)))


def _posterior_map(model, batch: MeasuredBatch) -> tuple[np.ndarray, np.ndarray, Raster]:
    """The calibrated posterior over the model's raster cells and its credible regions."""
    model.network.calibration = Calibration.from_dict(model.calibration)
    raster = model.raster(batch)
    outdoor = torch.ones(1, raster.size, raster.size, dtype=torch.bool)
    with torch.inference_mode():
        probs = answer_batch(model.network, model.inputs(batch), outdoor).probs
    masks, _ = P.regions(probs, P.REGION_LEVELS)
    return probs[0].numpy(), masks[0].numpy(), raster


def answer_sample(
    model,
    spec: str,
    layout: ReceiverLayout,
    sample: MeasuredSample,
    *,
    trained_on: str = "",
    scored_as: str = "",
) -> SampleAnswer:
    """`model` (fitted or loaded for `spec`, reading `layout`) on one sample, in the
    layout's grid metres; errors to its first transmitter. A LocNetError when none of the
    sample's receivers is one the model reads."""
    batch, unknown = sample_batch(layout, sample)
    if not batch.heard.any():
        raise LocNetError(
            f"sample {sample.sample}: none of its receivers is one {spec} was fitted on"
        )
    truth = sample.truth_m[0] if len(sample.truth_m) else None
    probs = regions = raster = None
    tick = time.perf_counter()
    if is_learned(spec):
        answered = learned.answer(model, batch, np.zeros((1, 2)) if truth is None else truth[None])
        ms = (time.perf_counter() - tick) * 1000
        by_readout = {r: xy[0] for r, xy in answered.by_readout.items()}
        columns = {k: v[0].item() for k, v in answered.posterior.items()}
        if truth is None:  # the credible level of a made-up truth means nothing
            columns.update(dict.fromkeys(TRUTH_COLUMNS, float("nan")))
        readout, xy = answered.readout, answered.xy_m[0]
        probs, regions, raster = _posterior_map(model, batch)
    else:
        xy = model.predict(batch)[0]
        ms = (time.perf_counter() - tick) * 1000
        readout, by_readout, columns = P.POINT_READOUT, {P.POINT_READOUT: xy}, {}
    error = None if truth is None else float(np.hypot(*(xy - truth)))
    return SampleAnswer(
        spec, readout, xy, by_readout, error, columns, probs, regions, raster,
        tuple(unknown), trained_on, scored_as, ms,
    )  # fmt: skip


def answer_moved(answer: SampleAnswer, source: CampusGrid, target: CampusGrid) -> SampleAnswer:
    """The answer's positions moved to `target`'s metres (the posterior stays on `source`'s
    raster; the error is recomputed by whoever holds `target`'s truth)."""
    if source == target:
        return answer
    by_readout = {r: moved(xy, source, target)[0] for r, xy in answer.by_readout.items()}
    return replace(answer, xy_m=moved(answer.xy_m, source, target)[0], by_readout=by_readout)


# --- fitting ------------------------------------------------------------------------------------


def fit_classical(spec: str, train: MeasuredBatch, truth_m: np.ndarray):
    """A classical measurement model fitted on a training side (seconds; evaluate-powder's
    fit)."""
    name, options = variant_options(spec)
    return create_model(name, **options).fit(train, truth_m)


def fit_untrained(spec: str, layout: ReceiverLayout, sample: MeasuredSample, grid: CampusGrid):
    """A training-free model 'fitted' on the grid's centre only: rss-centre answers it, the
    others fall back to it when no receiver was heard."""
    name, options = variant_options(spec)
    if name not in UNTRAINED:
        raise LocNetError(f"{spec} needs training; it answers POWDER samples only")
    centre = np.full((1, 2), (grid.size - 1) * grid.metres_per_pixel / 2)
    return create_model(name, **options).fit(sample_batch(layout, sample)[0], centre)


def untrained_about(spec: str) -> str:
    """What a training-free model is fitted on, in words."""
    return "nothing (the grid's centre)" if variant_options(spec)[0] == "rss-centre" else "nothing"


def answer_untrained(
    sample: MeasuredSample, grid: CampusGrid, fixed: np.ndarray, models=UNTRAINED
) -> list[SampleAnswer]:
    """The training-free models on the sample's own receivers (`fixed` (K,) bool)."""
    layout = own_layout(sample, grid, fixed)
    answers = []
    for spec in models:
        model = fit_untrained(spec, layout, sample, grid)
        about = untrained_about(spec)
        answers.append(answer_sample(model, spec, layout, sample, trained_on=about, scored_as=FREE))
    return answers


def unknown_receivers(dataset: PowderDataset, sample: MeasuredSample) -> list[str]:
    """The sample's receivers the dataset does not have."""
    known = set(dataset.receiver_ids)
    return [r for r in sample.receivers if r not in known]


def sample_side(dataset: PowderDataset, split: str, sample_id: str | None) -> str:
    """TEST, TRAINING, NEITHER (not a one-transmitter sample of the copy) or UNKNOWN (no id)."""
    if not sample_id:
        return UNKNOWN
    train_ids, test_ids = dataset.split(split)
    if sample_id in set(test_ids):
        return TEST
    return TRAINING if sample_id in set(train_ids) else NEITHER


def answer_trained(
    dataset: PowderDataset,
    split: str,
    sample: MeasuredSample,
    grid: CampusGrid,
    *,
    sample_id: str | None,
    checkpoints: str | os.PathLike,
    models: list[str] | None = None,
) -> tuple[list[SampleAnswer], list[str]]:
    """Every POWDER-trained model on the sample (on `grid`), fitted (classical) or loaded
    (learned, `checkpoints`: checkpoints/real) for `split` as evaluate-powder does; and
    notes on the learned models left out (no checkpoint for the split, or one fitted on
    other data). `models`: registry specs (default: every measurement model)."""
    specs = measurement_models() if models is None else list(models)
    layout = powder_layout(dataset)
    on_data = sample_on(sample, grid, dataset.grid)
    train_ids, _ = dataset.split(split)
    train, train_truth = dataset.batch(train_ids), dataset.truth_m(train_ids)
    trained_on = f"{dataset.folder}: split {split}'s training side ({len(train_ids):,} samples)"
    scored_as = SCORED_AS[sample_side(dataset, split, sample_id)]
    answers, notes = [], []
    for spec in specs:
        fitted = trained_on
        if is_learned(spec):
            try:
                got = learned.obtain(dataset, split, spec, checkpoints, "never")
            except LocNetError as exc:
                notes.append(f"{spec}: not run ({exc})")
                continue
            if got is None:
                path = learned.checkpoint_path(checkpoints, spec, split)
                notes.append(f"{spec}: not run (no {path} for split {split})")
                continue
            model, fitted = got.model, f"{trained_on}; {got.path}"
        else:
            model = fit_classical(spec, train, train_truth)
        answer = answer_sample(model, spec, layout, on_data, trained_on=fitted, scored_as=scored_as)
        answers.append(answer_moved(answer, dataset.grid, grid))
    return answers, notes
