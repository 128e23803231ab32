"""locnet.results: loading/validating result folders, paper table, ranking, statistics.

`write_results_folder` builds a small, self-consistent results folder the way
`python -m locnet evaluate` lays it out; the app tests reuse it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet import results as R
from locnet.constants import RATES_PERCENT

MODELS = [
    ("locnet", "env-focal"),
    ("locnet", "noenv-focal"),
    ("locnet", "env-bbce"),
    ("locnet", "env-ft"),
    ("locnet", "env-mse"),
    ("mslocnet", "default"),
    ("centroid", "default"),
]
# Typical error scale (m) at rate 0.01 %; larger maps index -> denser -> harder in this fake.
SCALE_M = {
    ("locnet", "env-focal"): 40,
    ("locnet", "noenv-focal"): 50,
    ("locnet", "env-bbce"): 42,
    ("locnet", "env-ft"): 80,
    ("locnet", "env-mse"): 90,
    ("mslocnet", "default"): 100,
    ("centroid", "default"): 70,
}


def with_readouts(samples: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """The new schema from one answer per (sample, model): heatmap models' rows three times
    (mean 10 %, median 5 % closer than the mode) with random posterior columns, the
    others' as `point` rows with NaN posterior columns."""
    rng = np.random.default_rng(seed)
    heat = samples["model"].map(R.legacy_readout) == "mode"
    point = samples[~heat].assign(readout="point", **{c: np.nan for c in R.POSTERIOR_COLUMNS})
    base = samples[heat]
    level = rng.uniform(0, 1, len(base))
    radius = rng.uniform(5, 120, len(base))  # of the 90 % region (m)
    posterior = {
        "area50_m2": np.pi * (radius / 2) ** 2,
        "area90_m2": np.pi * radius**2,
        "credible_level": level,
        "in50": (level < 0.5).astype(float),
        "in90": (level < 0.9).astype(float),
    }
    spread = rng.uniform(0.7, 1.4, len(base))
    parts = [point]
    for readout, factor in (("mode", 1.0), ("mean", 0.9), ("median", 0.95)):
        parts.append(
            base.assign(
                readout=readout,
                pred_x=base["true_x"] + factor * (base["pred_x"] - base["true_x"]),
                pred_y=base["true_y"] + factor * (base["pred_y"] - base["true_y"]),
                error_m=factor * base["error_m"],
                expected_error_m=spread * factor * base["error_m"],
                **posterior,
            )
        )
    return pd.concat(parts, ignore_index=True)[list(R.SAMPLE_COLUMNS)]


def synthetic_samples(
    maps=("0", "1", "2", "3"),
    cities=("Alpha", "Alpha", "Beta", "Gamma"),
    models=MODELS,
    rates=RATES_PERCENT,
    n_tx=2,
    seed=0,
) -> pd.DataFrame:
    """One row per (map, tx, rate, model, readout) with errors that fall with the rate."""
    rng = np.random.default_rng(seed)
    grid = pd.MultiIndex.from_product(
        [range(len(maps)), range(n_tx), rates, range(len(models))],
        names=["mi", "tx", "rate_percent", "mo"],
    ).to_frame(index=False)
    scale = np.array([SCALE_M[m] for m in models])[grid["mo"]]
    error = (
        scale
        * np.sqrt(0.01 / grid["rate_percent"])
        * (1 + 0.3 * grid["mi"])
        * rng.uniform(0.5, 1.5, len(grid))
    )
    angle = rng.uniform(0, 2 * np.pi, len(grid))
    true = rng.integers(20, 236, size=(len(grid), 2))
    samples = pd.DataFrame(
        {
            "map": np.asarray(maps)[grid["mi"]],
            "env_id": [f"env{i}" for i in grid["mi"]],
            "city": np.asarray(cities)[grid["mi"]],
            "tx": grid["tx"],
            "mask": 0,
            "rate_percent": grid["rate_percent"],
            "model": [models[i][0] for i in grid["mo"]],
            "variant": [models[i][1] for i in grid["mo"]],
            "pred_x": true[:, 0] + error * np.cos(angle),
            "pred_y": true[:, 1] + error * np.sin(angle),
            "true_x": true[:, 0],
            "true_y": true[:, 1],
            "error_m": error,
            "runtime_ms": 1.0,
        }
    )
    return with_readouts(samples, seed)


