"""The contract of models for measured RSS (real campaigns such as POWDER, docs/real-data.md).

Measured samples are not maps: each is a set of receivers with uncalibrated RSS (dB,
relative within one receiver) and positions in metres, some of them moving. So these
models take a receiver-indexed `MeasuredBatch`, are fitted on a training side with known
transmitter positions (`fit`), and return positions in metres (`predict`). They register
in the one registry as family `MEASUREMENT_FAMILY`, not trainable (nothing for `python -m
locnet train`): the classical ones output "coordinates" and fit in seconds; the learned
ones (`rss_heatmap`) output "heatmap" (logits over a raster, a posterior once calibrated),
fit in CPU minutes and are kept as checkpoints (`made_by` names the command). `python -m
locnet evaluate-powder` runs them, the image-model consumers (app pickers, `evaluate`,
`bench`) leave that family out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from locnet.errors import LocNetError


@dataclass(frozen=True)
class MeasuredBatch:
    """N samples over the same R receivers (the columns, in `receivers` order).

    rss_db (N, R): RSS in dB, NaN where the receiver gave no reading (not heard, absent).
    xy_m (N, R, 2): receiver positions (x east, y south) in metres, NaN where unknown; a
    fixed receiver has the same position in every row.
    fixed (R,): the receiver never moves (its RSS is a fingerprint feature).
    area_m: (x_min, y_min, x_max, y_max), metres: where a transmitter can be.
    floor_db: the RSS that stands for "not heard" (a fingerprint's value for no reading).
    """

    receivers: tuple[str, ...]
    rss_db: np.ndarray
    xy_m: np.ndarray
    fixed: np.ndarray
    area_m: tuple[float, float, float, float]
    floor_db: float

    def __post_init__(self) -> None:
        n, r = self.rss_db.shape
        if self.xy_m.shape != (n, r, 2) or self.fixed.shape != (r,) or len(self.receivers) != r:
            raise LocNetError(
                f"a measured batch needs rss_db (N, R), xy_m (N, R, 2), fixed (R,) and R "
                f"receiver names; got {self.rss_db.shape}, {self.xy_m.shape}, "
                f"{self.fixed.shape}, {len(self.receivers)}"
            )

    def __len__(self) -> int:
        return self.rss_db.shape[0]

    def take(self, idx: np.ndarray) -> MeasuredBatch:
        """The samples at `idx` (same receivers and area)."""
        return MeasuredBatch(
            self.receivers, self.rss_db[idx], self.xy_m[idx], self.fixed, self.area_m,
            self.floor_db,
        )

    @property
    def heard(self) -> np.ndarray:
        """(N, R) bool: a reading with a known receiver position."""
        return np.isfinite(self.rss_db) & np.isfinite(self.xy_m).all(axis=2)


class MeasurementModel:
    """Fitted on measured samples with known transmitters; predicts positions in metres.

    Subclasses implement `_fit` (optional) and `predict`. Every model keeps the training
    transmitters' mean position (`centre_m`), the answer for a sample it cannot read."""

    name = "measurement"
    options: dict

    def __init__(self) -> None:
        self.options = {}
        self.receivers: tuple[str, ...] | None = None
        self.centre_m = np.zeros(2)

    def fit(self, batch: MeasuredBatch, truth_m: np.ndarray) -> MeasurementModel:
        """Learn from `batch` whose transmitters stand at truth_m (N, 2) metres."""
        truth_m = np.asarray(truth_m, dtype=np.float64)
        if len(batch) == 0 or truth_m.shape != (len(batch), 2) or not np.isfinite(truth_m).all():
            raise LocNetError(
                f"{self.name}: fit needs a non-empty batch and one finite (x, y) per sample; "
                f"got {len(batch)} samples and truth of shape {truth_m.shape}"
            )
        self.receivers = batch.receivers
        self.centre_m = truth_m.mean(axis=0)
        self._fit(batch, truth_m)
        return self

    def _fit(self, batch: MeasuredBatch, truth_m: np.ndarray) -> None:
        """What a model learns beyond the centre (nothing for training-free ones)."""

    def check(self, batch: MeasuredBatch) -> None:
        """LocNetError unless the model was fitted on the receivers `batch` holds."""
        if self.receivers is None:
            raise LocNetError(f"{self.name}: call fit(training batch, truth) before predict")
        if batch.receivers != self.receivers:
            raise LocNetError(
                f"{self.name}: fitted on receivers {', '.join(self.receivers[:3])}... but given "
                f"{', '.join(batch.receivers[:3])}...; fit and predict on one dataset's batches"
            )

    def predict(self, batch: MeasuredBatch) -> np.ndarray:
        """(N, 2) transmitter positions (x, y) in metres."""
        raise NotImplementedError
