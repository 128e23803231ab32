"""`python -m locnet evaluate-powder` and `report --section powder`: folders per split with
exact columns, statistics that match the per-sample rows, one-line errors; and the
committed copy's k-NN and strongest-receiver numbers beside the issue's measured anchors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from locnet.cli import main
from locnet.evaluate.folders import list_result_folders
from locnet.evaluate.metrics import error_statistics
from locnet.files import PROJECT_ROOT
from locnet.measurements.dataset import DEFAULT_FOLDER, PowderDataset
from locnet.measurements.evaluate import (
    SAMPLE_COLUMNS,
    SUMMARY_COLUMNS,
    evaluate_split,
    is_learned,
    measurement_models,
)
from locnet.measurements.splits import TRAINING_SIDE


def test_folders_per_split_and_the_report(imported, tmp_path, capsys):
    out = tmp_path / "results"
    argv = ["evaluate-powder", "--data", str(imported), "--splits", "random,april"]
    argv += ["--out", str(out), "--checkpoints", str(tmp_path / "none")]
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["april", "random"]
    data = PowderDataset.open(imported)
    for split in ("random", "april"):
        samples = pd.read_parquet(out / split / "samples.parquet")
        summary = pd.read_csv(out / split / "summary.csv")
        meta = json.loads((out / split / "meta.json").read_text())
        assert tuple(samples.columns) == SAMPLE_COLUMNS
        assert tuple(summary.columns) == SUMMARY_COLUMNS
        classical = [m for m in measurement_models() if not is_learned(m)]
        assert summary["model"].tolist() == classical  # learned ones: no weights here
        train, test = data.split(split)
        assert set(summary["n"]) == {len(test)} and set(summary["n_train"]) == {len(train)}
        for row in summary.itertuples():
            errors = samples.loc[samples["model"] == row.model, "error_m"].to_numpy()
            stats = error_statistics(errors)
            assert row.mean_m == pytest.approx(stats["mean_m"])
            assert row.p90_m == pytest.approx(stats["p90_m"])
        dx = samples["pred_x_m"] - samples["true_x_m"]
        dy = samples["pred_y_m"] - samples["true_y_m"]
        assert np.allclose(np.hypot(dx, dy), samples["error_m"])
        assert meta["split"]["n_test"] == len(test) and meta["dataset"]["fingerprint"]
        assert meta["split"]["training_side"] == TRAINING_SIDE
        assert meta["command"].startswith("python -m locnet evaluate-powder")
    capsys.readouterr()
    assert main(["report", "--section", "powder", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| random (random) |" in text and "| april (seasonal) |" in text
    assert text.index("| random (random) |") < text.index("| april (seasonal) |")
    assert text.count("| rss-knn |") == 2


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [("--splits", "summer", "unknown summer"), ("--models", "locnet", "unknown locnet")],
)
def test_unknown_split_or_model_is_one_line(imported, tmp_path, capsys, flag, value, message):
    argv = ["evaluate-powder", "--data", str(imported), flag, value, "--out", str(tmp_path / "r")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not (tmp_path / "r").exists()


def test_the_app_does_not_list_the_powder_root_as_a_result_folder(imported, tmp_path):
    root = tmp_path / "results"
    assert main(["evaluate-powder", "--data", str(imported), "--splits", "grid",
                 "--models", "rss-centre", "--out", str(root / "powder")]) == 0  # fmt: skip
    assert list_result_folders(root) == []


def test_report_without_results_names_the_command(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", "--section", "powder", str(tmp_path / "empty")]) == 2
    assert "python -m locnet evaluate-powder" in capsys.readouterr().err


def test_committed_copy_matches_the_measured_anchors():
    """Issue #25's anchors (fixed-receiver k-NN, k=5; strongest receiver), within 1 m."""
    data = PowderDataset.open(PROJECT_ROOT / DEFAULT_FOLDER)
    anchors = {"random": (92.5, 61.3, 229.0), "grid": (167.8, 136.3, 265.0)}
    for split, (knn_mean, knn_median, strongest_median) in anchors.items():
        summary = evaluate_split(data, split, ["rss-knn", "rss-strongest"]).summary
        rows = summary.set_index("model")
        knn, strongest = rows.loc["rss-knn"], rows.loc["rss-strongest"]
        assert knn["mean_m"] == pytest.approx(knn_mean, abs=1.0)
        assert knn["median_m"] == pytest.approx(knn_median, abs=1.0)
        assert strongest["median_m"] == pytest.approx(strongest_median, abs=1.0)
