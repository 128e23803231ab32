"""Campaign cases (`locnet-case/2`, kind "campaign", docs/cases.md): one measured sample
on a grid of any area, with its receivers' identities.

A campaign is not a 256 m tile: its case.json declares the grid (a
`locnet.measurements.campus.CampusGrid`: CRS and west/north edges, or a centre in lat/lon,
metres per pixel, at most 256 pixels a side), the readings CSV names each receiver (an
uncalibrated receiver is a device with its own offset, so its identity matters), and the
truth, transmit power, a building map and where the case came from (`campaign`: dataset,
its fingerprint, split and sample) are optional. Reading gives one `CampaignCase` holding
the grid and the `MeasuredSample` the measurement models and views take, with the warnings
and the provenance. Version 1 cases are read by `store` as before; `read_any_case` takes
either. Files are read through `store`'s folder/zip readers, within `limits`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from locnet.cases import geo
from locnet.cases.case import CAMPAIGN_FORMAT, CaseError, GeoRef, TILE_M, UserCase
from locnet.cases.readings import (
    POSITIONS,
    RSS_RANGE_DBM,
    check_range,
    line_list,
    numbers_in,
    read_table,
)
from locnet.cases.schema import (
    CAMPAIGN_KIND,
    CampaignSpec,
    GridSpec,
    ProvenanceSpec,
    case_format,
    read_campaign_json,
)
from locnet.cases.store import (
    CASE_JSON,
    Reader,
    read_case_with,
    load_case_json,
    with_case,
    with_zip,
)
from locnet.measurements.campus import CampusGrid
from locnet.measurements.dataset import MeasuredSample

READINGS_CSV = "readings.csv"
RECEIVER, KIND, RSS = "receiver", "kind", "rss_db"
RECEIVER_KINDS = ("fixed", "shuttle", "mobile")  # fixed: never moves (a fingerprint feature)
COLUMNS = frozenset({RECEIVER, KIND, RSS, *POSITIONS["latlon"], *POSITIONS["metres"]})
MAX_RECEIVER_CHARS = 100
UNNAMED_SAMPLE = "case"  # the sample id of a case whose provenance names none


@dataclass
class CampaignCase:
    """One measured sample on its grid. `sample.xy_m` / `truth_m` are grid metres (x east
    from the west column's centre, y south from the north row's, CampusGrid's convention);
    `kinds` each receiver's kind ("" when the CSV does not say); `lines` the CSV line of
    each receiver (for messages); `provenance` case.json's `campaign` object or None."""

    grid: CampusGrid
    sample: MeasuredSample
    kinds: tuple[str, ...]
    lines: np.ndarray
    readings_file: str
    tx_power_dbm: float | None = None
    provenance: ProvenanceSpec | None = None
    buildings_file: str | None = None
    warnings: list[str] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def latlon(self, xy_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lat, lon) in WGS 84 degrees of (N, 2) grid metres."""
        xy_m = np.asarray(xy_m, dtype=np.float64).reshape(-1, 2)
        return self.grid.m_to_latlon(xy_m[:, 0], xy_m[:, 1])

    def summary(self) -> dict[str, Any]:
        """What estimates.json says about the input (no arrays but the truth)."""
        lat, lon = self.latlon(self.sample.truth_m)
        return {
            "format": CAMPAIGN_FORMAT,
            "kind": CAMPAIGN_KIND,
            "sample": self.sample.sample,
            "receivers": len(self.sample.receivers),
            "grid": self.grid.to_dict(),
            "truth_xy_m": self.sample.truth_m.tolist(),
            "truth_latlon": [[float(a), float(b)] for a, b in zip(lat, lon)],
            "tx_power_dbm": self.tx_power_dbm,
            "campaign": None if self.provenance is None else vars(self.provenance),
            "warnings": list(self.warnings),
            "metadata": self.metadata,
        }


def campus_grid(spec: GridSpec, where: str) -> tuple[CampusGrid, list[str]]:
    """The grid case.json declares, and warnings about where it lies (its centre checked
    against the area its CRS is made for, as a v1 tile's is)."""
    extent = spec.metres_per_pixel * spec.size
    if spec.center is not None:
        lat, lon = spec.center
        crs = spec.crs or geo.utm_crs(lat, lon)
        east, north = geo.transform(geo.WGS84, crs, [lon], [lat])
        x_west, y_north = float(east[0]) - extent / 2, float(north[0]) + extent / 2
    else:
        crs, x_west, y_north = spec.crs, spec.x_west_m, spec.y_north_m
    grid = CampusGrid(crs, x_west, y_north, spec.metres_per_pixel, spec.size)
    # the v1 check takes a 256 m tile: the one centred on the grid's centre
    centred = GeoRef(crs, x_west + extent / 2 - TILE_M / 2, y_north - extent / 2 + TILE_M / 2)
    return grid, geo.check_area_of_use(centred, f"{where}: grid")


def _receivers(table: pd.DataFrame, name: str) -> tuple[tuple[str, ...], np.ndarray]:
    ids = table[RECEIVER].astype(str).str.strip().to_numpy()
    lines = table.index.to_numpy()
    bad = (ids == "") | (np.char.str_len(ids.astype(str)) > MAX_RECEIVER_CHARS)
    if bad.any():
        raise CaseError(
            f"{name}: receiver is empty or longer than {MAX_RECEIVER_CHARS} characters on "
            f"line(s) {line_list(lines[bad])}; name every receiver (its id in the campaign)"
        )
    seen = pd.Series(ids).duplicated(keep=False).to_numpy()
    if seen.any():
        first = ids[seen][0]
        raise CaseError(
            f"{name}: receiver {first!r} appears on lines {line_list(lines[ids == first])}; "
            "a receiver gives one reading per case (average repeated readings yourself)"
        )
    return tuple(ids), lines


def _kinds(table: pd.DataFrame, name: str) -> tuple[str, ...]:
    if KIND not in table.columns:
        return ("",) * len(table)
    kinds = table[KIND].astype(str).str.strip().str.lower().to_numpy()
    bad = ~np.isin(kinds, (*RECEIVER_KINDS, ""))
    if bad.any():
        raise CaseError(
            f"{name}: kind {kinds[bad][0]!r} on line(s) {line_list(table.index.to_numpy()[bad])} "
            f"is not a receiver kind; use {', '.join(RECEIVER_KINDS)} or leave it empty"
        )
    return tuple(kinds)


def _position_columns(header: list[str], name: str) -> str:
    if RECEIVER not in header:
        raise CaseError(
            f"{name} has no {RECEIVER} column (header: {', '.join(header)}); a campaign "
            "case names the receiver of every reading"
        )
    kinds = [k for k, pair in POSITIONS.items() if set(pair) <= set(header)]
    if len(kinds) != 1:
        what = "both lat,lon and x_m,y_m" if kinds else "neither lat,lon nor x_m,y_m"
        raise CaseError(
            f"{name} has {what}; give exactly one position pair: lat,lon (WGS 84) or "
            "x_m,y_m (grid metres)"
        )
    if RSS not in header:
        other = [c for c in header if c in ("gain_db", "rss_dbm", "rss", "rssi")]
        hint = f" ({other[0]!r} is not it)" if other else ""
        raise CaseError(
            f"{name} has no {RSS} column{hint}; a campaign case's readings are {RSS}: the "
            "received power in dB as each receiver reports it (uncalibrated: comparable "
            "within one receiver)"
        )
    return kinds[0]


def parse_campaign_readings(
    data: bytes, name: str, grid: CampusGrid
) -> tuple[tuple[str, ...], tuple[str, ...], np.ndarray, np.ndarray, np.ndarray, str]:
    """(receivers, kinds, xy_m (K, 2), rss_db (K,), CSV lines, positions "latlon" or
    "metres") of a campaign readings CSV; every problem a CaseError naming the file, the
    column and the lines. Nothing is dropped: a position off the grid is an error."""
    header, table = read_table(data, name, COLUMNS)
    kind = _position_columns(header, name)
    receivers, lines = _receivers(table, name)
    a, b = (numbers_in(table, c, name) for c in POSITIONS[kind])
    if kind == "latlon":
        geo.check_latlon(a, b, name)
        x_m, y_m = grid.latlon_to_m(a, b)
    else:
        x_m, y_m = a, b
    rss = numbers_in(table, RSS, name)
    check_range(rss, lines, RSS, RSS_RANGE_DBM, name, "give the received power in dB")
    off = ~grid.contains(x_m, y_m)
    if off.any():
        where = "; ".join(
            f"line {n}: ({x:.1f}, {y:.1f}) m" for n, x, y in zip(lines[off][:5], x_m[off], y_m[off])
        )
        raise CaseError(
            f"{name}: {int(off.sum())} receiver position(s) ({', '.join(POSITIONS[kind])}) lie "
            f"outside the grid's {grid.extent_m:,.0f} m x {grid.extent_m:,.0f} m ({where}); "
            "enlarge the grid (metres_per_pixel, size) or move its origin"
        )
    xy = np.stack([np.asarray(x_m, np.float64), np.asarray(y_m, np.float64)], axis=1)
    return receivers, _kinds(table, name), xy, rss, lines, kind


def _truth_m(spec: CampaignSpec, grid: CampusGrid, where: str) -> np.ndarray:
    if not spec.truth:
        return np.zeros((0, 2))
    lat, lon = np.array(spec.truth).T
    x, y = grid.latlon_to_m(lat, lon)
    off = ~grid.contains(x, y)
    if off.any():
        i = int(np.flatnonzero(off)[0])
        raise CaseError(
            f"{where}: truth[{i}] ({lat[i]}, {lon[i]}) lies outside the grid, at "
            f"({x[i]:,.0f}, {y[i]:,.0f}) m on a grid of {grid.extent_m:,.0f} m x "
            f"{grid.extent_m:,.0f} m; a transmitter off the grid cannot be scored: enlarge "
            "the grid or drop the truth"
        )
    return np.stack([x, y], axis=1)


def _read_campaign(read: Reader, where: str, meta: Any = None) -> CampaignCase:
    """The campaign case whose files `read(name)` gives: case.json, then the readings (and
    only a check that a named building map is there: no measurement model reads it)."""
    if meta is None:
        meta = load_case_json(read, where)
    spec, warnings = read_campaign_json(meta, f"{where}/{CASE_JSON}")
    grid, grid_warnings = campus_grid(spec.grid, f"{where}/{CASE_JSON}")
    truth = _truth_m(spec, grid, f"{where}/{CASE_JSON}")
    files = {}
    for key in ("readings", "buildings"):
        name = getattr(spec, key)
        if name is not None:
            files[key] = read(name)
            if files[key] is None:
                raise CaseError(f"{where}: case.json names {key} file {name!r}, which is not there")
    readings_name = f"{where}/{spec.readings}"
    receivers, kinds, xy, rss, lines, _ = parse_campaign_readings(
        files["readings"], readings_name, grid
    )
    notes = []
    if spec.buildings is not None:
        notes.append(
            f"{where}: buildings file {spec.buildings!r} is kept with the case; the "
            "measurement models do not read a building map"
        )
    provenance = spec.campaign
    sample_id = (provenance.sample if provenance else None) or str(
        spec.metadata.get("title") or UNNAMED_SAMPLE
    )
    sample = MeasuredSample(sample_id, receivers, xy, rss, truth)
    return CampaignCase(
        grid,
        sample,
        kinds,
        lines,
        readings_name,
        spec.tx_power_dbm,
        provenance,
        spec.buildings,
        warnings + grid_warnings + notes,
        dict(spec.metadata),
    )


def read_campaign(path: str | Path) -> CampaignCase:
    """A campaign case folder or .zip on disk -> CampaignCase."""
    return with_case(path, _read_campaign)


def _either(read: Reader, where: str, overrides: dict[str, Any]) -> UserCase | CampaignCase:
    meta = load_case_json(read, where)
    if case_format(meta, f"{where}/{CASE_JSON}") != CAMPAIGN_FORMAT:
        return read_case_with(read, where, **overrides)
    given = sorted(k for k, v in overrides.items() if v is not None)
    if given:
        raise CaseError(
            f"{where} is a campaign case ({CAMPAIGN_FORMAT}): its grid and readings are in "
            f"case.json; {', '.join(given)} apply to {CAMPAIGN_FORMAT.replace('/2', '/1')} "
            "cases only: drop them"
        )
    return _read_campaign(read, where, meta)


def read_any_case(path: str | Path, **overrides: Any) -> UserCase | CampaignCase:
    """A case folder or .zip of either format: a UserCase (locnet-case/1, `overrides` as
    store.read_case takes them) or a CampaignCase (locnet-case/2)."""
    return with_case(path, lambda read, where: _either(read, where, overrides))


def read_any_case_zip(data: bytes, where: str, **overrides: Any) -> UserCase | CampaignCase:
    """A case zip's bytes (an upload) of either format; see read_any_case."""
    return with_zip(data, where, lambda read, w: _either(read, w, overrides))


# --- writing ------------------------------------------------------------------------------


def campaign_json(case: CampaignCase, truth_latlon: np.ndarray | None = None) -> dict[str, Any]:
    """case.json of a CampaignCase: the grid by its CRS and edges (exact), the truth in
    lat/lon (`truth_latlon` (T, 2) when the caller has the source's own degrees)."""
    if truth_latlon is None:
        lat, lon = case.latlon(case.sample.truth_m)
        truth_latlon = np.stack([lat, lon], axis=1)
    grid = case.grid.to_dict()
    return {
        "format": CAMPAIGN_FORMAT,
        "kind": CAMPAIGN_KIND,
        "grid": {k: grid[k] for k in ("crs", "x_west_m", "y_north_m", "metres_per_pixel", "size")},
        "readings": READINGS_CSV,
        "truth": [[float(a), float(b)] for a, b in np.asarray(truth_latlon).reshape(-1, 2)] or None,
        "tx_power_dbm": case.tx_power_dbm,
        "campaign": None if case.provenance is None else vars(case.provenance),
        "metadata": case.metadata,
    }


def campaign_readings_csv(
    case: CampaignCase, latlon: tuple[np.ndarray, np.ndarray] | None = None
) -> bytes:
    """receiver[,kind],lat,lon,rss_db at full float precision (`latlon`: the source's own
    degrees; default: from the grid metres), or x_m,y_m when `latlon` is False."""
    s = case.sample
    table = pd.DataFrame({RECEIVER: list(s.receivers)})
    if any(case.kinds):
        table[KIND] = list(case.kinds)
    if latlon is False:
        table["x_m"], table["y_m"] = s.xy_m[:, 0], s.xy_m[:, 1]
    else:
        table["lat"], table["lon"] = case.latlon(s.xy_m) if latlon is None else latlon
    table[RSS] = np.asarray(s.rss_db, dtype=np.float64)
    return table.to_csv(index=False).encode("utf-8")


def campaign_files(
    case: CampaignCase,
    *,
    latlon: tuple[np.ndarray, np.ndarray] | bool | None = None,
    truth_latlon: np.ndarray | None = None,
) -> dict[str, bytes]:
    """Every file of the campaign case by name (case.json and readings.csv)."""
    meta = campaign_json(case, truth_latlon)
    return {
        CASE_JSON: (json.dumps(meta, indent=2, default=str) + "\n").encode(),
        READINGS_CSV: campaign_readings_csv(case, latlon),
    }
