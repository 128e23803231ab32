"""Names and folders of the two RadioMapSeer on-disk layouts (docs/design.md §6).

"authors" layout (the LocNet code): DPM/{map}_{tx}.png, buildings_complete/{map}.png,
antennas/{map}_{tx}.png (one lit pixel), Train|Val|Test/{map}_{tx}_{k}.png 0/1 masks.
"original" RadioMapSeer release: png/buildings_complete, png/antennas, gain/DPM.
Shared by the reader (radiomapseer.py) and the writer (writer.py).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from locnet.constants import SPLITS
from locnet.errors import DatasetError

LAYOUT_DIRS = {
    "authors": {"buildings": "buildings_complete", "antennas": "antennas", "radio": "DPM"},
    "original": {
        "buildings": "png/buildings_complete",
        "antennas": "png/antennas",
        "radio": "gain/DPM",
    },
}
SPLIT_DIRS = {"train": "Train", "val": "Val", "test": "Test"}
ORIGINAL_SPLIT_SIZES = (501, 100, 100)  # train/val/test maps of the paper's 701
METADATA_FILE = "cities.csv"
MAP_RE = re.compile(r"^(\d+)\.png$")
SAMPLE_RE = re.compile(r"^(\d+)_(\d+)\.png$")
MASK_RE = re.compile(r"^(\d+)_(\d+)_(\d+)\.png$")
RATE_DIR_RE = re.compile(r"^rate_(\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class MaskRef:
    """One sampling-mask file. rate_percent is None for a flat-folder mask not read yet."""

    split: str
    map_id: int
    tx_id: int
    k: int
    path: Path
    rate_percent: float | None = None


def scan_files(folder: Path, pattern: re.Pattern) -> dict[tuple[int, ...], Path]:
    """{numbers in the name: path} of the files in `folder` whose name matches `pattern`."""
    if not folder.is_dir():
        return {}
    found = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            match = pattern.match(entry.name)
            if match and entry.is_file():
                found[tuple(int(g) for g in match.groups())] = Path(entry.path)
    return found


def detect_layout(root: Path) -> str:
    """ "authors" or "original"; DatasetError saying what is missing otherwise."""
    if root.exists() and not root.is_dir():
        raise DatasetError(
            f"{root} is a file, not a dataset folder; point at a folder holding DPM/ and "
            "buildings_complete/"
        )
    if not root.is_dir():
        raise DatasetError(
            f"dataset folder {root} does not exist; point at a folder holding DPM/ and "
            "buildings_complete/ (make one with: python -m locnet generate --out DIR)"
        )
    for layout, dirs in LAYOUT_DIRS.items():
        if (root / dirs["radio"]).is_dir():
            for kind in ("buildings", "antennas"):
                if not (root / dirs[kind]).is_dir():
                    raise DatasetError(
                        f"{root / dirs[kind]} is missing: radio maps in {root / dirs['radio']} "
                        f"need it ({layout} RadioMapSeer layout); copy that folder there"
                    )
            return layout
    raise DatasetError(
        f"{root} is not a RadioMapSeer dataset: expected DPM/, buildings_complete/, antennas/ "
        "(authors' layout) or gain/DPM/, png/buildings_complete/, png/antennas/ (original)"
    )


def check_split(split: str) -> None:
    if split not in SPLITS:
        raise DatasetError(f"unknown split '{split}'; use one of {', '.join(SPLITS)}")
