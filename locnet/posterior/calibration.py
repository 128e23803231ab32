"""A heatmap model's calibration (stored in its checkpoint) and the posterior answers it gives.

`Calibration` is what `python -m locnet calibrate` fits on validation data
(docs/posterior.md): the temperature T of p = softmax(logits / T) that maximises the
likelihood of the true pixels (this posterior draws the credible regions and the expected
error), the temperature each point readout is read at (the one with the lowest validation
RMSE) and the default readout. A checkpoint without one is uncalibrated: T = 1,
readout `mode`, and labelled so wherever its numbers appear.

`answer_batch` is the one place a model's output becomes readouts and uncertainty, used by
inference (app, scripts), evaluate and calibrate.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from locnet.models.base import LocalizationModel, Prediction
from locnet.models.checkpoints import check_calibration
from locnet.posterior import distribution as P

CHECKPOINT_KEY = "calibration"  # where a checkpoint payload keeps Calibration.to_dict()


@dataclass(frozen=True)
class Calibration:
    """A checkpoint's fitted posterior: temperature T (> 0) of p = softmax(logits / T), the
    temperature each point readout is read at, the default readout (one of P.READOUTS) and
    what it was fitted on. The defaults are the uncalibrated model: T = 1, readout `mode`.
    Stored in the checkpoint as to_dict(); read back with from_dict, which checks it."""

    temperature: float = 1.0
    readout_temperature: dict[str, float] = field(default_factory=dict)
    default_readout: str = "mode"
    fitted: dict[str, Any] = field(default_factory=dict)  # data, split, n, date, NLL, val RMSE

    @property
    def calibrated(self) -> bool:
        return bool(self.fitted)

    def temperature_for(self, readout: str) -> float:
        """Temperature the point answer of `readout` is read at (mode ignores it)."""
        return float(self.readout_temperature.get(readout, self.temperature))

    def label(self) -> str:
        """Short provenance for tables and the app: 'calibrated T=0.49 (val, n=236)'."""
        if not self.calibrated:
            return "uncalibrated (T = 1)"
        return (
            f"calibrated T={self.temperature:.3g} ({self.fitted.get('split', '?')}, "
            f"n={self.fitted.get('n', '?')})"
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(
        cls, value: Mapping[str, Any] | None, source: str | os.PathLike | None = None
    ) -> Calibration:
        """The Calibration a checkpoint stores (to_dict()); None or {} (never calibrated) is
        UNCALIBRATED. A malformed one (wrong types, a temperature that is not a finite number
        > 0, an unknown readout or key) raises CheckpointError naming `source`, its file."""
        stored = check_calibration(value, source, readouts=P.READOUTS)
        return cls(**stored) if stored is not None else cls()


UNCALIBRATED = Calibration()


def calibration_of(
    model: torch.nn.Module, source: str | os.PathLike | None = None
) -> Calibration:
    """The model's Calibration: the stored one load_weights attached (`model.calibration`,
    the checkpoint's dict), checked; UNCALIBRATED if none. locnet.inference.load_model calls
    it at load with the file as `source`, so a malformed one fails there, naming the file."""
    value = getattr(model, "calibration", None)
    return value if isinstance(value, Calibration) else Calibration.from_dict(value, source)


@dataclass(frozen=True)
class Answers:
    """Per-map answers of one batch, as tensors (evaluate and calibrate score them;
    locnet.inference.predict makes one map's into an Answer). xy: readout -> (B, 2) float
    pixels (x, y), with the model's own answer under `mode` (under `point` for a model
    without a heatmap). probs: (B, H, W) calibrated posterior, None without a heatmap.
    scores: the model's display heatmap (B, H, W) or None."""

    xy: dict[str, torch.Tensor]
    probs: torch.Tensor | None
    scores: torch.Tensor | None
    calibration: Calibration
    tta: bool


def answer_batch(
    model: LocalizationModel,
    x: torch.Tensor,
    outdoor: torch.Tensor,
    *,
    tta: bool = False,
) -> Answers:
    """Run the model on a (B, 2, H, W) batch and read out every requested answer.

    outdoor: (B, H, W) bool. Without TTA `mode` is the model's own answer (the paper's
    argmax; DeepMTL's detector box); with TTA every readout comes from the averaged
    logits, `mode` as their most probable outdoor pixel.
    """
    calibration = calibration_of(model)
    prediction: Prediction = model.predict(x)
    if prediction.logits is None:
        return Answers({P.POINT_READOUT: prediction.xy.float()}, None, prediction.scores,
                       calibration, False)
    logits = prediction.logits
    if tta:
        logits = P.tta_logits(lambda z: model.predict(z).logits, x, identity=logits)
    outdoor = outdoor.to(logits.device)
    probs = P.probabilities(logits, outdoor, calibration.temperature)
    at_temperature = {calibration.temperature: probs}  # mean and median often share one
    answers: dict[str, torch.Tensor] = {}
    for readout in P.READOUTS:
        if readout == "mode" and not tta:
            answers[readout] = prediction.xy.float()
            continue
        t_read = calibration.temperature_for(readout)
        if t_read not in at_temperature:
            at_temperature[t_read] = P.probabilities(logits, outdoor, t_read)
        answers[readout] = P.read_out(at_temperature[t_read], readout)
    scores = prediction.scores
    if tta:  # the display heatmap of the averaged logits, squashed as the model squashes
        scores = logits if prediction.scores is prediction.logits else torch.sigmoid(logits)
    return Answers(answers, probs, scores, calibration, tta)
