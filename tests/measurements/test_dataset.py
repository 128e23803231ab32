"""Reading the compact copy: samples one by one and as batches, derived training sides, a
changed file refused; and the committed copy itself (data/real/powder)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from locnet.errors import DatasetError
from locnet.files import PROJECT_ROOT
from locnet.measurements.dataset import (
    DEFAULT_FOLDER,
    MANIFEST_FILE,
    SAMPLES_FILE,
    PowderDataset,
)
from locnet.measurements.importer import MAX_COPY_BYTES
from locnet.measurements.splits import SPLIT_NAMES
from tests.measurements.conftest import FIXED, N_SINGLE, fixed_xy, stamps

COMMITTED = PROJECT_ROOT / DEFAULT_FOLDER


def test_sample_gives_heard_receivers_and_truth(imported):
    data = PowderDataset.open(imported)
    first = data.sample(stamps(1)[0])
    assert len(first.receivers) == len(first.rss_db) == len(first.xy_m) > 0
    assert np.isfinite(first.rss_db).all() and (first.rss_db > -101).all()
    positions = fixed_xy()
    for name, xy in zip(first.receivers, first.xy_m):
        if name in FIXED:
            assert np.allclose(xy, positions[name], atol=1e-3)
    assert first.truth_m.shape == (1, 2)
    two = data.sample(stamps(1, minute=30)[0])
    assert two.truth_m.shape == (2, 2) and np.isfinite(two.truth_m).all()


def test_split_training_side_is_every_other_single_sample(imported):
    data = PowderDataset.open(imported)
    assert tuple(data.splits) == SPLIT_NAMES
    two_tx = set(data.samples.loc[data.samples["n_tx"] == 2, "sample"])
    for name in SPLIT_NAMES:
        train, test = data.split(name)
        assert set(test) == set(data.splits[name]["test"])
        assert len(train) + len(test) == N_SINGLE
        assert not (set(train) & set(test)) and not (set(train) & two_tx)
    batch = data.batch(train)
    assert batch.rss_db.shape == (len(train), len(data.receiver_ids))
    assert batch.fixed.sum() == len(FIXED)
    assert np.isfinite(batch.xy_m[:, batch.fixed]).all()  # fixed receivers: always placed
    assert data.truth_m(train).shape == (len(train), 2)
    with pytest.raises(DatasetError, match="unknown split 'summer'"):
        data.split("summer")


def test_a_changed_or_missing_copy_is_refused(imported, tmp_path):
    with pytest.raises(DatasetError, match="import-powder"):
        PowderDataset.open(tmp_path / "nothing")
    copy = tmp_path / "copy"
    shutil.copytree(imported, copy)
    with open(copy / SAMPLES_FILE, "a") as handle:
        handle.write("2030-01-01 00:00:00,1,40.76,-111.84,,\n")
    with pytest.raises(DatasetError, match="samples.csv is changed since the import"):
        PowderDataset.open(copy)


def test_the_committed_copy_is_complete_small_and_on_the_grid():
    manifest = json.loads((COMMITTED / MANIFEST_FILE).read_text())
    size = sum((COMMITTED / name).stat().st_size for name in manifest["files"])
    assert size <= MAX_COPY_BYTES
    for name in ("LICENSE", "SOURCE.md", "DATASET-README.md", "README.md"):
        assert (COMMITTED / name).is_file()
    assert "MIT License" in (COMMITTED / "LICENSE").read_text()
    data = PowderDataset.open(COMMITTED)
    counts = manifest["counts"]
    assert (counts["samples_1tx"], counts["samples_2tx"]) == (5006, 346)
    assert len(data.samples) == 5006 + 346
    assert {n: len(s["test"]) for n, s in data.splits.items()} == {
        "random": 826, "grid": 666, "april": 811, "november": 351,
        "walking": 688, "driving": 879, "indoor": 89, "off_campus": 156,
    }  # fmt: skip
    truth = data.truth.reshape(-1, 2)
    used = np.isfinite(truth[:, 0])
    assert used.sum() == 5006 + 2 * 346 and data.grid.contains(*truth[used].T).all()
    heard = np.isfinite(data.rss_db)
    assert heard.sum() == counts["readings"] and heard.any(axis=1).all()
    assert data.grid.contains(*data.xy_m[heard].T).all()
    assert (data.rss_db[heard] > -101).all()
    assert len(data.receiver_ids) == 40 and data.fixed.sum() == 29
