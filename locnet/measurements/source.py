"""Reading and cleaning the POWDER dataset's own files (the layout of its public release).

What is read (paths under the source folder): `Separated_Dataset_CSV/single_tx.csv` and
`two_tx.csv` (one row per sample: `timestamp`, one RSS column per fixed receiver, three
columns `bus-N_rss, bus-N_x, bus-N_y` per campus shuttle, then the transmitters' latitude
and longitude), `Separated_Dataset_CSV/location_coordinates.json` (a Python-literal dict:
receiver -> (lat, lon), None for shuttles), `location_indexes.json` (receiver -> index) and
the test splits (`splits.SPLITS`). Conventions of the release: RSS in dB, uncalibrated per
receiver; -101 = the receiver did not hear the transmitter; a shuttle position of -1 = the
shuttle was absent; a shuttle's `_x` is its latitude, `_y` its longitude.

Cleaning rules, applied to each (sample, receiver) reading in this order, each counted:
1. a shuttle whose position is -1 (absent) gives no reading;
2. a shuttle whose position lies off the campus grid (`campus.POWDER_GRID`; the release
   has some at latitude/longitude 0) gives no reading;
3. an RSS of -101 (not heard) is not a reading.
A timestamp seen before (in single_tx.csv, then two_tx.csv) is dropped with its row; a
sample left without any reading is dropped. A problem the rules do not cover (a missing
or truncated file, an unknown receiver, an empty or non-numeric field, a transmitter off the
grid, a split naming a timestamp that is not an imported one-transmitter sample) is one
DatasetError naming the file and what to do.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from locnet.errors import DatasetError
from locnet.measurements.campus import POWDER_GRID, CampusGrid
from locnet.measurements.splits import SPLITS, SPLITS_FOLDER

SINGLE_CSV = "Separated_Dataset_CSV/single_tx.csv"
TWO_CSV = "Separated_Dataset_CSV/two_tx.csv"
COORDINATES_FILE = "Separated_Dataset_CSV/location_coordinates.json"
INDEXES_FILE = "location_indexes.json"
LICENCE_FILES = ("LICENSE", "SOURCE.md", "README.md")  # copied with the data, verbatim
UNHEARD_DB = -101.0  # the release's "not heard" RSS
ABSENT_POSITION = -1.0  # the release's "shuttle absent" latitude/longitude
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
SHUTTLE_SUFFIXES = ("_rss", "_x", "_y")
TX_COLUMNS = {
    1: ("tx_x_coord", "tx_y_coord"),
    2: ("tx_1_x_coord", "tx_1_y_coord", "tx_2_x_coord", "tx_2_y_coord"),
}
FIXED, SHUTTLE = "fixed", "shuttle"


@dataclass
class CleanData:
    """The release, cleaned: one table per kind of record, the splits and what was removed.

    receivers: receiver, index, kind (fixed | shuttle), lat, lon (NaN for shuttles);
    samples: sample (timestamp), n_tx, tx1_lat, tx1_lon, tx2_lat, tx2_lon (NaN for one tx);
    readings: sample, receiver, rss_db, lat, lon (the receiver's position at that sample);
    splits: split name -> sorted test timestamps; counts: rule -> how many; sources: the
    files read -> sha256."""

    receivers: pd.DataFrame
    samples: pd.DataFrame
    readings: pd.DataFrame
    splits: dict[str, list[str]]
    counts: dict[str, int] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _need(src: Path, relative: str) -> Path:
    path = src / relative
    if not path.is_file():
        raise DatasetError(
            f"{path} is missing; --src must be the POWDER release's folder (with "
            f"{SINGLE_CSV}, {TWO_CSV}, {COORDINATES_FILE}, {INDEXES_FILE} and {SPLITS_FOLDER}/)"
        )
    return path


def read_receivers(src: Path) -> pd.DataFrame:
    """The receiver table from the coordinates (Python literal) and index (JSON) files."""
    coords_path, index_path = _need(src, COORDINATES_FILE), _need(src, INDEXES_FILE)
    try:
        coords = ast.literal_eval(coords_path.read_text())
    except (ValueError, SyntaxError, MemoryError, RecursionError) as exc:
        raise DatasetError(
            f"{coords_path} is not a receiver -> (lat, lon) dict ({type(exc).__name__}); "
            "restore it from the release"
        ) from None
    try:
        indexes = json.loads(index_path.read_text())
    except ValueError as exc:
        raise DatasetError(
            f"{index_path} is not JSON ({exc}); restore it from the release"
        ) from None
    if not isinstance(coords, dict) or not isinstance(indexes, dict):
        raise DatasetError(f"{coords_path} and {index_path} must each hold one dict of receivers")
    if set(coords) != set(indexes):
        odd = sorted(set(coords) ^ set(indexes))
        raise DatasetError(
            f"{coords_path} and {index_path} name different receivers ({', '.join(odd[:5])}); "
            "restore both from the release"
        )
    rows = []
    for name, where in coords.items():
        ok = where is None or (
            isinstance(where, (tuple, list))
            and len(where) == 2
            and all(isinstance(v, (int, float)) and np.isfinite(v) for v in where)
        )
        if not ok or not isinstance(indexes[name], int):
            raise DatasetError(
                f"{coords_path}: receiver {name!r} has position {where!r} and index "
                f"{indexes[name]!r}; a fixed receiver needs (lat, lon), a shuttle None"
            )
        lat, lon = (np.nan, np.nan) if where is None else map(float, where)
        rows.append((str(name), indexes[name], SHUTTLE if where is None else FIXED, lat, lon))
    table = pd.DataFrame(rows, columns=["receiver", "index", "kind", "lat", "lon"])
    return table.sort_values("index", kind="stable").reset_index(drop=True)


def _columns(path: Path, header: list[str], receivers: pd.DataFrame, n_tx: int) -> list[str]:
    """The receivers a CSV header holds, in order; DatasetError for anything else."""
    tx = TX_COLUMNS[n_tx]
    if not header or header[0] != "timestamp" or tuple(header[-len(tx) :]) != tx:
        raise DatasetError(
            f"{path}: the header must start with 'timestamp' and end with {', '.join(tx)}; "
            f"it starts {header[:1]} and ends {header[-len(tx):]} (truncated or another file?)"
        )
    doubled = sorted({c for c in header if header.count(c) > 1})
    if doubled:
        raise DatasetError(f"{path}: column(s) {', '.join(doubled)} appear twice in the header")
    kinds = dict(zip(receivers["receiver"], receivers["kind"]))
    found, seen_shuttle = [], set()
    for column in header[1 : -len(tx)]:
        stem = next((column[: -len(s)] for s in SHUTTLE_SUFFIXES if column.endswith(s)), None)
        if kinds.get(column) == FIXED:
            found.append(column)
        elif stem is not None and kinds.get(stem) == SHUTTLE:
            if stem not in seen_shuttle:
                seen_shuttle.add(stem)
                found.append(stem)
        else:
            raise DatasetError(
                f"{path}: column {column!r} names no receiver of {COORDINATES_FILE} "
                "(unknown receiver); add it there with its position, or remove the column"
            )
    for stem in seen_shuttle:
        missing = [stem + s for s in SHUTTLE_SUFFIXES if stem + s not in header]
        if missing:
            raise DatasetError(f"{path}: shuttle {stem} lacks column(s) {', '.join(missing)}")
    return found


def read_samples_csv(
    path: Path, receivers: pd.DataFrame, n_tx: int
) -> tuple[pd.DataFrame, list[str]]:
    """One release CSV as a checked table (every field a finite number but the timestamp)
    and the receivers it names; DatasetError naming the line of the first bad field."""
    with open(path, newline="") as handle:
        header = next(csv.reader(handle), [])
    names = _columns(path, header, receivers, n_tx)
    try:
        table = pd.read_csv(path, dtype={"timestamp": str}, skip_blank_lines=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read as CSV ({str(exc).strip()[:200]})") from None
    if table.empty:
        raise DatasetError(f"{path} holds a header but no samples (truncated file?)")
    numeric = table.drop(columns="timestamp").apply(pd.to_numeric, errors="coerce")
    bad = numeric.isna() | ~np.isfinite(numeric.to_numpy(dtype=np.float64))
    stamps = pd.to_datetime(table["timestamp"], format=TIMESTAMP_FORMAT, errors="coerce")
    bad.insert(0, "timestamp", stamps.isna())
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        value = table.iat[row, col]
        raise DatasetError(
            f"{path}, line {row + 2}, column {table.columns[col]!r}: "
            f"{'empty' if pd.isna(value) else repr(value)} is not "
            f"{'a timestamp YYYY-MM-DD HH:MM:SS' if col == 0 else 'a finite number'} "
            "(truncated or damaged file? restore it from the release)"
        )
    numeric.insert(0, "timestamp", table["timestamp"].str.strip())
    return numeric, names


def _tx_table(table: pd.DataFrame, n_tx: int) -> pd.DataFrame:
    cols = TX_COLUMNS[n_tx]
    out = pd.DataFrame({"sample": table["timestamp"], "n_tx": n_tx})
    for k in range(2):
        lat = table[cols[2 * k]] if k < n_tx else np.nan
        lon = table[cols[2 * k + 1]] if k < n_tx else np.nan
        out[f"tx{k + 1}_lat"], out[f"tx{k + 1}_lon"] = lat, lon
    return out


def _readings(
    table: pd.DataFrame, names: list[str], receivers: pd.DataFrame, grid: CampusGrid, counts: dict
) -> pd.DataFrame:
    """Long (sample, receiver) readings after the cleaning rules, counting what each removes."""
    where = receivers.set_index("receiver")
    parts = []
    for name in names:
        if where.at[name, "kind"] == FIXED:
            rss = table[name].to_numpy()
            lat = np.full(len(table), where.at[name, "lat"])
            lon = np.full(len(table), where.at[name, "lon"])
            keep = rss > UNHEARD_DB
            counts["unheard_fixed"] += int((~keep).sum())
        else:
            rss, lat, lon = (table[name + s].to_numpy() for s in SHUTTLE_SUFFIXES)
            absent = (lat == ABSENT_POSITION) | (lon == ABSENT_POSITION)
            off = ~absent & ~grid.contains(*grid.latlon_to_m(lat, lon))
            unheard = ~absent & ~off & (rss <= UNHEARD_DB)
            counts["shuttle_absent"] += int(absent.sum())
            counts["shuttle_off_grid"] += int(off.sum())
            counts["unheard_shuttle"] += int(unheard.sum())
            keep = ~(absent | off | unheard)
        parts.append(
            pd.DataFrame(
                {
                    "sample": table["timestamp"].to_numpy()[keep],
                    "receiver": name,
                    "rss_db": rss[keep],
                    "lat": lat[keep],
                    "lon": lon[keep],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _check_transmitters(path: Path, samples: pd.DataFrame, grid: CampusGrid) -> None:
    for k in (1, 2):
        lat, lon = samples[f"tx{k}_lat"].to_numpy(), samples[f"tx{k}_lon"].to_numpy()
        used = np.isfinite(lat)
        inside = grid.contains(*grid.latlon_to_m(lat, lon))
        if (used & ~inside).any():
            i = int(np.flatnonzero(used & ~inside)[0])
            raise DatasetError(
                f"{path}: sample {samples['sample'].iat[i]}: transmitter {k} at "
                f"({lat[i]}, {lon[i]}) lies off the campus grid (lat/lon swapped or damaged?)"
            )


def read_splits(src: Path, samples: pd.DataFrame) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each split's test timestamps (sorted) and the sha256 of its file."""
    single = set(samples.loc[samples["n_tx"] == 1, "sample"])
    double = set(samples.loc[samples["n_tx"] == 2, "sample"])
    splits, hashes = {}, {}
    for spec in SPLITS:
        path = _need(src, f"{SPLITS_FOLDER}/{spec.file}")
        try:
            keys = json.loads(path.read_text())
        except ValueError as exc:
            raise DatasetError(
                f"{path} is not JSON ({str(exc)[:120]}; truncated?); restore it from the release"
            ) from None
        if not isinstance(keys, dict) or not keys:
            raise DatasetError(f"{path} must be a non-empty JSON object keyed by timestamp")
        unknown = sorted(k for k in keys if k not in single)
        if unknown:
            two = sum(k in double for k in unknown)
            raise DatasetError(
                f"{path}: {len(unknown)} timestamp(s) are not imported one-transmitter samples "
                f"(e.g. {unknown[0]!r}{f'; {two} are two-transmitter samples' if two else ''}); "
                "a split must name samples of single_tx.csv - restore the file from the release"
            )
        splits[spec.name] = sorted(keys)
        hashes[f"{SPLITS_FOLDER}/{spec.file}"] = sha256_of(path)
    return splits, hashes


def read_source(src: str | Path, grid: CampusGrid = POWDER_GRID) -> CleanData:
    """Read, check and clean the release in folder `src` (nothing is written)."""
    src = Path(src)
    if not src.is_dir():
        raise DatasetError(f"--src {src} is not a folder; give the POWDER release's folder")
    receivers = read_receivers(src)
    counts = dict.fromkeys(
        ["duplicate_timestamps", "unheard_fixed", "unheard_shuttle", "shuttle_absent"], 0
    )
    counts["shuttle_off_grid"] = 0
    samples, readings, sources, seen = [], [], {}, set()
    for relative, n_tx in ((SINGLE_CSV, 1), (TWO_CSV, 2)):
        path = _need(src, relative)
        table, names = read_samples_csv(path, receivers, n_tx)
        counts[f"rows_{n_tx}tx"] = len(table)
        repeated = table["timestamp"].duplicated(keep="first") | table["timestamp"].isin(seen)
        counts["duplicate_timestamps"] += int(repeated.sum())
        table = table.loc[~repeated].reset_index(drop=True)
        seen |= set(table["timestamp"])
        txs = _tx_table(table, n_tx)
        _check_transmitters(path, txs, grid)
        samples.append(txs)
        readings.append(_readings(table, names, receivers, grid, counts))
        sources[relative] = sha256_of(path)
    samples_t = pd.concat(samples, ignore_index=True)
    readings_t = pd.concat(readings, ignore_index=True)
    heard = samples_t["sample"].isin(set(readings_t["sample"]))
    counts["samples_without_readings"] = int((~heard).sum())
    samples_t = samples_t.loc[heard].reset_index(drop=True)
    counts["samples_1tx"] = int((samples_t["n_tx"] == 1).sum())
    counts["samples_2tx"] = int((samples_t["n_tx"] == 2).sum())
    counts["readings"] = len(readings_t)
    splits, split_hashes = read_splits(src, samples_t)
    sources |= split_hashes
    sources[COORDINATES_FILE] = sha256_of(src / COORDINATES_FILE)
    sources[INDEXES_FILE] = sha256_of(src / INDEXES_FILE)
    return CleanData(receivers, samples_t, readings_t, splits, counts, sources)
