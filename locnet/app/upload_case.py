"""Bridges between the Explorer's Case and the case format (no Streamlit here).

An uploaded UserCase becomes an `UploadedCase`: a Case whose "radio map" holds, at each
sensor pixel, the reading's unrounded gray level (locnet.data.maps.db_to_gray_value) and 0
elsewhere, so the Explorer runs it through the same `run_choice` -> `predict(mask,
radio_gray)` path as a dataset case, with bit-for-bit the model input that
`predict(sensors=...)` (the CLI) builds. The other way, `user_case_of` turns any Explorer
case into a UserCase for the "Download case" zip, with each gain written in float64 from
its gray level, so re-uploading the zip gives the same model input and the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from locnet.app.models import Case
from locnet.cases.case import UserCase
from locnet.cases.localize import latlon_of
from locnet.cases.store import case_zip
from locnet.constants import DB_RANGE, FLOOR_DB
from locnet.data.maps import MAP_SHAPE, db_to_gray_value
from locnet.inference import Answer

UPLOAD_MAP_ID = -1  # Case.map_id of an uploaded case (no dataset map)
LATLON_COLUMN = "prediction (lat, lon)"


@dataclass
class UploadedCase(Case):
    """A Case made from an upload; `user` keeps the exact readings and the georeference."""

    user: UserCase | None = None

    @property
    def gains_db(self) -> np.ndarray:
        return np.asarray(self.user.gains_db, dtype=np.float64)

    @property
    def radio_db(self) -> None:  # an upload has readings, not a radio map
        return None


def explorer_case(user: UserCase) -> UploadedCase:
    """The Explorer's Case of an uploaded UserCase (see the module docstring)."""
    gray = np.zeros(MAP_SHAPE, dtype=np.float64)
    xy = np.asarray(user.sensors_xy, dtype=np.int64).reshape(-1, 2)
    gray[xy[:, 1], xy[:, 0]] = db_to_gray_value(user.gains_db)
    sensors = [(int(x), int(y)) for x, y in xy.tolist()]
    truth = None if user.truth_xy is None else tuple(float(v) for v in user.truth_xy)
    return UploadedCase(UPLOAD_MAP_ID, None, truth, user.buildings, gray, sensors, user=user)


def exact_gains_db(case: Case) -> np.ndarray:
    """float64 gains of the case's sensors: an upload's own, or FLOOR + gray/255 * RANGE."""
    if isinstance(case, UploadedCase):
        return case.gains_db
    xy = np.asarray(case.sensors_xy, dtype=np.int64).reshape(-1, 2)
    gray = np.asarray(case.radio_gray, dtype=np.float64)[xy[:, 1], xy[:, 0]]
    return FLOOR_DB + gray / 255.0 * DB_RANGE


def user_case_of(case: Case, metadata: dict[str, Any] | None = None) -> UserCase:
    """The case-format view of an Explorer case (what "Download case" writes)."""
    meta = dict(metadata or {})
    if isinstance(case, UploadedCase):
        meta = {**case.user.metadata, **meta}
        georef = case.user.georef
    else:
        meta.setdefault("map_id", case.map_id)
        meta.setdefault("tx_id", case.tx_id)
        georef = None
    xy = np.asarray(case.sensors_xy, dtype=np.int64).reshape(-1, 2)
    truth = None if case.truth_xy is None else tuple(float(v) for v in case.truth_xy)
    return UserCase(
        np.asarray(case.buildings, dtype=np.uint8),
        xy,
        exact_gains_db(case),
        truth,
        georef,
        None,
        [],
        meta,
    )


def case_zip_of(case: Case, extras: dict[str, bytes], metadata: dict[str, Any]) -> bytes:
    """Zip bytes of the case format for an Explorer case, plus extra files (PNG, CSV)."""
    return case_zip(user_case_of(case, metadata), extras)


def with_latlon(table: pd.DataFrame, runs: Sequence[Answer], case: Case) -> pd.DataFrame:
    """The results table plus each prediction in lat/lon when the upload was geographic."""
    if not isinstance(case, UploadedCase) or case.user.georef is None:
        return table
    values = []
    for run in runs:
        latlon = latlon_of(run, case.user.georef)
        values.append("" if latlon is None else f"{latlon[0]:.6f}, {latlon[1]:.6f}")
    out = table.copy()
    out.insert(out.columns.get_loc("prediction (m)") + 1, LATLON_COLUMN, values)
    return out


# The upload form's fields, as the messages of locnet.cases name them for the app.
FORM_FIELDS = {
    "tile centre": "the 'Tile centre' field",
    "transmit power": "the 'Transmit power (dBm)' field",
    "'crop or pad'": "the 'Crop or pad' box",
}
_CLI_AND_APP = re.compile(r"\(CLI [^;()]*; app: ([^)]*)\)")
_LEFTOVER_FLAGS = (
    ("a bounding box (--bbox)", "a bounding box (a bbox member in the GeoJSON)"),
    ("--bbox is for GeoJSON footprints", "a bounding box is for GeoJSON footprints"),
    ("(--center LAT,LON)", "(the 'Tile centre' field)"),
)


def form_wording(message: str) -> str:
    """A locnet.cases message as the upload form says it: form fields, not CLI flags
    ('(CLI --center LAT,LON; app: tile centre)' -> "(the 'Tile centre' field)")."""
    def field(match: re.Match) -> str:
        name = " ".join(match.group(1).split())
        return f"({FORM_FIELDS.get(name, name)})"

    text = _CLI_AND_APP.sub(field, message)
    for old, new in _LEFTOVER_FLAGS:
        text = text.replace(old, new)
    return text
