"""City environments: the committed real OpenStreetMap tiles and the procedural generator.

Real tiles live in data/cities (see data/cities/LICENSE.md): `tiles.npz` holds the
np.packbits'ed (N, 256, 256) building maps (row 0 = north edge, 1 pixel = 1 m) and
`index.csv` one row per tile. They are OpenStreetMap data (ODbL), so every real
Environment carries `constants.OSM_ATTRIBUTION`; procedural ones carry "".
Procedural environments come from `procedural`; both kinds are an `environment.Environment`.
"""

from __future__ import annotations

import csv
import functools
import re
import zipfile
from pathlib import Path

import numpy as np

from locnet.constants import MAP_SIZE, OSM_ATTRIBUTION
from locnet.data.environment import Environment
from locnet.data.procedural import procedural_city
from locnet.errors import DatasetError
from locnet.files import PROJECT_ROOT

DEFAULT_FOLDER = PROJECT_ROOT / "data" / "cities"
INDEX_COLUMNS = ("env_id", "city", "source", "origin_x_m", "origin_y_m", "crs",
                 "building_fraction", "group")
_REGENERATE = "restore it from git or rebuild it with `python scripts/extract_osm_tiles.py`"


def _read_index(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise DatasetError(f"real city index {path} is missing; {_REGENERATE}")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in INDEX_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(f"{path} lacks column(s) {', '.join(missing)}; {_REGENERATE}")
        return list(reader)


def _read_tiles(path: Path) -> np.ndarray:
    if not path.is_file():
        raise DatasetError(f"real city tiles {path} are missing; {_REGENERATE}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            packed = archive["tiles"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise DatasetError(f"cannot read {path} ({exc}); {_REGENERATE}") from exc
    expected = (MAP_SIZE, MAP_SIZE // 8)
    if packed.dtype != np.uint8 or packed.ndim != 3 or packed.shape[1:] != expected:
        raise DatasetError(
            f"{path}: 'tiles' has dtype {packed.dtype} shape {packed.shape}, expected uint8 "
            f"(N, {MAP_SIZE}, {MAP_SIZE // 8}) packed bits; {_REGENERATE}")
    return np.unpackbits(packed, axis=-1)


@functools.lru_cache(maxsize=4)
def _load(folder: Path) -> tuple[Environment, ...]:
    rows = _read_index(folder / "index.csv")
    tiles = _read_tiles(folder / "tiles.npz")
    if len(rows) != len(tiles):
        raise DatasetError(f"{folder}: index.csv has {len(rows)} rows but tiles.npz holds "
                           f"{len(tiles)} tiles; {_REGENERATE}")
    tiles.setflags(write=False)
    envs = []
    for i, row in enumerate(rows):
        try:
            origin = (float(row["origin_x_m"]), float(row["origin_y_m"]))
        except ValueError as exc:
            raise DatasetError(f"{folder / 'index.csv'} row {i + 2}: bad origin ({exc}); "
                               f"{_REGENERATE}") from exc
        envs.append(Environment(row["env_id"], row["city"], row["source"], origin,
                                row["group"], tiles[i], OSM_ATTRIBUTION))
    ids = [env.env_id for env in envs]
    if len(set(ids)) != len(ids):
        raise DatasetError(f"{folder / 'index.csv'} repeats env_id values; {_REGENERATE}")
    return tuple(envs)


def load_real_tiles(folder: str | Path | None = None) -> list[Environment]:
    """All committed real OSM tiles (cached per folder; default: the repo's data/cities)."""
    return list(_load(Path(folder or DEFAULT_FOLDER).resolve()))


def real_cities(folder: str | Path | None = None) -> list[str]:
    """Names of the real cities, in index order (e.g. 'Munich', 'Helsinki')."""
    return list(dict.fromkeys(env.city for env in load_real_tiles(folder)))


def find_environment(env_id: str, folder: str | Path | None = None) -> Environment:
    """Resolve an env_id: 'proc-000123' or 'proc-000123-grid' regenerates that procedural
    map, anything else is looked up among the real tiles."""
    match = re.fullmatch(r"proc-(\d+)(?:-(\w+))?", env_id)
    if match:
        return procedural_city(int(match.group(1)), match.group(2))
    for env in load_real_tiles(folder):
        if env.env_id == env_id:
            return env
    raise DatasetError(f"unknown environment id {env_id!r}: not 'proc-<seed>' and not in "
                       f"{Path(folder or DEFAULT_FOLDER) / 'index.csv'}")
