"""The statistics every table reports, in one place: training validation, `evaluate`'s
summaries and the result pages compute them with these functions.

Errors are distances in metres; posterior columns are those evaluate writes per sample
(expected_error_m, area90_m2, in50, in90; docs/posterior.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

POSTERIOR_STATISTICS = ("coverage50", "coverage90", "expected_rmse_m", "median_area90_m2")


def error_statistics(errors: np.ndarray) -> dict[str, float]:
    """RMSE, mean, median, 90th percentile (metres) and count of localization errors."""
    err = np.asarray(errors, dtype=np.float64)
    return {
        "rmse_m": float(np.sqrt(np.mean(err**2))),
        "mean_m": float(err.mean()),
        "median_m": float(np.median(err)),
        "p90_m": float(np.percentile(err, 90)),
        "n": err.size,
    }


def posterior_statistics(group: pd.DataFrame) -> dict[str, float]:
    """Coverage of the 50/90 % regions, the RMSE the posterior predicts, median 90 % area
    (all NaN for rows without a posterior)."""
    if group["in90"].isna().all():
        return dict.fromkeys(POSTERIOR_STATISTICS, np.nan)
    return {
        "coverage50": float(group["in50"].mean()),
        "coverage90": float(group["in90"].mean()),
        "expected_rmse_m": float(np.sqrt(np.mean(group["expected_error_m"] ** 2))),
        "median_area90_m2": float(group["area90_m2"].median()),
    }
