"""MSLocNet baseline: size, multi-scale shapes, binary-target MSE."""

from __future__ import annotations

import pytest
import torch

from locnet.errors import LocNetError
from locnet.models.mslocnet import MSLocNet
from locnet.models.registry import count_parameters, model_info


def test_parameter_count_within_3_percent_of_paper():
    assert count_parameters(MSLocNet()) == pytest.approx(0.31e6, rel=0.03)


def test_encoder_widths_and_blocks():
    model = MSLocNet()
    assert [len(stage) for stage in model.stages] == [2, 2, 2, 1]
    assert [stage[-1].conv2.out_channels for stage in model.stages] == [12, 24, 48, 96]


@pytest.mark.parametrize("size", [128, 64])
def test_forward_and_predict_shapes(size):
    model = MSLocNet().eval()
    with torch.inference_mode():
        out = model(torch.rand(2, 2, size, size))
        pred = model.predict(torch.rand(2, 2, size, size))
    assert out.shape == (2, 1, size, size)
    assert pred.xy.shape == (2, 2) and pred.scores.shape == (2, size, size)


def test_training_loss_is_mse_to_one_hot_map():
    torch.manual_seed(0)
    model = MSLocNet()
    x = torch.rand(2, 2, 32, 32)
    tx = torch.tensor([[4, 7], [31, 0]])
    loss = model.training_loss(x, tx)
    out = model(x).detach()
    target = torch.zeros_like(out)
    target[0, 0, 7, 4] = target[1, 0, 0, 31] = 1
    assert loss.item() == pytest.approx(((out - target) ** 2).mean().item(), rel=1e-4)
    loss.backward()
    assert model.stem[0].weight.grad.abs().sum() > 0


def test_metadata_and_bad_size():
    assert model_info("mslocnet").output == "heatmap" and model_info("mslocnet").trainable
    with pytest.raises(LocNetError, match="multiples of 8"):
        MSLocNet()(torch.rand(1, 2, 36, 36))
