"""locnet.results: loading/validating result folders, paper table, ranking, statistics.

The folders are built by tests.results_data; readout-specific helpers are tested in
tests/report/test_readouts.py.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.constants import RATES_PERCENT
from locnet.evaluate.folders import (
    ROOT_ENV,
    ROOT_KEY,
    SAMPLE_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_FILE,
    ResultsError,
    dataset_mismatch,
    folder_index,
    holds_series,
    list_result_folders,
    load_results,
    new_results_folder,
    no_results_message,
    results_root,
)
from locnet.report.lookups import (
    case_sensors,
    environment_statistics,
    environment_statistics_table,
    model_parameters,
)
from locnet.report.ranking import (
    average_over_rates,
    loss_comparison,
    rank_cases,
    rank_environments,
    relative_improvement,
    same_case,
)
from locnet.report.readouts import select_readout
from locnet.report.series import (
    LOSS_VARIANTS,
    PAPER_AVERAGE_RMSE_M,
    paper_reference,
    series_label,
    series_options,
)
from tests.results_data import MODELS, copy_results_folder, write_results_folder


@pytest.fixture
def result_folder(results_folder_template, tmp_path) -> Path:
    """As write_results_folder(tmp_path / "results" / "demo") writes it; this test's own."""
    return copy_results_folder(results_folder_template, tmp_path / "results" / "demo")


def test_load_results_reads_all_tables(result_folder):
    res = load_results(result_folder)
    assert list(res.summary.columns) == list(SUMMARY_COLUMNS)
    assert list(res.samples.columns) == list(SAMPLE_COLUMNS)
    answers = 3 * (len(MODELS) - 1) + 1  # three readouts per heatmap model, one point answer
    assert len(res.summary) == answers * len(RATES_PERCENT)
    assert res.per_environment is not None and set(res.per_environment["map"]) == {
        "0",
        "1",
        "2",
        "3",
    }
    assert res.samples is not None and len(res.samples) == 4 * 2 * len(RATES_PERCENT) * answers
    point = res.summary[res.summary["readout"] == "point"]
    assert set(point["model"]) == {"centroid"} and point["coverage90"].isna().all()
    assert res.summary.loc[res.summary["readout"] == "mean", "coverage90"].between(0, 1).all()
    source = res.source()
    assert "summary.csv" in source and "data/demo" in source and "locnet-env-focal.pt" in source
    assert "2024-05-01" in source


def test_missing_folder_names_the_command(tmp_path):
    with pytest.raises(ResultsError, match="python -m locnet evaluate .*--out .*nowhere"):
        load_results(tmp_path / "nowhere")


def test_missing_column_is_named(result_folder):
    table = pd.read_csv(result_folder / SUMMARY_FILE).drop(columns=["p90_m"])
    table.to_csv(result_folder / SUMMARY_FILE, index=False)
    with pytest.raises(
        ResultsError, match=r"summary.csv lacks column\(s\) p90_m.*python -m locnet evaluate"
    ):
        load_results(result_folder)


def test_empty_or_garbled_summary_is_an_error(result_folder):
    (result_folder / SUMMARY_FILE).write_text("")
    with pytest.raises(ResultsError, match="cannot read"):
        load_results(result_folder)
    (result_folder / SUMMARY_FILE).write_text(
        ",".join(SUMMARY_COLUMNS) + "\nlocnet,env-focal,mode,0.01,x,1,1,1,3,,,,\n"
    )
    with pytest.raises(ResultsError, match="non-numeric"):
        load_results(result_folder)


def test_list_result_folders_newest_first(tmp_path):
    root = tmp_path / "results"
    write_results_folder(root / "old", date="2024-01-01T00:00:00")
    write_results_folder(root / "new", date="2024-06-01T00:00:00")
    (root / "not-results").mkdir()
    assert [p.name for p in list_result_folders(root)] == ["new", "old"]
    assert list_result_folders(tmp_path / "absent") == []
    (root / "MAIN").write_text("old\n")  # the folder behind the README's table opens first
    assert [p.name for p in list_result_folders(root)] == ["old", "new"]
    (root / "MAIN").write_text("gone")
    assert [p.name for p in list_result_folders(root)] == ["new", "old"]


