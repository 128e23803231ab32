"""LocalizationDataset: items equal the PNG-decoded encoding, crops, determinism, cache."""

import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from locnet.constants import MAP_SIZE
from locnet.data.cache import default_cache_dir
from locnet.data.dataset import LocalizationDataset, NaivePngDataset
from locnet.data.radiomapseer import open_dataset
from locnet.data.sampling import n_sensors_for_rate
from locnet.errors import DatasetError, LocNetError


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def test_items_match_png_decoding(tiny_dataset, cache):
    fast = LocalizationDataset(tiny_dataset, "test", cache_dir=cache)
    naive = NaivePngDataset(tiny_dataset, "test")
    source = open_dataset(tiny_dataset)
    assert len(fast) == len(naive) == len(source.mask_refs("test")) > 0
    for i in range(len(fast)):
        a, b = fast[i], naive[i]
        assert torch.equal(a["input"], b["input"])
        assert torch.equal(a["tx_xy"], b["tx_xy"])
        assert (a["map_id"], a["tx_id"], a["mask_id"], a["rate_percent"]) == (
            b["map_id"],
            b["tx_id"],
            b["mask_id"],
            b["rate_percent"],
        )
    item = fast[0]
    assert item["input"].dtype == torch.float32 and item["input"].shape == (2, MAP_SIZE, MAP_SIZE)
    assert item["tx_xy"].dtype == torch.int64 and item["tx_xy"].shape == (2,)
    assert tuple(item["tx_xy"].tolist()) == source.transmitter(item["map_id"], item["tx_id"])


def test_rate_filters(tiny_dataset, cache):
    only = LocalizationDataset(tiny_dataset, "test", rates=[0.01], cache_dir=cache)
    assert {only[i]["rate_percent"] for i in range(len(only))} == {0.01}
    for i in range(len(only)):
        assert (only[i]["input"][1] == 1).sum() == n_sensors_for_rate(0.01)
    both = LocalizationDataset(tiny_dataset, "test", rates=[0.01, 0.1], cache_dir=cache)
    ranged = LocalizationDataset(tiny_dataset, "test", rates=(0.01, 0.05), cache_dir=cache)
    assert len(both) == len(ranged) == 2 * len(only)
    with pytest.raises(DatasetError, match="no sampling masks"):
        LocalizationDataset(tiny_dataset, "test", rates=[0.07], cache_dir=cache)


def test_env_false_drops_buildings(tiny_dataset, cache):
    with_env = LocalizationDataset(tiny_dataset, "test", cache_dir=cache)[0]["input"]
    without = LocalizationDataset(tiny_dataset, "test", env=False, cache_dir=cache)[0]["input"]
    assert (with_env[1] == -1).any() and not (without[1] == -1).any()
    assert torch.equal(without[0], with_env[0])
    assert torch.equal(without[1], (with_env[1] == 1).float())


def test_random_masks_counts_outdoor_and_determinism(tiny_dataset, cache):
    ds = LocalizationDataset(
        tiny_dataset,
        "train",
        masks="random",
        rates=(0.01, 0.1),
        seed=3,
        cache_dir=cache,
        masks_per_tx=4,
    )
    n_samples = len(open_dataset(tiny_dataset).samples_in("train"))
    assert len(ds) == 4 * n_samples
    for i in range(len(ds)):
        item = ds[i]
        sensors = item["input"][1] == 1
        assert 0.01 <= item["rate_percent"] <= 0.1
        assert sensors.sum() == n_sensors_for_rate(item["rate_percent"])
        assert item["mask_id"] == i % 4
    first = ds[5]["input"]
    assert torch.equal(first, ds[5]["input"])
    ds.set_epoch(1)
    assert not torch.equal(first, ds[5]["input"])
    ds.set_epoch(0)
    assert torch.equal(first, ds[5]["input"])
    other_seed = LocalizationDataset(tiny_dataset, "train", masks="random", seed=4, cache_dir=cache)
    assert not torch.equal(
        LocalizationDataset(tiny_dataset, "train", masks="random", seed=3, cache_dir=cache)[0][
            "input"
        ],
        other_seed[0]["input"],
    )


def test_random_masks_discrete_rates(tiny_dataset, cache):
    ds = LocalizationDataset(
        tiny_dataset, "val", masks="random", rates=[0.02, 0.1], cache_dir=cache
    )
    assert {ds[i]["rate_percent"] for i in range(len(ds))} <= {0.02, 0.1}


def test_crop_contains_transmitter_and_matches_full_input(tiny_dataset, cache):
    full = LocalizationDataset(tiny_dataset, "test", cache_dir=cache)
    cropped = LocalizationDataset(tiny_dataset, "test", crop=128, cache_dir=cache)
    origins = set()
    for i in range(len(full)):
        a, b = full[i], cropped[i]
        x0, y0 = b["origin_xy"].tolist()
        origins.add((x0, y0))
        assert b["input"].shape == (2, 128, 128)
        assert 0 <= b["tx_xy"][0] < 128 and 0 <= b["tx_xy"][1] < 128
        assert torch.equal(b["tx_xy"] + b["origin_xy"], a["tx_xy"])
        assert torch.equal(b["input"], a["input"][:, y0 : y0 + 128, x0 : x0 + 128])
    assert len(origins) > 1
    with pytest.raises(LocNetError, match="crop"):
        LocalizationDataset(tiny_dataset, "test", crop=300, cache_dir=cache)


