"""Readouts in result tables: which answer a row is, which one to show, how reliable it is.

A heatmap model is evaluated three times per sample, once per readout of its calibrated
posterior (`mode`, the paper's argmax; `mean`; `median`); every other model once, as
`point` (locnet.posterior.distribution). Pages show one readout at a time (`select_readout`), so each
(model, variant) series appears once. Coverage and the case filters use the posterior
columns of samples.parquet; credible_level is the mass more probable than the true
pixel, so the truth is inside the level-a region exactly when credible_level < a.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from locnet.evaluate.metrics import error_statistics
from locnet.posterior.calibration import Calibration
from locnet.posterior.distribution import (
    DEFAULT_READOUT,
    POINT_READOUT,
    READOUTS,
    REGION_LEVELS,
    RELIABILITY_LEVELS,
    equivalent_radius_m,
)
from locnet.report.series import ENV_VARIANT, HEADLINE_RATES, LOCNET, series_label

READOUT_LABELS = {  # short: they name selector options and table columns
    "mode": "mode (the paper's)",
    "mean": "posterior mean",
    "median": "spatial median",
    POINT_READOUT: "point answer",
}
READOUT_HELP = (  # why each readout exists
    "mode: the most probable pixel, the paper's argmax. mean: the posterior's mean, the answer "
    "with the least expected squared error (RMSE). median: its spatial median, the answer with "
    "the least expected distance. Models without a heatmap give one point answer."
)
RELIABILITY_TOLERANCE = 0.07  # observed coverage within ±7 points of nominal looks calibrated
# A "lucky" case: the answer is close although the posterior did not know it would be.
LUCKY_MAX_ERROR_M = 10.0  # at most this far from the truth (m)...
LUCKY_MIN_RADIUS_M = 50.0  # ...while the 90 % region is as large as a disc of this radius (m)
# "Confidently wrong": the truth outside a 90 % region no larger than a disc of this radius.
CONFIDENT_RADIUS_M = 30.0


def readout_label(readout: str) -> str:
    """What a readout name means, for captions and selectors."""
    return READOUT_LABELS.get(readout, readout)


def readout_note(readout: str | None) -> str:
    """One caption sentence naming the answer the numbers are of."""
    if readout is None:
        return "Every model here gives one point answer (no heatmap readouts)."
    return (
        f"Heatmap models read out by their **{readout_label(readout)}**; the others give "
        "their one point answer."
    )


def heatmap_readouts(table: pd.DataFrame) -> list[str]:
    """The posterior readouts present in a table, the paper's first (empty: point models only)."""
    present = set(table["readout"].astype(str)) - {POINT_READOUT}
    return [r for r in READOUTS if r in present] + sorted(present - set(READOUTS))


def select_readout(table: pd.DataFrame, readout: str | None) -> pd.DataFrame:
    """Rows of one heatmap readout plus every `point` row: one answer per series.

    None (or a table without readouts) keeps the table as it is.
    """
    if readout is None or "readout" not in table.columns:
        return table
    return table[table["readout"].isin([readout, POINT_READOUT])]


def checkpoint_calibrations(meta: Mapping) -> dict[tuple[str, str], Calibration]:
    """(model, variant) -> the Calibration meta.json records for its checkpoint
    (uncalibrated where the entry is null or absent, e.g. folders written before)."""
    checkpoints = meta.get("checkpoints") or {}
    entries = checkpoints.values() if isinstance(checkpoints, Mapping) else checkpoints
    found = {}
    for entry in entries:
        if isinstance(entry, Mapping) and "model" in entry:
            key = (str(entry["model"]), str(entry.get("variant", "default")))
            found[key] = Calibration.from_dict(entry.get("calibration"))
    return found


def calibration_label(meta: Mapping, model: str, variant: str) -> str:
    """Calibration.label() of one series' checkpoint ('uncalibrated (T = 1)' without one)."""
    return checkpoint_calibrations(meta).get((model, variant), Calibration()).label()


def default_readout(meta: Mapping, available: list[str]) -> str | None:
    """The readout to show first: LocNet's calibrated default (its env-focal checkpoint
    first), else `mode`, else the first available; None when nothing has a readout."""
    if not available:
        return None
    locnet = sorted(
        (variant != ENV_VARIANT, variant, cal)
        for (model, variant), cal in checkpoint_calibrations(meta).items()
        if model == LOCNET
    )
    preferred = locnet[0][2].default_readout if locnet else DEFAULT_READOUT
    for readout in (preferred, DEFAULT_READOUT):
        if readout in available:
            return readout
    return available[0]


