"""AppTest of the Benchmark, Ablation, Environments and Cases pages on results made here.

The results folder is built from the `tiny_dataset` fixture's real mask files (so the
Cases page can draw sensors) with synthetic errors; the pages only read it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from locnet.app.keys import CHECKPOINT_DIR, DATASET_DIR, MAP_ID, SENSOR_SOURCE, SENSORS
from locnet.evaluate.folders import (
    PER_ENV_FILE,
    ROOT_KEY,
    SAMPLES_FILE,
    SUMMARY_FILE,
    list_result_folders,
    load_results,
)
from locnet.report.readouts import LUCKY_MAX_ERROR_M, LUCKY_MIN_RADIUS_M, readout_label
from tests.results_data import SCALE_M, with_readouts, write_results_folder

REPO = Path(__file__).resolve().parents[2]
PAGES = ("benchmark", "ablation", "gallery_environments", "gallery_cases")
TIMEOUT_S = 600  # a hang guard only: a page takes ~1 s, ten times that on a busy machine


def samples_for_dataset(root: Path, models=tuple(SCALE_M), seed: int = 0) -> pd.DataFrame:
    """One row per (mask file, model, readout) of every split, errors shrinking with the rate;
    heatmap models have three readouts and random posterior columns (tests.results_data)."""
    from locnet.data.radiomapseer import open_dataset

    ds = open_dataset(root)
    cities = ds.metadata.set_index("map")
    refs = [r for split in ("train", "val", "test") for r in ds.mask_refs(split, read_rates=True)]
    rng = np.random.default_rng(seed)
    rows = []
    for ref in refs:
        tx = ds.transmitter(ref.map_id, ref.tx_id)
        for model, variant in models:
            error = (
                SCALE_M[(model, variant)] * np.sqrt(0.01 / ref.rate_percent) * rng.uniform(0.2, 1.0)
            )
            angle = rng.uniform(0, 2 * np.pi)
            rows.append(
                {
                    "map": str(ref.map_id),
                    "env_id": cities.loc[ref.map_id, "env_id"],
                    "city": f"{cities.loc[ref.map_id, 'city']} {ref.map_id}",
                    "tx": ref.tx_id,
                    "mask": ref.k,
                    "rate_percent": ref.rate_percent,
                    "model": model,
                    "variant": variant,
                    "pred_x": tx[0] + error * np.cos(angle),
                    "pred_y": tx[1] + error * np.sin(angle),
                    "true_x": tx[0],
                    "true_y": tx[1],
                    "error_m": error,
                    "runtime_ms": 2.0,
                }
            )
    return with_readouts(pd.DataFrame(rows), seed)


@pytest.fixture(scope="module")
def results_root(tiny_dataset, tmp_path_factory) -> Path:
    from locnet.data.radiomapseer import open_dataset

    root = tmp_path_factory.mktemp("app-results") / "results"
    write_results_folder(
        root / "tiny",
        samples_for_dataset(tiny_dataset),
        fingerprint=open_dataset(tiny_dataset).fingerprint(),
        dataset_path=str(tiny_dataset),
    )
    return root


def page(name: str, results_root: Path | str, dataset: Path | str) -> AppTest:
    at = AppTest.from_file(str(REPO / "app_pages" / f"{name}.py"), default_timeout=TIMEOUT_S)
    at.session_state[ROOT_KEY] = str(results_root)
    at.session_state[DATASET_DIR] = str(dataset)
    return at.run()


def widget(at: AppTest, kind: str, label: str):
    """The first widget of a kind with this label (robust to the order of columns)."""
    return next(w for w in getattr(at, kind) if w.label == label)


def texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("markdown", "caption", "info", "warning", "error", "subheader", "title")
        for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_pages_load_without_errors(name, results_root, tiny_dataset):
    at = page(name, results_root, tiny_dataset)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert not at.warning, [w.value for w in at.warning]  # same dataset: no mismatch warning
    assert at.selectbox[0].value == "tiny"
    assert (
        "summary.csv" in texts(at)
        or "per_environment.csv" in texts(at)
        or "samples.parquet" in texts(at)
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_missing_results_show_the_command(name, tmp_path, tiny_dataset):
    at = page(name, tmp_path / "empty", tiny_dataset)
    assert not at.exception
    assert "python -m locnet evaluate --data" in texts(at) and "--models all" in texts(at)


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_broken_results_are_an_error_not_a_traceback(name, results_root, tmp_path, tiny_dataset):
    broken = tmp_path / "results"
    shutil.copytree(results_root / "tiny", broken / "tiny")
    summary = pd.read_csv(broken / "tiny" / SUMMARY_FILE).drop(columns=["median_m"])
    summary.to_csv(broken / "tiny" / SUMMARY_FILE, index=False)
    at = page(name, broken, tiny_dataset)
    assert not at.exception
    assert "median_m" in at.error[0].value and "python -m locnet evaluate" in at.error[0].value


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "table"),
    [("gallery_cases", SAMPLES_FILE), ("gallery_environments", PER_ENV_FILE)],
)
def test_gallery_without_its_table_names_the_file_and_command(
    name, table, results_root, tmp_path, tiny_dataset
):
    partial = tmp_path / "results"
    shutil.copytree(results_root / "tiny", partial / "tiny")
    (partial / "tiny" / table).unlink()
    at = page(name, partial, tiny_dataset)
    assert not at.exception
    assert table in at.error[0].value and "python -m locnet evaluate" in at.error[0].value


@pytest.mark.slow
def test_other_dataset_is_flagged(results_root, tmp_path, tiny_dataset):
    other = tmp_path / "results"
    shutil.copytree(results_root / "tiny", other / "tiny")
    samples = pd.read_parquet(other / "tiny" / SAMPLES_FILE).assign(city="Atlantis")
    write_results_folder(
        other / "tiny", samples, fingerprint="0" * 16, dataset_path="data/elsewhere"
    )
    at = page("gallery_environments", other, tiny_dataset)
    assert (
        "data/elsewhere" in at.warning[0].value
        and "python -m locnet evaluate" in at.warning[0].value
    )
    assert not at.get("image")  # no building maps of the wrong dataset


@pytest.mark.slow
def test_benchmark_filters_change_the_plot(results_root, tiny_dataset):
    at = page("benchmark", results_root, tiny_dataset)
    assert widget(at, "selectbox", "Metric").value == "within10_pct"  # the fair comparison
    chart = at.get("plotly_chart")[0]
    assert '"LocNet (env-focal)"' in chart.proto.spec and "% within 10 m" in chart.proto.spec
    widget(at, "selectbox", "Metric").set_value("rmse_m").run()
    assert "paper, RadioMapSeer" in at.get("plotly_chart")[0].proto.spec
    at.multiselect[0].set_value(["MSLocNet"]).run()
    spec = at.get("plotly_chart")[0].proto.spec
    assert "LocNet (env-focal)" not in spec and "MSLocNet" in spec
    widget(at, "selectbox", "Metric").set_value("median_m").run()
    spec = at.get("plotly_chart")[0].proto.spec
    assert "median error" in spec and "paper, RadioMapSeer" not in spec


@pytest.mark.slow
def test_benchmark_readouts_and_reliability(results_root, tiny_dataset):
    at = page("benchmark", results_root, tiny_dataset)
    readout = widget(at, "selectbox", "Heatmap readout")
    assert readout.options == [readout_label(r) for r in ("mode", "mean", "median")]
    assert readout.value == "mean"  # the LocNet checkpoint's calibrated default (meta.json)
    assert "(heatmap readout: mean)" in at.get("plotly_chart")[0].proto.spec
    by_readout = next(d.value for d in at.dataframe if "median" in d.value.columns)
    assert list(by_readout.columns) == ["model", "mode", "mean", "median"]
    assert "LocNet (env-focal)" in set(by_readout["model"])
    assert "RSS centroid" not in set(by_readout["model"])
    reliability = [c for c in at.get("plotly_chart") if "Reliability" in c.proto.spec]
    assert len(reliability) == 1 and "calibrated" in reliability[0].proto.spec
    table = next(d.value for d in at.dataframe if "calibration" in d.value.columns)
    assert set(table["readout"]) == {"mean"} and table["calibration"].str.contains("T=0.5").any()
    readout.set_value("median").run()
    assert "(heatmap readout: median)" in at.get("plotly_chart")[0].proto.spec
    assert "median" in texts(at)


@pytest.mark.slow
def test_old_results_folder_shows_the_mode(results_root, tiny_dataset, tmp_path):
    from tests.results_data import old_schema

    root = tmp_path / "results"
    samples = old_schema(pd.read_parquet(results_root / "tiny" / SAMPLES_FILE))
    write_results_folder(root / "old", samples, calibration=None, dataset_path=str(tiny_dataset))
    for name in PAGES:
        at = page(name, root, tiny_dataset)
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert widget(at, "selectbox", "Heatmap readout").options == [readout_label("mode")]
    at = page("benchmark", root, tiny_dataset)
    assert "no credible levels" in texts(at).lower() and "re-evaluate" in texts(at).lower()
    at = page("gallery_cases", root, tiny_dataset)
    at.radio[0].set_value("confidently wrong").run()
    assert "holds no credible levels of LocNet (env-focal)" in texts(at)


@pytest.mark.slow
def test_ablation_states_the_improvement(results_root, tiny_dataset):
    at = page("ablation", results_root, tiny_dataset)
    labels = [m.label for m in at.metric]
    assert "relative improvement" in labels
    value = next(m.value for m in at.metric if m.label == "relative improvement")
    assert value.endswith("%") and float(value.rstrip(" %")) > 0  # fake env errors are 20 % lower
    table = next(d.value for d in at.dataframe if "loss" in d.value.columns)
    assert table.iloc[0]["variant"] == "env-focal"
    overview = at.dataframe[0].value  # every variant's % within 10 m, median and RMSE
    assert {"within 10 m (%)", "median error (m)", "RMSE (m)"} <= set(overview.columns)


@pytest.mark.slow
def test_environment_gallery_sorted_and_filtered(results_root, tiny_dataset):
    at = page("gallery_environments", results_root, tiny_dataset)
    table = at.dataframe[0].value
    assert table["RMSE (m)"].is_monotonic_increasing
    assert {"building density (%)", "building blocks", "median error (m)"} <= set(table.columns)
    assert {"within 10 m (%)"} <= set(table.columns) and "rmse_m" not in table.columns
    assert len(at.get("image")) > 0
    before = table["RMSE (m)"].tolist()
    widget(at, "selectbox", "Sampling rate (%)").set_value(0.01).run()
    assert at.dataframe[0].value["RMSE (m)"].tolist() != before


@pytest.mark.slow
def test_case_gallery_filters_and_compares(results_root, tiny_dataset):
    at = page("gallery_cases", results_root, tiny_dataset)
    headers = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert len(headers) == 4 and all("sensors" in h for h in headers)
    at.radio[0].set_value("worst").run()
    worst = [m.value for m in at.markdown if m.value.startswith("**#")]
    assert worst != headers
    widget(at, "selectbox", "Compare with").set_value("MSLocNet").run()
    assert len(at.get("plotly_chart")) == 2 * 4
    city = min(at.multiselect[0].options)
    at.multiselect[0].set_value([city]).run()
    assert all(city in m.value for m in at.markdown if m.value.startswith("**#"))


@pytest.mark.slow
def test_open_in_explorer_hands_the_case_over(make_app, results_root, tiny_dataset):
    at = make_app(**{ROOT_KEY: str(results_root)}).run()
    at.switch_page("app_pages/gallery_cases.py").run()
    assert not at.exception and at.title[0].value == "Cases"
    header = next(m.value for m in at.markdown if m.value.startswith("**#1"))
    n_sensors = int(header.split(" sensors")[0].rsplit("· ", 1)[1])
    at.button(key="open-case-0").click().run()
    assert not at.exception
    assert at.title[0].value == "Explorer"
    assert at.session_state[SENSOR_SOURCE] == "case"
    assert len(at.session_state[SENSORS]) == n_sensors
    assert f"map {at.session_state[MAP_ID]} ·" in header


@pytest.mark.slow
def test_rerun_writes_a_new_folder(results_root, tiny_dataset, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(results_root / "tiny", root / "tiny")
    before = (root / "tiny" / SUMMARY_FILE).read_bytes()
    at = AppTest.from_file(str(REPO / "app_pages" / "benchmark.py"), default_timeout=TIMEOUT_S * 3)
    at.session_state[ROOT_KEY] = str(root)
    at.session_state[DATASET_DIR] = str(tiny_dataset)
    at.session_state[CHECKPOINT_DIR] = str(
        tmp_path / "no-checkpoints"
    )  # classical models only
    at.run()
    at.slider[0].set_value(1)
    next(b for b in at.button if b.label == "Run evaluation").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    new = [p for p in list_result_folders(root) if p.name != "tiny"]
    assert len(new) == 1 and new[0].name.startswith("rerun-")
    assert at.selectbox[0].value == new[0].name  # the page now shows the new results
    assert (root / "tiny" / SUMMARY_FILE).read_bytes() == before  # nothing overwritten
    res = load_results(new[0])
    assert set(res.summary["model"]) >= {"centre", "centroid"}
    assert "--limit 1" in res.meta["command"]


def answers(at: AppTest) -> list[str]:
    """The line under each case header: readout, error and what the posterior expected."""
    return [m.value for m in at.markdown if ": error **" in m.value]


def chart_titles(at: AppTest) -> list[str]:
    return [
        (json.loads(c.proto.spec)["layout"].get("title") or {}).get("text") or ""
        for c in at.get("plotly_chart")
    ]


@pytest.mark.slow
def test_case_gallery_confidently_wrong_and_lucky(results_root, tiny_dataset):
    at = page("gallery_cases", results_root, tiny_dataset)
    assert widget(at, "selectbox", "Heatmap readout").value == "mean"
    assert all("(mean)" in a and "expected error" in a for a in answers(at))
    # each card states its error once: in its line, not again as its map's title ...
    heads = [a.split(" · ")[0].replace("**", "") for a in answers(at)]  # 'X (mean): error 0.1 m'
    assert heads and len(chart_titles(at)) == len(heads)
    assert not [t for t in chart_titles(at) if ": error" in t]
    # ... unless a comparison stands beside it: then both maps say whose they are
    widget(at, "selectbox", "Compare with").set_value("RSS centroid").run()
    titles = chart_titles(at)
    assert titles[0::2] == heads and all(t.startswith("RSS centroid: error") for t in titles[1::2])
    widget(at, "selectbox", "Compare with").set_value("(none)").run()
    at.radio[0].set_value("confidently wrong").run()
    wrong = answers(at)
    assert wrong and all("truth **outside**" in a for a in wrong)
    at.radio[0].set_value("lucky").run()
    lucky = answers(at)
    assert lucky
    for line in lucky:
        error = float(line.split("error **")[1].split(" m")[0])
        radius = float(line.split("region radius ")[1].split(" m")[0])
        assert error <= LUCKY_MAX_ERROR_M and radius >= LUCKY_MIN_RADIUS_M - 0.5
    widget(at, "selectbox", "Model").set_value("RSS centroid").run()
    assert not answers(at) and "without a posterior" in texts(at)
    at.radio[0].set_value("all").run()
    assert all("no posterior (point answer)" in a for a in answers(at))


def symlink_loop_dataset(dataset: Path, folder: Path) -> tuple[Path, Path]:
    """A copy of `dataset` whose first radio map (DPM/0_1.png in the fault probe) is a
    symbolic link to itself: (the copy, the looping file)."""
    copy = folder / "loop-dataset"
    shutil.copytree(dataset, copy)
    victim = min((copy / "DPM").glob("*.png"))
    victim.unlink()
    victim.symlink_to(victim.name)
    return copy, victim


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_a_dataset_with_a_symlink_loop_is_a_message_on_every_results_page(
    name, results_root, tiny_dataset, tmp_path
):
    """N116: the results pages opened the dataset unguarded (OSError: Too many levels of
    symbolic links); they now go through the sidebar's guard (cache.open_dataset_safely)."""
    broken, victim = symlink_loop_dataset(tiny_dataset, tmp_path)
    at = page(name, results_root, broken)
    assert not at.exception, at.exception
    message = next(w.value for w in at.warning if "symbolic link loop" in w.value)
    assert str(victim) in message and "point at the real file or folder" in message
    assert at.selectbox[0].value == "tiny"  # the results still show, without the dataset
