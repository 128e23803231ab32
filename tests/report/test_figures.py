"""locnet.report.figures: traces, colours, axes and paper references of the report figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from locnet.report import figures as F
from locnet.report.ranking import average_over_rates
from locnet.report.readouts import coverage_table, select_readout
from locnet.report.reliability import reliability_figure
from locnet.report.series import PAPER_LABEL, PAPER_PARAMETERS, paper_reference, series_label
from locnet.report.style import LOCNET_VARIANT_COLORS, MODEL_COLORS, series_color
from tests.results_data import aggregate, synthetic_samples


@pytest.fixture(scope="module")
def samples() -> pd.DataFrame:
    return synthetic_samples()


@pytest.fixture(scope="module")
def summary(samples) -> pd.DataFrame:
    """One readout per series (the mode), as every page shows it."""
    table = aggregate(samples, ["model", "variant", "readout", "rate_percent"])
    return select_readout(table, "mode")


def test_colours_are_stable_and_distinct():
    assert series_color("locnet", "env-focal") == MODEL_COLORS["locnet"]
    assert series_color("locnet", "noenv-focal") != series_color("locnet", "env-focal")
    assert series_color("brand-new-model") == series_color("brand-new-model")
    known = list(MODEL_COLORS.values()) + list(LOCNET_VARIANT_COLORS.values())
    assert len(set(known)) == len(known)


def test_metric_vs_rate_has_one_line_per_series_and_paper_dashes(summary):
    fig = F.metric_vs_rate_figure(summary, "rmse_m", paper_reference())
    ours = [t for t in fig.data if PAPER_LABEL not in t.name]
    paper = [t for t in fig.data if PAPER_LABEL in t.name]
    assert len(ours) == len(summary[["model", "variant"]].drop_duplicates())
    # paper references exist for LocNet env / noenv and MSLocNet among the synthetic series
    assert sorted(t.name for t in paper) == sorted(
        f"{series_label(m, v)}: {PAPER_LABEL}"
        for m, v in [("locnet", "env-focal"), ("locnet", "noenv-focal"), ("mslocnet", "default")]
    )
    assert all(t.line.dash == "dash" for t in paper)
    locnet = next(t for t in ours if t.name == "LocNet (env-focal)")
    assert list(locnet.x) == sorted(locnet.x) and locnet.line.color == MODEL_COLORS["locnet"]
    assert "(m)" in fig.layout.yaxis.title.text
    titled = F.metric_vs_rate_figure(summary, "rmse_m", readout="median")
    assert titled.layout.title.text.endswith("(heatmap readout: median)")


def test_no_paper_lines_for_metrics_the_paper_does_not_report(summary):
    fig = F.metric_vs_rate_figure(summary, "median_m", paper_reference())
    assert not any(PAPER_LABEL in t.name for t in fig.data)
    assert fig.layout.yaxis.title.text.startswith("median error")


def test_size_figure_log_axis_skips_parameterless(summary):
    avg = average_over_rates(summary)
    avg["parameters"] = avg["model"].map({"locnet": 128_743, "mslocnet": 310_000, "centroid": 0})
    fig = F.size_vs_error_figure(avg)
    assert fig.layout.xaxis.type == "log"
    names = [t.name for t in fig.data]
    assert "RSS centroid" not in names and "MSLocNet" in names
    paper = [t for t in fig.data if PAPER_LABEL in t.name]
    # env-focal LocNet and MSLocNet get the paper's point; ablation variants do not
    assert len(paper) == 2
    assert {t.x[0] for t in paper} == {PAPER_PARAMETERS["locnet"], PAPER_PARAMETERS["mslocnet"]}


def test_improvement_figure_labels_average():
    imp = pd.DataFrame(
        {
            "rate_percent": [0.01, np.nan],
            "baseline": [50.0, 30.0],
            "improved": [40.0, 22.5],
            "improvement_percent": [20.0, 25.0],
        }
    )
    fig = F.improvement_figure(imp, "env vs no env")
    assert list(fig.data[0].x) == ["0.01 %", "average"]
    assert list(fig.data[0].text) == ["+20.0 %", "+25.0 %"]


def test_environment_scatter_trend_and_percent_axis():
    table = pd.DataFrame(
        {
            "map": list("abcd"),
            "city": ["A", "A", "B", "C"],
            "n": 5,
            "building_density": [0.1, 0.2, 0.3, 0.4],
            "rmse_m": [10.0, 20.0, 30.0, 40.0],
        }
    )
    fig = F.environment_scatter(table, "locnet", "env-focal")
    assert list(fig.data[0].x) == pytest.approx([10, 20, 30, 40])
    assert len(fig.data) == 2 and "r = 1.00" in fig.layout.title.text
    single = F.environment_scatter(table.head(2), "locnet", "env-focal")
    assert len(single.data) == 1  # too few points for a trend


def test_reliability_figure_diagonal_band_and_colours(samples):
    coverage = coverage_table(select_readout(samples, "mode"))
    fig = reliability_figure(coverage)
    band, diagonal, *series = fig.data
    assert band.fill == "toself" and list(band.y) == pytest.approx([-7, 93, 107, 7])
    assert list(diagonal.x) == [0, 100] and list(diagonal.y) == [0, 100]
    heatmap_series = coverage[["model", "variant"]].drop_duplicates()
    assert len(series) == len(heatmap_series)  # the point-answer centroid has no curve
    locnet = next(t for t in series if t.name == "LocNet (env-focal)")
    assert locnet.line.color == series_color("locnet", "env-focal")
    rows = coverage.query("model == 'locnet' and variant == 'env-focal'")
    assert list(locnet.x) == pytest.approx(list(100 * rows["level"]))
    assert list(locnet.y) == pytest.approx(list(100 * rows["coverage"]))
    assert fig.layout.xaxis.range == (0, 100) and fig.layout.yaxis.ticksuffix == " %"
    several = reliability_figure(coverage_table(samples))
    assert "LocNet (env-focal) · mean" in [t.name for t in several.data]
