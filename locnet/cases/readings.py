"""Sensor readings from a CSV: positions and one value column, units from the header.

Header names (case and surrounding spaces ignored): positions `x_m, y_m` (map metres,
x = column east, y = row south, pixel centres at whole metres) or `lat, lon` (WGS 84);
exactly one value column, `gain_db` (path gain) or `rss_dbm` (received power: gain =
rss - transmit power, so the power must be given); optional truth `truth_x_m, truth_y_m`
or `truth_lat, truth_lon` (the same on every row that fills them). Nothing is guessed:
a missing unit, NaN, a value out of physical range or two readings on one pixel is an
error; readings outside the tile or on a building are dropped with a warning naming them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from locnet.cases import geo
from locnet.cases.case import CaseError, GeoRef
from locnet.cases.limits import (
    MAX_CSV_BYTES,
    MAX_CSV_COLUMNS,
    MAX_LINE_BYTES,
    MAX_READINGS,
    check_size,
)
from locnet.constants import FLOOR_DB, MAP_SIZE, MAX_DB, PIXEL_M

POSITIONS = {"metres": ("x_m", "y_m"), "latlon": ("lat", "lon")}
TRUTHS = {"metres": ("truth_x_m", "truth_y_m"), "latlon": ("truth_lat", "truth_lon")}
VALUES = ("gain_db", "rss_dbm")
UNITLESS = ("gain", "rss", "rssi", "power", "value", "db", "dbm", "signal", "x", "y")
GAIN_RANGE_DB = (-250.0, 0.0)  # a path gain is a loss: never positive, never beyond -250 dB
RSS_RANGE_DBM = (-200.0, 90.0)
TX_POWER_RANGE_DBM = (-50.0, 90.0)
LISTED = 5  # rows named in a message before "..."
KNOWN_COLUMNS = {c for kind in (POSITIONS, TRUTHS) for pair in kind.values() for c in pair}
KNOWN_COLUMNS |= set(VALUES)  # the columns read; others are checked for width, then dropped


@dataclass
class Readings:
    """Parsed rows: positions in map metres, gains in dB, the CSV line of each row."""

    x_m: np.ndarray
    y_m: np.ndarray
    gains_db: np.ndarray
    lines: np.ndarray
    positions: str  # "metres" or "latlon"
    value: str  # "gain_db" or "rss_dbm"
    truth_xy: tuple[float, float] | None = None
    warnings: list[str] = field(default_factory=list)


def decode_text(data: bytes, name: str) -> str:
    """UTF-8 text of a file (a BOM is fine); CaseError if empty or not UTF-8."""
    if not data.strip():
        raise CaseError(
            f"{name} is empty; it needs a header (e.g. x_m,y_m,gain_db or "
            "lat,lon,rss_dbm) and one row per sensor"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(
            f"{name} is not UTF-8 text (byte {data[exc.start]:#04x} at offset "
            f"{exc.start}); save it as UTF-8 CSV"
        ) from None


def line_list(lines: np.ndarray) -> str:
    shown = ", ".join(str(int(n)) for n in lines[:LISTED])
    return shown + (f" and {len(lines) - LISTED} more" if len(lines) > LISTED else "")


def check_line_lengths(data: bytes, name: str) -> None:
    """CaseError for a line over MAX_LINE_BYTES (checked on the bytes, before the CSV
    parser builds a field for every comma of it)."""
    breaks = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    lengths = np.diff(np.concatenate(([-1], breaks, [len(data)]))) - 1
    if lengths.size and lengths.max() > MAX_LINE_BYTES:
        line = int(np.argmax(lengths > MAX_LINE_BYTES)) + 1
        raise CaseError(
            f"{name}: line {line} is {int(lengths[line - 1]):,} bytes long; a line may have at "
            f"most {MAX_LINE_BYTES:,} (one sensor per line: is this a readings CSV?)"
        )


def csv_rows(
    text: str, name: str, known: frozenset[str] | set[str] = KNOWN_COLUMNS
) -> tuple[list[str], pd.DataFrame]:
    """(header, rows) of the CSV: the header's column names (lower case), and the `known`
    columns of every row as strings, indexed by their line number in the file (for
    messages). Rows are read one at a time: beyond MAX_READINGS they are only counted,
    and a row of the wrong width is only noted, so the memory stays bounded."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True, strict=True)
    header: list[str] | None = None
    keep: list[int] = []
    rows, lines, ragged, count = [], [], [], 0
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if header is None:
                header = _header(row, name)
                keep = [i for i, c in enumerate(header) if c in known]
                continue
            count += 1
            if count > MAX_READINGS:
                continue
            if len(row) != len(header):
                ragged.append(reader.line_num)
                continue
            rows.append([row[i] for i in keep])
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise CaseError(
            f"{name} is not a readable CSV (line {reader.line_num}: {exc}); one header "
            "line, then one comma-separated row per sensor"
        ) from None
    if not count:
        raise CaseError(f"{name} has a header but no reading; add one row per sensor")
    if count > MAX_READINGS:
        raise CaseError(
            f"{name} has {count:,} readings; at most {MAX_READINGS:,} "
            "(one per 1 m pixel of the tile) are accepted: thin them out"
        )
    if ragged:
        raise CaseError(
            f"{name}: line(s) {line_list(np.array(ragged))} do not have the header's "
            f"{len(header)} fields; one value per column on every row"
        )
    return header, pd.DataFrame(rows, columns=[header[i] for i in keep], index=lines)


