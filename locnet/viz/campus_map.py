"""A measured sample on its campus (real data, docs/real-data.md) as one plotly figure.

Receivers green (darker = stronger RSS, each labelled with its dB: RSS is uncalibrated per
receiver, so only one receiver's readings compare), the true transmitter(s) red, each
model's answer yellow (labelled with the model), and for a model with a posterior its
heatmap over the raster cells it answers on and the outlines of its 50 % and 90 %
credible regions. Two backgrounds:

- the metre grid (default): axes in metres on the campus grid (x east, y south, as the
  maps' conventions), lat/lon in every hover; draws anywhere, offline too;
- a street basemap: the same layers on plotly map tiles (OpenStreetMap), fetched by the
  viewer's browser, so it shows only when that browser is online.

viz may not import `measurements`: the grid comes as any object with `m_to_latlon`,
`metres_per_pixel` and `size` (locnet.measurements.campus.CampusGrid is one).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import plotly.graph_objects as go

from locnet.constants import PREDICTION_COLOR, SENSOR_COLOR, TRUTH_COLOR
from locnet.viz.maps import OUTDOOR_COLOR, SCORE_COLORSCALE, SCORE_LEVELS, figure_layout
from locnet.viz.markers import MARKER_OUTLINE
from locnet.viz.posterior import REGION_COLOR, REGION_DASH, region_name

RECEIVER_COLORSCALE = [[0.0, "#d9f7e3"], [0.5, SENSOR_COLOR], [1.0, "#00531f"]]  # weak -> strong
RECEIVERS_NAME = "receivers"
TRUTH_NAME = "true transmitter"
HEATMAP_NAME = "posterior"
GRID_STEP_M = 500.0  # a grid line every 500 m on the metre grid
BASEMAP_STYLE = "open-street-map"  # plotly map tiles that need no token
BASEMAP_ZOOM = 13.3  # about the 3.2 km campus on a 640 px map
HEATMAP_RGB = (8, 81, 156)  # the darkest blue of plotly's Blues: a basemap overlay's colour
HEATMAP_MAX_ALPHA = 0.75  # the most probable cell over the basemap
ANSWER_SYMBOLS = (
    "diamond",
    "square",
    "triangle-up",
    "pentagon",
    "hexagon",
    "triangle-down",
    "hourglass",
    "bowtie",
    "cross",
)  # one per model, all yellow
VIEW_MARGIN_M = 250.0  # the metre map opens on the sample's points plus this much around them
MIN_VIEW_M = 800.0  # ... and never narrower than this


class Georef(Protocol):
    """What the figure needs of a campus grid (locnet.measurements.campus.CampusGrid)."""

    metres_per_pixel: float
    size: int

    def m_to_latlon(self, x_m, y_m) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class MapAnswer:
    """One model's answer: its label and position (x, y) in grid metres."""

    label: str
    xy_m: tuple[float, float]
    error_m: float | None = None


@dataclass(frozen=True)
class MapPosterior:
    """A posterior over square raster cells: probs (H, W) summing to 1, regions (L, H, W)
    bool at `levels`, the raster's north-west corner (x0_m, y0_m) and cell side cell_m in
    grid metres (cell (c, r) is centred at x0 + (c + 0.5) cell, y0 + (r + 0.5) cell)."""

    label: str
    probs: np.ndarray
    regions: np.ndarray
    levels: tuple[float, ...]
    x0_m: float
    y0_m: float
    cell_m: float


def grid_range_m(grid: Georef) -> list[float]:
    """The axis range in metres: the whole raster, pixel centres at whole multiples."""
    half = grid.metres_per_pixel / 2
    return [-half, grid.size * grid.metres_per_pixel - half]


def _latlon(grid: Georef, x_m, y_m) -> np.ndarray:
    lat, lon = grid.m_to_latlon(
        np.asarray(x_m, dtype=np.float64), np.asarray(y_m, dtype=np.float64)
    )
    return np.stack([np.atleast_1d(lat), np.atleast_1d(lon)], axis=-1)


