"""Tables and words as people read them: plain column names, blanks for missing values,
singular and plural.

Result tables keep their machine names (`rmse_m`, `within10_pct`); pages pass them
through `readable_table` before st.dataframe, so no page shows `rmse_m_paper` or `None`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMN_NAMES = {
    "model": "model",
    "variant": "variant",
    "readout": "readout",
    "series": "model",
    "rate_percent": "rate (%)",
    "rmse_m": "RMSE (m)",
    "mean_m": "mean error (m)",
    "median_m": "median error (m)",
    "p90_m": "90th-percentile error (m)",
    "within10_pct": "within 10 m (%)",
    "n": "samples",
    "n_rates": "rates",
    "coverage50": "truth in 50 % region",
    "coverage90": "truth in 90 % region",
    "expected_rmse_m": "expected RMSE (m)",
    "median_area90_m2": "median 90 % region (m²)",
    "rmse_m_paper": "RMSE paper-like (m)",
    "rmse_m_shift": "RMSE shifted (m)",
    "degradation_m": "degradation (m)",
    "degradation_percent": "degradation (%)",
    "building_density": "building density",
    "open_area_m2": "open area (m²)",
    "n_blocks": "building blocks",
    "map": "map",
    "env_id": "environment",
    "city": "city",
    "max_gap": "largest gap",
    "within": "within tolerance",
    "calibration": "calibration",
    "cpu_minutes": "CPU-minutes",
    "minutes": "minutes",
    "samples_seen": "samples seen",
    "hardware": "hardware",
    "checkpoint": "checkpoint",
    "budget_from": "budget from",
    "chance": "note",
}


def plural(n: int, word: str, words: str | None = None) -> str:
    """'1 sensor', '33 sensors', '3 cities'."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def readable_columns(columns) -> list[str]:
    """Machine column names -> COLUMN_NAMES (unknown names: underscores to spaces)."""
    return [COLUMN_NAMES.get(str(c), str(c).replace("_", " ")) for c in columns]


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def readable_table(table: pd.DataFrame, digits: int = 1) -> pd.DataFrame:
    """A copy for st.dataframe: plain column names, numbers rounded to `digits`, and no
    missing cell (Streamlit's grid writes "None" in one): a numeric column with gaps
    becomes text with blanks there, other columns get blanks."""
    out = table.copy()
    for column in out.columns:
        values = out[column]
        gaps = values.map(_missing)
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            values = values.round(digits)
            if gaps.any():
                values = values.map(lambda v: "" if _missing(v) else f"{v:.{digits}f}")
        elif gaps.any():
            values = values.map(lambda v: "" if _missing(v) else v)
        out[column] = values
    out.columns = readable_columns(out.columns)
    return out
