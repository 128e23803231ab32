"""`python -m locnet bench models`: JSON keys, table, errors (a cheap model list)."""

from __future__ import annotations

import json

import numpy as np

import torch

from locnet.bench.models import format_table, synthetic_input
from locnet.cli import main
from tests.models.test_checkpoints import tiny_model  # noqa: F401  (fixture)


def test_json_has_the_documented_keys(tmp_path, tiny_model, capsys):
    out = tmp_path / "bench.json"
    code = main(
        [
            "bench",
            "models",
            "--models",
            f"centre,{tiny_model}",
            "--repeats",
            "1",
            "--device",
            "cpu",
            "--json",
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    assert list(data) == ["centre", "tiny"]
    for entry in data.values():
        assert {"params", "cpu_latency_ms_batch1", "cpu_maps_per_s_batch16"} <= set(entry)
        assert entry["cpu_latency_ms_batch1"] > 0 and entry["cpu_maps_per_s_batch16"] > 0
        assert "cuda_maps_per_s_fp32" not in entry  # --device cpu
    assert data["centre"]["params"] == 0 and data["tiny"]["params"] == 2 * 4 * 9 + 4 + 4 * 9 + 1
    table = capsys.readouterr().out
    assert "cpu maps/s (b16)" in table and "tiny" in table


def test_json_keeps_other_models_entries(tmp_path):
    out = tmp_path / "bench.json"
    out.write_text(json.dumps({"big": {"params": 7}, "centre": {"params": -1}}))
    assert main(["bench", "models", "--models", "centre", "--repeats", "1", "--device", "cpu",
                 "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["big"] == {"params": 7} and data["centre"]["params"] == 0


def test_unknown_model_and_absent_cuda_are_user_errors(capsys):
    assert main(["bench", "models", "--models", "nonsense"]) == 2
    assert "unknown model(s) nonsense" in capsys.readouterr().err
    if not torch.cuda.is_available():
        assert main(["bench", "models", "--models", "centre", "--device", "cuda"]) == 2


def test_synthetic_input_is_a_valid_encoding():
    x = synthetic_input(2)
    assert x.shape == (2, 2, 256, 256) and x.dtype == torch.float32
    assert set(x[:, 1].unique().tolist()) == {-1.0, 0.0, 1.0}
    sensors = x[:, 1] == 1
    assert sensors.sum(dim=(1, 2)).tolist() == [33, 33]  # 0.05 % of 65,536 pixels
    assert (x[:, 0][~sensors] == 0).all()
    assert "-" in format_table(
        {"m": {"params": 1, "cpu_latency_ms_batch1": 1.0, "cpu_maps_per_s_batch16": 2.0}}
    )


def test_every_timed_call_pays_for_a_new_case():
    from locnet.bench.models import forget_caches, synthetic_input
    from locnet.models.registry import create_model

    fusion = create_model("fusion", settings=1)
    fusion.simfit.cache._maps["key"] = np.zeros((1, 2, 2), dtype=np.float32)
    forget_caches(fusion)  # reaches simfit's sensor maps inside the fusion
    assert not fusion.simfit.cache._maps
    dense, sparse = synthetic_input(1, rate_percent=0.1), synthetic_input(1, rate_percent=0.01)
    assert (dense[0, 1] > 0.5).sum() > 5 * (sparse[0, 1] > 0.5).sum()


def test_bench_models_takes_variants_and_refuses_a_rate_out_of_range(capsys):
    from locnet.cli import main

    assert main(["bench", "models", "--models", "simfit-robust", "--rate", "5"]) == 2
    assert "--rate must be a sampling rate" in capsys.readouterr().err
    assert main(["bench", "models", "--models", "nope-robust"]) == 2