def region_outline_m(
    mask: np.ndarray, x0_m: float, y0_m: float, cell_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """The boundary of a (H, W) bool cell region as line segments in metres: every cell edge
    between a cell inside and one outside (or the raster's edge), each segment followed by a
    NaN gap, so one line trace draws the exact outline of any region, holes included."""
    inside = np.pad(np.asarray(mask, dtype=bool), 1)
    segments = []
    # horizontal edges: a change between row r-1 and row r, spanning columns c..c+1
    rows, cols = np.nonzero(inside[1:, 1:-1] != inside[:-1, 1:-1])
    segments.append(np.stack([cols, rows, cols + 1, rows], axis=1))
    # vertical edges: a change between column c-1 and column c, spanning rows r..r+1
    rows, cols = np.nonzero(inside[1:-1, 1:] != inside[1:-1, :-1])
    segments.append(np.stack([cols, rows, cols, rows + 1], axis=1))
    seg = np.concatenate(segments).astype(np.float64)
    x = np.column_stack([seg[:, 0], seg[:, 2], np.full(len(seg), np.nan)]).ravel()
    y = np.column_stack([seg[:, 1], seg[:, 3], np.full(len(seg), np.nan)]).ravel()
    return x0_m + x * cell_m, y0_m + y * cell_m


def _receiver_style(rss_db: np.ndarray) -> dict:
    low, high = (float(np.min(rss_db)), float(np.max(rss_db))) if len(rss_db) else (0.0, 1.0)
    return {
        "size": 11,
        "color": np.asarray(rss_db, dtype=np.float64),
        "colorscale": RECEIVER_COLORSCALE,
        "cmin": low,
        "cmax": high if high > low else low + 1.0,
        "showscale": False,
    }


def _hover_latlon(i: int) -> str:
    return f"%{{customdata[{i}]:.6f}}, %{{customdata[{i + 1}]:.6f}}"


def _layers(
    grid: Georef,
    receivers: Sequence[str],
    receivers_xy_m: np.ndarray,
    rss_db: np.ndarray,
    truths_m: np.ndarray,
    answers: Sequence[MapAnswer],
) -> list[dict]:
    """The marker layers as plain dicts (x/y metres, lat/lon, style), drawn by either
    background: receivers, truths, answers."""
    layers = []
    xy = np.asarray(receivers_xy_m, dtype=np.float64).reshape(-1, 2)
    rss = np.asarray(rss_db, dtype=np.float64)
    latlon = _latlon(grid, xy[:, 0], xy[:, 1])
    marker = _receiver_style(rss) | {"line": MARKER_OUTLINE, "symbol": "circle"}
    layers.append(
        {
            "name": f"{RECEIVERS_NAME} ({len(xy)})",
            "xy": xy,
            "latlon": latlon,
            "marker": marker,
            "text": [f"{v:.0f}" for v in rss],
            "customdata": np.column_stack([latlon, rss, np.asarray(receivers, dtype=object)]),
            "hover": "<b>%{customdata[3]}</b><br>RSS %{customdata[2]:.1f} dB (uncalibrated)"
            "<br>" + _hover_latlon(0),
        }
    )
    truths = np.asarray(truths_m, dtype=np.float64).reshape(-1, 2)
    truths = truths[np.isfinite(truths).all(axis=1)]
    latlon = _latlon(grid, truths[:, 0], truths[:, 1])
    names = (
        [TRUTH_NAME] if len(truths) == 1 else [f"{TRUTH_NAME} {k + 1}" for k in range(len(truths))]
    )
    layers.append(
        {
            "name": TRUTH_NAME if len(truths) == 1 else f"{TRUTH_NAME}s ({len(truths)})",
            "xy": truths,
            "latlon": latlon,
            "marker": {"size": 18, "color": TRUTH_COLOR, "symbol": "star", "line": MARKER_OUTLINE},
            "text": None if len(truths) == 1 else [str(k + 1) for k in range(len(truths))],
            "customdata": np.column_stack([latlon, np.asarray(names, dtype=object)]),
            "hover": "<b>%{customdata[2]}</b><br>" + _hover_latlon(0),
        }
    )
    for i, answer in enumerate(answers):
        point = np.asarray(answer.xy_m, dtype=np.float64).reshape(1, 2)
        latlon = _latlon(grid, point[:, 0], point[:, 1])
        error = "" if answer.error_m is None else f"<br>error {answer.error_m:.1f} m"
        layers.append(
            {
                "name": answer.label,
                "xy": point,
                "latlon": latlon,
                "marker": {
                    "size": 13,
                    "color": PREDICTION_COLOR,
                    "symbol": ANSWER_SYMBOLS[i % len(ANSWER_SYMBOLS)],
                    "line": MARKER_OUTLINE,
                },
                "text": None,
                "customdata": latlon,
                "hover": f"<b>{answer.label}</b>{error}<br>" + _hover_latlon(0),
            }
        )
    return layers


def _cell_centres(posterior: MapPosterior) -> tuple[np.ndarray, np.ndarray]:
    h, w = posterior.probs.shape
    xs = posterior.x0_m + (np.arange(w) + 0.5) * posterior.cell_m
    ys = posterior.y0_m + (np.arange(h) + 0.5) * posterior.cell_m
    return xs, ys


def _probability_levels(probs: np.ndarray) -> np.ndarray:
    """Probabilities as uint8 levels of the most probable cell (what is sent and coloured)."""
    top = float(np.max(probs)) if probs.size else 0.0
    scaled = np.asarray(probs, dtype=np.float64) / top if top > 0 else np.zeros(probs.shape)
    return np.rint(scaled * SCORE_LEVELS).astype(np.uint8)


def shown_cells(probs: np.ndarray) -> tuple[slice, slice]:
    """(rows, columns) of the smallest box holding every cell drawn darker than white (level
    >= 1): the rest is sent as nothing, so a sharp posterior costs a few KB, not 64 x 64
    cells with their lat/lon."""
    rows, cols = np.nonzero(_probability_levels(probs))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)


