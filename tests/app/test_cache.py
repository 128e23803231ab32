"""Cached loaders of the app (locnet.app.cache), called outside a Streamlit run."""

from __future__ import annotations

import io
import logging

import numpy as np
import pytest
from PIL import Image

from locnet.app import cache
from locnet.data.radiomapseer import open_dataset


@pytest.fixture(autouse=True)
def _quiet_streamlit():
    # cached functions warn "missing ScriptRunContext" outside a Streamlit run
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


def test_png_bytes_round_trips_an_rgb_image():
    image = np.zeros((5, 7, 3), dtype=np.uint8)
    image[1, 2] = (10, 200, 30)
    decoded = np.asarray(Image.open(io.BytesIO(cache.png_bytes(image))))
    assert decoded.shape == (5, 7, 3) and np.array_equal(decoded, image)


def test_thumbnail_pngs_are_the_thumbnails_in_order(tiny_dataset):
    maps = open_dataset(tiny_dataset).maps[:3][::-1]
    pngs = cache.thumbnail_pngs(tiny_dataset, maps, size=32)
    assert len(pngs) == len(maps)
    for map_id, png in zip(maps, pngs):
        decoded = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        assert np.array_equal(decoded, cache.thumbnail(tiny_dataset, map_id, 32))


def test_transmitters_of_a_map_match_the_dataset(tiny_dataset):
    ds = open_dataset(tiny_dataset)
    map_id = ds.maps[1]
    where = cache.transmitters(tiny_dataset, map_id)
    assert sorted(where) == sorted(t for m, t in ds.samples if m == map_id)
    assert all(where[t] == ds.transmitter(map_id, t) for t in where)


def test_environment_rows_are_the_table_as_plain_python(tiny_dataset):
    rows = cache.environment_rows(tiny_dataset)
    table = cache.dataset_map_table(tiny_dataset)
    assert [r["map"] for r in rows] == list(table["map"])
    assert all(type(r["map"]) is int and isinstance(r["label"], str) for r in rows)
    assert rows[0]["label"] == table["label"].iloc[0]
