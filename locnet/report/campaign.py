"""The compute campaign's comparisons: propagation shift and equal CPU budget.

The campaign's test sets, result folders and the `evaluate` commands that fill them (the
lab's recipes quote these), and pure tables from result folders (`python -m locnet
evaluate`) and checkpoints, shown by `python -m locnet report --shift/--equal-budget` and
the Benchmark page. Errors in metres;
averages over the paper's rates 0.01–0.09 % (HEADLINE_RATES), like the main table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from locnet.evaluate.folders import ResultSet
from locnet.models import checkpoints as ckpt
from locnet.posterior.distribution import DEFAULT_READOUT
from locnet.report.budget import cpus_of, total_budget
from locnet.report.readouts import select_readout
from locnet.report.series import HEADLINE_RATES, series_label

KEYS = ["model", "variant", "rate_percent"]
EQUAL_TOLERANCE = 1.1  # CPU budgets within this ratio of each other count as equal


# The larger held-out test set (not committed; deterministic, regenerated in minutes): every
# tile of the test cities (Florence, Helsinki) plus procedural test-split maps, 60 in all,
# x 8 transmitters x 10 rates x 5 masks; TEST_SET_SHIFT holds the same maps, transmitters
# and masks with propagation parameters randomised per map (the propagation-shift test).
TEST_SET, TEST_SET_SHIFT = "data/testset", "data/testset-shift"
TEST_SET_COMMAND = (
    f"python -m locnet testset --out {TEST_SET} --shift-out {TEST_SET_SHIFT} "
    "--maps 60 --tx-per-map 8 --seed 2 --workers 2"
)
# Result folders of the compute campaign (`python -m locnet report --campaign`, Benchmark page).
TEST_SET_RESULTS, TEST_SET_SHIFT_RESULTS = "results/testset", "results/testset-shift"
EQUAL_BUDGET_CHECKPOINTS, EQUAL_BUDGET_RESULTS = "checkpoints/equal-budget", "results/equal-budget"
TEST_SET_CLASSICAL_RESULTS = "results/testset-classical"


# On 2 CPU cores a deep model takes about 0.1-0.4 s per sample here, so the committed
# campaign results use a seeded subset of 48 of the 480 (map, transmitter) pairs: 2,400
# samples per model (240 per rate, over up to 48 environments). The GPU run
# (scripts/gpu_run.sh) evaluates all 24,000.
TEST_SET_CPU_LIMIT = 48
CAMPAIGN_MODELS = "locnet,centre,strongest,centroid,pathloss"
SHIFT_MODELS = "locnet,strongest,centroid"  # the shift test: LocNet against the two RSS baselines


def _evaluate(data: str, checkpoints: str, out: str, models: str = "all") -> str:
    """`evaluate` on the test split at every standard rate (the set's 5 masks per rate),
    on the CPU subset of (map, transmitter) pairs."""
    return (
        f"python -m locnet evaluate --data {data} --split test --models {models} "
        f"--checkpoints {checkpoints} --limit {TEST_SET_CPU_LIMIT} --out {out}"
    )


TEST_SET_EVAL_COMMAND = _evaluate(TEST_SET, "checkpoints", TEST_SET_RESULTS, CAMPAIGN_MODELS)
TEST_SET_SHIFT_EVAL_COMMAND = _evaluate(
    TEST_SET_SHIFT, "checkpoints", TEST_SET_SHIFT_RESULTS, SHIFT_MODELS
)
# The deep models trained for one equal CPU budget; TL;DL, DeepMTL and DeepTxFinder join
# the list once trained (their weights, 124-270 MB, are not committed).
EQUAL_BUDGET_MODELS = "locnet,mslocnet,tldl,deepmtl,deeptxfinder"
EQUAL_BUDGET_EVAL_COMMAND = _evaluate(
    TEST_SET, EQUAL_BUDGET_CHECKPOINTS, EQUAL_BUDGET_RESULTS, EQUAL_BUDGET_MODELS
)
# The physical limit (locnet/report/limit.py): simfit with the parameters that made the
# test set, on the first mask of each (pair, rate) of the same 48 pairs (about a second a
# case); and the models that use physics on the shifted twin, where no model knows them.
PHYSICS_MASKS = 1
TEST_SET_LIMIT_RESULTS = "results/testset-physics"
TEST_SET_LIMIT_COMMAND = (
    _evaluate(TEST_SET, "checkpoints", TEST_SET_LIMIT_RESULTS, "simfit")
    + f" --masks-per-tx {PHYSICS_MASKS}"
)
SHIFT_PHYSICS_MODELS = "simfit-robust,fusion"
TEST_SET_SHIFT_PHYSICS_RESULTS = "results/testset-shift-physics"
TEST_SET_SHIFT_PHYSICS_COMMAND = (
    _evaluate(TEST_SET_SHIFT, "checkpoints", TEST_SET_SHIFT_PHYSICS_RESULTS, SHIFT_PHYSICS_MODELS)
    + f" --masks-per-tx {PHYSICS_MASKS}"
)
TEST_SET_CLASSICAL_COMMAND = _evaluate(
    TEST_SET, "checkpoints", TEST_SET_CLASSICAL_RESULTS, "centre,strongest,centroid,pathloss"
)


def missing_note(folder: str | Path, command: str) -> str:
    """The line a section shows before its results exist."""
    return f"`{folder}` does not exist yet; make it with: `{command}`"


def _one_answer(summary: pd.DataFrame, readout: str | None) -> pd.DataFrame:
    """One row per (series, rate): heatmap models under `readout` (default: the mode)."""
    rows = select_readout(summary, readout or DEFAULT_READOUT)
    return rows.assign(rate_percent=rows["rate_percent"].round(2))[KEYS + ["rmse_m", "n"]]


def rate_pivot(summary: pd.DataFrame, readout: str | None) -> pd.DataFrame:
    """RMSE (m): one row per series, one column per rate and the average over
    HEADLINE_RATES, best average first (the main table of a results folder)."""
    rows = _one_answer(summary, readout)
    rows = rows.assign(series=list(map(series_label, rows["model"], rows["variant"])))
    pivot = rows.pivot_table(index="series", columns="rate_percent", values="rmse_m")
    average = pivot[[r for r in HEADLINE_RATES if r in pivot.columns]].mean(axis=1)
    complete = all(r in pivot.columns for r in HEADLINE_RATES)
    pivot.columns = [f"{c:g} %" for c in pivot.columns]
    pivot.insert(0, "avg 0.01–0.09 %", average if complete else np.nan)
    return pivot.sort_values("avg 0.01–0.09 %")


def shift_table(paper: pd.DataFrame, shift: pd.DataFrame, readout: str | None) -> pd.DataFrame:
    """RMSE per (model, variant, rate) on the paper-like and the randomised-propagation
    test set, and the degradation (shift - paper, m and %); series in both folders only."""
    both = _one_answer(paper, readout).merge(
        _one_answer(shift, readout), on=KEYS, suffixes=("_paper", "_shift")
    )
    both["degradation_m"] = both["rmse_m_shift"] - both["rmse_m_paper"]
    both["degradation_percent"] = 100 * both["degradation_m"] / both["rmse_m_paper"]
    both["same_n"] = both["n_paper"] == both["n_shift"]
    return both.sort_values(KEYS).reset_index(drop=True)


def shift_averages(table: pd.DataFrame) -> pd.DataFrame:
    """Per series: RMSE averaged over HEADLINE_RATES on each set and the degradation;
    NaN where a series lacks one of those rates."""
    rows = table[table["rate_percent"].isin(HEADLINE_RATES)]
    grouped = rows.groupby(["model", "variant"], sort=False)
    out = grouped[["rmse_m_paper", "rmse_m_shift"]].mean()
    complete = grouped["rate_percent"].nunique() == len(HEADLINE_RATES)
    out = out.where(complete).reset_index()
    out["degradation_m"] = out["rmse_m_shift"] - out["rmse_m_paper"]
    out["degradation_percent"] = 100 * out["degradation_m"] / out["rmse_m_paper"]
    out.insert(0, "series", list(map(series_label, out["model"], out["variant"])))
    return out.sort_values("rmse_m_paper").reset_index(drop=True)


def _checkpoint_budget(name: str, record: dict) -> dict:
    """One evaluated checkpoint's budget: from the file when it is here (all --init-from
    runs), else as meta.json recorded it."""
    path = Path(str(record.get("path", name)))
    if path.is_file():
        info, totals = ckpt.checkpoint_info(path), total_budget(path)
        budget, source = info.budget, "checkpoint file"
        cpu_minutes = 60 * totals["cpu_hours"]
    else:
        recorded = record.get("budget")  # a dict; older folders wrote a phrase
        budget = dict(recorded) if isinstance(recorded, dict) else {}
        source = "meta.json (file not here)"
        cpus, minutes = cpus_of(budget.get("hardware")), budget.get("minutes")
        cpu_minutes = budget.get("cpu_minutes")  # measured by train (--max-cpu-minutes runs)
        if not isinstance(cpu_minutes, (int, float)):
            known = cpus and isinstance(minutes, (int, float))
            cpu_minutes = minutes * cpus if known else np.nan
    return {
        "checkpoint": str(path),
        "model": record.get("model"),
        "variant": record.get("variant"),
        "minutes": budget.get("minutes"),
        "cpu_minutes": cpu_minutes,
        "samples_seen": budget.get("samples_seen"),
        "hardware": budget.get("hardware"),
        "budget_from": source,
    }


def equal_budget_table(res: ResultSet, readout: str | None) -> pd.DataFrame:
    """Per evaluated checkpoint: its training budget (minutes, CPU-minutes, samples seen,
    hardware) and RMSE averaged over HEADLINE_RATES (NaN unless all were evaluated, as in
    the main table); fewest CPU-minutes first."""
    records = res.meta.get("checkpoints") or {}
    if not isinstance(records, dict) or not records:
        return pd.DataFrame(columns=["series", "checkpoint", "cpu_minutes", "rmse_m"])
    table = pd.DataFrame([_checkpoint_budget(n, r) for n, r in sorted(records.items())])
    rows = _one_answer(res.summary, readout)
    rows = rows[rows["rate_percent"].isin(HEADLINE_RATES)]
    grouped = rows.groupby(["model", "variant"])
    complete = grouped["rate_percent"].nunique() == len(HEADLINE_RATES)
    rmse = grouped["rmse_m"].mean().where(complete).rename("rmse_m").reset_index()
    table = table.merge(rmse, on=["model", "variant"], how="left")
    table.insert(0, "series", list(map(series_label, table["model"], table["variant"])))
    return table.sort_values(["cpu_minutes", "series"]).reset_index(drop=True)


def equal_budget_label(table: pd.DataFrame) -> str:
    """What the comparison is (a heading, capitalised): equal CPU budget (N CPU-minutes
    each) when the models' CPU-minutes agree within EQUAL_TOLERANCE; else that they differ."""
    cpu = pd.to_numeric(table.get("cpu_minutes", pd.Series(dtype=float)), errors="coerce")
    if cpu.empty or cpu.isna().any():
        return (
            "Training budgets not all on CPU (GPU or unknown hardware): not an equal-CPU-budget "
            "comparison, nor the paper's equal-epoch one"
        )
    low, high = float(cpu.min()), float(cpu.max())
    if high <= EQUAL_TOLERANCE * low:
        return (
            f"Equal CPU budget ({float(cpu.median()):.0f} CPU-minutes each), "
            "not the paper's equal-epoch comparison"
        )
    return (
        f"CPU budgets differ ({low:.0f}–{high:.0f} CPU-minutes): not an equal-budget "
        "comparison, nor the paper's equal-epoch one"
    )


def rate_winners(summary: pd.DataFrame, readout: str | None) -> pd.DataFrame:
    """Per rate: the series with the lowest RMSE and its margin (m) over the runner-up; the
    equal-budget claim "better at every rate" is read from this, not from the average."""
    pivot = rate_pivot(summary, readout).drop(columns="avg 0.01–0.09 %")
    rows = []
    for rate in pivot.columns:
        ranked = pivot[rate].dropna().sort_values()
        if ranked.empty:
            continue
        margin = ranked.iloc[1] - ranked.iloc[0] if len(ranked) > 1 else np.nan
        rows.append({"rate": rate, "best": ranked.index[0], "rmse_m": ranked.iloc[0], "margin_m": margin})
    return pd.DataFrame(rows, columns=["rate", "best", "rmse_m", "margin_m"])


def winner_line(winners: pd.DataFrame) -> str:
    """One sentence: which series is best at how many of the evaluated rates."""
    if winners.empty:
        return "No rates evaluated."
    counts = winners["best"].value_counts()
    parts = [f"{name} at {n} of {len(winners)}" for name, n in counts.items()]
    return "Lowest RMSE per rate: " + ", ".join(parts) + " rates."
