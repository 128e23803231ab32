"""The report's checkpoint tables: training budget and sha256, and calibration, per file.

Read from the checkpoint files themselves (tensors memory-mapped, not loaded), so the
README's tables are printed, never typed (`python -m locnet report --checkpoints DIR`).
"""

from __future__ import annotations

from pathlib import Path

from locnet.models import checkpoints as ckpt
from locnet.posterior.calibration import Calibration


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def kept_epochs(info: ckpt.CheckpointInfo) -> float | None:
    """Epochs trained up to the kept weights, counting earlier `--init-from` stages."""
    if not isinstance(info.epoch, (int, float)):
        return None
    earlier = info.budget.get("earlier_epochs")
    return info.epoch + (earlier if isinstance(earlier, (int, float)) else 0)


def checkpoint_table(folder: str | Path) -> str:
    """Markdown: every checkpoint in `folder` with its budget, validation error and sha256.

    Budgets are totals over the runs a file was trained on from (`train --init-from`),
    and the last such run's file is named.
    """
    infos = ckpt.list_checkpoints(folder)
    if not infos:
        return f"(no checkpoints in {folder})"
    lines = [
        "| file | model | variant | epochs | samples seen | minutes | hardware | started from "
        "| val mean (m) | MB | sha256 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for info in infos:
        b = info.budget
        size_mb = info.path.stat().st_size / 1e6
        start = f"`{b['init_from']}`" if b.get("init_from") else "scratch"
        lines.append(
            f"| `{info.path.name}` | {info.model} | {info.variant} | {_fmt(kept_epochs(info), 2)} | "
            f"{b.get('samples_seen') or '–'} | {_fmt(b.get('minutes'))} | {b.get('hardware') or '–'} | "
            f"{start} | {_fmt(info.metrics.get('val_mean_m'))} | {size_mb:.1f} | "
            f"`{ckpt.file_sha256(info.path)[:16]}…` |"
        )
    return "\n".join(lines)


def calibration_of_checkpoints(folder: str | Path) -> str:
    """Markdown: each checkpoint's temperature, readout temperatures, default readout and
    the validation numbers its calibration was fitted with (docs/posterior.md)."""
    infos = ckpt.list_checkpoints(folder)
    if not infos:
        return f"(no checkpoints in {folder})"
    lines = [
        "| file | T | mean / median read at T | default readout | val RMSE mode / mean / median (m) "
        "| val 90 % coverage | fitted on |",
        "|---|---|---|---|---|---|---|",
    ]
    for info in infos:
        cal = Calibration.from_dict(info.calibration)
        if not cal.calibrated:
            lines.append(f"| `{info.path.name}` | 1 (uncalibrated) | – | mode | – | – | – |")
            continue
        fitted, rmse = cal.fitted, cal.fitted.get("val_rmse_m", {})
        lines.append(
            f"| `{info.path.name}` | {cal.temperature:.3g} | {cal.temperature_for('mean'):.3g} / "
            f"{cal.temperature_for('median'):.3g} | {cal.default_readout} | "
            + " / ".join(_fmt(rmse.get(r)) for r in ("mode", "mean", "median"))
            + f" | {_fmt(100 * fitted['coverage90']) + ' %' if 'coverage90' in fitted else '–'} | "
            f"{fitted.get('split', '?')} of `{fitted.get('data', '?')}`, n = {fitted.get('n', '?')} |"
        )
    return "\n".join(lines)
