"""The report's compute-campaign sections (`python -m locnet report --shift/--equal-budget/
--budget-curve/--campaign`): Markdown from result folders and checkpoints, each labelled
with what it is; a folder that does not exist yet is one line naming the command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from locnet.evaluate.folders import load_results
from locnet.posterior.distribution import DEFAULT_READOUT
from locnet.report import campaign as C
from locnet.report.budget import budget_curves
from locnet.report.series import series_label
from locnet.report.tables import rate_table

PAPER_READOUT = DEFAULT_READOUT  # the main table's headline readout (the paper's mode)


def _fmt(value, digits: int = 1, sign: str = "") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(number) else f"{number:{sign}.{digits}f}"


def _missing(folder: Path, command: str) -> str:
    return f"({C.missing_note(folder, command)})"


def shift_section(paper_dir: Path, shift_dir: Path, readout: str = PAPER_READOUT) -> str:
    """RMSE per rate on the paper-like and the randomised-propagation test set, and the
    degradation, per model (heatmap models under `readout`)."""
    title = (
        f"### Propagation shift: paper-like `{paper_dir}` vs randomised propagation "
        f"`{shift_dir}` (RMSE, m; heatmap readout {readout})"
    )
    for folder, command in (
        (paper_dir, C.TEST_SET_EVAL_COMMAND),
        (shift_dir, C.TEST_SET_SHIFT_EVAL_COMMAND),
    ):
        if not folder.is_dir():
            return "\n".join([title, "", _missing(folder, command)])
    table = C.shift_table(
        load_results(paper_dir).summary, load_results(shift_dir).summary, readout
    )
    rates = sorted(table["rate_percent"].unique())
    lines = [
        title,
        "",
        "| model | propagation | " + " | ".join(f"{r:g} %" for r in rates) + " | avg 0.01–0.09 % |",
        "|---" * (len(rates) + 3) + "|",
    ]
    averages = C.shift_averages(table).set_index(["model", "variant"])
    for (model, variant), rows in table.groupby(["model", "variant"], sort=False):
        rows, avg = rows.set_index("rate_percent"), averages.loc[(model, variant)]
        label = series_label(model, variant)
        for name, column, sign in (
            ("paper-like", "rmse_m_paper", ""),
            ("randomised", "rmse_m_shift", ""),
            ("degradation (m)", "degradation_m", "+"),
        ):
            cells = [_fmt(rows[column].get(r), sign=sign) for r in rates]
            last = _fmt(avg[column], sign=sign)
            if column == "degradation_m":
                last += f" ({_fmt(avg['degradation_percent'], 0, '+')} %)"
            lines.append(f"| {label} | {name} | " + " | ".join(cells) + f" | {last} |")
    if not table["same_n"].all():
        lines += ["", "Warning: the two folders hold different numbers of samples per rate."]
    return "\n".join(lines)


def equal_budget_section(folder: Path, readout: str = PAPER_READOUT) -> str:
    """Each checkpoint's CPU budget beside its RMSE, under a label saying whether the
    budgets are equal (and that it is not the paper's equal-epoch comparison)."""
    if not folder.is_dir():
        return "\n".join(
            [
                f"### Equal CPU budget — `{folder}`",
                "",
                _missing(folder, C.EQUAL_BUDGET_EVAL_COMMAND),
            ]
        )
    res = load_results(folder)
    table = C.equal_budget_table(res, readout)
    lines = [
        f"### {C.equal_budget_label(table)} — `{folder}`",
        "",
        "| model | checkpoint | CPU-minutes | minutes | samples seen | hardware "
        f"| RMSE avg 0.01–0.09 % (m; heatmap readout {readout}) | budget from |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.series} | `{row.checkpoint}` | {_fmt(row.cpu_minutes)} | "
            f"{_fmt(row.minutes)} | "
            f"{row.samples_seen if pd.notna(row.samples_seen) else '–'} | {row.hardware or '–'} | "
            f"{_fmt(row.rmse_m)} | {row.budget_from} |"
        )
    winners = C.winner_line(C.rate_winners(res.summary, readout))
    return "\n".join(lines + ["", "RMSE (m) per rate:", "", rate_table(res.summary), "", winners])


def budget_section(paths: list[Path], missing_ok: bool = False) -> str:
    """Validation RMSE after every validation of each checkpoint, with the budget spent
    so far (cumulative over its --init-from runs). Missing paths: LocNetError, or with
    `missing_ok` (--campaign) left out."""
    title = "### Validation RMSE vs training budget (cumulative over `--init-from` stages)"
    table = budget_curves([p for p in paths if p.exists()] if missing_ok else paths)
    if table.empty:
        return "\n".join([title, "", f"(no checkpoints in {', '.join(map(str, paths))})"])
    lines = [
        title,
        "",
        "| checkpoint | stage | file | epoch | samples seen | minutes | CPU-hours "
        "| val RMSE (m) | val mean (m) | val seed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| `{row.curve}` | {row.stage} | `{row.file}` | {_fmt(row.epoch, 2)} | "
            f"{row.samples_seen:,.0f} | {_fmt(row.minutes)} | {_fmt(row.cpu_hours, 2)} | "
            f"{_fmt(row.val_rmse_m)} | {_fmt(row.val_mean_m)} | {row.val_seed} |"
        )
    lines += [
        "",
        "Validation maps and masks are drawn by the run's seed: rows with another val seed "
        "are on another draw. CPU-hours = minutes x processes x threads / 60 (hardware string).",
    ]
    return "\n".join(lines)


def sections(args) -> str:
    """The campaign sections asked for on the command line (empty: none asked)."""
    parts = []
    if args.shift:
        parts += [shift_section(Path(args.results), Path(args.shift)), ""]
    if args.equal_budget:
        parts += [equal_budget_section(Path(args.equal_budget)), ""]
    if args.budget_curve:
        paths = [Path(p) for p in args.budget_curve]
        parts += [budget_section(paths, missing_ok=args.campaign), ""]
    return "\n".join(parts)
