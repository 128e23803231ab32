"""Comparisons over result tables: averages, relative improvements, best/worst rankings.

Pure functions of the DataFrames of locnet.evaluate.folders; errors in metres. A series
is compared under one readout: pass tables through results.select_readout first (a
series with several readouts here is a ValueError, not a silent average over them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from locnet.report.readouts import confidently_wrong, lucky, radius90_m
from locnet.report.series import ENV_VARIANT, LOCNET, LOSS_VARIANTS

CASE_VIEWS = ("best", "worst", "confidently wrong", "lucky", "all")  # the Cases page's filter


def _one_readout(rows: pd.DataFrame) -> pd.DataFrame:
    """`rows` unchanged if no series in it has more than one readout, else ValueError."""
    if "readout" not in rows.columns:
        return rows
    if rows.groupby(["model", "variant"])["readout"].nunique().gt(1).any():
        raise ValueError("several readouts of one series: pick one with results.select_readout")
    return rows


def average_over_rates(summary: pd.DataFrame, metric: str = "rmse_m") -> pd.DataFrame:
    """Mean of `metric` over sampling rates per (model, variant), best first (the paper's 'average RMSE')."""
    keys = ["model", "variant"] + (["readout"] if "readout" in summary.columns else [])
    table = (
        _one_readout(summary)
        .groupby(keys, as_index=False)
        .agg(
            **{metric: (metric, "mean"), "n_rates": ("rate_percent", "nunique"), "n": ("n", "sum")}
        )
    )
    return table.sort_values(metric, kind="stable").reset_index(drop=True)


def relative_improvement(
    summary: pd.DataFrame,
    baseline: tuple[str, str],
    improved: tuple[str, str],
    metric: str = "rmse_m",
) -> pd.DataFrame:
    """Per shared rate and on average: how many % lower `improved`'s metric is than `baseline`'s.

    Columns rate_percent (NaN on the 'average' row), baseline, improved, improvement_percent
    = (baseline - improved) / baseline * 100; empty if the two share no rate.
    """

    def curve(key: tuple[str, str]) -> pd.Series:
        rows = _one_readout(summary[(summary["model"] == key[0]) & (summary["variant"] == key[1])])
        return rows.groupby("rate_percent")[metric].mean()

    both = pd.concat({"baseline": curve(baseline), "improved": curve(improved)}, axis=1).dropna()
    if both.empty:
        return pd.DataFrame(columns=["rate_percent", "baseline", "improved", "improvement_percent"])
    both.loc[np.nan] = both.mean()
    both["improvement_percent"] = (both["baseline"] - both["improved"]) / both["baseline"] * 100
    return both.rename_axis("rate_percent").reset_index()


def select_series(table: pd.DataFrame, keys: list[tuple[str, str]]) -> pd.DataFrame:
    """Rows of `table` whose (model, variant) is in `keys`."""
    wanted = pd.MultiIndex.from_tuples(keys, names=["model", "variant"]) if keys else []
    return table[pd.MultiIndex.from_frame(table[["model", "variant"]]).isin(wanted)]


def rank_environments(
    per_env: pd.DataFrame, model: str, variant: str, rate_percent: float | None = None
) -> pd.DataFrame:
    """Per-environment RMSE (m) of one model, best first. rate None pools all rates
    (RMSE over all their samples: sqrt(sum n*rmse^2 / sum n))."""
    rows = _one_readout(per_env[(per_env["model"] == model) & (per_env["variant"] == variant)])
    if rate_percent is not None:
        rows = rows[np.isclose(rows["rate_percent"], rate_percent)]
    rows = rows.assign(sq=rows["rmse_m"] ** 2 * rows["n"], err=rows["mean_m"] * rows["n"])
    pooled = rows.groupby(["map", "env_id", "city"], as_index=False, dropna=False)[
        ["sq", "err", "n"]
    ].sum()
    pooled["rmse_m"] = np.sqrt(pooled["sq"] / pooled["n"])
    pooled["mean_m"] = pooled["err"] / pooled["n"]
    pooled = pooled.drop(columns=["sq", "err"]).sort_values(["rmse_m", "map"], kind="stable")
    return pooled.reset_index(drop=True)


def rank_cases(
    samples: pd.DataFrame,
    model: str,
    variant: str,
    rate_percent: float | None = None,
    cities: list[str] | None = None,
    worst: bool = False,
    k: int = 8,
) -> pd.DataFrame:
    """The k samples with the smallest (or largest) error in metres for one model."""
    rows = _one_readout(samples[(samples["model"] == model) & (samples["variant"] == variant)])
    if rate_percent is not None:
        rows = rows[np.isclose(rows["rate_percent"], rate_percent)]
    if cities:
        rows = rows[rows["city"].isin(cities)]
    rows = rows.sort_values(
        ["error_m", "map", "tx", "mask"], ascending=[not worst, True, True, True], kind="stable"
    )
    return rows.head(k).reset_index(drop=True)


def pick_cases(
    samples: pd.DataFrame,
    model: str,
    variant: str,
    view: str = "best",
    rate_percent: float | None = None,
    cities: list[str] | None = None,
    k: int = 8,
) -> pd.DataFrame:
    """Up to k samples of one series for a CASE_VIEWS view: best / worst by error,
    confidently wrong (truth outside a narrow 90 % region, worst first), lucky (small
    error, large 90 % region, largest region first), or all (in map, transmitter, mask
    order). One sample per (map, transmitter): the first in the view's order, so k cards
    show k different transmitters rather than one transmitter's masks and rates."""
    if view not in CASE_VIEWS:
        raise ValueError(f"unknown view '{view}'; use one of {', '.join(CASE_VIEWS)}")
    rows = rank_cases(
        samples, model, variant, rate_percent, cities, view not in ("best", "lucky"), len(samples)
    )
    if view == "confidently wrong":
        rows = confidently_wrong(rows)
    elif view == "lucky":
        rows = lucky(rows)
        rows = rows.assign(r=radius90_m(rows)).sort_values("r", ascending=False, kind="stable")
        rows = rows.drop(columns="r")
    elif view == "all":
        rows = rows.sort_values(["map", "tx", "mask", "rate_percent"], kind="stable")
    rows = rows.drop_duplicates(["map", "tx"], keep="first")
    return rows.head(k).reset_index(drop=True)


def same_case(
    samples: pd.DataFrame, case: pd.Series | dict, model: str, variant: str
) -> pd.Series | None:
    """Another model's row for the same (map, tx, mask, rate) sample, or None if it was not evaluated."""
    rows = samples[
        (samples["map"] == case["map"])
        & (samples["tx"] == case["tx"])
        & (samples["mask"] == case["mask"])
        & np.isclose(samples["rate_percent"], case["rate_percent"])
        & (samples["model"] == model)
        & (samples["variant"] == variant)
    ]
    return None if rows.empty else rows.iloc[0]


def loss_comparison(summary: pd.DataFrame, metric: str = "rmse_m") -> pd.DataFrame:
    """LocNet's losses averaged over the rates they share with focal loss, best first.

    focal_better_percent = how many % lower focal loss's average is than this loss's.
    """
    rows = []
    for variant, name in LOSS_VARIANTS.items():
        imp = relative_improvement(summary, (LOCNET, variant), (LOCNET, ENV_VARIANT), metric)
        if not imp.empty:
            rows.append(
                (variant, name, imp["baseline"].iloc[-1], imp["improvement_percent"].iloc[-1])
            )
    table = pd.DataFrame(rows, columns=["variant", "loss", metric, "focal_better_percent"])
    return table.sort_values(metric, kind="stable").reset_index(drop=True)
