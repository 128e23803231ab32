"""`python -m locnet calibrate` and the calibration a checkpoint carries into inference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from locnet.cli import main
from locnet.data.radiomapseer import open_dataset
from locnet.inference import predict
from locnet.models import checkpoints as ckpt
from locnet.models import registry
from locnet.posterior import distribution as P
from locnet.posterior.calibration import UNCALIBRATED, Calibration, answer_batch, calibration_of
from tests.models.test_checkpoints import tiny_model  # noqa: F401  (fixture)


@pytest.fixture
def tiny_checkpoint(tmp_path, tiny_model):
    torch.manual_seed(0)
    model = registry.create_model(tiny_model, width=3)
    return ckpt.save_checkpoint(tmp_path / "tiny.pt", tiny_model, model, epoch=1)


def test_calibrate_fits_on_validation_and_stores_it_in_the_checkpoint(
    tiny_dataset, tiny_checkpoint, capsys
):
    before = ckpt.load_weights(tiny_checkpoint)
    assert calibration_of(before) == UNCALIBRATED and not UNCALIBRATED.calibrated
    sha = ckpt.file_sha256(tiny_checkpoint)
    args = ["calibrate", "--checkpoint", str(tiny_checkpoint), "--data", str(tiny_dataset)]
    assert main(args + ["--rates", "0.05,0.1", "--quiet", "--force"]) == 0  # 12 samples
    out = capsys.readouterr().out
    assert "max likelihood" in out and "default readout" in out
    assert ckpt.file_sha256(tiny_checkpoint) != sha
    info = ckpt.checkpoint_info(tiny_checkpoint)
    calibration = Calibration.from_dict(info.calibration)
    assert calibration.calibrated and 0 < calibration.temperature < 1e3
    fitted = calibration.fitted
    assert fitted["split"] == "val" and fitted["n"] > 0
    assert fitted["fingerprint"] == open_dataset(tiny_dataset).fingerprint()
    assert fitted["nll"] <= fitted["nll_at_t1"] + 1e-6  # the fit is at least as good as T = 1
    assert set(fitted["val_rmse_m"]) == set(P.READOUTS)
    assert calibration.default_readout == min(fitted["val_rmse_m"], key=fitted["val_rmse_m"].get)
    assert set(calibration.readout_temperature) == {"mean", "median"}
    after = ckpt.load_weights(tiny_checkpoint)  # the weights are unchanged
    for key, value in before.state_dict().items():
        assert torch.equal(after.state_dict()[key], value)
    assert calibration_of(after) == calibration
    assert calibration.label().startswith("calibrated T=")
    assert not list(tiny_checkpoint.parent.glob(".*.tmp"))


def test_calibrate_refuses_the_test_split_and_dry_run_changes_nothing(
    tiny_dataset, tiny_checkpoint, capsys
):
    sha = ckpt.file_sha256(tiny_checkpoint)
    args = ["calibrate", "--checkpoint", str(tiny_checkpoint), "--data", str(tiny_dataset)]
    assert main(args + ["--split", "test"]) == 2
    assert "never on the test" in capsys.readouterr().err
    assert main(args + ["--rates", "0.05", "--dry-run", "--quiet"]) == 0
    assert "dry run" in capsys.readouterr().out
    assert ckpt.file_sha256(tiny_checkpoint) == sha
    absent = str(tiny_checkpoint.with_name("absent.pt"))
    assert main(["calibrate", "--checkpoint", absent, "--data", str(tiny_dataset)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["calibrate", "--checkpoint", str(tiny_checkpoint), "--data", "/nonexistent"]) == 2


def test_answers_keep_the_models_own_mode_and_read_the_rest_from_the_posterior(tiny_model):
    torch.manual_seed(1)
    model = registry.create_model(tiny_model, width=3).eval()
    model.calibration = Calibration(0.5, {"mean": 0.2}, "mean", {"split": "val", "n": 3}).to_dict()
    x = torch.randn(2, 2, 32, 32)
    outdoor = torch.ones(2, 32, 32, dtype=torch.bool)
    outdoor[:, :5] = False
    with torch.inference_mode():
        answers = answer_batch(model, x, outdoor)
        prediction = model.predict(x)
        assert torch.equal(answers.xy["mode"], prediction.xy)
        expected_mean = P.mean_xy(P.probabilities(prediction.logits, outdoor, 0.2))
        assert torch.allclose(answers.xy["mean"], expected_mean)
        assert torch.allclose(answers.probs, P.probabilities(prediction.logits, outdoor, 0.5))
        tta = answer_batch(model, x, outdoor, tta=True)
    assert tta.tta and set(tta.xy) == set(P.READOUTS)
    assert torch.allclose(tta.probs.flatten(1).sum(1), torch.ones(2), atol=1e-5)


def test_predict_returns_posterior_regions_and_the_chosen_readout(tiny_checkpoint):
    model = ckpt.load_weights(tiny_checkpoint)
    model.calibration = Calibration(0.8, {}, "median", {"split": "val", "n": 1}).to_dict()
    buildings = np.zeros((256, 256), np.uint8)
    buildings[100:140, 100:140] = 1
    sensors = [(10, 20, -90.0), (200, 30, -60.5), (50, 220, -100.0)]
    result = predict(model, buildings, sensors=sensors)
    assert result.readout == "median" and result.xy == result.readouts["median"]
    assert set(result.readouts) == set(P.READOUTS)
    assert result.posterior.shape == (256, 256)
    assert result.posterior.sum() == pytest.approx(1.0, abs=1e-4)
    assert result.posterior[100:140, 100:140].max() == 0.0
    assert result.regions.shape == (2, 256, 256) and result.regions[0].sum() <= result.regions[1].sum()
    assert result.region_area_m2[0] <= result.region_area_m2[1]
    assert result.expected_error_m > 0 and result.calibration.calibrated
    assert set(result.expected_errors_m) == set(P.READOUTS)
    assert result.expected_errors_m["median"] == result.expected_error_m
    mode = predict(model, buildings, sensors=sensors, readout="mode")
    assert mode.xy == mode.readouts["mode"]
    with pytest.raises(ValueError, match="unknown readout"):
        predict(model, buildings, sensors=sensors, readout="best")
    centroid = predict(registry.create_model("centroid"), buildings, sensors=sensors)
    assert centroid.readout == P.POINT_READOUT and centroid.posterior is None


def test_report_lists_each_checkpoints_calibration(tmp_path, tiny_model):
    from locnet.report.checkpoints import calibration_of_checkpoints

    model = registry.create_model(tiny_model)
    ckpt.save_checkpoint(tmp_path / "plain.pt", tiny_model, model)
    path = ckpt.save_checkpoint(tmp_path / "fitted.pt", tiny_model, model)
    fitted = {"split": "val", "n": 9, "data": "data/demo", "coverage90": 0.88,
              "val_rmse_m": {"mode": 70.0, "mean": 50.0, "median": 51.0}}
    ckpt.store_calibration(path, Calibration(0.49, {"mean": 0.1}, "mean", fitted).to_dict())
    table = calibration_of_checkpoints(tmp_path).splitlines()
    assert "| `fitted.pt` | 0.49 | 0.1 / 0.49 | mean | 70.0 / 50.0 / 51.0 | 88.0 % |" in table[2]
    assert table[3].startswith("| `plain.pt` | 1 (uncalibrated)")


FITTED = Calibration(0.487, {"mean": 0.3}, "mean", {"split": "val", "n": 236})


def test_a_fit_on_too_few_samples_is_refused_and_the_old_one_kept(tiny_dataset, tiny_checkpoint, capsys):
    """N65: `calibrate --limit 1` no longer replaces a 236-sample calibration silently."""
    from locnet.evaluate.calibrate import MIN_SAMPLES

    ckpt.store_calibration(tiny_checkpoint, FITTED.to_dict())
    sha = ckpt.file_sha256(tiny_checkpoint)
    args = ["calibrate", "--checkpoint", str(tiny_checkpoint), "--data", str(tiny_dataset),
            "--limit", "1", "--rates", "0.05", "--masks-per-tx", "1", "--quiet"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: only 1 val samples") and f"fewer than {MIN_SAMPLES}" in err
    assert "--force" in err and err.count("\n") == 1 and ckpt.file_sha256(tiny_checkpoint) == sha
    assert main([*args, "--force"]) == 0
    assert "replaced calibrated T=0.487 (val, n=236), kept in the checkpoint's calibration_history" in (
        capsys.readouterr().out
    )
    payload = torch.load(tiny_checkpoint, weights_only=True)
    (entry,) = payload[ckpt.HISTORY_KEY]
    assert entry["calibration"] == FITTED.to_dict() and entry["damaged"] is None
    assert Calibration.from_dict(payload["calibration"]).fitted["n"] == 1
    ckpt.store_calibration(tiny_checkpoint, FITTED.to_dict())  # history grows, oldest first
    history = torch.load(tiny_checkpoint, weights_only=True)[ckpt.HISTORY_KEY]
    assert [h["calibration"]["fitted"]["n"] for h in history] == [236, 1]


@pytest.mark.parametrize(
    "stored, problem",
    [
        ({"temperature": "hot"}, "missing readout_temperature"),  # N67
        ({**FITTED.to_dict(), "temperature": -1.0}, "temperature must be a finite number > 0, got -1.0"),  # N68
    ],
)
def test_a_damaged_calibration_is_reported_naming_the_file(
    tiny_dataset, tmp_path, tiny_model, capsys, stored, problem
):
    """N67/N68: loading, listing, evaluating and re-calibrating all say the calibration is
    damaged, name the file and say how to fix it; none treats it as uncalibrated."""
    from locnet.errors import LocNetError
    from locnet.inference import load_model

    path = ckpt.save_checkpoint(tmp_path / "ck" / "tiny.pt", tiny_model,
                                registry.create_model(tiny_model, width=3), calibration=stored)  # fmt: skip
    message = f"checkpoint {path} has a malformed calibration: {problem}"
    with pytest.raises(LocNetError, match="malformed calibration") as raised:
        load_model(path)
    assert str(raised.value).startswith(message) and "python -m locnet calibrate" in str(raised.value)
    assert [p for p in ckpt.checkpoint_problems(path.parent) if p.startswith(message)]
    out = tmp_path / "res"
    assert main(["evaluate", "--data", str(tiny_dataset), "--models", "all", "--checkpoints",
                 str(path.parent), "--rates", "0.05", "--masks-per-tx", "1", "--limit", "1",
                 "--quiet", "--out", str(out)]) == 0  # fmt: skip
    assert f"warning: skipped {message}" in capsys.readouterr().err
    assert main(["calibrate", "--checkpoint", str(path), "--data", str(tiny_dataset), "--rates",
                 "0.05", "--quiet", "--force"]) == 0  # fmt: skip
    err = capsys.readouterr().err
    assert err.startswith(f"warning: checkpoint {path} holds a damaged calibration ({problem}")
    assert "the damaged one is kept in calibration_history" in err
    (entry,) = torch.load(path, weights_only=True)[ckpt.HISTORY_KEY]
    assert entry["calibration"] == stored and entry["damaged"].startswith(problem.split(",")[0])
    assert load_model(path).calibration.calibrated  # the new fit loads


def test_an_unwritable_checkpoint_fails_before_the_fit(tiny_dataset, tiny_checkpoint, monkeypatch, capsys):
    """N71: a checkpoint on a read-only mount is refused in the first second (the fit is
    not run and lost), with a fix that exists; --dry-run still prints the fit."""
    import errno

    import locnet.evaluate.calibrate as calibrate_module
    from locnet import files

    real_calibrate, fits = calibrate_module.calibrate, []

    def counted(*args, **kwargs):
        fits.append(1)
        return real_calibrate(*args, **kwargs)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(calibrate_module, "calibrate", counted)
    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    sha = ckpt.file_sha256(tiny_checkpoint)
    args = ["calibrate", "--checkpoint", str(tiny_checkpoint), "--data", str(tiny_dataset),
            "--rates", "0.05", "--quiet", "--force"]  # fmt: skip
    assert main(args) == 2 and not fits
    err = capsys.readouterr().err
    assert err.startswith(f"error: --checkpoint {tiny_checkpoint} cannot be written (Read-only")
    assert "copy the checkpoint into a folder you can write to" in err and "--dry-run" in err
    assert main([*args, "--dry-run"]) == 0 and fits == [1]
    assert ckpt.file_sha256(tiny_checkpoint) == sha


def test_a_model_without_weights_gets_a_calibration_file_that_load_model_uses(
    tiny_dataset, tmp_path, capsys
):
    """simfit has no weights: `calibrate --model` writes its calibration in one new file, and
    load_model('simfit') answers with it from that folder (and without it elsewhere)."""
    from locnet.evaluate.plan import resolve_models
    from locnet.inference import CHECKPOINT_ID, load_model

    path = tmp_path / "simfit.pt"
    args = ["calibrate", "--model", "simfit", "--checkpoint", str(path), "--data", str(tiny_dataset)]
    assert main(args + ["--rates", "0.05", "--masks-per-tx", "1", "--quiet", "--force"]) == 0
    info = ckpt.checkpoint_info(path)
    assert info.model == "simfit" and info.options == registry.variant_options("simfit")[1]
    stored = Calibration.from_dict(info.calibration)
    assert stored.calibrated and stored.fitted["split"] == "val"
    model = load_model("simfit", tmp_path)
    assert calibration_of(model) == stored and getattr(model, CHECKPOINT_ID).startswith("simfit.pt")
    assert calibration_of(load_model("simfit", tmp_path / "elsewhere")) == UNCALIBRATED
    # a file holding another variant is refused by both, naming the file
    (tmp_path / "simfit-robust.pt").write_bytes(path.read_bytes())
    with pytest.raises(Exception, match="simfit-robust.pt holds 'default' of simfit"):
        load_model("simfit-robust", tmp_path)
    entries = resolve_models(["simfit"], tmp_path)  # evaluate records the file it used
    assert entries[0].path == path
    with pytest.raises(Exception, match="not 'simfit-robust'"):
        resolve_models(["simfit-robust"], tmp_path)
    robust = ["calibrate", "--model", "simfit-robust", "--checkpoint", str(tmp_path / "simfit-robust.pt")]
    assert main(robust + ["--data", str(tiny_dataset)]) == 2
    assert "not 'simfit-robust'" in capsys.readouterr().err
    assert main(["calibrate", "--model", "locnet", "--checkpoint", str(tmp_path / "x.pt"),
                 "--data", str(tiny_dataset)]) == 2
    assert "only models without weights" in capsys.readouterr().err
    assert not (tmp_path / "x.pt").exists()
