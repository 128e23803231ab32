"""One command for the day a GPU is lent: `bash scripts/gpu_run.sh OUT [--minutes M]`.

On one H200 with 16 CPU cores it finishes in under 8 minutes of wall-clock (default
M = 3.5): make the larger test set (`python -m locnet testset`), train LocNet by the
paper's recipe (batch 64, AdamW 5e-4, bf16, channels_last, torch.compile) on the
simulated stream for M minutes, then MSLocNet, TL;DL, DeepMTL (both stages) and
DeepTxFinder for M/8 minutes each on the same stream, evaluate all of them and the
classical baselines on the test set and its propagation-shift twin, and write into OUT
only what must come back (at most 8 files of at most 16 MB):

    locnet.pt, mslocnet.pt   checkpoints (the big baselines' weights stay behind: their
                             sha256, budget and history are in summary.json)
    results.tar.gz           results/gpu-testset and results/gpu-testset-shift folders
    summary.json             per model: samples seen, images/s, minutes, validation
    gpu_run.log              every command with its output and wall time

On a machine without CUDA the same steps run on the CPU as a dry run: the same five
full-size models, but batches of 2, one batch per epoch, 2 validation samples, a one-map
test set and a one-case evaluation subset (what CI runs with --minutes 0.2, one to two
minutes on two cores, so the script cannot rot); the summary says which. Only the
training/evaluation path of `locnet` is imported (no streamlit or plotly: the GPU
machine has neither).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from locnet.models import checkpoints as ckpt  # noqa: E402  (the training path: no streamlit/plotly)

BASELINES = ("mslocnet", "tldl", "deepmtl", "deeptxfinder")
CLASSICAL = ("centroid", "strongest")
RETURNED_CHECKPOINTS = ("locnet", "mslocnet")
MAX_FILE_BYTES = 16 * 1024 * 1024
# An "epoch" of the stream on the GPU: ~1 min of samples (the DataLoader restarts its
# workers per epoch), then a validation on 720 fixed val-stream cases.
GPU = {"batch": 64, "val": 720, "epoch_samples": 262_144, "masks_per_case": 8, "lr": 5e-4}
# The CPU dry run: the smallest run that still goes through every step (one training
# step, a validation and a checkpoint per model); the full-size baselines (TL;DL has 31 M
# parameters) make each step seconds on a CPU, so samples are what is cut.
CPU = {"batch": 2, "val": 2, "epoch_samples": 2, "masks_per_case": 2, "lr": 5e-4}
CPU_TESTSET = ["--maps", "1", "--tx-per-map", "2"]  # the dry run's test set (full: minutes)
CPU_EVAL = ["--limit", "1", "--rates", "0.1", "--masks-per-tx", "1"]  # its evaluation subset


class Log:
    """Everything the run prints, also kept for OUT/gpu_run.log."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str) -> None:
        print(text, flush=True)
        self.lines.append(text)


def run(log: Log, args: list[str], env: dict | None = None) -> float:
    """Run `python -m locnet ARGS`; log the command, its output and its wall time."""
    command = [sys.executable, "-m", "locnet", *args]
    log(f"$ {shlex.join(['python', '-m', 'locnet', *args])}")
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True
    )
    seconds = time.monotonic() - start
    for stream in (done.stdout, done.stderr):
        for line in stream.splitlines()[-40:]:
            log(f"  {line}")
    log(f"  ({seconds:.1f} s, exit {done.returncode})")
    if done.returncode != 0:
        raise SystemExit(f"gpu_run: step failed: {shlex.join(args[:2])}")
    return seconds


def train_args(model: str, out: Path, minutes: float, recipe: dict, workers: int) -> list[str]:
    extra = ["--opt", "target_sigma=16"] if model == "locnet" else []
    return [
        "train", "--model", model, *extra, "--stream",
        "--epoch-samples", str(recipe["epoch_samples"]), "--epochs", "1000",
        "--stream-masks-per-case", str(recipe["masks_per_case"]),
        "--batch-size", str(recipe["batch"]), "--lr", str(recipe["lr"]),
        "--val-samples", str(recipe["val"]), "--workers", str(workers),
        "--max-minutes", f"{minutes:g}", "--save-every-minutes", "1000",
        "--bf16", "auto", "--compile", "auto", "--channels-last", "auto", "--quiet",
        "--out", str(out),
    ]  # fmt: skip


