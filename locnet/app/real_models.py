"""Measurement models on one measured sample (real data, docs/real-data.md): no Streamlit.

A fitted measurement model reads receiver-indexed batches (locnet.models.measurement):
its columns are the receivers it was fitted on. One sample - a POWDER test sample, or any
`MeasuredSample` (a campaign case) - becomes a one-row batch in the fitted model's
`ReceiverLayout`: the heard receivers' readings and positions in their columns, the fixed
receivers that did not hear it at their known places (the learned models read such a
receiver as a 0 level, as the dataset's batches do). Its answer is computed as
`python -m locnet evaluate-powder` computes it (the classical model's `predict`, the
learned model's `measurements.learned.answer`), so the error on a test sample is the one
in results/powder/<split>/samples.parquet; a learned model also gives its calibrated
posterior over the raster cells and the 50 / 90 % credible regions, for the map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from locnet.errors import LocNetError
from locnet.measurements import learned
from locnet.measurements.campus import CampusGrid
from locnet.measurements.dataset import MeasuredSample
from locnet.measurements.evaluate import is_learned
from locnet.models.measurement import MeasuredBatch
from locnet.models.registry import create_model, variant_options
from locnet.posterior import distribution as P
from locnet.posterior.calibration import Calibration, answer_batch
from locnet.report.display import readable_table
from locnet.viz.campus_map import MapAnswer, MapPosterior

TABLE_COLUMNS = (
    "model",
    "answer",
    "error (m)",
    "mean's error (m)",
    "median's error (m)",
    "expected error (m)",
    "90 % region radius (m)",
    "truth in 90 % region",
    "x, y (m)",
    "lat, lon",
)


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


@dataclass(frozen=True)
class SampleAnswer:
    """One model's answer on one sample: its readout and position (grid metres), every
    readout's position (a posterior's mode, mean, median), the error against the first
    transmitter (None without one), and for a posterior its evaluate-powder columns
    (credible_level, area50_m2, area90_m2, expected_error_m, in50, in90) and the map."""

    spec: str
    readout: str
    xy_m: np.ndarray
    by_readout: dict[str, np.ndarray]
    error_m: float | None
    posterior_columns: dict[str, float]
    posterior: MapPosterior | None
    unknown_receivers: tuple[str, ...] = ()

    def readout_error_m(self, readout: str, truth_m: np.ndarray | None) -> float | None:
        if truth_m is None or readout not in self.by_readout:
            return None
        return float(np.hypot(*(self.by_readout[readout] - truth_m)))


def fit_classical(spec: str, train: MeasuredBatch, truth_m: np.ndarray):
    """A classical measurement model fitted on a training side (seconds; evaluate-powder's
    fit)."""
    name, options = variant_options(spec)
    return create_model(name, **options).fit(train, truth_m)


def _posterior_map(model, batch: MeasuredBatch, spec: str) -> MapPosterior:
    """The calibrated posterior over the model's raster cells and its credible regions."""
    model.network.calibration = Calibration.from_dict(model.calibration)
    grid = model.raster(batch)
    outdoor = torch.ones(1, grid.size, grid.size, dtype=torch.bool)
    with torch.inference_mode():
        probs = answer_batch(model.network, model.inputs(batch), outdoor).probs
    masks, _ = P.regions(probs, P.REGION_LEVELS)
    return MapPosterior(
        spec, probs[0].numpy(), masks[0].numpy(), P.REGION_LEVELS, grid.x0, grid.y0, grid.cell_m
    )


def answer_sample(model, spec: str, layout: ReceiverLayout, sample: MeasuredSample) -> SampleAnswer:
    """`model` (fitted or loaded for `spec`) on one single-transmitter sample; a LocNetError
    for a sample with two transmitters (not solved yet) or none of the model's receivers."""
    if len(sample.truth_m) > 1:
        raise LocNetError(
            f"sample {sample.sample} has {len(sample.truth_m)} transmitters: not solved yet"
        )
    batch, unknown = sample_batch(layout, sample)
    if not batch.heard.any():
        raise LocNetError(
            f"sample {sample.sample}: none of its receivers is one {spec} was fitted on"
        )
    truth = sample.truth_m[0] if len(sample.truth_m) else None
    if is_learned(spec):
        answered = learned.answer(model, batch, np.zeros((1, 2)) if truth is None else truth[None])
        by_readout = {r: xy[0] for r, xy in answered.by_readout.items()}
        columns = {k: v[0].item() for k, v in answered.posterior.items()}
        if truth is None:  # the credible level of a made-up truth means nothing
            columns = {k: np.nan for k in columns}
        readout, xy = answered.readout, answered.xy_m[0]
        posterior = _posterior_map(model, batch, spec)
    else:
        xy = model.predict(batch)[0]
        readout, by_readout, columns, posterior = P.POINT_READOUT, {P.POINT_READOUT: xy}, {}, None
    error = None if truth is None else float(np.hypot(*(xy - truth)))
    return SampleAnswer(spec, readout, xy, by_readout, error, columns, posterior, tuple(unknown))


def map_answers(answers: Sequence[SampleAnswer]) -> list[MapAnswer]:
    """The answers as the figure's markers, named for the legend: the model, its readout
    and its error ('rss-mlp (median): 12.7 m'), so the map reads without the table."""
    out = []
    for a in answers:
        label = a.spec if a.readout == P.POINT_READOUT else f"{a.spec} ({a.readout})"
        if a.error_m is not None:
            label += f": {a.error_m:.1f} m"
        out.append(MapAnswer(label, (float(a.xy_m[0]), float(a.xy_m[1])), a.error_m))
    return out


def results_table(
    answers: Sequence[SampleAnswer], grid: CampusGrid, truth_m: np.ndarray | None
) -> pd.DataFrame:
    """One row per model: its answer's error in metres (as evaluate-powder scores it), for a
    posterior the errors of its mean and median, the expected error sqrt(E[d^2]), the 90 %
    region's equivalent radius and whether it holds the truth; position in metres and
    lat/lon. A number a model does not have is a blank."""
    rows = []
    for a in answers:
        lat, lon = grid.m_to_latlon(a.xy_m[0], a.xy_m[1])
        cols = a.posterior_columns
        area = cols.get("area90_m2")
        in90 = cols.get("in90")
        rows.append(
            {
                "model": a.spec,
                "answer": a.readout,
                "error (m)": a.error_m,
                "mean's error (m)": a.readout_error_m("mean", truth_m),
                "median's error (m)": a.readout_error_m("median", truth_m),
                "expected error (m)": cols.get("expected_error_m"),
                "90 % region radius (m)": None if area is None else P.equivalent_radius_m(area),
                "truth in 90 % region": None
                if in90 is None or truth_m is None
                else ("yes" if in90 else "no"),
                "x, y (m)": f"({a.xy_m[0]:.0f}, {a.xy_m[1]:.0f})",
                "lat, lon": f"{float(lat):.6f}, {float(lon):.6f}",
            }
        )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return readable_table(table)
