"""`python -m locnet evaluate`: every model on the same samples of a split, across rates.

A sample is (map, transmitter, rate, mask k). Masks come from the split's mask files for
a rate when the dataset has them, else they are drawn at random, seeded per sample, so
every model (and every rerun) sees the same sensors. Errors are Euclidean distances in
metres between the predicted and the true pixel (1 px = PIXEL_M m). `evaluate()` is the
function the app calls (with a progress callback); `write_results()` writes the folder
read by locnet.results: samples.parquet, summary.csv, per_environment.csv, meta.json.

This module runs the models and holds the CLI; locnet.evaluate.plan says what runs (models,
samples) and locnet.evaluate.tables turns answers into tables and files. Their public names
are re-exported here, where callers have always found them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from locnet import config_cli
from locnet.config_cli import option
from locnet.constants import MASKS_PER_TX, RATES_PERCENT
from locnet.data.radiomapseer import RadioMapDataset, open_dataset
from locnet.data.sampling import encode_batch, n_sensors_for_rate
from locnet.errors import LocNetError
from locnet.evaluate.folders import SAMPLE_COLUMNS
from locnet.evaluate.plan import (
    ModelEntry,
    SampleLoader,
    _environment,
    plan_samples,
    resolve_models,
)
from locnet.evaluate.tables import (
    Evaluation,
    _append_rows,
    portable_path,
    score_answers,
    summarise,
    write_result_files,
)
from locnet.files import claim_output_folder
from locnet.inference import load_model
from locnet.models import checkpoints as ckpt
from locnet.models.device import model_device, pick_device
from locnet.posterior.calibration import answer_batch, calibration_of
from locnet.posterior.distribution import READOUTS

Progress = Callable[[int, int], None]  # (samples done, samples total)


def evaluate(
    data: str | os.PathLike,
    *,
    split: str = "test",
    models: list[str] | str = "all",
    rates: Sequence[float] = RATES_PERCENT,
    checkpoint_dir: str | os.PathLike = "checkpoints",
    masks_per_tx: int = MASKS_PER_TX,
    limit: int | None = None,
    device: str = "auto",
    batch_size: int = 32,
    seed: int = 0,
    progress: Progress | None = None,
    quiet: bool = True,
    command: str | None = None,
    tta: bool = False,
) -> Evaluation:
    """Evaluate models on one split; returns per-sample, summary and per-environment tables.

    Heatmap models give one row per readout (mode, mean, median) with their posterior's
    expected error, region areas and whether the truth is inside each region; others one
    `point` row (docs/posterior.md). tta: average the logits over 8 flips/rotations."""
    started = time.perf_counter()
    rates = _checked_arguments(data, rates, masks_per_tx, batch_size)
    source = open_dataset(data)
    torch_device = pick_device(device)
    entries = resolve_models([models] if isinstance(models, str) else list(models), checkpoint_dir)
    loaded = [
        load_model(e.path or e.model, checkpoint_dir, torch_device, name=e.model) for e in entries
    ]
    plan, mask_sources = plan_samples(source, split, rates, masks_per_tx, limit, seed)
    envs, load = _environment(source), SampleLoader(source, seed)
    columns: dict[str, list] = {c: [] for c in SAMPLE_COLUMNS}
    bar = tqdm(
        total=len(plan), unit="sample", disable=quiet, desc=f"evaluating {len(entries)} models"
    )
    with torch.inference_mode():
        for start in range(0, len(plan), batch_size):
            batch = plan[start : start + batch_size]
            _run_batch(columns, batch, load, entries, loaded, envs, torch_device, tta)
            bar.update(len(batch))
            if progress is not None:
                progress(min(start + batch_size, len(plan)), len(plan))
    bar.close()
    samples = pd.DataFrame(columns)
    summary, per_env = summarise(samples)
    settings = {
        "split": split,
        "rates": rates,
        "masks_per_tx": masks_per_tx,
        "limit": limit,
        "seed": seed,
        "mask_source": mask_sources,
        "n_samples": len(plan),
    }
    meta = _meta(source, settings, entries, loaded, torch_device, tta, started, command)
    return Evaluation(samples, summary, per_env, meta)


def _checked_arguments(
    data: str | os.PathLike, rates: Sequence[float], masks_per_tx: int, batch_size: int
) -> list[float]:
    """The rates as floats, or LocNetError for a bad count, rate or dataset folder."""
    if masks_per_tx < 1 or batch_size < 1:
        raise LocNetError("--masks-per-tx and --batch-size must be >= 1")
    rates = [float(r) for r in rates]
    for rate in rates:
        n_sensors_for_rate(rate)
    if not Path(data).is_dir():
        raise LocNetError(
            f"--data {data} is not a folder; point it at a dataset in the RadioMapSeer layout"
        )
    return rates


def _run_batch(
    columns: dict[str, list],
    batch: list[tuple],
    load: SampleLoader,
    entries: list[ModelEntry],
    loaded: list[torch.nn.Module],
    envs: dict[int, tuple[str, str]],
    torch_device: torch.device,
    tta: bool,
) -> None:
    """Run every model on one batch of planned samples and append their rows to `columns`.

    runtime_ms: model time per sample (CUDA synchronised around the call)."""
    gray, mask, buildings, txs = zip(*(load(s) for s in batch))
    arrays = [torch.from_numpy(np.stack(a)) for a in (gray, mask, buildings)]
    truth = torch.tensor(txs)
    keys = [(m, tx, k, rate) for m, tx, rate, k, _ in batch]
    inputs: dict[bool, torch.Tensor] = {}
    for entry, model in zip(entries, loaded):
        env = bool((getattr(model, "options", None) or {}).get("env", True))
        if env not in inputs:
            inputs[env] = encode_batch(*arrays, env=env)
        x = inputs[env].to(_input_device(model, torch_device))
        _sync(x.device)
        tick = time.perf_counter()
        answers = answer_batch(model, x, arrays[2].to(x.device) == 0, tta=tta)
        _sync(x.device)
        runtime_ms = (time.perf_counter() - tick) * 1000 / len(batch)
        for readout, scored in score_answers(answers, truth).items():
            _append_rows(columns, entry, readout, keys, envs, txs, scored, runtime_ms)


def _meta(
    source: RadioMapDataset,
    settings: dict,
    entries: list[ModelEntry],
    loaded: list[torch.nn.Module],
    torch_device: torch.device,
    tta: bool,
    started: float,
    command: str | None,
) -> dict:
    """meta.json: dataset, the run's settings, models and checkpoints (with sha256), device,
    date, duration and the command that reproduces it."""
    return {
        "dataset": {
            "path": portable_path(source.root),
            "fingerprint": source.fingerprint(),
            "layout": source.layout,
        },
        **settings,
        "models": [{"label": e.label, "model": e.model, "variant": e.variant} for e in entries],
        "readouts": list(READOUTS),
        "tta": tta,
        "checkpoints": {
            e.path.name: {
                "path": portable_path(e.path),
                "model": e.model,
                "variant": e.variant,
                "sha256": ckpt.file_sha256(e.path),
                "budget": e.budget,
                "train_metrics": e.metrics,
                "calibration": _stored_calibration(model),
            }
            for e, model in zip(entries, loaded)
            if e.path is not None
        },
        "device": _device_name(torch_device),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
        "command": command,
    }


def _input_device(model: torch.nn.Module, fallback: torch.device) -> torch.device:
    """Where the model's weights are; parameter-free (classical) models run on `fallback`."""
    has_tensors = any(True for _ in model.parameters()) or any(True for _ in model.buffers())
    return model_device(model) if has_tensors else fallback


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return f"{device} ({torch.get_num_threads()} threads)"


