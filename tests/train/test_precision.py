"""bf16 'auto' follows the hardware; the bench measures training steps per precision."""

from __future__ import annotations

import pytest
import torch

from locnet.bench.train import bench_training
from locnet.train import precision


def test_auto_follows_native_support(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(precision, "native_bf16", lambda device: True)
    assert precision.use_bf16("auto", cpu) and precision.use_bf16("on", cpu)
    assert not precision.use_bf16("off", cpu)
    monkeypatch.setattr(precision, "native_bf16", lambda device: False)
    assert not precision.use_bf16("auto", cpu) and precision.use_bf16("on", cpu)
    with pytest.raises(ValueError):
        precision.use_bf16("maybe", cpu)


def test_native_bf16_reads_the_cpu_probes(monkeypatch):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False, raising=False)
    assert not precision.native_bf16(torch.device("cpu"))
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True, raising=False)
    assert precision.native_bf16(torch.device("cpu"))
    assert not precision.native_bf16(torch.device("meta"))


def test_train_bench_times_each_mode_and_the_speedup():
    result = bench_training("locnet", ("fp32", "bf16", "fp32-channels-last"), batch=1, side=32, steps=1)
    fp32, bf16 = result["images_per_s_fp32"], result["images_per_s_bf16"]
    assert fp32 > 0 and bf16 > 0
    # rates rounded to 0.001 images/s, the speed-up to 0.001: whatever the machine's load
    # (slow rates), the speed-up lies in the interval that rounding leaves open
    low = (bf16 - 0.0005) / (fp32 + 0.0005) - 0.0005
    high = (bf16 + 0.0005) / max(fp32 - 0.0005, 1e-9) + 0.0005
    assert low <= result["speedup_bf16"] <= high
    assert result["params"] > 100_000 and result["batch"] == 1 and result["side_px"] == 32


def test_train_bench_cli_rejects_unknown_modes(capsys):
    from locnet.cli import main

    assert main(["bench", "train", "--modes", "fp8"]) == 2
    assert "--modes" in capsys.readouterr().err


def test_train_bench_feeds_steps_from_the_stream_and_times_the_stream_alone(tmp_path):
    import json

    from locnet.cli import main

    result = bench_training("locnet", ("bf16-stream",), batch=1, side=32, steps=1, workers=0)
    assert result["images_per_s_bf16-stream"] > 0 and result["stream_workers"] == 0
    out = tmp_path / "train.json"
    assert main(["bench", "train", "--stream-only", "8", "--workers", "0", "--json", str(out)]) == 0
    stream = json.loads(out.read_text())["stream"]
    assert stream["samples_per_s"] > 0 and stream["samples"] == 8