def checkpoint_summary(path: Path) -> dict:
    """Budget and validation of a checkpoint, plus its size and sha256."""
    payload = ckpt.load_checkpoint(path)
    timings = payload.get("timings", {})
    keep = ("minutes", "samples_seen", "images_per_s", "hardware", "precision", "stopped")
    return {
        **{k: timings.get(k) for k in keep},
        "metrics": payload.get("metrics", {}),
        "history": payload.get("history", []),
        "bytes": path.stat().st_size,
        "sha256": ckpt.file_sha256(path),
    }


def evaluate_all(log: Log, work: Path, models: list[str], subset: list[str]) -> list[Path]:
    folders = []
    for name in ("testset", "testset-shift"):
        out = work / "results" / f"gpu-{name}"
        args = ["evaluate", "--data", str(work / name), "--split", "test",
                "--models", ",".join(models), "--checkpoints", str(work / "checkpoints"),
                "--quiet", "--force", "--out", str(out), *subset]  # fmt: skip
        run(log, args)
        folders.append(out)
    return folders


def pack(out: Path, work: Path, folders: list[Path], summary: dict, log: Log) -> None:
    """Write OUT's files (each checked against the size limit)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in RETURNED_CHECKPOINTS:
        source = work / "checkpoints" / f"{name}.pt"
        if source.is_file() and source.stat().st_size <= MAX_FILE_BYTES:
            (out / source.name).write_bytes(source.read_bytes())
    with tarfile.open(out / "results.tar.gz", "w:gz") as tar:
        for folder in folders:
            tar.add(folder, arcname=f"results/{folder.name}")
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    (out / "gpu_run.log").write_text("\n".join(log.lines) + "\n")
    for path in sorted(out.iterdir()):
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SystemExit(f"gpu_run: {path} is over 16 MB and would not come back")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for what must come back")
    parser.add_argument("--minutes", type=float, default=3.5, help="LocNet training minutes")
    parser.add_argument("--workers", type=int, default=min(16, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be > 0")
    cuda = torch.cuda.is_available()
    recipe = GPU if cuda else CPU
    log, started = Log(), time.monotonic()
    device = torch.cuda.get_device_name(0) if cuda else "CPU (dry run: reduced test set)"
    log(f"gpu_run on {device}, {args.workers} workers, LocNet {args.minutes:g} min, "
        f"baselines {args.minutes / 8:g} min each, torch {torch.__version__}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="gpu_run-") as tmp:
        work = Path(tmp)
        testset = ["testset", "--out", str(work / "testset"),
                   "--shift-out", str(work / "testset-shift"),
                   "--workers", str(args.workers), "--quiet"]  # fmt: skip
        if not cuda:
            testset += CPU_TESTSET
        run(log, testset)
        summary = {"device": device, "minutes_locnet": args.minutes, "recipe": recipe,
                   "reduced_test_set": not cuda, "models": {}}  # fmt: skip
        for model, minutes in [("locnet", args.minutes)] + [(b, args.minutes / 8) for b in BASELINES]:
            path = work / "checkpoints" / f"{model}.pt"
            run(log, train_args(model, path, minutes, recipe, args.workers))
            summary["models"][model] = info = checkpoint_summary(path)
            log(f"  {model}: {info['samples_seen']} samples, {info['images_per_s']} images/s, "
                f"val mean {info['metrics'].get('val_mean_m', float('nan')):.1f} m")  # fmt: skip
        models = ["locnet", *BASELINES, *CLASSICAL]
        folders = evaluate_all(log, work, models, [] if cuda else CPU_EVAL)
        summary["wall_minutes"] = round((time.monotonic() - started) / 60, 2)
        log(f"gpu_run finished in {summary['wall_minutes']} min")
        pack(args.out, work, folders, summary, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
