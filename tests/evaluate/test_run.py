"""Evaluation: exact table columns, sensible numbers, mask sources, 'all', refusal to overwrite."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from locnet.cli import main
from locnet.constants import MAP_SIZE
from locnet.data.radiomapseer import open_dataset
from locnet.errors import LocNetError
from locnet.evaluate.folders import load_results
from locnet.evaluate.run import evaluate
from locnet.evaluate.tables import write_results
from locnet.models import checkpoints as ckpt
from locnet.models import registry
from tests.models.test_checkpoints import tiny_model  # noqa: F401  (fixture)

SUMMARY = [
    "model", "variant", "readout", "rate_percent", "rmse_m", "mean_m", "median_m", "p90_m", "n",
    "coverage50", "coverage90", "expected_rmse_m", "median_area90_m2",
]
POSTERIOR = ["expected_error_m", "area50_m2", "area90_m2", "credible_level", "in50", "in90"]


def test_tables_have_exact_columns_and_centre_error_is_distance_to_centre(tiny_dataset, tmp_path):
    result = evaluate(
        tiny_dataset,
        models=["centre", "strongest"],
        rates=[0.01, 0.02],
        masks_per_tx=2,
        device="cpu",
    )
    out = write_results(result, tmp_path / "res")
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns) == SUMMARY
    source = open_dataset(tiny_dataset)
    pairs = source.samples_in("test")
    assert set(summary["n"]) == {len(pairs) * 2}
    centre = MAP_SIZE // 2
    expected = np.mean(
        [np.hypot(*np.subtract(source.transmitter(*p), (centre, centre))) for p in pairs]
    )
    centre_rows = summary[summary["model"] == "centre"]
    assert np.allclose(centre_rows["mean_m"], expected)
    assert (summary["rmse_m"] >= summary["mean_m"] - 1e-9).all()
    assert (summary["p90_m"] >= summary["median_m"] - 1e-9).all()
    per_env = pd.read_csv(out / "per_environment.csv")
    assert list(per_env.columns) == [
        "model",
        "variant",
        "readout",
        "rate_percent",
        "map",
        "env_id",
        "city",
        "rmse_m",
        "mean_m",
        "n",
    ]
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 2 * 2 * len(pairs) * 2
    assert np.allclose(
        samples["error_m"],
        np.hypot(samples["pred_x"] - samples["true_x"], samples["pred_y"] - samples["true_y"]),
    )
    meta = json.loads((out / "meta.json").read_text())
    assert meta["dataset"]["fingerprint"] == source.fingerprint() and meta["split"] == "test"
    assert meta["mask_source"] == {"0.01": "files", "0.02": "random"}  # tiny has 0.01 mask files
    assert load_results(out).summary.shape[0] == 4  # the app's reader accepts the folder


def test_refuses_to_overwrite_a_non_empty_folder_unless_forced(tiny_dataset, tmp_path):
    out = tmp_path / "res"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    code = main(
        [
            "evaluate",
            "--data",
            str(tiny_dataset),
            "--models",
            "centre",
            "--rates",
            "0.01",
            "--masks-per-tx",
            "1",
            "--quiet",
            "--out",
            str(out),
        ]
    )
    assert code == 2 and not (out / "summary.csv").exists()
    code = main(
        [
            "evaluate",
            "--data",
            str(tiny_dataset),
            "--models",
            "centre",
            "--rates",
            "0.01",
            "--masks-per-tx",
            "1",
            "--quiet",
            "--force",
            "--out",
            str(out),
        ]
    )
    assert code == 0 and (out / "summary.csv").is_file()
    meta = json.loads((out / "meta.json").read_text())
    assert "--force" in meta["command"] and meta["command"].startswith("python -m locnet evaluate")


def test_all_means_every_checkpoint_plus_classical_models(tiny_dataset, tmp_path, tiny_model):
    folder = tmp_path / "checkpoints"
    ckpt.save_checkpoint(
        folder / "tiny.pt",
        tiny_model,
        registry.create_model(tiny_model),
        timings={"epochs": 3, "minutes": 0.5},
    )
    calls = []
    result = evaluate(
        tiny_dataset,
        models="all",
        checkpoint_dir=folder,
        rates=[0.05],
        masks_per_tx=1,
        limit=1,
        device="cpu",
        progress=lambda d, t: calls.append((d, t)),
    )
    classical = {
        n for n in registry.available_models() if registry.model_info(n).family == "classical"
    }
    assert set(result.summary["model"]) == classical | {"tiny"}
    assert calls[-1][0] == calls[-1][1] == 1
    entry = result.meta["checkpoints"]["tiny.pt"]
    assert (
        entry["sha256"] == ckpt.file_sha256(folder / "tiny.pt") and entry["budget"]["epochs"] == 3
    )


def test_a_bare_state_dict_is_evaluated_as_name_equals_path(tiny_dataset, tmp_path, tiny_model):
    import torch

    torch.save(registry.create_model(tiny_model).state_dict(), tmp_path / "weights.pt")
    result = evaluate(
        tiny_dataset,
        models=[f"tiny={tmp_path / 'weights.pt'}"],
        rates=[0.05],
        masks_per_tx=1,
        limit=1,
        device="cpu",
    )
    assert set(result.summary["model"]) == {"tiny"}
    assert sorted(result.summary["readout"]) == ["mean", "median", "mode"]
    assert result.meta["checkpoints"]["weights.pt"]["sha256"] == ckpt.file_sha256(
        tmp_path / "weights.pt"
    )
    with pytest.raises(LocNetError, match="locnet=PATH"):
        evaluate(tiny_dataset, models=[str(tmp_path / "weights.pt")], rates=[0.05])


def test_random_masks_are_seeded_per_sample(tiny_dataset):
    first = evaluate(
        tiny_dataset, models=["strongest"], rates=[0.03], masks_per_tx=2, limit=2, device="cpu"
    )
    again = evaluate(
        tiny_dataset,
        models=["strongest"],
        rates=[0.03],
        masks_per_tx=2,
        limit=2,
        device="cpu",
        batch_size=3,
    )
    columns = ["map", "tx", "mask", "pred_x", "pred_y"]
    pd.testing.assert_frame_equal(first.samples[columns], again.samples[columns])
    other_seed = evaluate(
        tiny_dataset,
        models=["strongest"],
        rates=[0.03],
        masks_per_tx=2,
        limit=2,
        device="cpu",
        seed=1,
    )
    assert not first.samples[columns].equals(other_seed.samples[columns])


def test_bad_requests_fail_clearly(tiny_dataset, tmp_path):
    with pytest.raises(LocNetError, match="no checkpoint for 'locnet'.*-m locnet train --model locnet"):
        evaluate(tiny_dataset, models=["locnet"], checkpoint_dir=tmp_path)
    with pytest.raises(LocNetError, match="no checkpoint for 'nonsense'"):
        evaluate(tiny_dataset, models=["nonsense"], checkpoint_dir=tmp_path)
    with pytest.raises(LocNetError, match="is not a folder"):
        evaluate(tmp_path / "absent", models=["centre"])
    with pytest.raises(LocNetError, match="rate"):
        evaluate(tiny_dataset, models=["centre"], rates=[-1])


def test_heatmap_models_get_one_row_per_readout_with_their_posterior(tiny_dataset, tmp_path, tiny_model):
    import torch

    from locnet.posterior.calibration import Calibration

    folder = tmp_path / "checkpoints"
    torch.manual_seed(0)
    path = ckpt.save_checkpoint(folder / "tiny.pt", tiny_model, registry.create_model(tiny_model))
    calibration = Calibration(0.7, {"mean": 0.3}, "mean", {"split": "val", "n": 5})
    ckpt.store_calibration(path, calibration.to_dict())
    result = evaluate(
        tiny_dataset, models=["tiny", "centroid"], checkpoint_dir=folder, rates=[0.05, 0.1],
        masks_per_tx=1, device="cpu",
    )
    samples = result.samples
    tiny, centroid = samples[samples.model == "tiny"], samples[samples.model == "centroid"]
    assert set(tiny.readout) == {"mode", "mean", "median"} and set(centroid.readout) == {"point"}
    assert len(tiny) == 3 * len(centroid)
    assert centroid[POSTERIOR].isna().all().all() and tiny[POSTERIOR].notna().all().all()
    assert ((tiny.credible_level < 0.9) == (tiny.in90 == 1)).all()
    assert (tiny.area50_m2 <= tiny.area90_m2).all() and (tiny.expected_error_m > 0).all()
    by_sample = tiny.groupby(["map", "tx", "mask", "rate_percent"])
    assert (by_sample.credible_level.nunique() == 1).all()  # one posterior, three answers
    summary = result.summary.set_index(["model", "readout", "rate_percent"])
    mode = tiny[(tiny.readout == "mode") & (tiny.rate_percent == 0.05)]
    assert summary.loc[("tiny", "mode", 0.05), "coverage90"] == pytest.approx(mode.in90.mean())
    assert np.isnan(summary.loc[("centroid", "point", 0.05), "coverage90"])
    entry = result.meta["checkpoints"]["tiny.pt"]
    assert entry["calibration"]["temperature"] == 0.7 and entry["path"] == str(path.resolve())
    assert result.meta["readouts"] == ["mode", "mean", "median"] and result.meta["tta"] is False
    tta = evaluate(
        tiny_dataset, models=["tiny"], checkpoint_dir=folder, rates=[0.05], masks_per_tx=1,
        limit=1, device="cpu", tta=True,
    )
    assert tta.meta["tta"] is True and set(tta.samples.readout) == {"mode", "mean", "median"}


def test_an_empty_rate_list_is_a_clear_error(tiny_dataset, tmp_path, capsys):
    args = ["evaluate", "--data", str(tiny_dataset), "--models", "centre", "--out", str(tmp_path / "r")]
    assert main(args + ["--rates", ","]) == 2
    assert "--rates" in capsys.readouterr().err


def test_without_a_parquet_engine_samples_go_to_csv_gz_and_read_back(tiny_dataset, tmp_path, monkeypatch):
    import pandas as pd

    from locnet.evaluate.folders import load_results

    def no_engine(*args, **kwargs):
        raise ImportError("Unable to find a usable engine; tried using: 'pyarrow', 'fastparquet'.")

    out = tmp_path / "res"
    argv = ["evaluate", "--data", str(tiny_dataset), "--models", "centroid", "--rates", "0.01",
            "--quiet", "--out", str(out)]  # fmt: skip
    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_engine)
    assert main(argv) == 0
    assert (out / "samples.csv.gz").is_file() and not (out / "samples.parquet").exists()
    monkeypatch.undo()
    assert main([*argv[:-1], str(tmp_path / "ref")]) == 0
    loaded, reference = load_results(out), load_results(tmp_path / "ref")
    assert len(loaded.samples) == len(reference.samples) > 0
    assert loaded.samples["error_m"].tolist() == pytest.approx(reference.samples["error_m"].tolist())


def test_result_folders_record_paths_relative_to_the_repository():
    """meta.json names `data/demo`, not this machine's absolute path (portable_path)."""
    from locnet.evaluate.tables import portable_path
    from locnet.files import PROJECT_ROOT

    assert (PROJECT_ROOT / "pyproject.toml").is_file()
    assert portable_path(PROJECT_ROOT / "data" / "demo") == "data/demo"


def test_a_forced_rewrite_leaves_one_samples_file(tiny_dataset, tmp_path, monkeypatch):
    """--force over an earlier run written with the other samples format: the stale file
    goes, so the folder never holds two samples tables that disagree."""
    result = evaluate(tiny_dataset, models=["centroid"], rates=[0.05], masks_per_tx=1, limit=1,
                      device="cpu")  # fmt: skip
    out = write_results(result, tmp_path / "res")
    assert (out / "samples.parquet").is_file()
    with pytest.raises(LocNetError, match="already holds"):
        write_results(result, out)

    def no_engine(*args, **kwargs):
        raise ImportError("no parquet engine")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_engine)
    write_results(result, out, force=True)
    assert (out / "samples.csv.gz").is_file() and not (out / "samples.parquet").exists()
    assert sorted(p.name for p in out.iterdir()) == [
        "meta.json", "per_environment.csv", "samples.csv.gz", "summary.csv",
    ]  # fmt: skip
