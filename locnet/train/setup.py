"""Before the loop: the model's options, the datasets, start weights; and validation.

Validation masks are fixed (seed + VAL_SEED_OFFSET, never the training stream) on full
256 x 256 maps, so every epoch is measured on the same samples; distances are metres.
"""

from __future__ import annotations

import inspect

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from locnet.constants import PIXEL_M, RATES_PERCENT
from locnet.data.dataset import LocalizationDataset
from locnet.data.radiomapseer import open_dataset
from locnet.data.stream import FrozenSamples, SimulatedStream, StreamConfig
from locnet.errors import CheckpointError, DatasetError, LocNetError
from locnet.evaluate.metrics import error_statistics
from locnet.models import checkpoints as ckpt
from locnet.models.registry import available_models, model_info
from locnet.train.config import TrainConfig
from locnet.train.dist import Dist
from locnet.train.state import loader_generator

VAL_SEED_OFFSET = 10_007  # validation masks use seed + this, never the training stream
STREAM_VAL_SAMPLES = 256  # --stream without --data or --val-samples: validation cases


def _accepted(constructor) -> set[str] | None:
    params = inspect.signature(constructor).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None  # takes anything
    return {p.name for p in params}


def model_options(cfg: TrainConfig) -> dict:
    """Constructor options: the model's registered defaults, then --opt, --loss and --no-env
    over them; a flag the model does not take is an error."""
    info = model_info(cfg.model)
    if not info.trainable:
        trainable = [n for n in available_models() if model_info(n).trainable]
        raise LocNetError(
            f"model '{cfg.model}' is a {info.family} method and needs no training; "
            f"trainable models: {', '.join(trainable)}"
        )
    accepted = _accepted(info.constructor)
    options = {**info.defaults, **cfg.options}
    if cfg.loss is not None:
        options["loss"] = cfg.loss
    if not cfg.env or (accepted is not None and "env" in accepted):
        options["env"] = cfg.env
    unknown = sorted(set(options) - accepted) if accepted is not None else []
    if unknown:
        raise LocNetError(
            f"model '{cfg.model}' does not take {', '.join(unknown)} "
            f"(--loss/--no-env/--opt); it takes: {', '.join(sorted(accepted)) or 'nothing'}"
        )
    return options


def build_datasets(cfg: TrainConfig, options: dict):
    """(train set, validation set, data fingerprint); inputs encoded to match options['env'].

    --stream: the train set simulates fresh cases (locnet.data.stream); validation is
    --data's val split when given, else a fixed draw of --val-samples stream cases from the
    val environments (computed once)."""
    env = bool(options.get("env", True))
    if not cfg.stream:
        train_set, val_set = _folder_sets(cfg, env, ("train", "val"))
        return train_set, val_set, _folder_fingerprint(cfg.data)

    mix = {"real_share": cfg.stream_real, "paper_like_share": cfg.stream_paper_like, "env": env}
    train_cfg = StreamConfig(
        seed=cfg.seed,
        crop=cfg.crop,
        samples_per_epoch=cfg.epoch_samples,
        masks_per_case=cfg.stream_masks_per_case,
        **mix,
    )
    train_set = SimulatedStream(train_cfg)
    if cfg.data is not None:
        (val_set,) = _folder_sets(cfg, env, ("val",))
        return train_set, val_set, f"{train_cfg.fingerprint()}+{_folder_fingerprint(cfg.data)}"
    val_cfg = StreamConfig(
        seed=cfg.seed + VAL_SEED_OFFSET,
        split="val",
        samples_per_epoch=cfg.val_samples or STREAM_VAL_SAMPLES,
        **mix,
    )
    val_set = FrozenSamples(SimulatedStream(val_cfg), cfg.workers)
    return train_set, val_set, f"{train_cfg.fingerprint()}+{val_cfg.fingerprint()}"


def _folder_fingerprint(folder: str) -> str:
    return open_dataset(folder).fingerprint()


def _folder_sets(cfg: TrainConfig, env: bool, splits: tuple[str, ...]) -> list:
    """LocalizationDatasets of --data: random masks (fresh per epoch for train, fixed for val)."""
    sets = []
    for split in splits:
        train = split == "train"
        try:
            sets.append(
                LocalizationDataset(
                    cfg.data,
                    split,
                    masks="random",
                    rates=list(RATES_PERCENT),
                    env=env,
                    seed=cfg.seed if train else cfg.seed + VAL_SEED_OFFSET,
                    crop=cfg.crop if train else None,
                )
            )
        except DatasetError as exc:
            raise DatasetError(
                f"{exc} (training needs {' and '.join(splits)} maps: check cities.csv "
                "or the Train/Val folders)"
            ) from exc
    return sets


def subset_indices(n_total: int, n: int | None, seed: int) -> np.ndarray:
    """All indices, or a seeded sorted subset of n of them (fixed for the whole run)."""
    if n is None or n >= n_total:
        return np.arange(n_total)
    if n < 1:
        raise LocNetError(f"--train-samples/--val-samples must be >= 1, got {n}")
    return np.sort(np.random.default_rng(seed).choice(n_total, size=n, replace=False))


def initial_weights(cfg: TrainConfig, options: dict, model: nn.Module) -> dict:
    """Load --init-from into `model`; the record of where the weights came from (its file,
    sha256 and cumulative budget), so the new checkpoint's budget counts both runs."""
    info = ckpt.checkpoint_info(cfg.init_from)
    if info.model != cfg.model or info.options != options:
        raise CheckpointError(
            f"--init-from {cfg.init_from} holds {info.model} {info.options}, not "
            f"{cfg.model} {options}; start from a checkpoint of the same model and options"
        )
    model.load_state_dict(ckpt.load_weights(cfg.init_from, cfg.model).state_dict())
    return {
        "file": str(cfg.init_from),
        "sha256": ckpt.file_sha256(cfg.init_from),
        **{k: info.budget.get(k) for k in ("epochs", "minutes", "cpu_minutes", "samples_seen", "hardware")},
        "val_mean_m": info.metrics.get("val_mean_m"),
    }


def validate(model: nn.Module, dataset, indices: np.ndarray, cfg: TrainConfig, dist: Dist) -> dict:
    """Mean / RMSE / median distance (metres) of argmax predictions on this rank's shard,
    gathered over all ranks (locnet.evaluate.metrics.error_statistics, as evaluation reports them)."""
    loader = DataLoader(
        dataset,
        batch_size=cfg.batch_size,
        sampler=[int(i) for i in indices[dist.rank :: dist.world]],
        num_workers=cfg.workers,
        pin_memory=dist.device.type == "cuda",
        generator=loader_generator(cfg.seed, -1),
    )
    model.eval()
    errors = []
    with torch.inference_mode():
        for batch in loader:
            xy = model.predict(batch["input"].to(dist.device, non_blocking=True)).xy.float().cpu()
            errors.append(torch.linalg.vector_norm(xy - batch["tx_xy"].float(), dim=1) * PIXEL_M)
    model.train()
    local = torch.cat(errors).tolist() if errors else []
    stats = error_statistics(np.asarray(dist.gather(local), dtype=np.float64))
    return {
        "val_mean_m": stats["mean_m"],
        "val_rmse_m": stats["rmse_m"],
        "val_median_m": stats["median_m"],
        "val_samples": int(stats["n"]),
    }
