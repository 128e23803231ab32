"""Plotly figures of a localization case, shared by every page of the app.

One builder, `case_figure`, draws a city map in metres (x = column, y = row, rows going
down) with optional layers: a radio map in dB, a model's score heatmap, buildings on top,
and the markers of the paper's Fig. 5 (sensors green, prediction yellow, truth red,
orange where prediction and truth coincide; built in viz.markers). `clickable=True` lays
an invisible Scattergl grid over the map because a plain plotly heatmap returns no click
selection in Streamlit.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from locnet.constants import FLOOR_DB, MAP_SIZE, MAX_DB, PIXEL_M
from locnet.viz.markers import (
    marker_traces,
)

OUTDOOR_COLOR = "#ffffff"
BUILDING_COLOR = "#5f6b7a"  # slate gray, dark enough under any marker colour
TRANSPARENT = "rgba(0,0,0,0)"
RADIO_COLORSCALE = "Viridis"
SCORE_COLORSCALE = "Blues"
CLICK_GRID_STEP_PX = 2  # an invisible click target every 2 px: clicks snap to +-1 m
CLICK_GRID_NAME = "click target"


# A heatmap's cell centres as a linear space (pixel i is centred at i * PIXEL_M): the same
# axes as 256-value x / y arrays without sending them.
HEATMAP_AXES = {"x0": 0.0, "dx": PIXEL_M, "y0": 0.0, "dy": PIXEL_M}


def compact_coords(values: np.ndarray) -> np.ndarray:
    """Coordinates in the smallest dtype that holds them exactly (uint8 / uint16 for whole
    non-negative numbers, else float32): plotly sends arrays as typed binary, so the
    click grid's 2 x 16,384 metres go out as 32 KB instead of 128 KB."""
    values = np.asarray(values)
    if values.size and np.all(np.isfinite(values)) and np.all(values == np.round(values)):
        lo, hi = float(values.min()), float(values.max())
        for dtype in (np.uint8, np.uint16):
            if lo >= 0 and hi <= np.iinfo(dtype).max:
                return values.astype(dtype)
    return values.astype(np.float32)


def building_background(buildings: np.ndarray) -> go.Heatmap:
    """Whole map: outdoor white, buildings slate gray (no hover, no colour bar)."""
    return go.Heatmap(
        z=np.asarray(buildings, dtype=np.uint8),
        **HEATMAP_AXES,
        colorscale=[[0.0, OUTDOOR_COLOR], [1.0, BUILDING_COLOR]],
        zmin=0,
        zmax=1,
        showscale=False,
        hoverinfo="skip",
        name="buildings",
    )


def building_overlay(buildings: np.ndarray, opacity: float = 0.85) -> go.Heatmap:
    """Buildings only (outdoor fully transparent), drawn over a score or radio layer.

    Kept as uint8 with a transparent colour for 0 rather than NaN floats: 4x less to send.
    """
    return go.Heatmap(
        z=np.asarray(buildings, dtype=np.uint8),
        **HEATMAP_AXES,
        colorscale=[
            [0.0, TRANSPARENT],
            [0.5, TRANSPARENT],
            [0.5, BUILDING_COLOR],
            [1.0, BUILDING_COLOR],
        ],
        zmin=0,
        zmax=1,
        showscale=False,
        opacity=opacity,
        hoverinfo="skip",
        name="buildings",
    )


def _colorbar(title: str) -> dict:
    """A thin horizontal colour bar under the x axis, so the square map keeps the full width."""
    return {
        "title": {"text": title, "side": "right"},
        "orientation": "h",
        "thickness": 10,
        "len": 0.9,
        "x": 0.5,
        "xanchor": "center",
        "y": -0.15,
        "yanchor": "top",
        "ypad": 0,
    }


def radio_map_layer(radio_db: np.ndarray, buildings: np.ndarray) -> go.Heatmap:
    """Path gain in dB over outdoor pixels with a colour bar (buildings left blank)."""
    z = np.where(np.asarray(buildings) > 0, np.nan, radio_db).astype(np.float32)
    return go.Heatmap(
        z=z,
        **HEATMAP_AXES,
        colorscale=RADIO_COLORSCALE,
        zmin=FLOOR_DB,
        zmax=MAX_DB,
        colorbar=_colorbar("gain (dB)"),
        hovertemplate="(%{x:.0f}, %{y:.0f}) m<br>%{z:.1f} dB<extra>radio map</extra>",
        name="radio map",
    )


def normalise_scores(scores: np.ndarray) -> np.ndarray:
    """Min-max scale a score map to [0, 1] so models with different units share a colour bar."""
    scores = np.asarray(scores, dtype=np.float32)
    lo, hi = np.nanmin(scores), np.nanmax(scores)
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return np.zeros_like(scores)
    return (scores - lo) / (hi - lo)


