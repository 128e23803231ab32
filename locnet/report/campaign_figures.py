"""Figures of the compute campaign on the Benchmark page: RMSE on the paper-like vs the
randomised-propagation test set, and validation RMSE against the training budget.

Inputs are the tables of `locnet.report.campaign` and `locnet.report.budget`; errors in
metres. Each model keeps its colour (`series_color`); dashed lines are the shifted set.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from locnet.report.series import series_label
from locnet.report.style import report_layout, series_color

BUDGET_AXES = {
    "samples_seen": "training samples seen (cumulative over stages)",
    "cpu_hours": "CPU-hours (minutes x processes x threads / 60, cumulative)",
}
_CURVE_DASHES = ("solid", "dot", "dashdot", "longdash")


def shift_figure(table: pd.DataFrame) -> go.Figure:
    """RMSE (m) vs sampling rate per series: solid on the paper-like test set, dashed on
    the randomised-propagation one (campaign.shift_table)."""
    fig = go.Figure()
    for (model, variant), rows in table.groupby(["model", "variant"], sort=False):
        rows = rows.sort_values("rate_percent")
        label, color = series_label(model, variant), series_color(model, variant)
        for column, name, dash in (
            ("rmse_m_paper", "paper-like", "solid"),
            ("rmse_m_shift", "randomised propagation", "dash"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=rows["rate_percent"],
                    y=rows[column],
                    mode="lines+markers",
                    name=f"{label}, {name}",
                    line=dict(color=color, dash=dash),
                    hovertemplate=f"{label}, {name}<br>%{{x:g}} %: %{{y:.1f}} m<extra></extra>",
                )
            )
    return report_layout(
        fig,
        "RMSE on the paper-like vs the randomised-propagation test set",
        xaxis_title="sampling rate (% of pixels)",
        yaxis_title="RMSE (m)",
    )


def budget_figure(table: pd.DataFrame, x: str = "samples_seen") -> go.Figure:
    """Validation RMSE (m) after each validation vs the budget spent so far, one line per
    checkpoint (budget.budget_curves); hover names the stage file and its val seed."""
    if x not in BUDGET_AXES:
        raise ValueError(f"x must be one of {', '.join(BUDGET_AXES)}, not {x!r}")
    fig = go.Figure()
    seen: dict[str, int] = {}
    for curve, rows in table.groupby("curve", sort=False):
        model, variant = rows["model"].iloc[0], rows["variant"].iloc[0]
        color = series_color(model, variant)
        dash = _CURVE_DASHES[seen.get(color, 0) % len(_CURVE_DASHES)]
        seen[color] = seen.get(color, 0) + 1
        fig.add_trace(
            go.Scatter(
                x=rows[x],
                y=rows["val_rmse_m"],
                mode="lines+markers",
                name=f"{series_label(model, variant)}: {curve}",
                line=dict(color=color, dash=dash),
                customdata=rows[["file", "stage", "val_seed"]].to_numpy(),
                hovertemplate="stage %{customdata[1]}: %{customdata[0]} (val seed "
                "%{customdata[2]})<br>%{x:,.2f}<br>val RMSE %{y:.1f} m<extra></extra>",
            )
        )
    return report_layout(
        fig,
        "Validation RMSE vs training budget",
        xaxis_title=BUDGET_AXES[x],
        yaxis_title="validation RMSE (m)",
    )
