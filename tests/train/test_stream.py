"""Training on the simulated stream, the CPU-time budget and the precision record."""

from __future__ import annotations

import pytest
import torch

from locnet.models import checkpoints as ckpt
from locnet.train.config import TrainConfig
from locnet.train.loop import train
from tests.models.test_checkpoints import tiny_model  # noqa: F401  (fixture)


def _stream_config(out, **overrides) -> TrainConfig:
    base = {
        "model": "tiny",
        "stream": True,
        "epoch_samples": 8,
        "out": str(out),
        "epochs": 2,
        "batch_size": 4,
        "lr": 1e-2,
        "crop": 64,
        "val_samples": 4,
        "device": "cpu",
        "quiet": True,
    }
    return TrainConfig(**{**base, **overrides})


def test_stream_training_needs_no_dataset_and_resumes_exactly(tmp_path, tiny_model):
    reference = train(_stream_config(tmp_path / "ref.pt"))
    assert reference["timings"]["samples_seen"] == 16
    payload = torch.load(tmp_path / "ref.pt", weights_only=True)
    assert payload["data_fingerprint"].startswith("stream:")
    assert payload["train_config"]["stream"] and payload["train_config"]["data"] is None
    assert [h["val_samples"] for h in payload["history"]] == [4, 4]

    out = tmp_path / "tiny.pt"
    stopped = train(_stream_config(out, max_minutes=1e-6))  # stops after one batch
    assert stopped["timings"]["stopped"] == "max-minutes"
    done = train(_stream_config(out, resume=True))
    assert done["timings"]["samples_seen"] == 16
    final = torch.load(ckpt.resume_path(out), weights_only=True)["state_dict"]
    final_ref = torch.load(ckpt.resume_path(tmp_path / "ref.pt"), weights_only=True)["state_dict"]
    assert all(torch.equal(final[k], final_ref[k]) for k in final_ref)


def test_a_resume_file_of_another_stream_is_refused(tmp_path, tiny_model):
    import pytest

    from locnet.errors import CheckpointError

    out = tmp_path / "tiny.pt"
    train(_stream_config(out, epochs=1))
    with pytest.raises(CheckpointError, match="another dataset"):
        train(_stream_config(out, epochs=2, stream_real=0.9, resume=True))


def test_cpu_budget_stops_resumably_and_counts_cpu_minutes(tmp_path, tiny_model):
    out = tmp_path / "tiny.pt"
    stopped = train(_stream_config(out, epochs=1, max_cpu_minutes=1e-6))
    timings = stopped["timings"]
    assert timings["stopped"] == "max-minutes" and timings["samples_seen"] == 4
    assert timings["cpu_minutes"] > 0 and timings["budget_cpu_minutes"] == 1e-6
    last = torch.load(ckpt.resume_path(out), weights_only=True)
    assert last["timings"]["cpu_minutes"] >= timings["cpu_minutes"] - 1e-3
    resumed = train(_stream_config(out, epochs=1, resume=True))
    assert resumed["timings"]["stopped"] == "completed"
    assert resumed["timings"]["cpu_minutes"] > timings["cpu_minutes"]  # summed over invocations


def test_checkpoint_records_the_precision_it_trained_in(tmp_path, tiny_model):
    result = train(_stream_config(tmp_path / "a.pt", epochs=1, bf16="on"))
    assert result["timings"]["bf16"] is True and result["timings"]["precision"] == "bf16-autocast"
    payload = torch.load(tmp_path / "a.pt", weights_only=True)
    assert all(t.dtype == torch.float32 for t in payload["state_dict"].values())  # fp32 master
    result = train(_stream_config(tmp_path / "b.pt", epochs=1, bf16="off"))
    assert result["timings"]["precision"] == "fp32"
    bf16_loss = payload["history"][0]["train_loss"]
    fp32_loss = torch.load(tmp_path / "b.pt", weights_only=True)["history"][0]["train_loss"]
    assert bf16_loss == pytest.approx(fp32_loss, rel=0.05)  # same samples, same curve


def test_missing_data_without_stream_is_a_clear_error(tmp_path, tiny_model, capsys):
    from locnet.cli import main

    code = main(["train", "--model", "tiny", "--out", str(tmp_path / "x.pt")])
    assert code == 2 and "--data" in capsys.readouterr().err


def test_unshuffled_order_gives_each_rank_a_contiguous_block_of_equal_length():
    import numpy as np

    from locnet.train.state import epoch_order

    parts = [epoch_order(np.arange(10), 0, 0, 3, rank, shuffle=False) for rank in range(3)]
    assert parts == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]
    assert sorted(epoch_order(np.arange(10), 0, 0, 1, 0)) == list(range(10))


def test_masks_per_case_and_channels_last_train(tmp_path, tiny_model):
    result = train(
        _stream_config(tmp_path / "t.pt", epochs=1, stream_masks_per_case=4, channels_last="on")
    )
    assert result["timings"]["channels_last"] is True and result["timings"]["samples_seen"] == 8
