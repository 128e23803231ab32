"""case.json as a declared schema: each field's JSON type and range, checked before use.

`read_case_json` turns the parsed JSON into a `CaseSpec` (frozen dataclasses, one per
JSON object) or raises one CaseError that names the file and the field, e.g.
`c/case.json: tile.center must be [lat, lon] ...`. A field is declared once, with its
JSON key, its check (which also converts: a JSON list becomes a tuple, a georef a
`GeoRef`) and, for an optional field, its default. Keys this version does not know are
returned as warnings: a misspelt `tx_power_dBm` must not vanish silently.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from locnet.cases import geo
from locnet.cases.case import FIT_EXACT, FITS, FORMAT, CaseError, GeoRef
from locnet.cases.readings import TX_POWER_RANGE_DBM

PROJECTED_RANGE_M = 1e8  # |easting|, |northing| of any real projected grid is far below
JSON_TYPES = {dict: "an object {...}", list: "a list [...]", str: "a string", bool: "true/false"}
JSON_TYPES.update({int: "a number", float: "a number", type(None): "null"})

Check = Callable[[Any, str], Any]  # (JSON value, field path) -> converted value, or CaseError


class FieldError(ValueError):
    """A field's value is wrong; the message is completed with the file and field path."""


def _kind(value: Any) -> str:
    return JSON_TYPES.get(type(value), type(value).__name__)


