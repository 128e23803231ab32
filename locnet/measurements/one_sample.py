"""The measurement models on one sample (a campaign case, docs/cases.md): which apply, and
their answers in grid metres.

Models that need no training (strongest receiver, RSS-weighted centroid, the grid's
centre) answer any sample (`answer_untrained`). The POWDER-trained ones (the classical
models fitted on a split's training side, k-NN, the path-loss fit with per-receiver
offsets, and the learned checkpoints under checkpoints/real/) answer only a sample whose
receivers are the dataset's (`answer_trained`): they are fitted and loaded exactly as
`python -m locnet evaluate-powder` does (evaluate.measurement_models, learned.obtain and
learned.answer), on a batch laid out like the dataset's (`powder_batch`), so a sample of a
split's test side gets the numbers results/powder holds for it. `sample_side` says whether
the sample is on that split's test side; on its training side an answer is in-sample
(leakage), and `scored_as` says so.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

import numpy as np

from locnet.errors import LocNetError
from locnet.evaluate.folders import POSTERIOR_COLUMNS
from locnet.measurements.campus import CampusGrid
from locnet.measurements.dataset import MeasuredSample, PowderDataset
from locnet.measurements.source import FIXED, UNHEARD_DB
from locnet.models.measurement import MeasuredBatch
from locnet.models.registry import create_model, variant_options

UNTRAINED = ("rss-strongest", "rss-centroid", "rss-centre")  # rss-centre: the grid's centre
POINT = "point"
TEST, TRAINING, NEITHER, UNKNOWN = "test", "training", "neither", "unknown"
SCORED_AS = {
    TEST: "test (the sample is on the split's test side)",
    TRAINING: "in-sample: the sample is on the split's training side (leakage, not a test)",
    NEITHER: "not in the split (a two-transmitter sample: on neither side)",
    UNKNOWN: "side unknown: the case names no sample, so it may be a training sample",
}
FREE = "test (the model is fitted on nothing)"


@dataclass
class SampleAnswer:
    """One model's answer on the sample: xy_m (2,) grid metres; readout ("point" for a
    model without a posterior); trained_on, what it was fitted on; scored_as, whether the
    answer is a test; posterior: evaluate's posterior columns (NaN for a point model)."""

    model: str
    readout: str
    xy_m: np.ndarray
    trained_on: str
    scored_as: str
    runtime_ms: float
    posterior: dict[str, float] = field(default_factory=dict)


def area_of(grid: CampusGrid) -> tuple[float, float, float, float]:
    """Where a transmitter can be on the grid (metres, pixel edges), as PowderDataset.batch."""
    low = -grid.metres_per_pixel / 2
    high = grid.extent_m + low
    return (low, low, high, high)


def _no_posterior() -> dict[str, float]:
    return dict.fromkeys(POSTERIOR_COLUMNS, float("nan"))


def answer_untrained(
    sample: MeasuredSample, grid: CampusGrid, fixed: np.ndarray, models=UNTRAINED
) -> list[SampleAnswer]:
    """The training-free models on the sample's own receivers (`fixed` (K,) bool: which
    never move). They are 'fitted' on the grid's centre only: rss-centre answers it, the
    others fall back to it when no receiver was heard."""
    batch = MeasuredBatch(
        receivers=tuple(sample.receivers),
        rss_db=np.asarray(sample.rss_db, dtype=np.float64)[None, :],
        xy_m=np.asarray(sample.xy_m, dtype=np.float64)[None, :, :],
        fixed=np.asarray(fixed, dtype=bool),
        area_m=area_of(grid),
        floor_db=UNHEARD_DB,
    )
    centre = np.full((1, 2), (grid.size - 1) * grid.metres_per_pixel / 2)
    answers = []
    for spec in models:
        name, options = variant_options(spec)
        if name not in UNTRAINED:
            raise LocNetError(f"{spec} needs training; it answers POWDER samples only")
        model = create_model(name, **options).fit(batch, centre)
        tick = time.perf_counter()
        xy = model.predict(batch)[0]
        ms = (time.perf_counter() - tick) * 1000
        trained_on = "nothing (the grid's centre)" if name == "rss-centre" else "nothing"
        answers.append(SampleAnswer(spec, POINT, xy, trained_on, FREE, ms, _no_posterior()))
    return answers


def unknown_receivers(dataset: PowderDataset, sample: MeasuredSample) -> list[str]:
    """The sample's receivers the dataset does not have."""
    known = set(dataset.receiver_ids)
    return [r for r in sample.receivers if r not in known]


