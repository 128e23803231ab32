"""The reliability plot of the calibrated posteriors (part of the report figures).

Observed vs nominal coverage of the credible regions (locnet.posterior.distribution, docs/posterior.md),
from `results.coverage_table`. Re-exported by locnet.report.figures.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from locnet.report.readouts import RELIABILITY_TOLERANCE
from locnet.report.series import series_label
from locnet.report.style import report_layout, series_color


def reliability_figure(
    coverage: pd.DataFrame, tolerance: float = RELIABILITY_TOLERANCE
) -> go.Figure:
    """Observed vs nominal coverage (%) of the credible regions per series: on the diagonal
    a posterior is calibrated; the grey band is ±tolerance around it; above it the
    regions are too large (underconfident), below too small (overconfident).

    `coverage` = results.coverage_table(...) of one readout per series (coverage is the
    posterior's, so every readout of a series has the same).
    """
    fig = go.Figure()
    band = 100 * tolerance
    fig.add_trace(
        go.Scatter(
            x=[0, 100, 100, 0],
            y=[-band, 100 - band, 100 + band, band],
            mode="lines",
            fill="toself",
            fillcolor="rgba(128,128,128,0.18)",
            line=dict(width=0),
            name=f"±{band:g} points",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 100],
            y=[0, 100],
            mode="lines",
            name="calibrated",
            line=dict(color="#444444", dash="dot", width=1),
            hoverinfo="skip",
        )
    )
    several = coverage["readout"].nunique() > 1
    for (model, variant, readout), rows in coverage.groupby(["model", "variant", "readout"]):
        label = series_label(model, variant) + (f" · {readout}" if several else "")
        rows = rows.sort_values("level")
        fig.add_trace(
            go.Scatter(
                x=100 * rows["level"],
                y=100 * rows["coverage"],
                mode="lines+markers",
                name=label,
                line=dict(color=series_color(model, variant), width=2),
                customdata=rows[["n"]],
                hovertemplate=f"{label}<br>%{{x:.0f}} % region holds the truth in "
                "%{y:.1f} % of %{customdata[0]} samples<extra></extra>",
            )
        )
    axis = dict(range=[0, 100], ticksuffix=" %", dtick=10, constrain="domain")
    return report_layout(
        fig,
        "Reliability of the credible regions",
        xaxis=dict(title="nominal level of the region", **axis),
        yaxis=dict(title="observed coverage (truth inside)", scaleanchor="x", **axis),
        height=560,
    )
