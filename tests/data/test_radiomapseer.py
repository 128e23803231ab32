"""Both on-disk layouts written and read back, and every validation error names its file."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from locnet.constants import MAP_SIZE
from locnet.data.layout import MaskRef
from locnet.data.png import png_size
from locnet.data.radiomapseer import open_dataset
from locnet.data.sampling import sample_mask, sample_transmitters
from locnet.data.writer import DatasetWriter
from locnet.errors import DatasetError

SPLIT_OF = {0: "train", 1: "train", 2: "val", 3: "test"}


def make_maps(seed: int = 0):
    rng = np.random.default_rng(seed)
    data = {}
    for m in SPLIT_OF:
        buildings = (rng.random((MAP_SIZE, MAP_SIZE)) < 0.3).astype(np.uint8)
        txs = sample_transmitters(buildings, 2, rng)
        yy, xx = np.mgrid[0:MAP_SIZE, 0:MAP_SIZE]
        grays = np.stack([(xx + yy * (t + 1) + m) % 256 for t in range(2)]).astype(np.uint8)
        grays[:, buildings == 1] = 0
        data[m] = (buildings, txs, grays)
    return data


def write(root: Path, layout: str = "authors", masks: bool = True, seed: int = 0):
    data = make_maps(seed)
    writer = DatasetWriter(root, layout=layout)
    rng = np.random.default_rng(1)
    for m, (buildings, txs, grays) in data.items():
        writer.write_buildings(m, buildings)
        for t in range(2):
            writer.write_radio_map(m, t, grays[t])
            writer.write_antenna(m, t, tuple(txs[t]))
            if masks and layout == "authors":
                split = SPLIT_OF[m]
                if split == "test":
                    for k, rate in enumerate((0.01, 0.05)):
                        writer.write_mask(split, m, t, k, sample_mask(buildings, rate, rng), rate)
                else:
                    writer.write_mask(split, m, t, 0, sample_mask(buildings, 0.02, rng))
    return data


@pytest.mark.parametrize("layout", ["authors", "original"])
def test_write_then_read_back(tmp_path, layout):
    data = write(tmp_path, layout)
    ds = open_dataset(tmp_path)
    assert ds.layout == layout
    assert ds.maps == [0, 1, 2, 3]
    assert len(ds.samples) == 8
    for m, (buildings, txs, grays) in data.items():
        assert np.array_equal(ds.buildings(m), buildings)
        for t in range(2):
            assert np.array_equal(ds.radio_map(m, t), grays[t])
            assert ds.transmitter(m, t) == tuple(int(v) for v in txs[t])
    assert ds.metadata is None
    # nothing written while reading
    assert not any(p.name.endswith(".tmp") for p in tmp_path.rglob("*"))


def test_buildings_stored_as_0_255(tmp_path):
    write(tmp_path)
    stored = np.asarray(Image.open(tmp_path / "buildings_complete" / "0.png"))
    assert set(np.unique(stored)) == {0, 255}
    antenna = np.asarray(Image.open(tmp_path / "antennas" / "0_0.png"))
    assert (antenna == 255).sum() == 1 and (antenna != 0).sum() == 1


def test_splits_and_masks_authors_layout(tmp_path):
    write(tmp_path)
    ds = open_dataset(tmp_path)
    assert ds.samples_in("train") == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert ds.samples_in("val") == [(2, 0), (2, 1)]
    assert ds.samples_in("test") == [(3, 0), (3, 1)]
    test_refs = ds.mask_refs("test")
    assert len(test_refs) == 4 and {r.rate_percent for r in test_refs} == {0.01, 0.05}
    only = ds.mask_refs("test", 0.01)
    assert [(r.map_id, r.tx_id, r.k) for r in only] == [(3, 0, 0), (3, 1, 0)]
    assert all(ds.load_mask(r).sum() == 7 for r in only)
    flat = ds.mask_refs("train")
    assert len(flat) == 4 and all(r.rate_percent is None for r in flat)
    assert ds.mask_rates("train") == [0.02]  # rate from the sensor count (13 sensors)
    assert len(ds.mask_refs("train", 0.02)) == 4 and ds.mask_refs("train", 0.01) == []


def test_original_layout_split_by_sorted_index(tmp_path):
    writer = DatasetWriter(tmp_path, layout="original")
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    gray = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    for m in range(701):
        if m % 50 == 0 or m > 690:  # a sparse subset keeps the test fast
            writer.write_buildings(m, buildings)
            writer.write_radio_map(m, 0, gray)
            writer.write_antenna(m, 0, (1, 1))
    ds = open_dataset(tmp_path)
    counts = {s: len(ds.samples_in(s)) for s in ("train", "val", "test")}
    assert sum(counts.values()) == len(ds.maps) == 24
    assert counts == {"train": 17, "val": 3, "test": 4}  # 24 maps split 501:100:100
    assert ds.samples_in("train")[0] == (0, 0) and ds.samples_in("test")[-1] == (700, 0)
    assert ds.mask_refs("test") == []
    with pytest.raises(DatasetError, match="no mask folders"):
        writer.write_mask("test", 0, 0, 0, buildings)


def test_mask_stored_as_0_255_is_accepted(tmp_path):
    write(tmp_path)
    path = tmp_path / "Train" / "0_0_0.png"
    mask = np.asarray(Image.open(path))
    Image.fromarray((mask * 255).astype(np.uint8)).save(path)
    ds = open_dataset(tmp_path)
    ref = next(r for r in ds.mask_refs("train") if r.path == path)
    assert np.array_equal(ds.load_mask(ref), mask)


def test_cities_csv_overrides_splits(tmp_path):
    write(tmp_path)
    table = pd.DataFrame(
        {
            "map": [0, 1, 2, 3],
            "env_id": list("abcd"),
            "city": ["X"] * 4,
            "split": ["train", "val", "val", "test"],
        }
    )
    DatasetWriter(tmp_path).write_metadata(table)
    ds = open_dataset(tmp_path)
    assert ds.samples_in("val") == [(1, 0), (1, 1), (2, 0), (2, 1)]
    assert list(ds.metadata["env_id"]) == list("abcd")


def test_fingerprint_stable_and_changes(tmp_path):
    write(tmp_path)
    first = open_dataset(tmp_path).fingerprint()
    stamped = open_dataset(tmp_path).fingerprint(with_mtimes=True)
    assert first == open_dataset(tmp_path).fingerprint()
    path = tmp_path / "DPM" / "0_0.png"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    # a touched file (as after `git clone`) keeps the content fingerprint, not the cache one
    assert open_dataset(tmp_path).fingerprint() == first
    assert open_dataset(tmp_path).fingerprint(with_mtimes=True) != stamped
    (tmp_path / "DPM" / "0_0.png").write_bytes(path.read_bytes() + b"\0")
    assert open_dataset(tmp_path).fingerprint() != first


def test_png_size_header_only(tmp_path):
    write(tmp_path)
    assert png_size(tmp_path / "DPM" / "0_0.png") == (MAP_SIZE, MAP_SIZE)


# ---- validation errors: each names the file and the fix ------------------------------


def expect_error(root, *fragments):
    with pytest.raises(DatasetError) as info:
        ds = open_dataset(root)
        for split in ("train", "val", "test"):
            for ref in ds.mask_refs(split):
                ds.load_mask(ref)
        for m, t in ds.samples:
            ds.transmitter(m, t)
    for fragment in fragments:
        assert fragment in str(info.value)
    return str(info.value)


def test_missing_folder(tmp_path):
    expect_error(tmp_path / "nope", str(tmp_path / "nope"), "does not exist", "generate")


def test_not_a_dataset(tmp_path):
    (tmp_path / "something").mkdir()
    expect_error(tmp_path, "not a RadioMapSeer dataset", "DPM")


def test_missing_buildings_folder(tmp_path):
    write(tmp_path)
    for f in (tmp_path / "buildings_complete").iterdir():
        f.unlink()
    (tmp_path / "buildings_complete").rmdir()
    expect_error(tmp_path, "buildings_complete", "is missing")


def test_radio_map_without_building_map(tmp_path):
    write(tmp_path)
    (tmp_path / "buildings_complete" / "2.png").unlink()
    expect_error(tmp_path, "DPM/2_0.png", "buildings_complete/2.png", "add it")


def test_radio_map_without_antenna(tmp_path):
    write(tmp_path)
    (tmp_path / "antennas" / "1_1.png").unlink()
    expect_error(tmp_path, "DPM/1_1.png", "antennas/1_1.png")


def test_wrong_image_size(tmp_path):
    write(tmp_path)
    Image.fromarray(np.zeros((128, 128), np.uint8)).save(tmp_path / "DPM" / "1_0.png")
    expect_error(tmp_path, "DPM/1_0.png", "128x128", "256x256")


def test_corrupt_png(tmp_path):
    write(tmp_path)
    (tmp_path / "buildings_complete" / "1.png").write_bytes(b"not a png")
    expect_error(tmp_path, "buildings_complete/1.png", "not a PNG")


@pytest.mark.parametrize("lit", [0, 2])
def test_antenna_without_exactly_one_lit_pixel(tmp_path, lit):
    write(tmp_path)
    image = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    image[0, :lit] = 255
    Image.fromarray(image).save(tmp_path / "antennas" / "3_1.png")
    expect_error(tmp_path, "antennas/3_1.png", f"{lit} lit pixels", "exactly one")


def test_mask_not_binary(tmp_path):
    write(tmp_path)
    path = tmp_path / "Test" / "rate_0.05" / "3_0_1.png"
    Image.fromarray(np.full((MAP_SIZE, MAP_SIZE), 7, np.uint8)).save(path)
    expect_error(tmp_path, str(path), "not a 0/1 sampling mask")


def test_mask_with_mixed_1_and_255(tmp_path):
    write(tmp_path)
    path = tmp_path / "Train" / "0_0_0.png"
    image = np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)
    image[0, 0], image[0, 1] = 1, 255
    Image.fromarray(image).save(path)
    expect_error(tmp_path, str(path), "0/1")


def test_empty_mask(tmp_path):
    write(tmp_path)
    path = tmp_path / "Val" / "2_1_0.png"
    Image.fromarray(np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)).save(path)
    expect_error(tmp_path, str(path), "no sensors")


def test_mask_without_radio_map(tmp_path):
    write(tmp_path)
    Image.fromarray(np.zeros((MAP_SIZE, MAP_SIZE), np.uint8)).save(tmp_path / "Train" / "9_0_0.png")
    expect_error(tmp_path, "Train/9_0_0.png", "no radio map")


def test_map_masks_in_two_splits(tmp_path):
    write(tmp_path)
    src = tmp_path / "Train" / "0_0_0.png"
    (tmp_path / "Val" / "0_0_5.png").write_bytes(src.read_bytes())
    expect_error(tmp_path, "map 0", "Train/", "Val/", "cities.csv")


def test_bad_cities_csv(tmp_path):
    write(tmp_path)
    (tmp_path / "cities.csv").write_text("env_id,split\na,train\n")
    expect_error(tmp_path, "cities.csv", "'map' column")
    (tmp_path / "cities.csv").write_text("map,split\n0,training\n")
    expect_error(tmp_path, "cities.csv", "training")


def test_unknown_split(tmp_path):
    write(tmp_path)
    with pytest.raises(DatasetError, match="unknown split 'Test'"):
        open_dataset(tmp_path).samples_in("Test")


def test_writer_rejects_bad_arrays(tmp_path):
    writer = DatasetWriter(tmp_path)
    with pytest.raises(DatasetError, match="shape"):
        writer.write_buildings(0, np.zeros((10, 10)))
    with pytest.raises(DatasetError, match="uint8"):
        writer.write_radio_map(0, 0, np.zeros((MAP_SIZE, MAP_SIZE), np.float32))
    with pytest.raises(DatasetError, match="off the map"):
        writer.write_antenna(0, 0, (MAP_SIZE, 0))


def test_mask_ref_is_plain_data(tmp_path):
    ref = MaskRef("test", 1, 2, 3, tmp_path / "x.png", 0.01)
    assert ref.map_id == 1 and ref.rate_percent == 0.01
