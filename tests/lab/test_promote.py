"""`python -m lab.promote`: the shipped file kept under its stage name, the stage
in its place with its start record relabelled, and every refusal changing nothing."""

from __future__ import annotations

import pytest
import torch

from lab import promote
from locnet.cli import run_module
from locnet.models import checkpoints as ckpt
from locnet.models import registry
from locnet.posterior.calibration import Calibration
from tests.models.test_checkpoints import TinyNet, tiny_model  # noqa: F401  (fixture)

CALIBRATED = Calibration(0.4, {"mean": 0.3}, "mean", {"split": "val", "n": 3}).to_dict()


def _save(path, name, seed, **fields):
    torch.manual_seed(seed)
    return ckpt.save_checkpoint(path, name, registry.create_model(name, width=3), **fields)


@pytest.fixture
def campaign(tmp_path, tiny_model, monkeypatch):
    """A shipped file and a calibrated stage trained from it, in a checkout-like tree."""
    monkeypatch.chdir(tmp_path)
    current = _save(tmp_path / "checkpoints" / "tiny.pt", tiny_model, 0, timings={"minutes": 2.0})
    record = {"file": "checkpoints/tiny.pt", "sha256": ckpt.file_sha256(current), "minutes": 2.0}
    stage = _save(
        tmp_path / "stage.pt", tiny_model, 1, timings={"minutes": 3.0, "init_from": record},
        calibration=CALIBRATED,
    )  # fmt: skip
    return current, stage


def _promote(current, stage, keep_as, *extra):
    return run_module(promote, ["--new", str(stage), "--keep-as", str(keep_as),
                 "--current", str(current), *extra])  # fmt: skip


def _shas(*paths):
    return [ckpt.file_sha256(p) if p.exists() else None for p in paths]


def test_promote_keeps_the_old_file_and_relabels_the_stage_start(campaign, capsys):
    current, stage = campaign
    old_sha, stage_weights = ckpt.file_sha256(current), ckpt.load_weights(stage).state_dict()
    keep_as = current.parent / "stages" / "tiny-stage1.pt"
    assert _promote(current, stage, keep_as) == 0
    assert "tiny-stage1.pt" in capsys.readouterr().out
    assert ckpt.file_sha256(keep_as) == old_sha  # the old file, byte for byte
    assert not stage.exists()
    promoted = ckpt.load_checkpoint(current)
    assert promoted["timings"]["init_from"]["file"] == "checkpoints/stages/tiny-stage1.pt"
    assert promoted["timings"]["init_from"]["sha256"] == old_sha  # the chain holds
    assert promoted["calibration"] == CALIBRATED
    for key, value in ckpt.load_weights(current).state_dict().items():
        assert torch.equal(value, stage_weights[key])
    assert ckpt.checkpoint_info(current).budget["init_from"] == "tiny-stage1.pt"
    assert not list(current.parent.rglob("*.tmp"))


def test_promote_refuses_what_would_break_the_chain_and_changes_nothing(campaign, tmp_path, capsys):
    current, stage = campaign
    keep_as = tmp_path / "checkpoints" / "stages" / "tiny-old.pt"
    ckpt.store_calibration(stage, {})  # empty: not calibrated
    before = _shas(current, stage)
    assert _promote(current, stage, keep_as) == 2
    assert "not calibrated" in capsys.readouterr().err
    assert _shas(current, stage) == before and not keep_as.exists()
    ckpt.store_calibration(stage, CALIBRATED)
    before = _shas(current, stage)
    cases = [
        (stage, keep_as.with_suffix(".last.pt"), "resume file"),
        (current, keep_as, "same file"),
        (tmp_path / "none.pt", keep_as, "does not exist"),
    ]
    for new, target, message in cases:
        assert _promote(current, new, target) == 2
        assert message in capsys.readouterr().err
    keep_as.parent.mkdir(parents=True)
    keep_as.write_bytes(b"taken")
    assert _promote(current, stage, keep_as) == 2
    assert "already exists" in capsys.readouterr().err
    keep_as.unlink()
    assert _shas(current, stage) == before and not keep_as.exists()


def test_promote_refuses_a_stage_of_another_start_unless_forced(campaign, tiny_model, tmp_path, capsys):
    current, stage = campaign
    keep_as = tmp_path / "kept.pt"
    ckpt.store_calibration(current, CALIBRATED)  # re-calibrated since: another sha256
    before = _shas(current, stage)
    assert _promote(current, stage, keep_as) == 2
    assert "--force" in capsys.readouterr().err
    assert _shas(current, stage) == before and not keep_as.exists()
    assert _promote(current, stage, keep_as, "--force") == 0
    assert ckpt.file_sha256(keep_as) == before[0]

    scratch = _save(tmp_path / "scratch.pt", tiny_model, 2, calibration=CALIBRATED)
    assert _promote(current, scratch, tmp_path / "kept2.pt") == 2
    assert "from scratch" in capsys.readouterr().err


def test_promote_refuses_a_stage_of_another_model(campaign, tmp_path, monkeypatch, capsys):
    current, _ = campaign
    info = registry.ModelInfo("tiny2", "baseline", "heatmap", True, "other test model", TinyNet)
    monkeypatch.setitem(registry._REGISTRY, "tiny2", info)
    other = _save(tmp_path / "other.pt", "tiny2", 0, calibration=CALIBRATED)
    assert _promote(current, other, tmp_path / "kept.pt") == 2
    assert "a stage replaces a file of its own model" in capsys.readouterr().err
    assert other.exists() and not (tmp_path / "kept.pt").exists()


def test_a_keep_as_under_a_file_is_one_line_and_changes_nothing(campaign, tmp_path, capsys):
    """N83: `--keep-as README.md/x.pt` was `error: File exists (README.md)`."""
    current, stage = campaign
    (tmp_path / "README.md").write_text("x")
    keep_as = tmp_path / "README.md" / "x.pt"
    before = _shas(current, stage)
    assert _promote(current, stage, keep_as) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --keep-as {keep_as}: {tmp_path / 'README.md'} is a file, not a folder")
    assert err.count("\n") == 1 and _shas(current, stage) == before
