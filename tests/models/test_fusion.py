"""fusion: a learned heatmap model's posterior times simfit's likelihood^w."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from locnet.models import checkpoints as ckpt
from locnet.models.fusion import fused_logits
from locnet.models.registry import create_model, model_info
from locnet.posterior import distribution as P
from tests.models.test_simfit import oracle_case  # noqa: F401  (fixture)


def test_weight_zero_is_the_base_posterior_and_a_large_weight_is_simfit():
    torch.manual_seed(0)
    base, physics = torch.randn(2, 16, 16), -torch.rand(2, 16, 16) * 50
    physics[:, 0, 0] = -torch.inf  # simfit's buildings
    outdoor = torch.ones(2, 16, 16, dtype=torch.bool)
    alone = P.probabilities(base, outdoor, 0.5)
    assert torch.allclose(P.probabilities(fused_logits(base, physics, 0.5, 0.0), outdoor, 1.0), alone)
    dominated = fused_logits(base, physics, 0.5, 1e4)
    assert torch.equal(dominated.flatten(1).argmax(1), physics.flatten(1).argmax(1))
    assert torch.isfinite(fused_logits(base, physics, 0.5, 0.0)).all()  # no 0 x inf


def test_fusion_is_a_heatmap_model_made_by_fuse_not_train():
    info = model_info("fusion")
    assert info.output == "heatmap" and info.family == "physics" and "fuse" in info.made_by
    model = create_model("fusion", weight=0.0)
    with pytest.raises(Exception, match="fuse"):
        model.training_loss(torch.zeros(1, 2, 256, 256), torch.zeros(1, 2))
    with pytest.raises(Exception, match="weight >= 0"):
        create_model("fusion", weight=-1.0)


def test_fusion_combines_its_parts_and_round_trips_a_checkpoint(oracle_case, tmp_path):
    x, truth = oracle_case
    torch.manual_seed(1)
    fusion = create_model("fusion", base_temperature=0.5, weight=0.3, settings=1).eval()
    with torch.inference_mode():
        base, physics = fusion.parts(x)
        prediction = fusion.predict(x)
    assert base.shape == physics.shape == prediction.logits.shape == (1, 256, 256)
    assert torch.allclose(prediction.logits, base / 0.5 + 0.3 * physics.clamp(min=-1e4))
    error = float(np.hypot(*(prediction.xy[0].numpy() - np.array(truth))))
    assert error <= 5.0  # an untrained base: the physics carries the answer
    path = ckpt.save_checkpoint(tmp_path / "fusion.pt", "fusion", fusion)
    loaded = ckpt.load_weights(path)
    assert loaded.config == fusion.config
    with torch.inference_mode():
        assert torch.allclose(loaded.predict(x).logits, prediction.logits)
