"""`python -m locnet localize --case` on a campaign case (locnet-case/2): the measurement
models that apply, their answers in grid metres and lat/lon, and the files written.

Which models: the training-free ones (strongest receiver, RSS-weighted centroid, the grid's
centre) on every case; the POWDER-trained ones (the classical models fitted on a split's
training side, k-NN, the path-loss fit with per-receiver offsets, the learned checkpoints
under checkpoints/real/) when case.json's `campaign` names dataset "powder" and a split
and every receiver is one of the copy's (locnet.measurements.one_sample). An answer on a
sample of the split's training side is labelled in-sample (leakage), never a test.
Outputs: estimates.json (format locnet-localize/1, the case summary with the grid and
provenance, one entry per model, the notes, timings) and estimates.csv.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from locnet.cases.campaign import CampaignCase
from locnet.cases.case import CaseError
from locnet.cases.localize import ESTIMATE_DIGITS
from locnet.cases.outputs import OUTPUT_FORMAT
from locnet.cases.readings import line_list
from locnet.errors import LocNetError
from locnet.files import atomic_write, write_json
from locnet.measurements.dataset import DEFAULT_FOLDER, PowderDataset
from locnet.measurements.one_sample import (
    UNTRAINED,
    SampleAnswer,
    answer_trained,
    answer_untrained,
    unknown_receivers,
)

POWDER = "powder"  # campaign.dataset of a case exported from the POWDER copy
SHARED = ("model", "readout", "x_m", "y_m", "lat", "lon", "error_m", "expected_error_m")
CAMPAIGN_COLUMNS = {k: ESTIMATE_DIGITS[k] for k in SHARED} | {  # estimates.csv's, in order
    "area_50_m2": 1,
    "area_90_m2": 1,
    "credible_level": 4,
    "runtime_ms": 3,
    "trained_on": None,
    "scored_as": None,
}


@dataclass
class CampaignRun:
    """The answers on a campaign case and what was left out, and why (`notes`)."""

    answers: list[SampleAnswer]
    notes: list[str] = field(default_factory=list)
    timing: dict[str, float] = field(default_factory=dict)


def why_not_powder(case: CampaignCase) -> str | None:
    """Why the POWDER-trained models do not apply, or None when they do (provenance names
    dataset "powder" and a split)."""
    p = case.provenance
    if p is None or p.dataset.lower() != POWDER:
        return 'the case names no POWDER provenance (case.json campaign.dataset "powder")'
    if not p.split:
        return "case.json campaign names no split (campaign.split) to take the training side from"
    return None


def check_powder_case(case: CampaignCase, dataset: PowderDataset) -> None:
    """A CaseError naming the readings file, the field and the line of a receiver the
    POWDER copy lacks, or case.json's campaign.split when the copy has no such split."""
    missing = unknown_receivers(dataset, case.sample)
    if missing:
        lines = case.lines[np.isin(case.sample.receivers, missing)]
        raise CaseError(
            f"{case.readings_file}: receiver {missing[0]!r} (line(s) {line_list(lines)}) is "
            f"not a receiver of the POWDER copy {dataset.folder}, but case.json's campaign "
            "names that dataset; fix the receiver id, or drop campaign.split to run only "
            "the training-free models"
        )
    split = case.provenance.split
    if split not in dataset.splits:
        raise CaseError(
            f"case.json: campaign.split {split!r} is not a split of {dataset.folder}; "
            f"splits: {', '.join(dataset.splits)}"
        )


def fingerprint_note(case: CampaignCase, dataset: PowderDataset) -> list[str]:
    """A note when the case was exported from another copy of the data than `dataset`."""
    p = case.provenance
    if not p or not p.fingerprint or p.fingerprint == dataset.fingerprint:
        return []
    note = (
        f"the case was exported from another copy of the data (fingerprint "
        f"{p.fingerprint[:12]}..., this one {dataset.fingerprint[:12]}...); the "
        f"split's sides are those of {dataset.folder}"
    )
    return [note]


def fixed_receivers(case: CampaignCase) -> np.ndarray:
    """(K,) bool: the receivers that never move (kind "fixed", or not said)."""
    return np.array([k in ("fixed", "") for k in case.kinds], dtype=bool)


def measurement_specs(names: list[str] | None) -> list[str] | None:
    """--models for a campaign case: measurement registry specs (None: all that apply)."""
    if names is None:
        return None
    from locnet.measurements.evaluate import measurement_models

    known = measurement_models()
    wrong = [n for n in names if n not in known]
    if wrong:
        raise LocNetError(
            f"--models {','.join(wrong)}: a campaign case runs measurement models; choose "
            f"from {', '.join(known)}"
        )
    return names