def coverage_table(samples: pd.DataFrame, levels=RELIABILITY_LEVELS) -> pd.DataFrame:
    """Nominal level vs observed coverage (share of samples whose truth is inside the
    level's region) per model, variant and readout; rows without a posterior are left out.
    Columns model, variant, readout, level, coverage, n."""
    rows = samples.dropna(subset=["credible_level"])
    keys = ["model", "variant", "readout"]
    out = []
    for key, group in rows.groupby(keys, sort=True):
        level = group["credible_level"].to_numpy(dtype=float)
        out += [(*key, a, float(np.mean(level < a)), len(level)) for a in levels]
    return pd.DataFrame(out, columns=[*keys, "level", "coverage", "n"])


def reliability_gaps(coverage: pd.DataFrame) -> pd.DataFrame:
    """Per series and readout: the largest |observed - nominal| coverage and whether it
    stays within RELIABILITY_TOLERANCE. Columns model, variant, readout, max_gap, within."""
    gap = (coverage["coverage"] - coverage["level"]).abs()
    table = (
        coverage.assign(gap=gap)
        .groupby(["model", "variant", "readout"], as_index=False)["gap"]
        .max()
        .rename(columns={"gap": "max_gap"})
    )
    table["within"] = table["max_gap"] <= RELIABILITY_TOLERANCE
    return table


def calibration_summary(samples: pd.DataFrame, meta: Mapping) -> pd.DataFrame:
    """Per heatmap series and readout, over all rates: its checkpoint's calibration
    (Calibration.label), the observed coverage of the 50 / 90 % regions, the RMSE (m)
    beside the RMSE the posterior expects (sqrt of mean expected_error_m^2), and the
    largest reliability gap over RELIABILITY_LEVELS. Empty without posterior columns."""
    keys = ["model", "variant", "readout"]
    rows = samples.dropna(subset=["credible_level"])
    gaps = reliability_gaps(coverage_table(rows)).set_index(keys)
    out = []
    for key, group in rows.groupby(keys, sort=True):
        level = group["credible_level"].to_numpy(dtype=float)
        out.append(
            {
                **dict(zip(keys, key)),
                "series": series_label(key[0], key[1]),
                "calibration": calibration_label(meta, key[0], key[1]),
                **{f"coverage{round(100 * a)}": float(np.mean(level < a)) for a in REGION_LEVELS},
                "rmse_m": error_statistics(group["error_m"])["rmse_m"],
                "expected_rmse_m": float(np.sqrt(np.mean(group["expected_error_m"] ** 2))),
                "max_gap": float(gaps.loc[key, "max_gap"]),
                "within": bool(gaps.loc[key, "within"]),
                "n": len(group),
            }
        )
    return pd.DataFrame(out)


def radius90_m(samples: pd.DataFrame) -> pd.Series:
    """Equivalent radius (m) of each row's 90 % region (NaN without a posterior)."""
    return equivalent_radius_m(samples["area90_m2"].astype(float))


def confidently_wrong(
    samples: pd.DataFrame, max_radius_m: float = CONFIDENT_RADIUS_M
) -> pd.DataFrame:
    """Rows whose truth lies outside a narrow 90 % region (equivalent radius at most
    `max_radius_m`): the posterior was sure, and wrong. A diffuse posterior that misses is
    not confident. Rows without region areas (no `area90_m2` column) are judged by the
    region alone."""
    outside = samples["in90"] == 0
    if "area90_m2" not in samples.columns:
        return samples[outside]
    return samples[outside & (radius90_m(samples) <= max_radius_m)]


def lucky(
    samples: pd.DataFrame,
    max_error_m: float = LUCKY_MAX_ERROR_M,
    min_radius_m: float = LUCKY_MIN_RADIUS_M,
) -> pd.DataFrame:
    """Rows with a small error whose 90 % region was nevertheless large: right by luck."""
    return samples[(samples["error_m"] <= max_error_m) & (radius90_m(samples) >= min_radius_m)]


def readout_rmse(summary: pd.DataFrame, rates=HEADLINE_RATES) -> pd.DataFrame:
    """RMSE (m) of each heatmap series per readout, averaged over the `rates` it has
    (the paper's 0.01–0.09 %): index = series label, one column per readout, best first."""
    rows = summary[summary["readout"] != POINT_READOUT]
    rows = rows[rows["rate_percent"].round(2).isin([round(r, 2) for r in rates])]
    if rows.empty:
        return pd.DataFrame()
    rows = rows.assign(series=list(map(series_label, rows["model"], rows["variant"])))
    table = rows.pivot_table(index="series", columns="readout", values="rmse_m", aggfunc="mean")
    table = table[[r for r in heatmap_readouts(rows) if r in table.columns]]
    return table.sort_values(next(iter(table.columns))).rename_axis(columns=None)