def in_dataset_grid(dataset: PowderDataset, grid: CampusGrid, xy_m: np.ndarray) -> np.ndarray:
    """(N, 2) grid metres on `grid` -> the dataset's grid (through lat/lon unless equal)."""
    xy_m = np.asarray(xy_m, dtype=np.float64).reshape(-1, 2)
    if grid == dataset.grid:
        return xy_m
    lat, lon = grid.m_to_latlon(xy_m[:, 0], xy_m[:, 1])
    return np.stack(dataset.grid.latlon_to_m(lat, lon), axis=1)


def from_dataset_grid(dataset: PowderDataset, grid: CampusGrid, xy_m: np.ndarray) -> np.ndarray:
    """(2,) metres on the dataset's grid -> `grid` (the inverse of in_dataset_grid)."""
    if grid == dataset.grid:
        return np.asarray(xy_m, dtype=np.float64)
    lat, lon = dataset.grid.m_to_latlon(xy_m[0], xy_m[1])
    return np.array([float(v) for v in grid.latlon_to_m(lat, lon)])


def powder_batch(dataset: PowderDataset, sample: MeasuredSample, grid: CampusGrid) -> MeasuredBatch:
    """The sample as a one-row batch over the dataset's receivers, laid out as
    PowderDataset builds its rows: fixed receivers at their receivers.csv positions, then
    every reading of the sample (RSS and position) in its receiver's column."""
    missing = unknown_receivers(dataset, sample)
    if missing:
        raise LocNetError(
            f"receiver(s) {', '.join(missing[:5])} are not receivers of {dataset.folder}"
        )
    r = len(dataset.receiver_ids)
    rss, xy = np.full((1, r), np.nan), np.full((1, r, 2), np.nan)
    lat, lon = dataset.receivers["lat"].to_numpy(), dataset.receivers["lon"].to_numpy()
    fx, fy = dataset.grid.latlon_to_m(lat, lon)
    fixed = (dataset.receivers["kind"] == FIXED).to_numpy()
    xy[0, fixed, 0], xy[0, fixed, 1] = fx[fixed], fy[fixed]
    cols = [dataset.receiver_ids.index(name) for name in sample.receivers]
    rss[0, cols] = sample.rss_db
    xy[0, cols] = in_dataset_grid(dataset, grid, sample.xy_m)
    template = dataset.batch([])
    return MeasuredBatch(template.receivers, rss, xy, template.fixed, template.area_m,
                         template.floor_db)  # fmt: skip


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
    """Every POWDER-trained model on the sample, fitted (classical) or loaded (learned,
    `checkpoints`: checkpoints/real) for `split` as evaluate-powder does; and notes on
    the learned models left out (no checkpoint for the split, or one fitted on other
    data). `models`: registry specs (default: every measurement model)."""
    from locnet.measurements import learned
    from locnet.measurements.evaluate import is_learned, measurement_models

    specs = measurement_models() if models is None else list(models)
    batch = powder_batch(dataset, sample, grid)
    truth = in_dataset_grid(dataset, grid, sample.truth_m[:1]) if len(sample.truth_m) else None
    train_ids, _ = dataset.split(split)
    train, train_truth = dataset.batch(train_ids), dataset.truth_m(train_ids)
    trained_on = f"{dataset.folder}: split {split}'s training side ({len(train_ids):,} samples)"
    scored_as = SCORED_AS[sample_side(dataset, split, sample_id)]
    answers, notes = [], []
    for spec in specs:
        tick = time.perf_counter()
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
            tick = time.perf_counter()
            placeholder = np.full(
                (1, 2), (dataset.grid.size - 1) * dataset.grid.metres_per_pixel / 2
            )
            answered = learned.answer(got.model, batch, placeholder if truth is None else truth)
            posterior = {k: float(v[0]) for k, v in answered.posterior.items()}
            if truth is None:
                posterior.update(dict.fromkeys(("credible_level", "in50", "in90"), float("nan")))
            xy, readout, fitted = answered.xy_m[0], answered.readout, f"{trained_on}; {got.path}"
        else:
            name, options = variant_options(spec)
            model = create_model(name, **options).fit(train, train_truth)
            tick = time.perf_counter()
            xy, readout, posterior, fitted = (
                model.predict(batch)[0],
                POINT,
                _no_posterior(),
                trained_on,
            )
        ms = (time.perf_counter() - tick) * 1000
        xy = from_dataset_grid(dataset, grid, xy)
        answers.append(SampleAnswer(spec, readout, xy, fitted, scored_as, ms, posterior))
    return answers, notes
