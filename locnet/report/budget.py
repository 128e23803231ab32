"""Validation RMSE against training budget, from the checkpoints' own records.

Each checkpoint keeps its validation history (one entry per validation: epoch,
val_rmse_m, val_mean_m, minutes, samples_seen, counted from the start of ITS run) and
its timings; a run started with `train --init-from` records where it started (file,
cumulative minutes and samples_seen of that file). Budgets here are cumulative over
the whole chain of runs. CPU-hours are the run's measured `cpu_minutes` / 60 where it
recorded them, else minutes x CPUs / 60 with CPUs = processes x threads read from the
hardware string ('2 x CPU (..., 1 threads)'); GPU runs have no CPU-hours (NaN). Parent files that are missing count from their record alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from locnet.errors import LocNetError
from locnet.models import checkpoints as ckpt

CPU_HARDWARE = re.compile(r"^\s*(\d+)\s*x\s*CPU\b.*?(\d+)\s+threads?\)\s*$", re.IGNORECASE)
BUDGET_COLUMNS = (
    "curve", "model", "variant", "stage", "file", "epoch", "samples_seen", "minutes", "cpu_hours",
    "val_rmse_m", "val_mean_m", "val_seed", "hardware",
)  # fmt: skip
MAX_STAGES = 20  # a longer --init-from chain is a loop


def cpus_of(hardware: str | None) -> int | None:
    """CPU cores a run used (processes x threads), None for GPU or unknown hardware."""
    match = CPU_HARDWARE.match(str(hardware or ""))
    return int(match.group(1)) * int(match.group(2)) if match else None


def _cpu_hours(minutes: float | None, hardware: str | None, measured: float | None = None) -> float:
    """Measured CPU minutes / 60 where the run recorded them (train's `cpu_minutes`), else
    wall minutes x the cores of the hardware string (assumed busy)."""
    if isinstance(measured, (int, float)):
        return float(measured) / 60.0
    cpus = cpus_of(hardware)
    if cpus is None or not isinstance(minutes, (int, float)):
        return float("nan")
    return float(minutes) * cpus / 60.0


def _find_parent(record: dict, child: Path) -> Path | None:
    """The file a run started from: its recorded path (from the project root), else a file
    of that name beside the child or in the child's sub-folders (stages/)."""
    name = Path(str(record.get("file", "")))
    for candidate in (name, child.parent / name.name, *child.parent.glob(f"*/{name.name}")):
        if candidate.is_file() and candidate.resolve() != child.resolve():
            return candidate
    return None


def _stage_chain(path: Path) -> list[tuple[Path | None, dict]]:
    """[(file or None, payload or init_from record)] from the first run to `path`."""
    chain: list[tuple[Path | None, dict]] = []
    current: Path | None = path
    payload = ckpt.check_payload(path, ckpt.read_file(path, mmap=True))
    while True:
        chain.append((current, payload))
        record = (payload.get("timings") or {}).get("init_from")
        if not isinstance(record, dict) or len(chain) > MAX_STAGES:
            return chain[::-1]
        current = _find_parent(record, current) if current is not None else None
        if current is None:
            chain.append((None, record))
            return chain[::-1]
        payload = ckpt.check_payload(current, ckpt.read_file(current, mmap=True))


def _stage_rows(file: Path, payload: dict, offset: dict) -> list[dict]:
    """One row per validation of one run, its budget shifted by the runs before it."""
    timings = payload.get("timings") or {}
    hardware = timings.get("hardware")
    seed = (payload.get("train_config") or {}).get("seed")
    rows = []
    for entry in payload.get("history") or []:
        minutes = float(entry.get("minutes", np.nan))
        rows.append(
            {
                "file": file.name,
                "epoch": entry.get("epoch"),
                "samples_seen": offset["samples_seen"] + float(entry.get("samples_seen", np.nan)),
                "minutes": offset["minutes"] + minutes,
                "cpu_hours": offset["cpu_hours"]
                + _cpu_hours(minutes, hardware, entry.get("cpu_minutes")),
                "val_rmse_m": float(entry.get("val_rmse_m", np.nan)),
                "val_mean_m": float(entry.get("val_mean_m", np.nan)),
                "val_seed": seed,
                "hardware": hardware,
            }
        )
    return rows


def _walk(path: Path) -> tuple[list[dict], dict]:
    """History rows of every run up to `path` and the budget totals at its end."""
    rows: list[dict] = []
    offset = {"samples_seen": 0.0, "minutes": 0.0, "cpu_hours": 0.0}
    for stage, (file, payload) in enumerate(_stage_chain(path), start=1):
        if file is None:  # a parent file that is not here: its recorded totals only
            offset = {
                "samples_seen": float(payload.get("samples_seen") or 0),
                "minutes": float(payload.get("minutes") or 0),
                "cpu_hours": _cpu_hours(
                    payload.get("minutes"), payload.get("hardware"), payload.get("cpu_minutes")
                ),
            }
            continue
        rows += [dict(row, stage=stage) for row in _stage_rows(file, payload, offset)]
        timings = payload.get("timings") or {}
        own = float(timings.get("minutes") or 0)
        offset = {
            "samples_seen": offset["samples_seen"] + float(timings.get("samples_seen") or 0),
            "minutes": offset["minutes"] + own,
            "cpu_hours": offset["cpu_hours"]
            + _cpu_hours(own, timings.get("hardware"), timings.get("cpu_minutes")),
        }
    return rows, offset


def budget_history(path: str | Path) -> pd.DataFrame:
    """Every validation of a checkpoint and of the runs it was trained on from, with
    cumulative samples seen, minutes and CPU-hours (BUDGET_COLUMNS; `curve` = the file)."""
    info = ckpt.checkpoint_info(path)
    rows, _ = _walk(Path(path))
    table = pd.DataFrame(rows, columns=list(BUDGET_COLUMNS[3:]))
    table.insert(0, "variant", info.variant)
    table.insert(0, "model", info.model)
    table.insert(0, "curve", str(path))
    return table


def total_budget(path: str | Path) -> dict:
    """samples_seen, minutes and cpu_hours of a checkpoint's whole training, summed over
    its `--init-from` runs (cpu_hours NaN when any run was on a GPU)."""
    return _walk(Path(path))[1]


def budget_curves(paths: list[str | Path]) -> pd.DataFrame:
    """budget_history of several checkpoints (files, or folders: their *.pt files)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += [i.path for i in ckpt.list_checkpoints(p)]
        elif p.is_file():
            files.append(p)
        else:
            raise LocNetError(f"{p} is neither a checkpoint file nor a folder of them")
    tables = [budget_history(f) for f in files]
    if not tables:
        return pd.DataFrame(columns=list(BUDGET_COLUMNS))
    return pd.concat(tables, ignore_index=True)
