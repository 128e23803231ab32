"""AppTest of the Benchmark page's compute-campaign part: the larger test set, the
propagation shift, the equal-CPU-budget comparison and RMSE vs training budget."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from locnet.evaluate.folders import SUMMARY_FILE, load_results
from locnet.report import campaign as C
from tests.app.test_result_pages import page, results_root, texts  # noqa: F401 (fixture)
from tests.results_data import synthetic_samples, write_results_folder


def values(array) -> list:
    """A plotly JSON array: a list, or {dtype, bdata} (base64 of the numpy buffer)."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def campaign_root(results_root: Path, tmp_path: Path, folders: dict) -> Path:
    """A results root holding the tiny folder and, per name, a folder of these samples."""
    root = tmp_path / "results"
    shutil.copytree(results_root / "tiny", root / "tiny")
    for name, samples in folders.items():
        write_results_folder(root / name, samples, date="2024-01-01T00:00:00")
    return root


@pytest.mark.slow
def test_campaign_sections(results_root, tiny_dataset, tmp_path):
    samples = synthetic_samples()
    worse = samples.assign(error_m=2 * samples["error_m"])
    root = campaign_root(results_root, tmp_path, {"testset": samples, "testset-shift": worse})
    at = page("benchmark", root, tiny_dataset)
    assert not at.exception, at.exception
    assert at.selectbox[0].value == "tiny"
    shown = texts(at)
    assert [h.value for h in at.header] == ["Compute campaign"]
    assert f"`{root / 'equal-budget'}` does not exist yet" in shown
    assert "--checkpoints checkpoints/equal-budget" in shown
    specs = [c.proto.spec for c in at.get("plotly_chart")]
    shift = [s for s in specs if "randomised-propagation test set" in s]
    assert len(shift) == 1 and "LocNet (env-focal), randomised propagation" in shift[0]
    budget = [json.loads(s) for s in specs if "Validation RMSE vs training budget" in s]
    assert len(budget) == 1
    locnet = next(t for t in budget[0]["data"] if t["name"].endswith("checkpoints/locnet.pt"))
    assert values(locnet["x"])[-1] == 115272  # cumulative over the seven stages
    at.radio[0].set_value("cpu_hours").run()
    assert not at.exception
    spec = next(c.proto.spec for c in at.get("plotly_chart") if "training budget" in c.proto.spec)
    assert "CPU-hours" in spec


@pytest.mark.slow
def test_campaign_info_lines_without_results(results_root, tiny_dataset):
    at = page("benchmark", results_root, tiny_dataset)
    assert not at.exception and not at.error
    infos = [i.value for i in at.info]
    assert any("testset` does not exist yet" in i and "--data data/testset " in i for i in infos)
    assert any("testset-shift` does not exist yet" in i for i in infos)
    assert SUMMARY_FILE not in "".join(infos)


@pytest.mark.slow
def test_equal_budget_section_names_the_best_model_per_rate(results_root, tiny_dataset, tmp_path):
    root = campaign_root(results_root, tmp_path, {"equal-budget": synthetic_samples()})
    at = page("benchmark", root, tiny_dataset)
    assert not at.exception, at.exception
    expected = C.winner_line(C.rate_winners(load_results(root / "equal-budget").summary, None))
    assert expected.startswith("Lowest RMSE per rate: ")
    assert expected in texts(at)


@pytest.mark.slow
def test_the_physical_limit_and_the_physics_on_the_shift_are_on_the_page(results_root, tiny_dataset, tmp_path):
    samples = synthetic_samples()
    first = samples[samples["mask"] == samples["mask"].min()]
    oracle = first[first["model"] == first["model"].iloc[0]].assign(
        model="simfit", variant="default", readout="mode", error_m=1.0
    )
    fusion = oracle.assign(model="fusion", error_m=3.0)
    root = campaign_root(
        results_root,
        tmp_path,
        {"testset": samples, "testset-shift": samples, "testset-physics": oracle, "testset-shift-physics": fusion},
    )
    at = page("benchmark", root, tiny_dataset)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "physical limit: simfit, exact parameters (oracle), mode" in shown and "(x" in shown
    assert "LocNet x simfit (fusion)" in shown
