"""The "sensors one by one" animation: a plotly figure with one frame per added sensor,
a play/pause button and a slider, and a chart of both models' errors per sensor count.

Frame k shows the first k sensors (green), LocNet's posterior (blue, block maxima sent
as uint8) and answer (yellow diamond), the baseline's answer (white square) and the
truth (red star); axes in metres, buildings one PNG image (viz.maps.building_image).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from locnet.constants import MAP_SIZE, PIXEL_M, PREDICTION_COLOR, SENSOR_COLOR
from locnet.viz.maps import SCORE_COLORSCALE, SCORE_LEVELS, building_image, map_layout
from locnet.viz.markers import MARKER_OUTLINE, truth_trace

FRAME_MS = 600  # one added sensor per 0.6 s when playing
BASELINE_COLOR = "#ffffff"
BASELINE_LINE_COLOR = "#637939"


def _frame_title(k: int, error: float, base_label: str, base_error: float, radius: float) -> str:
    n = f"{k} sensor{'' if k == 1 else 's'}"
    if not np.isfinite(error):
        return n
    text = f"{n}: LocNet {error:.1f} m, {base_label} {base_error:.1f} m"
    return text + (f" · 90 % region radius {radius:.0f} m" if np.isfinite(radius) else "")


def _frame_data(seq, k: int, step_m: float) -> list:
    """Traces of frame k (1-based sensor count): posterior, sensors, both answers."""
    sx, sy = (np.asarray(seq.order[:k], dtype=np.float32).reshape(-1, 2) * PIXEL_M).T
    return [
        go.Heatmap(
            z=seq.frames[k - 1],
            x0=(step_m - PIXEL_M) / 2,
            dx=step_m,
            y0=(step_m - PIXEL_M) / 2,
            dy=step_m,
            colorscale=SCORE_COLORSCALE,
            zmin=0,
            zmax=SCORE_LEVELS,
            showscale=False,
            hoverinfo="skip",
            name="posterior",
        ),
        go.Scatter(
            x=sx,
            y=sy,
            mode="markers",
            marker={"size": 9, "color": SENSOR_COLOR, "line": MARKER_OUTLINE},
            name="sensors",
            hovertemplate="sensor (%{x:.0f}, %{y:.0f}) m<extra></extra>",
        ),
        go.Scatter(
            x=[float(seq.xy[k - 1, 0]) * PIXEL_M],
            y=[float(seq.xy[k - 1, 1]) * PIXEL_M],
            mode="markers",
            marker={
                "size": 14,
                "color": PREDICTION_COLOR,
                "symbol": "diamond",
                "line": MARKER_OUTLINE,
            },
            name=f"LocNet ({seq.readout})",
            hovertemplate="LocNet (%{x:.0f}, %{y:.0f}) m<extra></extra>",
        ),
        go.Scatter(
            x=[float(seq.baseline_xy[k - 1, 0]) * PIXEL_M],
            y=[float(seq.baseline_xy[k - 1, 1]) * PIXEL_M],
            mode="markers",
            marker={
                "size": 12,
                "color": BASELINE_COLOR,
                "symbol": "square",
                "line": {"color": "#000000", "width": 2},
            },
            name=seq.baseline,
            hovertemplate=f"{seq.baseline} (%{{x:.0f}}, %{{y:.0f}}) m<extra></extra>",
        ),
    ]


def sequence_figure(
    buildings: np.ndarray, seq, truth_xy: Sequence[float] | None, height: int = 520
) -> go.Figure:
    """The animation of a locnet.app.sequence.SensorSequence: one frame per sensor count."""
    n = len(seq.order)
    step_m = MAP_SIZE / seq.frames.shape[-1] * PIXEL_M
    truth = []
    if truth_xy is not None:
        truth = [truth_trace(truth_xy)]
    titles = [
        _frame_title(
            k, seq.errors_m[k - 1], seq.baseline, seq.baseline_errors_m[k - 1], seq.radius90_m[k - 1]
        )
        for k in range(1, n + 1)
    ]
    frames = [
        go.Frame(
            data=_frame_data(seq, k, step_m),
            traces=[0, 1, 2, 3],
            name=str(k),
            layout={"title": {"text": titles[k - 1]}},
        )
        for k in range(1, n + 1)
    ]
    layout = map_layout(title=titles[-1], height=height)
    layout["images"] = [building_image(buildings)]
    layout["margin"]["b"] = 90
    play = {"frame": {"duration": FRAME_MS, "redraw": True}, "fromcurrent": True}
    layout["updatemenus"] = [
        {
            "type": "buttons",
            "direction": "left",
            "x": 0.0,
            "xanchor": "left",
            "y": -0.08,
            "yanchor": "top",
            "pad": {"t": 0, "r": 8},
            "showactive": False,
            "buttons": [
                {"label": "▶ Play", "method": "animate", "args": [None, play]},
                {
                    "label": "❚❚ Pause",
                    "method": "animate",
                    "args": [[None], {"frame": {"duration": 0}, "mode": "immediate"}],
                },
            ],
        }
    ]
    layout["sliders"] = [
        {
            "active": n - 1,
            "x": 0.22,
            "len": 0.78,
            "y": -0.06,
            "yanchor": "top",
            "currentvalue": {"prefix": "sensors: ", "font": {"size": 12}},
            "pad": {"t": 0},
            "steps": [
                {
                    "label": str(k),
                    "method": "animate",
                    "args": [[str(k)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}],
                }
                for k in range(1, n + 1)
            ],
        }
    ]
    return go.Figure(data=[*_frame_data(seq, n, step_m), *truth], layout=layout, frames=frames)


def sequence_error_figure(seq, height: int = 320) -> go.Figure:
    """Error (m) of LocNet and of the baseline against the number of sensors."""
    k = np.arange(1, len(seq.order) + 1)
    fig = go.Figure(
        [
            go.Scatter(
                x=k,
                y=seq.errors_m,
                mode="lines+markers",
                name=f"LocNet ({seq.readout})",
                line={"color": "#1f77b4"},
                hovertemplate="%{x} sensors: %{y:.1f} m<extra>LocNet</extra>",
            ),
            go.Scatter(
                x=k,
                y=seq.baseline_errors_m,
                mode="lines+markers",
                name=seq.baseline,
                line={"color": BASELINE_LINE_COLOR, "dash": "dash"},
                hovertemplate=f"%{{x}} sensors: %{{y:.1f}} m<extra>{seq.baseline}</extra>",
            ),
        ]
    )
    fig.update_layout(
        template="plotly_white",
        height=height,
        title={"text": "Error as sensors are added"},
        xaxis={"title": {"text": "sensors"}, "dtick": max(1, len(k) // 10)},
        yaxis={"title": {"text": "error (m)"}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
    )
    return fig
