"""`python -m locnet fuse`: fit simfit's weight on validation data, write a calibrated fusion."""

from __future__ import annotations

import pytest
import torch

from locnet.cli import main
from locnet.evaluate.fuse import WEIGHT_GRID
from locnet.models import checkpoints as ckpt
from locnet.models.registry import create_model
from locnet.posterior.calibration import Calibration

CALIBRATED = Calibration(temperature=0.5, fitted={"split": "val", "n": 100})


@pytest.fixture
def base_checkpoint(tmp_path):
    torch.manual_seed(0)
    return ckpt.save_checkpoint(
        tmp_path / "locnet.pt", "locnet", create_model("locnet"), calibration=CALIBRATED.to_dict()
    )


def fuse(base, data, out, *extra: str) -> int:
    return main(["fuse", "--base", str(base), "--data", str(data), "--out", str(out),
                 "--rates", "0.05,0.1", "--limit", "2", "--settings", "1", "--quiet", *extra])


def test_fuse_writes_a_calibrated_fusion_holding_the_base_weights(
    tiny_dataset, base_checkpoint, tmp_path, capsys
):
    out = tmp_path / "fusion.pt"
    assert fuse(base_checkpoint, tiny_dataset, out) == 0
    printed = capsys.readouterr().out
    assert "max likelihood" in printed and f"wrote {out}" in printed
    info = ckpt.checkpoint_info(out)
    assert info.model == "fusion" and info.options["base"] == "locnet"
    assert info.options["base_temperature"] == pytest.approx(0.5)
    assert info.options["weight"] in WEIGHT_GRID
    assert Calibration.from_dict(info.calibration).calibrated
    assert [row["weight"] for row in info.metrics["weight_grid"]] == list(WEIGHT_GRID)
    fusion, base = ckpt.load_weights(out), ckpt.load_weights(base_checkpoint)
    for name, tensor in base.state_dict().items():
        assert torch.equal(fusion.base.state_dict()[name], tensor)


def test_fuse_refuses_before_any_work(tiny_dataset, base_checkpoint, tmp_path, capsys):
    uncalibrated = ckpt.save_checkpoint(tmp_path / "raw.pt", "locnet", create_model("locnet"))
    assert fuse(uncalibrated, tiny_dataset, tmp_path / "f.pt") == 2
    assert "is not calibrated; run `python -m locnet calibrate" in capsys.readouterr().err
    assert fuse(base_checkpoint, tiny_dataset, base_checkpoint) == 2
    assert "is the base checkpoint" in capsys.readouterr().err
    existing = tmp_path / "taken.pt"
    existing.write_bytes(b"keep me")
    assert fuse(base_checkpoint, tiny_dataset, existing) == 2
    assert "pass --force" in capsys.readouterr().err and existing.read_bytes() == b"keep me"
    assert fuse(base_checkpoint, tiny_dataset, tmp_path / "f.pt", "--split", "test") == 2
    assert "never on the test split" in capsys.readouterr().err
