"""Checkpoint save/load/list: our format, bare state_dicts and every way a file can be wrong.

Also home of `TinyNet` + the `tiny_model` fixture (a cheap registered heatmap model) that
the train/evaluate/inference tests import.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from locnet.errors import CheckpointError, LocNetError
from locnet.models import checkpoints as ckpt
from locnet.models import registry
from locnet.models.base import LocalizationModel, Prediction, argmax_xy, one_hot_target


class TinyNet(LocalizationModel):
    """Two 3x3 convs: a trainable heatmap model that costs nothing on CPU."""

    def __init__(self, env: bool = True, width: int = 4):
        super().__init__()
        self.options = {"env": env, "width": width}
        self.conv1 = nn.Conv2d(2, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(F.relu(self.conv1(x)))

    def predict(self, x: torch.Tensor) -> Prediction:
        logits = self.forward(x)[:, 0]
        heat = torch.sigmoid(logits)
        return Prediction(argmax_xy(heat), heat, logits)

    def training_loss(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        logits = self.forward(x)
        target = one_hot_target(tx_xy, x.shape[-1])
        return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / len(x)


@dataclass(frozen=True)
class TinyOptions:
    """TinyNet's options as a family declares them for `register(config=...)`."""

    env: bool = True
    width: int = 4


def build_tiny(*, env: bool, width: int) -> TinyNet:
    return TinyNet(env=env, width=width)


@pytest.fixture
def tiny_model(monkeypatch) -> str:
    """Registers TinyNet as 'tiny' (trainable heatmap baseline) for one test."""
    registry.available_models()
    info = registry.ModelInfo("tiny", "baseline", "heatmap", True, "test model", TinyNet)
    monkeypatch.setitem(registry._REGISTRY, "tiny", info)
    return "tiny"


def test_variant_and_file_names():
    assert ckpt.variant_name("locnet", {}) == "env-focal"
    assert ckpt.variant_name("locnet", {"env": False, "loss": "bbce"}) == "noenv-bbce"
    assert ckpt.variant_name("mslocnet", {}) == "default"
    assert ckpt.default_filename("locnet", {"env": True, "loss": "focal"}) == "locnet.pt"
    assert ckpt.default_filename("locnet", {"env": False}) == "locnet-noenv.pt"
    assert ckpt.default_filename("locnet", {"loss": "bbce"}) == "locnet-bbce.pt"
    assert ckpt.default_filename("tldl", {}) == "tldl.pt"


def test_variant_and_file_names_come_from_the_registry(monkeypatch):
    """Any model's registered defaults and variants name its checkpoints; none is special."""
    registry.available_models()
    monkeypatch.setitem(registry._REGISTRY, "tiny", None)  # restored after the test
    registry.register(
        "tiny", family="baseline", output="heatmap", trainable=True, description="test",
        config=TinyOptions, variants={"noenv": {"env": False}, "wide": {"width": 8}},
    )(build_tiny)  # fmt: skip
    assert ckpt.variant_name("tiny", {}) == "env-4"
    assert ckpt.variant_name("tiny", {"env": False, "width": 8}) == "noenv-8"
    assert ckpt.default_filename("tiny", {}) == "tiny.pt"
    assert ckpt.default_filename("tiny", {"env": False, "width": 8}) == "tiny-noenv-wide.pt"
    assert ckpt.default_filename("tiny", {"width": 2}) == "tiny-2.pt"  # no registered tag
    assert registry.create_model("tiny", width=8).options == {"env": True, "width": 8}
    assert ckpt.resume_path("checkpoints/locnet-noenv.pt").name == "locnet-noenv.last.pt"


def test_save_load_roundtrip_and_list(tmp_path, tiny_model):
    model = registry.create_model(tiny_model, env=False, width=3)
    path = ckpt.save_checkpoint(
        tmp_path / "tiny.pt",
        tiny_model,
        model,
        epoch=7,
        metrics={"val_mean_m": 12.5},
        timings={"epochs": 9, "minutes": 1.5, "samples_seen": 90},
    )
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # readable like any file
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    loaded = ckpt.load_weights(path)
    assert isinstance(loaded, TinyNet) and not loaded.training
    assert loaded.options == {"env": False, "width": 3}
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value)
    ckpt.atomic_torch_save({"stale": 1}, tmp_path / "tiny.last.pt")  # resume files not listed
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    infos = ckpt.list_checkpoints(tmp_path)
    assert [i.path.name for i in infos] == ["tiny.pt"]
    info = infos[0]
    assert (info.model, info.variant, info.epoch) == ("tiny", "default", 7)
    assert info.metrics == {"val_mean_m": 12.5}
    assert info.budget["epochs"] == 9 and info.budget["minutes"] == 1.5
    assert ckpt.list_checkpoints(tmp_path / "absent") == []


def test_bare_state_dict_loads_with_a_name(tmp_path):
    model = registry.create_model("locnet")
    torch.save(model.state_dict(), tmp_path / "Pretrained_LocNet.pt")
    loaded = ckpt.load_weights(tmp_path / "Pretrained_LocNet.pt", "locnet")
    assert sum(p.numel() for p in loaded.parameters()) == 128_743
    x = torch.zeros(1, 2, 256, 256)
    with torch.inference_mode():
        assert torch.equal(loaded.eval()(x), model.eval()(x))
    with pytest.raises(CheckpointError, match="bare state_dict"):
        ckpt.load_weights(tmp_path / "Pretrained_LocNet.pt")
    wrapped = {f"module.{k}": v for k, v in model.state_dict().items()}  # saved from DDP
    torch.save(wrapped, tmp_path / "ddp.pt")
    ckpt.load_weights(tmp_path / "ddp.pt", "locnet")


