"""Plotly figures of a localization case, shared by every page of the app.

One builder, `case_figure`, draws a city map in metres (x = column, y = row, rows going
down) with optional layers: a radio map in dB, a model's score heatmap, buildings on top,
and the markers of the paper's Fig. 5 (sensors green, prediction yellow, truth red,
orange where prediction and truth coincide; built in viz.markers). `clickable=True` lays
an invisible Scattergl grid over the map because a plain plotly heatmap returns no click
selection in Streamlit.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from locnet.constants import FLOOR_DB, MAP_SIZE, MAX_DB, PIXEL_M
from locnet.viz.markers import (
    marker_traces,
)

OUTDOOR_COLOR = "#ffffff"
BUILDING_COLOR = "#5f6b7a"  # slate gray, dark enough under any marker colour
RADIO_COLORSCALE = "Viridis"
SCORE_COLORSCALE = "Blues"
SCORE_LEVELS = 255  # a score map is sent as uint8 levels 0..SCORE_LEVELS
BUILDINGS_NAME = "buildings"
BUILDING_OPACITY = 0.85  # over a score map
MAP_TEMPLATE = "none"  # plotly's empty template: the default one is ~4 KB per figure
CLICK_GRID_STEP_PX = 2  # an invisible click target every 2 px: clicks snap to +-1 m
CLICK_GRID_NAME = "click target"
# Room left of and under a map for its tick labels (0-250 m) and axis titles, fixed rather
# than plotly's automargin: measuring and redrawing every map cost Chromium ~0.2 s on the
# Explorer's first page (docs/app.md, Speed). What automargin chose for these axes.
AXIS_MARGIN_PX = {"l": 42, "b": 40}


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


@functools.lru_cache(maxsize=64)
def _building_png_uri(mask_bytes: bytes, side: int, color: str) -> str:
    """data: URI of a PNG, `color` where a building is and transparent elsewhere: a
    256 x 256 building map is 1-3 KB as a palette PNG, against 87 KB as a heatmap."""
    from PIL import Image

    mask = np.frombuffer(mask_bytes, dtype=np.uint8).reshape(side, side)
    image = Image.fromarray(mask, mode="L").convert("P")
    rgb = tuple(int(color.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    image.putpalette([255, 255, 255, *rgb] + [0, 0, 0] * 254)
    out = io.BytesIO()
    image.save(out, format="PNG", transparency=0, optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def building_image(
    buildings: np.ndarray, *, above: bool = True, opacity: float = BUILDING_OPACITY
) -> dict:
    """The buildings as one layout image (slate gray, outdoor transparent), pixel i at i
    metres like the heatmaps: above a layer (`above`; semi-opaque over a score map, so
    the model's mass inside buildings still shows) or below the markers of a plain map."""
    mask = (np.asarray(buildings) != 0).astype(np.uint8)
    side = mask.shape[0]
    return {
        "source": _building_png_uri(mask.tobytes(), side, BUILDING_COLOR),
        "xref": "x",
        "yref": "y",
        "x": -0.5 * PIXEL_M,
        "y": -0.5 * PIXEL_M,
        "sizex": side * PIXEL_M,
        "sizey": side * PIXEL_M,
        "xanchor": "left",
        "yanchor": "top",
        "sizing": "stretch",
        "layer": "above" if above else "below",
        "opacity": opacity,
        "name": BUILDINGS_NAME,
    }


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
    """Path gain with a colour bar in dB, sent as uint8 whole dB of attenuation (-gain,
    48..147): a quarter of float32's bytes, and plotly's JSON escapes every '/' of the
    base64 text, which negative int16 values fill. Hover and colour bar say the gain
    (the minus sign is written before the number). Building pixels are covered by the
    opaque building image (case_figure)."""
    loss = np.where(np.asarray(buildings) > 0, -FLOOR_DB, -np.rint(radio_db))
    z = np.clip(loss, 0, 255).astype(np.uint8)
    ticks = list(range(int(np.ceil(-MAX_DB / 20) * 20), int(-FLOOR_DB) + 1, 20))
    return go.Heatmap(
        z=z,
        **HEATMAP_AXES,
        colorscale=RADIO_COLORSCALE,
        reversescale=True,  # the most gain (least attenuation) brightest
        zmin=-MAX_DB,
        zmax=-FLOOR_DB,
        colorbar={
            **_colorbar("gain (dB)"),
            "tickvals": ticks,
            "ticktext": [f"-{t}" for t in ticks],
        },
        hovertemplate="(%{x:.0f}, %{y:.0f}) m<br>-%{z} dB<extra>radio map</extra>",
        name="radio map",
    )


def normalise_scores(scores: np.ndarray) -> np.ndarray:
    """Min-max scale a score map to [0, 1] so models with different units share a colour bar."""
    scores = np.asarray(scores, dtype=np.float32)
    lo, hi = np.nanmin(scores), np.nanmax(scores)
    if not np.isfinite(lo) or not np.isfinite(hi) or hi <= lo:
        return np.zeros_like(scores)
    return (scores - lo) / (hi - lo)


def block_max(values: np.ndarray, step: int) -> np.ndarray:
    """(H, W) -> (H/step, W/step) keeping each block's largest value, so a sharp peak
    survives the smaller picture (a mean would blur it away)."""
    if step <= 1:
        return np.asarray(values)
    h, w = values.shape
    return np.asarray(values).reshape(h // step, step, w // step, step).max(axis=(1, 3))


def score_levels(scores: np.ndarray, step: int = 1) -> np.ndarray:
    """A score map as what is sent: normalised, block maxima of `step` pixels, and
    quantised to SCORE_LEVELS steps of uint8 (a 256 x 256 map: 64 KB, not 256 KB)."""
    levels = np.rint(block_max(normalise_scores(scores), step) * SCORE_LEVELS)
    return levels.astype(np.uint8)


def score_layer(scores: np.ndarray, step: int = 1) -> go.Heatmap:
    """A model's score heatmap (relative, 0..SCORE_LEVELS), the brightest pixel being its
    best guess; `step` > 1 sends one cell per step x step pixels (small figures)."""
    return go.Heatmap(
        z=score_levels(scores, step),
        x0=(step - 1) / 2 * PIXEL_M,
        dx=step * PIXEL_M,
        y0=(step - 1) / 2 * PIXEL_M,
        dy=step * PIXEL_M,
        colorscale=SCORE_COLORSCALE,
        zmin=0,
        zmax=SCORE_LEVELS,
        colorbar={
            **_colorbar("relative score"),
            "tickvals": [0, SCORE_LEVELS // 2, SCORE_LEVELS],
            "ticktext": ["0", "0.5", "1"],
        },
        hovertemplate=f"(%{{x:.0f}}, %{{y:.0f}}) m<br>score %{{z}} / {SCORE_LEVELS}"
        "<extra></extra>",
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


def figure_layout(*, title: str | None = None, height: int = 560) -> dict:
    """What every map figure of the app shares, with or without axes: the title and the
    legend above the plot (so it gets the column's full width), font, template, hover, and
    8 px margins at the sides. A plain dict: go.Figure(layout=...) takes it in one pass
    (update_layout / update_xaxes walk plotly's validators key by key, ~30 ms)."""
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
        "margin": {"l": 8, "r": 0, "t": 62 if title else 34, "b": 8},
        "legend": {
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.005,
            "xanchor": "left",
            "x": 0.0,
            "font": {"size": 12},
        },
        "template": MAP_TEMPLATE,
        "font": {"family": "sans-serif", "size": 12, "color": "#31333f"},
        "hovermode": "closest",
    }


def map_layout(*, title: str | None = None, height: int = 560, clickable: bool = False) -> dict:
    """figure_layout for a square city map in metres, rows going down, with AXIS_MARGIN_PX
    of room for its tick labels and axis titles."""
    extent = [-0.5 * PIXEL_M, (MAP_SIZE - 0.5) * PIXEL_M]
    axis = {
        "automargin": False,  # AXIS_MARGIN_PX keeps the titles off the tick labels
        "constrain": "domain",
        "showgrid": False,
        "zeroline": False,
        "ticks": "outside",
        "ticklen": 3,
    }
    layout = figure_layout(title=title, height=height)
    layout["margin"] |= AXIS_MARGIN_PX
    return layout | {
        "plot_bgcolor": OUTDOOR_COLOR,
        "dragmode": False if clickable else "zoom",
        "uirevision": "map",
        "xaxis": {"title": {"text": "x (m)", "standoff": 6}, "range": extent, **axis},
        "yaxis": {
            "title": {"text": "y (m)", "standoff": 6},
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
    score_step: int = 1,
) -> go.Figure:
    """The case overlay used on every page: map, optional layer, markers; axes in metres.

    Positions are pixel (x, y); `radio_db` is a (256, 256) dB map, `scores` a model's
    (256, 256) score map (higher = more likely), sent at one cell per `score_step` pixels.
    The buildings are one PNG layout image (building_image). With `clickable`, clicks
    select points of an invisible grid whose x/y are metres (locnet.app.clicks).
    """
    traces: list = []
    if scores is not None:
        traces.append(score_layer(scores, score_step))
    elif radio_db is not None:
        traces.append(radio_map_layer(radio_db, buildings))
    if clickable:
        traces.append(click_grid())
    traces += marker_traces(sensors_xy, truth_xy, prediction_xy, gains_db)
    layout = map_layout(title=title, height=height, clickable=clickable)
    layered = scores is not None or radio_db is not None
    opacity = BUILDING_OPACITY if scores is not None else 1.0
    layout["images"] = [building_image(buildings, above=layered, opacity=opacity)]
    return go.Figure(traces, layout=layout)
