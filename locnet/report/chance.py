"""Which evaluated models are no better than guessing the map centre ("at chance").

A model trained on too small a budget can still draw confident heatmaps: MSLocNet at its
equal-CPU budget predicts nearly the same point for every case and outlines its 50/90 %
regions along every street. Pages label such a series CHANCE_LABEL, leave it out of
"select all", draw none of its regions, and never call a win against it a win.

Two documented rules, on the folder's own samples (one readout per series, as shown):
- its RMSE is within CHANCE_RMSE_MARGIN (5 %) of, or above, the RMSE of always answering
  the map centre on the same samples (computed from the truths, so a folder needs no
  `centre` model for it);
- or its predictions have collapsed: the spread sqrt(var x + var y) of its answers over
  all samples is below COLLAPSED_SPREAD_M (5 m) while the truths spread over the map.
Distances in metres; positions in pixels (x, y) of PIXEL_M metres.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from locnet.constants import MAP_SIZE, PIXEL_M

CHANCE_LABEL = "not trained enough (at chance)"
CHANCE_RMSE_MARGIN = 0.05  # RMSE >= (1 - 5 %) x the map-centre guess's: at chance
COLLAPSED_SPREAD_M = 5.0  # answers spread less than this (m) over every case: collapsed
MAP_CENTRE_XY = (MAP_SIZE // 2, MAP_SIZE // 2)  # the `centre` baseline's answer (pixels)
CHANCE_MODELS_EXEMPT = ("centre",)  # the reference itself is not "not trained enough"


def centre_errors_m(samples: pd.DataFrame) -> pd.Series:
    """Distance (m) from each row's truth to the map centre: the centre guess's error."""
    dx = samples["true_x"].astype(float) - MAP_CENTRE_XY[0]
    dy = samples["true_y"].astype(float) - MAP_CENTRE_XY[1]
    return np.hypot(dx, dy) * PIXEL_M


def prediction_spread_m(samples: pd.DataFrame) -> float:
    """sqrt(var x + var y) of the answers (m): ~0 when a model answers one point always."""
    if len(samples) < 2:
        return float("nan")
    return float(np.sqrt(samples["pred_x"].var() + samples["pred_y"].var()) * PIXEL_M)


def chance_reasons(samples: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(model, variant) -> why it is at chance, for every series of `samples` that is.

    `samples` holds one readout per series (report.readouts.select_readout); each series
    is compared with the centre guess on its own rows. Empty input: {}.
    """
    found: dict[tuple[str, str], str] = {}
    if samples is None or samples.empty:
        return found
    for (model, variant), rows in samples.groupby(["model", "variant"], sort=False):
        if model in CHANCE_MODELS_EXEMPT:
            continue
        rmse = float(np.sqrt(np.mean(rows["error_m"].astype(float) ** 2)))
        centre = float(np.sqrt(np.mean(centre_errors_m(rows) ** 2)))
        spread = prediction_spread_m(rows)
        truth_spread = float(np.sqrt(rows["true_x"].var() + rows["true_y"].var()) * PIXEL_M)
        if spread < COLLAPSED_SPREAD_M and truth_spread > 2 * COLLAPSED_SPREAD_M:
            found[(str(model), str(variant))] = (
                f"answers collapsed to one place (spread {spread:.1f} m over {len(rows)} cases)"
            )
        elif centre > 0 and rmse >= (1 - CHANCE_RMSE_MARGIN) * centre:
            found[(str(model), str(variant))] = (
                f"RMSE {rmse:.0f} m against {centre:.0f} m for always guessing the map centre"
            )
    return found


def chance_from_summary(summary: pd.DataFrame) -> dict[tuple[str, str], str]:
    """The RMSE rule on summary.csv alone (a folder without samples), when it holds the
    `centre` model: mean RMSE over shared rates within 5 % of the centre's, or above."""
    found: dict[tuple[str, str], str] = {}
    centre = summary[summary["model"] == "centre"].groupby("rate_percent")["rmse_m"].mean()
    if centre.empty:
        return found
    for (model, variant), rows in summary.groupby(["model", "variant"], sort=False):
        if model in CHANCE_MODELS_EXEMPT:
            continue
        curve = rows.groupby("rate_percent")["rmse_m"].mean()
        shared = curve.index.intersection(centre.index)
        if len(shared) and curve[shared].mean() >= (1 - CHANCE_RMSE_MARGIN) * centre[shared].mean():
            found[(str(model), str(variant))] = (
                f"RMSE {curve[shared].mean():.0f} m against {centre[shared].mean():.0f} m "
                "for always guessing the map centre"
            )
    return found


def chance_label(label: str, chance: Mapping[tuple[str, str], str], key: tuple[str, str]) -> str:
    """'MSLocNet: not trained enough (at chance)' for a series at chance, else `label`."""
    return f"{label}: {CHANCE_LABEL}" if tuple(key) in chance else label


def chance_by_sha256(
    samples: pd.DataFrame | None, meta: Mapping
) -> dict[str, str]:
    """sha256 of each evaluated checkpoint whose series is at chance -> why: how the
    Explorer knows a checkpoint file is not trained enough, from a folder that evaluated
    those very bytes."""
    if samples is None:
        return {}
    reasons = chance_reasons(samples)
    records = meta.get("checkpoints") or {}
    found = {}
    for record in records.values() if isinstance(records, Mapping) else []:
        if not isinstance(record, Mapping) or not record.get("sha256"):
            continue
        key = (str(record.get("model", "")), str(record.get("variant", "default")))
        if key in reasons:
            found[str(record["sha256"])] = reasons[key]
    return found
