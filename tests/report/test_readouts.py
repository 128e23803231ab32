"""locnet.results with readouts: old folders, readout selection, coverage, case views."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.evaluate.folders import (
    PER_ENV_COLUMNS,
    POSTERIOR_COLUMNS,
    SAMPLE_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_FILE,
    SUMMARY_POSTERIOR_COLUMNS,
    legacy_readout,
    load_results,
)
from locnet.posterior.distribution import RELIABILITY_LEVELS
from locnet.report.ranking import average_over_rates, pick_cases
from locnet.report.readouts import (
    LUCKY_MAX_ERROR_M,
    LUCKY_MIN_RADIUS_M,
    calibration_label,
    calibration_summary,
    confidently_wrong,
    coverage_table,
    default_readout,
    heatmap_readouts,
    lucky,
    radius90_m,
    readout_rmse,
    reliability_gaps,
    select_readout,
)
from tests.results_data import (
    CALIBRATED,
    MODELS,
    copy_results_folder,
    old_schema,
    synthetic_samples,
    write_results_folder,
)


@pytest.fixture
def result_folder(results_folder_template, tmp_path) -> Path:
    """As write_results_folder(tmp_path / "results" / "demo") writes it; this test's own."""
    return copy_results_folder(results_folder_template, tmp_path / "results" / "demo")


def test_folder_written_before_readouts_still_loads(tmp_path):
    folder = write_results_folder(tmp_path / "old", old_schema(synthetic_samples()))
    assert "readout" not in pd.read_csv(folder / SUMMARY_FILE).columns  # really the old one
    res = load_results(folder)
    for table, columns in (
        (res.summary, SUMMARY_COLUMNS),
        (res.per_environment, PER_ENV_COLUMNS),
        (res.samples, SAMPLE_COLUMNS),
    ):
        assert list(table.columns) == list(columns)
        readouts = table.groupby("model")["readout"].unique().map(list).to_dict()
        assert readouts == {"locnet": ["mode"], "mslocnet": ["mode"], "centroid": ["point"]}
    assert res.samples[list(POSTERIOR_COLUMNS)].isna().all().all()
    assert res.summary[list(SUMMARY_POSTERIOR_COLUMNS)].isna().all().all()
    assert heatmap_readouts(res.summary) == ["mode"]


def test_legacy_readout_follows_the_registry():
    assert legacy_readout("locnet") == "mode" and legacy_readout("deepmtl") == "mode"
    assert legacy_readout("deeptxfinder") == "point"  # regresses coordinates
    assert legacy_readout("centre") == "point"  # classical: scores but no logits
    assert legacy_readout("no-such-model") == "point"


def test_select_readout_keeps_one_answer_per_series(result_folder):
    summary = load_results(result_folder).summary
    assert heatmap_readouts(summary) == ["mode", "mean", "median"]
    chosen = select_readout(summary, "median")
    per_series = chosen.groupby(["model", "variant"])["readout"].unique().map(list).to_dict()
    assert per_series[("locnet", "env-focal")] == ["median"]
    assert per_series[("centroid", "default")] == ["point"]
    assert len(per_series) == len(MODELS)
    assert select_readout(summary, None) is summary
    with pytest.raises(ValueError, match="select_readout"):
        average_over_rates(summary)  # three readouts of one series: never averaged silently


def test_default_readout_and_calibration_labels():
    meta = {
        "checkpoints": {
            "a.pt": {"model": "locnet", "variant": "env-focal", "calibration": CALIBRATED}
        }
    }
    assert default_readout(meta, ["mode", "mean", "median"]) == "mean"
    assert default_readout(meta, ["mode"]) == "mode"  # its default was not evaluated
    assert default_readout({}, ["mean", "median"]) == "mean"
    assert default_readout(meta, []) is None
    assert calibration_label(meta, "locnet", "env-focal") == "calibrated T=0.5 (val, n=236)"
    null = {
        "checkpoints": {"a.pt": {"model": "locnet", "variant": "env-focal", "calibration": None}}
    }
    assert calibration_label(null, "locnet", "env-focal") == "uncalibrated (T = 1)"
    assert default_readout(null, ["mode", "mean"]) == "mode"
    assert calibration_label({}, "mslocnet", "default") == "uncalibrated (T = 1)"


def _posterior_rows(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"model": ["locnet"] * n, "variant": ["env-focal"] * n, "readout": ["mode"] * n}
    return pd.DataFrame({**base, **columns})


