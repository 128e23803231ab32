"""scripts/screenshot.py's file writer: a page's picture is cut below its content and
saved as a small palette PNG."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("screenshot", ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_page_is_cut_below_its_content_and_saved_with_a_palette(tmp_path):
    script = _script()
    pixels = np.full((1000, 300, 3), 255, dtype=np.uint8)
    pixels[:, :50] = (240, 240, 245)  # the sidebar runs down the whole picture
    pixels[100:300, 80:280] = np.linspace(0, 255, 200, dtype=np.uint8)[None, :, None]  # a chart
    raw = io.BytesIO()
    Image.fromarray(pixels).save(raw, format="PNG")
    size = script.small_png(raw.getvalue(), tmp_path / "page.png")
    saved = Image.open(tmp_path / "page.png")
    assert saved.size == (300, 300 + script.MARGIN_PX) and saved.mode == "P"
    assert size == (tmp_path / "page.png").stat().st_size < len(raw.getvalue())
