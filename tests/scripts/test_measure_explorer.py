"""scripts/measure_explorer.py's pieces that decide what is measured: the pixels it clicks,
the models it picks, how it reports a number beside the machine's load and a goal."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from locnet.errors import LocNetError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location(
        "measure_explorer", ROOT / "scripts" / "measure_explorer.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clicked_pixels_are_open_even_distinct_and_repeatable(script):
    buildings = np.zeros((256, 256), dtype=np.uint8)
    buildings[:, :128] = 1  # the left half is one building
    buildings[200:, 200:] = 1
    picks = script.open_pixels(buildings, 50, seed=1)
    assert len(set(picks)) == 50 and picks == script.open_pixels(buildings, 50, seed=1)
    for x, y in picks:
        assert x % 2 == 0 and y % 2 == 0  # the click grid's pixels
        c = script.CLEAR_PX
        assert not buildings[max(0, y - c) : y + c + 1, max(0, x - c) : x + c + 1].any()
        assert c <= x < 256 - c and c <= y < 256 - c


def test_a_map_without_room_to_click_is_a_clear_error(script):
    with pytest.raises(LocNetError, match="open pixels"):
        script.open_pixels(np.ones((256, 256), dtype=np.uint8), 3, seed=0)


def test_models_are_the_pickers_entries_in_the_order_asked(script, tmp_path):
    models = script.choose_models(["centroid", "strongest"], tmp_path)
    assert [m.model for m in models] == ["centroid", "strongest"]
    assert [m.label for m in models] == ["RSS centroid", "Strongest sensor"]
    with pytest.raises(LocNetError, match="'locnet' is not available here"):
        script.choose_models(["locnet"], tmp_path)  # no checkpoint in the folder


def test_each_number_is_reported_with_the_load_it_was_measured_under(script, monkeypatch):
    loads = iter([0.5, 2.5, 1.0])
    monkeypatch.setattr(script.os, "getloadavg", lambda: (next(loads), 0.0, 0.0))
    series = script.Series()
    for value in (300.0, 100.0, 200.0):
        series.add(value)
    assert series.median() == 200.0
    assert series.line() == ("median 200.0 ms   p90 280.0 ms   (n=3; load 1.0, max 2.5)")
    assert series.line("s", 1e-3).startswith("median 0.20 s   p90 0.28 s")


def test_the_goals_line_says_met_or_missed(script):
    def series(*values):
        s = script.Series()
        s.values, s.loads = list(values), [0.0] * len(values)
        return s

    line = script.goals_line(series(1.0, 2.0), series(4.0), series(800.0), series(400_000.0))
    assert "payload <= 1 MB -> 0.40 MB (met)" in line
    assert "first page <= 3 s -> 4.00 s (missed)" in line  # the slower of the two pages
    assert "click -> result <= 1 s -> 0.80 s (met)" in line
