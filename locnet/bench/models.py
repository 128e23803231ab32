"""Model benchmark: parameters, CPU latency per map, CPU/CUDA throughput in maps per second.

`python -m locnet bench models [--models a,b] [--device auto|cpu|cuda] [--json FILE]`.
Every model runs `predict` under torch.inference_mode on the same synthetic input (a
block city with 0.05 % sensors, encoded as docs/design.md §1). CPU latency = median of
repeated batch-1 calls; throughput = maps per second at batch 16 (CPU) and at a large
batch in fp32 and bf16 autocast (CUDA, when present). Models above BIG_MODEL_PARAMS get
fewer repeats so the default run stays short on a small machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from locnet.constants import MAP_SIZE
from locnet.data.sampling import encode_input, sample_mask
from locnet.errors import LocNetError
from locnet.files import write_json_or_show
from locnet.models.device import pick_device
from locnet.models.registry import count_parameters, create_model, map_models, variant_options

CPU_BATCH = 16  # throughput batch on CPU (maps)
CUDA_BATCH = 64  # throughput batch on CUDA (maps)
SENSOR_RATE_PERCENT = 0.05  # sensors in the synthetic input (33 of 65,536 pixels)
BIG_MODEL_PARAMS = 5_000_000  # above this: BIG_REPEATS instead of SMALL_REPEATS
SMALL_REPEATS = {"latency": 10, "throughput": 3, "warmup": 2}
BIG_REPEATS = {"latency": 3, "throughput": 1, "warmup": 1}
BLOCK_PX, STREET_PX = 24, 8  # synthetic city: square blocks separated by streets (pixels)


def synthetic_input(batch: int, seed: int = 0, rate_percent: float = SENSOR_RATE_PERCENT) -> torch.Tensor:
    """(batch, 2, 256, 256) float32: block city, log-distance radio map, sensors at
    `rate_percent` (0.05 % unless asked)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:MAP_SIZE, :MAP_SIZE]
    period = BLOCK_PX + STREET_PX
    buildings = ((yy % period >= STREET_PX) & (xx % period >= STREET_PX)).astype(np.uint8)
    tx = (STREET_PX // 2, MAP_SIZE // 2)
    distance = np.hypot(xx - tx[0], yy - tx[1]) + 1.0
    gray = np.clip(255 - 40 * np.log10(distance) * 2.2, 0, 255).astype(np.uint8) * (1 - buildings)
    maps = [
        encode_input(gray, sample_mask(buildings, rate_percent, rng), buildings)
        for _ in range(batch)
    ]
    return torch.from_numpy(np.stack(maps))


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int, device: torch.device) -> float:
    """Median wall time of fn() in seconds (CUDA synchronised around each call)."""

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, repeats)):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def forget_caches(model: torch.nn.Module) -> None:
    """Empty every per-case cache of the model (simfit's sensor maps, also inside a fusion),
    so that each timed call on the same input pays what a new case costs."""
    for module in model.modules():
        cache = getattr(module, "cache", None)
        if callable(getattr(cache, "clear", None)):
            cache.clear()


def bench_model(
    name: str,
    *,
    repeats: int | None = None,
    cpu_batch: int = CPU_BATCH,
    cuda: torch.device | None = None,
    cuda_batch: int = CUDA_BATCH,
    rate_percent: float = SENSOR_RATE_PERCENT,
) -> dict:
    """Numbers for one registry model (default options, untrained weights: speed only),
    each call on a cold cache (forget_caches)."""
    torch.manual_seed(0)
    model_name, options = variant_options(name)  # a model or a variant: simfit-robust
    model = create_model(model_name, **options).eval()
    params = count_parameters(model)
    plan = dict(BIG_REPEATS if params > BIG_MODEL_PARAMS else SMALL_REPEATS)
    if repeats is not None:
        plan.update(latency=repeats, throughput=max(1, min(repeats, plan["throughput"])))
    cpu = torch.device("cpu")
    one = synthetic_input(1, rate_percent=rate_percent)
    many = synthetic_input(cpu_batch, rate_percent=rate_percent)

    def cold(x: torch.Tensor) -> Callable[[], object]:
        return lambda: (forget_caches(model), model.predict(x))

    with torch.inference_mode():
        cpu_before = time.process_time()
        latency = median_seconds(cold(one), plan["latency"], plan["warmup"], cpu)
        # CPU seconds (all threads) per call: what a case costs whatever else the machine runs
        cpu_seconds = (time.process_time() - cpu_before) / (plan["latency"] + plan["warmup"])
        batch_s = median_seconds(cold(many), plan["throughput"], 0, cpu)
    result = {
        "params": params,
        "cpu_latency_ms_batch1": round(latency * 1000, 3),
        "cpu_time_ms_batch1": round(cpu_seconds * 1000, 3),
        f"cpu_maps_per_s_batch{cpu_batch}": round(cpu_batch / batch_s, 3),
        "cpu_threads": torch.get_num_threads(),
        "sensor_rate_percent": rate_percent,
        "repeats": plan,
    }
    if cuda is not None:
        model = model.to(cuda)
        one, big = synthetic_input(1).to(cuda), synthetic_input(cuda_batch).to(cuda)
        with torch.inference_mode():
            result["cuda_latency_ms_batch1"] = round(
                median_seconds(lambda: model.predict(one), SMALL_REPEATS["latency"], 3, cuda) * 1000, 3
            )
            fp32 = median_seconds(lambda: model.predict(big), SMALL_REPEATS["latency"], 3, cuda)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                bf16 = median_seconds(lambda: model.predict(big), SMALL_REPEATS["latency"], 3, cuda)
        result.update(
            cuda_maps_per_s_fp32=round(cuda_batch / fp32, 2),
            cuda_maps_per_s_bf16=round(cuda_batch / bf16, 2),
            cuda_batch=cuda_batch,
            cuda_device=torch.cuda.get_device_name(cuda),
        )
    return result


