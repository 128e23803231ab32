"""Metrics people read beside RMSE: the median error and the share of answers within 10 m,
and the one-line takeaway under a chart, computed from the table it draws.

RMSE squares every error, so a model that is right most of the time and far off (another
street block) now and then can have the RMSE of one that is always moderately wrong;
"% within 10 m" says how often the answer is usable, the median what a typical answer
misses by. The Benchmark opens on "% within 10 m" for that reason. Errors in metres,
shares in percent (0-100), sampling rates in percent of the pixels.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from locnet.models.registry import DEFAULT_VARIANT
from locnet.report.chance import CHANCE_LABEL
from locnet.report.series import ENV_VARIANT, LOCNET, METRICS, series_label
from locnet.report.tables import NEAR_M

WITHIN_METRIC = "within10_pct"  # column of summary tables: % of answers within NEAR_M
HIGHER_IS_BETTER = {WITHIN_METRIC}
REFERENCE_MODELS = ("centre",)  # the floor every method must beat: never a "rival"
KEYS = ["model", "variant", "readout", "rate_percent"]


def within_percent(errors_m: pd.Series | np.ndarray, within_m: float = NEAR_M) -> float:
    """Share (%) of errors at most `within_m` metres; NaN for no errors."""
    errors = np.asarray(errors_m, dtype=float)
    return float(100.0 * np.mean(errors <= within_m)) if errors.size else float("nan")


def with_within(summary: pd.DataFrame, samples: pd.DataFrame | None) -> pd.DataFrame:
    """summary.csv rows plus WITHIN_METRIC per (model, variant, readout, rate), counted on
    samples.parquet (NaN without samples, or for a series the samples lack)."""
    out = summary.drop(columns=[WITHIN_METRIC], errors="ignore")
    if samples is None or samples.empty:
        return out.assign(**{WITHIN_METRIC: np.nan})
    rows = samples.assign(rate_percent=samples["rate_percent"].astype(float).round(4))
    shares = (
        rows.groupby(KEYS, sort=False)["error_m"]
        .apply(within_percent)
        .rename(WITHIN_METRIC)
        .reset_index()
    )
    out = out.assign(_rate=out["rate_percent"].astype(float).round(4))
    merged = out.merge(
        shares.rename(columns={"rate_percent": "_rate"}),
        on=["model", "variant", "readout", "_rate"],
        how="left",
    )
    return merged.drop(columns="_rate")


def metric_unit(metric: str) -> str:
    """'%' for shares, 'm' for distances."""
    return "%" if metric in HIGHER_IS_BETTER else "m"


def format_metric(value: float, metric: str) -> str:
    """'52 %' or '9.8 m'."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{value:.0f} %" if metric in HIGHER_IS_BETTER else f"{value:.1f} m"


