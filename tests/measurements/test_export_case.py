"""`python -m locnet export-powder-case` on the test release: an exported sample reads back
as the same sample (to 1e-6 m), with its receivers' ids and kinds, its transmitter(s) and
its provenance; bad requests are one-line errors and never leave a half-written case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from locnet.cases.campaign import read_campaign
from locnet.cli import main
from locnet.measurements.dataset import PowderDataset


def export(copy: Path, out: Path, sample: str, *flags: str) -> int:
    return main(["export-powder-case", "--data", str(copy), "--sample", sample, *flags,
                 "--out", str(out)])  # fmt: skip


def test_an_exported_sample_reads_back_the_same(imported, tmp_path):
    dataset = PowderDataset.open(imported)
    _, test_ids = dataset.split("grid")
    sample = str(test_ids[0])
    assert export(imported, tmp_path / "c", sample, "--split", "grid") == 0
    case = read_campaign(tmp_path / "c")
    want = dataset.sample(sample)
    assert case.grid == dataset.grid
    assert case.sample.sample == sample and case.sample.receivers == want.receivers
    np.testing.assert_allclose(case.sample.xy_m, want.xy_m, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(case.sample.rss_db, want.rss_db)
    np.testing.assert_allclose(case.sample.truth_m, want.truth_m, atol=1e-6, rtol=0)
    kinds = dataset.receivers.set_index("receiver")["kind"]
    assert case.kinds == tuple(kinds[r] for r in want.receivers)
    p = case.provenance
    assert (p.dataset, p.fingerprint, p.split, p.sample) == (
        "powder",
        dataset.fingerprint,
        "grid",
        sample,
    )
    meta = json.loads((tmp_path / "c" / "case.json").read_text())
    assert meta["format"] == "locnet-case/2" and "grid" in meta["metadata"]["test_side_of"]


def test_the_default_split_is_the_first_whose_test_side_holds_the_sample(imported, tmp_path):
    dataset = PowderDataset.open(imported)
    sample = str(dataset.split("random")[1][0])
    assert export(imported, tmp_path / "c", sample) == 0
    holders = [s for s in dataset.splits if sample in set(dataset.split(s)[1])]
    assert read_campaign(tmp_path / "c").provenance.split == holders[0]


def test_a_two_transmitter_sample_keeps_both_and_names_no_split(imported, tmp_path):
    dataset = PowderDataset.open(imported)
    two = str(dataset.samples.loc[dataset.samples["n_tx"] == 2, "sample"].iloc[0])
    assert export(imported, tmp_path / "c", two) == 0
    case = read_campaign(tmp_path / "c")
    np.testing.assert_allclose(case.sample.truth_m, dataset.sample(two).truth_m, atol=1e-6)
    assert case.sample.truth_m.shape == (2, 2) and case.provenance.split is None


def test_bad_requests_are_one_line_errors_and_write_nothing(imported, tmp_path, capsys):
    dataset = PowderDataset.open(imported)
    train_ids, _ = dataset.split("grid")
    assert export(imported, tmp_path / "a", "1999-01-01 00:00:00") == 2
    assert "unknown sample(s)" in capsys.readouterr().err
    assert export(imported, tmp_path / "b", str(train_ids[0]), "--split", "grid") == 2
    assert "is not on its test side" in capsys.readouterr().err
    assert export(imported, tmp_path / "c", str(train_ids[0]), "--split", "nope") == 2
    assert "unknown split 'nope'" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_an_existing_case_is_replaced_whole_only_with_force(imported, tmp_path, capsys):
    dataset = PowderDataset.open(imported)
    first, second = (str(s) for s in dataset.split("random")[1][:2])
    out = tmp_path / "c"
    assert export(imported, out, first) == 0
    (out / "stale.txt").write_text("from before")
    assert export(imported, out, second) == 2
    assert "already holds" in capsys.readouterr().err
    assert export(imported, out, second, "--force") == 0
    assert sorted(p.name for p in out.iterdir()) == ["case.json", "readings.csv"]
    assert read_campaign(out).sample.sample == second


def test_a_failed_write_leaves_the_old_case(imported, tmp_path, monkeypatch):
    dataset = PowderDataset.open(imported)
    first, second = (str(s) for s in dataset.split("random")[1][:2])
    out = tmp_path / "c"
    assert export(imported, out, first) == 0

    def broken(path, write):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("locnet.cases.powder_export.atomic_write", broken)
    assert export(imported, out, second, "--force") == 2
    assert read_campaign(out).sample.sample == first
    assert [p.name for p in tmp_path.iterdir()] == ["c"]  # no temporary folder left


@pytest.mark.parametrize("split", ["random", "grid"])
def test_localize_on_an_export_equals_evaluate_on_the_test_release(imported, tmp_path, split):
    """The per-sample answers of evaluate_split for the classical models, on the test
    release (the committed copy's are checked in tests/cases/test_campaign_powder.py)."""
    from locnet.cases.campaign_localize import localize_campaign
    from locnet.measurements.evaluate import evaluate_split

    dataset = PowderDataset.open(imported)
    models = ["rss-centre", "rss-strongest", "rss-centroid", "rss-pathloss", "rss-knn"]
    result = evaluate_split(dataset, split, models).samples
    sample = str(dataset.split(split)[1][-1])
    assert export(imported, tmp_path / "c", sample, "--split", split) == 0
    run = localize_campaign(read_campaign(tmp_path / "c"), models, powder=imported,
                            checkpoints=tmp_path / "none")  # fmt: skip
    for answer in run.answers:
        want = result[(result["sample"] == sample) & (result["model"] == answer.model)].iloc[0]
        want_xy = want[["pred_x_m", "pred_y_m"]].to_numpy(dtype=float)
        np.testing.assert_allclose(answer.xy_m, want_xy, atol=1e-6, err_msg=answer.model)
