"""Training refuses non-finite numbers: float flags out of range (fault probe N74: `--lr nan`
was a torch traceback) and a loss or weights that turn NaN/inf (N75: `--lr inf` exited 0
and saved NaN weights as the best checkpoint). Nothing non-finite is ever saved."""

from __future__ import annotations

import math

import pytest
import torch

from locnet.cli import main
from locnet.errors import CheckpointError, LocNetError
from locnet.models import checkpoints as ckpt
from locnet.models import registry
from locnet.train import loop as train_mod
from locnet.train.config import TrainConfig, check_config
from locnet.train.loop import train
from tests.models.test_checkpoints import tiny_model  # noqa: F401  (fixture)
from tests.train.test_loop import _config


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--lr", "nan"), ("--lr", "inf"), ("--lr", "-1"), ("--lr", "0"), ("--lr", "2"),
        ("--weight-decay", "inf"), ("--weight-decay", "nan"), ("--max-minutes", "inf"),
        ("--max-cpu-minutes", "nan"), ("--save-every-minutes", "inf"), ("--stream-real", "nan"),
        ("--stream-paper-like", "-inf"),
    ],
)  # fmt: skip
def test_float_flags_must_be_finite_and_in_range(tiny_dataset, tmp_path, capsys, flag, value):
    out = tmp_path / "x.pt"
    code = main(["train", "--model", "locnet", "--data", str(tiny_dataset), f"{flag}={value}",
                 "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {flag} must be a finite number")
    assert err.count("\n") == 1 and "Traceback" not in err and not out.exists()


@pytest.mark.parametrize("field", ["lr", "weight_decay", "save_every_minutes", "max_minutes"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_config_built_in_code_is_checked_too(tiny_dataset, tmp_path, field, value):
    cfg = TrainConfig(model="locnet", data=str(tiny_dataset), out=str(tmp_path / "x.pt"))
    setattr(cfg, field, value)
    with pytest.raises(LocNetError, match=f"--{field.replace('_', '-')} must be a finite number"):
        check_config(cfg)


def _poison(monkeypatch, *, epoch: int, step: int, loss: bool = True) -> None:
    """From (epoch, step) on, every training step leaves NaN weights behind (and a NaN loss
    unless `loss` is False), as an lr of inf does."""
    real_step = train_mod.train_step

    def diverging(run, state, batch):
        value = real_step(run, state, batch)
        if (state.epoch, state.step) >= (epoch, step):
            with torch.no_grad():
                for parameter in run.model.parameters():
                    parameter.fill_(math.nan)
            return torch.full_like(value, math.nan) if loss else value
        return value

    monkeypatch.setattr(train_mod, "train_step", diverging)


def _finite(path) -> bool:
    return not ckpt.non_finite_weights(torch.load(path, weights_only=True)["state_dict"])


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_files(tiny_dataset, tmp_path, tiny_model, monkeypatch):
    out = tmp_path / "tiny.pt"
    _poison(monkeypatch, epoch=1, step=0)  # epoch 1 is fine, epoch 2 diverges
    with pytest.raises(LocNetError, match=r"training diverged in epoch 2 .*lower --lr \(now 0.01\)"):
        train(_config(tiny_dataset, out, epochs=3))
    assert _finite(out) and _finite(ckpt.resume_path(out))
    assert torch.load(ckpt.resume_path(out), weights_only=True)["epoch"] == 1


def test_nan_weights_behind_a_finite_loss_are_never_saved(tiny_dataset, tmp_path, tiny_model, monkeypatch, capsys):
    out = tmp_path / "tiny.pt"
    _poison(monkeypatch, epoch=0, step=2, loss=False)  # the epoch's last step: loss still finite
    code = main(["train", "--model", "tiny", "--data", str(tiny_dataset), "--epochs", "1",
                 "--batch-size", "4", "--crop", "64", "--train-samples", "12", "--val-samples",
                 "4", "--device", "cpu", "--quiet", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "training diverged in epoch 1" in err and "nothing was saved" in err
    assert not out.exists() and not ckpt.resume_path(out).exists()


def test_a_mid_epoch_save_of_nan_weights_is_refused(tiny_dataset, tmp_path, tiny_model, monkeypatch):
    out = tmp_path / "tiny.pt"
    _poison(monkeypatch, epoch=0, step=1, loss=False)  # the second step: saves after each
    with pytest.raises(LocNetError, match=r"diverged in epoch 1 by step 2: .*last good state is in"):
        train(_config(tiny_dataset, out, epochs=1, save_every_minutes=0.0))
    last = torch.load(ckpt.resume_path(out), weights_only=True)
    assert last["resume"]["step"] == 1 and _finite(ckpt.resume_path(out))  # saved before the NaN


def test_save_checkpoint_never_writes_non_finite_weights(tmp_path, tiny_model):
    model = registry.create_model(tiny_model)
    path = ckpt.save_checkpoint(tmp_path / "tiny.pt", tiny_model, model)
    before = ckpt.file_sha256(path)
    with torch.no_grad():
        next(model.parameters())[0].fill_(math.inf)
    with pytest.raises(CheckpointError, match=r"not saving .*tiny.pt: its weights hold NaN or infinite"):
        ckpt.save_checkpoint(path, tiny_model, model)
    assert ckpt.file_sha256(path) == before
