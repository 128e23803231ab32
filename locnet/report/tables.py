"""The README's reproduction and checkpoint tables (`python -m locnet report`), from files.

Reads result folders written by `python -m locnet evaluate` and the checkpoints
themselves, and prints Markdown: our RMSE per model, readout and rate beside the paper's
(docs/design.md §5; the paper reads LocNet out by its mode, so the headline comparisons do
too), the LocNet / best-deep-baseline ratio, the environment-map gain, the loss
comparison, how well each heatmap model's credible regions cover the truth (coverage,
reliability curve, calibration), and each checkpoint's training budget and sha256.
Nothing here is typed in by hand: every number in those README tables is printed by this
command.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from locnet.evaluate.folders import ResultSet, load_results
from locnet.models.registry import DEFAULT_VARIANT
from locnet.posterior.distribution import DEFAULT_READOUT, POINT_READOUT, READOUTS
from locnet.report.chance import chance_from_summary
from locnet.report.checkpoints import calibration_of_checkpoints, checkpoint_table
from locnet.report.ranking import loss_comparison, relative_improvement, select_series
from locnet.report.readouts import (
    RELIABILITY_TOLERANCE,
    calibration_summary,
    checkpoint_calibrations,
    coverage_table,
    select_readout,
)
from locnet.report.series import (
    DISPLAY_NAMES,
    ENV_VARIANT,
    HEADLINE_RATES,
    LOCNET,
    NOENV_VARIANT,
    PAPER_AVERAGE_RMSE_M,
    PAPER_LABEL,
    PAPER_RMSE_M,
    series_label,
    series_options,
)

PAPER_READOUT = DEFAULT_READOUT  # the paper's answer: the heatmap's most probable pixel
DEEP_BASELINES = ("mslocnet", "tldl", "deepmtl", "deeptxfinder")


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _curve(summary: pd.DataFrame, key: tuple[str, str], readout: str = PAPER_READOUT) -> pd.Series:
    """RMSE (m) by rate (rounded to 0.01 %) of one (model, variant) series under `readout`
    (a point model's one answer whatever `readout` is)."""
    rows = select_series(select_readout(summary, readout), [key])
    return rows.groupby(rows["rate_percent"].round(2))["rmse_m"].mean()


def headline_average(
    summary: pd.DataFrame, key: tuple[str, str], readout: str = PAPER_READOUT
) -> float | None:
    """Mean RMSE (m) of one series over the paper's rates 0.01–0.09 %; None if any is missing."""
    curve = _curve(summary, key, readout)
    if not all(r in curve.index for r in HEADLINE_RATES):
        return None
    return float(curve.loc[list(HEADLINE_RATES)].mean())


def _series_readouts(summary: pd.DataFrame, key: tuple[str, str]) -> list[str]:
    present = set(select_series(summary, [key])["readout"]) if "readout" in summary else set()
    return [r for r in (*READOUTS, POINT_READOUT) if r in present] or [PAPER_READOUT]


def rate_table(summary: pd.DataFrame) -> str:
    """Markdown: one row per series and readout (ours), the paper's row under our row of
    the paper's readout (mode) where the paper has one."""
    rates = sorted(summary["rate_percent"].unique())
    paper = PAPER_RMSE_M
    header = "| model | " + " | ".join(f"{r:g} %" for r in rates) + " | avg 0.01–0.09 % |"
    lines = [header, "|---" * (len(rates) + 2) + "|"]
    for label, key in series_options(summary).items():
        for readout in _series_readouts(summary, key):
            curve = _curve(summary, key, readout)
            cells = [_fmt(curve.get(round(r, 2))) for r in rates]
            name = label if readout == POINT_READOUT else f"{label}, {readout}"
            average = _fmt(headline_average(summary, key, readout))
            lines.append(f"| {name} (ours) | " + " | ".join(cells) + f" | {average} |")
            if key in paper and readout in (PAPER_READOUT, POINT_READOUT):
                ref = paper[key]
                cells = [_fmt(ref.get(round(r, 2))) for r in rates]
                avg = (
                    PAPER_AVERAGE_RMSE_M.get(key[0])
                    if key[1] in (DEFAULT_VARIANT, ENV_VARIANT)
                    else None
                )
                lines.append(
                    f"| *{label} ({PAPER_LABEL})* | " + " | ".join(cells) + f" | {_fmt(avg)} |"
                )
    return "\n".join(lines)


def headline(summary: pd.DataFrame, ablation: pd.DataFrame | None) -> str:
    """Markdown bullets: LocNet vs the best deep baseline (read out by the paper's mode),
    LocNet under each readout, env-map gain, loss ranking."""
    out = []
    locnet = headline_average(summary, (LOCNET, ENV_VARIANT))
    deep = {
        m: headline_average(summary, (m, DEFAULT_VARIANT))
        for m in DEEP_BASELINES
        if (summary["model"] == m).any()
    }
    deep = {m: v for m, v in deep.items() if v is not None}
    if locnet is not None:
        out.append(
            f"- LocNet (focal, env; mode) average RMSE over 0.01–0.09 %: **{locnet:.1f} m** "
            "(paper ~18 m)."
        )
        out += _readout_line(summary)
    if locnet is not None and deep:
        best = min(deep, key=deep.get)
        out.append(
            f"- Best deep baseline evaluated: {DISPLAY_NAMES.get(best, best)} {deep[best]:.1f} m; "
            f"ratio best baseline / LocNet = **{deep[best] / locnet:.2f}x** (paper ~3.4x)."
        )
        ours, theirs = (
            _curve(summary, (LOCNET, ENV_VARIANT)),
            _curve(summary, (best, DEFAULT_VARIANT)),
        )
        shared = ours.index.intersection(theirs.index)
        wins = int((ours[shared] < theirs[shared]).sum())
        at_chance = chance_from_summary(summary).get((best, DEFAULT_VARIANT))
        if at_chance:  # a win against a model at chance is no win (issue #26)
            out.append(
                f"- {DISPLAY_NAMES.get(best, best)} is not trained enough (at chance: "
                f"{at_chance}), so LocNet's lead over it says nothing."
            )
        else:
            out.append(
                f"- LocNet beats {DISPLAY_NAMES.get(best, best)} at {wins} of {len(shared)} rates."
            )
    if ablation is not None:
        out += ablation_lines(select_readout(ablation, PAPER_READOUT))
    return "\n".join(out)


def _readout_line(summary: pd.DataFrame) -> list[str]:
    """LocNet's average RMSE under each readout, when it has more than the mode."""
    key = (LOCNET, ENV_VARIANT)
    averages = {r: headline_average(summary, key, r) for r in _series_readouts(summary, key)}
    averages = {r: v for r, v in averages.items() if v is not None and r in READOUTS}
    if len(averages) < 2:
        return []
    best = min(averages, key=averages.get)
    listed = ", ".join(f"{r} {v:.1f} m" for r, v in averages.items())
    return [
        f"- LocNet (focal, env) by readout, average over 0.01–0.09 %: {listed}; best: **{best}**."
    ]


def ablation_lines(ablation: pd.DataFrame) -> list[str]:
    """The environment map's gain and the loss ranking (one readout per series)."""
    out = []
    imp = relative_improvement(ablation, (LOCNET, NOENV_VARIANT), (LOCNET, ENV_VARIANT))
    if not imp.empty:
        avg = imp.iloc[-1]
        out.append(
            f"- Environment map (equal budget): RMSE {avg['baseline']:.1f} m without -> "
            f"{avg['improved']:.1f} m with, **{avg['improvement_percent']:+.1f} %** on average "
            "over all evaluated rates (paper: >= 15 %)."
        )
    losses = loss_comparison(ablation)
    if len(losses) > 1:
        ranked = ", ".join(f"{row.loss} {row.rmse_m:.1f} m" for row in losses.itertuples())
        out.append(
            f"- Losses (equal budget, RMSE averaged over all evaluated rates, best first): {ranked}."
        )
    return out


NEAR_M, FAR_M = 10.0, 100.0  # "found it" and "lost it" distances of the error profile


def error_profile(samples: pd.DataFrame) -> str:
    """Markdown: per model and readout, how errors spread over all samples and rates
    (median, p90, share within NEAR_M and beyond FAR_M), best median first: RMSE alone
    hides whether a model is often right and sometimes far off, or never quite right."""
    keys = ["model", "variant"] + (["readout"] if "readout" in samples else [])
    rows = []
    for key, group in samples.groupby(keys, sort=False):
        err = group["error_m"].to_numpy(dtype=float)
        readout = key[2] if len(key) > 2 else POINT_READOUT
        rows.append(
            (
                float(np.median(err)),
                f"| {series_label(key[0], key[1])} | {readout} | {len(err)} | "
                f"{np.median(err):.1f} | {np.percentile(err, 90):.1f} | "
                f"{np.sqrt(np.mean(err**2)):.1f} | {100 * np.mean(err <= NEAR_M):.1f} % | "
                f"{100 * np.mean(err > FAR_M):.1f} % |",
            )
        )
    header = [
        f"| model | readout | samples | median (m) | p90 (m) | RMSE (m) | within {NEAR_M:g} m "
        f"| beyond {FAR_M:g} m |",
        "|---|---|---|---|---|---|---|---|",
    ]
    return "\n".join(header + [line for _, line in sorted(rows)])


def calibration_table(samples: pd.DataFrame, meta: dict) -> str:
    """Markdown: per heatmap model and readout, its calibration (from meta.json), how often
    the 50 / 90 % regions hold the truth, RMSE vs the RMSE its posterior expects, and
    whether the reliability curve stays within RELIABILITY_TOLERANCE of the diagonal."""
    table = calibration_summary(samples, meta)
    if table.empty:
        labels = "; ".join(
            f"{series_label(m, v)}: {cal.label()}"
            for (m, v), cal in sorted(checkpoint_calibrations(meta).items())
        )
        return (
            "(no credible levels in samples.parquet: evaluated before calibrated posteriors, "
            "or no heatmap model; re-run `python -m locnet evaluate`)"
            + (f" Checkpoints: {labels}." if labels else "")
        )
    band = f"±{100 * RELIABILITY_TOLERANCE:g} points"
    lines = [
        "| model | readout | calibration | truth in 50 % region | truth in 90 % region "
        f"| RMSE (m) | expected RMSE (m) | largest gap | within {band} |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples():
        lines.append(
            f"| {row.series} | {row.readout} | {row.calibration} | {100 * row.coverage50:.1f} % | "
            f"{100 * row.coverage90:.1f} % | {row.rmse_m:.1f} | {row.expected_rmse_m:.1f} | "
            f"{100 * row.max_gap:.1f} points | {'yes' if row.within else 'no'} |"
        )
    return "\n".join(lines)


def reliability_table(samples: pd.DataFrame) -> str:
    """Markdown: observed coverage (%) at each nominal level per heatmap model (the
    reliability curve; a calibrated posterior reads the level back). Coverage belongs to
    the posterior, not the readout, so each model has one row."""
    coverage = coverage_table(samples)
    if coverage.empty:
        return ""
    coverage = coverage.drop_duplicates(["model", "variant", "level"])
    levels = sorted(coverage["level"].unique())
    lines = [
        "| model | " + " | ".join(f"{100 * a:.0f} %" for a in levels) + " |",
        "|---" * (len(levels) + 1) + "|",
    ]
    for (model, variant), rows in coverage.groupby(["model", "variant"], sort=True):
        cells = rows.set_index("level")["coverage"].reindex(levels)
        lines.append(
            f"| {series_label(model, variant)} | " + " | ".join(_fmt(100 * c) for c in cells) + " |"
        )
    return "\n".join(lines)


def tta_label(meta: dict) -> str:
    """Whether a results folder was evaluated with test-time augmentation, in words."""
    return {True: "on", False: "off"}.get(meta.get("tta"), "not recorded")


def build_report(results: Path, ablation: Path | None, checkpoint_dirs: list[Path]) -> str:
    res = load_results(results)
    abl = load_results(ablation).summary if ablation is not None else None
    parts = [f"### RMSE (m) per sampling rate — `{results}`", "", rate_table(res.summary), ""]
    parts += [headline(res.summary, abl), ""]
    if res.samples is not None:
        parts += [
            f"#### Error profile over all rates — `{results}`",
            "",
            error_profile(res.samples),
            "",
            f"#### Calibration of the posteriors over all rates — `{results}` "
            f"(test-time augmentation: {tta_label(res.meta)})",
            "",
            calibration_table(res.samples, res.meta),
            "",
        ]
        curve = reliability_table(res.samples)
        if curve:
            parts += ["Reliability curve: observed coverage at each nominal level", "", curve, ""]
    if abl is not None:
        parts += [f"### Ablation at equal budget — `{ablation}`", "", rate_table(abl), ""]
    for folder in checkpoint_dirs:
        parts += [f"### Checkpoints in `{folder}`", "", checkpoint_table(folder), ""]
        parts += [
            "Calibration (`python -m locnet calibrate`):",
            "",
            calibration_of_checkpoints(folder),
            "",
        ]
    return "\n".join(parts)




def _sample_stats(samples: pd.DataFrame | None, key: tuple[str, str], readout: str) -> dict:
    """Median error, shares within NEAR_M / beyond FAR_M and 90 % coverage of one answer
    over all of its samples (every rate)."""
    if samples is None:
        return {}
    rows = select_series(samples, [key])
    rows = rows[rows["readout"] == readout] if "readout" in rows else rows
    if rows.empty:
        return {}
    err = rows["error_m"].to_numpy(dtype=float)
    out = {
        "median": float(np.median(err)),
        "near": 100 * float(np.mean(err <= NEAR_M)),
        "far": 100 * float(np.mean(err > FAR_M)),
    }
    if "credible_level" in rows and rows["credible_level"].notna().any():
        out["in90"] = 100 * float(np.mean(rows["credible_level"].dropna() < 0.9))
    return out


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def headline_table(res: ResultSet) -> str:
    """Markdown: every answer of a results folder (model x readout), best average RMSE
    first: RMSE averaged over the paper's rates, and over all samples the median error, the
    shares within NEAR_M and beyond FAR_M, the truth's share inside the 90 % region; the
    paper's LocNet average under it as the target."""
    calibrations = checkpoint_calibrations(res.meta)
    rows = []
    for label, key in series_options(res.summary).items():
        default = calibrations[key].default_readout if key in calibrations else None
        for readout in _series_readouts(res.summary, key):
            average = headline_average(res.summary, key, readout)
            stats = _sample_stats(res.samples, key, readout)
            name = {
                PAPER_READOUT: "mode (the paper's argmax)",
                POINT_READOUT: "point",
            }.get(readout, readout)
            if readout == default:
                name += ", calibrated default"
            rows.append(
                (
                    np.inf if average is None else average,
                    f"| {label} | {name} | {_fmt(average)} | {_fmt(stats.get('median'))} | "
                    f"{_pct(stats.get('near'))} | {_pct(stats.get('far'))} | {_pct(stats.get('in90'))} |",
                )
            )
    lines = [
        "| model | answer | avg RMSE 0.01–0.09 % (m) | median error (m) "
        f"| within {NEAR_M:g} m | beyond {FAR_M:g} m | truth in 90 % region |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [line for _, line in sorted(rows, key=lambda r: r[0])]
    if (res.summary["model"] == LOCNET).any():
        lines.append(
            f"| *LocNet ({PAPER_LABEL}, 100 epochs)* | mode | "
            f"{_fmt(PAPER_AVERAGE_RMSE_M[LOCNET])} | – | – | – | – |"
        )
    return "\n".join(lines)


def tta_table(
    plain: ResultSet, augmented: ResultSet, key: tuple[str, str] = (LOCNET, ENV_VARIANT)
) -> str:
    """Markdown: one LocNet checkpoint without and with test-time augmentation (each folder's
    meta.json says which): average RMSE per readout, the far-miss share and coverage of the
    default readout, and the median model time per map; a note when the samples differ."""
    folders = [plain, augmented]
    default = checkpoint_calibrations(folders[0].meta).get(key)
    default_readout = default.default_readout if default is not None else PAPER_READOUT
    lines = [
        f"| {series_label(*key)} | folder | test-time augmentation | "
        + " | ".join(f"avg RMSE `{r}` (m)" for r in READOUTS)
        + f" | beyond {FAR_M:g} m (`{default_readout}`) | truth in 90 % / 50 % region "
        "| median model time per map (ms) |",
        "|---|---|---|" + "---|" * len(READOUTS) + "---|---|---|",
    ]
    for res in folders:
        stats = _sample_stats(res.samples, key, default_readout)
        rows = select_series(res.samples, [key]) if res.samples is not None else pd.DataFrame()
        rows = rows[rows["readout"] == default_readout] if not rows.empty else rows
        in50 = 100 * float(np.mean(rows["credible_level"] < 0.5)) if not rows.empty else None
        runtime = float(rows["runtime_ms"].median()) if not rows.empty else None
        lines.append(
            f"| | `{res.folder}` | {tta_label(res.meta)} | "
            + " | ".join(_fmt(headline_average(res.summary, key, r)) for r in READOUTS)
            + f" | {_pct(stats.get('far'))} | {_pct(stats.get('in90'))} / {_pct(in50)} | "
            f"{_fmt(runtime, 0)} |"
        )
    sizes = {len(r.samples) if r.samples is not None else None for r in folders}
    if len(sizes) > 1 or folders[0].dataset != folders[1].dataset:
        lines += ["", "Warning: the two folders do not hold the same samples."]
    return "\n".join(lines)
