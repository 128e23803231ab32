"""The pages a stakeholder demo goes through (issue #26), in AppTest: the landing page's
numbers read from the results, one results folder per page, a line when a folder shows
other weights, models at chance, Cases cards that agree with the Explorer (and open it
on the dataset case even after an upload), thumbnails that open the Explorer, charts
without Streamlit's theme and within the payload budget."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from locnet.app.keys import (
    CASE_SOURCE,
    MAP_ID,
    SENSOR_SOURCE,
    SENSORS,
    SOURCE_DATASET,
    SOURCE_UPLOAD,
    TX_ID,
    UPLOADED,
    results_folder_key,
)
from locnet.evaluate.folders import META_FILE, ROOT_KEY, load_results
from locnet.report.chance import CHANCE_LABEL, centre_errors_m
from locnet.report.headlines import headline_numbers
from tests.app.test_result_pages import samples_for_dataset
from tests.results_data import write_results_folder


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _errors(at) -> dict[str, float]:
    table = at.table[0].value
    return {m: float(e) for m, e in zip(table["model"], table["error (m)"]) if str(e).strip()}


def test_landing_numbers_are_the_results_folders(make_app, results_folder_template, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(results_folder_template, root / "demo")
    (root / "MAIN").write_text("demo\n")
    at = make_app(page=None, **{ROOT_KEY: str(root)}).run()
    assert not at.exception
    expected = headline_numbers(load_results(root / "demo"))
    assert [(m.label, m.value) for m in at.metric] == [(h.label, h.value) for h in expected]
    assert len(expected) == 3 and "within 10 m" in expected[0].label
    assert "`results/demo/samples.parquet`" in _texts(at.caption) or "samples.parquet" in _texts(
        at.caption
    )
    links = [e.proto.page for e in at.get("page_link")]
    assert len(links) == 5  # a link into every page


def test_landing_without_results_says_how_to_make_them(make_app, tmp_path):
    at = make_app(page=None, **{ROOT_KEY: str(tmp_path / "none")}).run()
    assert not at.exception and not at.metric
    assert "python -m locnet evaluate" in _texts(at.info)
    assert next(b for b in at.button if b.label == "Start the demo").disabled


def test_each_results_page_keeps_its_own_folder(make_app, results_folder_template, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(results_folder_template, root / "main")
    shutil.copytree(results_folder_template, root / "other")
    (root / "MAIN").write_text("main\n")
    at = make_app(page="benchmark", **{ROOT_KEY: str(root)}).run()
    picker = next(s for s in at.selectbox if s.label == "Results folder (newest first)")
    assert picker.value == "main"
    picker.set_value("other").run()
    assert at.session_state[results_folder_key("benchmark")] == "other"
    at.switch_page("app_pages/gallery_environments.py").run()
    picker = next(s for s in at.selectbox if s.label == "Results folder (newest first)")
    assert picker.value == "main"  # the Benchmark's choice does not leak


def test_a_folder_of_other_weights_is_one_line_with_the_command(make_app, results_folder_template, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(results_folder_template, root / "demo")
    weights = tmp_path / "locnet.pt"
    weights.write_bytes(b"newer weights")
    meta = json.loads((root / "demo" / META_FILE).read_text())
    meta["checkpoints"] = {"locnet.pt": {"path": str(weights), "model": "locnet",
                                         "variant": "env-focal", "sha256": "7f54f804" + "0" * 56}}
    meta["command"] = "python -m locnet evaluate --out results/demo"
    (root / "demo" / META_FILE).write_text(json.dumps(meta))
    for page in ("benchmark", "gallery_cases", "gallery_environments"):
        at = make_app(page=page, **{ROOT_KEY: str(root)}).run()
        assert not at.exception
        lines = [w.value for w in at.warning if "Refresh:" in w.value]
        assert len(lines) == 1 and "\n" not in lines[0], page
        assert "7f54f804…" in lines[0] and "--out results/demo --force" in lines[0]


@pytest.fixture
def chance_root(tiny_dataset, tmp_path) -> Path:
    """A folder where MSLocNet answers no better than the map centre."""
    from locnet.data.radiomapseer import open_dataset

    samples = samples_for_dataset(tiny_dataset)
    ms = samples["model"] == "mslocnet"
    samples.loc[ms, "error_m"] = centre_errors_m(samples[ms]).to_numpy()
    root = tmp_path / "results"
    write_results_folder(
        root / "tiny", samples, fingerprint=open_dataset(tiny_dataset).fingerprint(),
        dataset_path=str(tiny_dataset),
    )
    return root


@pytest.mark.slow
def test_models_at_chance_are_labelled_and_left_out_of_select_all(make_app, chance_root):
    at = make_app(page="benchmark", **{ROOT_KEY: str(chance_root)}).run()
    assert not at.exception
    models = at.multiselect[0]
    assert f"MSLocNet: {CHANCE_LABEL}" in models.options and "MSLocNet" not in models.value
    next(b for b in at.button if b.label.startswith("Select all")).click().run()
    chosen = at.multiselect[0].value
    assert "MSLocNet" not in chosen and "RSS centroid" in chosen
    takeaways = [m.value for m in at.markdown if m.value.startswith("**Takeaway.**")]
    assert len(takeaways) == 2 and "within 10 m" in takeaways[0]
    at.multiselect[0].set_value([*chosen, "MSLocNet"]).run()
    spec = at.get("plotly_chart")[0].proto.spec
    assert f"MSLocNet: {CHANCE_LABEL}" in spec
    overview = at.dataframe[0].value
    assert overview.loc[overview["model"] == "MSLocNet", "note"].iloc[0] == CHANCE_LABEL


@pytest.mark.slow
def test_cases_cards_agree_with_the_explorer_and_open_it_after_an_upload(
    make_app, evaluated_root, monkeypatch
):
    """A card's numbers are the folder's, its heatmap the same weights' (regions drawn), and
    "Open in Explorer" shows that very case, whatever the Explorer showed before. (The
    test's LocNet has random weights, at chance by the rule: the rule is switched off.)"""
    from locnet.app.examples import list_examples, load_example
    from locnet.report import chance

    monkeypatch.setattr(chance, "CHANCE_RMSE_MARGIN", -100.0)
    uploaded = load_example(list_examples()[0])
    at = make_app(
        page="gallery_cases",
        **{ROOT_KEY: str(evaluated_root), CASE_SOURCE: SOURCE_UPLOAD, UPLOADED: uploaded},
    ).run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    at.radio[0].set_value("worst").run()
    header = next(m.value for m in at.markdown if m.value.startswith("**#1"))
    line = next(m.value for m in at.markdown if ": error **" in m.value)
    card_error = float(line.split("error **")[1].split(" m")[0])
    card = json.loads(at.get("plotly_chart")[0].proto.spec)
    regions = {
        t["name"]: (t["type"], t["mode"]) for t in card["data"] if "region" in t.get("name", "")
    }
    assert regions == {"50 % region": ("scatter", "lines"), "90 % region": ("scatter", "lines")}
    assert any(m.value.startswith("**Why?**") for m in at.markdown)
    at.button(key="open-case-0").click().run()
    assert not at.exception and at.title[0].value == "Explorer"
    assert at.session_state[CASE_SOURCE] == SOURCE_DATASET and at.session_state[SENSOR_SOURCE] == "case"
    assert f"map {at.session_state[MAP_ID]} · transmitter {at.session_state[TX_ID]}" in header
    assert _errors(at)["LocNet"] == pytest.approx(card_error, abs=0.051)


@pytest.mark.slow
def test_environment_thumbnails_open_the_explorer(make_app, evaluated_root):
    at = make_app(page="gallery_environments", **{ROOT_KEY: str(evaluated_root)}).run()
    assert not at.exception
    button = next(b for b in at.button if b.label == "Open in Explorer")
    map_id = int(button.key.rsplit("-", 1)[1])
    button.click().run()
    assert not at.exception and at.title[0].value == "Explorer"
    assert at.session_state[MAP_ID] == map_id and at.session_state[CASE_SOURCE] == SOURCE_DATASET
    assert at.session_state[SENSORS]  # sampled for the map


def test_explorer_charts_have_no_streamlit_theme_and_fit_the_payload(make_app):
    """Streamlit's theme wrapped titles in one more <b> per rerun; 3 models <= 1 MB."""
    at = make_app().run()
    assert not at.exception
    charts = at.get("plotly_chart")
    assert len(charts) == 4  # the case map and three models
    assert all(c.proto.theme == "" for c in charts)
    total = sum(len(c.proto.spec) for c in charts)
    assert total < 1_000_000, total
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in charts]
    assert not any("<b>" in t for t in titles)


