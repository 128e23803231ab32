"""Fault-probe regressions on data and inference inputs: symlink loops, colour PNGs,
odd map ids, a cache inside the dataset, malformed sensors and training flags."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from locnet.cli import main
from locnet.data.png import read_png
from locnet.data.radiomapseer import open_dataset
from locnet.errors import DatasetError, LocNetError
from locnet.inference import predict
from locnet.models.registry import create_model


def test_a_symlink_loop_or_a_file_as_dataset_is_a_clear_error(tmp_path, capsys):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(DatasetError, match="symbolic link loop"):
        open_dataset(loop)
    assert main(["dataset-info", str(loop)]) == 2
    (tmp_path / "file.txt").write_text("x")
    assert main(["dataset-info", str(tmp_path / "file.txt")]) == 2
    assert "is a file, not a dataset folder" in capsys.readouterr().err


def test_colour_png_is_refused_and_gray_rgb_is_accepted(tmp_path):
    gray = np.random.default_rng(0).integers(0, 256, (256, 256), dtype=np.uint8)
    Image.fromarray(np.stack([gray] * 3, axis=-1)).save(tmp_path / "rgb_gray.png")
    assert np.array_equal(read_png(tmp_path / "rgb_gray.png"), gray)
    red = np.zeros((256, 256, 3), np.uint8)
    red[..., 0] = gray
    Image.fromarray(red).save(tmp_path / "red.png")
    with pytest.raises(DatasetError, match="colour image"):
        read_png(tmp_path / "red.png")


def test_non_integer_map_ids_in_cities_csv_are_named(tiny_dataset, tmp_path):
    copy = tmp_path / "ds"
    shutil.copytree(tiny_dataset, copy)
    (copy / "cities.csv").write_text("map,split\nabc,train\n")
    with pytest.raises(DatasetError, match="whole numbers.*abc"):
        open_dataset(copy).samples_in("train")


def test_a_cache_inside_the_dataset_is_refused_without_creating_it(tiny_dataset, tmp_path, monkeypatch):
    from locnet.data.cache import build_cache

    copy = tmp_path / "ds"
    shutil.copytree(tiny_dataset, copy)
    monkeypatch.setenv("LOCNET_CACHE", str(copy / "mycache"))
    with pytest.raises(DatasetError, match="inside the dataset"):
        build_cache(open_dataset(copy), "train")
    assert not (copy / "mycache").exists()


@pytest.mark.parametrize("sensors", [[("a", "b", -80.0)], 5, [(1, 2)]])
def test_malformed_sensors_are_a_locnet_error(sensors):
    with pytest.raises(LocNetError, match="reading"):
        predict(create_model("centroid"), np.zeros((256, 256), np.uint8), sensors=sensors)


@pytest.mark.parametrize("flag", [["--weight-decay=-5"], ["--save-every-minutes", "-1"]])
def test_bad_training_flags_are_refused(tiny_dataset, tmp_path, flag, capsys):
    code = main(["train", "--model", "locnet", "--data", str(tiny_dataset), *flag,
                 "--out", str(tmp_path / "x.pt")])
    assert code == 2 and flag[0].split("=")[0] in capsys.readouterr().err