def test_coverage_table_by_hand():
    rows = _posterior_rows(credible_level=[0.05, 0.15, 0.45, 0.95])
    point = pd.DataFrame(
        {
            "model": ["centroid"],
            "variant": ["default"],
            "readout": ["point"],
            "credible_level": [np.nan],
        }
    )
    table = coverage_table(pd.concat([rows, point]), levels=(0.1, 0.5, 0.9, 0.99))
    assert set(table["model"]) == {"locnet"}  # no posterior, no coverage
    assert table["coverage"].tolist() == [0.25, 0.75, 0.75, 1.0]
    assert table["n"].tolist() == [4] * 4
    assert list(coverage_table(rows)["level"]) == list(RELIABILITY_LEVELS)
    gaps = reliability_gaps(table)
    assert gaps.loc[0, "max_gap"] == pytest.approx(0.25) and not gaps.loc[0, "within"]
    perfect = coverage_table(_posterior_rows(credible_level=np.arange(100) / 100 + 0.005))
    assert reliability_gaps(perfect)["within"].all()


def test_confidently_wrong_is_truth_outside_the_90_region():
    rows = _posterior_rows(error_m=[5.0, 80.0, 3.0], in90=[1.0, 0.0, np.nan])
    assert confidently_wrong(rows)["error_m"].tolist() == [80.0]


def test_lucky_is_small_error_with_a_large_region():
    radius = np.array([60.0, 40.0, 80.0, LUCKY_MIN_RADIUS_M, np.nan])
    rows = _posterior_rows(
        error_m=[5.0, 5.0, 15.0, LUCKY_MAX_ERROR_M, 1.0], area90_m2=np.pi * radius**2
    )
    assert lucky(rows).index.tolist() == [0, 3]  # boundaries included; no region: not lucky
    assert lucky(rows, max_error_m=20, min_radius_m=70).index.tolist() == [2]
    assert radius90_m(rows).iloc[:4].tolist() == pytest.approx(radius[:4])


def test_pick_cases_views():
    rows = _posterior_rows(
        map=["0", "0", "1", "1"],
        tx=[0, 1, 0, 1],
        mask=0,
        rate_percent=0.01,
        city="A",
        error_m=[50.0, 4.0, 90.0, 2.0],
        in90=[0.0, 1.0, 0.0, 1.0],
        area90_m2=np.pi * np.array([10.0, 60.0, 5.0, 100.0]) ** 2,
    )
    pick = lambda view, k=8: pick_cases(rows, "locnet", "env-focal", view, k=k)  # noqa: E731
    assert pick("best", 2)["error_m"].tolist() == [2.0, 4.0]
    assert pick("worst", 1)["error_m"].tolist() == [90.0]
    assert pick("confidently wrong")["error_m"].tolist() == [90.0, 50.0]  # worst first
    assert pick("lucky")["error_m"].tolist() == [2.0, 4.0]  # largest region first
    assert pick("all")[["map", "tx"]].values.tolist() == [["0", 0], ["0", 1], ["1", 0], ["1", 1]]
    with pytest.raises(ValueError, match="unknown view"):
        pick("random")


def test_readout_rmse_and_calibration_summary(result_folder):
    res = load_results(result_folder)
    table = readout_rmse(res.summary)
    assert list(table.columns) == ["mode", "mean", "median"]
    assert "RSS centroid" not in table.index  # point answers have no readouts to compare
    mode = res.summary.query("model == 'locnet' and variant == 'env-focal' and readout == 'mode'")
    expected = mode[mode["rate_percent"] < 0.095]["rmse_m"].mean()
    assert table.loc["LocNet (env-focal)", "mode"] == pytest.approx(expected)
    assert (table["mean"] < table["mode"]).all()  # the fake mean is 10 % closer
    calibration = calibration_summary(res.samples, res.meta).set_index(["series", "readout"])
    row = calibration.loc[("LocNet (env-focal)", "mode")]
    locnet = res.samples.query("model == 'locnet' and variant == 'env-focal' and readout == 'mode'")
    assert row["coverage90"] == pytest.approx((locnet["credible_level"] < 0.9).mean())
    assert row["calibration"].startswith("calibrated T=0.5")
    assert calibration.loc[("MSLocNet", "mode"), "calibration"] == "uncalibrated (T = 1)"
    assert "RSS centroid" not in calibration.index.get_level_values(0)