def _number(value: Any, path: str, lo: float, hi: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(f"must be a number ({unit}), got {_kind(value)} {value!r:.40}")
    if not math.isfinite(value) or not lo <= value <= hi:
        raise FieldError(f"must be a number in {lo:g} .. {hi:g} ({unit}), got {value!r}")
    return float(value)


def number(lo: float, hi: float, unit: str) -> Check:
    """A finite JSON number in [lo, hi] (never true/false)."""
    return lambda value, path: _number(value, path, lo, hi, unit)


def file_name(value: Any, path: str) -> str:
    """A plain file name inside the case (no folder, no '..'): the case is read from its
    folder or zip only."""
    if not isinstance(value, str) or not value.strip():
        raise FieldError(f"must name a file of the case (a string), got {_kind(value)}")
    if "/" in value or "\\" in value or value in (".", "..") or len(value) > 255:
        raise FieldError(f"must be a plain file name in the case folder, got {value!r:.80}")
    return value


def one_of(choices: tuple[str, ...]) -> Check:
    def check(value: Any, path: str) -> str:
        if value not in choices:
            raise FieldError(f"must be one of {', '.join(map(repr, choices))}, got {value!r:.40}")
        return value

    return check


def latlon(value: Any, path: str) -> tuple[float, float]:
    """[lat, lon] in WGS 84 degrees."""
    if not isinstance(value, list) or len(value) != 2:
        raise FieldError(f"must be [lat, lon] (two numbers), got {_kind(value)} {value!r:.60}")
    return (
        _number(value[0], path, -90.0, 90.0, "latitude, degrees"),
        _number(value[1], path, -180.0, 180.0, "longitude, degrees"),
    )


def bounding_box(value: Any, path: str) -> tuple[float, ...]:
    """[min_x, min_y, max_x, max_y] (or the 6 numbers of a 3-D GeoJSON bbox)."""
    if not isinstance(value, list) or len(value) not in (4, 6):
        raise FieldError(
            f"must be [min_x, min_y, max_x, max_y] (four numbers), got {_kind(value)} {value!r:.60}"
        )
    return tuple(
        _number(v, path, -PROJECTED_RANGE_M, PROJECTED_RANGE_M, "CRS units") for v in value
    )


def projected_crs(value: Any, path: str) -> str:
    """A known projected CRS in metres (pyproj), e.g. 'EPSG:32635'."""
    if not isinstance(value, str):
        raise FieldError(f"must name a CRS as a string like 'EPSG:32635', got {_kind(value)}")
    try:
        crs = geo.parse_crs(value, path)
    except CaseError as exc:
        raise FieldError(str(exc).removeprefix(f"{path}: ")) from None
    if not crs.is_projected:
        raise FieldError(
            f"must be a projected CRS in metres (e.g. a UTM zone, EPSG:326xx), got {value!r}, "
            "which is lon/lat"
        )
    return value


def json_object(value: Any, path: str) -> dict[str, Any]:
    """Any JSON object (free-form)."""
    if not isinstance(value, dict):
        raise FieldError(f"must be a JSON object {{...}}, got {_kind(value)}")
    return value


def rule(check: Check | type) -> dict[str, Any]:
    """A schema field's metadata: its check, a function or, for a nested JSON object, a
    schema dataclass. The JSON key is the attribute's name; an optional field has a
    default, and null counts as absent."""
    return {"check": check}


def read_object(cls: type, value: Any, path: str, warnings: list[str]) -> Any:
    """An instance of the schema dataclass `cls` from a JSON object, every field checked;
    errors name the field's path ('tile.center: must be ...'); unknown keys are warnings."""
    if not isinstance(value, dict):
        raise CaseError(f"{path}: must be a JSON object {{...}}, got {_kind(value)}")
    known, values = set(), {}
    for f in fields(cls):
        key = f.name
        known.add(key)
        where = f"{path}.{key}" if path else key
        if value.get(key) is None:
            if f.default is MISSING and f.default_factory is MISSING:
                raise CaseError(
                    f"{where}: is {'null' if key in value else 'missing'}; it is required"
                )
            continue
        check = f.metadata["check"]
        try:
            if isinstance(check, type):
                values[f.name] = read_object(check, value[key], where, warnings)
            else:
                values[f.name] = check(value[key], where)
        except FieldError as exc:
            raise CaseError(f"{where}: {exc}") from None
    warnings += [
        f"{path + '.' if path else ''}{key} is not a field of {FORMAT} and is ignored "
        "(check its spelling)"
        for key in value
        if key not in known
    ]
    return cls(**values)


EASTING_NORTHING = number(-PROJECTED_RANGE_M, PROJECTED_RANGE_M, "metres")


@dataclass(frozen=True)
class TileSpec:
    """Which 256 m tile GeoJSON footprints are cut to (docs/cases.md)."""

    center: tuple[float, float] | None = field(default=None, metadata=rule(latlon))
    bbox: tuple[float, ...] | None = field(default=None, metadata=rule(bounding_box))
    fit: str = field(default=FIT_EXACT, metadata=rule(one_of(FITS)))


@dataclass(frozen=True)
class GeoRefSpec:
    """The tile's west and north edges in a projected CRS (metres)."""

    crs: str = field(metadata=rule(projected_crs))
    x_west_m: float = field(metadata=rule(EASTING_NORTHING))
    y_north_m: float = field(metadata=rule(EASTING_NORTHING))

    def georef(self) -> GeoRef:
        return GeoRef(self.crs, self.x_west_m, self.y_north_m)


@dataclass(frozen=True)
class CaseSpec:
    """case.json of format locnet-case/1 (the format field is checked before the rest)."""

    format: str = field(metadata=rule(one_of((FORMAT,))))
    buildings: str = field(metadata=rule(file_name))
    readings: str = field(metadata=rule(file_name))
    tx_power_dbm: float | None = field(
        default=None, metadata=rule(number(*TX_POWER_RANGE_DBM, "dBm"))
    )
    georef: GeoRefSpec | None = field(default=None, metadata=rule(GeoRefSpec))
    tile: TileSpec = field(default_factory=TileSpec, metadata=rule(TileSpec))
    metadata: dict[str, Any] = field(default_factory=dict, metadata=rule(json_object))


def read_case_json(obj: Any, where: str) -> tuple[CaseSpec, list[str]]:
    """(CaseSpec, warnings) of parsed case.json `obj`; `where` names the file in messages.

    The format is checked first, so a newer case says "update LocNet Explorer" rather
    than complaining about fields this version does not know."""
    fmt = obj.get("format") if isinstance(obj, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith("locnet-case/"):
        raise CaseError(f"{where} has format {fmt!r}, expected {FORMAT!r}")
    if fmt != FORMAT:
        raise CaseError(
            f"{where} is format {fmt}; this version reads {FORMAT}: update LocNet Explorer"
        )
    unknown: list[str] = []
    try:
        case = read_object(CaseSpec, obj, "", unknown)
    except CaseError as exc:
        raise CaseError(f"{where}: {exc}") from None
    warnings = [f"{where}: {w}" for w in unknown]
    if case.georef is not None:
        warnings += geo.check_area_of_use(case.georef.georef(), f"{where}: georef")
    return case, warnings