def _heatmap_trace(grid: Georef, posterior: MapPosterior) -> go.Heatmap:
    rows, cols = shown_cells(posterior.probs)
    xs, ys = (c[s] for c, s in zip(_cell_centres(posterior), (cols, rows)))
    probs = np.asarray(posterior.probs, dtype=np.float64)[rows, cols]
    gx, gy = np.meshgrid(xs, ys)
    latlon = _latlon(grid, gx.ravel(), gy.ravel()).reshape(*gx.shape, 2)
    custom = np.concatenate([latlon.round(6), probs[..., None].round(5)], axis=2)
    return go.Heatmap(
        z=_probability_levels(posterior.probs)[rows, cols],
        x0=float(xs[0]) if len(xs) else 0.0,
        dx=posterior.cell_m,
        y0=float(ys[0]) if len(ys) else 0.0,
        dy=posterior.cell_m,
        customdata=custom,
        colorscale=SCORE_COLORSCALE,
        zmin=0,
        zmax=SCORE_LEVELS,
        showscale=False,
        name=f"{HEATMAP_NAME} ({posterior.label})",
        hovertemplate="(%{x:.0f}, %{y:.0f}) m<br>"
        + _hover_latlon(0)
        + "<br>p = %{customdata[2]:.4f} in this cell<extra>"
        + posterior.label
        + "</extra>",
    )


