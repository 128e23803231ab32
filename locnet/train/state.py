"""Where a run stands (`TrainState`), its resume file, and the pure functions of position
(sample order, seeds, learning rate) that let a resumed run replay the original exactly.

The resume file `<out stem>.last.pt` is a checkpoint with extra fields: `epoch`,
`metrics` (the best so far), `history`, `timings` (minutes, samples_seen, train_seconds)
and `resume` = {step, best_epoch, loss_sum, rng}, plus `optimizer`; the loop position
is converted to and from that dict form, so files written before TrainState still load.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DistributedSampler

from locnet.errors import CheckpointError
from locnet.models import checkpoints as ckpt
from locnet.train.config import WARMUP_STEPS, TrainConfig
from locnet.train.reproducibility import rng_state, set_rng_state


@dataclass
class TrainState:
    """Loop position and records: `epoch` = epochs completed, `step` = batches done in
    the next one (of `steps` per epoch on this rank)."""

    epoch: int = 0
    step: int = 0
    steps: int = 0
    samples_seen: int = 0  # over all ranks
    minutes: float = 0.0  # wall time of this and earlier invocations, as last recorded
    train_seconds: float = 0.0  # time spent in training steps (not validation)
    cpu_minutes: float = 0.0  # CPU time of the training process(es), all threads, as last recorded
    loss_sum: float = 0.0  # summed batch losses of the current epoch
    history: list = field(default_factory=list)  # one entry per validation
    best_metrics: dict = field(default_factory=dict)
    best_epoch: float | None = None
    stopped: str | None = None  # None while running, then "completed" or "max-minutes"
    rng: dict | None = None  # global RNG states captured where a mid-epoch stop happened

    def timings(self, minutes: float, cpu_minutes: float | None = None) -> dict:
        """The loop's part of a checkpoint's `timings` (minutes: the run's total so far)."""
        cpu = self.cpu_minutes if cpu_minutes is None else cpu_minutes
        return {
            "minutes": round(minutes, 3),
            "cpu_minutes": round(cpu, 6),  # fine enough that a resumed short run adds to it
            "epochs": self.epoch,
            "samples_seen": self.samples_seen,
            "train_seconds": round(self.train_seconds, 3),
            "images_per_s": round(self.samples_seen / max(self.train_seconds, 1e-9), 2),
            "stopped": self.stopped,
        }

    def to_payload(self, minutes: float, cpu_minutes: float | None = None) -> dict:
        """Resume-file fields (dict form on disk); the RNG is captured now unless a
        mid-epoch stop already captured it."""
        rng = self.rng if self.step and self.rng else rng_state()
        return {
            "epoch": self.epoch,
            "metrics": self.best_metrics,
            "history": list(self.history),
            "timings": self.timings(minutes, cpu_minutes),
            "resume": {
                "step": self.step,
                "best_epoch": self.best_epoch,
                "loss_sum": self.loss_sum,
                "rng": rng,
            },
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> TrainState:
        """The state a resume file holds, ready to continue (not stopped)."""
        resume, timings = payload["resume"], payload["timings"]
        return cls(
            epoch=int(payload["epoch"]),
            step=int(resume["step"]),
            samples_seen=int(timings["samples_seen"]),
            minutes=float(timings["minutes"]),
            cpu_minutes=float(timings.get("cpu_minutes", 0.0)),
            train_seconds=float(timings.get("train_seconds", 0.0)),
            loss_sum=float(resume["loss_sum"]),
            history=list(payload["history"]),
            best_metrics=dict(payload["metrics"]),
            best_epoch=resume["best_epoch"],
            rng=resume.get("rng"),
        )


def restore(
    path: Path,
    cfg: TrainConfig,
    options: dict,
    fingerprint: str,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
) -> TrainState:
    """Load a resume file into model and optimizer; the state to continue from."""
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
    state = TrainState.from_payload(payload)
    if state.step:
        set_rng_state(state.rng)
    return state


def epoch_order(
    indices: np.ndarray, epoch: int, seed: int, world: int, rank: int, shuffle: bool = True
) -> list[int]:
    """This rank's sample order for an epoch: a pure function of (seed, epoch), so a resumed
    run replays it exactly and can skip the batches already done. shuffle=False (a stream
    whose consecutive items share a map): a contiguous block per rank, padded by wrapping
    so every rank takes the same number of steps."""
    if not shuffle:
        per_rank = -(-len(indices) // world)
        block = np.resize(np.asarray(indices), per_rank * world)[rank * per_rank : (rank + 1) * per_rank]
        return [int(i) for i in block]
    sampler = DistributedSampler(
        range(len(indices)), num_replicas=world, rank=rank, shuffle=True, seed=seed
    )
    sampler.set_epoch(epoch)
    return [int(indices[i]) for i in sampler]


def seed_epoch(seed: int, epoch: int, rank: int) -> None:
    """Global RNGs (dropout, augmentation) seeded per (seed, epoch, rank)."""
    value = (seed * 1_000_003 + epoch * 1_009 + rank) % 2**31
    torch.manual_seed(value)
    np.random.seed(value)
    random.seed(value)


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
