"""The case format on disk (docs/cases.md): a folder or a .zip holding case.json,
buildings.png (or buildings.geojson) and readings.csv, plus any extra files (a picture,
predictions) that readers ignore.

Written from a UserCase the readings are x_m,y_m,gain_db at full float precision and the
map a 0/255 PNG, so reading the files back gives the same case bit for bit (and the same
predictions). Files are written atomically; a zip is built in memory (for downloads).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from locnet.cases.case import FITS, FORMAT, CaseError, GeoRef, UserCase
from locnet.cases.load import build_case
from locnet.files import atomic_write

CASE_JSON = "case.json"
BUILDINGS_PNG = "buildings.png"
READINGS_CSV = "readings.csv"
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # a zip member larger than this is refused


def readings_csv(case: UserCase) -> bytes:
    """x_m,y_m,gain_db (+ truth_x_m,truth_y_m) with full precision: re-read exactly."""
    table = pd.DataFrame(
        {
            "x_m": case.sensors_xy[:, 0],
            "y_m": case.sensors_xy[:, 1],
            "gain_db": np.asarray(case.gains_db, dtype=np.float64),
        }
    )
    if case.truth_xy is not None:
        table["truth_x_m"], table["truth_y_m"] = case.truth_xy
    return table.to_csv(index=False).encode("utf-8")


def buildings_png(buildings: np.ndarray) -> bytes:
    """The map as an 8-bit gray PNG, buildings 255 and open space 0."""
    out = io.BytesIO()
    Image.fromarray(((np.asarray(buildings) != 0) * 255).astype(np.uint8), mode="L").save(
        out, "PNG"
    )
    return out.getvalue()


def case_json(case: UserCase) -> dict[str, Any]:
    """case.json of a UserCase (the readings are written as gains: no transmit power)."""
    return {
        "format": FORMAT,
        "buildings": BUILDINGS_PNG,
        "readings": READINGS_CSV,
        "tx_power_dbm": None,
        "georef": case.georef.to_json() if case.georef else None,
        "metadata": case.metadata,
    }


def case_files(case: UserCase, extras: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Every file of the case format for `case`, by name; `extras` are added as they are."""
    files = {
        CASE_JSON: (json.dumps(case_json(case), indent=2, default=str) + "\n").encode(),
        BUILDINGS_PNG: buildings_png(case.buildings),
        READINGS_CSV: readings_csv(case),
    }
    files.update(extras or {})
    return files


def case_zip(case: UserCase, extras: dict[str, bytes] | None = None) -> bytes:
    """The case folder as zip bytes (what the Explorer's "Download case" gives)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in case_files(case, extras).items():
            archive.writestr(name, data)
    return out.getvalue()


def write_case(folder: str | Path, case: UserCase, extras: dict[str, bytes] | None = None) -> Path:
    """Write the case folder (each file atomically); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in case_files(case, extras).items():
        atomic_write(folder / name, lambda tmp, data=data: tmp.write_bytes(data))
    return folder


def _georef(value: Any, where: str) -> GeoRef | None:
    if value is None:
        return None
    try:
        return GeoRef(str(value["crs"]), float(value["x_west_m"]), float(value["y_north_m"]))
    except (KeyError, TypeError, ValueError):
        raise CaseError(f"{where}: 'georef' needs crs, x_west_m and y_north_m") from None


def case_from_files(files: dict[str, bytes], where: str, **overrides: Any) -> UserCase:
    """A UserCase from the files of a case folder or zip (name -> bytes)."""
    if CASE_JSON not in files:
        raise CaseError(
            f"{where} has no {CASE_JSON}; a case is a folder or zip with case.json, "
            "the building map and readings.csv (docs/cases.md)"
        )
    try:
        meta = json.loads(files[CASE_JSON].decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaseError(f"{where}/{CASE_JSON} is not UTF-8 JSON ({exc}); restore it") from None
    fmt = meta.get("format") if isinstance(meta, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith("locnet-case/"):
        raise CaseError(f"{where}/{CASE_JSON} has format {fmt!r}, expected {FORMAT!r}")
    if fmt != FORMAT:
        raise CaseError(
            f"{where} is format {fmt}; this version reads {FORMAT}: update LocNet Explorer"
        )
    names = {k: meta.get(k) for k in ("buildings", "readings")}
    for key, name in names.items():
        if not isinstance(name, str) or name not in files:
            raise CaseError(f"{where}: case.json names {key} file {name!r}, which is not there")
    tile = meta.get("tile") or {}
    fit = tile.get("fit", "exact")
    if fit not in FITS:
        raise CaseError(f"{where}/{CASE_JSON}: tile.fit must be one of {', '.join(FITS)}")
    kwargs = {
        "tx_power_dbm": meta.get("tx_power_dbm"),
        "center": tuple(tile["center"]) if tile.get("center") else None,
        "bbox": tile.get("bbox"),
        "fit": fit,
        "georef": _georef(meta.get("georef"), f"{where}/{CASE_JSON}"),
        "metadata": meta.get("metadata") or {},
    }
    kwargs.update({k: v for k, v in overrides.items() if v is not None})
    return build_case(
        files[names["buildings"]],
        f"{where}/{names['buildings']}",
        files[names["readings"]],
        f"{where}/{names['readings']}",
        **kwargs,
    )


def zip_members(data: bytes, where: str) -> dict[str, bytes]:
    """Top-level files of a case zip (one enclosing folder is allowed), name -> bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if any(i.file_size > MAX_MEMBER_BYTES for i in infos):
                raise CaseError(
                    f"{where} holds a file over {MAX_MEMBER_BYTES >> 20} MB; "
                    "a case is a map and a readings table"
                )
            return {Path(i.filename).name: archive.read(i) for i in infos}
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise CaseError(f"{where} is not a readable zip ({exc}); download the case again") from None


def read_case(path: str | Path, **overrides: Any) -> UserCase:
    """A case folder or .zip on disk -> UserCase."""
    path = Path(path)
    if path.is_dir():
        files = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    elif path.is_file():
        files = zip_members(path.read_bytes(), str(path))
    else:
        raise CaseError(f"case {path} does not exist; give a case folder or .zip")
    return case_from_files(files, str(path), **overrides)