def test_new_results_folder_never_reuses_a_name(tmp_path):
    now = datetime(2024, 5, 1, 12, 0, 0)
    first = new_results_folder(tmp_path, now=now)
    assert first.name == "rerun-20240501-120000" and not first.exists()
    first.mkdir()
    second = new_results_folder(tmp_path, now=now)
    assert second != first and not second.exists()


def test_dataset_mismatch(result_folder):
    res = load_results(result_folder)
    assert dataset_mismatch(res, "abc123", "data/demo") is None
    message = dataset_mismatch(res, "fff999", "data/other")
    assert (
        "data/other" in message
        and "--data data/other" in message
        and "--out results/other" in message
    )
    same_maps = pd.DataFrame(
        {"map": [0, 1, 2, 3, 9], "city": ["Alpha", "Alpha", "Beta", "Gamma", "Delta"]}
    )
    assert (
        dataset_mismatch(res, "fff999", "data/copy", same_maps) is None
    )  # copied files: same maps
    other_cities = same_maps.assign(city="Elsewhere")
    assert dataset_mismatch(res, "fff999", "data/other", other_cities) is not None


def test_paper_reference_matches_design_table():
    paper = paper_reference()
    locnet = paper[(paper["model"] == "locnet") & (paper["variant"] == "env-focal")].set_index(
        "rate_percent"
    )
    assert locnet.loc[0.01, "rmse_m"] == 41 and locnet.loc[0.09, "rmse_m"] == 5
    assert len(locnet) == 9
    assert set(paper["model"]) == {"locnet", "mslocnet", "tldl", "deeptxfinder", "deepmtl"}
    # headline: LocNet > 3x better than the best baseline
    assert PAPER_AVERAGE_RMSE_M["mslocnet"] / PAPER_AVERAGE_RMSE_M["locnet"] > 3


def test_average_over_rates_ranks_best_first(result_folder):
    summary = select_readout(load_results(result_folder).summary, "mode")
    avg = average_over_rates(summary)
    assert (avg.iloc[0]["model"], avg.iloc[0]["variant"]) == ("locnet", "env-focal")
    assert avg["rmse_m"].is_monotonic_increasing and set(avg["readout"]) == {"mode", "point"}
    expected = summary.query("model == 'mslocnet'")["rmse_m"].mean()
    assert avg.set_index("model").loc["mslocnet", "rmse_m"] == pytest.approx(expected)


def test_relative_improvement_numbers():
    summary = pd.DataFrame(
        {
            "model": "locnet",
            "variant": ["noenv-focal", "noenv-focal", "env-focal", "env-focal"],
            "rate_percent": [0.01, 0.09, 0.01, 0.09],
            "rmse_m": [50.0, 10.0, 40.0, 5.0],
        }
    )
    imp = relative_improvement(summary, ("locnet", "noenv-focal"), ("locnet", "env-focal"))
    assert imp["improvement_percent"].iloc[:2].tolist() == pytest.approx([20.0, 50.0])
    average = imp.iloc[-1]
    assert np.isnan(average["rate_percent"])
    assert (average["baseline"], average["improved"]) == (30.0, 22.5)
    assert average["improvement_percent"] == pytest.approx(25.0)
    none = relative_improvement(summary, ("locnet", "env-mse"), ("locnet", "env-focal"))
    assert none.empty


def test_rank_environments_sorted_and_pooled(result_folder):
    res = load_results(result_folder)
    per_env = select_readout(res.per_environment, "median")
    one_rate = rank_environments(per_env, "locnet", "env-focal", 0.05)
    assert len(one_rate) == 4 and one_rate["rmse_m"].is_monotonic_increasing
    pooled = rank_environments(per_env, "locnet", "env-focal", None)
    s = res.samples.query(
        "model == 'locnet' and variant == 'env-focal' and map == '2' and readout == 'median'"
    )
    assert pooled.set_index("map").loc["2", "rmse_m"] == pytest.approx(
        np.sqrt((s["error_m"] ** 2).mean())
    )
    assert pooled.set_index("map").loc["2", "n"] == len(s)


