"""The one prediction contract every model follows, so callers never special-case a model.

Input batch: float tensor (B, 2, 256, 256) encoded as docs/design.md §1
(see locnet.data.sampling.encode_input). Output of `predict`: a Prediction.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from locnet.errors import LocNetError


@dataclass
class Prediction:
    """A model's raw output on a batch, not yet an answer: locnet.posterior.calibration
    turns it into the batch's readouts and posterior (`answer_batch`), and
    locnet.inference.predict into one map's Answer, the record callers show.

    xy: (B, 2) float pixel coordinates (x = column, y = row).

    scores: (B, 256, 256) map where higher means more likely (a probability
    heatmap for heatmap models), or None for pure coordinate regressors.
    logits: (B, 256, 256) the heatmap before the model's own squashing (LocNet's
    sigmoid), which locnet.posterior.distribution turns into a calibrated probability; None for
    models without a heatmap (classical baselines, coordinate regressors).
    """

    xy: torch.Tensor
    scores: torch.Tensor | None = None
    logits: torch.Tensor | None = None


class LocalizationModel(nn.Module):
    """Base class: subclasses implement `predict` and, if trainable, `training_loss`.

    `forward(x)` returns the raw network output (logits, heatmap or coordinates)
    and is what training differentiates; `predict` turns it into a Prediction.
    """

    #: option dict the model was built with (saved in checkpoints)
    options: dict

    def predict(self, x: torch.Tensor) -> Prediction:
        raise NotImplementedError

    def training_loss(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        """Scalar loss for a batch; tx_xy is (B, 2) long (x = column, y = row)."""
        raise NotImplementedError(f"{type(self).__name__} is not trainable")


class HeatmapModel(LocalizationModel):
    """A model whose forward is a (B, 1, H, W) score map read out by its argmax."""

    def predict(self, x: torch.Tensor) -> Prediction:
        scores = self.forward(x)[:, 0]
        return Prediction(xy=argmax_xy(scores), scores=scores, logits=scores)


def argmax_xy(scores: torch.Tensor) -> torch.Tensor:
    """(B, H, W) scores -> (B, 2) float (x, y) of each map's maximum (of a posterior: its
    `mode` readout)."""
    flat = scores.flatten(1).argmax(dim=1)
    width = scores.shape[-1]
    return torch.stack((flat % width, flat // width), dim=1).to(torch.float32)


def one_hot_target(tx_xy: torch.Tensor, size: int) -> torch.Tensor:
    """(B, 2) long (x, y) -> (B, 1, size, size) float one-hot target maps."""
    batch = tx_xy.shape[0]
    target = torch.zeros(batch, 1, size, size, device=tx_xy.device)
    target[torch.arange(batch, device=tx_xy.device), 0, tx_xy[:, 1], tx_xy[:, 0]] = 1.0
    return target


def gaussian_target(tx_xy: torch.Tensor, size: int | tuple[int, int], sigma: float) -> torch.Tensor:
    """(B, 2) (x, y) -> (B, 1, H, W) maps exp(-d^2 / 2 sigma^2), 1 at the transmitter.

    size: the side of a square map, or (H, W). A soft target gives every pixel near the
    transmitter a gradient, not only one pixel in 65,536; sigma <= 0 is the paper's
    one-hot target (square maps only).
    """
    height, width = (size, size) if isinstance(size, int) else size
    if sigma <= 0:
        return one_hot_target(tx_xy, height)
    ys = torch.arange(height, device=tx_xy.device, dtype=torch.float32)
    xs = torch.arange(width, device=tx_xy.device, dtype=torch.float32)
    dy2 = (ys[None, :] - tx_xy[:, 1:2].float()) ** 2  # (B, H)
    dx2 = (xs[None, :] - tx_xy[:, 0:1].float()) ** 2  # (B, W)
    d2 = dy2[:, :, None] + dx2[:, None, :]
    return torch.exp(-d2 / (2.0 * sigma**2))[:, None]


def check_input(
    x: torch.Tensor, model_name: str, *, multiple: int = 1, size: int | None = None
) -> None:
    """Raise LocNetError unless x is a (B, 2, H, W) float batch a model can take.

    multiple: H and W must be divisible by it (pooling depth of a fully
    convolutional net); size: the exact H = W of a fixed-size model.
    """
    if x.ndim != 4 or x.shape[1] != 2:
        raise LocNetError(
            f"{model_name}: expected an input batch of shape (B, 2, H, W) encoded as "
            f"docs/design.md §1 (locnet.data.sampling.encode_input), got {tuple(x.shape)}"
        )
    if not x.is_floating_point():
        raise LocNetError(
            f"{model_name}: input must be a float tensor, got {x.dtype}; use x.float()"
        )
    height, width = x.shape[-2:]
    if size is not None and (height, width) != (size, size):
        raise LocNetError(
            f"{model_name}: takes only {size}x{size} maps, got {height}x{width}; "
            "do not crop inputs for this model"
        )
    if height % multiple or width % multiple:
        raise LocNetError(
            f"{model_name}: map height and width must be multiples of {multiple}, "
            f"got {height}x{width}; crop to e.g. 128 or 256"
        )