def main_locnet(keys: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The LocNet series a takeaway speaks of: its paper setting (env-focal) first."""
    for variant in (ENV_VARIANT, DEFAULT_VARIANT):
        if (LOCNET, variant) in keys:
            return (LOCNET, variant)
    return next((k for k in keys if k[0] == LOCNET), None)


def _says(label: str, metric: str, value: float) -> str:
    """"LocNet puts 52 % of its answers within 10 m" / "LocNet's median error is 9.8 m"."""
    if metric == WITHIN_METRIC:
        return f"{label} puts {format_metric(value, metric)} of its answers within {NEAR_M:g} m"
    return f"{label}'s {METRICS.get(metric, metric)} is {format_metric(value, metric)}"


def _averages(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    rows = table.dropna(subset=[metric])
    return rows.pivot_table(index=["model", "variant"], columns="rate_percent", values=metric)


def takeaway(
    table: pd.DataFrame, metric: str, chance: Mapping[tuple[str, str], str] | None = None
) -> str:
    """One sentence under a metric-vs-rate chart, from the rows it draws (one readout per
    series): LocNet's average over rates against the best other model that is not at
    chance and not the map-centre reference, and at how many rates LocNet leads. A
    comparison only against models at chance says so instead of claiming a win."""
    chance = dict(chance or {})
    pivot = _averages(table, metric)
    if pivot.empty:
        return ""
    higher = metric in HIGHER_IS_BETTER
    average = pivot.mean(axis=1)
    keys = [tuple(k) for k in pivot.index]
    ours = main_locnet(keys)
    rivals = [k for k in keys if k != ours and k[0] != LOCNET and k[0] not in REFERENCE_MODELS]
    fair = [k for k in rivals if k not in chance]
    if ours is None:
        if not fair:
            return ""
        best = max(fair, key=average.get) if higher else min(fair, key=average.get)
        return (
            f"Best here: {_says(series_label(*best), metric, average[best])} (average over "
            f"{pivot.shape[1]} rates)."
        )
    n_rates = int(pivot.loc[[ours]].notna().sum(axis=1).iloc[0])
    lead = f"{_says(series_label(*ours), metric, average[ours])} (average over {n_rates} rates)"
    if not fair:
        if rivals:
            return (
                lead + "; every other model here is at chance (not trained enough), so this "
                "is no win over them."
            )
        return lead + "."
    best = max(fair, key=average.get) if higher else min(fair, key=average.get)
    both = pivot.loc[[ours, best]].dropna(axis=1)
    ahead = (both.iloc[0] > both.iloc[1]) if higher else (both.iloc[0] < both.iloc[1])
    text = (
        f"{lead}, against {format_metric(average[best], metric)} for the best other model, "
        f"{series_label(*best)}; {series_label(*ours)} is ahead at {int(ahead.sum())} of "
        f"{both.shape[1]} rates."
    )
    left_out = [series_label(*k) for k in rivals if k in chance]
    if left_out:
        text += f" Not compared (at chance): {', '.join(left_out)}."
    return text


OVERVIEW_METRICS = (WITHIN_METRIC, "median_m", "rmse_m")


def overview_table(
    table: pd.DataFrame, chance: Mapping[tuple[str, str], str] | None = None
) -> pd.DataFrame:
    """Per series (one readout each), averaged over its rates: % within 10 m, median
    error and RMSE side by side, best share first; series at chance say so in `chance`."""
    chance = dict(chance or {})
    metrics = [m for m in OVERVIEW_METRICS if m in table.columns]
    grouped = table.groupby(["model", "variant"], sort=False)
    out = grouped[metrics].mean().reset_index()
    out.insert(0, "series", list(map(series_label, out["model"], out["variant"])))
    out["n_rates"] = grouped["rate_percent"].nunique().to_numpy()
    out["chance"] = [
        CHANCE_LABEL if (m, v) in chance else ""
        for m, v in zip(out["model"], out["variant"])
    ]
    order = WITHIN_METRIC if WITHIN_METRIC in metrics and out[WITHIN_METRIC].notna().any() else "rmse_m"
    out = out.sort_values(order, ascending=order != WITHIN_METRIC, kind="stable")
    return out.drop(columns=["model", "variant"]).reset_index(drop=True)


def fair_winner_line(winners: pd.DataFrame, series: list[str], at_chance: set[str]) -> str:
    """Who has the lowest RMSE at how many rates (winners: report.campaign.rate_winners),
    never calling a win against models at chance a win: when every other series is at
    chance it says there is no comparison; otherwise the series at chance are named."""
    if winners.empty:
        return "No rates evaluated."
    counts = winners["best"].value_counts()
    parts = [f"{name} at {n} of {len(winners)}" for name, n in counts.items()]
    line = "Lowest RMSE per rate: " + ", ".join(parts) + " rates"
    others = [s for s in series if s not in counts.index]
    if others and all(s in at_chance for s in others):
        return (
            line + f", but every other model here is at chance (not trained enough: "
            f"{', '.join(others)}), so this is no win over them."
        )
    named = [s for s in series if s in at_chance]
    return line + (f". At chance, not compared: {', '.join(named)}." if named else ".")


def size_takeaway(
    averages: pd.DataFrame, metric: str, chance: Mapping[tuple[str, str], str] | None = None
) -> str:
    """One sentence under the size-vs-error chart: the best model (not at chance) with a
    parameter count and how its size compares with the largest model drawn."""
    chance = dict(chance or {})
    rows = averages[(averages["parameters"].fillna(0) > 0)]
    fair = np.array([(m, v) not in chance for m, v in zip(rows["model"], rows["variant"])], bool)
    rows = rows[fair]
    rows = rows.dropna(subset=[metric])
    if rows.empty:
        return ""
    higher = metric in HIGHER_IS_BETTER
    best = rows.sort_values(metric, ascending=not higher, kind="stable").iloc[0]
    largest = rows.sort_values("parameters", ascending=False, kind="stable").iloc[0]
    text = (
        f"Best {METRICS.get(metric, metric)} among the trained models drawn: "
        f"{series_label(best['model'], best['variant'])} "
        f"({format_metric(best[metric], metric)}, {int(best['parameters']):,} parameters)"
    )
    if largest["model"] != best["model"]:
        ratio = largest["parameters"] / best["parameters"]
        text += (
            f"; {series_label(largest['model'], largest['variant'])} has {ratio:,.0f}x the "
            f"parameters and {format_metric(largest[metric], metric)}"
        )
    return text + "."


def environment_accuracy(
    samples: pd.DataFrame | None, model: str, variant: str, rate_percent: float | None = None
) -> pd.DataFrame:
    """Per map of one series (one readout): median error (m) and % within 10 m, from
    samples.parquet; columns map, median_m, within10_pct (empty without samples)."""
    columns = ["map", "median_m", WITHIN_METRIC]
    if samples is None:
        return pd.DataFrame(columns=columns)
    rows = samples[(samples["model"] == model) & (samples["variant"] == variant)]
    if rate_percent is not None:
        rows = rows[np.isclose(rows["rate_percent"].astype(float), rate_percent)]
    grouped = rows.groupby(rows["map"].astype(str))["error_m"]
    out = pd.DataFrame(
        {"median_m": grouped.median(), WITHIN_METRIC: grouped.apply(within_percent)}
    )
    return out.rename_axis("map").reset_index()[columns]