def test_a_model_at_chance_draws_no_regions():
    from locnet.app.explorer_results import result_figure
    from locnet.app.models import Case
    from locnet.inference import Answer

    buildings = np.zeros((256, 256), dtype=np.uint8)
    regions = np.zeros((2, 256, 256), dtype=bool)
    regions[:, 10:20, 10:20] = True
    run = Answer("MSLocNet", xy=(15.0, 15.0), readout="mode", readouts={"mode": (15.0, 15.0)},
                 heatmap=np.random.default_rng(0).random((256, 256)).astype(np.float32),
                 regions=regions, expected_error_m=3.0)
    case = Case(0, 0, (100, 100), buildings, np.zeros((256, 256), np.uint8), [(1, 1)])
    plain = result_figure(case, run)
    flagged = result_figure(case, run, chance="collapsed")
    lines = [t.name for t in plain.data if t.type == "scatter" and t.mode == "lines"]
    assert lines == ["90 % region", "50 % region"]
    assert not any("region" in (t.name or "") for t in flagged.data)
    assert CHANCE_LABEL in flagged.layout.title.text and "expected" not in flagged.layout.title.text


def test_result_tables_are_readable(make_app, results_folder_template, tmp_path):
    root = tmp_path / "results"
    shutil.copytree(results_folder_template, root / "demo")
    at = make_app(page="benchmark", **{ROOT_KEY: str(root)}).run()
    for frame in at.dataframe:
        table = frame.value
        assert not any("_" in str(c) for c in table.columns), list(table.columns)
        assert not table.isna().any().any(), list(table.columns)  # blanks, never "None"

