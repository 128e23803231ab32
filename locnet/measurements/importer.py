"""`python -m locnet import-powder`: the POWDER release -> the compact copy committed in
`data/real/powder` (dataset.py's format), with its licence, attribution and a README of the
cleaning rules and the counts they removed.

Everything is read and checked first (source.py: one error line for a bad file), then the
copy is written into a temporary folder that replaces --out whole (output.py), so the
import never half-writes its output. --out may be new, empty or an earlier import (its
manifest.json says so); anything else is refused rather than replaced.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from locnet import config_cli
from locnet.config_cli import option
from locnet.errors import DatasetError, LocNetError
from locnet.files import atomic_write
from locnet.measurements.campus import POWDER_GRID
from locnet.measurements.dataset import (
    DEFAULT_FOLDER,
    FORMAT,
    GRID_FILE,
    MANIFEST_FILE,
    READINGS_FILE,
    RECEIVERS_FILE,
    SAMPLES_FILE,
    SPLITS_FILE,
)
from locnet.measurements.output import write_folder
from locnet.measurements.source import (
    LICENCE_FILES,
    SINGLE_CSV,
    TWO_CSV,
    UNHEARD_DB,
    CleanData,
    read_source,
    sha256_of,
)
from locnet.measurements.splits import SPLITS, SPLITS_FOLDER, TRAINING_SIDE

MAX_COPY_BYTES = 10 * 1024 * 1024  # the committed copy stays small (issue #25)
COPIED_AS = {"LICENSE": "LICENSE", "SOURCE.md": "SOURCE.md", "README.md": "DATASET-README.md"}
ATTRIBUTION = (
    '"A Dataset of Outdoor RSS Measurements for Localization", POWDER testbed, University of '
    "Utah, 2022 (Zenodo record 7259895), as published in the public GitHub repository "
    "`mhrafi66/wireless_localization_frs_uofu` (commit 44ff59206a7e2399ab3f0261be0cd4b4456f9f45)"
)
COUNT_TEXT = {
    "rows_1tx": f"rows of `{SINGLE_CSV}` (one transmitter)",
    "rows_2tx": f"rows of `{TWO_CSV}` (two transmitters)",
    "duplicate_timestamps": "rows dropped: timestamp seen before (first row kept)",
    "shuttle_absent": "shuttle slots dropped: position -1 (shuttle absent)",
    "shuttle_off_grid": "shuttle readings dropped: position off the campus grid (e.g. lat/lon 0)",
    "unheard_fixed": f"fixed-receiver slots dropped: RSS {UNHEARD_DB:g} (not heard)",
    "unheard_shuttle": f"shuttle readings dropped: RSS {UNHEARD_DB:g} (not heard)",
    "samples_without_readings": "samples dropped: no reading left",
    "samples_1tx": "one-transmitter samples imported",
    "samples_2tx": "two-transmitter samples imported (kept, not localised)",
    "readings": "readings imported (one per heard receiver and sample)",
}


@dataclass(kw_only=True)
class ImportConfig:
    """`import-powder`'s command line."""

    src: str = option(help="the POWDER release's folder (Separated_Dataset_CSV/, ...)")
    out: str = option(str(DEFAULT_FOLDER), help="folder of the compact copy (replaced whole)")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, ImportConfig)


def check_out(out: Path) -> None:
    """Refuse an --out that holds something other than an earlier import."""
    if not out.exists():
        return
    if not out.is_dir():
        raise LocNetError(f"--out {out} is a file; give a folder")
    try:
        earlier = json.loads((out / MANIFEST_FILE).read_text()).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        earlier = False
    if any(out.iterdir()) and not earlier:
        raise LocNetError(
            f"--out {out} is not empty and holds no earlier import ({MANIFEST_FILE}); give a "
            "new or empty folder, or remove it first"
        )


def _rows(table: list[tuple]) -> list[str]:
    return ["| " + " | ".join(str(c) for c in row) + " |" for row in table]


