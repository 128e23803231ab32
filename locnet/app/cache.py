"""Cached loaders shared by every page: datasets and models once per process, arrays per key.

Datasets and models are `st.cache_resource` (one shared, read-only object: models run in
eval mode under no_grad, so sessions can share them); maps, thumbnails and simulated
radio maps are `st.cache_data` (each caller gets its own copy, so no session can change
another's). Keys include a cheap "stamp" (mtimes of the folder and its files' folders),
so a regenerated dataset or a retrained checkpoint is picked up without a restart.
Errors are LocNetError subclasses with a message for st.error; nothing failing is cached.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from locnet.constants import MAP_SIZE
from locnet.errors import LocNetError
from locnet.files import PROJECT_ROOT, describe_os_error

THUMBNAIL_PX = 72  # thumbnail side in pixels (a 256 m map shrunk ~3.5x)
MAX_DATASETS = 4
MAX_MODELS = 12


def resolve_path(text: str | os.PathLike) -> Path:
    """User-typed folder -> absolute path; relative paths are tried from the current
    folder first, then from the project folder (so `data/demo` works from anywhere)."""
    path = Path(str(text).strip()).expanduser()
    if path.is_absolute():
        return path
    here = Path.cwd() / path
    return here if here.exists() else PROJECT_ROOT / path


def folder_mtimes_ns(folder: str | os.PathLike) -> int:
    """Sum of the mtimes (ns) of a folder and its direct subfolders: changes when files are
    added or replaced, costs a few stat calls."""
    folder = Path(folder)
    try:
        stamp = folder.stat().st_mtime_ns
        with os.scandir(folder) as entries:
            stamp += sum(e.stat().st_mtime_ns for e in entries if e.is_dir())
        return stamp
    except OSError:
        return 0


@st.cache_resource(show_spinner="Opening dataset…", max_entries=MAX_DATASETS)
def _open_dataset(root: str, stamp: int):
    from locnet.data.radiomapseer import open_dataset

    return open_dataset(root)


def load_dataset(root: str | os.PathLike):
    """The RadioMapDataset at `root` (validated on first open). Raises DatasetError."""
    path = resolve_path(root)
    return _open_dataset(str(path), folder_mtimes_ns(path))


def dataset_problem(root: str | os.PathLike, exc: Exception) -> str:
    """One line for a dataset that cannot be opened or read: a LocNetError's own message, an
    OSError (a symbolic-link loop, a permission) as the CLI words it, naming the file."""
    if isinstance(exc, OSError):
        return f"cannot read dataset {root}: {describe_os_error(exc)}"
    return str(exc)


def open_dataset_safely(root: str | os.PathLike) -> tuple[Any | None, str | None]:
    """(the dataset, None), or (None, why not): the one guard every page opens the sidebar's
    dataset through (the sidebar, the results pages' dataset check), so a broken dataset is
    the same st.error or st.warning on every page, never an exception."""
    try:
        return load_dataset(root), None
    except (LocNetError, OSError) as exc:
        return None, dataset_problem(root, exc)


@st.cache_data(show_spinner=False, max_entries=8)
def _dataset_map_table(root: str, stamp: int) -> pd.DataFrame:
    ds = _open_dataset(root, stamp)
    tx_counts = pd.Series([m for m, _ in ds.samples]).value_counts()
    table = pd.DataFrame({"map": ds.maps})
    table["split"] = [ds.split_of_map(m) or "" for m in ds.maps]
    table["n_tx"] = table["map"].map(tx_counts).fillna(0).astype(int)
    meta = ds.metadata
    if meta is not None:
        keep = [c for c in ("map", "env_id", "city", "source", "attribution") if c in meta.columns]
        table = table.merge(meta[keep].drop_duplicates("map"), on="map", how="left")
    for column in ("env_id", "city", "source", "attribution"):
        if column not in table.columns:
            table[column] = ""
        table[column] = table[column].fillna("").astype(str)
    table["kind"] = [source_kind(row) for row in table.to_dict("records")]
    table["label"] = [environment_label(row) for row in table.to_dict("records")]
    return table


def source_kind(row: dict[str, Any]) -> str:
    """Short origin of a building map: 'OpenStreetMap', 'procedural' or the source as given."""
    text = f"{row.get('source', '')} {row.get('env_id', '')} {row.get('attribution', '')}".lower()
    if "openstreetmap" in text or str(row.get("env_id", "")).startswith("osm"):
        return "OpenStreetMap"
    if "procedural" in text:
        return "procedural"
    return str(row.get("source", ""))[:24]


def environment_label(row: dict[str, Any]) -> str:
    """'map 12 · Florence · OpenStreetMap · test': every word the select box can be searched by."""
    parts = [f"map {row['map']}"]
    parts += [str(row[c]) for c in ("city", "kind", "split") if row.get(c)]
    return " · ".join(parts)


def dataset_map_table(root: str | os.PathLike) -> pd.DataFrame:
    """One row per map: map, split, n_tx, env_id, city, source, attribution, kind, label."""
    path = resolve_path(root)
    return _dataset_map_table(str(path), folder_mtimes_ns(path))


@st.cache_data(show_spinner=False, max_entries=8)
def _environment_rows(root: str, stamp: int) -> list[dict[str, Any]]:
    return _dataset_map_table(root, stamp).to_dict("records")


def environment_rows(root: str | os.PathLike) -> list[dict[str, Any]]:
    """dataset_map_table as plain rows (Python ints and strings), for the Explorer's picker:
    filtering ~100 dicts costs microseconds where DataFrame masks cost milliseconds."""
    path = resolve_path(root)
    return _environment_rows(str(path), folder_mtimes_ns(path))


@st.cache_data(show_spinner=False, max_entries=256)
def _buildings(root: str, stamp: int, map_id: int) -> np.ndarray:
    return _open_dataset(root, stamp).buildings(map_id)


def buildings(root: str | os.PathLike, map_id: int) -> np.ndarray:
    """0/1 uint8 (256, 256) building map of `map_id`."""
    path = resolve_path(root)
    return _buildings(str(path), folder_mtimes_ns(path), int(map_id))


@st.cache_data(show_spinner=False, max_entries=256)
def _radio_gray(root: str, stamp: int, map_id: int, tx_id: int) -> np.ndarray:
    return _open_dataset(root, stamp).radio_map(map_id, tx_id)


def radio_gray(root: str | os.PathLike, map_id: int, tx_id: int) -> np.ndarray:
    """uint8 gray (256, 256) radio map of a dataset transmitter."""
    path = resolve_path(root)
    return _radio_gray(str(path), folder_mtimes_ns(path), int(map_id), int(tx_id))


@st.cache_data(show_spinner=False, max_entries=256)
def _transmitters(root: str, stamp: int, map_id: int) -> dict[int, tuple[int, int]]:
    ds = _open_dataset(root, stamp)
    return {t: ds.transmitter(m, t) for m, t in ds.samples if m == map_id}


def transmitters(root: str | os.PathLike, map_id: int) -> dict[int, tuple[int, int]]:
    """{tx_id: (x, y) pixel} of every dataset transmitter of `map_id`, in dataset order.

    One cached call for the whole map: the transmitter picker labels every option, and a
    lookup per option (folder stamp + cache hashing each) cost more than the page."""
    path = resolve_path(root)
    return _transmitters(str(path), folder_mtimes_ns(path), int(map_id))


@st.cache_data(show_spinner="Simulating the radio map…", max_entries=64)
def simulated_gray(buildings_map: np.ndarray, tx_xy: tuple[int, int]) -> np.ndarray:
    """uint8 gray radio map of a transmitter placed by the user, from our simulator
    (paper-like parameters, deterministic). Keyed by the building map's content."""
    from locnet.data.propagation import simulate_gray

    return simulate_gray(np.asarray(buildings_map, dtype=np.uint8), tuple(int(v) for v in tx_xy))


@st.cache_data(show_spinner=False, max_entries=2048)
def _thumbnail(root: str, stamp: int, map_id: int, size: int) -> np.ndarray:
    from PIL import Image

    from locnet.viz.export import building_rgb

    image = Image.fromarray(building_rgb(_open_dataset(root, stamp).buildings(map_id)))
    return np.asarray(image.resize((size, size), Image.Resampling.BOX))


def thumbnail(root: str | os.PathLike, map_id: int, size: int = THUMBNAIL_PX) -> np.ndarray:
    """RGB uint8 (size, size, 3) picture of a map's buildings for the picker strip."""
    path = resolve_path(root)
    return _thumbnail(str(path), folder_mtimes_ns(path), int(map_id), int(size))


def png_bytes(image: np.ndarray) -> bytes:
    """PNG file of a uint8 (H, W) or (H, W, 3) image."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


@st.cache_data(show_spinner=False, max_entries=512)
def _thumbnail_pngs(root: str, stamp: int, map_ids: tuple[int, ...], size: int) -> list[bytes]:
    return [png_bytes(_thumbnail(root, stamp, m, size)) for m in map_ids]


def thumbnail_pngs(
    root: str | os.PathLike, map_ids: list[int], size: int = THUMBNAIL_PX
) -> list[bytes]:
    """PNG files of `thumbnail` for several maps in one cached call: st.image then sends
    them as they are instead of encoding every array again on every rerun."""
    path = resolve_path(root)
    ids = tuple(int(m) for m in map_ids)
    return _thumbnail_pngs(str(path), folder_mtimes_ns(path), ids, int(size))


@st.cache_data(show_spinner=False, max_entries=16)
def _checkpoints(folder: str, stamp: int) -> list:
    from locnet.models.checkpoints import list_checkpoints

    return list_checkpoints(folder)


def _checkpoint_folder_stamp(path: Path) -> int:
    """Cache key of a checkpoint folder: its mtimes plus every *.pt file's (0: no folder)."""
    return (
        folder_mtimes_ns(path) + sum(p.stat().st_mtime_ns for p in path.glob("*.pt"))
        if path.is_dir()
        else 0
    )


def checkpoints(folder: str | os.PathLike) -> list:
    """CheckpointInfo of every readable checkpoint in `folder` ([] if it does not exist)."""
    path = resolve_path(folder)
    return _checkpoints(str(path), _checkpoint_folder_stamp(path))


@st.cache_data(show_spinner=False, max_entries=16)
def _checkpoint_problems(folder: str, stamp: int) -> list[str]:
    from locnet.models.checkpoints import checkpoint_problems as problems

    return problems(folder)


def checkpoint_problems(folder: str | os.PathLike) -> list[str]:
    """Why each *.pt file in `folder` that list_checkpoints skips cannot be used."""
    path = resolve_path(folder)
    return _checkpoint_problems(str(path), _checkpoint_folder_stamp(path))


@st.cache_resource(show_spinner="Loading model…", max_entries=MAX_MODELS)
def _model(spec: str, checkpoint_dir: str, device: str, stamp: int):
    from locnet.inference import load_model

    loaded = load_model(spec, checkpoint_dir, device)
    warm_up(loaded)
    return loaded


def warm_up(loaded) -> None:
    """One throw-away forward pass: PyTorch's first call on new shapes is ~10x slower, and
    the user's first click should not pay it."""
    import torch

    from locnet.models.device import model_device

    x = torch.zeros(1, 2, MAP_SIZE, MAP_SIZE, device=model_device(loaded))
    x[0, 1, MAP_SIZE // 2, MAP_SIZE // 2] = 1.0  # one sensor, so sensor-reading models have input
    with torch.inference_mode():
        loaded.predict(x)


def model(spec: str, checkpoint_dir: str | os.PathLike, device: str):
    """A model ready for inference: `spec` is a model name (classical baselines) or a
    checkpoint path. Raises CheckpointError with what to do if the file is unusable."""
    folder = resolve_path(checkpoint_dir)
    path = Path(spec)
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    return _model(str(spec), str(folder), str(device), stamp)


def blank_map() -> np.ndarray:
    """An all-outdoor map (used when no dataset is open)."""
    return np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
