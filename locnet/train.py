"""`python -m locnet train`: a plain, resumable training loop (nanoGPT style).

Read `train()` top to bottom: datasets (random seeded masks for training, fixed seeded
masks on full 256 x 256 maps for validation), AdamW, then per epoch: train, validate
(distance in metres), keep the best epoch's weights in --out and everything needed to
resume in `<out stem>.last.pt`. Data parallel: launch with torchrun
(`python -m torch.distributed.run --nproc_per_node 2 -m locnet train ...`); gloo on CPU,
NCCL on GPU; only rank 0 writes.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as tdist
from torch import nn
from torch.utils.data import DataLoader, DistributedSampler
from tqdm import tqdm

from locnet import checkpoints as ckpt
from locnet.constants import MAP_SIZE, PIXEL_M, RATES_PERCENT
from locnet.errors import CheckpointError, DatasetError, LocNetError
from locnet.files import ensure_writable_folder
from locnet.models.registry import available_models, create_model, model_info

LR_SCHEDULES = ("constant", "cosine")
WARMUP_STEPS = 100  # linear warm-up of the cosine schedule (a fresh AdamW's first steps are wild)
VAL_SEED_OFFSET = 10_007  # validation masks use seed + this, never the training stream
BAR_REFRESH_STEPS = 10  # tqdm loss refresh interval (a .item() syncs the GPU)


@dataclass
class TrainConfig:
    """Everything that defines a run (stored in the checkpoint as train_config)."""

    model: str
    data: str
    out: str | None = None  # default: checkpoints/<default file name of model + options>
    loss: str | None = None  # locnet: focal | bbce | ft | mse
    env: bool = True  # False: the "no environment" ablation input
    options: dict = field(default_factory=dict)  # extra model options (--opt KEY=VALUE)
    epochs: int = 100
    batch_size: int = 64
    lr: float = 5e-4
    weight_decay: float = 0.01  # AdamW's default
    seed: int = 0
    device: str = "auto"
    max_minutes: float | None = None  # wall-clock budget of this invocation
    save_every_minutes: float = 10.0  # mid-epoch resume saves, for long epochs
    crop: int | None = None  # random square training crops (pixels); validation is full size
    train_samples: int | None = None  # seeded subset of the training set
    val_samples: int | None = None  # seeded subset of the validation set
    workers: int = 0
    resume: bool = False
    init_from: str | None = None  # start from this checkpoint's weights (fresh optimizer)
    lr_schedule: str = "constant"  # constant | cosine (warm-up, then cosine to 0 at --epochs)
    bf16: str = "auto"  # auto: on CUDA with bf16 support
    compile: str = "auto"  # auto: on CUDA when triton is importable
    quiet: bool = False


# ---- setup ---------------------------------------------------------------------------------
def _accepted(constructor) -> set[str] | None:
    params = inspect.signature(constructor).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None  # takes anything
    return {p.name for p in params}


def model_options(cfg: TrainConfig) -> dict:
    """Constructor options from the flags; a flag the model does not take is an error."""
    info = model_info(cfg.model)
    if not info.trainable:
        trainable = [n for n in available_models() if model_info(n).trainable]
        raise LocNetError(
            f"model '{cfg.model}' is a {info.family} method and needs no training; "
            f"trainable models: {', '.join(trainable)}"
        )
    accepted = _accepted(info.constructor)
    options = dict(cfg.options)
    if cfg.loss is not None:
        options["loss"] = cfg.loss
    if cfg.model == "locnet":
        options.setdefault("loss", ckpt.LOCNET_DEFAULTS["loss"])
    if not cfg.env or (accepted is not None and "env" in accepted):
        options["env"] = cfg.env
    unknown = sorted(set(options) - accepted) if accepted is not None else []
    if unknown:
        raise LocNetError(
            f"model '{cfg.model}' does not take {', '.join(unknown)} "
            f"(--loss/--no-env/--opt); it takes: {', '.join(sorted(accepted)) or 'nothing'}"
        )
    return options


def _check_config(cfg: TrainConfig) -> None:
    if not Path(cfg.data).is_dir():
        raise LocNetError(
            f"--data {cfg.data} is not a folder; point it at a dataset in the "
            "RadioMapSeer layout (make one with `python -m locnet generate`)"
        )
    for name in ("epochs", "batch_size"):
        if getattr(cfg, name) < 1:
            raise LocNetError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(cfg, name)}")
    if cfg.lr <= 0 or cfg.workers < 0:
        raise LocNetError(f"--lr must be > 0 and --workers >= 0, got {cfg.lr} and {cfg.workers}")
    if cfg.crop is not None and not (8 <= cfg.crop <= MAP_SIZE and cfg.crop % 8 == 0):
        raise LocNetError(f"--crop {cfg.crop}: use a multiple of 8 between 8 and {MAP_SIZE}")
    if cfg.max_minutes is not None and cfg.max_minutes <= 0:
        raise LocNetError(f"--max-minutes must be > 0, got {cfg.max_minutes}")
    if not cfg.weight_decay >= 0:
        raise LocNetError(f"--weight-decay must be >= 0, got {cfg.weight_decay}")
    if not cfg.save_every_minutes >= 0:  # 0: a resume save after every batch
        raise LocNetError(f"--save-every-minutes must be >= 0, got {cfg.save_every_minutes}")
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise LocNetError(f"--lr-schedule {cfg.lr_schedule}: use one of {', '.join(LR_SCHEDULES)}")
    if cfg.init_from is not None and not Path(cfg.init_from).is_file():
        raise LocNetError(
            f"--init-from {cfg.init_from} is not a file; pass a checkpoint to start from"
        )


def build_datasets(cfg: TrainConfig, options: dict):
    """(train set, validation set, data fingerprint); inputs encoded to match options['env']."""
    from locnet.data.dataset import LocalizationDataset
    from locnet.data.radiomapseer import open_dataset

    env = bool(options.get("env", True))
    fingerprint = open_dataset(cfg.data).fingerprint()
    sets = []
    for split, seed, crop in (
        ("train", cfg.seed, cfg.crop),
        ("val", cfg.seed + VAL_SEED_OFFSET, None),
    ):
        try:
            sets.append(
                LocalizationDataset(
                    cfg.data,
                    split,
                    masks="random",
                    rates=list(RATES_PERCENT),
                    env=env,
                    seed=seed,
                    crop=crop,
                )
            )
        except DatasetError as exc:
            raise DatasetError(
                f"{exc} (training needs train and val maps: check cities.csv "
                "or the Train/Val folders)"
            ) from exc
    return sets[0], sets[1], fingerprint


class Dist:
    """This process's place in a torchrun group (world 1 = no group); collectives are no-ops alone."""

    def __init__(self, device_pref: str) -> None:
        from locnet.inference import pick_device

        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.device = pick_device(device_pref)
        if self.world > 1:
            if self.device.type == "cuda":
                self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
                torch.cuda.set_device(self.device)
            elif self.device.type != "cpu":
                raise LocNetError(
                    f"data parallel runs on cpu (gloo) or cuda (nccl), not {self.device}"
                )
            if not tdist.is_initialized():
                tdist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def any(self, flag: bool) -> bool:
        if self.world == 1:
            return flag
        value = torch.tensor([float(flag)], device=self.device)
        tdist.all_reduce(value, op=tdist.ReduceOp.MAX)
        return bool(value.item())

    def mean(self, number: float) -> float:
        if self.world == 1:
            return number
        value = torch.tensor([number], dtype=torch.float64, device=self.device)
        tdist.all_reduce(value)
        return value.item() / self.world

    def gather(self, values: list) -> list:
        if self.world == 1:
            return list(values)
        parts: list = [None] * self.world
        tdist.all_gather_object(parts, list(values))
        return [v for part in parts for v in part]

    def barrier(self) -> None:
        if self.world > 1:
            tdist.barrier()

    def shutdown(self) -> None:
        if self.world > 1 and tdist.is_initialized():
            tdist.destroy_process_group()


