"""The campus map of a measured sample (locnet.viz.campus_map): layers, colours, metres,
lat/lon in hover, the credible-region outlines and the street-basemap variant."""

from __future__ import annotations

import json

import numpy as np
import pytest

from locnet.constants import PREDICTION_COLOR, SENSOR_COLOR, TRUTH_COLOR
from locnet.measurements.campus import POWDER_GRID
from locnet.viz.campus_map import (
    BASEMAP_STYLE,
    RECEIVER_COLORSCALE,
    RECEIVERS_NAME,
    TRUTH_NAME,
    MapAnswer,
    MapPosterior,
    campus_figure,
    region_outline_m,
    shown_cells,
    view_range_m,
)
from locnet.viz.posterior import REGION_COLOR

RECEIVERS = ("alpha", "bravo", "charlie")
XY = np.array([[1000.0, 1200.0], [1500.0, 900.0], [1300.0, 1600.0]])
RSS = np.array([-90.0, -70.0, -80.0])
TRUTH = np.array([[1250.0, 1250.0]])


def posterior(size: int = 64, cell: float = 50.0) -> MapPosterior:
    probs = np.zeros((size, size))
    probs[25, 24], probs[25, 25], probs[26, 25] = 0.6, 0.3, 0.1
    regions = np.stack([probs >= 0.6, probs >= 0.3])
    return MapPosterior("net", probs, regions, (0.5, 0.9), -6.25, -6.25, cell)


def figure(**kwargs):
    args = {"receivers": RECEIVERS, "receivers_xy_m": XY, "rss_db": RSS, "truths_m": TRUTH}
    return campus_figure(POWDER_GRID, **(args | kwargs))


def by_name(fig, prefix):
    return [t for t in fig.data if (t.name or "").startswith(prefix)]


def test_layers_use_the_project_colours_in_metres_with_latlon_hover():
    fig = figure(answers=[MapAnswer("knn", (1260.0, 1230.0), 22.4), MapAnswer("mlp", (1, 2))])
    (receivers,) = by_name(fig, RECEIVERS_NAME)
    (truth,) = by_name(fig, TRUTH_NAME)
    knn, mlp = by_name(fig, "knn")[0], by_name(fig, "mlp")[0]
    assert receivers.name == f"{RECEIVERS_NAME} (3)" and receivers.type == "scatter"
    assert SENSOR_COLOR in [c for _, c in RECEIVER_COLORSCALE]
    assert list(receivers.marker.color) == list(RSS)  # darker green = stronger
    assert list(receivers.text) == ["-90", "-70", "-80"]
    assert truth.marker.color == TRUTH_COLOR and list(truth.x) == [1250.0]
    assert knn.marker.color == mlp.marker.color == PREDICTION_COLOR
    assert knn.marker.symbol != mlp.marker.symbol  # told apart in the legend
    assert (
        list(knn.x) == [1260.0] and list(knn.y) == [1230.0] and "error 22.4 m" in knn.hovertemplate
    )
    lat, lon = POWDER_GRID.m_to_latlon(XY[:, 0], XY[:, 1])
    custom = np.asarray(receivers.customdata)
    assert np.allclose(custom[:, :2].astype(float), np.column_stack([lat, lon]))
    assert list(custom[:, 3]) == list(RECEIVERS)
    assert "RSS" in receivers.hovertemplate and "customdata[0]" in receivers.hovertemplate
    layout = fig.layout
    assert "m" in layout.xaxis.title.text and "m" in layout.yaxis.title.text
    assert layout.yaxis.range[0] > layout.yaxis.range[1]  # y goes south, down the page
    assert layout.yaxis.scaleanchor == "x"


def test_two_transmitters_are_two_red_stars():
    fig = figure(truths_m=np.array([[500.0, 600.0], [2000.0, 2100.0]]))
    (truths,) = by_name(fig, TRUTH_NAME)
    assert truths.name == f"{TRUTH_NAME}s (2)" and list(truths.x) == [500.0, 2000.0]
    assert truths.marker.color == TRUTH_COLOR


