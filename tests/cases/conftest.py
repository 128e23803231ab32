"""Shared inputs of the case tests: the committed example files and small file builders."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "helsinki"
HELSINKI_TILE = "osm-helsinki-01"  # what scripts/make_example_cases.py vectorised
HELSINKI_CENTER = (60.17783108, 24.94904024)  # its centre, as in docs/own-data.md
TX_POWER_DBM = 23.0


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES


def png_bytes(array: np.ndarray, mode: str = "L") -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.asarray(array).astype(np.uint8), mode=mode).save(out, "PNG")
    return out.getvalue()


def open_map() -> np.ndarray:
    """A 256 x 256 map with one building block at rows 100..139, columns 60..99."""
    buildings = np.zeros((256, 256), np.uint8)
    buildings[100:140, 60:100] = 1
    return buildings


def csv_bytes(text: str) -> bytes:
    return "\n".join(line.strip() for line in text.strip().splitlines()).encode() + b"\n"
