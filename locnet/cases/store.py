"""The case format on disk (docs/cases.md): a folder or a .zip holding case.json,
buildings.png (or buildings.geojson) and readings.csv, plus any extra files (a picture,
predictions) that readers ignore: only case.json and the two files it names are read,
each within the size limits of locnet.cases.limits (a zip's checked on its central
directory before anything is unpacked).

Written from a UserCase the readings are x_m,y_m,gain_db at full float precision and the
map a 0/255 PNG, so reading the files back gives the same case bit for bit (and the same
predictions). Files are written atomically; a zip is built in memory (for downloads).
"""

from __future__ import annotations

import io
import json
import os
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from PIL import Image

from locnet.cases.case import FORMAT, CaseError, UserCase
from locnet.cases.limits import (
    EXPANSION_FROM_BYTES,
    MAX_CASE_BYTES,
    MAX_CASE_JSON_BYTES,
    MAX_EXPANSION,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    check_size,
    megabytes,
    read_capped,
)
from locnet.cases.load import build_case
from locnet.cases.schema import read_case_json
from locnet.files import atomic_write

CASE_JSON = "case.json"
BUILDINGS_PNG = "buildings.png"
READINGS_CSV = "readings.csv"
JSON_WHY = "a few fields and the metadata"
MEMBER_WHY = "a case is a 256 x 256 map and at most 65,536 readings"
Reader = Callable[[str], "bytes | None"]  # a case's file by name; None: no such file
T = TypeVar("T")


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


def case_from_files(files: Mapping[str, bytes], where: str, **overrides: Any) -> UserCase:
    """A UserCase from the files of a case held in memory (name -> bytes)."""
    return read_case_with(files.get, where, **overrides)


def load_case_json(read: Reader, where: str) -> Any:
    """The parsed case.json of the case whose files `read(name)` gives (size-capped)."""
    raw = read(CASE_JSON)
    if raw is None:
        raise CaseError(
            f"{where} has no {CASE_JSON}; a case is a folder or zip with case.json, "
            "the building map and readings.csv (docs/cases.md)"
        )
    check_size(len(raw), MAX_CASE_JSON_BYTES, f"{where}/{CASE_JSON}", JSON_WHY)
    try:
        meta = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise CaseError(f"{where}/{CASE_JSON} is not UTF-8 JSON ({reason}); restore it") from None
    return meta


def read_case_with(read: Reader, where: str, **overrides: Any) -> UserCase:
    """The case whose files `read(name)` gives (None: no such file): case.json first,
    checked against the schema (locnet.cases.schema), then only the two files it names.
    `overrides` (CLI flags, app inputs) replace case.json's values when not None."""
    spec, warnings = read_case_json(load_case_json(read, where), f"{where}/{CASE_JSON}")
    data = {}
    for key, name in (("buildings", spec.buildings), ("readings", spec.readings)):
        data[key] = read(name)
        if data[key] is None:
            raise CaseError(f"{where}: case.json names {key} file {name!r}, which is not there")
    kwargs = {
        "tx_power_dbm": spec.tx_power_dbm,
        "center": spec.tile.center,
        "bbox": list(spec.tile.bbox) if spec.tile.bbox else None,
        "fit": spec.tile.fit,
        "georef": spec.georef.georef() if spec.georef else None,
        "metadata": spec.metadata,
    }
    kwargs.update({k: v for k, v in overrides.items() if v is not None})
    case = build_case(
        data["buildings"],
        f"{where}/{spec.buildings}",
        data["readings"],
        f"{where}/{spec.readings}",
        **kwargs,
    )
    case.warnings[:0] = warnings
    return case


