"""Result folders made for tests, laid out as `python -m locnet evaluate` writes them.

`write_results_folder` builds a small, self-consistent folder (samples with three readouts
for heatmap models and posterior columns, summary, per-environment table, meta); the
results, report, page and browser tests share it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from locnet.constants import RATES_PERCENT
from locnet.evaluate.folders import (
    META_FILE,
    PER_ENV_COLUMNS,
    PER_ENV_FILE,
    POSTERIOR_COLUMNS,
    SAMPLE_COLUMNS,
    SAMPLES_FILE,
    SUMMARY_COLUMNS,
    SUMMARY_FILE,
    SUMMARY_POSTERIOR_COLUMNS,
    legacy_readout,
)

MODELS = [
    ("locnet", "env-focal"),
    ("locnet", "noenv-focal"),
    ("locnet", "env-bbce"),
    ("locnet", "env-ft"),
    ("locnet", "env-mse"),
    ("mslocnet", "default"),
    ("centroid", "default"),
]
# Typical error scale (m) at rate 0.01 %; larger maps index -> denser -> harder in this fake.
SCALE_M = {
    ("locnet", "env-focal"): 40,
    ("locnet", "noenv-focal"): 50,
    ("locnet", "env-bbce"): 42,
    ("locnet", "env-ft"): 80,
    ("locnet", "env-mse"): 90,
    ("mslocnet", "default"): 100,
    ("centroid", "default"): 70,
}


def with_readouts(samples: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The new schema from one answer per (sample, model): heatmap models' rows three times
    (mean 10 %, median 5 % closer than the mode) with random posterior columns, the
    others' as `point` rows with NaN posterior columns."""
    rng = np.random.default_rng(seed)
    heat = samples["model"].map(legacy_readout) == "mode"
    point = samples[~heat].assign(readout="point", **{c: np.nan for c in POSTERIOR_COLUMNS})
    base = samples[heat]
    level = rng.uniform(0, 1, len(base))
    radius = rng.uniform(5, 120, len(base))  # of the 90 % region (m)
    posterior = {
        "area50_m2": np.pi * (radius / 2) ** 2,
        "area90_m2": np.pi * radius**2,
        "credible_level": level,
        "in50": (level < 0.5).astype(float),
        "in90": (level < 0.9).astype(float),
    }
    spread = rng.uniform(0.7, 1.4, len(base))
    parts = [point]
    for readout, factor in (("mode", 1.0), ("mean", 0.9), ("median", 0.95)):
        parts.append(
            base.assign(
                readout=readout,
                pred_x=base["true_x"] + factor * (base["pred_x"] - base["true_x"]),
                pred_y=base["true_y"] + factor * (base["pred_y"] - base["true_y"]),
                error_m=factor * base["error_m"],
                expected_error_m=spread * factor * base["error_m"],
                **posterior,
            )
        )
    return pd.concat(parts, ignore_index=True)[list(SAMPLE_COLUMNS)]


def synthetic_samples(
    maps=("0", "1", "2", "3"),
    cities=("Alpha", "Alpha", "Beta", "Gamma"),
    models=MODELS,
    rates=RATES_PERCENT,
    n_tx=2,
    seed=0,
) -> pd.DataFrame:
    """One row per (map, tx, rate, model, readout) with errors that fall with the rate."""
    rng = np.random.default_rng(seed)
    grid = pd.MultiIndex.from_product(
        [range(len(maps)), range(n_tx), rates, range(len(models))],
        names=["mi", "tx", "rate_percent", "mo"],
    ).to_frame(index=False)
    scale = np.array([SCALE_M[m] for m in models])[grid["mo"]]
    error = (
        scale
        * np.sqrt(0.01 / grid["rate_percent"])
        * (1 + 0.3 * grid["mi"])
        * rng.uniform(0.5, 1.5, len(grid))
    )
    angle = rng.uniform(0, 2 * np.pi, len(grid))
    true = rng.integers(20, 236, size=(len(grid), 2))
    samples = pd.DataFrame(
        {
            "map": np.asarray(maps)[grid["mi"]],
            "env_id": [f"env{i}" for i in grid["mi"]],
            "city": np.asarray(cities)[grid["mi"]],
            "tx": grid["tx"],
            "mask": 0,
            "rate_percent": grid["rate_percent"],
            "model": [models[i][0] for i in grid["mo"]],
            "variant": [models[i][1] for i in grid["mo"]],
            "pred_x": true[:, 0] + error * np.cos(angle),
            "pred_y": true[:, 1] + error * np.sin(angle),
            "true_x": true[:, 0],
            "true_y": true[:, 1],
            "error_m": error,
            "runtime_ms": 1.0,
        }
    )
    return with_readouts(samples, seed)


STAT_COLUMNS = (
    "rmse_m", "mean_m", "median_m", "p90_m", "n",
    "coverage50", "coverage90", "expected_rmse_m", "median_area90_m2",
)  # fmt: skip


