"""The real-measurement (POWDER) table: mean / median / RMSE / p90 error per model and split,
read from the folders `python -m locnet evaluate-powder` writes (`ROOT/<split>/summary.csv`).

Splits are listed by family (random, spatial, seasonal, transport, special), models in the
order the summaries hold them. Errors are metres.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from locnet.errors import LocNetError
from locnet.evaluate.folders import SUMMARY_FILE

FAMILY_ORDER = ("random", "spatial", "seasonal", "transport", "special")
COLUMNS = ("split", "family", "model", "n", "n_train", "mean_m", "median_m", "rmse_m", "p90_m")
MAKE = "python -m locnet evaluate-powder"


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
        tables.append(table.loc[:, list(COLUMNS)])
    table = pd.concat(tables, ignore_index=True)
    rank = {f: i for i, f in enumerate(FAMILY_ORDER)}
    table["_family"] = table["family"].map(rank).fillna(len(rank))
    table["_model"] = table.groupby("split").cumcount()
    return table.sort_values(["_family", "split", "_model"]).drop(columns=["_family", "_model"])


def powder_table(root: str | Path) -> str:
    """One Markdown table: a row per split and model."""
    table = read_summaries(root)
    lines = [
        "Real measurements (POWDER, 462.7 MHz): localisation error (m) per split, each model",
        "fitted on the split's training side (every other one-transmitter sample).",
        "",
        "| split | test / train | model | mean | median | RMSE | p90 |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.split} ({row.family}) | {row.n:,} / {row.n_train:,} | {row.model} | "
            f"{row.mean_m:.1f} | {row.median_m:.1f} | {row.rmse_m:.1f} | {row.p90_m:.1f} |"
        )
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
    lines += ["", "Mean / median error in metres (real data); RMSE and p90: "
              "`python -m locnet report --section powder results/powder`."]
    return "\n".join(lines)