class TrainingLoss(nn.Module):
    """forward = model.training_loss, so DDP sees (and syncs) every parameter it uses."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        return self.model.training_loss(x, tx_xy)


def wrap_for_training(model: nn.Module, cfg: TrainConfig, dist: Dist) -> tuple[bool, nn.Module]:
    """(use bf16 autocast, the module to call for the loss): DDP, then torch.compile on CUDA."""
    device = dist.device
    module: nn.Module = TrainingLoss(model)
    if dist.world > 1:
        module = nn.parallel.DistributedDataParallel(
            module,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=model_info(cfg.model).output == "two-stage",
        )
    cuda = device.type == "cuda"
    bf16 = cfg.bf16 == "on" or (cfg.bf16 == "auto" and cuda and torch.cuda.is_bf16_supported())
    has_triton = cuda and __import__("importlib.util").util.find_spec("triton") is not None
    if cfg.compile == "on" or (cfg.compile == "auto" and has_triton):
        module = torch.compile(module)
    return bf16, module


def hardware_string(device: torch.device, world: int) -> str:
    """e.g. '2 x NVIDIA H100' or '1 x CPU (AMD EPYC ..., 2 threads)'."""
    if device.type == "cuda":
        return f"{world} x {torch.cuda.get_device_name(device)}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{world} x {device.type.upper()} ({cpu}, {torch.get_num_threads()} threads)"


# ---- determinism and resume -------------------------------------------------------------------
def subset_indices(n_total: int, n: int | None, seed: int) -> np.ndarray:
    """All indices, or a seeded sorted subset of n of them (fixed for the whole run)."""
    if n is None or n >= n_total:
        return np.arange(n_total)
    if n < 1:
        raise LocNetError(f"--train-samples/--val-samples must be >= 1, got {n}")
    return np.sort(np.random.default_rng(seed).choice(n_total, size=n, replace=False))


def epoch_order(indices: np.ndarray, epoch: int, seed: int, dist: Dist) -> list[int]:
    """This rank's shuffled sample order for an epoch: a pure function of (seed, epoch), so a
    resumed run replays it exactly and can skip the batches already done."""
    sampler = DistributedSampler(
        range(len(indices)), num_replicas=dist.world, rank=dist.rank, shuffle=True, seed=seed
    )
    sampler.set_epoch(epoch)
    return [int(indices[i]) for i in sampler]


def seed_epoch(seed: int, epoch: int, rank: int) -> None:
    """Global RNGs (dropout, augmentation) seeded per (seed, epoch, rank)."""
    value = (seed * 1_000_003 + epoch * 1_009 + rank) % 2**31
    torch.manual_seed(value)
    np.random.seed(value)
    random.seed(value)


def fresh_state() -> dict:
    """Loop position and records; `epoch` = epochs completed, `step` = batches done in the next."""
    return dict(
        epoch=0,
        step=0,
        steps=0,
        samples_seen=0,
        minutes=0.0,
        history=[],
        best_metrics={},
        best_epoch=None,
        stopped=None,
        loss_sum=0.0,
        rng=None,
        train_seconds=0.0,
    )


def restore(
    path: Path,
    cfg: TrainConfig,
    options: dict,
    fingerprint: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> dict:
    """Load a resume file into model and optimizer; the loop state to continue from."""
    payload = ckpt.load_checkpoint(path)
    if "resume" not in payload or "optimizer" not in payload:
        raise CheckpointError(f"{path} is a final checkpoint, not a resume file; drop --resume")
    if payload["model"] != cfg.model or payload["options"] != options:
        raise CheckpointError(
            f"resume file {path} is for {payload['model']} {payload['options']}, "
            f"not {cfg.model} {options}; delete it or drop --resume"
        )
    if payload.get("data_fingerprint") != fingerprint:
        raise CheckpointError(
            f"resume file {path} was trained on another dataset (fingerprint "
            f"{payload.get('data_fingerprint')} vs {fingerprint} of {cfg.data}); "
            "delete it or drop --resume to start afresh"
        )
    model.load_state_dict(payload["state_dict"])
    optimizer.load_state_dict(payload["optimizer"])
    resume = payload["resume"]
    state = fresh_state()
    state.update(
        epoch=int(payload["epoch"]),
        step=int(resume["step"]),
        history=payload["history"],
        samples_seen=int(payload["timings"]["samples_seen"]),
        minutes=float(payload["timings"]["minutes"]),
        best_metrics=payload["metrics"],
        train_seconds=float(payload["timings"].get("train_seconds", 0.0)),
        best_epoch=resume["best_epoch"],
        loss_sum=float(resume["loss_sum"]),
    )
    if state["step"]:
        ckpt.set_rng_state(resume["rng"])
    return state


def loader_generator(seed: int, epoch: int) -> torch.Generator:
    """Own generator for DataLoader seeds, so loaders never draw from the global RNG."""
    return torch.Generator().manual_seed((seed * 7_919 + epoch) % 2**63)


def lr_at(cfg: TrainConfig, global_step: int, total_steps: int) -> float:
    """Learning rate for a step: a pure function of the position, so a resumed run matches."""
    if cfg.lr_schedule == "constant":
        return cfg.lr
    if global_step < WARMUP_STEPS:
        return cfg.lr * (global_step + 1) / WARMUP_STEPS
    progress = min(1.0, (global_step - WARMUP_STEPS) / max(total_steps - WARMUP_STEPS, 1))
    return cfg.lr * 0.5 * (1.0 + float(np.cos(np.pi * progress)))


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
        **{k: info.budget.get(k) for k in ("epochs", "minutes", "samples_seen", "hardware")},
        "val_mean_m": info.metrics.get("val_mean_m"),
    }


# ---- validation -----------------------------------------------------------------------------
def validate(model: nn.Module, dataset, indices: np.ndarray, cfg: TrainConfig, dist: Dist) -> dict:
    """Mean / RMSE / median distance (metres) of argmax predictions on this rank's shard,
    gathered over all ranks."""
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
    err = np.asarray(dist.gather(local), dtype=np.float64)
    return {
        "val_mean_m": float(err.mean()),
        "val_rmse_m": float(np.sqrt((err**2).mean())),
        "val_median_m": float(np.median(err)),
        "val_samples": int(err.size),
    }


# ---- the loop -------------------------------------------------------------------------------
def train(cfg: TrainConfig) -> dict:
    """Run (or resume) training; returns the best checkpoint's path, epoch, metrics and timings."""
    _check_config(cfg)
    options = model_options(cfg)
    out = Path(cfg.out or Path("checkpoints") / ckpt.default_filename(cfg.model, options))
    cfg.out, last_path = str(out), ckpt.resume_path(out)
    ensure_writable_folder(out.parent)  # fail now, not at the first save after an epoch
    dist = Dist(cfg.device)
    started = time.monotonic()
    try:
        train_set, val_set, fingerprint = build_datasets(cfg, options)
        torch.manual_seed(cfg.seed)
        model = create_model(cfg.model, **options).to(dist.device)
        model.options = dict(options)
        optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        state = fresh_state()
        init_record = initial_weights(cfg, options, model) if cfg.init_from else None
        if cfg.resume and last_path.is_file():
            state = restore(last_path, cfg, options, fingerprint, model, optimizer)
        elif cfg.resume and dist.main and not cfg.quiet:
            print(f"note: nothing to resume ({last_path} does not exist); starting from scratch")
        use_bf16, loss_module = wrap_for_training(model, cfg, dist)
        hardware = hardware_string(dist.device, dist.world)
        train_idx = subset_indices(len(train_set), cfg.train_samples, cfg.seed)
        val_idx = subset_indices(len(val_set), cfg.val_samples, cfg.seed + VAL_SEED_OFFSET)
        budget_s = cfg.max_minutes * 60 if cfg.max_minutes else None
        minutes_before = state["minutes"]

        def minutes_now() -> float:
            return minutes_before + (time.monotonic() - started) / 60

        def records() -> dict:
            """Checkpoint fields describing the run so far."""
            timings = {
                "minutes": round(minutes_now(), 3),
                "epochs": state["epoch"],
                "samples_seen": state["samples_seen"],
                "train_seconds": round(state["train_seconds"], 3),
                "images_per_s": round(state["samples_seen"] / max(state["train_seconds"], 1e-9), 2),
                "hardware": hardware,
                "world_size": dist.world,
                "bf16": use_bf16,
                "budget_minutes": cfg.max_minutes,
                "stopped": state["stopped"],
            }
            if init_record is not None:
                timings["init_from"] = init_record
            return {
                "train_config": asdict(cfg),
                "data_fingerprint": fingerprint,
                "history": list(state["history"]),
                "timings": timings,
            }

        def save_resume_file() -> None:
            if dist.main:
                rng = state["rng"] if state["step"] and state["rng"] else ckpt.rng_state()
                resume = {
                    "step": state["step"],
                    "best_epoch": state["best_epoch"],
                    "loss_sum": state["loss_sum"],
                    "rng": rng,
                }
                ckpt.save_checkpoint(
                    last_path,
                    cfg.model,
                    model,
                    **records(),
                    epoch=state["epoch"],
                    metrics=state["best_metrics"],
                    optimizer=optimizer.state_dict(),
                    resume=resume,
                )

        def validate_and_keep(train_loss: float, images_per_s: float, partial: bool) -> dict:
            """Validate; if best so far, write --out. Returns the history entry."""
            metrics = validate(model, val_set, val_idx, cfg, dist)
            epoch = state["epoch"] + (state["step"] / state["steps"] if partial else 0)
            entry = {
                "epoch": round(epoch, 4),
                "train_loss": train_loss,
                **metrics,
                "minutes": round(minutes_now(), 3),
                "samples_seen": state["samples_seen"],
                "images_per_s": images_per_s,
                "partial": partial,
            }
            state["history"].append(entry)
            if metrics["val_mean_m"] < state["best_metrics"].get("val_mean_m", float("inf")):
                state["best_metrics"] = {**metrics, "train_loss": train_loss}
                state["best_epoch"] = entry["epoch"]
                if dist.main:
                    ckpt.save_checkpoint(
                        out,
                        cfg.model,
                        model,
                        **records(),
                        epoch=entry["epoch"],
                        metrics=state["best_metrics"],
                    )
            return entry

        if dist.main and not cfg.quiet:
            print(
                f"training {cfg.model} {options} on {hardware}: {len(train_idx)} train / "
                f"{len(val_idx)} val samples, epochs {state['epoch'] + 1}..{cfg.epochs} -> {out}"
            )
        last_save = time.monotonic()
        while state["epoch"] < cfg.epochs and state["stopped"] is None:
            epoch = state["epoch"]
            order = epoch_order(train_idx, epoch, cfg.seed, dist)
            state["steps"] = -(-len(order) // cfg.batch_size)
            if state["step"] == 0:
                seed_epoch(cfg.seed, epoch, dist.rank)
                state["loss_sum"] = 0.0
            if hasattr(train_set, "set_epoch"):
                train_set.set_epoch(epoch)  # fresh random masks/crops; workers copy it per epoch
            loader = DataLoader(
                train_set,
                batch_size=cfg.batch_size,
                sampler=order[state["step"] * cfg.batch_size :],
                num_workers=cfg.workers,
                pin_memory=dist.device.type == "cuda",
                generator=loader_generator(cfg.seed, epoch),
            )
            bar = tqdm(
                total=state["steps"],
                initial=state["step"],
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                disable=not dist.main or cfg.quiet,
                leave=False,
                dynamic_ncols=True,
            )
            model.train()
            epoch_start, images, running = time.monotonic(), 0, torch.zeros((), device=dist.device)
            counted_until = epoch_start  # train_seconds holds the time up to here
            for batch in loader:
                for group in optimizer.param_groups:
                    group["lr"] = lr_at(
                        cfg, epoch * state["steps"] + state["step"], cfg.epochs * state["steps"]
                    )
                x = batch["input"].to(dist.device, non_blocking=True)
                tx_xy = batch["tx_xy"].to(dist.device, non_blocking=True)
                with torch.autocast(dist.device.type, dtype=torch.bfloat16, enabled=use_bf16):
                    loss = loss_module(x, tx_xy)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                running += loss.detach().float()
                state["step"] += 1
                state["samples_seen"] += len(x) * dist.world
                images += len(x) * dist.world
                bar.update(1)
                if state["step"] % BAR_REFRESH_STEPS == 0 or state["step"] == state["steps"]:
                    state["loss_sum"] += running.item()
                    running.zero_()
                    bar.set_postfix(loss=f"{state['loss_sum'] / state['step']:.4g}")
                over = budget_s is not None and dist.any(time.monotonic() - started > budget_s)
                if over and state["step"] < state["steps"]:
                    state["stopped"] = "max-minutes"  # mid-epoch: saved below, resumable
                    state["rng"] = ckpt.rng_state()  # before validation touches anything
                    break
                if time.monotonic() - last_save > cfg.save_every_minutes * 60:
                    state["loss_sum"] += running.item()
                    running.zero_()
                    state["rng"] = ckpt.rng_state()
                    now = time.monotonic()
                    state["train_seconds"] += now - counted_until  # so a resume keeps it
                    counted_until = now
                    save_resume_file()
                    last_save = time.monotonic()
            bar.close()
            state["loss_sum"] += running.item()
            state["train_seconds"] += time.monotonic() - counted_until
            rate = round(images / max(time.monotonic() - epoch_start, 1e-9), 2)
            train_loss = dist.mean(state["loss_sum"] / max(state["step"], 1))
            partial = state["stopped"] is not None
            if not partial:
                state["epoch"], state["step"] = epoch + 1, 0
            entry = validate_and_keep(train_loss, rate, partial)
            if state["epoch"] >= cfg.epochs:
                state["stopped"] = "completed"
            elif budget_s is not None and dist.any(time.monotonic() - started > budget_s):
                state["stopped"] = "max-minutes"
            save_resume_file()
            last_save = time.monotonic()
            if dist.main and not cfg.quiet:
                stop = "; stopped: time budget" if state["stopped"] == "max-minutes" else ""
                tqdm.write(
                    f"epoch {entry['epoch']:g}/{cfg.epochs}: loss {train_loss:.4g}, val mean "
                    f"{entry['val_mean_m']:.2f} m, rmse {entry['val_rmse_m']:.2f} m, "
                    f"{rate:.1f} img/s{stop}"
                )
        if state["stopped"] is None:  # resumed a finished run: nothing to train
            state["stopped"] = "completed"
            save_resume_file()
        replicas = dist.gather([ckpt.params_digest(model)])
        if dist.main and out.is_file():  # the best weights, with the whole run's history
            final = ckpt.load_checkpoint(out)
            final.update(records(), replicas=replicas)
            ckpt.atomic_torch_save(final, out)
        dist.barrier()
        return {
            "out": str(out),
            "best_epoch": state["best_epoch"],
            "metrics": state["best_metrics"],
            "timings": records()["timings"],
            "replicas": replicas,
        }
    finally:
        dist.shutdown()


# ---- command line ---------------------------------------------------------------------------
def _parse_option(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise LocNetError(f"--opt {text!r}: write KEY=VALUE, e.g. --opt dropout=0.2")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--model", required=True, help="registry name, e.g. locnet")
    add("--data", required=True, help="dataset folder (RadioMapSeer layout)")
    add("--out", help="best checkpoint (default: checkpoints/<model>[-variant].pt)")
    add(
        "--loss",
        choices=("focal", "bbce", "ft", "mse"),
        help="LocNet training loss (default focal)",
    )
    add("--no-env", action="store_true", help="hide the building map from the model (ablation)")
    add("--opt", action="append", default=[], metavar="KEY=VALUE", help="extra model option")
    add("--epochs", type=int, default=100)
    add("--batch-size", type=int, default=64)
    add("--lr", type=float, default=5e-4, help="AdamW learning rate")
    add("--weight-decay", type=float, default=0.01)
    add("--seed", type=int, default=0)
    add("--device", default="auto", help="auto | cpu | cuda | cuda:N | mps")
    add("--max-minutes", type=float, help="stop cleanly (resumable) after this wall time")
    add("--save-every-minutes", type=float, default=10.0, help="mid-epoch resume saves")
    add("--crop", type=int, help="train on random square crops of this side (pixels)")
    add("--train-samples", type=int, help="train on a seeded subset of N samples")
    add("--val-samples", type=int, help="validate on a seeded subset of N samples")
    add("--workers", type=int, default=0, help="DataLoader worker processes")
    add("--resume", action="store_true", help="continue from <out stem>.last.pt")
    add("--init-from", help="start from this checkpoint's weights (same model and options)")
    add(
        "--lr-schedule",
        choices=LR_SCHEDULES,
        default="constant",
        help=f"cosine: {WARMUP_STEPS}-step warm-up, then cosine decay to 0 at --epochs",
    )
    add("--bf16", choices=("auto", "on", "off"), default="auto", help="bf16 autocast (auto: CUDA)")
    add(
        "--compile",
        choices=("auto", "on", "off"),
        default="auto",
        help="torch.compile (auto: CUDA with triton)",
    )
    add("--quiet", action="store_true", help="no progress output")


def run(args: argparse.Namespace) -> int:
    cfg = TrainConfig(
        model=args.model,
        data=args.data,
        out=args.out,
        loss=args.loss,
        env=not args.no_env,
        options=dict(_parse_option(o) for o in args.opt),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        seed=args.seed,
        device=args.device,
        max_minutes=args.max_minutes,
        save_every_minutes=args.save_every_minutes,
        crop=args.crop,
        train_samples=args.train_samples,
        val_samples=args.val_samples,
        workers=args.workers,
        resume=args.resume,
        init_from=args.init_from,
        lr_schedule=args.lr_schedule,
        bf16=args.bf16,
        compile=args.compile,
        quiet=args.quiet,
    )
    result = train(cfg)
    if not cfg.quiet and result["metrics"] and int(os.environ.get("RANK", "0")) == 0:
        m, t = result["metrics"], result["timings"]
        print(
            f"best epoch {result['best_epoch']:g}: val mean {m['val_mean_m']:.2f} m, rmse "
            f"{m['val_rmse_m']:.2f} m, median {m['val_median_m']:.2f} m -> {result['out']} "
            f"({t['minutes']:.1f} min, {t['images_per_s']:.1f} img/s, {t['stopped']})"
        )
    return 0