def score_layer(scores: np.ndarray) -> go.Heatmap:
    """A model's score heatmap (relative, 0..1), the brightest pixel being its best guess."""
    return go.Heatmap(
        z=normalise_scores(scores),
        **HEATMAP_AXES,
        colorscale=SCORE_COLORSCALE,
        zmin=0.0,
        zmax=1.0,
        colorbar=_colorbar("relative score"),
        hovertemplate="(%{x:.0f}, %{y:.0f}) m<br>score %{z:.3f}<extra></extra>",
        name="score",
    )


@functools.lru_cache(maxsize=4)
def click_grid_xy(step_px: int = CLICK_GRID_STEP_PX) -> tuple[np.ndarray, np.ndarray]:
    """x and y in metres of a point every `step_px` pixels (row by row), compact dtype.

    Cached: the same for every map; the arrays are read-only so no caller can change them.
    """
    coords = np.arange(0, MAP_SIZE, step_px, dtype=np.float32) * PIXEL_M
    gx, gy = np.meshgrid(coords, coords)
    x, y = compact_coords(gx.ravel()), compact_coords(gy.ravel())
    x.flags.writeable = y.flags.writeable = False
    return x, y


def click_grid(step_px: int = CLICK_GRID_STEP_PX) -> go.Scattergl:
    """Invisible points every `step_px` pixels: the targets that make clicks selectable."""
    x, y = click_grid_xy(step_px)
    return go.Scattergl(
        x=x,
        y=y,
        mode="markers",
        marker={"size": max(4, 2 * step_px), "opacity": 0.0, "color": "#000000"},
        hovertemplate="click at (%{x:.0f}, %{y:.0f}) m<extra></extra>",
        showlegend=False,
        name=CLICK_GRID_NAME,
    )


def map_layout(*, title: str | None = None, height: int = 560, clickable: bool = False) -> dict:
    """Layout of a square map in metres, rows going down; title and legend above it, so the
    square gets the column's full width. A plain dict: go.Figure(layout=...) takes it in one
    pass (update_layout / update_xaxes walk plotly's validators key by key, ~30 ms)."""
    extent = [-0.5 * PIXEL_M, (MAP_SIZE - 0.5) * PIXEL_M]
    axis = {
        "constrain": "domain",
        "showgrid": False,
        "zeroline": False,
        "ticks": "outside",
        "ticklen": 3,
    }
    return {
        "title": {
            "text": title,
            "x": 0.0,
            "xanchor": "left",
            "y": 0.995,
            "yanchor": "top",
            "font": {"size": 15},
        }
        if title
        else None,
        "height": height,
        "margin": {"l": 0, "r": 0, "t": 62 if title else 34, "b": 48},
        "plot_bgcolor": OUTDOOR_COLOR,
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.005,
            "xanchor": "left",
            "x": 0.0,
            "font": {"size": 12},
        },
        "dragmode": False if clickable else "zoom",
        "hovermode": "closest",
        "uirevision": "map",
        "xaxis": {"title": {"text": "x (m)", "standoff": 8}, "range": extent, **axis},
        "yaxis": {
            "title": {"text": "y (m)", "standoff": 2},
            "range": extent[::-1],
            "scaleanchor": "x",
            "scaleratio": 1,
            **axis,
        },
    }


def case_figure(
    buildings: np.ndarray,
    *,
    sensors_xy: Sequence[Sequence[float]] = (),
    truth_xy: Sequence[float] | None = None,
    prediction_xy: Sequence[float] | None = None,
    radio_db: np.ndarray | None = None,
    scores: np.ndarray | None = None,
    gains_db: Sequence[float] | None = None,
    title: str | None = None,
    clickable: bool = False,
    height: int = 560,
) -> go.Figure:
    """The case overlay used on every page: map, optional layer, markers; axes in metres.

    Positions are pixel (x, y); `radio_db` is a (256, 256) dB map, `scores` a model's
    (256, 256) score map (higher = more likely). With `clickable`, clicks select points
    of an invisible grid whose x/y are metres (see locnet.app.state.first_click).
    """
    traces: list = []
    if scores is not None:
        traces += [score_layer(scores), building_overlay(buildings)]
    elif radio_db is not None:
        traces += [building_background(buildings), radio_map_layer(radio_db, buildings)]
    else:
        traces.append(building_background(buildings))
    if clickable:
        traces.append(click_grid())
    traces += marker_traces(sensors_xy, truth_xy, prediction_xy, gains_db)
    return go.Figure(traces, layout=map_layout(title=title, height=height, clickable=clickable))
