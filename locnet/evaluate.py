"""`python -m locnet evaluate`: every model on the same samples of a split, across rates.

A sample is (map, transmitter, rate, mask k). Masks come from the split's mask files for
a rate when the dataset has them, else they are drawn at random, seeded per sample, so
every model (and every rerun) sees the same sensors. Errors are Euclidean distances in
metres between the predicted and the true pixel (1 px = PIXEL_M m). `evaluate()` is the
function the app calls (with a progress callback); `write_results()` writes the folder
read by locnet.results: samples.parquet, summary.csv, per_environment.csv, meta.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from locnet import checkpoints as ckpt
from locnet import config_cli
from locnet import posterior as P
from locnet.calibration import Answers, answer_batch
from locnet.config_cli import option
from locnet.constants import MASKS_PER_TX, PIXEL_M, RATES_PERCENT
from locnet.data.radiomapseer import RadioMapDataset, open_dataset
from locnet.data.sampling import (
    encode_batch,
    evaluation_mask_rng,
    n_sensors_for_rate,
    sample_mask,
)
from locnet.errors import LocNetError
from locnet.files import atomic_write, ensure_writable_folder
from locnet.inference import load_model, model_device, pick_device
from locnet.posterior import READOUTS
from locnet.models.registry import available_models, model_info
from locnet.recipes import how_to_get
from locnet.results.folders import (
    PER_ENV_COLUMNS,
    POSTERIOR_COLUMNS,
    SAMPLE_COLUMNS,
    SUMMARY_COLUMNS,
)

Progress = Callable[[int, int], None]  # (samples done, samples total)
PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ModelEntry:
    """One evaluated model: what the tables call it and where its weights came from."""

    label: str  # what the user asked for: registry name, checkpoint stem or path
    model: str
    variant: str
    path: Path | None = None  # None for classical models
    budget: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


@dataclass
class Evaluation:
    samples: pd.DataFrame
    summary: pd.DataFrame
    per_environment: pd.DataFrame
    meta: dict


def resolve_models(specs: list[str], checkpoint_dir: str | os.PathLike) -> list[ModelEntry]:
    """Registry names, checkpoint stems, paths or NAME=PATH (bare state_dict) -> entries;
    'all' = every checkpoint in the folder plus every classical model. Trainable names load
    `{checkpoint_dir}/{name}.pt`."""
    names, entries = available_models(), []
    for spec in specs:
        if spec == "all":
            for problem in ckpt.checkpoint_problems(checkpoint_dir):
                print(f"warning: skipped {problem}", file=sys.stderr)
            infos = ckpt.list_checkpoints(checkpoint_dir)
            entries += [
                ModelEntry(i.path.stem, i.model, i.variant, i.path, i.budget, i.metrics)
                for i in infos
            ]
            entries += [
                ModelEntry(n, n, "default") for n in names if model_info(n).family == "classical"
            ]
            continue
        if spec in names and not model_info(spec).trainable:
            entries.append(ModelEntry(spec, spec, "default"))
            continue
        name, _, weights = spec.partition("=")
        if weights:  # NAME=PATH: a bare state_dict such as the authors' Pretrained_LocNet.pt
            if name not in names:
                raise LocNetError(f"'{spec}': unknown model '{name}'; models: {', '.join(names)}")
            ckpt.load_weights(weights, name)  # fails now, with the file named, if it does not fit
            entries.append(ModelEntry(spec, name, ckpt.variant_name(name, {}), Path(weights)))
            continue
        path = ckpt.resolve_checkpoint(spec, checkpoint_dir)
        if not path.is_file():
            hint = (
                how_to_get(spec)
                if spec in names
                else f"models: {', '.join(names)}; or a checkpoint stem/path"
            )
            raise LocNetError(f"no checkpoint for '{spec}': {path} does not exist; {hint}")
        info = ckpt.checkpoint_info(path)
        if spec in names and info.model != spec:
            raise LocNetError(
                f"{path} holds a '{info.model}' model, not '{spec}'; pass it as "
                f"'{path}' (any model) or put a '{spec}' checkpoint there"
            )
        entries.append(ModelEntry(spec, info.model, info.variant, path, info.budget, info.metrics))
    unique, seen = [], set()
    for entry in entries:
        source = entry.path.resolve() if entry.path else entry.model
        if any((e.path.resolve() if e.path else e.model) == source for e in unique):
            continue  # asked twice (e.g. 'all,centre')
        if (entry.model, entry.variant) in seen:  # two checkpoints of one variant: keep both apart
            entry = replace(entry, variant=f"{entry.variant}@{entry.label}")
        seen.add((entry.model, entry.variant))
        unique.append(entry)
    if not unique:
        raise LocNetError(
            "no models to evaluate; pass --models (registry names, checkpoint stems or paths)"
        )
    return unique


def plan_samples(
    source: RadioMapDataset,
    split: str,
    rates: list[float],
    masks_per_tx: int,
    limit: int | None,
    seed: int,
) -> tuple[list[tuple], dict[str, str]]:
    """[(map, tx, rate, k, MaskRef or None)] sorted by (map, tx) and the mask source per rate.

    limit: at most this many (map, tx) pairs, a seeded choice spread over the split."""
    pairs = source.samples_in(split)
    if not pairs:
        raise LocNetError(f"split '{split}' of {source.root} has no samples; pick another --split")
    if limit is not None and limit < len(pairs):
        if limit < 1:
            raise LocNetError(f"--limit must be >= 1, got {limit}")
        chosen = np.sort(np.random.default_rng(seed).choice(len(pairs), size=limit, replace=False))
        pairs = [pairs[i] for i in chosen]
    plan, sources = [], {}
    for rate in rates:
        files: dict[tuple[int, int], list] = {}
        for ref in source.mask_refs(split, rate):
            files.setdefault((ref.map_id, ref.tx_id), []).append(ref)
        sources[f"{rate:g}"] = "files" if files else "random"
        for map_id, tx_id in pairs:
            refs = sorted(files.get((map_id, tx_id), []), key=lambda r: r.k)[:masks_per_tx]
            if files:
                plan += [(map_id, tx_id, rate, ref.k, ref) for ref in refs]
            else:
                plan += [(map_id, tx_id, rate, k, None) for k in range(masks_per_tx)]
    plan.sort(key=lambda s: (s[0], s[1], s[2], s[3]))
    return plan, sources


class SampleLoader:
    """Decodes each building/radio map once (samples come sorted by map and transmitter)."""

    def __init__(self, source: RadioMapDataset, seed: int):
        self.source, self.seed = source, seed
        self._buildings: dict[int, np.ndarray] = {}
        self._radio: tuple[tuple[int, int], np.ndarray] | None = None

    def __call__(self, sample: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
        map_id, tx_id, rate, k, ref = sample
        if map_id not in self._buildings:
            self._buildings = {map_id: self.source.buildings(map_id)}
        buildings = self._buildings[map_id]
        if self._radio is None or self._radio[0] != (map_id, tx_id):
            self._radio = ((map_id, tx_id), self.source.radio_map(map_id, tx_id))
        if ref is not None:
            mask = self.source.load_mask(ref)
        else:
            rng = evaluation_mask_rng(self.seed, map_id, tx_id, rate, k)
            mask = sample_mask(buildings, rate, rng)
        return self._radio[1], mask, buildings, self.source.transmitter(map_id, tx_id)


def _environment(source: RadioMapDataset) -> dict[int, tuple[str, str]]:
    table = source.metadata
    if table is None:
        return {}
    env = table["env_id"].astype(str) if "env_id" in table else table["map"].astype(str)
    city = (
        table["city"].fillna("unknown").astype(str) if "city" in table else ["unknown"] * len(table)
    )
    return {int(m): (e, c) for m, e, c in zip(table["map"], env, city)}


def error_statistics(errors: np.ndarray) -> dict[str, float]:
    """RMSE, mean, median, 90th percentile (metres) and count of localization errors."""
    err = np.asarray(errors, dtype=np.float64)
    return {
        "rmse_m": float(np.sqrt(np.mean(err**2))),
        "mean_m": float(err.mean()),
        "median_m": float(np.median(err)),
        "p90_m": float(np.percentile(err, 90)),
        "n": err.size,
    }


def _posterior_statistics(group: pd.DataFrame) -> dict[str, float]:
    """Coverage of the 50/90 % regions, the RMSE the posterior predicts, median 90 % area."""
    if group["in90"].isna().all():
        return dict.fromkeys(("coverage50", "coverage90", "expected_rmse_m", "median_area90_m2"), np.nan)
    return {
        "coverage50": float(group["in50"].mean()),
        "coverage90": float(group["in90"].mean()),
        "expected_rmse_m": float(np.sqrt(np.mean(group["expected_error_m"] ** 2))),
        "median_area90_m2": float(group["area90_m2"].median()),
    }


def summarise(samples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per model/variant/readout/rate, per environment) from per-sample rows."""
    series = ["model", "variant", "readout", "rate_percent"]
    posterior_columns = ["error_m", "in50", "in90", "expected_error_m", "area90_m2"]
    summary = (
        samples.groupby(series, sort=True)[posterior_columns]
        .apply(lambda g: pd.Series(error_statistics(g["error_m"]) | _posterior_statistics(g)))
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


def evaluate(
    data: str | os.PathLike,
    *,
    split: str = "test",
    models: list[str] | str = "all",
    rates: list[float] = list(RATES_PERCENT),
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
    if masks_per_tx < 1 or batch_size < 1:
        raise LocNetError("--masks-per-tx and --batch-size must be >= 1")
    rates = [float(r) for r in rates]
    for rate in rates:
        n_sensors_for_rate(rate)
    if not Path(data).is_dir():
        raise LocNetError(
            f"--data {data} is not a folder; point it at a dataset in the RadioMapSeer layout"
        )
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
            gray, mask, buildings, txs = zip(*(load(s) for s in batch))
            arrays = [torch.from_numpy(np.stack(a)) for a in (gray, mask, buildings)]
            truth = torch.tensor(txs)
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
                keys = [(m, tx, k, rate) for m, tx, rate, k, _ in batch]
                for readout, scored in score_answers(answers, truth).items():
                    _append_rows(columns, entry, readout, keys, envs, txs, scored, runtime_ms)
            bar.update(len(batch))
            if progress is not None:
                progress(min(start + batch_size, len(plan)), len(plan))
    bar.close()
    samples = pd.DataFrame(columns)
    summary, per_env = summarise(samples)
    meta = {
        "dataset": {
            "path": portable_path(source.root),
            "fingerprint": source.fingerprint(),
            "layout": source.layout,
        },
        "split": split,
        "rates": rates,
        "masks_per_tx": masks_per_tx,
        "limit": limit,
        "seed": seed,
        "mask_source": mask_sources,
        "n_samples": len(plan),
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
                "calibration": getattr(model, "calibration", None),
            }
            for e, model in zip(entries, loaded)
            if e.path is not None
        },
        "device": _device_name(torch_device),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 2),
        "command": command,
    }
    return Evaluation(samples, summary, per_env, meta)


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


