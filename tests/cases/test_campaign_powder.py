"""Campaign cases of real POWDER samples (the committed copy in data/real/powder):
`localize` on an exported case gives the numbers `evaluate-powder` wrote to results/powder
for that sample and model, and a training sample is labelled in-sample, never a test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.cases.campaign import read_campaign
from locnet.cases.campaign_localize import campaign_row, localize_campaign
from locnet.cases.case import CaseError
from locnet.cli import main
from locnet.measurements.dataset import DEFAULT_FOLDER, PowderDataset
from locnet.measurements.evaluate import is_learned

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "results" / "powder"
CHECKPOINTS = ROOT / "checkpoints" / "real"
FAST_MODELS = ["rss-strongest", "rss-centroid", "rss-knn", "rss-mlp"]
LEARNED_M = 0.01  # float32 posterior readouts over a batch of 1, not evaluate's 64: ~1 mm apart


@pytest.fixture(scope="module")
def dataset() -> PowderDataset:
    return PowderDataset.open(ROOT / DEFAULT_FOLDER)


def median_sample(split: str, model: str = "rss-mlp") -> str:
    """The test sample at the median of `model`'s errors in results/powder/<split>."""
    table = pd.read_parquet(RESULTS / split / "samples.parquet")
    errors = table[table["model"] == model].sort_values(["error_m", "sample"])
    return str(errors["sample"].iloc[len(errors) // 2])


def export(tmp_path: Path, sample: str, *flags: str) -> Path:
    out = tmp_path / "case"
    args = ["export-powder-case", "--sample", sample, "--data", str(ROOT / DEFAULT_FOLDER)]
    assert main([*args, *flags, "--out", str(out)]) == 0
    return out


def expected_rows(split: str, sample: str) -> pd.DataFrame:
    table = pd.read_parquet(RESULTS / split / "samples.parquet")
    return table[table["sample"] == sample].set_index("model")


def check_against_results(case, answers, split: str) -> None:
    expected = expected_rows(split, case.sample.sample)
    for answer in answers:
        row, want = campaign_row(answer, case), expected.loc[answer.model]
        tolerance = LEARNED_M if is_learned(answer.model) else 1e-6
        assert row["readout"] == want["readout"], answer.model
        assert row["x_m"] == pytest.approx(want["pred_x_m"], abs=tolerance), answer.model
        assert row["y_m"] == pytest.approx(want["pred_y_m"], abs=tolerance), answer.model
        assert row["error_m"] == pytest.approx(want["error_m"], abs=tolerance), answer.model
        assert row["lat"] == pytest.approx(want["pred_lat"], abs=1e-7)
        if is_learned(answer.model):
            assert row["area_90_m2"] == pytest.approx(want["area90_m2"], rel=1e-6)
            assert row["credible_level"] == pytest.approx(want["credible_level"], abs=1e-4)
        assert answer.scored_as.startswith("test")


def test_an_exported_test_sample_gets_the_evaluated_numbers(tmp_path):
    sample = median_sample("random")
    case = read_campaign(export(tmp_path, sample, "--split", "random"))
    assert case.provenance.split == "random" and case.provenance.sample == sample
    run = localize_campaign(
        case, FAST_MODELS, powder=ROOT / DEFAULT_FOLDER, checkpoints=CHECKPOINTS
    )
    assert [a.model for a in run.answers] == FAST_MODELS
    check_against_results(case, run.answers, "random")


@pytest.mark.slow
@pytest.mark.parametrize("split", ["random", "grid"])
def test_every_model_matches_results_powder_through_the_cli(tmp_path, split):
    sample = median_sample(split)
    folder = export(tmp_path, sample, "--split", split)
    out = tmp_path / "out"
    assert main(["localize", "--case", str(folder), "--powder", str(ROOT / DEFAULT_FOLDER),
                 "--checkpoints", str(ROOT / "checkpoints"), "--out", str(out)]) == 0  # fmt: skip
    table = pd.read_csv(out / "estimates.csv").set_index("model")
    expected = expected_rows(split, sample)
    assert sorted(table.index) == sorted(expected.index)
    for model, want in expected.iterrows():
        tolerance = LEARNED_M if is_learned(model) else 1e-3  # the CSV rounds to 1 mm
        assert table.loc[model, "x_m"] == pytest.approx(want["pred_x_m"], abs=tolerance), model
        assert table.loc[model, "error_m"] == pytest.approx(want["error_m"], abs=tolerance), model


def test_a_training_sample_is_labelled_in_sample_not_a_test(tmp_path, dataset):
    sample = median_sample("random")
    train_ids, _ = dataset.split("grid")
    assert sample in set(train_ids)  # the random split's median sample trains grid's models
    folder = export(tmp_path, sample, "--split", "random")
    meta = json.loads((folder / "case.json").read_text())
    meta["campaign"]["split"] = "grid"
    (folder / "case.json").write_text(json.dumps(meta))
    case = read_campaign(folder)
    run = localize_campaign(
        case, ["rss-knn"], powder=ROOT / DEFAULT_FOLDER, checkpoints=CHECKPOINTS
    )
    (answer,) = run.answers
    assert "in-sample" in answer.scored_as and "leakage, not a test" in answer.scored_as
    assert "training side" in answer.trained_on


def test_export_refuses_a_split_that_trains_on_the_sample(tmp_path, capsys):
    sample = median_sample("random")
    args = ["export-powder-case", "--sample", sample, "--split", "grid",
            "--data", str(ROOT / DEFAULT_FOLDER), "--out", str(tmp_path / "c")]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"--split grid: sample {sample!r} is not on its test side" in err
    assert "random" in err and not (tmp_path / "c").exists()


def test_an_unknown_receiver_of_a_powder_case_names_file_field_and_line(tmp_path):
    folder = export(tmp_path, median_sample("random"), "--split", "random")
    readings = (folder / "readings.csv").read_text().splitlines()
    readings[2] = "no-such-node" + readings[2][readings[2].index(",") :]
    (folder / "readings.csv").write_text("\n".join(readings) + "\n")
    case = read_campaign(folder)
    with pytest.raises(
        CaseError, match=r"readings.csv: receiver 'no-such-node' \(line\(s\) 3\) is not a receiver"
    ):
        localize_campaign(case, ["rss-knn"], powder=ROOT / DEFAULT_FOLDER, checkpoints=CHECKPOINTS)


def test_the_committed_campaign_examples_read_and_name_a_test_split():
    folders = sorted((ROOT / "examples" / "campaigns").glob("*/case.json"))
    assert len(folders) >= 2
    for path in folders:
        case = read_campaign(path.parent)
        assert case.provenance.dataset == "powder"
        assert np.isfinite(case.sample.xy_m).all() and len(case.sample.truth_m) >= 1
