"""locnet_voronoi: densified sensor channels in front of the LocNet body."""

from __future__ import annotations

import numpy as np
import torch

from locnet.models.locnet_voronoi import VORONOI_CHANNELS, voronoi_features
from locnet.models.registry import count_parameters, create_model, model_info


def _input() -> torch.Tensor:
    x = torch.zeros(2, 2, 64, 64)
    x[0, 1, 10, 10], x[0, 0, 10, 10] = 1.0, 0.5  # sensor at (x=10, y=10) reading 0.5
    x[0, 1, 50, 40], x[0, 0, 50, 40] = 1.0, 0.25  # sensor at (x=40, y=50)
    x[:, 1, 30:34, 30:34] = -1.0  # a building
    return x  # sample 1 has no sensors


def test_features_fill_each_pixel_with_its_nearest_sensor():
    f = voronoi_features(_input())
    assert f.shape == (2, VORONOI_CHANNELS, 64, 64)
    assert torch.equal(f[:, :2], _input()[:, :2])  # the paper's channels unchanged
    assert f[0, 2, 0, 0] == 0.5 and f[0, 2, 63, 63] == 0.25  # corners: nearest readings
    assert f[0, 3, 10, 10] == 0 and np.isclose(float(f[0, 3, 10, 20]), 10 / 256)
    assert f[0, 4].sum() == 2 and f[1, 2:].abs().sum() == 0  # mask; no sensors: zeros


def test_registered_beside_locnet_with_the_same_body():
    info = model_info("locnet_voronoi")
    assert info.trainable and info.output == "heatmap" and "Voronoi" in info.description
    model = create_model("locnet_voronoi", target_sigma=16.0)
    locnet = create_model("locnet")
    # only the first convolution is wider: 3 more input channels x 27 filters x 3 x 3
    assert count_parameters(model) - count_parameters(locnet) == 3 * 27 * 9
    x = _input()
    assert model(x).shape == (2, 1, 64, 64)
    loss = model.training_loss(x, torch.tensor([[10, 12], [5, 5]]))
    loss.backward()
    assert torch.isfinite(loss) and model.encoder.conv2d.weight.grad is not None
