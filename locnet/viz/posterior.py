"""A heatmap model's calibrated posterior on its case figure (locnet.posterior.distribution, docs/posterior.md).

Over the model's score heatmap: the 50 % and 90 % highest-probability regions as contour
lines, and markers for the mode (argmax, the paper's answer) and the posterior mean;
the answer of the chosen readout keeps the prediction yellow of locnet.viz.maps. Contours
are drawn by plotly in the browser from each region's bounding box only (uint8): at
most 64 KB per level and usually a few KB, so the page rerun stays fast. Buildings a
region encloses count as inside it for the line, which then outlines the region rather
than every building in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from scipy import ndimage

from locnet.constants import PIXEL_M
from locnet.posterior.distribution import REGION_LEVELS
from locnet.viz.maps import building_image, map_layout, score_layer
from locnet.viz.markers import MARKER_OUTLINE, PREDICTION_NAME, marker_traces

REGION_COLOR = "#c2185b"  # dark pink: stands out on the blue heatmap and gray buildings
REGION_DASH = {0.5: "solid", 0.9: "dash"}
READOUT_MARKERS = {  # readout -> (legend name, symbol): white with a black outline
    "mode": ("mode (argmax)", "x"),
    "mean": ("mean", "cross"),
}
READOUT_MARKER_SIZE = 10  # smaller than the prediction diamond, so both show when they meet
LEGEND_ROW_PX = 20  # extra top margin per additional legend row


def region_name(level: float) -> str:
    """'90 % region': the legend entry of a credible region."""
    return f"{level * 100:.0f} % region"


def outline_mask(mask: np.ndarray, buildings: np.ndarray | None = None) -> np.ndarray:
    """The region with the buildings it encloses filled in, so its line runs around the
    region and not around every building inside it (the posterior is 0 on buildings)."""
    mask = np.asarray(mask, dtype=bool)
    if buildings is None:
        return mask
    return mask | (ndimage.binary_fill_holes(mask) & (np.asarray(buildings) != 0))


def region_contour(
    mask: np.ndarray, level: float, buildings: np.ndarray | None = None
) -> go.Contour | None:
    """One contour line around a (H, W) bool region; None for an empty region.

    Only the bounding box (plus one empty pixel each side, so the line closes even along
    the map's edge) is sent; x0/y0 put pixel i at i metres, as the heatmaps do.
    """
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return None
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    crop = None if buildings is None else buildings[y0:y1, x0:x1]
    z = np.pad(outline_mask(mask[y0:y1, x0:x1], crop).astype(np.uint8), 1)
    return go.Contour(
        z=z,
        x0=float(x0 - 1) * PIXEL_M,
        dx=PIXEL_M,
        y0=float(y0 - 1) * PIXEL_M,
        dy=PIXEL_M,
        contours={"start": 0.5, "end": 0.5, "size": 1, "coloring": "lines"},
        colorscale=[[0.0, REGION_COLOR], [1.0, REGION_COLOR]],
        line={"width": 1.5, "dash": REGION_DASH.get(level, "dot"), "smoothing": 0},
        showscale=False,
        showlegend=True,
        hoverinfo="skip",
        name=region_name(level),
    )


def region_contours(
    regions: np.ndarray,
    levels: Sequence[float] = REGION_LEVELS,
    buildings: np.ndarray | None = None,
) -> list[go.Contour]:
    """Contours of the (L, H, W) bool regions, widest level first (drawn underneath)."""
    pairs = sorted(zip(levels, regions), key=lambda p: -p[0])
    contours = (region_contour(m, level, buildings) for level, m in pairs)
    return [c for c in contours if c is not None]


def readout_markers(readouts: Mapping[str, Sequence[float]]) -> list[go.Scatter]:
    """Markers for the mode and the mean (pixel xy), named in the legend."""
    traces = []
    for readout, (name, symbol) in READOUT_MARKERS.items():
        if readout not in readouts:
            continue
        x, y = (float(v) * PIXEL_M for v in readouts[readout])
        traces.append(
            go.Scatter(
                x=[x],
                y=[y],
                mode="markers",
                marker={
                    "size": READOUT_MARKER_SIZE,
                    "color": "#ffffff",
                    "symbol": symbol,
                    "line": MARKER_OUTLINE,
                },
                name=name,
                hovertemplate=f"{name} (%{{x:.0f}}, %{{y:.0f}}) m<extra></extra>",
            )
        )
    return traces


def posterior_figure(
    buildings: np.ndarray,
    scores: np.ndarray,
    *,
    regions: np.ndarray | None,
    readouts: Mapping[str, Sequence[float]],
    readout: str,
    sensors_xy: Sequence[Sequence[float]] = (),
    truth_xy: Sequence[float] | None = None,
    prediction_xy: Sequence[float] | None = None,
    title: str | None = None,
    height: int = 560,
    legend_rows: int = 3,
    score_step: int = 1,
) -> go.Figure:
    """A heatmap model's case figure with its credible regions and mode / mean markers.

    Positions are pixel (x, y); `regions` (2, H, W) bool at REGION_LEVELS (None: not
    drawn); the prediction is named after `readout`. legend_rows: rows the legend wraps
    to at the expected width, to keep it clear of the title. score_step: pixels per sent
    heatmap cell (2 for the small figures: a quarter of the bytes; regions stay exact).
    """
    traces: list = [score_layer(scores, score_step)]
    if regions is not None:
        traces += region_contours(regions, buildings=buildings)
    traces += marker_traces(
        sensors_xy, truth_xy, prediction_xy, prediction_name=f"{PREDICTION_NAME} ({readout})"
    )
    traces += readout_markers(readouts)
    extra = LEGEND_ROW_PX * max(0, legend_rows - 1)  # the map keeps its size under the legend
    layout = map_layout(title=title, height=height + extra)
    layout["images"] = [building_image(buildings)]
    layout["margin"]["t"] += extra
    layout["legend"].update(entrywidth=0, entrywidthmode="pixels")  # flow, not columns
    return go.Figure(traces, layout=layout)
