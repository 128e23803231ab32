"""Training loop: loss goes down, checkpoints are complete, resume is exact, budgets stop cleanly."""

from __future__ import annotations

import pytest
import torch

from locnet.cli import main
from locnet.data.radiomapseer import open_dataset
from locnet.errors import CheckpointError, LocNetError
from locnet.models import checkpoints as ckpt
from locnet.train import loop as train_mod
from locnet.train.config import WARMUP_STEPS, TrainConfig
from locnet.train.loop import train
from locnet.train.reproducibility import rng_state
from locnet.train.setup import model_options
from locnet.train.state import lr_at
from tests.models.test_checkpoints import TinyNet, tiny_model  # noqa: F401  (fixture)


def _config(data, out, **overrides) -> TrainConfig:
    base = {
        "model": "tiny",
        "data": str(data),
        "out": str(out),
        "epochs": 2,
        "batch_size": 4,
        "lr": 1e-2,
        "crop": 64,
        "train_samples": 12,
        "val_samples": 4,
        "device": "cpu",
        "quiet": True,
    }
    return TrainConfig(**{**base, **overrides})


def _weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["state_dict"]


def test_two_epochs_lower_the_loss_and_write_a_complete_checkpoint(
    tiny_dataset, tmp_path, tiny_model
):
    out = tmp_path / "tiny.pt"
    result = train(_config(tiny_dataset, out))
    payload = torch.load(out, weights_only=True)
    history = payload["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["train_loss"] < history[0]["train_loss"]
    assert payload["format"] == ckpt.FORMAT and payload["model"] == "tiny"
    assert payload["options"] == {"env": True}
    assert payload["data_fingerprint"] == open_dataset(tiny_dataset).fingerprint()
    assert payload["train_config"]["lr"] == 1e-2 and payload["train_config"]["epochs"] == 2
    best = min(history, key=lambda h: h["val_mean_m"])
    assert payload["epoch"] == best["epoch"] == result["best_epoch"]
    assert set(payload["metrics"]) >= {"val_mean_m", "val_rmse_m", "val_median_m"}
    assert 0 <= payload["metrics"]["val_mean_m"] <= payload["metrics"]["val_rmse_m"] <= 256 * 2**0.5
    timings = payload["timings"]
    assert (
        timings["epochs"] == 2
        and timings["samples_seen"] == 24
        and timings["stopped"] == "completed"
    )
    assert timings["minutes"] > 0 and "CPU" in timings["hardware"]
    model = ckpt.load_weights(out, "tiny")
    assert isinstance(model, TinyNet)
    assert ckpt.resume_path(out).is_file()


def test_resume_after_a_kill_continues_at_the_next_epoch_exactly(
    tiny_dataset, tmp_path, tiny_model, monkeypatch
):
    reference = tmp_path / "ref.pt"
    train(_config(tiny_dataset, reference, epochs=3, val_samples=2))
    out = tmp_path / "tiny.pt"
    real_validate, calls = train_mod.validate, []

    def killed_in_second_validation(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies after epoch 2's training
        return real_validate(*args, **kwargs)

    monkeypatch.setattr(train_mod, "validate", killed_in_second_validation)
    with pytest.raises(KeyboardInterrupt):
        train(_config(tiny_dataset, out, epochs=3, val_samples=2))
    monkeypatch.setattr(train_mod, "validate", real_validate)
    last = torch.load(ckpt.resume_path(out), weights_only=True)
    assert last["epoch"] == 1 and last["resume"]["step"] == 0
    result = train(_config(tiny_dataset, out, epochs=3, val_samples=2, resume=True))
    history = torch.load(out, weights_only=True)["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert result["timings"]["samples_seen"] == 36
    final_ref = torch.load(ckpt.resume_path(reference), weights_only=True)["state_dict"]
    final = torch.load(ckpt.resume_path(out), weights_only=True)["state_dict"]
    assert all(torch.equal(final[k], final_ref[k]) for k in final_ref)


def test_max_minutes_stops_mid_epoch_resumably(tiny_dataset, tmp_path, tiny_model):
    reference = tmp_path / "ref.pt"
    train(_config(tiny_dataset, reference, epochs=1, val_samples=2))
    out = tmp_path / "tiny.pt"
    stopped = train(_config(tiny_dataset, out, epochs=1, val_samples=2, max_minutes=1e-6))
    assert stopped["timings"]["stopped"] == "max-minutes"
    last = torch.load(ckpt.resume_path(out), weights_only=True)
    assert last["epoch"] == 0 and last["resume"]["step"] == 1  # one batch of three done
    assert last["history"][-1]["partial"] and 0 < last["history"][-1]["epoch"] < 1
    assert out.is_file()  # the partial model is validated and kept as the best so far
    assert torch.load(out, weights_only=True)["timings"]["budget_minutes"] == 1e-6
    done = train(_config(tiny_dataset, out, epochs=1, val_samples=2, resume=True))
    assert done["timings"]["stopped"] == "completed" and done["timings"]["samples_seen"] == 12
    final = torch.load(ckpt.resume_path(out), weights_only=True)["state_dict"]
    final_ref = torch.load(ckpt.resume_path(reference), weights_only=True)["state_dict"]
    assert all(torch.equal(final[k], final_ref[k]) for k in final_ref)


def test_mid_epoch_saves_record_the_training_time_so_far(
    tiny_dataset, tmp_path, tiny_model, monkeypatch
):
    out = tmp_path / "tiny.pt"
    saved = []
    real_save = ckpt.save_checkpoint

    def spy(path, *args, **fields):
        if str(path).endswith(ckpt.RESUME_SUFFIX) and fields.get("resume", {}).get("step"):
            saved.append(fields["timings"])
        return real_save(path, *args, **fields)

    monkeypatch.setattr(ckpt, "save_checkpoint", spy)
    train(_config(tiny_dataset, out, epochs=1, val_samples=2, save_every_minutes=0.0))
    assert saved, "no mid-epoch resume save happened"
    for timings in saved:  # seconds and throughput of the partial epoch, not 0 s and 1e12 img/s
        assert timings["train_seconds"] > 0
        assert timings["images_per_s"] < 1e6


def test_resume_refuses_a_file_of_another_model(tiny_dataset, tmp_path, tiny_model):
    out = tmp_path / "x.pt"
    train(_config(tiny_dataset, out, epochs=1, val_samples=2))
    payload = torch.load(ckpt.resume_path(out), weights_only=True)
    payload["options"] = {"env": False}
    ckpt.atomic_torch_save(payload, ckpt.resume_path(out))
    with pytest.raises(CheckpointError, match="delete it or drop --resume"):
        train(_config(tiny_dataset, out, epochs=2, resume=True))


def test_init_from_starts_at_those_weights_and_sums_the_budgets(tiny_dataset, tmp_path, tiny_model):
    first = tmp_path / "first.pt"
    train(_config(tiny_dataset, first, epochs=1, val_samples=2))
    start = _weights(first)
    second = tmp_path / "second.pt"
    seen = {}
    real_validate = train_mod.validate

    def spy(model, *args, **kwargs):  # the weights before any step of the new run
        seen.setdefault("weights", {k: v.clone() for k, v in model.state_dict().items()})
        return real_validate(model, *args, **kwargs)

    cfg = _config(tiny_dataset, second, epochs=1, val_samples=2, init_from=str(first), lr=1e-12)
    train_mod.validate = spy
    try:
        train(cfg)
    finally:
        train_mod.validate = real_validate
    # lr 1e-12: one epoch barely moves the weights, so they must still be the first run's
    assert all(torch.allclose(seen["weights"][k], start[k], atol=1e-6) for k in start)
    payload = torch.load(second, weights_only=True)
    record = payload["timings"]["init_from"]
    assert record["file"] == str(first) and record["sha256"] == ckpt.file_sha256(first)
    assert record["samples_seen"] == 12
    info = ckpt.checkpoint_info(second)
    assert info.budget["samples_seen"] == 24 and info.budget["epochs"] == 2
    assert info.budget["init_from"] == "first.pt"
    with pytest.raises(CheckpointError, match="not tiny"):
        other = tmp_path / "other.pt"
        torch.save({**torch.load(first, weights_only=True), "options": {"env": False}}, other)
        train(_config(tiny_dataset, tmp_path / "x.pt", epochs=1, init_from=str(other)))
    with pytest.raises(LocNetError, match="--init-from .* is not a file"):
        train(_config(tiny_dataset, tmp_path / "x.pt", init_from=str(tmp_path / "none.pt")))


def test_cosine_schedule_warms_up_then_decays_to_zero():
    cfg = TrainConfig(model="tiny", data=".", lr=1e-3, lr_schedule="cosine")
    warm = WARMUP_STEPS
    total = warm + 1000
    lrs = [lr_at(cfg, step, total) for step in range(total + 1)]
    assert lrs[0] == pytest.approx(1e-3 / warm) and lrs[warm - 1] == pytest.approx(1e-3)
    assert lrs[warm] == pytest.approx(1e-3) and lrs[warm + 500] == pytest.approx(5e-4)
    assert lrs[-1] == pytest.approx(0.0, abs=1e-12)
    assert all(a >= b for a, b in zip(lrs[warm:], lrs[warm + 1 :], strict=False))
    constant = TrainConfig(model="tiny", data=".", lr=1e-3)
    assert {lr_at(constant, s, total) for s in (0, 50, total)} == {1e-3}


def test_user_errors_are_clear(tiny_dataset, tmp_path, tiny_model, capsys):
    with pytest.raises(LocNetError, match="is not a folder"):
        train(_config(tmp_path / "nowhere", tmp_path / "a.pt"))
    with pytest.raises(LocNetError, match="unknown model 'nonsense'"):
        train(_config(tiny_dataset, tmp_path / "a.pt", model="nonsense"))
    with pytest.raises(LocNetError, match="'centre' is a classical method and needs no training"):
        train(_config(tiny_dataset, tmp_path / "a.pt", model="centre"))
    with pytest.raises(LocNetError, match="does not take loss"):
        train(_config(tiny_dataset, tmp_path / "a.pt", loss="bbce"))
    with pytest.raises(LocNetError, match="--crop 100"):
        train(_config(tiny_dataset, tmp_path / "a.pt", crop=100))
    code = main(["train", "--model", "centre", "--data", str(tiny_dataset)])
    assert code == 2 and "needs no training" in capsys.readouterr().err


def test_locnet_options_and_default_output_name(tmp_path, monkeypatch):
    cfg = TrainConfig(model="locnet", data=str(tmp_path), env=False, loss="bbce")
    assert model_options(cfg) == {"loss": "bbce", "env": False}
    assert ckpt.default_filename("locnet", model_options(cfg)) == "locnet-noenv-bbce.pt"
    assert model_options(TrainConfig(model="locnet", data=".")) == {
        "loss": "focal",
        "env": True,
    }


@pytest.mark.slow
def test_cli_trains_locnet_on_crops(tiny_dataset, tmp_path):
    out = tmp_path / "locnet-noenv.pt"
    code = main(
        [
            "train",
            "--model",
            "locnet",
            "--data",
            str(tiny_dataset),
            "--no-env",
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--crop",
            "32",
            "--train-samples",
            "8",
            "--val-samples",
            "2",
            "--device",
            "cpu",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    model = ckpt.load_weights(out, "locnet")
    assert model.options == {"loss": "focal", "env": False}
    assert ckpt.checkpoint_info(out).variant == "noenv-focal"


def test_train_state_round_trips_through_the_resume_payload():
    from locnet.train.state import TrainState

    state = TrainState(
        epoch=3, step=5, samples_seen=480, minutes=12.5, train_seconds=600.25, loss_sum=2.5,
        history=[{"epoch": 1, "val_mean_m": 80.0}], best_metrics={"val_mean_m": 80.0},
        best_epoch=1, rng=rng_state(),
    )  # fmt: skip
    payload = state.to_payload(minutes=12.5)
    assert payload["resume"]["step"] == 5 and payload["timings"]["samples_seen"] == 480
    assert TrainState.from_payload(payload) == state
    stopped = TrainState(epoch=2, stopped="max-minutes")  # a stopped run resumes running
    assert TrainState.from_payload(stopped.to_payload(0.0)).stopped is None


def test_resume_files_in_the_dict_form_load_as_a_state(tiny_dataset, tmp_path, tiny_model):
    from locnet.train.state import TrainState

    out = tmp_path / "tiny.pt"
    train(_config(tiny_dataset, out, epochs=1, val_samples=2))
    payload = torch.load(ckpt.resume_path(out), weights_only=True)
    assert set(payload["resume"]) == {"step", "best_epoch", "loss_sum", "rng"}
    state = TrainState.from_payload(payload)
    assert (state.epoch, state.step, state.samples_seen) == (1, 0, 12)
    assert state.best_metrics == payload["metrics"] and state.history == payload["history"]


def test_train_parser_exposes_every_config_field_with_its_default():
    import argparse
    import dataclasses

    from locnet import config_cli

    parser = argparse.ArgumentParser()
    train_mod.configure_parser(parser)
    flags = {a.dest: a for a in parser._actions}
    for f in dataclasses.fields(TrainConfig):
        assert f.metadata.get("help"), f.name
        assert config_cli.flag_of(f).lstrip("-").replace("-", "_") in flags, f.name
    assert config_cli.flag_of(dataclasses.fields(TrainConfig)[4]) == "--no-env"
    args = parser.parse_args(["--model", "locnet", "--data", "d"])
    assert config_cli.from_args(TrainConfig, args) == TrainConfig(model="locnet", data="d")
    cfg = TrainConfig(
        model="locnet", data="d", env=False, loss="bbce", options={"target_sigma": 16, "s": "x"},
        max_minutes=2.5, resume=True, lr_schedule="cosine",
    )  # fmt: skip
    again = parser.parse_args(config_cli.to_argv(cfg))
    assert config_cli.from_args(TrainConfig, again) == cfg
    assert train_mod.command_line(cfg).startswith("python -m locnet train --model locnet")