def test_rank_cases_best_worst_and_filters(result_folder):
    samples = select_readout(load_results(result_folder).samples, "mode")
    best = rank_cases(samples, "mslocnet", "default", 0.03, k=3)
    worst = rank_cases(samples, "mslocnet", "default", 0.03, worst=True, k=3)
    assert best["error_m"].is_monotonic_increasing and worst["error_m"].is_monotonic_decreasing
    assert best["error_m"].max() <= worst["error_m"].min()
    only_beta = rank_cases(samples, "mslocnet", "default", None, cities=["Beta"], k=100)
    assert set(only_beta["city"]) == {"Beta"} and len(only_beta) == 2 * len(RATES_PERCENT)


def test_same_case_finds_other_model(result_folder):
    samples = select_readout(load_results(result_folder).samples, "mean")
    case = rank_cases(samples, "locnet", "env-focal", 0.02, k=1).iloc[0]
    other = same_case(samples, case, "centroid", "default")
    assert other is not None and (other["map"], other["tx"], other["rate_percent"]) == (
        case["map"],
        case["tx"],
        case["rate_percent"],
    )
    assert same_case(samples, case, "tldl", "default") is None


def test_environment_statistics_counts_blocks():
    b = np.zeros((256, 256), np.uint8)
    b[10:20, 10:20] = 1  # block 1: 100 px
    b[50:60, 50:70] = 1  # block 2: 200 px
    b[100, 100] = b[101, 101] = 1  # diagonal neighbours: two 4-connected blocks
    stats = environment_statistics(b)
    assert stats["n_blocks"] == 4
    assert stats["building_density"] == pytest.approx(302 / 65536)
    assert stats["open_area_m2"] == pytest.approx(65536 - 302)
    table = environment_statistics_table({"a": b, "b": np.zeros_like(b)})
    assert table["n_blocks"].tolist() == [4, 0] and table["map"].tolist() == ["a", "b"]


def test_series_label():
    assert series_label("mslocnet") == "MSLocNet"
    assert series_label("locnet", "noenv-focal") == "LocNet (noenv-focal)"
    assert series_label("mystery", "default") == "mystery"


def test_no_results_message_and_folder_index(tmp_path):
    message = no_results_message(tmp_path / "results", "data/demo")
    assert (
        f"--data data/demo --split test --models all --checkpoints checkpoints --out {tmp_path}/results/demo"
        in message
    )
    folders = [Path("results/b"), Path("results/a")]
    assert folder_index(folders, "a") == 1
    assert folder_index(folders, "gone") == 0 and folder_index(folders, None) == 0


def test_a_page_can_prefer_folders_that_hold_what_it_shows(tmp_path):
    main, ablation = tmp_path / "main", tmp_path / "ablation"
    for folder, variants in ((main, ["env-focal"]), (ablation, ["env-focal", "noenv-focal"])):
        folder.mkdir()
        rows = [{"model": "locnet", "variant": v, "rate_percent": 0.01} for v in variants]
        pd.DataFrame(rows).to_csv(folder / SUMMARY_FILE, index=False)
    series = [("locnet", "env-focal"), ("locnet", "noenv-focal")]
    assert holds_series(ablation, series) and not holds_series(main, series)
    assert not holds_series(tmp_path / "missing", series)

    def prefer(folder):
        return holds_series(folder, series)

    folders = [main, ablation]  # newest first
    assert folder_index(folders, None, prefer) == 1
    assert folder_index(folders, "main", prefer) == 1  # last choice lacks it: gives way
    assert folder_index(folders, "ablation", prefer) == 1
    assert folder_index(folders, "main", lambda f: False) == 0  # nothing has it: keep choice


