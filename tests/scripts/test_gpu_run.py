"""The one-command GPU run, dry-run on the CPU as CI does (`--minutes 0.2`).

The dry run trains the five full-size models on batches of 2 (LocNet for 12 s, the
baselines one step each) on a one-map test set: one to two minutes on two cores, hence
`slow` (CI's second step).

Runs with streamlit and plotly made unimportable: the GPU machine has neither, so the
training, test-set and evaluation path must not need them.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_gpu_run_dry_run_on_cpu_returns_at_most_8_small_files(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.mkdir()
    for name in ("streamlit", "plotly"):
        (blocker / f"{name}.py").write_text(f"raise ImportError('{name} is not on the GPU machine')\n")
    env = {**os.environ, "PYTHONPATH": f"{blocker}{os.pathsep}{ROOT}", "CUDA_VISIBLE_DEVICES": ""}
    out = tmp_path / "out"
    done = subprocess.run(
        ["bash", "scripts/gpu_run.sh", str(out), "--minutes", "0.2", "--workers", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    files = sorted(p.name for p in out.iterdir())
    assert files == ["gpu_run.log", "locnet.pt", "mslocnet.pt", "results.tar.gz", "summary.json"]
    assert all((out / f).stat().st_size < 16 * 1024 * 1024 for f in files)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reduced_test_set"] is True
    assert set(summary["models"]) == {"locnet", "mslocnet", "tldl", "deepmtl", "deeptxfinder"}
    for model, info in summary["models"].items():
        assert info["samples_seen"] >= 1 and info["images_per_s"] > 0, model
        assert len(info["sha256"]) == 64 and info["history"], model
    log = (out / "gpu_run.log").read_text()
    assert "images/s" in log and "python -m locnet train --model locnet" in log
    with tarfile.open(out / "results.tar.gz") as tar:
        tar.extractall(tmp_path / "unpacked", filter="data")
    for folder in ("gpu-testset", "gpu-testset-shift"):
        summary_csv = pd.read_csv(tmp_path / "unpacked" / "results" / folder / "summary.csv")
        assert set(summary_csv["model"]) == {
            "locnet", "mslocnet", "tldl", "deepmtl", "deeptxfinder", "centroid", "strongest"
        }  # fmt: skip