def check_output_folder(out: str | os.PathLike, force: bool) -> Path:
    """Refuse to overwrite a non-empty folder unless force (checked before any work)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise LocNetError(f"--out {out} is a file; give a folder path")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise LocNetError(
            f"--out {out} exists and is not empty; choose a new folder or pass --force"
        )
    return out


def write_results(evaluation: Evaluation, out: str | os.PathLike, force: bool = False) -> Path:
    """Write the four result files into `out` (created), each atomically."""
    out = ensure_writable_folder(check_output_folder(out, force))
    atomic_write(out / "samples.parquet", lambda p: evaluation.samples.to_parquet(p, index=False))
    atomic_write(out / "summary.csv", lambda p: evaluation.summary.to_csv(p, index=False))
    atomic_write(
        out / "per_environment.csv", lambda p: evaluation.per_environment.to_csv(p, index=False)
    )
    atomic_write(out / "meta.json", lambda p: p.write_text(json.dumps(evaluation.meta, indent=2)))
    return out


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
    out = ensure_writable_folder(check_output_folder(cfg.out, cfg.force))  # before the work
    command = (
        "python -m locnet " + shlex.join(sys.argv[1:])
        if sys.argv[1:2] == ["evaluate"]
        else _canonical_command(args)
    )
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
    write_results(result, out, force=cfg.force)
    table = result.summary.pivot_table(
        index=["model", "variant", "readout"], columns="rate_percent", values="rmse_m"
    )
    print(f"RMSE (m) on {cfg.split} of {cfg.data}, {result.meta['n_samples']} samples per model:")
    print(table.round(1).to_string())
    print(f"wrote {out}/summary.csv, per_environment.csv, samples.parquet, meta.json")
    return 0
