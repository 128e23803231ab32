"""The landing page's three headline numbers, read from a results folder (never typed in).

Pooled over every test sample of the folder under one readout (the LocNet checkpoint's
calibrated default): how often LocNet's answer is within 10 m of the transmitter, its
median error, each beside the best classical (training-free) method's, and how often
the truth lies inside LocNet's 90 % credible region. Errors in metres, shares in %.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from locnet.errors import LocNetError
from locnet.evaluate.folders import ResultSet
from locnet.models.registry import model_info
from locnet.report.accuracy import main_locnet, within_percent
from locnet.report.chance import CHANCE_MODELS_EXEMPT
from locnet.report.display import plural
from locnet.report.readouts import default_readout, heatmap_readouts, select_readout
from locnet.report.series import series_label
from locnet.report.tables import NEAR_M


@dataclass(frozen=True)
class Headline:
    """One number: its value as shown ('52 %'), what it counts, and what it is compared with."""

    value: str
    label: str
    detail: str


def is_classical(model: str) -> bool:
    """A training-free baseline of the registry, the map-centre reference excluded."""
    if model in CHANCE_MODELS_EXEMPT:
        return False
    try:
        return model_info(model).family == "classical"
    except LocNetError:
        return False


def headline_readout(res: ResultSet) -> str | None:
    """The readout the headlines use: the LocNet checkpoint's calibrated default."""
    table = res.samples if res.samples is not None else res.summary
    return default_readout(res.meta, heatmap_readouts(table))


def headline_numbers(res: ResultSet) -> list[Headline]:
    """Up to three Headlines of a folder with samples.parquet and LocNet in it; [] if not."""
    if res.samples is None or res.samples.empty:
        return []
    readout = headline_readout(res)
    samples = select_readout(res.samples, readout)
    keys = sorted(set(zip(samples["model"], samples["variant"])))
    ours = main_locnet(keys)
    if ours is None:
        return []
    groups = {k: g for k, g in samples.groupby(["model", "variant"], sort=False)}
    locnet = groups[ours]
    classical = {k: g for k, g in groups.items() if is_classical(k[0])}
    name = series_label(ours[0])  # "LocNet": the variant is said in the source line
    within = within_percent(locnet["error_m"])
    median = float(locnet["error_m"].median())
    out = []
    if classical:
        best_w = max(classical, key=lambda k: within_percent(classical[k]["error_m"]))
        best_m = min(classical, key=lambda k: float(classical[k]["error_m"].median()))
        out.append(
            Headline(
                f"{within:.0f} %",
                f"{name}: answers within {NEAR_M:g} m",
                f"of {name}'s answers are within {NEAR_M:g} m of the transmitter; the best "
                f"classical method ({series_label(*best_w)}): "
                f"{within_percent(classical[best_w]['error_m']):.0f} %",
            )
        )
        out.append(
            Headline(
                f"{median:.1f} m",
                f"{name}: median error",
                f"half of {name}'s answers are closer; the best classical method "
                f"({series_label(*best_m)}): {float(classical[best_m]['error_m'].median()):.1f} m",
            )
        )
    else:
        out.append(
            Headline(f"{within:.0f} %", f"{name}: answers within {NEAR_M:g} m", "")
        )
        out.append(Headline(f"{median:.1f} m", f"{name}: median error", ""))
    inside = pd.to_numeric(locnet["in90"], errors="coerce").dropna()
    if len(inside):
        out.append(
            Headline(
                f"{100 * float(np.mean(inside)):.0f} %",
                f"{name}: truth inside its 90 % region",
                "of the cases; a calibrated 90 % region holds the truth 90 % of the time",
            )
        )
    return out


def headline_source(res: ResultSet) -> str:
    """'results/demo: 1,440 test cases in 3 cities, readout mean': where the numbers are from."""
    samples = res.samples
    readout = headline_readout(res)
    rows = select_readout(samples, readout) if samples is not None else None
    if rows is None or rows.empty:
        return "no test cases"
    n = int(rows.groupby(["model", "variant"]).size().max())
    maps, cities = int(rows["map"].nunique()), int(rows["city"].nunique())
    text = f"{n:,} test cases on {plural(maps, 'held-out map')} ({plural(cities, 'city', 'cities')})"
    return text + (f", heatmap readout {readout}" if readout else "")