def format_table(results: dict[str, dict], cpu_batch: int = CPU_BATCH) -> str:
    """Fixed-width text table of bench results, one row per model."""
    header = [
        "model",
        "params",
        "cpu ms/map (b1)",
        "cpu time ms (b1)",
        f"cpu maps/s (b{cpu_batch})",
        "cuda maps/s fp32",
        "cuda maps/s bf16",
    ]
    rows = [header]
    for name, r in results.items():
        rows.append(
            [
                name,
                f"{r['params']:,}",
                f"{r['cpu_latency_ms_batch1']:.1f}",
                f"{r['cpu_time_ms_batch1']:.1f}" if "cpu_time_ms_batch1" in r else "-",
                f"{r[f'cpu_maps_per_s_batch{cpu_batch}']:.2f}",
                f"{r['cuda_maps_per_s_fp32']:.0f}" if "cuda_maps_per_s_fp32" in r else "-",
                f"{r['cuda_maps_per_s_bf16']:.0f}" if "cuda_maps_per_s_bf16" in r else "-",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        for row in rows
    )


def _write_json(path: Path, data: dict) -> None:
    """Merge into the file's entries (models timed in separate runs), written atomically;
    printed as JSON if the write fails (locnet.files.write_json_or_show). A file that is
    not a JSON object is replaced (`bench` asks for --force first: bench.cli)."""
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError):
        previous = {}
    if isinstance(previous, dict):
        data = {**previous, **data}
    write_json_or_show(path, data)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", help="comma list of registry names or variants, e.g. simfit-robust (default: all)")
    parser.add_argument(
        "--device",
        default="auto",
        help="auto (CUDA numbers when a GPU is present) | cpu | cuda | cuda:N",
    )
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (default 10/3)")
    parser.add_argument(
        "--rate", type=float, default=SENSOR_RATE_PERCENT, help="sampling rate of the input in %% (0.01-0.1)"
    )
    parser.add_argument("--cpu-batch", type=int, default=CPU_BATCH, help="CPU throughput batch")
    parser.add_argument("--cuda-batch", type=int, default=CUDA_BATCH, help="CUDA throughput batch")
    parser.add_argument(
        "--json",
        help="also write the results to this JSON file (entries of other models in it are kept)",
    )


def _model_of(spec: str) -> str | None:
    try:
        return variant_options(spec)[0]
    except LocNetError:
        return None


def run(args: argparse.Namespace) -> int:
    names = [
        n.strip() for n in (args.models or ",".join(map_models())).split(",") if n.strip()
    ]
    unknown = [n for n in names if _model_of(n) not in map_models()]
    if unknown:
        raise LocNetError(
            f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(map_models())}"
        )
    if min(args.cpu_batch, args.cuda_batch) < 1 or (args.repeats is not None and args.repeats < 1):
        raise LocNetError("--repeats, --cpu-batch and --cuda-batch must be >= 1")
    if not 0 < args.rate <= 1:
        raise LocNetError(f"--rate must be a sampling rate in % in (0, 1], got {args.rate:g}")
    device = pick_device(args.device)
    cuda = device if device.type == "cuda" else None
    results = {}
    for name in names:
        results[name] = bench_model(
            name,
            repeats=args.repeats,
            cpu_batch=args.cpu_batch,
            cuda=cuda,
            cuda_batch=args.cuda_batch,
            rate_percent=args.rate,
        )
        print(f"  {name}: {results[name]['cpu_latency_ms_batch1']:.1f} ms/map on CPU", flush=True)
    print(format_table(results, args.cpu_batch))
    if args.json:
        _write_json(Path(args.json), results)
        print(f"wrote {args.json}")
    return 0
