"""A tiny POWDER-like release written by the tests (the real one lives outside the repo).

`write_release(folder)` lays out the release's files: 4 fixed receivers and 2 shuttles
around the campus grid's centre, 40 one-transmitter and 2 two-transmitter samples whose RSS
follows a log-distance law with a per-receiver offset (-101 where it falls below -95 dB),
shuttle slots that are absent (-1) or off the grid (lat/lon 0), and every split file.
`EXPECTED` holds the cleaning counts this release must give.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from locnet.cli import main
from locnet.measurements.campus import POWDER_GRID
from locnet.measurements.splits import SPLITS, SPLITS_FOLDER

FIXED = {"roof-a": (-300.0, -200.0), "roof-b": (400.0, -250.0), "pole-c": (0.0, 350.0),
         "pole-d": (-450.0, 300.0)}  # fmt: skip  (offsets from the grid centre, metres)
SHUTTLES = ("bus-1", "bus-2")
OFFSETS_DB = {"roof-a": 0.0, "roof-b": -10.0, "pole-c": -5.0, "pole-d": -15.0,
              "bus-1": -2.0, "bus-2": -8.0}  # fmt: skip  (roof-a hears every transmitter)
EXPONENT = 3.0
FLOOR = -95.0  # below this the release writes -101 (not heard)
N_SINGLE, N_TWO = 40, 2
CENTRE_M = POWDER_GRID.extent_m / 2


def stamps(n: int, minute: int = 0) -> list[str]:
    return [f"2022-07-01 10:{minute + i // 60:02d}:{i % 60:02d}" for i in range(n)]


def rss(offset: float, d: np.ndarray) -> np.ndarray:
    value = offset - 10 * EXPONENT * np.log10(np.maximum(d, 10.0))
    return np.where(value < FLOOR, -101.0, value)


def latlon(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return POWDER_GRID.m_to_latlon(xy[..., 0], xy[..., 1])


def fixed_xy() -> dict[str, np.ndarray]:
    return {name: np.array(off) + CENTRE_M for name, off in FIXED.items()}


def write_release(folder: Path, seed: int = 0) -> dict:
    """The release's files under `folder`; returns the truth (transmitters, shuttles)."""
    rng = np.random.default_rng(seed)
    csv_dir = folder / "Separated_Dataset_CSV"
    csv_dir.mkdir(parents=True)
    positions = fixed_xy()
    coords = ", ".join(
        [f'"{n}": ({float(latlon(p)[0]):.8f}, {float(latlon(p)[1]):.8f})' for n, p in
         positions.items()]
        + [f'"{b}": None' for b in SHUTTLES]
    )
    (csv_dir / "location_coordinates.json").write_text("{\n    " + coords + ",\n}\n")
    names = [*SHUTTLES, *FIXED]
    (folder / "location_indexes.json").write_text(json.dumps({n: i for i, n in enumerate(names)}))
    truth = {}
    for n_tx, n, minute, file in ((1, N_SINGLE, 0, "single_tx.csv"), (2, N_TWO, 30, "two_tx.csv")):
        tx = CENTRE_M + rng.uniform(-400, 400, size=(n, n_tx, 2))
        bus = CENTRE_M + rng.uniform(-500, 500, size=(n, 2, 2))
        header = ["timestamp"]
        for b in SHUTTLES:
            header += [f"{b}_rss", f"{b}_x", f"{b}_y"]
        header += list(FIXED)
        header += (
            ["tx_x_coord", "tx_y_coord"]
            if n_tx == 1
            else ["tx_1_x_coord", "tx_1_y_coord", "tx_2_x_coord", "tx_2_y_coord"]
        )
        lines = [",".join(header)]
        absent = off_grid = unheard_fixed = unheard_shuttle = 0
        for i, stamp in enumerate(stamps(n, minute)):
            first = tx[i, 0]
            row = [stamp]
            for k, b in enumerate(SHUTTLES):
                if (i + k) % 5 == 0:  # absent shuttle
                    row += ["-101", "-1", "-1"]
                    absent += 1
                elif (i + k) % 7 == 0:  # a position at lat/lon 0: off the grid
                    value = float(rss(OFFSETS_DB[b], np.hypot(*(bus[i, k] - first))))
                    row += [f"{value:.6f}", "0.0", "0.0"]
                    off_grid += 1
                else:
                    lat, lon = latlon(bus[i, k])
                    value = float(rss(OFFSETS_DB[b], np.hypot(*(bus[i, k] - first))))
                    unheard_shuttle += value == -101.0
                    row += [f"{value:.6f}", f"{float(lat):.8f}", f"{float(lon):.8f}"]
            for name, p in positions.items():
                value = float(rss(OFFSETS_DB[name], np.hypot(*(p - first))))
                unheard_fixed += value == -101.0
                row.append(f"{value:.6f}")
            for t in range(n_tx):
                lat, lon = latlon(tx[i, t])
                row += [f"{float(lat):.8f}", f"{float(lon):.8f}"]
            lines.append(",".join(row))
        (csv_dir / file).write_text("\r\n".join(lines) + "\r\n")
        truth[n_tx] = {
            "tx": tx,
            "shuttle_absent": absent,
            "shuttle_off_grid": off_grid,
            "unheard_fixed": unheard_fixed,
            "unheard_shuttle": unheard_shuttle,
        }
    single = stamps(N_SINGLE)
    for k, spec in enumerate(SPLITS):
        path = folder / SPLITS_FOLDER / spec.file
        path.parent.mkdir(parents=True, exist_ok=True)
        chosen = single[k * 4 : k * 4 + 6]
        record = {"rx_data": [], "tx_coords": [], "metadata": []}  # only the keys are read
        path.write_text(json.dumps({s: record for s in chosen}))
    (folder / "LICENSE").write_text("MIT License\n\nCopyright (c) test\n")
    (folder / "SOURCE.md").write_text("# Source\n\na test release\n")
    (folder / "README.md").write_text("# Test dataset\n")
    return truth


@pytest.fixture
def release(tmp_path: Path) -> tuple[Path, dict]:
    """A fresh, writable test release and its truth."""
    folder = tmp_path / "release"
    return folder, write_release(folder)


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test release imported once per session (treat as read-only)."""
    base = tmp_path_factory.mktemp("powder")
    write_release(base / "release")
    out = base / "copy"
    assert main(["import-powder", "--src", str(base / "release"), "--out", str(out)]) == 0
    return out
