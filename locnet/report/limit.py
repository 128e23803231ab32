"""The physical limit: how far each model is from what its sensors allow (docs/results.md).

On data our simulator made, `simfit` with the exact parameters is an oracle: it scores
every pixel by how well the simulated gains fit the readings. Its RMSE is the limit a
localizer of these sensors can approach, and a model's distance to it (RMSE / limit) is
the number to shrink. Both are measured on the SAME samples: the limit folder is usually
evaluated on fewer masks (simfit costs about a second per case), so every model's samples
are matched to it by (map, transmitter, rate, mask).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from locnet.errors import LocNetError
from locnet.evaluate.folders import ResultSet
from locnet.posterior.distribution import POINT_READOUT
from locnet.report.series import HEADLINE_RATES, series_label

LIMIT_SERIES = ("simfit", "default", "mode")  # exact parameters, its maximum-likelihood pixel
LIMIT_LABEL = "physical limit: simfit, exact parameters (oracle), mode"
SAMPLE_KEYS = ["map", "tx", "rate_percent", "mask"]


def _rmse(errors: pd.Series) -> float:
    return float(np.sqrt(np.mean(np.square(errors)))) if len(errors) else float("nan")


def limit_table(models: ResultSet, limit: ResultSet) -> pd.DataFrame:
    """One row per (series, rate): RMSE on the samples both folders hold, the limit's RMSE
    there, their ratio and the number of matched samples; the limit's own rows
    (is_limit) come first."""
    for res in (models, limit):
        if res.samples is None:
            raise LocNetError(f"{res.folder} has no per-sample table; re-run `evaluate` into it")
    model, variant, readout = LIMIT_SERIES
    oracle = limit.samples[
        (limit.samples["model"] == model)
        & (limit.samples["variant"] == variant)
        & (limit.samples["readout"] == readout)
    ]
    if oracle.empty:
        raise LocNetError(
            f"{limit.folder} holds no '{model}' results; evaluate `--models {model}` into it"
        )
    oracle = oracle[SAMPLE_KEYS + ["error_m"]].assign(limit_m=oracle["error_m"])
    matched = models.samples.merge(oracle.drop(columns="error_m"), on=SAMPLE_KEYS, how="inner")
    series = [(LIMIT_SERIES, True, oracle)]
    series += [(key, False, group) for key, group in matched.groupby(["model", "variant", "readout"], sort=False)]
    rows = []
    for (name, var, read), is_limit, group in series:
        for rate, at in group.groupby("rate_percent"):
            rmse, floor = _rmse(at["error_m"]), _rmse(at["limit_m"])
            rows.append(
                {
                    "model": name,
                    "variant": var,
                    "readout": read,
                    "is_limit": is_limit,
                    "rate_percent": float(rate),
                    "rmse_m": rmse,
                    "limit_rmse_m": floor,
                    "times_limit": rmse / floor if floor > 0 else float("nan"),
                    "n": len(at),
                }
            )
    return pd.DataFrame(rows)


def _cell(value: float, digits: int = 1) -> str:
    return "–" if not np.isfinite(value) else f"{value:.{digits}f}"


def limit_markdown(models: ResultSet, limit: ResultSet) -> str:
    """The limit row and each model's RMSE (m) with its distance (x limit) per rate, and
    the averages over the paper's rates 0.01–0.09 %."""
    table = limit_table(models, limit)
    rates = sorted(table["rate_percent"].unique())
    header = "| model | " + " | ".join(f"{r:g} %" for r in rates) + " | avg 0.01–0.09 % |"
    lines = [header, "|---" * (len(rates) + 2) + "|"]
    for (is_limit, model, variant, readout), rows in table.groupby(
        ["is_limit", "model", "variant", "readout"], sort=False
    ):
        rows = rows.set_index("rate_percent")
        headline = rows[rows.index.isin(HEADLINE_RATES)]
        if is_limit:
            name = f"**{LIMIT_LABEL}**"
            cells = [f"**{_cell(rows['rmse_m'].get(r, np.nan))}**" for r in rates]
            average = f"**{_cell(headline['rmse_m'].mean())}**"
        else:
            label = series_label(model, variant)
            name = label if readout == POINT_READOUT else f"{label}, {readout}"
            cells = [
                f"{_cell(rows['rmse_m'].get(r, np.nan))} (x{_cell(rows['times_limit'].get(r, np.nan))})"
                for r in rates
            ]
            mean, floor = headline["rmse_m"].mean(), headline["limit_rmse_m"].mean()
            average = f"{_cell(mean)} (x{_cell(mean / floor if floor > 0 else np.nan)})"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {average} |")
    n = int(table["n"].min()) if len(table) else 0
    lines += [
        "",
        f"RMSE in metres (x = times the limit), on the samples both `{models.folder}` and "
        f"`{limit.folder}` hold (at least {n} per rate). The limit is an oracle on data our "
        "simulator made with these parameters: no method that does not know them reaches it; "
        "the distance from it is what the sensors would still allow.",
    ]
    return "\n".join(lines)


def matched_markdown(models: ResultSet, extra: ResultSet) -> str:
    """RMSE (m) per rate of every series of both folders, on the samples both hold (`extra`
    usually has fewer masks: the physics models on the shifted test set), with the average
    over the paper's rates and each series' mean error."""
    for res in (models, extra):
        if res.samples is None:
            raise LocNetError(f"{res.folder} has no per-sample table; re-run `evaluate` into it")
    keys = extra.samples[SAMPLE_KEYS].drop_duplicates()
    table = pd.concat(
        [models.samples.merge(keys, on=SAMPLE_KEYS), extra.samples.merge(keys, on=SAMPLE_KEYS)],
        ignore_index=True,
    )
    rates = sorted(table["rate_percent"].unique())
    header = "| model | " + " | ".join(f"{r:g} %" for r in rates) + " | avg 0.01–0.09 % | mean error |"
    lines = [header, "|---" * (len(rates) + 3) + "|"]
    rows = []
    for (model, variant, readout), group in table.groupby(["model", "variant", "readout"], sort=False):
        per_rate = group.groupby("rate_percent")["error_m"].apply(_rmse)
        average = per_rate[per_rate.index.isin(HEADLINE_RATES)].mean()
        label = series_label(model, variant)
        name = label if readout == POINT_READOUT else f"{label}, {readout}"
        cells = [_cell(per_rate.get(r, np.nan)) for r in rates]
        rows.append((average, f"| {name} | " + " | ".join(cells)
                     + f" | {_cell(average)} | {_cell(group['error_m'].mean())} |"))
    lines += [row for _, row in sorted(rows, key=lambda r: r[0])]
    n = int(table.groupby(["model", "variant", "readout", "rate_percent"]).size().min())
    lines += [
        "",
        f"RMSE in metres per rate, best average first, on the samples both `{models.folder}` and "
        f"`{extra.folder}` hold (at least {n} per rate and answer).",
    ]
    return "\n".join(lines)
