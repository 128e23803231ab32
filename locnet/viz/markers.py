"""Marker traces of a case figure: the paper's Fig. 5 colours (part of locnet.viz.maps).

Sensors green, prediction yellow, true transmitter red, and one orange star where the
prediction and the truth fall on the same pixel. Positions are pixel (x, y); the traces
are drawn in metres. Re-exported by locnet.viz.maps.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from locnet.constants import OVERLAP_COLOR, PIXEL_M, PREDICTION_COLOR, SENSOR_COLOR, TRUTH_COLOR

OVERLAP_TOLERANCE_PX = 0.5  # prediction within this of the truth counts as "on it"
MARKER_OUTLINE = {"color": "#000000", "width": 1}

SENSOR_NAME = "sensors"
PREDICTION_NAME = "prediction"
TRUTH_NAME = "true transmitter"
OVERLAP_NAME = "prediction = truth"


def _points(xy: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(xy, dtype=np.float32).reshape(-1, 2) * PIXEL_M
    return arr[:, 0], arr[:, 1]


def sensor_trace(
    sensors_xy: Sequence[Sequence[float]], gains_db: Sequence[float] | None = None
) -> go.Scatter:
    """Green dots at the sensors; hover shows the reading when `gains_db` is given."""
    x, y = _points(sensors_xy)
    kwargs = {"hovertemplate": "sensor (%{x:.0f}, %{y:.0f}) m<extra></extra>"}
    if gains_db is not None and len(gains_db) == len(x):
        kwargs = {
            "customdata": np.asarray(gains_db, dtype=np.float32),
            "hovertemplate": "sensor (%{x:.0f}, %{y:.0f}) m<br>%{customdata:.1f} dB<extra></extra>",
        }
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker={"size": 9, "color": SENSOR_COLOR, "line": MARKER_OUTLINE, "symbol": "circle"},
        name=f"{SENSOR_NAME} ({len(x)})",
        **kwargs,
    )


def point_trace(xy: Sequence[float], name: str, color: str, symbol: str, size: int) -> go.Scatter:
    """One marker at pixel `xy` (drawn in metres), hover naming it with its position."""
    x, y = _points([xy])
    return go.Scatter(
        x=x,
        y=y,
        mode="markers",
        marker={"size": size, "color": color, "line": MARKER_OUTLINE, "symbol": symbol},
        name=name,
        hovertemplate=f"{name} (%{{x:.0f}}, %{{y:.0f}}) m<extra></extra>",
    )


def truth_trace(truth_xy: Sequence[float]) -> go.Scatter:
    """The true transmitter: a red star."""
    return point_trace(truth_xy, TRUTH_NAME, TRUTH_COLOR, "star", 18)


def coincide(a: Sequence[float] | None, b: Sequence[float] | None) -> bool:
    """True when two pixel positions are the same pixel (within OVERLAP_TOLERANCE_PX)."""
    if a is None or b is None:
        return False
    return float(np.hypot(a[0] - b[0], a[1] - b[1])) <= OVERLAP_TOLERANCE_PX


def marker_traces(
    sensors_xy: Sequence[Sequence[float]] = (),
    truth_xy: Sequence[float] | None = None,
    prediction_xy: Sequence[float] | None = None,
    gains_db: Sequence[float] | None = None,
    prediction_name: str = PREDICTION_NAME,
) -> list[go.Scatter]:
    """Sensors, truth and prediction markers; one orange marker when the two coincide."""
    traces = [sensor_trace(sensors_xy, gains_db)]
    if coincide(truth_xy, prediction_xy):
        traces.append(point_trace(truth_xy, OVERLAP_NAME, OVERLAP_COLOR, "star", 18))
        return traces
    if truth_xy is not None:
        traces.append(truth_trace(truth_xy))
    if prediction_xy is not None:
        traces.append(point_trace(prediction_xy, prediction_name, PREDICTION_COLOR, "diamond", 14))
    return traces