def localize_campaign(
    case: CampaignCase,
    models: list[str] | None = None,
    *,
    powder: str | Path = DEFAULT_FOLDER,
    checkpoints: str | Path = "checkpoints/real",
) -> CampaignRun:
    """Every model that applies to the case (`models`: a subset of measurement specs)."""
    specs = measurement_specs(models)
    start = time.perf_counter()
    why_not = why_not_powder(case)
    if why_not is None:
        dataset = PowderDataset.open(powder)
        check_powder_case(case, dataset)
        loaded = time.perf_counter()
        p = case.provenance
        notes = fingerprint_note(case, dataset)
        answers, left_out = answer_trained(
            dataset, p.split, case.sample, case.grid, sample_id=p.sample,
            checkpoints=checkpoints, models=specs,
        )  # fmt: skip
        run = CampaignRun(answers, notes + left_out)
    else:
        loaded = time.perf_counter()
        chosen = [m for m in (specs or UNTRAINED) if m in UNTRAINED]
        skipped = [m for m in (specs or []) if m not in UNTRAINED]
        run = CampaignRun(
            answer_untrained(case.sample, case.grid, fixed_receivers(case), chosen)
            if chosen
            else [],
            [f"the POWDER-trained models are not run: {why_not}"]
            + ([f"not run: {', '.join(skipped)} (trained on POWDER)"] if skipped else []),
        )
    if not run.answers:
        raise LocNetError("no model left to run on the case: " + "; ".join(run.notes))
    run.timing = {"load_s": loaded - start, "predict_s": time.perf_counter() - loaded}
    return run


def campaign_row(answer: SampleAnswer, case: CampaignCase) -> dict[str, Any]:
    """One answer's row: grid metres, lat/lon, the error against the (first) transmitter,
    the posterior's numbers (NaN for a point answer), what it was trained on, and
    whether it is a test."""
    x, y = (float(v) for v in answer.xy_m)
    lat, lon = (float(v[0]) for v in case.latlon(answer.xy_m))
    truth = case.sample.truth_m
    error = float(np.hypot(x - truth[0, 0], y - truth[0, 1])) if len(truth) else None
    post = answer.posterior_columns
    return {
        "model": answer.model,
        "readout": answer.readout,
        "x_m": x,
        "y_m": y,
        "lat": lat,
        "lon": lon,
        "error_m": error,
        "expected_error_m": post.get("expected_error_m"),
        "area_50_m2": post.get("area50_m2"),
        "area_90_m2": post.get("area90_m2"),
        "credible_level": post.get("credible_level"),
        "runtime_ms": answer.runtime_ms,
        "trained_on": answer.trained_on,
        "scored_as": answer.scored_as if len(truth) else "no truth in the case",
    }


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    def clean(value, digits):
        if isinstance(value, float) and not np.isfinite(value):
            return None
        return value if digits is None or value is None else round(value, digits)

    return {k: clean(row[k], d) for k, d in CAMPAIGN_COLUMNS.items()}


def write_campaign_outputs(
    out: str | Path, case: CampaignCase, run: CampaignRun, command: str = ""
) -> list[Path]:
    """estimates.json and estimates.csv in `out` (each atomically)."""
    out = Path(out)
    rows = [_rounded(campaign_row(a, case)) for a in run.answers]
    written = [
        write_json(
            out / "estimates.json",
            {
                "format": OUTPUT_FORMAT,
                "command": command,
                "case": case.summary(),
                "models": rows,
                "notes": run.notes,
                "errors": "Euclidean distance in metres on the case's grid, to its first "
                "transmitter",
                "timing_s": {k: round(v, 4) for k, v in run.timing.items()},
            },
        )
    ]
    csv = pd.DataFrame(rows, columns=list(CAMPAIGN_COLUMNS)).to_csv(index=False).encode()
    atomic_write(out / "estimates.csv", lambda tmp: tmp.write_bytes(csv))
    return written + [out / "estimates.csv"]


def print_run(case: CampaignCase, run: CampaignRun, out: Path, print_line=print) -> None:
    """One line per model (metres, lat/lon, error, whether it is a test), the notes."""
    for row in (campaign_row(a, case) for a in run.answers):
        err = "" if row["error_m"] is None else f", error {row['error_m']:.1f} m"
        print_line(
            f"{row['model']} ({row['readout']}): ({row['x_m']:.1f}, {row['y_m']:.1f}) m = "
            f"{row['lat']:.6f}, {row['lon']:.6f}{err} [{row['scored_as']}]"
        )
    for note in run.notes:
        print_line(f"note: {note}")
    print_line(
        f"{len(case.sample.receivers)} receivers, {len(run.answers)} models on a "
        f"{case.grid.size} x {case.grid.size} grid of {case.grid.metres_per_pixel:g} m; "
        f"wrote {out}"
    )