def zip_index(archive: zipfile.ZipFile, where: str) -> dict[str, zipfile.ZipInfo]:
    """The files of a case zip by base name (any enclosing folders stripped), checked
    from the central directory before anything is unpacked: at most MAX_MEMBERS files,
    MAX_MEMBER_BYTES each, MAX_CASE_BYTES in all, none expanding more than MAX_EXPANSION
    times, and no two with one base name (which one would be read could not be known)."""
    infos = [i for i in archive.infolist() if not i.is_dir()]
    total = sum(i.file_size for i in infos)
    if len(infos) > MAX_MEMBERS or total > MAX_CASE_BYTES:
        raise CaseError(
            f"{where} holds {len(infos):,} files, {megabytes(total)} unpacked; a case zip may "
            f"hold at most {MAX_MEMBERS} files and {megabytes(MAX_CASE_BYTES)} in all, since "
            "it is unpacked in memory (a case is case.json, the map and readings.csv)"
        )
    for info in infos:
        if info.file_size > MAX_MEMBER_BYTES:
            raise CaseError(
                f"{where} holds {info.filename!r} of {megabytes(info.file_size)}; a file of a "
                f"case may be at most {megabytes(MAX_MEMBER_BYTES)} (a case is a map and a "
                "readings table)"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > EXPANSION_FROM_BYTES and ratio > MAX_EXPANSION:
            raise CaseError(
                f"{where}: {info.filename!r} would expand {ratio:,.0f} "
                f"times ({megabytes(info.compress_size)} -> {megabytes(info.file_size)}); a "
                f"case zip's files may expand at most {MAX_EXPANSION} times (is it a zip bomb?)"
            )
    by_name: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        base = PurePosixPath(info.filename.replace("\\", "/")).name
        if base in by_name:
            raise CaseError(
                f"{where} holds both {by_name[base].filename!r} and {info.filename!r}, which "
                f"are both {base!r} without their folders; keep only one of them"
            )
        by_name[base] = info
    return by_name


ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError)


def read_case_zip(source: bytes | str | Path, where: str, **overrides: Any) -> UserCase:
    """A case zip (its bytes, or its path: then only the central directory and the files
    the case names are read from disk) -> UserCase."""
    return with_zip(source, where, lambda read, w: read_case_with(read, w, **overrides))


def with_zip(source: bytes | str | Path, where: str, consume: Callable[[Reader, str], T]) -> T:
    """consume(read, where) with `read` giving the files of a case zip (its bytes or its
    path), checked by zip_index before anything is unpacked."""

    def unreadable(exc: BaseException) -> CaseError:
        return CaseError(f"{where} is not a readable zip ({exc}); download the case again")

    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except ZIP_ERRORS as exc:
        raise unreadable(exc) from None
    with archive:
        try:
            members = zip_index(archive, where)
        except ZIP_ERRORS as exc:
            raise unreadable(exc) from None

        def read(name: str) -> bytes | None:
            if name not in members:
                return None
            try:
                return archive.read(members[name])
            except ZIP_ERRORS as exc:
                raise unreadable(exc) from None

        return consume(read, where)


def read_case_folder(folder: str | Path, **overrides: Any) -> UserCase:
    """A case folder -> UserCase, reading case.json and the two files it names and
    nothing else (other files may be anything, of any size)."""
    return read_case_with(folder_reader(folder), str(folder), **overrides)


def folder_reader(folder: str | Path) -> Reader:
    """The files of a case folder by name, each size-capped before it is read."""
    folder = Path(folder)

    def read(name: str) -> bytes | None:
        path = folder / name
        if not os.path.lexists(path):
            return None
        if name == CASE_JSON:
            return read_capped(path, str(path), MAX_CASE_JSON_BYTES, JSON_WHY)
        return read_capped(path, str(path), MAX_MEMBER_BYTES, MEMBER_WHY)

    return read


def read_case(path: str | Path, **overrides: Any) -> UserCase:
    """A case folder or .zip on disk -> UserCase."""
    return with_case(path, lambda read, where: read_case_with(read, where, **overrides))


def with_case(path: str | Path, consume: Callable[[Reader, str], T]) -> T:
    """consume(read, where) on a case folder or .zip on disk."""
    path = Path(path)
    if path.is_dir():
        return consume(folder_reader(path), str(path))
    if path.is_file():
        return with_zip(path, str(path), consume)
    raise CaseError(f"case {path} does not exist; give a case folder or .zip")
