"""The shared look of the report figures: one colour per model, template and layout.

Every model (and LocNet variant) keeps one colour on every page; report.figures and
report.reliability both draw with these.
"""

from __future__ import annotations

import zlib

import plotly.graph_objects as go

from locnet.models.registry import DEFAULT_VARIANT
from locnet.report.series import LOCNET

# One colour per model (and per LocNet variant), shared by all pages.
MODEL_COLORS = {
    "locnet": "#1f77b4",
    "mslocnet": "#ff7f0e",
    "tldl": "#2ca02c",
    "deepmtl": "#d62728",
    "deeptxfinder": "#9467bd",
    "centre": "#7f7f7f",
    "strongest": "#bcbd22",
    "centroid": "#637939",
    "pathloss": "#843c39",
}
LOCNET_VARIANT_COLORS = {
    "noenv-focal": "#17becf",
    "env-bbce": "#393b79",
    "env-ft": "#e377c2",
    "env-mse": "#8c564b",
}
_FALLBACK_COLORS = ("#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363")
PLOT_TEMPLATE = "plotly_white"


def series_color(model: str, variant: str = DEFAULT_VARIANT) -> str:
    """The colour of a (model, variant) series; unknown models get a stable colour from their name."""
    if model == LOCNET and variant in LOCNET_VARIANT_COLORS:
        return LOCNET_VARIANT_COLORS[variant]
    if model in MODEL_COLORS:
        return MODEL_COLORS[model]
    return _FALLBACK_COLORS[zlib.crc32(model.encode()) % len(_FALLBACK_COLORS)]


def report_layout(fig: go.Figure, title: str, **axes) -> go.Figure:
    """The shared look of the report figures: white template, legend under the plot."""
    fig.update_layout(
        title=title,
        template=PLOT_TEMPLATE,
        hovermode="closest",
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        **axes,
    )
    return fig
