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
the campus grid (UTM zone 12N). The learned (heatmap) models are not refitted here unless
`--fit` says so: their checkpoints under `--checkpoints` (checkpoints/real/, `learned`)
are loaded, and they answer with their calibrated posterior's default readout, with the
posterior's columns (credible level, 50/90 % region areas, expected error) beside; with
`--models all` a learned model without a usable checkpoint for a split (none, or one
fitted on other data) is left out of that split (printed, and listed with the reason in
meta.json's `left_out`); named in `--models`, it is an error. `python -m locnet report
--section powder results/powder` prints the tables.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd

from locnet import config_cli
from locnet.config_cli import option
from locnet.errors import LocNetError
from locnet.evaluate.folders import META_FILE, POSTERIOR_COLUMNS, SAMPLES_FILE, SUMMARY_FILE
from locnet.evaluate.metrics import POSTERIOR_STATISTICS, error_statistics, posterior_statistics
from locnet.files import atomic_write, write_json
from locnet.measurements import learned
from locnet.measurements.dataset import DEFAULT_FOLDER, PowderDataset
from locnet.measurements.output import write_folder
from locnet.measurements.splits import SPLIT_NAMES, TRAINING_SIDE
from locnet.models.registry import (
    HEATMAP_OUTPUTS,
    MEASUREMENT_FAMILY,
    available_models,
    create_model,
    default_options,
    list_variants,
    model_info,
    variant_label,
    variant_options,
)

RESULTS_FOLDER = Path("results/powder")
POINT_READOUT = "point"  # the one answer of a model without a posterior
SAMPLE_COLUMNS = (
    "split", "sample", "model", "variant", "readout", "pred_x_m", "pred_y_m", "true_x_m",
    "true_y_m", "error_m", "pred_lat", "pred_lon", "true_lat", "true_lon", "n_heard",
) + POSTERIOR_COLUMNS  # fmt: skip
SUMMARY_COLUMNS = (
    "split", "family", "model", "variant", "readout", "n", "n_train", "mean_m", "median_m",
    "rmse_m", "p90_m",
) + POSTERIOR_STATISTICS + ("fit_s", "train_cpu_min", "predict_ms")  # fmt: skip


@dataclass
class SplitResult:
    """One split's tables and meta.json, as written to its folder."""

    name: str
    samples: pd.DataFrame
    summary: pd.DataFrame
    meta: dict


def measurement_models() -> list[str]:
    """Every registered model of the measurement family and its registered variants
    (rss-locnet, rss-locnet-sim): the classical ones, then the learned ones, each in
    registry order."""
    names = [n for n in available_models() if model_info(n).family == MEASUREMENT_FAMILY]
    return sorted((v for name in names for v in list_variants(name)), key=is_learned)


def is_learned(spec: str) -> bool:
    """A model whose weights are fitted once and kept (a heatmap network), not per run."""
    return model_info(variant_options(spec)[0]).output in HEATMAP_OUTPUTS


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


@dataclass
class Answer:
    """One model's answers on a split's test side and how it got its weights."""

    xy_m: np.ndarray
    readout: str
    posterior: dict[str, np.ndarray]
    fit_s: float
    train_cpu_min: float
    predict_ms: float
    about: dict


def _classical(spec: str, train, train_truth, test) -> Answer:
    name, options = variant_options(spec)
    model = create_model(name, **options)
    tick = time.perf_counter()
    model.fit(train, train_truth)
    fit_s = time.perf_counter() - tick
    tick = time.perf_counter()
    pred = model.predict(test)
    predict_ms = (time.perf_counter() - tick) * 1000 / len(test)
    nan = np.full(len(test), np.nan)
    return Answer(pred, POINT_READOUT, dict.fromkeys(POSTERIOR_COLUMNS, nan), fit_s, np.nan,
                  predict_ms, {"options": {**default_options(name), **model.options}})


def _learned(got: learned.Obtained, test, truth) -> Answer:
    tick = time.perf_counter()
    answered = learned.answer(got.model, test, truth)
    predict_ms = (time.perf_counter() - tick) * 1000 / len(test)
    about = {
        "options": asdict(got.model.settings),
        "checkpoint": str(got.path),
        "sha256": got.sha256,
        "fitted_in_this_run": got.fitted_now,
        "train_cpu_minutes": got.cpu_minutes,
        "training": got.model.history,
        "calibration": got.model.calibration,
    }
    cpu = got.cpu_minutes if got.cpu_minutes is not None else np.nan
    return Answer(answered.xy_m, answered.readout, answered.posterior, 0.0, cpu, predict_ms, about)


def evaluate_split(
    dataset: PowderDataset,
    split: str,
    models: list[str],
    *,
    checkpoints: str | os.PathLike = learned.CHECKPOINT_ROOT,
    fit: str = "never",
    cpu_minutes: float | None = None,
    skip_missing: bool = False,
) -> SplitResult:
    """Fit each model on the split's training side (a learned one: load its checkpoint,
    or fit and save it as `fit` says), predict its test side, score."""
    train_ids, test_ids = dataset.split(split)
    train, test = dataset.batch(train_ids), dataset.batch(test_ids)
    train_truth, truth = dataset.truth_m(train_ids), dataset.truth_m(test_ids)
    true_lat, true_lon = dataset.grid.m_to_latlon(truth[:, 0], truth[:, 1])
    family = dataset.splits[split]["family"]
    rows, summaries, described, left_out = [], [], [], {}
    for spec in models:
        name = variant_options(spec)[0]
        if is_learned(spec):
            try:
                got = learned.obtain(dataset, split, spec, checkpoints, fit, cpu_minutes)
                if got is None:
                    path = learned.checkpoint_path(checkpoints, spec, split)
                    raise LocNetError(f"no {path}; make it with `{learned.fit_command(spec, split)}`")
            except LocNetError as exc:
                if not skip_missing:
                    raise LocNetError(f"{spec} on split {split}: {exc}") from None
                left_out[spec] = str(exc)
                continue
            result = _learned(got, test, truth)
        else:
            result = _classical(spec, train, train_truth, test)
        pred = result.xy_m
        error = np.hypot(*(pred - truth).T)
        lat, lon = dataset.grid.m_to_latlon(pred[:, 0], pred[:, 1])
        variant = variant_label(name, variant_options(spec)[1])
        columns = (
            split, test_ids, spec, variant, result.readout, pred[:, 0], pred[:, 1], truth[:, 0],
            truth[:, 1], error, lat, lon, true_lat, true_lon, test.heard.sum(axis=1),
        ) + tuple(result.posterior[c] for c in POSTERIOR_COLUMNS)  # fmt: skip
        table = pd.DataFrame(dict(zip(SAMPLE_COLUMNS, columns)))
        rows.append(table)
        summaries.append(
            {"split": split, "family": family, "model": spec, "variant": variant}
            | {"readout": result.readout, "n_train": len(train_ids)}
            | {"fit_s": round(result.fit_s, 3), "train_cpu_min": result.train_cpu_min}
            | {"predict_ms": round(result.predict_ms, 3)}
            | error_statistics(error)
            | posterior_statistics(table)
        )
        described.append(
            {"model": spec, "variant": variant, "description": model_info(name).description}
            | result.about
        )
    if not rows:
        raise LocNetError(f"split {split}: no model left to evaluate ({'; '.join(left_out.values())})")
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
        "left_out": left_out,
        "errors": "Euclidean distance in metres in the campus grid",
        "device": f"cpu ({os.cpu_count()} cores visible)",
        "scikit_learn": version("scikit-learn"),
        "torch": version("torch"),
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
    checkpoints: str = option(
        str(learned.CHECKPOINT_ROOT), help="where the learned models' fitted weights are kept"
    )
    fit: str = option(
        "never",
        help="learned models: never (load checkpoints), missing (fit those absent, ~10 CPU "
        "minutes each) or always (refit)",
    )
    cpu_minutes: float | None = option(
        None, help="learned models fitted in this run: CPU minutes each (default: the model's)"
    )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, EvaluatePowderConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(EvaluatePowderConfig, args)
    started = time.perf_counter()
    dataset = PowderDataset.open(cfg.data)
    splits = resolve(cfg.splits, list(dataset.splits), "splits")
    models = resolve(cfg.models, measurement_models(), "models")
    if cfg.fit not in learned.FIT_MODES:
        raise LocNetError(f"--fit {cfg.fit!r}: choose one of {', '.join(learned.FIT_MODES)}")
    command = (
        "python -m locnet " + shlex.join(sys.argv[1:])
        if sys.argv[1:2] == ["evaluate-powder"]
        else shlex.join(
            ["python", "-m", "locnet", "evaluate-powder", *config_cli.to_argv(cfg)]
        )
    )
    for split in splits:
        tick = time.perf_counter()
        result = evaluate_split(
            dataset, split, models, checkpoints=cfg.checkpoints, fit=cfg.fit,
            cpu_minutes=cfg.cpu_minutes, skip_missing=cfg.models.strip() == "all",
        )
        result.meta |= {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - tick, 2),
            "command": command,
        }
        folder = write_split(result, cfg.out)
        shown = ["n", "mean_m", "median_m", "rmse_m", "p90_m", "coverage90"]
        table = result.summary.set_index("model")[shown]
        print(f"{split}: {int(result.summary['n'].iat[0])} test samples -> {folder}")
        for spec, reason in result.meta["left_out"].items():
            print(f"  left out {spec}: {reason}")
        print(table.round(3).to_string())
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
