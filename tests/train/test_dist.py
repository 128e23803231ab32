"""Data-parallel training through torchrun: 2 CPU processes (gloo) end with identical weights."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from locnet.models import checkpoints as ckpt

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # hang guard, see below
def test_two_cpu_ranks_train_identical_replicas(tiny_dataset, tmp_path):
    out = tmp_path / "locnet.pt"
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "locnet",
        "train",
        "--model",
        "locnet",
        "--data",
        str(tiny_dataset),
        "--epochs",
        "2",
        "--batch-size",
        "2",
        "--crop",
        "32",
        "--train-samples",
        "8",
        "--val-samples",
        "4",
        "--device",
        "cpu",
        "--quiet",
        "--out",
        str(out),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    # a hang guard only (a stuck collective), far above the ~30 s the run takes on 2 busy cores
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1700, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    payload = torch.load(out, weights_only=True)
    digests = payload["replicas"]
    assert len(digests) == 2 and digests[0] == digests[1]  # rank 0 and rank 1 weights agree
    assert payload["timings"]["world_size"] == 2
    assert payload["timings"]["samples_seen"] == 16  # 8 samples x 2 epochs, split over 2 ranks
    assert [h["val_samples"] for h in payload["history"]] == [4, 4]  # gathered from both ranks
    assert not list(tmp_path.glob("*.tmp"))  # only rank 0 wrote, atomically
    ckpt.load_weights(out, "locnet")
    last = torch.load(ckpt.resume_path(out), weights_only=True)
    assert last["epoch"] == 2 and "optimizer" in last