def test_view_opens_on_the_sample_and_stays_on_the_grid():
    fig = figure(answers=[MapAnswer("far", (2900.0, 100.0))])
    (x0, x1), (y1, y0) = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert x1 - x0 == pytest.approx(y1 - y0)  # square
    for x, y in [*XY, TRUTH[0], (2900.0, 100.0)]:
        assert x0 < x < x1 and y0 < y < y1
    (lo, hi), _ = view_range_m(POWDER_GRID, [{"xy": np.array([[5.0, 5.0]])}], None)
    assert lo == pytest.approx(-6.25) and hi - lo == pytest.approx(800.0)


def test_region_outline_is_the_cells_boundary_in_metres():
    mask = np.zeros((4, 4), dtype=bool)
    mask[1, 2] = True
    x, y = region_outline_m(mask, 100.0, 200.0, 50.0)
    segments = {tuple(sorted([(x[i], y[i]), (x[i + 1], y[i + 1])])) for i in range(0, len(x), 3)}
    corners = [(200.0, 250.0), (250.0, 250.0), (250.0, 300.0), (200.0, 300.0)]
    assert segments == {tuple(sorted([corners[k], corners[(k + 1) % 4]])) for k in range(4)}
    assert np.isnan(x[2::3]).all()
    two = mask.copy()
    two[1, 3] = True  # a 2-cell region: the shared edge is not drawn
    assert len(region_outline_m(two, 0, 0, 1)[0]) == 6 * 3


def test_posterior_heatmap_and_regions_on_the_raster():
    fig = figure(posterior=posterior())
    (heat,) = [t for t in fig.data if t.type == "heatmap"]
    rows, cols = shown_cells(posterior().probs)
    assert (rows, cols) == (slice(25, 27), slice(24, 26))  # only the non-white cells are sent
    assert heat.x0 == pytest.approx(-6.25 + 24.5 * 50) and heat.dx == 50.0
    assert heat.y0 == pytest.approx(-6.25 + 25.5 * 50)
    assert np.asarray(heat.z).max() == 255
    custom = np.asarray(heat.customdata)
    lat, lon = POWDER_GRID.m_to_latlon(heat.x0, heat.y0)
    assert custom.shape == (2, 2, 3) and custom[0, 0, 2] == pytest.approx(0.6)
    assert np.allclose(custom[0, 0, :2], [float(lat), float(lon)], atol=1e-6)
    lines = [t for t in fig.data if t.name in ("50 % region", "90 % region")]
    assert [t.name for t in lines] == ["90 % region", "50 % region"]  # widest underneath
    assert {t.line.color for t in lines} == {REGION_COLOR}
    x = np.asarray(lines[1].x, dtype=float)
    assert np.nanmin(x) == pytest.approx(-6.25 + 24 * 50) and np.nanmax(x) == pytest.approx(
        -6.25 + 25 * 50
    )


def test_basemap_draws_the_same_layers_on_street_tiles():
    fig = figure(answers=[MapAnswer("knn", (1260.0, 1230.0))], posterior=posterior(), basemap=True)
    assert fig.layout.map.style == BASEMAP_STYLE
    kinds = {t.type for t in fig.data}
    assert kinds == {"scattermap"}
    (truth,) = by_name(fig, TRUTH_NAME)
    lat, lon = POWDER_GRID.m_to_latlon(TRUTH[:, 0], TRUTH[:, 1])
    assert truth.lat[0] == pytest.approx(lat[0]) and truth.lon[0] == pytest.approx(lon[0])
    (layer,) = fig.layout.map.layers
    assert layer.sourcetype == "image" and layer.source.startswith("data:image/png;base64,")
    assert len(layer.coordinates) == 4
    assert json.loads(fig.to_json())  # serialisable as Streamlit sends it
