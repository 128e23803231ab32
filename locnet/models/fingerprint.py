"""k-NN fingerprinting for measured RSS (docs/real-data.md): the answer is the mean position
of the k training samples whose fixed receivers' RSS vectors are nearest (Euclidean, dB).

The fingerprint is receiver-indexed: one feature per fixed receiver, in the batch's receiver
order, the batch's `floor_db` where the receiver gave no reading. Shuttles move, so their
RSS is no feature. scikit-learn's KNeighborsRegressor does the search and the averaging.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from locnet.errors import LocNetError
from locnet.models.measurement import MeasuredBatch, MeasurementModel
from locnet.models.registry import MEASUREMENT_FAMILY, register

WEIGHTS = ("uniform", "distance")


@dataclass(frozen=True)
class KnnOptions:
    """k: neighbours averaged; weights: 'uniform' (plain mean, the dataset's usual baseline)
    or 'distance' (inverse feature distance)."""

    k: int = 5
    weights: str = "uniform"


def fingerprints(batch: MeasuredBatch) -> np.ndarray:
    """(N, F) RSS of the F fixed receivers, floor_db where there is no reading."""
    rss = batch.rss_db[:, batch.fixed]
    return np.where(np.isfinite(rss), rss, batch.floor_db)


class RssKnn(MeasurementModel):
    """k nearest training fingerprints, their transmitters' mean position."""

    name = "rss-knn"

    def __init__(self, k: int, weights: str) -> None:
        # imported here, not at the top: the registry imports this module on first use
        # everywhere (app, evaluate, localize), and scikit-learn adds 1-2 s to that
        from sklearn.neighbors import KNeighborsRegressor

        super().__init__()
        if int(k) < 1 or weights not in WEIGHTS:
            raise LocNetError(
                f"rss-knn: k must be >= 1 and weights one of {', '.join(WEIGHTS)}; "
                f"got k={k}, weights={weights!r}"
            )
        self.regressor = KNeighborsRegressor(n_neighbors=int(k), weights=weights)

    def _fit(self, batch: MeasuredBatch, truth_m: np.ndarray) -> None:
        if not batch.fixed.any():
            raise LocNetError("rss-knn: the batch has no fixed receivers to fingerprint")
        if len(batch) < self.regressor.n_neighbors:
            raise LocNetError(
                f"rss-knn: {len(batch)} training samples, fewer than k={self.regressor.n_neighbors}"
            )
        self.regressor.fit(fingerprints(batch), truth_m)

    def predict(self, batch: MeasuredBatch) -> np.ndarray:
        self.check(batch)
        return self.regressor.predict(fingerprints(batch))


@register(
    "rss-knn",
    family=MEASUREMENT_FAMILY,
    output="coordinates",
    trainable=False,
    config=KnnOptions,
    description="measured RSS: k-NN fingerprinting on the fixed receivers' RSS vectors (k=5)",
)
def build_knn(k: int, weights: str) -> RssKnn:
    return RssKnn(k, weights)