def _region_lines(posterior: MapPosterior) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(level, x, y) outlines in metres, widest level first."""
    out = []
    for level, mask in sorted(zip(posterior.levels, posterior.regions), key=lambda p: -p[0]):
        if np.any(mask):
            out.append(
                (level, *region_outline_m(mask, posterior.x0_m, posterior.y0_m, posterior.cell_m))
            )
    return out


def _region_traces(grid: Georef, posterior: MapPosterior, *, basemap: bool) -> list:
    """The credible regions' outlines, widest first: lines in metres, or in lat/lon on the
    basemap (map lines have no dash: the wider line there is the 90 % region's)."""
    traces = []
    for level, x, y in _region_lines(posterior):
        if basemap:
            lat, lon = _lat_lon_gaps(grid, x, y)
            kind, coords = go.Scattermap, {"lat": lat, "lon": lon}
            line = {"color": REGION_COLOR, "width": 3.0 if level > 0.5 else 1.8}
        else:
            kind, coords = go.Scatter, {"x": x, "y": y}
            line = {"color": REGION_COLOR, "width": 1.8, "dash": REGION_DASH.get(level, "dot")}
        traces.append(
            kind(**coords, mode="lines", name=region_name(level), hoverinfo="skip", line=line)
        )
    return traces


def view_range_m(
    grid: Georef, layers: Sequence[dict], posterior: MapPosterior | None
) -> tuple[list[float], list[float]]:
    """(x range, y range) in metres the metre map opens on: a square around every marker and
    the drawn posterior cells, VIEW_MARGIN_M wider each side, at least MIN_VIEW_M, inside
    the raster when it fits (zoom out or double-click for the whole campus)."""
    points = [layer["xy"] for layer in layers]
    if posterior is not None:
        rows, cols = shown_cells(posterior.probs)
        xs, ys = _cell_centres(posterior)
        if len(xs[cols]) and len(ys[rows]):
            corners = np.array([[xs[cols][0], ys[rows][0]], [xs[cols][-1], ys[rows][-1]]])
            points.append(corners)
    xy = np.concatenate(points) if points else np.zeros((0, 2))
    full = grid_range_m(grid)
    if len(xy) == 0:
        return list(full), list(full)
    low, high = xy.min(axis=0), xy.max(axis=0)
    side = max(float((high - low).max()) + 2 * VIEW_MARGIN_M, MIN_VIEW_M)
    centre = (low + high) / 2
    start = np.clip(centre - side / 2, full[0], max(full[0], full[1] - side))
    return [float(start[0]), float(start[0] + side)], [float(start[1]), float(start[1] + side)]


def _metre_figure(grid, layers, posterior, title, height) -> go.Figure:
    traces: list = []
    if posterior is not None:
        traces.append(_heatmap_trace(grid, posterior))
        traces += _region_traces(grid, posterior, basemap=False)
    for layer in layers:
        traces.append(
            go.Scatter(
                x=layer["xy"][:, 0],
                y=layer["xy"][:, 1],
                mode="markers+text" if layer["text"] is not None else "markers",
                marker=layer["marker"],
                text=layer["text"],
                textposition="top center",
                textfont={"size": 10},
                customdata=layer["customdata"],
                name=layer["name"],
                hovertemplate="(%{x:.0f}, %{y:.0f}) m<br>" + layer["hover"] + "<extra></extra>",
            )
        )
    x_range, y_range = view_range_m(grid, layers, posterior)
    axis = {
        "constrain": "domain",
        "showgrid": True,
        "gridcolor": "#e3e6ea",
        "dtick": GRID_STEP_M,
        "zeroline": False,
        "ticks": "outside",
        "automargin": True,
    }
    layout = figure_layout(title=title, height=height)  # the app's title, legend, font, margins
    layout |= {
        "plot_bgcolor": OUTDOOR_COLOR,
        "dragmode": "zoom",
        "uirevision": "campus",
        "xaxis": {"title": {"text": "x (m east)"}, "range": x_range, **axis},
        "yaxis": {
            "title": {"text": "y (m south)"},
            "range": y_range[::-1],
            "scaleanchor": "x",
            "scaleratio": 1,
            **axis,
        },
    }
    return go.Figure(traces, layout=layout)


def heatmap_png_uri(probs: np.ndarray) -> str:
    """data: URI of a PNG of the posterior, one pixel a cell, dark blue with an alpha that
    grows with the probability (transparent where it is 0): the basemap shows through."""
    from PIL import Image

    alpha = _probability_levels(probs).astype(np.float64) / SCORE_LEVELS * HEATMAP_MAX_ALPHA * 255
    rgba = np.zeros((*probs.shape, 4), dtype=np.uint8)
    rgba[..., :3] = HEATMAP_RGB
    rgba[..., 3] = np.rint(alpha).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _lat_lon_gaps(grid: Georef, x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """Line points in lat/lon with None where the metre line had a NaN gap."""
    gap = ~np.isfinite(x)
    lat, lon = grid.m_to_latlon(np.where(gap, 0.0, x), np.where(gap, 0.0, y))
    lat = np.where(gap, None, np.asarray(lat, dtype=object))
    lon = np.where(gap, None, np.asarray(lon, dtype=object))
    return lat.tolist(), lon.tolist()


def _basemap_figure(grid, layers, posterior, title, height) -> go.Figure:
    traces: list = []
    map_layers = []
    if posterior is not None:
        h, w = posterior.probs.shape
        x = posterior.x0_m + np.array([0, w, w, 0]) * posterior.cell_m
        y = posterior.y0_m + np.array([0, 0, h, h]) * posterior.cell_m
        lat, lon = grid.m_to_latlon(x, y)
        map_layers.append(
            {
                "sourcetype": "image",
                "source": heatmap_png_uri(posterior.probs),
                "coordinates": [[float(o), float(a)] for a, o in zip(lat, lon)],
                "below": "traces",
            }
        )
        traces += _region_traces(grid, posterior, basemap=True)
    for layer in layers:
        marker = {k: v for k, v in layer["marker"].items() if k not in ("line", "symbol")}
        traces.append(
            go.Scattermap(
                lat=layer["latlon"][:, 0],
                lon=layer["latlon"][:, 1],
                mode="markers+text" if layer["text"] is not None else "markers",
                marker=marker,
                text=layer["text"],
                textposition="top center",
                customdata=layer["customdata"],
                name=layer["name"],
                hovertemplate=layer["hover"] + "<extra></extra>",
            )
        )
    middle = np.mean(grid_range_m(grid))
    points = np.concatenate([layer["latlon"] for layer in layers] + [_latlon(grid, middle, middle)])
    centre = points.mean(axis=0) if len(points) == 1 else points[:-1].mean(axis=0)
    layout = figure_layout(title=title, height=height)
    layout |= {
        "uirevision": "campus-map",
        "map": {
            "style": BASEMAP_STYLE,
            "center": {"lat": float(centre[0]), "lon": float(centre[1])},
            "zoom": BASEMAP_ZOOM,
            "layers": map_layers,
        },
    }
    return go.Figure(traces, layout=layout)


def campus_figure(
    grid: Georef,
    *,
    receivers: Sequence[str],
    receivers_xy_m: np.ndarray,
    rss_db: np.ndarray,
    truths_m: np.ndarray,
    answers: Sequence[MapAnswer] = (),
    posterior: MapPosterior | None = None,
    title: str | None = None,
    height: int = 640,
    basemap: bool = False,
) -> go.Figure:
    """The sample's figure: receivers (K ids, (K, 2) metres, (K,) dB), its T true
    transmitters (T, 2) metres (T = 0, 1 or 2), each answer, and one posterior's heatmap
    and credible regions; on the metre grid, or with `basemap` on street tiles."""
    layers = _layers(grid, receivers, receivers_xy_m, rss_db, truths_m, answers)
    build = _basemap_figure if basemap else _metre_figure
    return build(grid, layers, posterior, title, height)