def test_noise_and_missing_readings(tiny_dataset, cache):
    clean = LocalizationDataset(tiny_dataset, "test", rates=[0.1], cache_dir=cache)[0]["input"]
    noisy = LocalizationDataset(tiny_dataset, "test", rates=[0.1], noise_db=6.0, cache_dir=cache)[
        0
    ]["input"]
    assert torch.equal(noisy[1], clean[1]) and not torch.equal(noisy[0], clean[0])
    assert ((noisy[0] != 0) & (clean[1] != 1)).sum() == 0  # noise only on sensors
    sparse = LocalizationDataset(tiny_dataset, "test", rates=[0.1], missing=0.5, cache_dir=cache)[
        0
    ]["input"]
    assert 1 <= (sparse[1] == 1).sum() < (clean[1] == 1).sum()


def test_dataloader_and_pickle(tiny_dataset, cache):
    ds = LocalizationDataset(tiny_dataset, "test", cache_dir=cache)
    ds[0]  # opens the memmaps; pickling must not copy them
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._arrays is None and torch.equal(clone[3]["input"], ds[3]["input"])
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch["input"].shape == (4, 2, MAP_SIZE, MAP_SIZE) and batch["tx_xy"].shape == (4, 2)


def test_original_layout_with_random_masks(tiny_dataset_original_layout, cache):
    ds = LocalizationDataset(tiny_dataset_original_layout, "train", masks="random", cache_dir=cache)
    assert len(ds) > 0 and ds[0]["input"].shape == (2, MAP_SIZE, MAP_SIZE)
    with pytest.raises(DatasetError, match="no sampling masks"):
        LocalizationDataset(tiny_dataset_original_layout, "test", cache_dir=cache)


def test_cache_reused_and_invalidated(tiny_dataset, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(tiny_dataset, root)
    cache = tmp_path / "cache"
    first = LocalizationDataset(root, "test", cache_dir=cache)
    stamp = (first.cache_path / "index.npz").stat().st_mtime_ns
    again = LocalizationDataset(root, "test", cache_dir=cache)
    assert again.cache_path == first.cache_path
    assert (again.cache_path / "index.npz").stat().st_mtime_ns == stamp
    # change one radio map: the fingerprint changes, the cache is rebuilt, the stale one removed
    m, t = open_dataset(root).samples_in("test")[0]
    path = root / "DPM" / f"{m}_{t}.png"
    from PIL import Image

    Image.fromarray(np.full((MAP_SIZE, MAP_SIZE), 200, np.uint8)).save(path)
    rebuilt = LocalizationDataset(root, "test", cache_dir=cache)
    assert rebuilt.cache_path != first.cache_path and not first.cache_path.exists()
    idx = next(
        i for i in range(len(rebuilt)) if (rebuilt[i]["map_id"], rebuilt[i]["tx_id"]) == (m, t)
    )
    values = rebuilt[idx]["input"][0][rebuilt[idx]["input"][1] == 1]
    assert torch.allclose(values, torch.tensor(200 / 255))
    assert not any(p.name.startswith(".building") for p in cache.iterdir())
    assert not any("cache" in p.name for p in root.iterdir())  # nothing written into the dataset


def test_cache_never_inside_dataset(tiny_dataset):
    with pytest.raises(DatasetError, match="inside the dataset"):
        LocalizationDataset(tiny_dataset, "test", cache_dir=tiny_dataset / "cache")


def test_default_cache_dir_respects_env_and_falls_back(tmp_path, monkeypatch):
    from locnet.data import cache as module  # default_cache_dir looks _writable up there

    monkeypatch.setenv("LOCNET_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    monkeypatch.setattr(module, "_writable", lambda folder: False)  # no writable home/env dir
    fallback = default_cache_dir()
    assert fallback.parent == Path(tempfile.gettempdir()) and fallback.is_dir()


def test_bad_arguments(tiny_dataset, cache):
    with pytest.raises(LocNetError, match="masks="):
        LocalizationDataset(tiny_dataset, "test", masks="some", cache_dir=cache)
    with pytest.raises(LocNetError, match="range"):
        LocalizationDataset(
            tiny_dataset, "train", masks="random", rates=(0.1, 0.01), cache_dir=cache
        )
    with pytest.raises(DatasetError, match="unknown split"):
        LocalizationDataset(tiny_dataset, "testing", cache_dir=cache)
    with pytest.raises(IndexError):
        LocalizationDataset(tiny_dataset, "test", cache_dir=cache)[10**6]
