"""DeepTxFinder baseline: size, fixed input, normalised-coordinate regression."""

from __future__ import annotations

import pytest
import torch

from locnet.errors import LocNetError
from locnet.models.deeptxfinder import DeepTxFinder
from locnet.models.registry import count_parameters, model_info


@pytest.fixture(scope="module")
def model() -> DeepTxFinder:
    torch.manual_seed(0)
    return DeepTxFinder()


def test_parameter_count_within_3_percent_of_paper(model):
    assert count_parameters(model) == pytest.approx(67.4e6, rel=0.03)
    assert model.regressor[1].in_features == 128 * 32 * 32


def test_predict_clips_to_map_and_scores_are_distances():
    model = DeepTxFinder().eval()
    with torch.no_grad():
        model.regressor[-1].bias.copy_(torch.tensor([1.5, -0.2]))
        model.regressor[-1].weight.zero_()
        pred = model.predict(torch.rand(2, 2, 256, 256))
    assert pred.xy.tolist() == [[255.0, 0.0], [255.0, 0.0]]
    assert pred.scores.shape == (2, 256, 256)
    assert pred.scores[0, 0, 255] == 0 and pred.scores[0, 0, 0].item() == pytest.approx(-255.0)


def test_training_loss_is_mse_on_normalised_xy(model):
    torch.manual_seed(1)
    x = torch.rand(2, 2, 256, 256)
    tx = torch.tensor([[0, 255], [51, 102]])
    model.eval()  # no dropout, so two forwards give the same output
    loss = model.training_loss(x, tx)
    expected = ((model(x) - tx.float() / 255) ** 2).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    model.zero_grad()
    loss.backward()
    assert model.features[0].weight.grad.abs().sum() > 0


def test_rejects_crops(model):
    with pytest.raises(LocNetError, match="only 256x256"):
        model(torch.rand(1, 2, 128, 128))


def test_metadata():
    info = model_info("deeptxfinder")
    assert info.output == "coordinates" and info.trainable
