"""What the Explorer shows of the measurement models' answers on one measured sample (real
data, docs/real-data.md), no Streamlit: the map's markers and posterior, and the results
table. The answers themselves come from locnet.measurements.one_sample (`answer_sample`,
the one place a fitted model answers one sample, as evaluate-powder computes it), so the
errors here are results/powder's on a test sample and `localize --case`'s on a case.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from locnet.measurements.campus import CampusGrid
from locnet.measurements.one_sample import SampleAnswer
from locnet.posterior import distribution as P
from locnet.report.display import readable_table
from locnet.viz.campus_map import MapAnswer, MapPosterior

TABLE_COLUMNS = (
    "model",
    "answer",
    "error (m)",
    "mean's error (m)",
    "median's error (m)",
    "expected error (m)",
    "90 % region radius (m)",
    "truth in 90 % region",
    "x, y (m)",
    "lat, lon",
)


def map_posterior(answer: SampleAnswer) -> MapPosterior | None:
    """The answer's posterior as the campus map draws it (None for a point answer)."""
    if answer.probs is None:
        return None
    r = answer.raster
    return MapPosterior(
        answer.model, answer.probs, answer.regions, P.REGION_LEVELS, r.x0, r.y0, r.cell_m
    )


def map_answers(answers: Sequence[SampleAnswer]) -> list[MapAnswer]:
    """The answers as the figure's markers, named for the legend: the model, its readout
    and its error ('rss-mlp (median): 12.7 m'), so the map reads without the table."""
    out = []
    for a in answers:
        label = a.model if a.readout == P.POINT_READOUT else f"{a.model} ({a.readout})"
        if a.error_m is not None:
            label += f": {a.error_m:.1f} m"
        out.append(MapAnswer(label, (float(a.xy_m[0]), float(a.xy_m[1])), a.error_m))
    return out


def results_table(
    answers: Sequence[SampleAnswer], grid: CampusGrid, truth_m: np.ndarray | None
) -> pd.DataFrame:
    """One row per model: its answer's error in metres (as evaluate-powder scores it), for a
    posterior the errors of its mean and median, the expected error sqrt(E[d^2]), the 90 %
    region's equivalent radius and whether it holds the truth; position in metres and
    lat/lon. A number a model does not have is a blank."""
    rows = []
    for a in answers:
        lat, lon = grid.m_to_latlon(a.xy_m[0], a.xy_m[1])
        cols = a.posterior_columns
        area = cols.get("area90_m2")
        in90 = cols.get("in90")
        rows.append(
            {
                "model": a.model,
                "answer": a.readout,
                "error (m)": a.error_m,
                "mean's error (m)": a.readout_error_m("mean", truth_m),
                "median's error (m)": a.readout_error_m("median", truth_m),
                "expected error (m)": cols.get("expected_error_m"),
                "90 % region radius (m)": None if area is None else P.equivalent_radius_m(area),
                "truth in 90 % region": None
                if in90 is None or truth_m is None
                else ("yes" if in90 else "no"),
                "x, y (m)": f"({a.xy_m[0]:.0f}, {a.xy_m[1]:.0f})",
                "lat, lon": f"{float(lat):.6f}, {float(lon):.6f}",
            }
        )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return readable_table(table)
