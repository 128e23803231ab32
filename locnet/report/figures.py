"""Plotly figures of the Benchmark, Ablation and Gallery pages (the paper's Figs. 2-4)
and the reliability plot of the calibrated posteriors.

Inputs are result-folder tables (`locnet.evaluate.folders`); errors are in metres, sampling rates in
percent of all pixels. Every model keeps one colour on every page (`series_color`);
the paper's reference values are drawn dashed / hollow and named PAPER_LABEL.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from locnet.models.registry import DEFAULT_VARIANT
from locnet.report.accuracy import metric_unit
from locnet.report.chance import chance_label
from locnet.report.series import (
    DISPLAY_NAMES,
    ENV_VARIANT,
    LOCNET,
    METRICS,
    PAPER_AVERAGE_RMSE_M,
    PAPER_LABEL,
    PAPER_PARAMETERS,
    series_label,
)
from locnet.report.style import MODEL_COLORS, series_color
from locnet.report.style import report_layout as _layout


def metric_vs_rate_figure(
    summary: pd.DataFrame,
    metric: str = "rmse_m",
    paper: pd.DataFrame | None = None,
    title: str | None = None,
    readout: str | None = None,
    chance: Mapping[tuple[str, str], str] | None = None,
) -> go.Figure:
    """Error (m) vs sampling rate (%) per (model, variant): the paper's Fig. 3a / 4.

    `summary` holds one readout per series (results.select_readout); `readout` names the
    heatmap models' one in the title. `paper` (results.paper_reference(), RMSE only) adds
    dashed lines for the series present in `summary`; it is skipped for other metrics,
    which the paper does not report. Series in `chance` (report.chance) are named
    "...: not trained enough (at chance)" and drawn dotted.
    """
    fig = go.Figure()
    chance = chance or {}
    unit = metric_unit(metric)
    keys = summary[["model", "variant"]].drop_duplicates().itertuples(index=False)
    for model, variant in keys:
        rows = summary[(summary["model"] == model) & (summary["variant"] == variant)]
        rows = rows.sort_values("rate_percent")
        label = chance_label(series_label(model, variant), chance, (model, variant))
        fig.add_trace(
            go.Scatter(
                x=rows["rate_percent"],
                y=rows[metric],
                mode="lines+markers",
                name=label,
                legendgroup=label,
                line={
                    "color": series_color(model, variant),
                    "width": 2,
                    "dash": "dot" if (model, variant) in chance else "solid",
                },
                customdata=rows[["n"]],
                hovertemplate=(
                    f"{label}<br>rate %{{x}} %<br>{METRICS[metric]} "
                    f"%{{y:.1f}} {unit}<br>n = %{{customdata[0]}}<extra></extra>"
                ),
            )
        )
        if paper is not None and metric == "rmse_m":
            ref = paper[(paper["model"] == model) & (paper["variant"] == variant)].sort_values(
                "rate_percent"
            )
            if not ref.empty:
                fig.add_trace(
                    go.Scatter(
                        x=ref["rate_percent"],
                        y=ref["rmse_m"],
                        mode="lines+markers",
                        name=f"{label}: {PAPER_LABEL}",
                        legendgroup=label,
                        line={"color": series_color(model, variant), "dash": "dash", "width": 1.5},
                        marker={"symbol": "circle-open", "size": 7},
                        hovertemplate=f"{label}, {PAPER_LABEL} (approx.)<br>rate %{{x}} %<br>RMSE %{{y}} m"
                        "<extra></extra>",
                    )
                )
    title = title or f"{METRICS[metric]} vs sampling rate"
    return _layout(
        fig,
        title + (f" (heatmap readout: {readout})" if readout else ""),
        xaxis={"title": "sampling rate (% of pixels)", "tickformat": ".2f"},
        yaxis={"title": _axis_title(metric), "rangemode": "tozero"},
    )


def _axis_title(metric: str, prefix: str = "") -> str:
    """'RMSE (m)', '% within 10 m' (a share has no unit to add)."""
    name = f"{prefix}{METRICS[metric]}"
    return name if metric_unit(metric) == "%" else f"{name} (m)"


def size_vs_error_figure(
    averages: pd.DataFrame, metric: str = "rmse_m", show_paper: bool = True
) -> go.Figure:
    """Parameters (log axis) vs error averaged over rates (m): the paper's Fig. 3b.

    `averages` = results.average_over_rates(...) plus a `parameters` column; rows without
    parameters (classical baselines) cannot sit on a log axis and are left out.
    """
    fig = go.Figure()
    rows = averages[averages["parameters"].fillna(0) > 0]
    for row in rows.itertuples(index=False):
        label = series_label(row.model, row.variant)
        color = series_color(row.model, row.variant)
        fig.add_trace(
            go.Scatter(
                x=[row.parameters],
                y=[getattr(row, metric)],
                mode="markers+text",
                name=label,
                legendgroup=label,
                text=[label],
                textposition="top center",
                marker={"color": color, "size": 13},
                hovertemplate=f"{label}<br>%{{x:,}} parameters<br>average {METRICS[metric]} "
                f"%{{y:.1f}} {metric_unit(metric)}<extra></extra>",
            )
        )
        paper_y = PAPER_AVERAGE_RMSE_M.get(row.model)
        if (
            show_paper
            and metric == "rmse_m"
            and paper_y is not None
            and row.variant in (DEFAULT_VARIANT, ENV_VARIANT)
        ):
            paper_x = PAPER_PARAMETERS[row.model]
            fig.add_trace(
                go.Scatter(
                    x=[paper_x, row.parameters],
                    y=[paper_y, getattr(row, metric)],
                    mode="lines+markers",
                    name=f"{DISPLAY_NAMES.get(row.model, row.model)}: {PAPER_LABEL}",
                    legendgroup=label,
                    line={"color": color, "dash": "dash", "width": 1},
                    marker={"symbol": ["diamond-open", "circle"], "size": [12, 0], "color": color},
                    hovertemplate=f"{label}, {PAPER_LABEL} (approx.)<br>%{{x:,}} parameters<br>"
                    "average RMSE %{y} m<extra></extra>",
                )
            )
    return _layout(
        fig,
        f"Model size vs average {METRICS[metric]}",
        xaxis={"title": "parameters (log scale)", "type": "log"},
        yaxis={"title": _axis_title(metric, "average ") + " over rates", "rangemode": "tozero"},
    )


def improvement_figure(improvement: pd.DataFrame, title: str) -> go.Figure:
    """Bars of results.relative_improvement(...): % lower error per rate and on average."""
    labels = [("average" if np.isnan(r) else f"{r:g} %") for r in improvement["rate_percent"]]
    colors = [
        "#444444" if np.isnan(r) else MODEL_COLORS[LOCNET] for r in improvement["rate_percent"]
    ]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=improvement["improvement_percent"],
            marker_color=colors,
            text=[f"{v:+.1f} %" for v in improvement["improvement_percent"]],
            textposition="outside",
            customdata=improvement[["baseline", "improved"]],
            hovertemplate="%{x}<br>%{customdata[0]:.1f} m -> %{customdata[1]:.1f} m<br>%{y:+.1f} %<extra></extra>",
        )
    )
    return _layout(
        fig,
        title,
        xaxis={"title": "sampling rate", "type": "category"},
        yaxis={"title": "relative improvement (%)", "zeroline": True},
    )


def environment_scatter(
    table: pd.DataFrame, model: str, variant: str, x: str = "building_density"
) -> go.Figure:
    """Per-environment RMSE (m) vs an environment statistic, with a least-squares trend line.

    `table` = results.rank_environments(...) merged with results.environment_statistics_table(...).
    """
    label = series_label(model, variant)
    xs = table[x] * (100 if x == "building_density" else 1)
    x_title = {
        "building_density": "building density (% of pixels)",
        "open_area_m2": "open area (m²)",
        "n_blocks": "number of building blocks",
    }.get(x, x)
    fig = go.Figure(
        go.Scatter(
            x=xs,
            y=table["rmse_m"],
            mode="markers",
            name=label,
            marker={"color": series_color(model, variant), "size": 9},
            customdata=table[["city", "map", "n"]],
            hovertemplate="%{customdata[0]} (map %{customdata[1]})<br>"
            + x_title
            + " %{x:.3g}<br>RMSE %{y:.1f} m<br>n = %{customdata[2]}<extra></extra>",
        )
    )
    title = f"{label}: RMSE per environment vs {x_title}"
    if len(table) >= 3 and np.ptp(xs) > 0:
        slope, intercept = np.polyfit(xs, table["rmse_m"], 1)
        r = np.corrcoef(xs, table["rmse_m"])[0, 1]
        line_x = np.array([xs.min(), xs.max()])
        fig.add_trace(
            go.Scatter(
                x=line_x,
                y=slope * line_x + intercept,
                mode="lines",
                name="trend",
                line={"color": "#444444", "dash": "dot"},
                hoverinfo="skip",
            )
        )
        title += f" (Pearson r = {r:.2f})"
    return _layout(
        fig,
        title,
        xaxis={"title": x_title},
        yaxis={"title": "RMSE (m)", "rangemode": "tozero"},
        showlegend=False,
    )
