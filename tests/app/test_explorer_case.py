"""Pure helpers of the Explorer's environment picker (locnet.app.explorer_case)."""

from __future__ import annotations

from locnet.app.explorer_case import ALL, filter_maps, first_test_map

ROWS = [
    {"map": 3, "split": "train", "kind": "procedural"},
    {"map": 1, "split": "test", "kind": "OpenStreetMap"},
    {"map": 7, "split": "test", "kind": "procedural"},
    {"map": 2, "split": "", "kind": ""},
]


def test_filter_maps_by_split_and_source_keeps_table_order():
    assert filter_maps(ROWS, ALL, ALL) == [3, 1, 7, 2]
    assert filter_maps(ROWS, "test", ALL) == [1, 7]
    assert filter_maps(ROWS, ALL, "procedural") == [3, 7]
    assert filter_maps(ROWS, "test", "procedural") == [7]
    assert filter_maps(ROWS, "val", ALL) == []


def test_first_test_map_else_first_map():
    assert first_test_map(ROWS) == 1
    assert first_test_map([r for r in ROWS if r["split"] != "test"]) == 3