def _stats(group: pd.DataFrame) -> pd.Series:
    err = group["error_m"]
    return pd.Series(
        {
            "rmse_m": np.sqrt(np.mean(err**2)),
            "mean_m": err.mean(),
            "median_m": err.median(),
            "p90_m": err.quantile(0.9),
            "n": len(err),
            "coverage50": group["in50"].mean() if "in50" in group else np.nan,
            "coverage90": group["in90"].mean() if "in90" in group else np.nan,
            "expected_rmse_m": np.sqrt(np.mean(group["expected_error_m"] ** 2))
            if "expected_error_m" in group
            else np.nan,
            "median_area90_m2": group["area90_m2"].median() if "area90_m2" in group else np.nan,
        }
    )


def aggregate(samples: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """summary.csv / per_environment.csv rows of `samples` grouped by `keys` (all metrics)."""
    return samples.groupby(keys).apply(_stats, include_groups=False).reset_index()


CALIBRATED = {  # Calibration.to_dict() of a checkpoint calibrated on validation
    "temperature": 0.5,
    "readout_temperature": {"mean": 0.4},
    "default_readout": "mean",
    "fitted": {"split": "val", "n": 236, "nll": 7.1},
}


def write_results_folder(
    folder: Path,
    samples: pd.DataFrame | None = None,
    *,
    fingerprint: str = "abc123",
    dataset_path: str = "data/demo",
    date: str = "2024-05-01T12:00:00",
    calibration: dict | None = CALIBRATED,
) -> Path:
    """Write summary.csv, per_environment.csv, samples.parquet and meta.json into `folder`
    (the new schema when `samples` has readouts, else the old one, as evaluate wrote it)."""
    samples = synthetic_samples() if samples is None else samples
    new = "readout" in samples.columns
    keys = ["model", "variant"] + (["readout"] if new else []) + ["rate_percent"]
    columns = [c for c in R.SUMMARY_COLUMNS if new or c not in R.SUMMARY_POSTERIOR_COLUMNS]
    columns = [c for c in columns if new or c != "readout"]
    folder.mkdir(parents=True, exist_ok=True)
    aggregate(samples, keys)[columns].to_csv(folder / R.SUMMARY_FILE, index=False)
    per_env = [c for c in R.PER_ENV_COLUMNS if new or c != "readout"]
    aggregate(samples, keys + ["map", "env_id", "city"])[per_env].to_csv(
        folder / R.PER_ENV_FILE, index=False
    )
    samples.to_parquet(folder / R.SAMPLES_FILE, index=False)
    meta = {
        "dataset": {"path": dataset_path, "fingerprint": fingerprint},
        "split": "test",
        "checkpoints": {
            "locnet-env-focal.pt": {
                "model": "locnet",
                "variant": "env-focal",
                "sha256": "00",
                "budget": "10 epochs",
                "calibration": calibration,
            },
            "mslocnet.pt": {"model": "mslocnet", "variant": "default", "calibration": None},
        },
        "device": "cpu",
        "date": date,
        "command": "python -m locnet evaluate ...",
    }
    if new:
        meta.update(readouts=sorted(set(samples["readout"]) - {"point"}), tta=False)
    (folder / R.META_FILE).write_text(json.dumps(meta))
    return folder


def old_schema(samples: pd.DataFrame) -> pd.DataFrame:
    """samples.parquet as written before readouts: the mode / point rows, 14 columns."""
    rows = samples[samples["readout"].isin(["mode", "point"])]
    return rows.drop(columns=["readout", *R.POSTERIOR_COLUMNS]).reset_index(drop=True)


@pytest.fixture
def result_folder(tmp_path) -> Path:
    return write_results_folder(tmp_path / "results" / "demo")


def test_load_results_reads_all_tables(result_folder):
    res = R.load_results(result_folder)
    assert list(res.summary.columns) == list(R.SUMMARY_COLUMNS)
    assert list(res.samples.columns) == list(R.SAMPLE_COLUMNS)
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
    with pytest.raises(R.ResultsError, match="python -m locnet evaluate .*--out .*nowhere"):
        R.load_results(tmp_path / "nowhere")


def test_missing_column_is_named(result_folder):
    table = pd.read_csv(result_folder / R.SUMMARY_FILE).drop(columns=["p90_m"])
    table.to_csv(result_folder / R.SUMMARY_FILE, index=False)
    with pytest.raises(
        R.ResultsError, match=r"summary.csv lacks column\(s\) p90_m.*python -m locnet evaluate"
    ):
        R.load_results(result_folder)


def test_empty_or_garbled_summary_is_an_error(result_folder):
    (result_folder / R.SUMMARY_FILE).write_text("")
    with pytest.raises(R.ResultsError, match="cannot read"):
        R.load_results(result_folder)
    (result_folder / R.SUMMARY_FILE).write_text(
        ",".join(R.SUMMARY_COLUMNS) + "\nlocnet,env-focal,mode,0.01,x,1,1,1,3,,,,\n"
    )
    with pytest.raises(R.ResultsError, match="non-numeric"):
        R.load_results(result_folder)


def test_list_result_folders_newest_first(tmp_path):
    root = tmp_path / "results"
    write_results_folder(root / "old", date="2024-01-01T00:00:00")
    write_results_folder(root / "new", date="2024-06-01T00:00:00")
    (root / "not-results").mkdir()
    assert [p.name for p in R.list_result_folders(root)] == ["new", "old"]
    assert R.list_result_folders(tmp_path / "absent") == []
    (root / "MAIN").write_text("old\n")  # the folder behind the README's table opens first
    assert [p.name for p in R.list_result_folders(root)] == ["old", "new"]
    (root / "MAIN").write_text("gone")
    assert [p.name for p in R.list_result_folders(root)] == ["new", "old"]


def test_new_results_folder_never_reuses_a_name(tmp_path):
    now = datetime(2024, 5, 1, 12, 0, 0)
    first = R.new_results_folder(tmp_path, now=now)
    assert first.name == "rerun-20240501-120000" and not first.exists()
    first.mkdir()
    second = R.new_results_folder(tmp_path, now=now)
    assert second != first and not second.exists()


def test_dataset_mismatch(result_folder):
    res = R.load_results(result_folder)
    assert R.dataset_mismatch(res, "abc123", "data/demo") is None
    message = R.dataset_mismatch(res, "fff999", "data/other")
    assert (
        "data/other" in message
        and "--data data/other" in message
        and "--out results/other" in message
    )
    same_maps = pd.DataFrame(
        {"map": [0, 1, 2, 3, 9], "city": ["Alpha", "Alpha", "Beta", "Gamma", "Delta"]}
    )
    assert (
        R.dataset_mismatch(res, "fff999", "data/copy", same_maps) is None
    )  # copied files: same maps
    other_cities = same_maps.assign(city="Elsewhere")
    assert R.dataset_mismatch(res, "fff999", "data/other", other_cities) is not None


def test_paper_reference_matches_design_table():
    paper = R.paper_reference()
    locnet = paper[(paper["model"] == "locnet") & (paper["variant"] == "env-focal")].set_index(
        "rate_percent"
    )
    assert locnet.loc[0.01, "rmse_m"] == 41 and locnet.loc[0.09, "rmse_m"] == 5
    assert len(locnet) == 9
    assert set(paper["model"]) == {"locnet", "mslocnet", "tldl", "deeptxfinder", "deepmtl"}
    # headline: LocNet > 3x better than the best baseline
    assert R.PAPER_AVERAGE_RMSE_M["mslocnet"] / R.PAPER_AVERAGE_RMSE_M["locnet"] > 3


def test_average_over_rates_ranks_best_first(result_folder):
    summary = R.select_readout(R.load_results(result_folder).summary, "mode")
    avg = R.average_over_rates(summary)
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
    imp = R.relative_improvement(summary, ("locnet", "noenv-focal"), ("locnet", "env-focal"))
    assert imp["improvement_percent"].iloc[:2].tolist() == pytest.approx([20.0, 50.0])
    average = imp.iloc[-1]
    assert np.isnan(average["rate_percent"])
    assert (average["baseline"], average["improved"]) == (30.0, 22.5)
    assert average["improvement_percent"] == pytest.approx(25.0)
    none = R.relative_improvement(summary, ("locnet", "env-mse"), ("locnet", "env-focal"))
    assert none.empty


def test_rank_environments_sorted_and_pooled(result_folder):
    res = R.load_results(result_folder)
    per_env = R.select_readout(res.per_environment, "median")
    one_rate = R.rank_environments(per_env, "locnet", "env-focal", 0.05)
    assert len(one_rate) == 4 and one_rate["rmse_m"].is_monotonic_increasing
    pooled = R.rank_environments(per_env, "locnet", "env-focal", None)
    s = res.samples.query(
        "model == 'locnet' and variant == 'env-focal' and map == '2' and readout == 'median'"
    )
    assert pooled.set_index("map").loc["2", "rmse_m"] == pytest.approx(
        np.sqrt((s["error_m"] ** 2).mean())
    )
    assert pooled.set_index("map").loc["2", "n"] == len(s)


def test_rank_cases_best_worst_and_filters(result_folder):
    samples = R.select_readout(R.load_results(result_folder).samples, "mode")
    best = R.rank_cases(samples, "mslocnet", "default", 0.03, k=3)
    worst = R.rank_cases(samples, "mslocnet", "default", 0.03, worst=True, k=3)
    assert best["error_m"].is_monotonic_increasing and worst["error_m"].is_monotonic_decreasing
    assert best["error_m"].max() <= worst["error_m"].min()
    only_beta = R.rank_cases(samples, "mslocnet", "default", None, cities=["Beta"], k=100)
    assert set(only_beta["city"]) == {"Beta"} and len(only_beta) == 2 * len(RATES_PERCENT)


def test_same_case_finds_other_model(result_folder):
    samples = R.select_readout(R.load_results(result_folder).samples, "mean")
    case = R.rank_cases(samples, "locnet", "env-focal", 0.02, k=1).iloc[0]
    other = R.same_case(samples, case, "centroid", "default")
    assert other is not None and (other["map"], other["tx"], other["rate_percent"]) == (
        case["map"],
        case["tx"],
        case["rate_percent"],
    )
    assert R.same_case(samples, case, "tldl", "default") is None


def test_environment_statistics_counts_blocks():
    b = np.zeros((256, 256), np.uint8)
    b[10:20, 10:20] = 1  # block 1: 100 px
    b[50:60, 50:70] = 1  # block 2: 200 px
    b[100, 100] = b[101, 101] = 1  # diagonal neighbours: two 4-connected blocks
    stats = R.environment_statistics(b)
    assert stats["n_blocks"] == 4
    assert stats["building_density"] == pytest.approx(302 / 65536)
    assert stats["open_area_m2"] == pytest.approx(65536 - 302)
    table = R.environment_statistics_table({"a": b, "b": np.zeros_like(b)})
    assert table["n_blocks"].tolist() == [4, 0] and table["map"].tolist() == ["a", "b"]


def test_series_label():
    assert R.series_label("mslocnet") == "MSLocNet"
    assert R.series_label("locnet", "noenv-focal") == "LocNet (noenv-focal)"
    assert R.series_label("mystery", "default") == "mystery"


def test_no_results_message_and_folder_index(tmp_path):
    message = R.no_results_message(tmp_path / "results", "data/demo")
    assert (
        f"--data data/demo --split test --models all --checkpoints checkpoints --out {tmp_path}/results/demo"
        in message
    )
    folders = [Path("results/b"), Path("results/a")]
    assert R.folder_index(folders, "a") == 1
    assert R.folder_index(folders, "gone") == 0 and R.folder_index(folders, None) == 0


def test_a_page_can_prefer_folders_that_hold_what_it_shows(tmp_path):
    main, ablation = tmp_path / "main", tmp_path / "ablation"
    for folder, variants in ((main, ["env-focal"]), (ablation, ["env-focal", "noenv-focal"])):
        folder.mkdir()
        rows = [{"model": "locnet", "variant": v, "rate_percent": 0.01} for v in variants]
        pd.DataFrame(rows).to_csv(folder / R.SUMMARY_FILE, index=False)
    series = [("locnet", "env-focal"), ("locnet", "noenv-focal")]
    assert R.holds_series(ablation, series) and not R.holds_series(main, series)
    assert not R.holds_series(tmp_path / "missing", series)

    def prefer(folder):
        return R.holds_series(folder, series)

    folders = [main, ablation]  # newest first
    assert R.folder_index(folders, None, prefer) == 1
    assert R.folder_index(folders, "main", prefer) == 1  # last choice lacks it: gives way
    assert R.folder_index(folders, "ablation", prefer) == 1
    assert R.folder_index(folders, "main", lambda f: False) == 0  # nothing has it: keep choice


def test_loss_comparison_ranks_losses(result_folder):
    table = R.loss_comparison(R.select_readout(R.load_results(result_folder).summary, "mode"))
    assert table["variant"].tolist()[0] == "env-focal"
    assert set(table["loss"]) == set(R.LOSS_VARIANTS.values())
    focal = table.set_index("variant").loc["env-focal"]
    assert focal["focal_better_percent"] == 0.0
    mse = table.set_index("variant").loc["env-mse"]
    assert mse["focal_better_percent"] == pytest.approx(
        (mse["rmse_m"] - focal["rmse_m"]) / mse["rmse_m"] * 100
    )


def test_case_sensors_reads_the_mask_file(tmp_path):
    from locnet.data.radiomapseer import DatasetWriter, open_dataset

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
    assert sorted(R.case_sensors(ds, case)) == sensors  # split found from the map
    assert R.case_sensors(ds, {**case, "mask": 0}) is None
    assert R.case_sensors(ds, {**case, "rate_percent": 0.05}) is None


@pytest.mark.slow
def test_case_sensors_repeat_the_evaluations_random_masks(tiny_dataset, tmp_path):
    """Rates without mask files: the sensors drawn by `evaluate` are drawn again, identically."""
    from locnet.data.radiomapseer import open_dataset
    from locnet.evaluate import evaluate

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
    sensors = R.case_sensors(open_dataset(tiny_dataset), row, evaluation.meta)
    assert len(sensors) == 13  # 0.02 % of 65,536 pixels
    # the centroid model's answer is the RSS-weighted mean of exactly these sensors: it must lie inside their box
    xs, ys = zip(*sensors)
    assert min(xs) <= row["pred_x"] <= max(xs) and min(ys) <= row["pred_y"] <= max(ys)
    assert R.case_sensors(open_dataset(tiny_dataset), row, {}) is None  # no meta: no file, no draw


def test_model_parameters_from_registry():
    counts = R.model_parameters(["locnet", "no-such-model"])
    assert counts == {"locnet": 128_743, "no-such-model": None}


def test_results_root_precedence(monkeypatch):
    monkeypatch.delenv(R.ROOT_ENV, raising=False)
    assert R.results_root({}) == Path("results")
    monkeypatch.setenv(R.ROOT_ENV, "/srv/results")
    assert R.results_root({}) == Path("/srv/results")
    assert R.results_root({R.ROOT_KEY: "mine"}) == Path("mine")


def test_series_options_order():
    table = pd.DataFrame(
        {
            "model": ["centroid", "locnet", "zzz", "mslocnet", "locnet", "locnet"],
            "variant": ["default", "env-mse", "default", "default", "noenv-focal", "env-focal"],
        }
    )
    assert list(R.series_options(table)) == [
        "LocNet (env-focal)",
        "MSLocNet",
        "RSS centroid",
        "zzz",
        "LocNet (noenv-focal)",
        "LocNet (env-mse)",
    ]
    assert R.series_options(table)["MSLocNet"] == ("mslocnet", "default")


# --- readouts, calibration and case filters ----------------------------------------------


def test_folder_written_before_readouts_still_loads(tmp_path):
    folder = write_results_folder(tmp_path / "old", old_schema(synthetic_samples()))
    assert "readout" not in pd.read_csv(folder / R.SUMMARY_FILE).columns  # really the old one
    res = R.load_results(folder)
    for table, columns in (
        (res.summary, R.SUMMARY_COLUMNS),
        (res.per_environment, R.PER_ENV_COLUMNS),
        (res.samples, R.SAMPLE_COLUMNS),
    ):
        assert list(table.columns) == list(columns)
        readouts = table.groupby("model")["readout"].unique().map(list).to_dict()
        assert readouts == {"locnet": ["mode"], "mslocnet": ["mode"], "centroid": ["point"]}
    assert res.samples[list(R.POSTERIOR_COLUMNS)].isna().all().all()
    assert res.summary[list(R.SUMMARY_POSTERIOR_COLUMNS)].isna().all().all()
    assert R.heatmap_readouts(res.summary) == ["mode"]


def test_legacy_readout_follows_the_registry():
    assert R.legacy_readout("locnet") == "mode" and R.legacy_readout("deepmtl") == "mode"
    assert R.legacy_readout("deeptxfinder") == "point"  # regresses coordinates
    assert R.legacy_readout("centre") == "point"  # classical: scores but no logits
    assert R.legacy_readout("no-such-model") == "point"


def test_select_readout_keeps_one_answer_per_series(result_folder):
    summary = R.load_results(result_folder).summary
    assert R.heatmap_readouts(summary) == ["mode", "mean", "median"]
    chosen = R.select_readout(summary, "median")
    per_series = chosen.groupby(["model", "variant"])["readout"].unique().map(list).to_dict()
    assert per_series[("locnet", "env-focal")] == ["median"]
    assert per_series[("centroid", "default")] == ["point"]
    assert len(per_series) == len(MODELS)
    assert R.select_readout(summary, None) is summary
    with pytest.raises(ValueError, match="select_readout"):
        R.average_over_rates(summary)  # three readouts of one series: never averaged silently


def test_default_readout_and_calibration_labels():
    meta = {
        "checkpoints": {
            "a.pt": {"model": "locnet", "variant": "env-focal", "calibration": CALIBRATED}
        }
    }
    assert R.default_readout(meta, ["mode", "mean", "median"]) == "mean"
    assert R.default_readout(meta, ["mode"]) == "mode"  # its default was not evaluated
    assert R.default_readout({}, ["mean", "median"]) == "mean"
    assert R.default_readout(meta, []) is None
    assert R.calibration_label(meta, "locnet", "env-focal") == "calibrated T=0.5 (val, n=236)"
    null = {
        "checkpoints": {"a.pt": {"model": "locnet", "variant": "env-focal", "calibration": None}}
    }
    assert R.calibration_label(null, "locnet", "env-focal") == "uncalibrated (T = 1)"
    assert R.default_readout(null, ["mode", "mean"]) == "mode"
    assert R.calibration_label({}, "mslocnet", "default") == "uncalibrated (T = 1)"


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
    table = R.coverage_table(pd.concat([rows, point]), levels=(0.1, 0.5, 0.9, 0.99))
    assert set(table["model"]) == {"locnet"}  # no posterior, no coverage
    assert table["coverage"].tolist() == [0.25, 0.75, 0.75, 1.0]
    assert table["n"].tolist() == [4] * 4
    assert list(R.coverage_table(rows)["level"]) == list(R.RELIABILITY_LEVELS)
    gaps = R.reliability_gaps(table)
    assert gaps.loc[0, "max_gap"] == pytest.approx(0.25) and not gaps.loc[0, "within"]
    perfect = R.coverage_table(_posterior_rows(credible_level=np.arange(100) / 100 + 0.005))
    assert R.reliability_gaps(perfect)["within"].all()


def test_confidently_wrong_is_truth_outside_the_90_region():
    rows = _posterior_rows(error_m=[5.0, 80.0, 3.0], in90=[1.0, 0.0, np.nan])
    assert R.confidently_wrong(rows)["error_m"].tolist() == [80.0]


def test_lucky_is_small_error_with_a_large_region():
    radius = np.array([60.0, 40.0, 80.0, R.LUCKY_MIN_RADIUS_M, np.nan])
    rows = _posterior_rows(
        error_m=[5.0, 5.0, 15.0, R.LUCKY_MAX_ERROR_M, 1.0], area90_m2=np.pi * radius**2
    )
    assert R.lucky(rows).index.tolist() == [0, 3]  # boundaries included; no region: not lucky
    assert R.lucky(rows, max_error_m=20, min_radius_m=70).index.tolist() == [2]
    assert R.radius90_m(rows).iloc[:4].tolist() == pytest.approx(radius[:4])


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
    pick = lambda view, k=8: R.pick_cases(rows, "locnet", "env-focal", view, k=k)  # noqa: E731
    assert pick("best", 2)["error_m"].tolist() == [2.0, 4.0]
    assert pick("worst", 1)["error_m"].tolist() == [90.0]
    assert pick("confidently wrong")["error_m"].tolist() == [90.0, 50.0]  # worst first
    assert pick("lucky")["error_m"].tolist() == [2.0, 4.0]  # largest region first
    assert pick("all")[["map", "tx"]].values.tolist() == [["0", 0], ["0", 1], ["1", 0], ["1", 1]]
    with pytest.raises(ValueError, match="unknown view"):
        pick("random")


def test_readout_rmse_and_calibration_summary(result_folder):
    res = R.load_results(result_folder)
    table = R.readout_rmse(res.summary)
    assert list(table.columns) == ["mode", "mean", "median"]
    assert "RSS centroid" not in table.index  # point answers have no readouts to compare
    mode = res.summary.query("model == 'locnet' and variant == 'env-focal' and readout == 'mode'")
    expected = mode[mode["rate_percent"] < 0.095]["rmse_m"].mean()
    assert table.loc["LocNet (env-focal)", "mode"] == pytest.approx(expected)
    assert (table["mean"] < table["mode"]).all()  # the fake mean is 10 % closer
    calibration = R.calibration_summary(res.samples, res.meta).set_index(["series", "readout"])
    row = calibration.loc[("LocNet (env-focal)", "mode")]
    locnet = res.samples.query("model == 'locnet' and variant == 'env-focal' and readout == 'mode'")
    assert row["coverage90"] == pytest.approx((locnet["credible_level"] < 0.9).mean())
    assert row["calibration"].startswith("calibrated T=0.5")
    assert calibration.loc[("MSLocNet", "mode"), "calibration"] == "uncalibrated (T = 1)"
    assert "RSS centroid" not in calibration.index.get_level_values(0)