def test_loss_comparison_ranks_losses(result_folder):
    table = loss_comparison(select_readout(load_results(result_folder).summary, "mode"))
    assert table["variant"].tolist()[0] == "env-focal"
    assert set(table["loss"]) == set(LOSS_VARIANTS.values())
    focal = table.set_index("variant").loc["env-focal"]
    assert focal["focal_better_percent"] == 0.0
    mse = table.set_index("variant").loc["env-mse"]
    assert mse["focal_better_percent"] == pytest.approx(
        (mse["rmse_m"] - focal["rmse_m"]) / mse["rmse_m"] * 100
    )


def test_case_sensors_reads_the_mask_file(tmp_path):
    from locnet.data.radiomapseer import open_dataset
    from locnet.data.writer import DatasetWriter

    writer = DatasetWriter(tmp_path / "ds")
    writer.write_buildings(3, np.zeros((256, 256), np.uint8))
    writer.write_radio_map(3, 5, np.full((256, 256), 80, np.uint8))
    writer.write_antenna(3, 5, (100, 120))
    mask = np.zeros((256, 256), np.uint8)
    sensors = [(10, 20), (30, 40), (50, 60), (70, 80), (90, 100), (110, 120), (130, 140)]
    for x, y in sensors:
        mask[y, x] = 1
    writer.write_mask("test", 3, 5, 2, mask, rate_percent=0.01)
    ds = open_dataset(tmp_path / "ds")
    case = {"map": "3", "tx": 5, "mask": 2, "rate_percent": 0.01}
    assert sorted(case_sensors(ds, case)) == sensors  # split found from the map
    assert case_sensors(ds, {**case, "mask": 0}) is None
    assert case_sensors(ds, {**case, "rate_percent": 0.05}) is None


@pytest.mark.slow
def test_case_sensors_repeat_the_evaluations_random_masks(tiny_dataset, tmp_path):
    """Rates without mask files: the sensors drawn by `evaluate` are drawn again, identically."""
    from locnet.data.radiomapseer import open_dataset
    from locnet.evaluate.run import evaluate

    evaluation = evaluate(
        tiny_dataset,
        models=["centroid"],
        rates=[0.02],
        masks_per_tx=1,
        limit=1,
        checkpoint_dir=tmp_path,
    )
    assert evaluation.meta["mask_source"] == {"0.02": "random"}
    row = evaluation.samples.iloc[0]
    sensors = case_sensors(open_dataset(tiny_dataset), row, evaluation.meta)
    assert len(sensors) == 13  # 0.02 % of 65,536 pixels
    # the centroid model's answer is the RSS-weighted mean of exactly these sensors: it must lie inside their box
    xs, ys = zip(*sensors)
    assert min(xs) <= row["pred_x"] <= max(xs) and min(ys) <= row["pred_y"] <= max(ys)
    assert case_sensors(open_dataset(tiny_dataset), row, {}) is None  # no meta: no file, no draw


def test_model_parameters_from_registry():
    counts = model_parameters(["locnet", "no-such-model"])
    assert counts == {"locnet": 128_743, "no-such-model": None}


def test_results_root_precedence(monkeypatch):
    monkeypatch.delenv(ROOT_ENV, raising=False)
    assert results_root({}) == Path("results")
    monkeypatch.setenv(ROOT_ENV, "/srv/results")
    assert results_root({}) == Path("/srv/results")
    assert results_root({ROOT_KEY: "mine"}) == Path("mine")


def test_series_options_order():
    table = pd.DataFrame(
        {
            "model": ["centroid", "locnet", "zzz", "mslocnet", "locnet", "locnet"],
            "variant": ["default", "env-mse", "default", "default", "noenv-focal", "env-focal"],
        }
    )
    assert list(series_options(table)) == [
        "LocNet (env-focal)",
        "MSLocNet",
        "RSS centroid",
        "zzz",
        "LocNet (noenv-focal)",
        "LocNet (env-mse)",
    ]
    assert series_options(table)["MSLocNet"] == ("mslocnet", "default")


# --- readouts, calibration and case filters ----------------------------------------------