def _mean(values: np.ndarray | None) -> float:
    """Series.mean of one group: NaN skipped, NaN when nothing is left (or no column)."""
    if values is None:
        return np.nan
    kept = values[~np.isnan(values)]
    return kept.mean() if len(kept) else np.nan


def _median(values: np.ndarray | None) -> float:
    """Series.median of one group: NaN skipped, NaN when nothing is left (or no column)."""
    if values is None:
        return np.nan
    kept = values[~np.isnan(values)]
    return np.median(kept) if len(kept) else np.nan


def _stats(column) -> tuple:
    """One summary row from `column(name)` (that column's values in the group, or None)."""
    err = column("error_m")
    expected = column("expected_error_m")
    return (
        np.sqrt(_mean(err**2)),
        _mean(err),
        _median(err),
        np.quantile(err[~np.isnan(err)], 0.9),
        float(len(err)),
        _mean(column("in50")),
        _mean(column("in90")),
        np.sqrt(_mean(expected**2)) if expected is not None else np.nan,
        _median(column("area90_m2")),
    )


def aggregate(samples: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """summary.csv / per_environment.csv rows of `samples` grouped by `keys` (all metrics).

    The same numbers, bit for bit, as `groupby(keys).apply` of pandas' Series.mean,
    median and quantile(0.9) per group (the posterior columns NaN where `samples` has
    none), computed on numpy arrays: groupby.apply took ~1.5 s per results folder.
    """
    grouped = samples.groupby(keys, sort=True)
    index = grouped.size().index
    if len(samples) == 0:
        return pd.DataFrame(columns=[*keys, *STAT_COLUMNS])
    codes = grouped.ngroup().to_numpy()  # -1: a NaN key, dropped as groupby drops it
    order = np.argsort(codes, kind="stable")  # rows of each group, in their original order
    order = order[codes[order] >= 0]
    groups = np.split(order, np.flatnonzero(np.diff(codes[order])) + 1)
    names = ("error_m", "expected_error_m", "in50", "in90", "area90_m2")
    arrays = {c: samples[c].to_numpy(dtype=float) for c in names if c in samples}
    table = [
        _stats(lambda c, m=members: arrays[c][m] if c in arrays else None) for members in groups
    ]
    return pd.DataFrame(table, columns=list(STAT_COLUMNS), index=index).reset_index()


CALIBRATED = {  # Calibration.to_dict() of a checkpoint calibrated on validation
    "temperature": 0.5,
    "readout_temperature": {"mean": 0.4},
    "default_readout": "mean",
    "fitted": {"split": "val", "n": 236, "nll": 7.1},
}


def write_results_folder(
    folder: Path,
    samples: pd.DataFrame | None = None,
    *,
    fingerprint: str = "abc123",
    dataset_path: str = "data/demo",
    date: str = "2024-05-01T12:00:00",
    calibration: dict | None = CALIBRATED,
) -> Path:
    """Write summary.csv, per_environment.csv, samples.parquet and meta.json into `folder`
    (the new schema when `samples` has readouts, else the old one, as evaluate wrote it)."""
    samples = synthetic_samples() if samples is None else samples
    new = "readout" in samples.columns
    keys = ["model", "variant"] + (["readout"] if new else []) + ["rate_percent"]
    columns = [c for c in SUMMARY_COLUMNS if new or c not in SUMMARY_POSTERIOR_COLUMNS]
    columns = [c for c in columns if new or c != "readout"]
    folder.mkdir(parents=True, exist_ok=True)
    aggregate(samples, keys)[columns].to_csv(folder / SUMMARY_FILE, index=False)
    per_env = [c for c in PER_ENV_COLUMNS if new or c != "readout"]
    aggregate(samples, keys + ["map", "env_id", "city"])[per_env].to_csv(
        folder / PER_ENV_FILE, index=False
    )
    samples.to_parquet(folder / SAMPLES_FILE, index=False)
    meta = {
        "dataset": {"path": dataset_path, "fingerprint": fingerprint},
        "split": "test",
        "checkpoints": {
            "locnet-env-focal.pt": {
                "model": "locnet",
                "variant": "env-focal",
                "sha256": "00",
                "budget": "10 epochs",
                "calibration": calibration,
            },
            "mslocnet.pt": {"model": "mslocnet", "variant": "default", "calibration": None},
        },
        "device": "cpu",
        "date": date,
        "command": "python -m locnet evaluate ...",
    }
    if new:
        meta.update(readouts=sorted(set(samples["readout"]) - {"point"}), tta=False)
    (folder / META_FILE).write_text(json.dumps(meta))
    return folder


def copy_results_folder(template: Path, folder: Path) -> Path:
    """`template` (conftest's session-wide `results_folder_template`) copied to `folder`,
    which is returned: the same files as `write_results_folder(folder)`, the test's own."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copytree(template, folder))


def old_schema(samples: pd.DataFrame) -> pd.DataFrame:
    """samples.parquet as written before readouts: the mode / point rows, 14 columns."""
    rows = samples[samples["readout"].isin(["mode", "point"])]
    return rows.drop(columns=["readout", *POSTERIOR_COLUMNS]).reset_index(drop=True)