@dataclass(kw_only=True)
class EvaluateConfig:
    """`evaluate`'s command line, one field per flag (locnet.config_cli), in the order the
    recorded command lists them."""

    data: str = option(help="dataset folder (RadioMapSeer layout)")
    split: str = option("test", choices=("train", "val", "test"), help="split to evaluate")
    models: str = option(
        "all",
        help="comma list: registry names, checkpoint stems, paths, NAME=PATH (bare state_dict) or 'all'",
    )
    rates: str = option(
        ",".join(f"{r:g}" for r in RATES_PERCENT), help="comma list of rates in %%"
    )
    checkpoints: str = option("checkpoints", help="folder of trained checkpoints")
    masks_per_tx: int = option(MASKS_PER_TX, help="masks per transmitter and rate")
    device: str = option("auto", help="auto | cpu | cuda | cuda:N | mps")
    batch_size: int = option(32, help="samples per model call")
    seed: int = option(0, help="seed of random masks and of --limit")
    limit: int | None = option(
        None, help="evaluate at most N (map, transmitter) pairs (seeded choice)"
    )
    tta: bool = option(
        False, help="test-time augmentation: average 8 flips/rotations (8x slower)"
    )
    force: bool = option(False, help="overwrite a non-empty --out folder")
    quiet: bool = option(False, record=False, help="no progress bar")
    out: str = option(help="results folder to create, e.g. results/demo")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, EvaluateConfig)


def parse_rates(text: str) -> list[float]:
    """'0.01,0.05' -> [0.01, 0.05]; an empty or malformed list is a LocNetError."""
    try:
        rates = [float(r) for r in text.split(",") if r.strip()]
    except ValueError:
        rates = []
    if not rates:
        raise LocNetError(f"--rates {text!r}: give comma-separated numbers in %, e.g. 0.01,0.05")
    return rates


def _canonical_command(args: argparse.Namespace) -> str:
    """The command line equivalent to parsed args (when not run from a shell)."""
    cfg = config_cli.from_args(EvaluateConfig, args)
    return shlex.join(["python", "-m", "locnet", "evaluate", *config_cli.to_argv(cfg)])


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(EvaluateConfig, args)
    command = (
        "python -m locnet " + shlex.join(sys.argv[1:])
        if sys.argv[1:2] == ["evaluate"]
        else _canonical_command(args)
    )
    # --out is claimed before the work: a second run on it fails now, not this one at the end
    with claim_output_folder(cfg.out, force=cfg.force) as out:
        result = evaluate(
            cfg.data,
            split=cfg.split,
            models=[m.strip() for m in cfg.models.split(",") if m.strip()],
            rates=parse_rates(cfg.rates),
            checkpoint_dir=cfg.checkpoints,
            masks_per_tx=cfg.masks_per_tx,
            limit=cfg.limit,
            device=cfg.device,
            batch_size=cfg.batch_size,
            seed=cfg.seed,
            quiet=cfg.quiet,
            command=command,
            tta=cfg.tta,
        )
        write_result_files(result, out)
    table = result.summary.pivot_table(
        index=["model", "variant", "readout"], columns="rate_percent", values="rmse_m"
    )
    print(f"RMSE (m) on {cfg.split} of {cfg.data}, {result.meta['n_samples']} samples per model:")
    print(table.round(1).to_string())
    print(f"wrote {out}/summary.csv, per_environment.csv, samples.parquet, meta.json")
    return 0


def _stored_calibration(model) -> dict | None:
    """What meta.json records of a model's calibration: the stored dict, None if uncalibrated."""
    calibration = calibration_of(model)
    return calibration.to_dict() if calibration.calibrated else None
