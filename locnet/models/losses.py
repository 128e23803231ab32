"""Heatmap losses compared in the LocNet paper (docs/design.md §3).

Every loss takes `logits` (B, 1, H, W) — raw network output, no sigmoid — and a
`target` of the same shape (one-hot map of the transmitter pixel, or any map in
[0, 1]) and returns a scalar. Reductions are chosen so the value does not grow
with the batch size: sum (or ratio) per sample, then mean over the batch.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from locnet.errors import LocNetError

FOCAL_ALPHA = 0.75  # weight of the target pixel; background pixels get 1 - FOCAL_ALPHA
FOCAL_GAMMA = 3.0  # modulating exponent of the focal loss (paper's value)
TVERSKY_BETA = 0.7  # weight of false negatives; false positives get 1 - TVERSKY_BETA
TVERSKY_GAMMA = 0.75  # focal exponent of the Tversky loss (Abraham & Khan 2019: 1 / (4/3))
TVERSKY_SMOOTH = 1.0  # additive smoothing so an empty target gives a finite loss

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _check(logits: torch.Tensor, target: torch.Tensor) -> None:
    if logits.shape != target.shape or logits.ndim != 4:
        raise LocNetError(
            f"loss expects logits and target of the same shape (B, 1, H, W), got "
            f"{tuple(logits.shape)} and {tuple(target.shape)}; build targets with "
            "locnet.models.base.one_hot_target"
        )


def focal_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    alpha: float = FOCAL_ALPHA,
    gamma: float = FOCAL_GAMMA,
) -> torch.Tensor:
    """Focal loss: alpha_t (1 - p_t)^gamma BCE, summed over pixels, mean over the batch.

    p_t is the predicted probability of the true label of each pixel, so easy
    background pixels (p_t near 1) contribute almost nothing and the single
    target pixel dominates.
    """
    _check(logits, target)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p = torch.sigmoid(logits)
    p_t = p * target + (1.0 - p) * (1.0 - target)
    alpha_t = alpha * target + (1.0 - alpha) * (1.0 - target)
    loss = alpha_t * (1.0 - p_t).pow(gamma) * bce
    return loss.flatten(1).sum(dim=1).mean()


def balanced_bce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Class-balanced BCE: positives weighted by the negative share and vice versa.

    Per sample, with beta = share of negative pixels:
    -sum(beta * t log p + (1 - beta) * (1 - t) log(1 - p)); mean over the batch.
    With one target pixel out of H*W, the target pixel weighs as much as all
    background pixels together.
    """
    _check(logits, target)
    flat_t = target.flatten(1)
    beta = 1.0 - flat_t.mean(dim=1, keepdim=True)
    weight = beta * flat_t + (1.0 - beta) * (1.0 - flat_t)
    bce = F.binary_cross_entropy_with_logits(logits.flatten(1), flat_t, reduction="none")
    return (weight * bce).sum(dim=1).mean()


def focal_tversky_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    beta: float = TVERSKY_BETA,
    gamma: float = TVERSKY_GAMMA,
    smooth: float = TVERSKY_SMOOTH,
) -> torch.Tensor:
    """Focal Tversky loss (1 - TI)^gamma, mean over the batch.

    TI = (TP + s) / (TP + (1 - beta) FP + beta FN + s) on soft counts from the
    sigmoid heatmap; beta = 0.7 penalises missing the transmitter more than
    false alarms; gamma = 0.75 as in Abraham & Khan (2019).
    """
    _check(logits, target)
    p = torch.sigmoid(logits).flatten(1)
    t = target.flatten(1)
    tp = (p * t).sum(dim=1)
    fp = (p * (1.0 - t)).sum(dim=1)
    fn = ((1.0 - p) * t).sum(dim=1)
    tversky = (tp + smooth) / (tp + (1.0 - beta) * fp + beta * fn + smooth)
    return (1.0 - tversky).clamp_min(0.0).pow(gamma).mean()


def mse_heatmap_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the sigmoid heatmap and the target, mean over all pixels."""
    _check(logits, target)
    return F.mse_loss(torch.sigmoid(logits), target)


LOSSES: dict[str, LossFn] = {
    "focal": focal_loss,
    "bbce": balanced_bce_loss,
    "ft": focal_tversky_loss,
    "mse": mse_heatmap_loss,
}


def get_loss(name: str) -> LossFn:
    """Loss function by name; LocNetError listing the choices for an unknown name."""
    if name not in LOSSES:
        raise LocNetError(f"unknown loss '{name}'; choose one of: {', '.join(LOSSES)}")
    return LOSSES[name]
