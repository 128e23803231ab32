"""Safe writing (locnet.files) and the fault-probe failures it fixes: an unwritable --out
fails before any work, a stale temp file is cleaned, an OSError is one CLI line."""

from __future__ import annotations

import errno
import os

import pytest
import torch

from locnet import files
from locnet.cli import main
from locnet.errors import LocNetError
from locnet.models import checkpoints as ckpt
from locnet.models import registry
from tests.models.test_checkpoints import tiny_model  # noqa: F401  (fixture)


def test_atomic_write_replaces_whole_or_leaves_the_old_file(tmp_path):
    path = tmp_path / "a.txt"
    files.atomic_write(path, lambda p: p.write_text("one"))
    assert path.read_text() == "one" and oct(path.stat().st_mode & 0o777) != oct(0o600)

    def broken(p):
        p.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        files.atomic_write(path, broken)
    assert path.read_text() == "one" and [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_writable_folder_check_names_the_problem(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    with pytest.raises(LocNetError, match="is a file"):
        files.ensure_writable_folder(tmp_path / "file" / "res")
    assert files.ensure_writable_folder(tmp_path / "new" / "deep").is_dir()

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    with pytest.raises(LocNetError, match="cannot be written.*Read-only"):
        files.ensure_writable_folder(tmp_path / "ro")


def test_stale_temps_are_removed(tmp_path):
    (tmp_path / "DPM").mkdir()
    (tmp_path / "DPM" / ".0_1.png.1234.tmp").write_bytes(b"")
    (tmp_path / "DPM" / "0_1.png").write_bytes(b"png")
    assert files.remove_stale_temps(tmp_path) == 1
    assert [p.name for p in (tmp_path / "DPM").iterdir()] == ["0_1.png"]


def test_evaluate_into_an_unwritable_place_fails_before_the_work(tiny_dataset, tmp_path, monkeypatch, capsys):
    import locnet.evaluate.run as evaluate_module

    called = []
    monkeypatch.setattr(evaluate_module, "evaluate", lambda *a, **k: called.append(1))
    (tmp_path / "README.md").write_text("x")
    code = main(["evaluate", "--data", str(tiny_dataset), "--models", "centre",
                 "--out", str(tmp_path / "README.md" / "res")])
    assert code == 2 and not called
    assert "is a file" in capsys.readouterr().err


def test_train_into_an_unwritable_place_fails_before_an_epoch(tiny_dataset, tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    code = main(["train", "--model", "locnet", "--data", str(tiny_dataset), "--epochs", "1",
                 "--out", str(tmp_path / "f" / "locnet.pt")])
    assert code == 2 and "is a file" in capsys.readouterr().err


def test_an_os_error_mid_run_is_one_line(monkeypatch, capsys):
    from locnet.data import info

    def full_disk(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/data/x.png")

    monkeypatch.setattr(info, "run", full_disk)
    assert main(["dataset-info", "anything"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no space left" in err and "/data/x.png" in err


def test_schema_broken_checkpoints_are_named_and_skipped(tiny_dataset, tmp_path, tiny_model, capsys):
    folder = tmp_path / "ck"
    good = ckpt.save_checkpoint(folder / "tiny.pt", tiny_model, registry.create_model(tiny_model))
    ckpt.atomic_torch_save({"format": ckpt.FORMAT}, folder / "locnet.pt")
    payload = torch.load(good, weights_only=True)
    ckpt.atomic_torch_save({**payload, "options": "x"}, folder / "odd.pt")
    ckpt.atomic_torch_save({k: v for k, v in payload.items() if k != "state_dict"}, folder / "nostate.pt")
    problems = ckpt.checkpoint_problems(folder)
    assert len(problems) == 3 and any("locnet.pt" in p and "no known model" in p for p in problems)
    assert any("odd.pt" in p and "'options'" in p for p in problems)
    assert any("nostate.pt" in p and "no weights" in p for p in problems)
    for name in ("locnet.pt", "odd.pt", "nostate.pt"):
        with pytest.raises(LocNetError, match=name):
            ckpt.load_weights(folder / name)
    out = tmp_path / "res"
    code = main(["evaluate", "--data", str(tiny_dataset), "--models", "all", "--checkpoints",
                 str(folder), "--rates", "0.05", "--masks-per-tx", "1", "--limit", "1",
                 "--quiet", "--out", str(out)])
    assert code == 0 and capsys.readouterr().err.count("warning: skipped") == 3


def test_a_checkpoint_of_another_model_under_a_models_name_is_refused(tiny_dataset, tmp_path, tiny_model, capsys):
    folder = tmp_path / "ck"
    ckpt.save_checkpoint(folder / "locnet.pt", tiny_model, registry.create_model(tiny_model))
    code = main(["evaluate", "--data", str(tiny_dataset), "--models", "locnet", "--checkpoints",
                 str(folder), "--out", str(tmp_path / "res")])
    assert code == 2 and "holds a 'tiny' model, not 'locnet'" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "res" / "summary.csv")


def test_a_malformed_calibration_fails_at_load_as_one_line_naming_the_file(
    tiny_dataset, tmp_path, tiny_model, capsys
):
    from locnet.inference import load_model

    folder = tmp_path / "ck"
    stored = {"temperature": 0.5, "readout_temperature": {"mean": 0.2},
              "default_readout": "argmax", "fitted": {"split": "val", "n": 3}}  # fmt: skip
    bad = ckpt.save_checkpoint(folder / "tiny.pt", tiny_model, registry.create_model(tiny_model),
                               calibration=stored)  # fmt: skip
    with pytest.raises(LocNetError, match=f"checkpoint {bad} has a malformed calibration: "
                       "default_readout 'argmax' is not a readout"):  # fmt: skip
        load_model(bad)
    out = tmp_path / "res"
    code = main(["evaluate", "--data", str(tiny_dataset), "--models", str(bad), "--rates", "0.05",
                 "--masks-per-tx", "1", "--limit", "1", "--quiet", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: checkpoint {bad} has a malformed calibration")
    assert not (out / "summary.csv").exists()


def test_write_json_creates_the_folder_and_writes_whole(tmp_path):
    import json

    path = files.write_json(tmp_path / "bench" / "x.json", {"a": 1})
    assert json.loads(path.read_text()) == {"a": 1}
    assert not list((tmp_path / "bench").glob(".*"))


def test_generate_into_an_unwritable_place_is_one_line(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    code = main(["generate", "--out", str(tmp_path / "f" / "gen"), "--cities", "1",
                 "--tx-per-city", "1", "--quiet"])
    assert code == 2 and "is a file" in capsys.readouterr().err
