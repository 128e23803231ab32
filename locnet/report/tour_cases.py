"""The guided tour's cases, picked by rules from a results folder (no hand-typed ids).

Rules, applied to the samples of LocNet's main series and of the classical (training-free)
methods under one readout, at the sampling rate nearest TOUR_RATE_PERCENT (33 sensors),
then at the next nearest rates when that rate has no such case:

- "win": LocNet within NEAR_M (10 m) of the transmitter while every classical method
  misses it by WIN_MISS_M (40 m) or more; the case whose best classical answer is
  furthest off (ties: map, transmitter, mask order); without one, the case LocNet finds
  whose best classical answer is furthest off.
- "fail": LocNet confidently wrong: the truth outside a narrow 90 % region (equivalent
  radius at most CONFIDENT_RADIUS_M); the largest error. Without one, LocNet's largest error.
- "regions": the answer off by more than REGION_MISS_M (20 m) but the truth inside the
  90 % region, the smallest such region (where to look next, when the point answer misses).

Each case is a different (map, transmitter). Errors in metres; rates in percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from locnet.report.accuracy import main_locnet
from locnet.report.headlines import is_classical
from locnet.report.readouts import CONFIDENT_RADIUS_M, radius90_m
from locnet.report.series import series_label
from locnet.report.tables import NEAR_M

TOUR_RATE_PERCENT = 0.05
WIN_MISS_M = 40.0
REGION_MISS_M = 20.0
TOUR_KINDS = ("win", "fail", "regions")
CASE_KEYS = ["map", "tx", "mask", "rate_percent"]


@dataclass(frozen=True)
class TourCase:
    """One picked case: where it is, LocNet's answer and the classical methods' errors."""

    kind: str
    map: str
    tx: int
    mask: int
    rate_percent: float
    city: str
    locnet_error_m: float
    in90: bool | None
    radius90_m: float | None
    classical_errors_m: dict[str, float]  # series label -> error (m)

    @property
    def best_classical(self) -> tuple[str, float] | None:
        """(label, error) of the classical method closest to the truth."""
        if not self.classical_errors_m:
            return None
        label = min(self.classical_errors_m, key=self.classical_errors_m.get)
        return label, self.classical_errors_m[label]


def tour_rate(samples: pd.DataFrame, target: float = TOUR_RATE_PERCENT) -> float:
    """The sampling rate of `samples` nearest `target` (%)."""
    rates = np.unique(samples["rate_percent"].astype(float))
    return float(rates[np.argmin(np.abs(rates - target))])


def _wide(samples: pd.DataFrame, ours: tuple[str, str], classical: list[tuple[str, str]]):
    """One row per case: LocNet's row joined with each classical method's error."""
    keyed = samples.assign(_series=list(zip(samples["model"], samples["variant"])))
    base = keyed[keyed["_series"] == ours].drop(columns="_series")
    base = base.assign(radius90_m=radius90_m(base))
    for key in classical:
        other = keyed[keyed["_series"] == key][CASE_KEYS + ["error_m"]]
        base = base.merge(
            other.rename(columns={"error_m": series_label(*key)}), on=CASE_KEYS, how="inner"
        )
    return base


def _case(kind: str, row: pd.Series, labels: list[str]) -> TourCase:
    in90 = None if pd.isna(row["in90"]) else bool(row["in90"])
    radius = None if pd.isna(row["radius90_m"]) else float(row["radius90_m"])
    return TourCase(
        kind,
        str(row["map"]),
        int(row["tx"]),
        int(row["mask"]),
        float(row["rate_percent"]),
        str(row["city"]),
        float(row["error_m"]),
        in90,
        radius,
        {label: float(row[label]) for label in labels},
    )


def pick_tour_cases(samples: pd.DataFrame) -> dict[str, TourCase]:
    """kind -> TourCase for the kinds the folder allows (see the module's rules).

    `samples` holds one readout per series (report.readouts.select_readout). Each rule
    looks at the rate nearest TOUR_RATE_PERCENT first, then at the next nearest rates."""
    keys = sorted(set(zip(samples["model"], samples["variant"])))
    ours = main_locnet(keys)
    if ours is None:
        return {}
    classical = [k for k in keys if is_classical(k[0])]
    labels = [series_label(*k) for k in classical]
    wide = _wide(samples, ours, classical)
    if wide.empty:
        return {}
    target = tour_rate(samples)
    wide = wide.assign(
        _near=np.abs(wide["rate_percent"].astype(float) - target).round(6),
        _best=wide[labels].min(axis=1) if labels else np.inf,
    ).sort_values(["_near", "map", "tx", "mask"], kind="stable")
    picked: dict[str, TourCase] = {}
    used: set[tuple[str, int]] = set()

    def take(kind: str, candidates: pd.DataFrame, by: str, ascending: bool) -> None:
        ranked = candidates.sort_values(["_near", by], ascending=[True, ascending], kind="stable")
        for _, row in ranked.iterrows():
            if (str(row["map"]), int(row["tx"])) not in used:
                used.add((str(row["map"]), int(row["tx"])))
                picked[kind] = _case(kind, row, labels)
                return

    found = wide["error_m"] <= NEAR_M
    if labels:
        wins = wide[found & (wide["_best"] >= WIN_MISS_M)]
        take("win", wins if not wins.empty else wide[found], "_best", ascending=False)
    narrow = wide[(wide["in90"] == 0) & (wide["radius90_m"] <= CONFIDENT_RADIUS_M)]
    take("fail", narrow if not narrow.empty else wide, "error_m", ascending=False)
    regions = wide[(wide["in90"] == 1) & (wide["error_m"] > REGION_MISS_M)]
    take("regions", regions, "radius90_m", ascending=True)
    return picked
