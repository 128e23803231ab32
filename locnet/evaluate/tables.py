"""`evaluate`'s tables: per-sample rows, their summaries, and the results folder.

Errors are Euclidean distances in metres between the predicted and the true pixel
(1 px = PIXEL_M m). `write_results()` writes the folder read by locnet.results:
samples.parquet, summary.csv, per_environment.csv, meta.json.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from locnet.constants import PIXEL_M
from locnet.evaluate.folders import (
    META_FILE,
    PER_ENV_COLUMNS,
    PER_ENV_FILE,
    POSTERIOR_COLUMNS,
    SAMPLE_COLUMNS,
    SAMPLES_CSV,
    SAMPLES_FILE,
    SUMMARY_COLUMNS,
    SUMMARY_FILE,
)
from locnet.evaluate.metrics import error_statistics, posterior_statistics
from locnet.evaluate.plan import ModelEntry
from locnet.files import PROJECT_ROOT, atomic_write, claim_output_folder
from locnet.posterior import distribution as P
from locnet.posterior.calibration import Answers


@dataclass
class Evaluation:
    samples: pd.DataFrame
    summary: pd.DataFrame
    per_environment: pd.DataFrame
    meta: dict


def summarise(samples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per model/variant/readout/rate, per environment) from per-sample rows."""
    series = ["model", "variant", "readout", "rate_percent"]
    posterior_columns = ["error_m", "in50", "in90", "expected_error_m", "area90_m2"]
    summary = (
        samples.groupby(series, sort=True)[posterior_columns]
        .apply(lambda g: pd.Series(error_statistics(g["error_m"]) | posterior_statistics(g)))
        .reset_index()
    )
    per_env = (
        samples.groupby([*series, "map", "env_id", "city"], sort=True)[["error_m"]]
        .apply(lambda g: pd.Series(error_statistics(g["error_m"])))
        .reset_index()
    )
    for table in (summary, per_env):
        table["n"] = table["n"].astype(int)
    return summary.loc[:, list(SUMMARY_COLUMNS)], per_env.loc[:, list(PER_ENV_COLUMNS)]


def portable_path(path: str | os.PathLike) -> str:
    """Relative to the project root when inside it (so a fresh clone shows the same
    provenance), else absolute."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(resolved)


def score_answers(answers: Answers, truth: torch.Tensor) -> dict[str, dict[str, np.ndarray]]:
    """readout -> per-sample columns: prediction, error (m) and the posterior's numbers
    (NaN for a model without a posterior). truth: (B, 2) true pixels (x, y)."""
    n, probs = len(truth), answers.probs
    true_xy = truth.numpy().astype(np.float64)
    posterior: dict[str, np.ndarray] = {c: np.full(n, np.nan) for c in POSTERIOR_COLUMNS}
    if probs is not None:
        level = P.credible_level(probs, truth.to(probs.device)).cpu().numpy().astype(np.float64)
        areas = P.region_sizes(probs, (0.5, 0.9)).cpu().numpy() * PIXEL_M**2
        posterior.update(
            area50_m2=areas[:, 0].astype(np.float64),
            area90_m2=areas[:, 1].astype(np.float64),
            credible_level=level,
            in50=(level < 0.5).astype(np.float64),
            in90=(level < 0.9).astype(np.float64),
        )
    scored = {}
    for readout, xy in answers.xy.items():
        pred = xy.float().cpu().numpy().astype(np.float64)
        columns = dict(posterior)
        if probs is not None:
            expected = P.expected_error_m(probs, xy.to(probs.device).float())
            columns["expected_error_m"] = expected.cpu().numpy().astype(np.float64)
        error = np.hypot(pred[:, 0] - true_xy[:, 0], pred[:, 1] - true_xy[:, 1]) * PIXEL_M
        scored[readout] = {"pred_x": pred[:, 0], "pred_y": pred[:, 1], "error_m": error, **columns}
    return scored


def _append_rows(
    columns: dict[str, list],
    entry: ModelEntry,
    readout: str,
    keys: list[tuple],
    envs: dict[int, tuple[str, str]],
    txs: tuple,
    scored: dict[str, np.ndarray],
    runtime_ms: float,
) -> None:
    """Add one batch of one model's readout to the sample table's columns."""
    for i, (map_id, tx_id, k, rate) in enumerate(keys):
        env_id, city = envs.get(map_id, (str(map_id), "unknown"))
        record = {
            "map": str(map_id), "env_id": env_id, "city": city, "tx": tx_id, "mask": k,
            "rate_percent": rate, "model": entry.model, "variant": entry.variant,
            "readout": readout, "true_x": txs[i][0], "true_y": txs[i][1],
            "runtime_ms": runtime_ms,
        }
        record |= {name: float(values[i]) for name, values in scored.items()}
        for name in SAMPLE_COLUMNS:
            columns[name].append(record[name])


def write_result_files(evaluation: Evaluation, out: Path) -> Path:
    """Write the four result files into `out`, each atomically (the caller owns `out`:
    see write_results). A samples file of the other format left by an earlier run is
    removed, so the folder never holds two that disagree."""
    try:
        atomic_write(out / SAMPLES_FILE, lambda p: evaluation.samples.to_parquet(p, index=False))
        stale = out / SAMPLES_CSV
    except ImportError:  # no parquet engine (the GPU machine has pandas without pyarrow)
        atomic_write(
            out / SAMPLES_CSV, lambda p: evaluation.samples.to_csv(p, index=False, compression="gzip")
        )
        stale = out / SAMPLES_FILE
    stale.unlink(missing_ok=True)
    atomic_write(out / SUMMARY_FILE, lambda p: evaluation.summary.to_csv(p, index=False))
    atomic_write(
        out / PER_ENV_FILE, lambda p: evaluation.per_environment.to_csv(p, index=False)
    )
    atomic_write(out / META_FILE, lambda p: p.write_text(json.dumps(evaluation.meta, indent=2)))
    return out


def write_results(evaluation: Evaluation, out: str | os.PathLike, force: bool = False) -> Path:
    """Claim `out` (locnet.files.claim_output_folder: refused if another run holds it, or
    if it holds files and not `force`) and write the four result files into it."""
    with claim_output_folder(out, force=force) as folder:
        return write_result_files(evaluation, folder)
