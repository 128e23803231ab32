"""TL;DL baseline: U-Net size, Gaussian target, shapes."""

from __future__ import annotations

import pytest
import torch

from locnet.models.base import gaussian_target
from locnet.models.registry import count_parameters, model_info
from locnet.models.tldl import TARGET_SIGMA_PX, TLDL, TLDLConfig


def test_parameter_count_within_3_percent_of_paper():
    assert count_parameters(TLDL()) == pytest.approx(31.0e6, rel=0.03)


def test_no_batch_norm():
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in TLDL().modules())


def test_gaussian_target_by_hand():
    target = gaussian_target(torch.tensor([[3, 1]]), (4, 6), sigma=2.0)
    assert target.shape == (1, 1, 4, 6)
    assert target[0, 0, 1, 3] == 1.0  # peak on (x=3, y=1)
    expected = torch.exp(torch.tensor(-(2.0**2 + 2.0**2) / (2 * 2.0**2)))  # pixel (x=5, y=3)
    assert target[0, 0, 3, 5].item() == pytest.approx(expected.item())
    assert target.flatten().argmax().item() == 1 * 6 + 3


def test_small_unet_shapes_and_loss():
    torch.manual_seed(0)
    model = TLDL(TLDLConfig(widths=(4, 8, 16, 32, 64)))
    x = torch.rand(2, 2, 64, 64)
    tx = torch.tensor([[10, 20], [63, 0]])
    assert model(x).shape == (2, 1, 64, 64)
    loss = model.training_loss(x, tx)
    target = gaussian_target(tx, 64, TARGET_SIGMA_PX)
    assert loss.item() == pytest.approx(((model(x) - target) ** 2).mean().item(), rel=1e-4)
    loss.backward()
    assert model.down[0][0].weight.grad.abs().sum() > 0
    pred = model.eval().predict(x)
    assert pred.xy.shape == (2, 2) and pred.scores.shape == (2, 64, 64)


@pytest.mark.slow
def test_full_model_at_128():
    model = TLDL().eval()
    with torch.inference_mode():
        assert model(torch.rand(1, 2, 128, 128)).shape == (1, 1, 128, 128)


def test_metadata():
    info = model_info("tldl")
    assert info.family == "baseline" and info.output == "heatmap" and info.trainable
