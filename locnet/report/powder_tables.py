"""The real-measurement (POWDER) tables: mean / median / RMSE / p90 error per model and
split, with the 90 % credible regions' coverage where a model has a posterior and the CPU
minutes its weights took to train, read from the folders `python -m locnet evaluate-powder`
writes (`ROOT/<split>/summary.csv`); and the README's comparison of LocNet pre-trained on
our simulator with LocNet from scratch at the same CPU budget.

Splits are listed by family (random, spatial, seasonal, transport, special), models in the
order the summaries hold them. Errors are metres. Folders written before the learned models
(no coverage or training columns) read as models without a posterior.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from locnet.errors import LocNetError
from locnet.evaluate.folders import SUMMARY_FILE

FAMILY_ORDER = ("random", "spatial", "seasonal", "transport", "special")
COLUMNS = ("split", "family", "model", "n", "n_train", "mean_m", "median_m", "rmse_m", "p90_m")
OPTIONAL = ("readout", "coverage90", "train_cpu_min")  # NaN in folders written before them
MAKE = "python -m locnet evaluate-powder"
SCRATCH, PRETRAINED = "rss-locnet", "rss-locnet-sim"  # the README's comparison


def read_summaries(root: str | Path) -> pd.DataFrame:
    """Every split's summary under `root`, in family order; LocNetError if there is none."""
    root = Path(root)
    paths = sorted(p / SUMMARY_FILE for p in root.iterdir() if (p / SUMMARY_FILE).is_file())
    if not paths:
        raise LocNetError(f"no <split>/{SUMMARY_FILE} under {root}; make them with `{MAKE}`")
    tables = []
    for path in paths:
        try:
            table = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise LocNetError(f"cannot read {path} ({exc}); re-create it with `{MAKE}`") from None
        missing = [c for c in COLUMNS if c not in table.columns]
        if missing or table.empty:
            raise LocNetError(
                f"{path} lacks {', '.join(missing) or 'rows'}; re-create it with `{MAKE}`"
            )
        for column in OPTIONAL:
            if column not in table.columns:
                table[column] = np.nan
        tables.append(table.loc[:, list(COLUMNS + OPTIONAL)])
    table = pd.concat(tables, ignore_index=True)
    rank = {f: i for i, f in enumerate(FAMILY_ORDER)}
    table["_family"] = table["family"].map(rank).fillna(len(rank))
    table["_model"] = table.groupby("split").cumcount()
    return table.sort_values(["_family", "split", "_model"]).drop(columns=["_family", "_model"])


def _percent(value: float) -> str:
    return "–" if pd.isna(value) else f"{100 * value:.1f} %"


def _minutes(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.1f}"


def powder_table(root: str | Path) -> str:
    """One Markdown table: a row per split and model."""
    table = read_summaries(root)
    lines = [
        "Real measurements (POWDER, 462.7 MHz): localisation error (m) per split, each model",
        "fitted on the split's training side (every other one-transmitter sample); 90 % cover:",
        "how often the 90 % credible region holds the transmitter (models with a posterior);",
        "train CPU min: the learned model's training budget (process CPU minutes).",
        "",
        "| split | test / train | model | mean | median | RMSE | p90 | 90 % cover | train CPU min |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.split} ({row.family}) | {row.n:,} / {row.n_train:,} | {row.model} | "
            f"{row.mean_m:.1f} | {row.median_m:.1f} | {row.rmse_m:.1f} | {row.p90_m:.1f} | "
            f"{_percent(row.coverage90)} | {_minutes(row.train_cpu_min)} |"
        )
    return "\n".join(lines)


def powder_pretraining(root: str | Path) -> str:
    """The README's table: LocNet pre-trained on our simulator then fine-tuned (PRETRAINED)
    against LocNet from scratch (SCRATCH), same CPU budget, per split that holds both."""
    table = read_summaries(root)
    both = table[table["model"].isin((SCRATCH, PRETRAINED))]
    splits = [s for s, rows in both.groupby("split", sort=False) if len(rows) == 2]
    if not splits:
        raise LocNetError(
            f"no split under {root} holds both {SCRATCH} and {PRETRAINED}; make them with "
            f"`{MAKE} --models {SCRATCH},{PRETRAINED} --splits grid,random --fit missing`"
        )
    lines = [
        "| split | LocNet | train CPU min | mean | median | p90 | 90 % cover |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    names = {SCRATCH: "from scratch", PRETRAINED: "simulator, then real"}
    for split in splits:
        rows = both[both["split"] == split].set_index("model")
        for model in (SCRATCH, PRETRAINED):
            row = rows.loc[model]
            lines.append(
                f"| {split} ({row['family']}) | {names[model]} | {_minutes(row['train_cpu_min'])} "
                f"| {row['mean_m']:.1f} | {row['median_m']:.1f} | {row['p90_m']:.1f} | "
                f"{_percent(row['coverage90'])} |"
            )
    lines += ["", f"Errors in metres on the split's full test side; `{MAKE}` (docs/real-data.md)."]
    return "\n".join(lines)


def powder_overview(root: str | Path) -> str:
    """The README's compact table: a row per split, mean / median error (m) per model, the
    lowest mean in bold."""
    table = read_summaries(root)
    models = list(dict.fromkeys(table["model"]))
    lines = [
        "| split (test / train) | " + " | ".join(models) + " |",
        "|---|" + "---:|" * len(models),
    ]
    for split, rows in table.groupby("split", sort=False):
        rows = rows.set_index("model")
        best = rows["mean_m"].idxmin()
        cells = []
        for model in models:
            if model not in rows.index:
                cells.append("–")
                continue
            text = f"{rows.loc[model, 'mean_m']:.1f} / {rows.loc[model, 'median_m']:.1f}"
            cells.append(f"**{text}**" if model == best else text)
        first = rows.iloc[0]
        lines.append(f"| {split} ({first['n']:,} / {first['n_train']:,}) | " + " | ".join(cells) + " |")
    lines += [
        "",
        (
            "Mean / median error in metres (real data); RMSE and p90: "
            "`python -m locnet report --section powder results/powder`."
        ),
    ]
    return "\n".join(lines)