def _header(row: list[str], name: str) -> list[str]:
    header = [c.strip().lower() for c in row]
    if len(header) > MAX_CSV_COLUMNS:
        raise CaseError(
            f"{name} has {len(header):,} columns; at most {MAX_CSV_COLUMNS} are read "
            "(x_m,y_m or lat,lon, gain_db or rss_dbm, optional truth): drop the others"
        )
    twice = sorted({c for c in header if header.count(c) > 1})
    if twice:
        raise CaseError(
            f"{name}: column(s) {', '.join(twice)} appear twice in the header; keep one"
        )
    return header


def _columns(header: list[str], name: str) -> tuple[str, str]:
    cols = set(header)
    kinds = [k for k, pair in POSITIONS.items() if set(pair) <= cols]
    if len(kinds) != 1:
        what = (
            "both x_m,y_m and lat,lon"
            if kinds
            else f"none of x_m,y_m or lat,lon (header: {', '.join(header)})"
        )
        raise CaseError(
            f"{name} has {what}; give exactly one position pair: x_m,y_m "
            "(map metres) or lat,lon (WGS 84)"
        )
    values = [v for v in VALUES if v in cols]
    if len(values) != 1:
        unitless = [c for c in header if c in UNITLESS]
        hint = f" (column {unitless[0]!r} has no unit)" if unitless else ""
        what = "both gain_db and rss_dbm" if values else "no value column" + hint
        raise CaseError(
            f"{name} has {what}; give exactly one: gain_db (path gain, dB) or "
            "rss_dbm (received power, dBm, with the transmit power)"
        )
    return kinds[0], values[0]


def numbers_in(table: pd.DataFrame, column: str, name: str, *, allow_empty=False) -> np.ndarray:
    raw = table[column].astype(str).str.strip()
    values = pd.to_numeric(raw.where(raw != "", "nan"), errors="coerce").to_numpy(np.float64)
    lines = table.index.to_numpy()
    bad = ~np.isfinite(values) & ~(allow_empty & (raw == "").to_numpy())
    if bad.any():
        raise CaseError(
            f"{name}: {column} is empty, NaN or not a number on line(s) "
            f"{line_list(lines[bad])}; fill in a number or delete the row"
        )
    return values


def check_range(values, lines, column, bounds, name, fix) -> None:
    bad = (values < bounds[0]) | (values > bounds[1])
    if bad.any():
        raise CaseError(
            f"{name}: {column} {values[bad][0]:g} on line(s) {line_list(lines[bad])} "
            f"is outside the physical range {bounds[0]:g} .. {bounds[1]:g}; {fix}"
        )


def _gains(table, value, tx_power_dbm, lines, name) -> tuple[np.ndarray, list[str]]:
    values = numbers_in(table, value, name)
    if value == "gain_db":
        check_range(
            values,
            lines,
            value,
            GAIN_RANGE_DB,
            name,
            "a path gain is received minus transmitted power (e.g. -120 dB); "
            "received powers go in an rss_dbm column",
        )
        gains = values
    else:
        if tx_power_dbm is None or not np.isfinite(tx_power_dbm):
            raise CaseError(
                f"{name} gives rss_dbm (received power): give the transmit power "
                "(CLI --tx-power-dbm P; app: transmit power) so gain = rss - P"
            )
        check_range(
            np.array([tx_power_dbm]),
            np.array([0]),
            "transmit power",
            TX_POWER_RANGE_DBM,
            name,
            "give it in dBm",
        )
        check_range(values, lines, value, RSS_RANGE_DBM, name, "give received power in dBm")
        gains = values - tx_power_dbm
        check_range(
            gains,
            lines,
            "rss_dbm - transmit power",
            GAIN_RANGE_DB,
            name,
            f"received power above the transmit power {tx_power_dbm:g} dBm: "
            "check the power or the column's unit",
        )
    warnings = []
    outside = (gains < FLOOR_DB) | (gains > MAX_DB)
    if outside.any():
        warnings.append(
            f"{name}: {int(outside.sum())} reading(s) (line(s) {line_list(lines[outside])}) "
            f"are outside {FLOOR_DB:g} .. {MAX_DB:g} dB, the range the models know; "
            "they are clipped to it"
        )
    return gains, warnings


