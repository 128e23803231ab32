"""Learned measurement models (heatmap networks on measured RSS): fit once per split, keep
the weights under checkpoints/real/, answer through the calibrated posterior.

A heatmap model (registry output "heatmap", family measurement: `rss-locnet`,
`rss-locnet-sim`, `rss-tldl`, `rss-mlp`) is fitted on its split's training side minus a
held-out CALIBRATION_SHARE (held out as the split holds out its test side: samples at
random, or whole blocks of positions for the spatial split), which picks the weights kept
(early stopping); the temperature T of p = softmax(logits / T) is the maximum-likelihood
one on that part (`posterior.distribution.fit_temperature`), and the default readout
(mode, mean or median) the one with the least mean error there. Never the test side. The checkpoint (`{variant}-{split}.pt`, `models.checkpoints` format, written
atomically) records the dataset's fingerprint, the split and a digest of its training
side, the receivers, the training record (CPU minutes, samples seen) and the calibration;
`evaluate-powder` loads it when all of them match and refits only when told (`--fit`).
Answers come from `posterior.calibration.answer_batch`, the one place model output
becomes readouts, with every cell counted as possible (no building map: no-env).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from locnet.errors import LocNetError
from locnet.measurements.dataset import PowderDataset
from locnet.models.checkpoints import file_sha256, load_checkpoint, save_checkpoint
from locnet.models.registry import create_model, variant_id, variant_options
from locnet.models.rss_heatmap import RssHeatmap
from locnet.posterior import distribution as P
from locnet.posterior.calibration import Calibration, answer_batch

CHECKPOINT_ROOT = Path("checkpoints/real")
CALIBRATION_SHARE = 0.1  # of the training side, held out to fit the temperature
CALIBRATION_SEED = 0
BLOCK_M = 200.0  # side of the blocks a spatial split's held-out part is drawn in (metres)
SPATIAL_FAMILY = "spatial"  # the split family whose test side is held out by place
FIT_MODES = ("never", "missing", "always")
ANSWER_CHUNK = 64  # samples per posterior batch (bounds memory: 64 x 128 x 128 floats)


def fit_command(spec: str, split: str) -> str:
    return f"python -m locnet evaluate-powder --models {spec} --splits {split} --fit missing"


def checkpoint_path(root: str | os.PathLike, spec: str, split: str) -> Path:
    """checkpoints/real/rss-locnet-sim-grid.pt: the variant and the split it was fitted on."""
    return Path(root) / f"{spec}-{split}.pt"


def side_digest(samples: np.ndarray) -> str:
    """A short sha256 of a set of sample timestamps (which training side a model saw)."""
    text = "\n".join(sorted(str(s) for s in samples))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def holdout(
    train_ids: np.ndarray, truth_m: np.ndarray, spatial: bool, seed: int = CALIBRATION_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """(fit, held-out) timestamps: CALIBRATION_SHARE of the training side held out the way
    the split holds out its test side: samples at random, or (spatial splits) whole
    BLOCK_M x BLOCK_M blocks of transmitter positions, so the held-out samples lie as far
    from the fitted ones as the test side does (the grid split's test transmitters are a
    median 44 m from the nearest training one, 90 % within 88 m; held-out 200 m blocks:
    45 m and 103 m; 150 m blocks: 37 m and 77 m; the random split's test side: 8 m)."""
    rng = np.random.default_rng(seed)
    if spatial:
        blocks = np.floor(np.asarray(truth_m) / BLOCK_M).astype(np.int64)
        _, block = np.unique(blocks, axis=0, return_inverse=True)
        block = block.ravel()
        chosen = np.zeros(len(train_ids), dtype=bool)
        for b in rng.permutation(block.max() + 1):
            if chosen.sum() >= CALIBRATION_SHARE * len(train_ids):
                break
            chosen |= block == b
    else:
        n_held = max(1, round(CALIBRATION_SHARE * len(train_ids)))
        chosen = np.zeros(len(train_ids), dtype=bool)
        chosen[rng.permutation(len(train_ids))[:n_held]] = True
    return train_ids[~chosen], train_ids[chosen]


@dataclass
class Answered:
    """A heatmap model's answers on a batch: xy (N, 2) metres of the default readout,
    `readout`, every readout's xy, and the posterior's columns (evaluate's names)."""

    xy_m: np.ndarray
    readout: str
    by_readout: dict[str, np.ndarray]
    posterior: dict[str, np.ndarray]


def answer(model: RssHeatmap, batch, truth_m: np.ndarray) -> Answered:
    """Every readout and the credible regions of the calibrated posterior (metres, m^2)."""
    model.check(batch)
    calibration = Calibration.from_dict(model.calibration)
    model.network.calibration = calibration
    grid = model.raster(batch)
    truth = model.target_cells(batch, truth_m)
    readouts = {r: [] for r in P.READOUTS}
    columns = {k: [] for k in ("credible_level", "area50_m2", "area90_m2", "expected_error_m")}
    indices = np.arange(len(batch))
    for start in range(0, len(batch), ANSWER_CHUNK):
        part = indices[start : start + ANSWER_CHUNK]
        x = model.inputs(batch.take(part))
        outdoor = torch.ones(len(part), grid.size, grid.size, dtype=torch.bool)
        with torch.inference_mode():
            answers = answer_batch(model.network, x, outdoor)
        for readout in P.READOUTS:
            readouts[readout].append(grid.metres(answers.xy[readout].numpy()))
        probs = answers.probs
        columns["credible_level"].append(P.credible_level(probs, truth[part]).numpy())
        area = P.region_sizes(probs, P.REGION_LEVELS).numpy() * grid.cell_m**2
        columns["area50_m2"].append(area[:, 0])
        columns["area90_m2"].append(area[:, 1])
        chosen = answers.xy[calibration.default_readout]
        # expected_error_m counts pixels of PIXEL_M metres; a cell is cell_m metres
        columns["expected_error_m"].append(
            P.expected_error_m(probs, chosen).numpy() / P.PIXEL_M * grid.cell_m
        )
    by_readout = {r: np.concatenate(v) for r, v in readouts.items()}
    posterior = {k: np.concatenate(v) for k, v in columns.items()}
    posterior["in50"] = posterior["credible_level"] < P.REGION_LEVELS[0]
    posterior["in90"] = posterior["credible_level"] < P.REGION_LEVELS[1]
    default = calibration.default_readout
    return Answered(by_readout[default], default, by_readout, posterior)


def calibrate(model: RssHeatmap, batch, truth_m: np.ndarray, fitted: dict) -> Calibration:
    """Temperature by maximum likelihood on (batch, truth_m), the held-out part; the
    default readout the one with the least mean error there."""
    logits = model.logits(batch)
    truth = model.target_cells(batch, truth_m)
    outdoor = torch.ones_like(logits, dtype=torch.bool)
    fit = P.fit_temperature(logits, outdoor, truth)
    model.calibration = Calibration(temperature=fit.temperature, default_readout="mode").to_dict()
    trial = answer(model, batch, truth_m)
    mean_m = {r: float(np.hypot(*(xy - truth_m).T).mean()) for r, xy in trial.by_readout.items()}
    best = min(mean_m, key=mean_m.get)
    return Calibration(
        temperature=fit.temperature,
        default_readout=best,
        fitted=fitted
        | {
            "n": fit.n,
            "nll": round(fit.nll, 4),
            "holdout_mean_m": {r: round(v, 2) for r, v in mean_m.items()},
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        },
    )


def fit_and_save(
    dataset: PowderDataset, split: str, spec: str, path: Path, cpu_minutes: float | None = None
) -> RssHeatmap:
    """Fit model `spec` on the split's training side (minus the held-out part), calibrate
    it on that part, and write its checkpoint to `path`. cpu_minutes: the training budget
    (None: the model's own)."""
    name, options = variant_options(spec)
    if cpu_minutes is not None:
        options["cpu_minutes"] = float(cpu_minutes)
    train_ids, _ = dataset.split(split)
    spatial = dataset.splits[split].get("family") == SPATIAL_FAMILY
    fit_ids, cal_ids = holdout(train_ids, dataset.truth_m(train_ids), spatial)
    held_out = (dataset.batch(cal_ids), dataset.truth_m(cal_ids))
    model = create_model(name, **options)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    model.fit(dataset.batch(fit_ids), dataset.truth_m(fit_ids), held_out)
    cpu_min, wall_min = (time.process_time() - cpu0) / 60, (time.perf_counter() - wall0) / 60
    how = f"{BLOCK_M:g} m blocks" if spatial else "samples"
    where = {"data": str(dataset.folder), "split": f"{split}: held-out {CALIBRATION_SHARE:.0%} "
             f"of the training side ({how} at random)"}  # fmt: skip
    calibration = calibrate(model, *held_out, where)
    model.calibration = calibration.to_dict()
    model.options = asdict(model.settings)  # every setting: a later default cannot change it
    seen = sum(stage["samples_seen"] for stage in model.history)
    save_checkpoint(
        path,
        name,
        model,
        train_config={
            "split": split,
            "training_side": side_digest(train_ids),
            "fit_samples": len(fit_ids),
            "calibration_samples": len(cal_ids),
            "held_out": f"{BLOCK_M:g} m blocks" if spatial else "samples",
            "receivers": list(model.receivers),
            "torch_threads": torch.get_num_threads(),
        },
        data_fingerprint=dataset.fingerprint,
        history=model.history,
        timings={
            "cpu_minutes": round(cpu_min, 3),
            "minutes": round(wall_min, 3),
            "samples_seen": seen,
            "hardware": f"cpu ({os.cpu_count()} cores visible, {torch.get_num_threads()} threads)",
        },
        metrics={"holdout_mean_m": calibration.fitted["holdout_mean_m"]},
        calibration=calibration.to_dict(),
    )
    return model


def load(path: Path, spec: str, dataset: PowderDataset, split: str) -> RssHeatmap:
    """The fitted model in `path`, or LocNetError when it was fitted on something else
    (another model, dataset copy, split or training side), naming the command to refit."""
    payload = load_checkpoint(path)
    name = variant_options(spec)[0]
    config = payload.get("train_config") or {}
    train_ids, _ = dataset.split(split)
    problems = []
    if payload.get("model") != name or variant_id(name, payload.get("options")) != spec:
        problems.append(f"it holds {variant_id(payload.get('model'), payload.get('options'))}")
    if payload.get("data_fingerprint") != dataset.fingerprint:
        problems.append(f"it was fitted on another copy of the data than {dataset.folder}")
    if config.get("split") != split or config.get("training_side") != side_digest(train_ids):
        problems.append(f"it was fitted on another training side than split {split}'s")
    if tuple(config.get("receivers") or ()) != dataset.receiver_ids:
        problems.append("its receivers are not the dataset's")
    if problems:
        raise LocNetError(
            f"{path}: {'; '.join(problems)}; refit it with `{fit_command(spec, split)}` "
            "(with --fit always to replace it)"
        )
    model = create_model(name, **(payload.get("options") or {}))
    model.load_state_dict(payload["state_dict"], tuple(config["receivers"]))
    model.calibration = Calibration.from_dict(payload.get("calibration"), path).to_dict()
    model.history = list(payload.get("history") or [])
    model.cpu_minutes = (payload.get("timings") or {}).get("cpu_minutes")
    return model


@dataclass
class Obtained:
    """A fitted heatmap model, where its weights are, and its training effort."""

    model: RssHeatmap
    path: Path
    fitted_now: bool
    cpu_minutes: float | None
    sha256: str


def obtain(
    dataset: PowderDataset,
    split: str,
    spec: str,
    root: str | os.PathLike,
    fit: str,
    cpu_minutes: float | None = None,
) -> Obtained | None:
    """Load `spec`'s checkpoint for `split` from `root`; fit (within `cpu_minutes`, None:
    the model's own budget) and save it when `fit` says ('missing': only if there is none;
    'always'). None when it is missing and fit is 'never' (the caller decides whether
    that is an error)."""
    if fit not in FIT_MODES:
        raise LocNetError(f"--fit {fit!r}: choose one of {', '.join(FIT_MODES)}")
    path = checkpoint_path(root, spec, split)
    fitted_now = fit == "always" or (fit == "missing" and not path.is_file())
    if fitted_now:
        fit_and_save(dataset, split, spec, path, cpu_minutes)
    elif not path.is_file():
        return None
    model = load(path, spec, dataset, split)
    return Obtained(model, path, fitted_now, model.cpu_minutes, file_sha256(path))
