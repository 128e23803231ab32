"""Losses against values computed by hand with numpy on tiny maps."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from locnet.errors import LocNetError
from locnet.models.losses import (
    LOSSES,
    balanced_bce_loss,
    focal_loss,
    focal_tversky_loss,
    get_loss,
    mse_heatmap_loss,
)

# Two samples of 2x2 logits; target pixel (row 0, col 1) and (row 1, col 0).
LOGITS = np.array([[[[0.5, 2.0], [-1.0, -3.0]]], [[[1.0, -0.5], [0.0, 4.0]]]])
TARGET = np.array([[[[0.0, 1.0], [0.0, 0.0]]], [[[0.0, 0.0], [1.0, 0.0]]]])


def _t(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _bce(z, t):
    p = _sigmoid(z)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def test_focal_matches_hand_computation():
    p = _sigmoid(LOGITS)
    p_t = np.where(TARGET == 1, p, 1 - p)
    alpha = np.where(TARGET == 1, 0.75, 0.25)
    per_pixel = alpha * (1 - p_t) ** 3 * _bce(LOGITS, TARGET)
    expected = per_pixel.reshape(2, -1).sum(axis=1).mean()
    assert focal_loss(_t(LOGITS), _t(TARGET)).item() == pytest.approx(expected, rel=1e-10)


def test_focal_single_pixel_by_hand():
    # logit 0 on a target pixel: p_t = 0.5, bce = ln 2 -> 0.75 * 0.125 * ln 2
    value = focal_loss(torch.zeros(1, 1, 1, 1), torch.ones(1, 1, 1, 1))
    assert value.item() == pytest.approx(0.75 * 0.5**3 * np.log(2), rel=1e-6)


def test_focal_is_batch_mean_not_sum():
    one = focal_loss(_t(LOGITS[:1]), _t(TARGET[:1]))
    twice = focal_loss(_t(np.concatenate([LOGITS[:1]] * 2)), _t(np.concatenate([TARGET[:1]] * 2)))
    assert twice.item() == pytest.approx(one.item())


def test_balanced_bce_matches_hand_computation():
    beta = 1 - 1 / 4  # one positive among four pixels
    weights = np.where(TARGET == 1, beta, 1 - beta)
    expected = (weights * _bce(LOGITS, TARGET)).reshape(2, -1).sum(axis=1).mean()
    assert balanced_bce_loss(_t(LOGITS), _t(TARGET)).item() == pytest.approx(expected, rel=1e-10)


def test_focal_tversky_matches_hand_computation():
    p = _sigmoid(LOGITS).reshape(2, -1)
    t = TARGET.reshape(2, -1)
    tp, fp, fn = (p * t).sum(1), (p * (1 - t)).sum(1), ((1 - p) * t).sum(1)
    ti = (tp + 1) / (tp + 0.3 * fp + 0.7 * fn + 1)
    expected = ((1 - ti) ** 0.75).mean()
    assert focal_tversky_loss(_t(LOGITS), _t(TARGET)).item() == pytest.approx(expected, rel=1e-10)


def test_focal_tversky_weights_false_negatives_more():
    target = torch.tensor([[[[1.0, 0.0]]]])
    miss = focal_tversky_loss(torch.tensor([[[[-5.0, -5.0]]]]), target)  # FN only
    false_alarm = focal_tversky_loss(torch.tensor([[[[5.0, 5.0]]]]), target)  # FP only
    assert miss > false_alarm


def test_mse_matches_hand_computation():
    expected = ((_sigmoid(LOGITS) - TARGET) ** 2).mean()
    assert mse_heatmap_loss(_t(LOGITS), _t(TARGET)).item() == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_perfect_prediction_beats_wrong_one(name):
    target = torch.zeros(1, 1, 8, 8)
    target[0, 0, 2, 5] = 1
    good = torch.where(target > 0, 10.0, -10.0)
    bad = -good
    loss = LOSSES[name]
    assert loss(good, target) < loss(bad, target)


def test_registry_and_errors():
    assert set(LOSSES) == {"focal", "bbce", "ft", "mse"}
    assert get_loss("focal") is focal_loss
    with pytest.raises(LocNetError, match="choose one of"):
        get_loss("dice")
    with pytest.raises(LocNetError, match="same shape"):
        focal_loss(torch.zeros(1, 1, 4, 4), torch.zeros(1, 4, 4))
