"""`python -m locnet train`: a plain, resumable training loop (nanoGPT style).

Read `train()` top to bottom: set up (datasets with random seeded masks for training and
fixed seeded masks on full 256 x 256 maps for validation, the model, AdamW), then per
epoch: `train_epoch`, then `finish_epoch` validates (distance in metres), keeps the best
epoch's weights in --out and everything needed to resume in `<out stem>.last.pt`.
Data parallel: launch with torchrun (`python -m torch.distributed.run --nproc_per_node 2
-m locnet train ...`); gloo on CPU, NCCL on GPU; only rank 0 writes.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

from locnet import config_cli
from locnet.errors import LocNetError
from locnet.files import claim_output_file, ensure_writable_folder
from locnet.models import checkpoints as ckpt
from locnet.train.config import LR_SCHEDULES, WARMUP_STEPS, TrainConfig, check_config
from locnet.train.dist import Dist
from locnet.train.reproducibility import params_digest, rng_state
from locnet.train.run import Run, records, save_resume, set_up
from locnet.train.setup import (
    VAL_SEED_OFFSET,
    build_datasets,
    model_options,
    subset_indices,
    validate,
)
from locnet.train.state import TrainState, epoch_order, loader_generator, lr_at, seed_epoch

__all__ = [  # also what scripts and tests use from here
    "LR_SCHEDULES", "VAL_SEED_OFFSET", "WARMUP_STEPS", "Dist", "TrainConfig", "TrainState",
    "build_datasets", "lr_at", "model_options", "subset_indices", "train", "validate",
]
BAR_REFRESH_STEPS = 10  # tqdm loss refresh interval (a .item() syncs the GPU)


def validate_and_keep(
    run: Run, state: TrainState, train_loss: float, images_per_s: float, partial: bool
) -> dict:
    """Validate; if best so far, write --out. Returns the history entry."""
    cpu_before = time.process_time()
    metrics = validate(run.model, run.val_set, run.val_idx, run.cfg, run.dist)
    run.cpu_excluded += time.process_time() - cpu_before
    epoch = state.epoch + (state.step / state.steps if partial else 0)
    entry = {
        "epoch": round(epoch, 4),
        "train_loss": train_loss,
        **metrics,
        "minutes": round(run.minutes_now(), 3),
        "cpu_minutes": round(run.cpu_minutes_now(), 6),
        "samples_seen": state.samples_seen,
        "images_per_s": images_per_s,
        "partial": partial,
    }
    state.history.append(entry)
    if metrics["val_mean_m"] < state.best_metrics.get("val_mean_m", float("inf")):
        state.best_metrics = {**metrics, "train_loss": train_loss}
        state.best_epoch = entry["epoch"]
        if run.dist.main:
            fields = records(run, state)
            ckpt.save_checkpoint(
                run.out,
                run.cfg.model,
                run.model,
                **fields,
                epoch=entry["epoch"],
                metrics=state.best_metrics,
            )
    return entry


def weights_finite(model: torch.nn.Module) -> bool:
    """Whether every floating-point weight and buffer is finite (one device sync)."""
    flags = [torch.isfinite(t).all() for t in model.state_dict().values() if t.is_floating_point()]
    return bool(torch.stack(flags).all()) if flags else True


def stop_if_diverged(
    run: Run, state: TrainState, loss_sum: float, *, weights: bool, every_rank: bool = True
) -> None:
    """LocNetError once the epoch's summed loss (or, with `weights`, a weight) is NaN or
    infinite: such a model is never validated or saved, so --out and the resume file keep
    the last good state. every_rank: decided together (a collective every rank reaches);
    False where ranks may not all call it (the mid-epoch save, which rank 0 alone writes)."""
    bad = not math.isfinite(loss_sum) or (weights and not weights_finite(run.model))
    if run.dist.any(bad) if every_rank else bad:
        saved = [str(p) for p in (run.out, run.last_path) if p.is_file()]
        kept = f"the last good state is in {' and '.join(saved)}" if saved else "nothing was saved"
        raise LocNetError(
            f"training diverged in epoch {state.epoch + 1} by step {state.step}: the loss or "
            f"the weights became NaN or infinite ({kept}); lower --lr (now {run.cfg.lr:g}) and "
            "train again, or --resume from the last good save"
        )


def epoch_loader(run: Run, state: TrainState) -> DataLoader:
    """The batches of epoch state.epoch still to train (all, or those after state.step)."""
    cfg, dist, epoch = run.cfg, run.dist, state.epoch
    shuffle = not getattr(run.train_set, "ordered", False)
    order = epoch_order(run.train_idx, epoch, cfg.seed, dist.world, dist.rank, shuffle)
    state.steps = -(-len(order) // cfg.batch_size)
    if state.step == 0:
        seed_epoch(cfg.seed, epoch, dist.rank)
        state.loss_sum = 0.0
    if hasattr(run.train_set, "set_epoch"):
        run.train_set.set_epoch(epoch)  # fresh random masks/crops; workers copy it per epoch
    return DataLoader(
        run.train_set,
        batch_size=cfg.batch_size,
        sampler=order[state.step * cfg.batch_size :],
        num_workers=cfg.workers,
        pin_memory=dist.device.type == "cuda",
        generator=loader_generator(cfg.seed, epoch),
    )


def train_step(run: Run, state: TrainState, batch: dict) -> torch.Tensor:
    """One optimizer step at the scheduled lr; the batch loss (on the device, detached)."""
    cfg, device = run.cfg, run.dist.device
    lr = lr_at(cfg, state.epoch * state.steps + state.step, cfg.epochs * state.steps)
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    x = batch["input"].to(device, non_blocking=True)
    if run.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    tx_xy = batch["tx_xy"].to(device, non_blocking=True)
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=run.use_bf16):
        loss = run.loss_module(x, tx_xy)
    run.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    run.optimizer.step()
    return loss.detach().float()


def train_epoch(run: Run, state: TrainState) -> tuple[float, float]:
    """Train the rest of epoch state.epoch, or until the time budget ends mid-epoch
    (state.stopped is then set); (mean train loss over ranks, images per second)."""
    cfg, dist = run.cfg, run.dist
    loader = epoch_loader(run, state)
    bar = tqdm(
        total=state.steps,
        initial=state.step,
        desc=f"epoch {state.epoch + 1}/{cfg.epochs}",
        disable=not dist.main or cfg.quiet,
        leave=False,
        dynamic_ncols=True,
    )
    run.model.train()
    epoch_start, images, running = time.monotonic(), 0, torch.zeros((), device=dist.device)
    counted_until = epoch_start  # state.train_seconds holds the time up to here
    for batch in loader:
        running += train_step(run, state, batch)
        state.step += 1
        state.samples_seen += len(batch["input"]) * dist.world
        images += len(batch["input"]) * dist.world
        bar.update(1)
        if state.step % BAR_REFRESH_STEPS == 0 or state.step == state.steps:
            state.loss_sum += running.item()
            running.zero_()
            stop_if_diverged(run, state, state.loss_sum, weights=False)
            bar.set_postfix(loss=f"{state.loss_sum / state.step:.4g}")
        if run.over_budget() and state.step < state.steps:
            state.stopped = "max-minutes"  # mid-epoch: saved by finish_epoch, resumable
            state.rng = rng_state()  # before validation touches anything
            break
        if time.monotonic() - run.last_save > cfg.save_every_minutes * 60:
            state.loss_sum += running.item()
            running.zero_()
            stop_if_diverged(run, state, state.loss_sum, weights=True, every_rank=False)  # a save
            state.rng = rng_state()
            now = time.monotonic()
            state.train_seconds += now - counted_until  # so a resume keeps it
            counted_until = now
            save_resume(run, state)
    bar.close()
    state.loss_sum += running.item()
    stop_if_diverged(run, state, state.loss_sum, weights=True)  # before validation saves
    state.train_seconds += time.monotonic() - counted_until
    rate = round(images / max(time.monotonic() - epoch_start, 1e-9), 2)
    return dist.mean(state.loss_sum / max(state.step, 1)), rate


def finish_epoch(run: Run, state: TrainState, train_loss: float, rate: float) -> None:
    """Validate and keep the best weights, decide whether to stop, save the resume file."""
    cfg = run.cfg
    partial = state.stopped is not None
    if not partial:
        state.epoch, state.step = state.epoch + 1, 0
    entry = validate_and_keep(run, state, train_loss, rate, partial)
    if state.epoch >= cfg.epochs:
        state.stopped = "completed"
    elif run.over_budget():
        state.stopped = "max-minutes"
    save_resume(run, state)
    if run.dist.main and not cfg.quiet:
        stop = "; stopped: time budget" if state.stopped == "max-minutes" else ""
        tqdm.write(
            f"epoch {entry['epoch']:g}/{cfg.epochs}: loss {train_loss:.4g}, val mean "
            f"{entry['val_mean_m']:.2f} m, rmse {entry['val_rmse_m']:.2f} m, "
            f"{rate:.1f} img/s{stop}"
        )


def finish_run(run: Run, state: TrainState) -> dict:
    """Give --out the whole run's history and the replicas' digests; the run's result."""
    if state.stopped is None:  # resumed a finished run: nothing to train
        state.stopped = "completed"
        save_resume(run, state)
    replicas = run.dist.gather([params_digest(run.model)])
    if run.dist.main and run.out.is_file():  # the best weights, with the whole run's history
        final = ckpt.load_checkpoint(run.out)
        final.update(records(run, state), replicas=replicas)
        ckpt.atomic_torch_save(final, run.out)
    run.dist.barrier()
    return {
        "out": str(run.out),
        "best_epoch": state.best_epoch,
        "metrics": state.best_metrics,
        "timings": records(run, state)["timings"],
        "replicas": replicas,
    }


