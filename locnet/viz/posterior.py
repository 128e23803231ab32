"""A heatmap model's calibrated posterior on its case figure (locnet.posterior.distribution, docs/posterior.md).

Over the model's score heatmap: the 50 % and 90 % highest-probability regions as
outlines, and markers for the mode (argmax, the paper's answer) and the posterior mean;
the answer of the chosen readout keeps the prediction yellow of locnet.viz.maps. The
outlines are traced here (scikit-image, shapely) and sent as one simplified line per region:
plotly's contour trace did the tracing in the browser, which took seconds of a click on
ragged regions. Buildings a region encloses count as inside it for the line, which then
outlines the region rather than every building in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import shapely
from scipy import ndimage
from skimage import measure

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
OUTLINE_TOLERANCE_PX = 0.5  # a region outline strays at most this far from the traced one


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


def outline_xy_m(
    mask: np.ndarray, buildings: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The outline of a (H, W) bool region in metres, with the buildings it encloses filled
    in (outline_mask, on the region's bounding box only: a filled hole never leaves it): x
    and y (float32) of every closed piece, NaN between pieces, so one line trace draws it
    (holes included); empty if the region is.

    The line runs half-way between pixel centres inside and outside (pixel i at i metres,
    as the heatmaps place it, so on the pixel edges), simplified (Douglas-Peucker, in
    shapely's C: skimage's approximate_polygon took 0.5 s on a ragged region) to within
    OUTLINE_TOLERANCE_PX. Only the bounding box plus one empty pixel each side is traced:
    pieces close along the map's edge too.
    """
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        return np.empty(0, np.float32), np.empty(0, np.float32)
    y0, x0 = rows.min(), cols.min()
    box = np.s_[y0 : rows.max() + 1, x0 : cols.max() + 1]
    crop_buildings = None if buildings is None else np.asarray(buildings)[box]
    crop = np.pad(outline_mask(np.asarray(mask, bool)[box], crop_buildings), 1)
    pieces = measure.find_contours(crop.astype(np.float32), 0.5)
    piece_of = np.repeat(np.arange(len(pieces)), [len(p) for p in pieces])
    lines = shapely.linestrings(np.concatenate(pieces), indices=piece_of)
    simple = shapely.simplify(lines, OUTLINE_TOLERANCE_PX, preserve_topology=False)
    rc, piece_of = shapely.get_coordinates(simple, return_index=True)
    starts = np.flatnonzero(np.diff(piece_of)) + 1  # a NaN row before each later piece
    rc = np.insert(rc, starts, np.nan, axis=0) + np.array([y0 - 1, x0 - 1])
    rc = (rc * PIXEL_M).astype(np.float32)
    return rc[:, 1], rc[:, 0]


def region_contour(
    mask: np.ndarray, level: float, buildings: np.ndarray | None = None
) -> go.Scatter | None:
    """One line around a (H, W) bool region (buildings it encloses filled in); None for an
    empty region. Traced here, not by plotly's contour trace in the browser, whose path
    search took seconds of a click on ragged regions (issue #26)."""
    x, y = outline_xy_m(mask, buildings)
    if x.size == 0:
        return None
    return go.Scatter(
        x=x,
        y=y,
        mode="lines",
        line={"color": REGION_COLOR, "width": 1.5, "dash": REGION_DASH.get(level, "dot")},
        showlegend=True,
        hoverinfo="skip",
        name=region_name(level),
    )


def region_contours(
    regions: np.ndarray,
    levels: Sequence[float] = REGION_LEVELS,
    buildings: np.ndarray | None = None,
) -> list[go.Scatter]:
    """Outlines of the (L, H, W) bool regions, widest level first (drawn underneath)."""
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
