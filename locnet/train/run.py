"""A training run's fixed parts (`Run`): set up from the config, and how they are saved.

`set_up` builds data, model and optimizer, from --init-from or the resume file;
`records` are the checkpoint fields describing the run so far; `save_resume` writes
`<out stem>.last.pt` (rank 0 only).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from locnet.models import checkpoints as ckpt
from locnet.models.registry import create_model
from locnet.train.config import TrainConfig
from locnet.train.dist import Dist, hardware_string, use_channels_last, wrap_for_training
from locnet.train.precision import precision_name
from locnet.train.setup import VAL_SEED_OFFSET, build_datasets, initial_weights, subset_indices
from locnet.train.state import TrainState, restore


@dataclass
class Run:
    """What a run works with, fixed once set up (only `last_save` and `cpu_excluded` move)."""

    cfg: TrainConfig
    options: dict
    out: Path
    dist: Dist
    started: float  # time.monotonic() when this invocation started
    minutes_before: float  # wall time of earlier invocations (resume)
    cpu_minutes_before: float  # CPU time of earlier invocations (resume)
    model: nn.Module
    optimizer: torch.optim.Optimizer
    loss_module: nn.Module  # what the loss is computed through (DDP, torch.compile)
    use_bf16: bool
    channels_last: bool
    train_set: Any
    val_set: Any
    train_idx: np.ndarray
    val_idx: np.ndarray
    fingerprint: str
    hardware: str
    init_record: dict | None
    last_save: float = 0.0  # time.monotonic() of the last resume save
    cpu_started: float = field(default_factory=time.process_time)  # this process, all threads
    cpu_excluded: float = 0.0  # process CPU seconds spent validating (not training budget)

    @property
    def last_path(self) -> Path:
        return ckpt.resume_path(self.out)

    def minutes_now(self) -> float:
        return self.minutes_before + (time.monotonic() - self.started) / 60

    def cpu_minutes_now(self) -> float:
        """CPU minutes the run has trained: earlier invocations plus this process's, without
        validation (every rank alike: rank 0's time times the world size; DataLoader workers
        are not counted, so equal-budget runs use --workers 0)."""
        mine = (time.process_time() - self.cpu_started - self.cpu_excluded) / 60 * self.dist.world
        return self.cpu_minutes_before + mine

    def over_budget(self) -> bool:
        """Past --max-minutes (this invocation's wall time) or --max-cpu-minutes (the run's
        CPU time) on any rank (a collective: every rank must call it)."""
        wall, cpu = self.cfg.max_minutes, self.cfg.max_cpu_minutes
        over = wall is not None and time.monotonic() - self.started > wall * 60
        over = over or (cpu is not None and self.cpu_minutes_now() > cpu)
        return self.dist.any(over) if (wall, cpu) != (None, None) else False


def set_up(
    cfg: TrainConfig, options: dict, out: Path, dist: Dist, started: float
) -> tuple[Run, TrainState]:
    """(Run, TrainState): data, model and optimizer, from --init-from or the resume file."""
    train_set, val_set, fingerprint = build_datasets(cfg, options)
    torch.manual_seed(cfg.seed)
    model = create_model(cfg.model, **options).to(dist.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    state = TrainState()
    init_record = initial_weights(cfg, options, model) if cfg.init_from else None
    last_path = ckpt.resume_path(out)
    if cfg.resume and last_path.is_file():
        state = restore(last_path, cfg, options, fingerprint, model, optimizer)
    elif cfg.resume and dist.main and not cfg.quiet:
        print(f"note: nothing to resume ({last_path} does not exist); starting from scratch")
    use_bf16, loss_module = wrap_for_training(model, cfg, dist)
    run = Run(
        cfg=cfg,
        options=options,
        out=out,
        dist=dist,
        started=started,
        minutes_before=state.minutes,
        cpu_minutes_before=state.cpu_minutes,
        model=model,
        optimizer=optimizer,
        loss_module=loss_module,
        use_bf16=use_bf16,
        channels_last=use_channels_last(cfg, dist.device),
        train_set=train_set,
        val_set=val_set,
        train_idx=subset_indices(len(train_set), cfg.train_samples, cfg.seed),
        val_idx=subset_indices(len(val_set), cfg.val_samples, cfg.seed + VAL_SEED_OFFSET),
        fingerprint=fingerprint,
        hardware=hardware_string(dist.device, dist.world),
        init_record=init_record,
    )
    return run, state


def records(run: Run, state: TrainState) -> dict:
    """Checkpoint fields describing the run so far."""
    timings = {
        **state.timings(run.minutes_now(), run.cpu_minutes_now()),
        "hardware": run.hardware,
        "world_size": run.dist.world,
        "bf16": run.use_bf16,
        "precision": precision_name(run.use_bf16),
        "channels_last": run.channels_last,
        "budget_minutes": run.cfg.max_minutes,
        "budget_cpu_minutes": run.cfg.max_cpu_minutes,
    }
    timings["stopped"] = timings.pop("stopped")  # last, as files always had it
    if run.init_record is not None:
        timings["init_from"] = run.init_record
    return {
        "train_config": asdict(run.cfg),
        "data_fingerprint": run.fingerprint,
        "history": list(state.history),
        "timings": timings,
    }


def save_resume(run: Run, state: TrainState) -> None:
    """Write `<out stem>.last.pt` (rank 0): weights, optimizer and the loop's state."""
    if run.dist.main:
        fields = {**state.to_payload(run.minutes_now(), run.cpu_minutes_now()), **records(run, state)}
        ckpt.save_checkpoint(
            run.last_path, run.cfg.model, run.model, **fields, optimizer=run.optimizer.state_dict()
        )
    run.last_save = time.monotonic()
