"""Shared fixtures: a tiny generated dataset (both layouts) and an isolated cache dir.

`tiny_dataset` is generated once per test session (a few seconds) with the real
generator, so every test that needs data reads the same authors'-layout folder:
6 environments (real tiles when available, else procedural) x 3 transmitters, test
masks at 0.01/0.05/0.1 % (2 per rate), 2 flat masks per transmitter on train/val.
Treat it as read-only.

`results_folder_template` is `tests.results_data.write_results_folder()` with its defaults,
written once per session; tests copy it (`tests.results_data.copy_results_folder`)
rather than write it again.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TINY_RATES = (0.01, 0.05, 0.1)
TINY_CITIES = 6
TINY_TX = 3
TINY_MASKS_PER_TX = 2


@pytest.fixture(scope="session", autouse=True)
def _isolated_locnet_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep Dataset caches of the test session out of ~/.cache/locnet."""
    previous = os.environ.get("LOCNET_CACHE")
    os.environ["LOCNET_CACHE"] = str(tmp_path_factory.mktemp("locnet-cache"))
    yield
    if previous is None:
        os.environ.pop("LOCNET_CACHE", None)
    else:
        os.environ["LOCNET_CACHE"] = previous


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of a small authors'-layout dataset with train, val and test maps (read-only)."""
    from locnet.data.generate import generate_dataset
    from locnet.data.generate_plan import GenerateConfig

    root = tmp_path_factory.mktemp("tiny") / "dataset"
    config = GenerateConfig(
        n_cities=TINY_CITIES,
        tx_per_city=TINY_TX,
        seed=0,
        real_fraction=1 / 3,
        rates=TINY_RATES,
        masks_per_tx=TINY_MASKS_PER_TX,
    )
    generate_dataset(root, config, workers=1, progress=False)
    return root


@pytest.fixture(scope="session")
def tiny_dataset_original_layout(
    tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The same maps in the original RadioMapSeer layout (png/..., gain/DPM; no masks)."""
    from locnet.data.radiomapseer import open_dataset
    from locnet.data.writer import DatasetWriter

    source = open_dataset(tiny_dataset)
    root = tmp_path_factory.mktemp("tiny-original") / "RadioMapSeer"
    writer = DatasetWriter(root, layout="original")
    for map_id in source.maps:
        writer.write_buildings(map_id, source.buildings(map_id))
    for map_id, tx_id in source.samples:
        writer.write_radio_map(map_id, tx_id, source.radio_map(map_id, tx_id))
        writer.write_antenna(map_id, tx_id, source.transmitter(map_id, tx_id))
    return root


@pytest.fixture(scope="session")
def results_folder_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder as `write_results_folder(folder)` writes it (read-only: copy it)."""
    from tests.results_data import write_results_folder

    return write_results_folder(tmp_path_factory.mktemp("results-template") / "demo")