def _truth(table, kind, georef, name) -> tuple[float, float] | None:
    pair = TRUTHS[kind]
    if not any(c in table.columns for c in pair):
        return None
    if not all(c in table.columns for c in pair):
        raise CaseError(f"{name}: give both {pair[0]} and {pair[1]} for the true position")
    a, b = (numbers_in(table, c, name, allow_empty=True) for c in pair)
    filled = np.isfinite(a) & np.isfinite(b)
    if not filled.any():
        return None
    if np.unique(a[filled]).size > 1 or np.unique(b[filled]).size > 1:
        raise CaseError(
            f"{name}: {pair[0]},{pair[1]} differ between rows; a case has one "
            "transmitter: write the same truth on every row (or on one)"
        )
    if kind == "latlon":
        x, y = geo.latlon_to_map(georef, [a[filled][0]], [b[filled][0]])
        return float(x[0]), float(y[0])
    return float(a[filled][0]), float(b[filled][0])


def read_table(
    data: bytes, name: str, known: frozenset[str] | set[str] = KNOWN_COLUMNS
) -> tuple[list[str], pd.DataFrame]:
    """(header, rows of the `known` columns) of a readings CSV's bytes, its size and line
    lengths checked before it is parsed (see csv_rows)."""
    check_size(
        len(data),
        MAX_CSV_BYTES,
        name,
        f"{MAX_READINGS:,} readings of up to 512 bytes: thin it out or drop unused columns",
    )
    check_line_lengths(data, name)
    return csv_rows(decode_text(data, name), name, known)


def parse_readings(
    data: bytes, name: str, *, tx_power_dbm: float | None = None, georef: GeoRef | None = None
) -> Readings:
    """Rows of a readings CSV in map metres and dB (checks everything except the map)."""
    header, table = read_table(data, name)
    kind, value = _columns(header, name)
    if kind == "latlon" and georef is None:
        raise CaseError(
            f"{name} gives lat,lon but the building map has no geographic "
            "reference: give the tile centre (CLI --center LAT,LON; app: tile "
            "centre), GeoJSON footprints, or readings in x_m,y_m"
        )
    lines = table.index.to_numpy()
    a, b = (numbers_in(table, c, name) for c in POSITIONS[kind])
    if kind == "latlon":
        geo.check_latlon(a, b, name)
        x_m, y_m = geo.latlon_to_map(georef, a, b)
    else:
        x_m, y_m = a, b
    gains, warnings = _gains(table, value, tx_power_dbm, lines, name)
    truth = _truth(table, kind, georef, name)
    return Readings(x_m, y_m, gains, lines, kind, value, truth, warnings)


def place_readings(
    r: Readings, buildings: np.ndarray, name: str
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Pixels (x, y) and gains of the readings on outdoor pixels of the tile; readings off
    the tile or on a building are dropped and named in a warning; two on one pixel is a
    CaseError (which value is right cannot be known)."""
    cols, rows = np.rint(r.x_m / PIXEL_M), np.rint(r.y_m / PIXEL_M)
    inside = (cols >= 0) & (cols < MAP_SIZE) & (rows >= 0) & (rows < MAP_SIZE)
    cols, rows = (
        cols.astype(np.int64).clip(0, MAP_SIZE - 1),
        rows.astype(np.int64).clip(0, MAP_SIZE - 1),
    )
    on_building = inside & (np.asarray(buildings)[rows, cols] != 0)
    warnings = []
    for bad, what in ((~inside, "outside the 256 m x 256 m tile"), (on_building, "on a building")):
        if bad.any():
            where = "; ".join(
                f"line {n}: ({x:.1f}, {y:.1f}) m"
                for n, x, y in zip(r.lines[bad][:LISTED], r.x_m[bad], r.y_m[bad])
            )
            more = f" and {int(bad.sum()) - LISTED} more" if bad.sum() > LISTED else ""
            warnings.append(
                f"{name}: dropped {int(bad.sum())} reading(s) {what} ({where}{more}); "
                "readings are not moved to another pixel"
            )
    keep = inside & ~on_building
    flat = rows[keep] * MAP_SIZE + cols[keep]
    uniq, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        pixel = int(uniq[counts > 1][0])
        lines = r.lines[keep][flat == pixel]
        raise CaseError(
            f"{name}: lines {line_list(lines)} fall on the same 1 m pixel "
            f"({pixel % MAP_SIZE}, {pixel // MAP_SIZE}); keep one reading per pixel "
            "(average repeated measurements yourself)"
        )
    if not keep.any():
        raise CaseError(
            f"{name}: no reading is left on an outdoor pixel of the tile; "
            "check the positions' columns and the tile"
        )
    xy = np.stack([cols[keep], rows[keep]], axis=1)
    return xy, r.gains_db[keep], warnings
