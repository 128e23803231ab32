"""A building map and a readings file (bytes, as uploaded or read) -> one UserCase.

The building map is a 256 x 256 PNG (gray or 1-bit, non-zero = building, 1 m/pixel) or
GeoJSON footprints (see footprints.py); which one is decided by the file's content
(the PNG signature), never by trying both. The CLI and the app both come here.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from locnet.cases import geo
from locnet.cases.case import FIT_EXACT, CaseError, GeoRef, UserCase
from locnet.cases.footprints import footprints_to_map
from locnet.cases.readings import parse_readings, place_readings
from locnet.constants import FLOOR_DB, MAP_SIZE
from locnet.data.maps import db_to_gray_value

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def buildings_from_png(data: bytes, name: str) -> np.ndarray:
    """uint8 0/1 (256, 256) from PNG bytes: any gray or 1-bit image, non-zero = building."""
    if not data:
        raise CaseError(f"{name} is empty; give a 256 x 256 PNG building map")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.size != (MAP_SIZE, MAP_SIZE):
                raise CaseError(
                    f"{name} is {image.size[0]} x {image.size[1]} pixels; the building map must "
                    f"be {MAP_SIZE} x {MAP_SIZE} at 1 m/pixel: crop or pad it, or give GeoJSON "
                    "footprints with the tile centre"
                )
            if image.mode in ("1", "L", "I", "I;16", "F"):
                gray = np.asarray(image)
            else:
                rgb = np.asarray(image.convert("RGB"))
                if (rgb[..., 0] != rgb[..., 1]).any() or (rgb[..., 0] != rgb[..., 2]).any():
                    raise CaseError(
                        f"{name} is a colour image; save the building map as gray or "
                        "black-and-white PNG (buildings non-zero, open space 0)"
                    )
                gray = rgb[..., 0]
    except CaseError:
        raise
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise CaseError(f"{name} is not a readable PNG ({exc}); export it again as PNG") from None
    buildings = (np.asarray(gray) != 0).astype(np.uint8)
    if buildings.all():
        raise CaseError(
            f"{name} is building everywhere; open space must be 0 (black), "
            "buildings non-zero (is the map inverted?)"
        )
    return buildings


def load_buildings(
    data: bytes,
    name: str,
    *,
    center=None,
    bbox=None,
    fit: str = FIT_EXACT,
    georef: GeoRef | None = None,
) -> tuple[np.ndarray, GeoRef | None, list[str]]:
    """(buildings, georef or None, warnings) from PNG or GeoJSON bytes."""
    if data[:8] == PNG_SIGNATURE or name.lower().endswith(".png"):
        buildings = buildings_from_png(data, name)
        if georef is None and center is not None:
            georef = geo.georef_at_center(*center)
        elif georef is None and bbox is not None:
            raise CaseError(
                "--bbox is for GeoJSON footprints; for a PNG give the tile centre "
                "(--center LAT,LON)"
            )
        return buildings, georef, []
    return footprints_to_map(data, name, center=center, bbox=bbox, fit=fit)


def build_case(
    buildings: bytes,
    buildings_name: str,
    readings: bytes,
    readings_name: str,
    *,
    tx_power_dbm: float | None = None,
    center: tuple[float, float] | None = None,
    bbox=None,
    fit: str = FIT_EXACT,
    georef: GeoRef | None = None,
    metadata: dict[str, Any] | None = None,
) -> UserCase:
    """The case from a building map and a readings file; every problem is a CaseError
    naming the file, every dropped reading a warning in `case.warnings`."""
    try:
        grid, georef, warnings = load_buildings(
            buildings, buildings_name, center=center, bbox=bbox, fit=fit, georef=georef
        )
        parsed = parse_readings(readings, readings_name, tx_power_dbm=tx_power_dbm, georef=georef)
        sensors, gains, dropped = place_readings(parsed, grid, readings_name)
    except CaseError:
        raise
    except (ValueError, TypeError, RuntimeError, MemoryError) as exc:  # e.g. a PROJ failure
        raise CaseError(
            f"{buildings_name} + {readings_name} could not be read ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:200] if str(exc) else ''}); check them against "
            "docs/cases.md"
        ) from None
    meta = dict(metadata or {})
    meta.setdefault("buildings_file", buildings_name)
    meta.setdefault("readings_file", readings_name)
    meta.setdefault("positions", parsed.positions)
    meta.setdefault("value", parsed.value)
    return UserCase(
        grid,
        sensors,
        gains,
        parsed.truth_xy,
        georef,
        tx_power_dbm if parsed.value == "rss_dbm" else None,
        warnings + parsed.warnings + dropped + underdetermined_warning(gains, readings_name),
        meta,
    )


def underdetermined_warning(gains_db: np.ndarray, name: str) -> list[str]:
    """A warning when fewer than MIN_FIT_READINGS readings are above the floor (the models
    see gray 0 below it): the path-loss fit's two parameters then fit them anywhere."""
    from locnet.models.classical import MIN_FIT_READINGS  # torch: only once a case is read

    heard = int((np.rint(db_to_gray_value(gains_db)) > 0).sum())
    if heard >= MIN_FIT_READINGS:
        return []
    text = (
        f"{name}: only {heard} reading(s) above the {FLOOR_DB:g} dB floor; the path-loss fit "
        f"(pathloss) needs {MIN_FIT_READINGS} to tell positions apart, so it answers the "
        "strongest sensor's position"
    )
    return [text]
