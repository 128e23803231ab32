"""Lat/lon on the map figures of a geographic case: an invisible hover grid.

Plotly's map axes stay in metres (x east, y south of the tile's north-west corner); a
grid of invisible points every few metres carries the WGS 84 lat/lon of each point in
its hover text, so pointing anywhere on an uploaded geographic case reads its lat/lon.
"""

from __future__ import annotations

import functools

import numpy as np
import plotly.graph_objects as go

from locnet.cases.case import GeoRef
from locnet.cases.geo import map_to_latlon
from locnet.constants import MAP_SIZE, PIXEL_M

HOVER_STEP_PX = 4  # a lat/lon hover point every 4 m: 4,096 points
HOVER_NAME = "lat/lon"


@functools.lru_cache(maxsize=8)
def _grid(georef: GeoRef, step_px: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coords = np.arange(step_px // 2, MAP_SIZE, step_px, dtype=np.float64) * PIXEL_M
    gx, gy = (a.ravel() for a in np.meshgrid(coords, coords))
    lat, lon = map_to_latlon(georef, gx, gy)
    return gx.astype(np.float32), gy.astype(np.float32), np.stack([lat, lon], axis=1)


def latlon_hover(georef: GeoRef, step_px: int = HOVER_STEP_PX) -> go.Scattergl:
    """Invisible points whose hover says lat, lon (6 decimals, ~0.1 m) and map metres."""
    x, y, latlon = _grid(georef, step_px)
    return go.Scattergl(
        x=x,
        y=y,
        customdata=latlon,
        mode="markers",
        name=HOVER_NAME,
        showlegend=False,
        marker={"size": 2 * step_px, "opacity": 0.0, "color": "#000000"},
        hovertemplate="%{customdata[0]:.6f}, %{customdata[1]:.6f}"
        "<br>(%{x:.0f}, %{y:.0f}) m<extra></extra>",
    )


def add_latlon_hover(fig: go.Figure, georef: GeoRef | None) -> go.Figure:
    """`fig` with the lat/lon hover grid under its markers (unchanged without georef)."""
    if georef is None:
        return fig
    fig.add_trace(latlon_hover(georef))
    fig.data = (*fig.data[:-1][:1], fig.data[-1], *fig.data[1:-1])  # just above the map layer
    fig.layout.xaxis.title.text = "x (m east of the tile's west edge)"
    fig.layout.yaxis.title.text = "y (m south of its north edge)"
    return fig
