"""testset: only held-out environments, and a propagation-shift twin with the same
transmitters and masks that `evaluate` reads unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.cli import main
from locnet.constants import MASKS_PER_TX, RATES_PERCENT
from locnet.data.cities import load_real_tiles
from locnet.data.generate import _settings
from locnet.data.generate_plan import GenerateConfig, plan
from locnet.data.radiomapseer import open_dataset
from locnet.data.splits import split_of
from locnet.data.testset import make_testset, same_sensors
from locnet.errors import LocNetError

REPO = Path(__file__).resolve().parents[2]


def test_test_only_takes_every_test_tile_then_procedural_test_maps(tmp_path):
    config = GenerateConfig(n_cities=25, tx_per_city=1, seed=2, real_fraction=1.0, test_only=True)
    _, table = plan(config, tmp_path)
    test_tiles = {e.env_id for e in load_real_tiles() if split_of(e) == "test"}
    assert len(test_tiles) == 18  # Florence 2 + Helsinki 16
    real = table[~table["source"].str.startswith("procedural")]
    assert set(real["env_id"]) == test_tiles and set(real["city"]) == {"Florence", "Helsinki"}
    procedural = table[table["source"].str.startswith("procedural")]
    assert len(procedural) == 7 and procedural["env_id"].is_unique
    assert set(table["split"]) == {"test"}


def test_test_only_procedural(tmp_path):
    config = GenerateConfig(n_cities=4, tx_per_city=1, seed=3, real_fraction=0.0, test_only=True)
    _, table = plan(config, tmp_path)
    assert len(table) == 4 and set(table["split"]) == {"test"}
    assert table["source"].str.startswith("procedural").all()


def test_settings_of_older_folders_still_match():
    """generate.json written before test_only existed resumes: the field is left out at
    its default (data/demo's own settings file)."""
    recorded = json.loads((REPO / "data/demo/generate.json").read_text())
    fields = {k: v for k, v in recorded.items() if k != "format"}
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    config = GenerateConfig(**fields)
    assert _settings(config) == recorded
    assert _settings(GenerateConfig(n_cities=1, tx_per_city=1, test_only=True))["test_only"]


@pytest.fixture(scope="module")
def twins(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("testset")
    a, b = root / "testset", root / "testset-shift"
    summary = make_testset(a, b, maps=19, tx_per_map=1, seed=2, progress=False)
    n_masks = 19 * len(RATES_PERCENT) * MASKS_PER_TX
    assert summary["shared_files"] == 19 + n_masks  # antennas + masks, byte-identical
    return a, b


def test_twins_share_maps_antennas_and_masks_not_radio_maps(twins):
    a, b = (open_dataset(p) for p in twins)
    assert len(a.maps) == 19 and set(a.metadata["split"]) == {"test"}
    assert a.metadata["propagation"].eq("paper-like").all()
    assert b.metadata["propagation"].eq("randomized").all()
    assert b.metadata["params"].nunique() == 19  # one random draw per map
    for m, t in a.samples:
        assert a.transmitter(m, t) == b.transmitter(m, t)
        assert np.array_equal(a.buildings(m), b.buildings(m))
    differs = [not np.array_equal(a.radio_map(m, t), b.radio_map(m, t)) for m, t in a.samples]
    assert sum(differs) >= 15  # propagation changed (a rare map may quantise alike)
    for rate in RATES_PERCENT:
        refs_a, refs_b = a.mask_refs("test", rate), b.mask_refs("test", rate)
        assert len(refs_a) == len(refs_b) == 19 * MASKS_PER_TX
        ref = refs_a[0]
        assert np.array_equal(a.load_mask(ref), b.load_mask(refs_b[0]))


def test_same_sensors_names_a_changed_mask(twins, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(twins[1], copy)
    mask = sorted((copy / "Test" / "rate_0.05").glob("*.png"))[3]
    other = sorted((copy / "Test" / "rate_0.05").glob("*.png"))[4]
    mask.write_bytes(other.read_bytes())
    with pytest.raises(LocNetError, match=f"Test/rate_0.05/{mask.name} differs"):
        same_sensors(twins[0], copy)
    table = pd.read_csv(copy / "cities.csv")
    table.loc[0, "env_id"] = "elsewhere"
    table.to_csv(copy / "cities.csv", index=False)
    with pytest.raises(LocNetError, match="other environments"):
        same_sensors(twins[0], copy)


def test_evaluate_reads_the_test_set_masks(twins, tmp_path, capsys):
    out = tmp_path / "res"
    argv = ["evaluate", "--data", str(twins[1]), "--split", "test", "--models", "centroid"]
    argv += ["--rates", "0.01,0.1", "--masks-per-tx", "5", "--limit", "2", "--quiet"]
    assert main(argv + ["--out", str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["mask_source"] == {"0.01": "files", "0.1": "files"}
    assert meta["n_samples"] == 2 * 2 * 5


def test_cli_one_line_errors(tmp_path, capsys):
    same = str(tmp_path / "x")
    assert main(["testset", "--out", same, "--shift-out", same, "--quiet"]) == 2
    assert "two different folders" in capsys.readouterr().err
    assert main(["testset", "--out", str(tmp_path / "a"), "--shift-out", str(tmp_path / "b"),
                 "--maps", "0", "--quiet"]) == 2  # fmt: skip
    assert "at least 1" in capsys.readouterr().err
