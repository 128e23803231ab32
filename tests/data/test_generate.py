"""generate: a valid dataset from scratch, deterministic, resumable, never over a foreign folder."""

import hashlib

import numpy as np
import pytest

from locnet.cli import main
from locnet.constants import MASKS_PER_TX, RATES_PERCENT
from locnet.data.dataset import LocalizationDataset
from locnet.data.generate import generate_dataset
from locnet.data.generate_plan import GenerateConfig
from locnet.data.radiomapseer import open_dataset
from locnet.errors import LocNetError

SMALL = GenerateConfig(
    n_cities=3, tx_per_city=1, seed=1, real_fraction=0.0, rates=(0.01,), masks_per_tx=1
)


def digest(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.png"))
    }


@pytest.mark.slow
def test_cli_generate_fresh_dataset(tmp_path, capsys):
    out = tmp_path / "gen"
    assert (
        main(
            [
                "generate",
                "--out",
                str(out),
                "--cities",
                "3",
                "--tx-per-city",
                "2",
                "--seed",
                "0",
                "--quiet",
            ]
        )
        == 0
    )
    assert "3 maps" in capsys.readouterr().out
    ds = open_dataset(out)
    assert ds.layout == "authors" and len(ds.maps) == 3 and len(ds.samples) == 6
    table = ds.metadata
    assert list(table.columns[:7]) == [
        "map",
        "env_id",
        "city",
        "source",
        "group",
        "split",
        "attribution",
    ]
    assert set(table["split"]) <= {"train", "val", "test"}
    test_maps = (table["split"] == "test").sum()
    assert test_maps >= 1  # Helsinki and Florence tiles come first
    for rate in RATES_PERCENT:
        assert len(ds.mask_refs("test", rate)) == test_maps * 2 * MASKS_PER_TX
    for m, t in ds.samples:
        x, y = ds.transmitter(m, t)
        assert ds.buildings(m)[y, x] == 0
        gray = ds.radio_map(m, t)
        assert gray[ds.buildings(m) == 1].max() == 0 and gray[y, x] > 200
    for split in ("train", "val", "test"):
        for ref in ds.mask_refs(split):
            assert ds.load_mask(ref).sum() >= 7
    item = LocalizationDataset(out, "test", cache_dir=tmp_path / "cache")[0]
    assert item["input"].shape == (2, 256, 256)


def test_deterministic_and_files_per_split(tmp_path):
    a = generate_dataset(tmp_path / "a", SMALL, progress=False)
    generate_dataset(tmp_path / "b", SMALL, progress=False)
    assert a["maps"] == 3 and a["generated"] == 3
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    ds = open_dataset(tmp_path / "a")
    splits = dict(zip(ds.metadata["map"], ds.metadata["split"]))
    assert sorted(splits.values()) == [
        "test",
        "train",
        "val",
    ]  # 3 procedural maps cover every split
    for m, split in splits.items():
        assert ds.split_of_map(m) == split
    test_refs = ds.mask_refs("test")
    assert all(r.path.parent.name == "rate_0.01" for r in test_refs)
    assert all(r.path.parent.name == "Train" for r in ds.mask_refs("train"))


def test_other_seed_differs(tmp_path):
    generate_dataset(tmp_path / "a", SMALL, progress=False)
    other = GenerateConfig(**{**SMALL.__dict__, "seed": 2})
    generate_dataset(tmp_path / "b", other, progress=False)
    assert digest(tmp_path / "a") != digest(tmp_path / "b")


def test_resume_skips_finished_maps(tmp_path):
    out = tmp_path / "gen"
    generate_dataset(out, SMALL, progress=False)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    reference = digest(out)
    (out / "DPM" / "1_0.png").unlink()  # map 1 was interrupted half-way
    (out / "buildings_complete" / "1.png").unlink()
    summary = generate_dataset(out, SMALL, progress=False)
    assert summary["skipped"] == 2 and summary["generated"] == 1
    assert digest(out) == reference
    for path, mtime in before.items():
        if "/1_" not in str(path) and not str(path).endswith("/1.png"):
            assert path.stat().st_mtime_ns == mtime, path
    again = generate_dataset(out, SMALL, progress=False)
    assert again["generated"] == 0


def test_refuses_other_settings_and_foreign_folders(tmp_path):
    out = tmp_path / "gen"
    generate_dataset(out, SMALL, progress=False)
    with pytest.raises(LocNetError, match="other settings"):
        generate_dataset(
            out, GenerateConfig(**{**SMALL.__dict__, "tx_per_city": 2}), progress=False
        )
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(LocNetError, match="not empty"):
        generate_dataset(foreign, SMALL, progress=False)
    assert (foreign / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("bad", [{"n_cities": 0}, {"real_fraction": 1.5}, {"rates": (0.0,)}])
def test_bad_config(tmp_path, bad):
    with pytest.raises(LocNetError):
        generate_dataset(
            tmp_path / "x", GenerateConfig(**{**SMALL.__dict__, **bad}), progress=False
        )


def test_randomized_params_recorded(tmp_path):
    config = GenerateConfig(**{**SMALL.__dict__, "randomize": True})
    generate_dataset(tmp_path / "r", config, progress=False)
    table = open_dataset(tmp_path / "r").metadata
    assert set(table["propagation"]) == {"randomized"}
    assert table["params"].nunique() == len(table)


@pytest.mark.slow
def test_workers_give_identical_output(tmp_path):
    generate_dataset(tmp_path / "one", SMALL, workers=1, progress=False)
    generate_dataset(tmp_path / "two", SMALL, workers=2, progress=False)
    assert digest(tmp_path / "one") == digest(tmp_path / "two")
    assert np.array_equal(
        open_dataset(tmp_path / "two").radio_map(0, 0),
        open_dataset(tmp_path / "one").radio_map(0, 0),
    )
