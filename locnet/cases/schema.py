"""case.json as a declared schema: each field's JSON type and range, checked before use.

`read_case_json` turns the parsed JSON into a `CaseSpec` (frozen dataclasses, one per
JSON object) or raises one CaseError that names the file and the field, e.g.
`c/case.json: tile.center must be [lat, lon] ...`. A field is declared once, with its
JSON key, its check (which also converts: a JSON list becomes a tuple, a georef a
`GeoRef`) and, for an optional field, its default. Keys this version does not know are
returned as warnings: a misspelt `tx_power_dBm` must not vanish silently.

Two formats: `locnet-case/1` (`CaseSpec`: a 256 m tile at 1 m/pixel with a building map)
and `locnet-case/2` of kind "campaign" (`CampaignSpec`: measured readings on any grid,
read by `campaign.py`). `case_format` tells them apart before anything else is read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from locnet.cases import geo
from locnet.cases.case import CAMPAIGN_FORMAT, FIT_EXACT, FITS, FORMAT, CaseError, GeoRef
from locnet.cases.readings import TX_POWER_RANGE_DBM
from locnet.constants import MAP_SIZE

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


def read_object(
    cls: type, value: Any, path: str, warnings: list[str], fmt: str = FORMAT
) -> Any:
    """An instance of the schema dataclass `cls` from a JSON object, every field checked;
    errors name the field's path ('tile.center: must be ...'); unknown keys are warnings
    (naming the format `fmt` they are not a field of)."""
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
                values[f.name] = read_object(check, value[key], where, warnings, fmt)
            else:
                values[f.name] = check(value[key], where)
        except FieldError as exc:
            raise CaseError(f"{where}: {exc}") from None
    warnings += [
        f"{path + '.' if path else ''}{key} is not a field of {fmt} and is ignored "
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


FORMATS = (FORMAT, CAMPAIGN_FORMAT)


def case_format(obj: Any, where: str) -> str:
    """The format of parsed case.json `obj`, one this version reads, or a CaseError: a
    newer case says "update LocNet Explorer" rather than complaining about fields this
    version does not know."""
    fmt = obj.get("format") if isinstance(obj, dict) else None
    if not isinstance(fmt, str) or not fmt.startswith("locnet-case/"):
        raise CaseError(f"{where} has format {fmt!r}, expected {FORMAT!r} or {CAMPAIGN_FORMAT!r}")
    if fmt not in FORMATS:
        raise CaseError(
            f"{where} is format {fmt}; this version reads {' and '.join(FORMATS)}: "
            "update LocNet Explorer"
        )
    return fmt


def read_case_json(obj: Any, where: str) -> tuple[CaseSpec, list[str]]:
    """(CaseSpec, warnings) of parsed case.json `obj` of format locnet-case/1; `where`
    names the file in messages. A campaign case (locnet-case/2) is refused with the
    reader that takes it."""
    if case_format(obj, where) == CAMPAIGN_FORMAT:
        check_campaign_kind(obj, where)
        raise CaseError(
            f"{where} is a campaign case ({CAMPAIGN_FORMAT}: measured readings on a grid, "
            "no 256 m building map); open it with `python -m locnet localize --case` or "
            "locnet.cases.campaign.read_any_case (docs/cases.md#campaign-cases-locnet-case2)"
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


# --- locnet-case/2, kind "campaign" ------------------------------------------------------

CAMPAIGN_KIND = "campaign"
MAX_GRID_PIXELS = MAP_SIZE  # the models' rasters are at most 256 x 256
METRES_PER_PIXEL_RANGE = (0.01, 1000.0)  # 2.56 m .. 256 km a side at 256 pixels
MAX_TRANSMITTERS = 8  # truth positions of one case (POWDER has 1 or 2)
NAME_CHARS = 200  # provenance strings (dataset, fingerprint, split, sample)


def grid_pixels(value: Any, path: str) -> int:
    """Pixels a side of the grid: a whole number 1 .. 256 (the models' rasters)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise FieldError(f"must be a whole number of pixels, got {_kind(value)} {value!r:.40}")
    if not 1 <= value <= MAX_GRID_PIXELS:
        raise FieldError(
            f"is {value!r} pixels; the grid may have at most {MAX_GRID_PIXELS} x "
            f"{MAX_GRID_PIXELS} pixels (the models' rasters): use more metres_per_pixel "
            "for a larger area"
        )
    return int(value)


def short_text(value: Any, path: str) -> str:
    """A non-empty string of at most NAME_CHARS characters."""
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_CHARS:
        raise FieldError(
            f"must be a non-empty string of at most {NAME_CHARS} characters, got "
            f"{_kind(value)} {value!r:.40}"
        )
    return value


def transmitters(value: Any, path: str) -> tuple[tuple[float, float], ...]:
    """[[lat, lon], ...]: 1 to MAX_TRANSMITTERS true transmitter positions (WGS 84)."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_TRANSMITTERS:
        raise FieldError(
            f"must be a list of 1 to {MAX_TRANSMITTERS} [lat, lon] pairs, got "
            f"{_kind(value)} {value!r:.60}"
        )
    out = []
    for i, pair in enumerate(value):
        try:
            out.append(latlon(pair, f"{path}[{i}]"))
        except FieldError as exc:
            raise FieldError(f"[{i}] {exc}") from None
    return tuple(out)


@dataclass(frozen=True)
class GridSpec:
    """The campaign's grid (locnet.measurements.campus.CampusGrid): `size` x `size` pixels
    of `metres_per_pixel`, placed by its west/north edges in a projected `crs`, or by its
    centre [lat, lon] (then in `crs`, default the centre's UTM zone)."""

    metres_per_pixel: float = field(metadata=rule(number(*METRES_PER_PIXEL_RANGE, "metres")))
    size: int = field(metadata=rule(grid_pixels))
    crs: str | None = field(default=None, metadata=rule(projected_crs))
    x_west_m: float | None = field(default=None, metadata=rule(EASTING_NORTHING))
    y_north_m: float | None = field(default=None, metadata=rule(EASTING_NORTHING))
    center: tuple[float, float] | None = field(default=None, metadata=rule(latlon))


@dataclass(frozen=True)
class ProvenanceSpec:
    """Where a campaign case came from: the dataset ("powder" for the POWDER copy), the
    copy's fingerprint, the split whose test side holds the sample, and the sample id."""

    dataset: str = field(metadata=rule(short_text))
    fingerprint: str | None = field(default=None, metadata=rule(short_text))
    split: str | None = field(default=None, metadata=rule(short_text))
    sample: str | None = field(default=None, metadata=rule(short_text))


@dataclass(frozen=True)
class CampaignSpec:
    """case.json of format locnet-case/2, kind "campaign" (docs/cases.md)."""

    format: str = field(metadata=rule(one_of((CAMPAIGN_FORMAT,))))
    kind: str = field(metadata=rule(one_of((CAMPAIGN_KIND,))))
    grid: GridSpec = field(metadata=rule(GridSpec))
    readings: str = field(metadata=rule(file_name))
    buildings: str | None = field(default=None, metadata=rule(file_name))
    truth: tuple[tuple[float, float], ...] = field(default=(), metadata=rule(transmitters))
    tx_power_dbm: float | None = field(
        default=None, metadata=rule(number(*TX_POWER_RANGE_DBM, "dBm"))
    )
    campaign: ProvenanceSpec | None = field(default=None, metadata=rule(ProvenanceSpec))
    metadata: dict[str, Any] = field(default_factory=dict, metadata=rule(json_object))


def check_campaign_kind(obj: dict, where: str) -> None:
    """CaseError for a locnet-case/2 case.json whose kind this version does not know
    (a newer version's kind, or none)."""
    kind = obj.get("kind")
    if kind != CAMPAIGN_KIND:
        raise CaseError(
            f"{where} is format {CAMPAIGN_FORMAT} of kind {kind!r}; this version reads kind "
            f"{CAMPAIGN_KIND!r} of it: update LocNet Explorer (or set \"kind\": "
            f"\"{CAMPAIGN_KIND}\" for a measured campaign, docs/cases.md)"
        )


def read_campaign_json(obj: Any, where: str) -> tuple[CampaignSpec, list[str]]:
    """(CampaignSpec, warnings) of parsed case.json `obj` of format locnet-case/2; a
    locnet-case/1 case is refused with the reader that takes it."""
    if case_format(obj, where) != CAMPAIGN_FORMAT:
        raise CaseError(
            f"{where} is a {FORMAT} case (a 256 m tile with a building map); read it with "
            "locnet.cases.store.read_case"
        )
    check_campaign_kind(obj, where)
    unknown: list[str] = []
    try:
        spec = read_object(CampaignSpec, obj, "", unknown, CAMPAIGN_FORMAT)
    except CaseError as exc:
        raise CaseError(f"{where}: {exc}") from None
    grid = spec.grid
    by_edges = (grid.x_west_m, grid.y_north_m)
    if grid.center is None and (grid.crs is None or None in by_edges):
        raise CaseError(
            f"{where}: grid: place the grid by its centre (\"center\": [lat, lon]) or by "
            "\"crs\" with \"x_west_m\" and \"y_north_m\" (its west and north edges)"
        )
    if grid.center is not None and any(v is not None for v in by_edges):
        raise CaseError(
            f"{where}: grid: give either center or x_west_m/y_north_m, not both (which "
            "one places the grid could not be known)"
        )
    return spec, [f"{where}: {w}" for w in unknown]
