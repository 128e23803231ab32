"""Training throughput: images per second of full optimizer steps, per model and precision.

`python -m locnet bench train [--models locnet,mslocnet] [--modes fp32,bf16] [--json FILE]`.
One step = forward, the model's training loss, backward and an AdamW update on the bench's
synthetic 256 x 256 maps (locnet.bench.models.synthetic_input), exactly what `train` does
per batch. Modes: fp32; bf16 (autocast, fp32 master weights); channels_last variants of
both; compile (torch.compile, bf16); stream (bf16, each batch simulated by the training
stream in --workers DataLoader workers, as `train --stream` does). The median of timed
steps after warm-up steps. `--stream-only N` times the stream alone (samples/s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from locnet.bench.models import BIG_MODEL_PARAMS, _write_json, synthetic_input
from locnet.data.stream import SimulatedStream, StreamConfig
from locnet.errors import LocNetError
from locnet.models.registry import available_models, count_parameters, create_model, model_info
from locnet.train.dist import hardware_string
from locnet.train.precision import native_bf16

MODES = ("fp32", "bf16", "fp32-channels-last", "bf16-channels-last", "bf16-compile", "bf16-stream")
DEFAULT_MODES = ("fp32", "bf16")
BATCH = 4  # measured fastest per image on 2 CPU cores (batch 16 is slower per image)
STEPS = {"small": (2, 5), "big": (1, 2)}  # (warm-up, timed) steps; big = > BIG_MODEL_PARAMS


def _target(batch: int, side: int) -> torch.Tensor:
    """Transmitter (x, y) per sample: fixed pseudo-random outdoor-agnostic positions."""
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, side, (batch, 2), generator=g)


def stream_batches(batch: int, side: int, workers: int, masks_per_case: int = 1):
    """An endless iterator of training batches simulated by the stream (crops of `side`)."""
    from torch.utils.data import DataLoader


    cfg = StreamConfig(
        crop=None if side == 256 else side, samples_per_epoch=10**9, masks_per_case=masks_per_case
    )
    loader = DataLoader(SimulatedStream(cfg), batch_size=batch, num_workers=workers)
    return iter(loader)


def stream_samples_per_s(n: int, workers: int, masks_per_case: int = 1) -> float:
    """Samples per second the stream alone delivers through a DataLoader (after one batch)."""
    batches = stream_batches(8, 256, workers, masks_per_case)
    next(batches)  # workers started
    start = time.perf_counter()
    done = 0
    while done < n:
        done += len(next(batches)["input"])
    return done / (time.perf_counter() - start)


def time_steps(
    name: str, mode: str, batch: int, steps: tuple[int, int], side: int, workers: int = 1
) -> float:
    """Median seconds of one training step of `name` in `mode` (fresh model each mode)."""
    torch.manual_seed(0)
    model = create_model(name).train()
    x, tx = synthetic_input(batch)[..., :side, :side].contiguous(), _target(batch, side)
    batches = stream_batches(batch, side, workers) if mode.endswith("stream") else None
    if "channels-last" in mode:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    loss_of = model.training_loss
    if mode.endswith("compile"):
        loss_of = torch.compile(model.training_loss)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    bf16 = mode.startswith("bf16")

    def step() -> None:
        inputs, targets = x, tx
        if batches is not None:
            item = next(batches)
            inputs, targets = item["input"], item["tx_xy"]
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = loss_of(inputs, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    warmup, timed = steps
    for _ in range(warmup):
        step()
    times = []
    for _ in range(timed):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_training(
    name: str,
    modes: tuple[str, ...],
    batch: int = BATCH,
    side: int = 256,
    steps: int | None = None,
    workers: int = 1,
) -> dict:
    """{mode: images/s, ...} plus the speed-up of each mode over fp32 and the run's facts."""
    params = count_parameters(create_model(name))
    plan = STEPS["big" if params > BIG_MODEL_PARAMS else "small"]
    if steps is not None:
        plan = (1, steps)
    result: dict = {"params": params, "batch": batch, "side_px": side, "timed_steps": plan[1]}
    for mode in modes:
        seconds = time_steps(name, mode, batch, plan, side, workers)
        result[f"images_per_s_{mode}"] = round(batch / seconds, 3)
    if "fp32" in modes:
        base = result["images_per_s_fp32"]
        for mode in modes:
            if mode != "fp32":
                result[f"speedup_{mode}"] = round(result[f"images_per_s_{mode}"] / base, 3)
    if any(m.endswith("stream") for m in modes):
        result["stream_workers"] = workers
    result.update(
        cpu_threads=torch.get_num_threads(),
        native_bf16=native_bf16(torch.device("cpu")),
        hardware=hardware_string(torch.device("cpu"), 1),
        torch=torch.__version__,
    )
    return result


def configure_parser(parser: argparse.ArgumentParser) -> None:
    trainable = [n for n in available_models() if model_info(n).trainable]
    parser.add_argument("--models", default="locnet", help=f"comma list of {', '.join(trainable)}")
    parser.add_argument(
        "--modes", default=",".join(DEFAULT_MODES), help=f"comma list of {', '.join(MODES)}"
    )
    parser.add_argument("--batch", type=int, default=BATCH, help="images per step")
    parser.add_argument("--side", type=int, default=256, help="map side in pixels (crops: 128)")
    parser.add_argument("--steps", type=int, help="timed steps (default 5, big models 2)")
    parser.add_argument("--workers", type=int, default=1, help="stream DataLoader workers")
    parser.add_argument(
        "--stream-only", type=int, metavar="N", help="time N samples of the stream alone instead"
    )
    parser.add_argument("--json", help="merge the results into this JSON file")


def run(args: argparse.Namespace) -> int:
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    bad = [n for n in names if n not in available_models() or not model_info(n).trainable]
    if bad or not names:
        raise LocNetError(f"--models {args.models}: name trainable registry models")
    if not modes or any(m not in MODES for m in modes):
        raise LocNetError(f"--modes {args.modes}: use {', '.join(MODES)}")
    if args.batch < 1 or not 8 <= args.side <= 256 or (args.steps is not None and args.steps < 1):
        raise LocNetError("--batch and --steps must be >= 1 and --side between 8 and 256")
    if args.workers < 0:
        raise LocNetError("--workers must be >= 0")
    if args.stream_only is not None:
        rate = stream_samples_per_s(args.stream_only, args.workers)
        print(f"stream alone: {rate:.1f} samples/s with {args.workers} worker(s)")
        results = {"stream": {"samples_per_s": round(rate, 2), "workers": args.workers,
                              "samples": args.stream_only, "cpu_threads": torch.get_num_threads()}}
        if args.json:
            _merge_json(Path(args.json), results)
        return 0
    results = {}
    for name in names:
        results[name] = r = bench_training(
            name, modes, args.batch, args.side, args.steps, args.workers
        )
        rates = ", ".join(f"{m} {r[f'images_per_s_{m}']:.2f}" for m in modes)
        print(f"{name}: images/s at batch {args.batch}, {args.side} px: {rates}", flush=True)
    if args.json:
        _merge_json(Path(args.json), results)
        print(f"wrote {args.json}")
    return 0


def _merge_json(path: Path, results: dict) -> None:
    """Merge per model, so modes measured in separate runs (e.g. bf16-stream) add up."""
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        previous = {}
    merged = {
        name: {**(previous.get(name) or {}), **entry} if isinstance(previous, dict) else entry
        for name, entry in results.items()
    }
    _write_json(path, merged)
