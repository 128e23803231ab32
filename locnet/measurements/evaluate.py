"""`python -m locnet evaluate-powder`: every measurement model, fitted on a split's training
side and scored on its test side, for the POWDER dataset's own splits.

Why not `python -m locnet evaluate`: that command's samples are (map, transmitter, rate,
mask) drawn on 256 x 256 radio maps, encoded as image batches and answered through the
posterior; a measured sample is a set of receivers with uncalibrated RSS and no map, and
its models are fitted per split. This command keeps evaluate's statistics
(`evaluate.metrics.error_statistics`) and file names, one folder per split:

    results/powder/<split>/samples.parquet  one row per test sample and model
    results/powder/<split>/summary.csv      one row per model: n, mean/median/RMSE/p90 (m)
    results/powder/<split>/meta.json        dataset fingerprint, split, models, timings

Each folder is replaced whole (output.py). Errors are Euclidean distances in metres in
the campus grid (UTM zone 12N). `python -m locnet report --section powder results/powder`
prints the tables.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from locnet import config_cli
from locnet.config_cli import option
from locnet.errors import LocNetError
from locnet.evaluate.folders import META_FILE, SAMPLES_FILE, SUMMARY_FILE
from locnet.evaluate.metrics import error_statistics
from locnet.files import atomic_write, write_json
from locnet.measurements.dataset import DEFAULT_FOLDER, PowderDataset
from locnet.measurements.output import write_folder
from locnet.measurements.splits import SPLIT_NAMES, TRAINING_SIDE
from locnet.models.registry import (
    MEASUREMENT_FAMILY,
    available_models,
    create_model,
    default_options,
    model_info,
    resolve_options,
    variant_label,
)

RESULTS_FOLDER = Path("results/powder")
SAMPLE_COLUMNS = (
    "split", "sample", "model", "variant", "pred_x_m", "pred_y_m", "true_x_m", "true_y_m",
    "error_m", "pred_lat", "pred_lon", "true_lat", "true_lon", "n_heard",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "split", "family", "model", "variant", "n", "n_train", "mean_m", "median_m", "rmse_m",
    "p90_m", "fit_s", "predict_ms",
)  # fmt: skip


@dataclass
class SplitResult:
    """One split's tables and meta.json, as written to its folder."""

    name: str
    samples: pd.DataFrame
    summary: pd.DataFrame
    meta: dict


def measurement_models() -> list[str]:
    """Every registered model of the measurement family, in registry order."""
    return [n for n in available_models() if model_info(n).family == MEASUREMENT_FAMILY]


def resolve(spec: str, known: list[str], what: str) -> list[str]:
    """'all' or a comma list -> names, LocNetError naming an unknown one."""
    names = known if spec.strip() == "all" else [s.strip() for s in spec.split(",") if s.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise LocNetError(
            f"--{what} {spec!r}: unknown {', '.join(unknown) or 'empty list'}; "
            f"choose from {', '.join(known)} or 'all'"
        )
    return names


def evaluate_split(dataset: PowderDataset, split: str, models: list[str]) -> SplitResult:
    """Fit each model on the split's training side, predict its test side, score."""
    train_ids, test_ids = dataset.split(split)
    train, test = dataset.batch(train_ids), dataset.batch(test_ids)
    train_truth, truth = dataset.truth_m(train_ids), dataset.truth_m(test_ids)
    true_lat, true_lon = dataset.grid.m_to_latlon(truth[:, 0], truth[:, 1])
    family = dataset.splits[split]["family"]
    rows, summaries, described = [], [], []
    for name in models:
        model = create_model(name)
        tick = time.perf_counter()
        model.fit(train, train_truth)
        fit_s = time.perf_counter() - tick
        tick = time.perf_counter()
        pred = model.predict(test)
        predict_ms = (time.perf_counter() - tick) * 1000 / len(test)
        error = np.hypot(*(pred - truth).T)
        lat, lon = dataset.grid.m_to_latlon(pred[:, 0], pred[:, 1])
        variant = variant_label(name)
        columns = (
            split, test_ids, name, variant, pred[:, 0], pred[:, 1], truth[:, 0], truth[:, 1],
            error, lat, lon, true_lat, true_lon, test.heard.sum(axis=1),
        )  # fmt: skip
        rows.append(pd.DataFrame(dict(zip(SAMPLE_COLUMNS, columns))))
        summaries.append(
            {"split": split, "family": family, "model": name, "variant": variant}
            | {"n_train": len(train_ids), "fit_s": round(fit_s, 3)}
            | {"predict_ms": round(predict_ms, 3)}
            | error_statistics(error)
        )
        described.append(
            {
                "model": name,
                "variant": variant,
                "options": {**default_options(name), **resolve_options(name)},
                "description": model_info(name).description,
            }
        )
    samples = pd.concat(rows, ignore_index=True).loc[:, list(SAMPLE_COLUMNS)]
    summary = pd.DataFrame(summaries).loc[:, list(SUMMARY_COLUMNS)]
    meta = {
        "dataset": {"path": str(dataset.folder), "fingerprint": dataset.fingerprint},
        "split": {
            "name": split,
            "family": family,
            "about": dataset.splits[split].get("about", ""),
            "test_file": dataset.splits[split].get("file", ""),
            "n_test": len(test_ids),
            "n_train": len(train_ids),
            "training_side": TRAINING_SIDE,
        },
        "grid": dataset.grid.to_dict(),
        "models": described,
        "errors": "Euclidean distance in metres in the campus grid",
        "device": f"cpu ({os.cpu_count()} cores visible)",
        "scikit_learn": version("scikit-learn"),
    }
    return SplitResult(split, samples, summary, meta)


def write_split(result: SplitResult, root: str | os.PathLike) -> Path:
    """The split's folder under `root`, replaced whole."""

    def write(folder: Path) -> None:
        atomic_write(folder / SAMPLES_FILE, lambda p: result.samples.to_parquet(p, index=False))
        atomic_write(folder / SUMMARY_FILE, lambda p: result.summary.to_csv(p, index=False))
        write_json(folder / META_FILE, result.meta)

    return write_folder(Path(root) / result.name, write)


@dataclass(kw_only=True)
class EvaluatePowderConfig:
    """`evaluate-powder`'s command line."""

    data: str = option(str(DEFAULT_FOLDER), help="the copy made by python -m locnet import-powder")
    splits: str = option("all", help=f"comma list of splits ({', '.join(SPLIT_NAMES)}) or 'all'")
    models: str = option("all", help="comma list of measurement models (registry names) or 'all'")
    out: str = option(str(RESULTS_FOLDER), help="results root: one folder per split")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, EvaluatePowderConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(EvaluatePowderConfig, args)
    started = time.perf_counter()
    dataset = PowderDataset.open(cfg.data)
    splits = resolve(cfg.splits, list(dataset.splits), "splits")
    models = resolve(cfg.models, measurement_models(), "models")
    command = (
        "python -m locnet " + shlex.join(sys.argv[1:])
        if sys.argv[1:2] == ["evaluate-powder"]
        else shlex.join(
            ["python", "-m", "locnet", "evaluate-powder", *config_cli.to_argv(cfg)]
        )
    )
    for split in splits:
        tick = time.perf_counter()
        result = evaluate_split(dataset, split, models)
        result.meta |= {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - tick, 2),
            "command": command,
        }
        folder = write_split(result, cfg.out)
        table = result.summary.set_index("model")[["n", "mean_m", "median_m", "rmse_m", "p90_m"]]
        print(f"{split}: {len(result.samples) // len(models)} test samples -> {folder}")
        print(table.round(1).to_string())
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