def readme(data: CleanData, command: str) -> str:
    """The copy's README: attribution, files, grid, cleaning rules with counts, splits."""
    grid = POWDER_GRID
    n_single = data.counts["samples_1tx"]
    counts = [(f"{data.counts[k]:,}", text) for k, text in COUNT_TEXT.items()]
    splits = [
        (
            s.name,
            s.family,
            s.about,
            f"{len(data.splits[s.name]):,}",
            f"{n_single - len(data.splits[s.name]):,}",
            f"`{SPLITS_FOLDER}/{s.file}`",
        )
        for s in SPLITS
    ]
    lines = [
        "# POWDER outdoor RSS measurements: compact copy",
        "",
        f"Source: {ATTRIBUTION}.",
        "",
        "MIT licence: `LICENSE` (copyright University of Utah); keep it and this attribution",
        "with every copy. `SOURCE.md` says which files of the release were brought into this",
        "project, `DATASET-README.md` is the dataset's own description.",
        "",
        f"Written by `{command}`; do not edit by hand. `{MANIFEST_FILE}` holds the sha256 of",
        "every file here and of every release file read. Read the copy with",
        "`locnet.measurements.dataset.PowderDataset.open`; docs/real-data.md explains its use.",
        "",
        "Handheld 1 W radios at 462.7 MHz; each sample is one timestamp with the RSS (dB,",
        "uncalibrated: comparable only within one receiver) of the receivers that heard it:",
        "fixed rooftop/pole nodes and campus shuttles whose position changes per sample.",
        "",
        "## Files",
        "",
        "| file | one row per | columns |",
        "|---|---|---|",
        f"| `{RECEIVERS_FILE}` | receiver | receiver, index (the release's), kind (fixed or"
        + " shuttle), lat, lon (fixed only) |",
        f"| `{SAMPLES_FILE}` | sample | sample (timestamp), n_tx, tx1_lat, tx1_lon, tx2_lat,"
        + " tx2_lon |",
        f"| `{READINGS_FILE}` | heard receiver of a sample | sample, receiver, rss_db, lat, lon"
        + " (the receiver's position then) |",
        f"| `{SPLITS_FILE}` | split | family, source file, test timestamps |",
        f"| `{GRID_FILE}` | - | the campus grid (below) |",
        "",
        "Positions are WGS 84 latitude/longitude in degrees, as in the release.",
        "",
        "## Campus grid",
        "",
        f"{grid.size} x {grid.size} pixels of {grid.metres_per_pixel:g} m"
        + f" ({grid.extent_m:g} m square) in {grid.crs} (UTM zone 12N):",
        f"west edge at easting {grid.x_west_m:.0f} m, north edge at northing"
        + f" {grid.y_north_m:.0f} m;",
        "row 0 is north, column 0 west. Every transmitter lies on it.",
        "",
        "## Cleaning rules and what they removed",
        "",
        "Rules apply to each (sample, receiver) slot of the release's CSV files in this order;",
        "a damaged file (truncated, unknown receiver, empty or non-numeric field, a split",
        "naming an unknown timestamp) stops the import with one error instead.",
        "",
        "| count | what |",
        "|---:|---|",
        *_rows(counts),
        "",
        "The dataset's README counts 4,822 one-transmitter samples; its `single_tx.csv` holds",
        f"{data.counts['rows_1tx']:,} rows with distinct timestamps, and all of them are imported.",
        "",
        "## Splits",
        "",
        f"Test side: the release's test file. Training side (derived here): {TRAINING_SIDE}.",
        "",
        "| split | family | what | test | training | file in the release |",
        "|---|---|---|---:|---:|---|",
        *_rows(splits),
        "",
    ]
    return "\n".join(lines)


def write_copy(data: CleanData, src: Path, folder: Path, command: str) -> None:
    """Every file of the copy into `folder` (each atomically), manifest last."""
    rank = {r: i for i, r in enumerate(data.receivers["receiver"])}
    order = {s: i for i, s in enumerate(data.samples["sample"])}
    readings = data.readings.assign(
        _s=data.readings["sample"].map(order), _r=data.readings["receiver"].map(rank)
    )
    readings = readings.sort_values(["_s", "_r"]).drop(columns=["_s", "_r"])
    readings = readings.reset_index(drop=True)
    splits = {
        s.name: {
            "family": s.family,
            "about": s.about,
            "file": f"{SPLITS_FOLDER}/{s.file}",
            "test": data.splits[s.name],
        }
        for s in SPLITS
    }
    writers = {
        RECEIVERS_FILE: lambda p: data.receivers.to_csv(p, index=False),
        SAMPLES_FILE: lambda p: data.samples.to_csv(p, index=False),
        READINGS_FILE: lambda p: readings.to_parquet(p, index=False, compression="zstd"),
        SPLITS_FILE: lambda p: p.write_text(json.dumps(splits, indent=1) + "\n"),
        GRID_FILE: lambda p: p.write_text(json.dumps(POWDER_GRID.to_dict(), indent=2) + "\n"),
        "README.md": lambda p: p.write_text(readme(data, command)),
    }
    for name in LICENCE_FILES:
        source = src / name
        if not source.is_file():
            raise DatasetError(f"{source} is missing: the licence and attribution go with the data")
        writers[COPIED_AS[name]] = lambda p, source=source: shutil.copyfile(source, p)
    for name, write in writers.items():
        atomic_write(folder / name, write)
    files = {name: sha256_of(folder / name) for name in sorted(writers)}
    size = sum((folder / name).stat().st_size for name in files)
    if size > MAX_COPY_BYTES:
        raise DatasetError(
            f"the copy would take {size / 2**20:.1f} MiB, over the {MAX_COPY_BYTES / 2**20:.0f} "
            "MiB a committed copy may take; nothing was written"
        )
    manifest = {
        "format": FORMAT,
        "dataset": ATTRIBUTION,
        "licence": "MIT (LICENSE)",
        "command": command,
        "source_files": data.sources,
        "counts": data.counts,
        "grid": POWDER_GRID.to_dict(),
        "files": files,
    }
    text = json.dumps(manifest, indent=2) + "\n"
    atomic_write(folder / MANIFEST_FILE, lambda p: p.write_text(text))


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(ImportConfig, args)
    out, src = Path(cfg.out), Path(cfg.src)
    check_out(out)
    data = read_source(src)  # every check before anything is written
    command = (
        "python -m locnet " + shlex.join(sys.argv[1:])
        if sys.argv[1:2] == ["import-powder"]
        else shlex.join(["python", "-m", "locnet", "import-powder", *config_cli.to_argv(cfg)])
    )
    write_folder(out, lambda folder: write_copy(data, src, folder, command))
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(
        f"imported {data.counts['samples_1tx']:,} one- and {data.counts['samples_2tx']:,} "
        f"two-transmitter samples, {data.counts['readings']:,} readings "
        f"({size / 2**20:.1f} MiB) into {out}; cleaning counts in {out / 'README.md'}"
    )
    return 0