def train(cfg: TrainConfig) -> dict:
    """Run (or resume) training; returns the best checkpoint's path, epoch, metrics and timings."""
    check_config(cfg)
    options = model_options(cfg)
    out = Path(cfg.out or Path("checkpoints") / ckpt.default_filename(cfg.model, options))
    cfg.out = str(out)
    ensure_writable_folder(out.parent)  # fail now, not at the first save after an epoch
    dist = Dist(cfg.device)
    started = time.monotonic()
    try:
        # rank 0 writes --out: a second run on the same file is refused now
        with claim_output_file(out, flag="--out") if dist.main else nullcontext():
            run, state = set_up(cfg, options, out, dist, started)
            if dist.main and not cfg.quiet:
                print(
                    f"training {cfg.model} {options} on {run.hardware}: {len(run.train_idx)} "
                    f"train / {len(run.val_idx)} val samples, epochs {state.epoch + 1}.."
                    f"{cfg.epochs} -> {out}"
                )
            run.last_save = time.monotonic()
            while state.epoch < cfg.epochs and state.stopped is None:
                train_loss, rate = train_epoch(run, state)
                finish_epoch(run, state, train_loss, rate)
            return finish_run(run, state)
    finally:
        dist.shutdown()


# ---- command line: every flag is a TrainConfig field (locnet.config_cli) ------------------
def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, TrainConfig)


def command_line(cfg: TrainConfig) -> str:
    """The `python -m locnet train ...` command that parses back to `cfg`."""
    return shlex.join(["python", "-m", "locnet", "train", *config_cli.to_argv(cfg)])


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(TrainConfig, args)
    result = train(cfg)
    if not cfg.quiet and result["metrics"] and int(os.environ.get("RANK", "0")) == 0:
        m, t = result["metrics"], result["timings"]
        print(
            f"best epoch {result['best_epoch']:g}: val mean {m['val_mean_m']:.2f} m, rmse "
            f"{m['val_rmse_m']:.2f} m, median {m['val_median_m']:.2f} m -> {result['out']} "
            f"({t['minutes']:.1f} min, {t['images_per_s']:.1f} img/s, {t['stopped']})"
        )
    return 0