def test_checkpoint_of_another_model_is_refused(tmp_path, tiny_model):
    path = ckpt.save_checkpoint(tmp_path / "tiny.pt", tiny_model, registry.create_model(tiny_model))
    with pytest.raises(CheckpointError, match=r"holds a 'tiny' model, not 'locnet'"):
        ckpt.load_weights(path, "locnet")
    torch.save(registry.create_model(tiny_model).state_dict(), tmp_path / "bare.pt")
    with pytest.raises(
        CheckpointError, match=r"bare\.pt does not fit model 'locnet'.*missing keys"
    ):
        ckpt.load_weights(tmp_path / "bare.pt", "locnet")


def test_missing_unexpected_and_misshapen_keys(tmp_path, tiny_model):
    state = registry.create_model(tiny_model).state_dict()
    extra = {**state, "head.weight": torch.zeros(1)}
    torch.save(extra, tmp_path / "extra.pt")
    with pytest.raises(CheckpointError, match="1 unexpected keys .*head.weight"):
        ckpt.load_weights(tmp_path / "extra.pt", tiny_model)
    missing = {k: v for k, v in state.items() if k != "conv2.bias"}
    torch.save(missing, tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match="1 missing keys .*conv2.bias"):
        ckpt.load_weights(tmp_path / "missing.pt", tiny_model)
    torch.save(registry.create_model(tiny_model, width=5).state_dict(), tmp_path / "wide.pt")
    with pytest.raises(CheckpointError, match=r"shape mismatches .*conv1.weight"):
        ckpt.load_weights(tmp_path / "wide.pt", tiny_model)


def test_corrupt_truncated_missing_and_foreign_files(tmp_path, tiny_model):
    path = ckpt.save_checkpoint(tmp_path / "tiny.pt", tiny_model, registry.create_model(tiny_model))
    data = path.read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    # Seeded garbage of many shapes: random bytes drive the unpickler into many different
    # exceptions (IndexError, UnicodeDecodeError, ...), all of which must read as "corrupt".
    rng = np.random.default_rng(0)
    names = ["truncated.pt"]
    for k in range(40):
        names.append(f"garbage{k}.pt")
        (tmp_path / names[-1]).write_bytes(rng.bytes(int(rng.integers(1, 2000))))
    for name in names:
        with pytest.raises(CheckpointError, match=rf"{name} is corrupt"):
            ckpt.load_weights(tmp_path / name, tiny_model)
    with pytest.raises(CheckpointError, match=r"nope\.pt not found"):
        ckpt.load_weights(tmp_path / "nope.pt", tiny_model)
    torch.save({"answer": 42}, tmp_path / "dict.pt")
    with pytest.raises(CheckpointError, match="neither"):
        ckpt.load_weights(tmp_path / "dict.pt", tiny_model)
    torch.save(nn.Linear(2, 2), tmp_path / "pickled_module.pt")  # needs unsafe unpickling
    with pytest.raises(CheckpointError, match="pickled_module.pt"):
        ckpt.load_weights(tmp_path / "pickled_module.pt", tiny_model)
    assert issubclass(CheckpointError, LocNetError) and issubclass(CheckpointError, ValueError)


GOOD_CALIBRATION = {
    "temperature": 0.5, "readout_temperature": {"mean": 0.2}, "default_readout": "mean",
    "fitted": {"split": "val", "n": 3},
}  # fmt: skip


def test_a_malformed_calibration_is_a_listed_problem_named_by_file(tmp_path, tiny_model):
    model = registry.create_model(tiny_model)
    ckpt.save_checkpoint(tmp_path / "good.pt", tiny_model, model, calibration=GOOD_CALIBRATION)
    ckpt.save_checkpoint(tmp_path / "plain.pt", tiny_model, model)  # never calibrated: fine
    bad = ckpt.save_checkpoint(
        tmp_path / "bad.pt", tiny_model, model, calibration={**GOOD_CALIBRATION, "temperature": -1}
    )
    assert [i.path.name for i in ckpt.list_checkpoints(tmp_path)] == ["good.pt", "plain.pt"]
    (problem,) = ckpt.checkpoint_problems(tmp_path)
    assert problem.startswith(f"checkpoint {bad} has a malformed calibration: temperature")
    assert f"python -m locnet calibrate --checkpoint {bad}" in problem
    # its metadata and weights still read, so `calibrate` can fit and store a new one over it
    assert ckpt.checkpoint_info(bad).calibration["temperature"] == -1
    ckpt.store_calibration(bad, GOOD_CALIBRATION)
    assert ckpt.checkpoint_problems(tmp_path) == []
    with pytest.raises(CheckpointError, match=f"checkpoint {bad} has a malformed calibration"):
        ckpt.store_calibration(bad, {**GOOD_CALIBRATION, "fitted": "yesterday"})
    assert ckpt.checkpoint_info(bad).calibration == GOOD_CALIBRATION  # the refused one not written


def test_resolve_and_sha256(tmp_path):
    assert ckpt.resolve_checkpoint("locnet-noenv", tmp_path) == tmp_path / "locnet-noenv.pt"
    assert str(ckpt.resolve_checkpoint("other/x.pt", tmp_path)) == "other/x.pt"
    (tmp_path / "f").write_bytes(b"abc")
    assert ckpt.file_sha256(tmp_path / "f").startswith("ba7816bf")


def test_how_to_get_names_the_train_command_and_where_the_recipes_are():
    text = ckpt.how_to_get("tldl")
    assert "python -m locnet train --model tldl" in text and "checkpoints/README.md" in text
