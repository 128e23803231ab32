"""LocNet: the authors' parameter-name contract (docs/design.md §2), shapes, loss options."""

from __future__ import annotations

import pytest
import torch

from locnet.errors import LocNetError
from locnet.models.base import Prediction
from locnet.models.locnet import LocNet, LocNetOptions
from locnet.models.registry import count_parameters, create_model


def _expected_state_shapes() -> dict[str, tuple[int, ...]]:
    """Key -> shape table written out from docs/design.md §2 (n_dim 27, enc_out 4)."""
    table: dict[str, tuple[int, ...]] = {}

    def conv(prefix: str, c_in: int, c_out: int, k: int = 3, transpose: bool = False) -> None:
        table[f"{prefix}.weight"] = (c_in, c_out, k, k) if transpose else (c_out, c_in, k, k)
        table[f"{prefix}.bias"] = (c_out,)

    def norm(prefix: str, channels: int) -> None:
        table[f"{prefix}.weight"] = (channels,)
        table[f"{prefix}.bias"] = (channels,)

    conv("encoder.conv2d", 2, 27)
    for i in range(1, 9):
        conv(f"encoder.conv2d_{i}", 27, 27)
    for i in range(9):
        norm(f"encoder.bn_{i}", 27)
    conv("encoder.mu", 27, 4)
    norm("encoder.bn_9", 4)
    conv("decoder.conv2d_transpose", 4, 4, transpose=True)
    norm("decoder.bn_0", 4)
    decoder_inputs = {1: 31, 2: 27, 3: 27, 4: 54, 5: 27, 6: 27, 7: 54, 8: 27, 9: 27}
    for i, c_in in decoder_inputs.items():
        conv(f"decoder.conv2d_transpose_{i}", c_in, 27, transpose=True)
        norm(f"decoder.bn_{i}", 27)
    conv("decoder.conv2d_output", 27, 1, k=1)
    return table


def test_state_dict_matches_authors_names_and_shapes():
    expected = _expected_state_shapes()
    state = LocNet().state_dict()
    assert len(expected) == 82
    assert {k: tuple(v.shape) for k, v in state.items()} == expected


def test_parameter_count_is_exact():
    assert count_parameters(LocNet()) == 128_743


def test_group_norm_groups():
    model = LocNet()
    assert model.encoder.bn_0.num_groups == 9 and model.encoder.bn_9.num_groups == 2
    assert model.decoder.bn_0.num_groups == 2 and model.decoder.bn_9.num_groups == 9


def test_saved_state_dict_loads_strict(tmp_path):
    torch.manual_seed(0)
    source = LocNet()
    path = tmp_path / "bare.pt"
    torch.save(source.state_dict(), path)
    target = LocNet()
    target.load_state_dict(torch.load(path, weights_only=True), strict=True)
    x = torch.rand(1, 2, 64, 64)
    source.eval(), target.eval()
    with torch.inference_mode():
        assert torch.equal(source(x), target(x))


def test_init_is_kaiming_fan_out():
    torch.manual_seed(0)
    weight = LocNet().encoder.conv2d_1.weight
    fan_out = 27 * 9
    assert weight.std().item() == pytest.approx((2.0 / fan_out) ** 0.5, rel=0.1)


def test_output_layer_starts_at_the_prior():
    torch.manual_seed(0)
    model = LocNet().eval()
    with torch.inference_mode():
        heat = model.predict(torch.rand(1, 2, 64, 64)).scores
    # near-constant low probability, not saturated noise (kaiming on a 1-channel output)
    assert heat.mean().item() == pytest.approx(0.01, rel=0.5) and heat.max().item() < 0.05


def test_gaussian_target_option():
    from locnet.models.base import gaussian_target, one_hot_target

    xy = torch.tensor([[3, 5], [0, 7]])
    soft = gaussian_target(xy, 16, 2.0)
    assert soft.shape == (2, 1, 16, 16)
    assert soft.flatten(1).argmax(dim=1).tolist() == [5 * 16 + 3, 7 * 16 + 0]
    assert soft[0, 0, 5, 3] == 1.0
    assert soft[0, 0, 5, 5].item() == pytest.approx(torch.exp(torch.tensor(-0.5)).item())
    assert torch.equal(gaussian_target(xy, 16, 0.0), one_hot_target(xy, 16))
    model = LocNet(LocNetOptions(target_sigma=4))
    assert model.target_sigma == 4.0
    assert create_model("locnet", target_sigma=4.0).options == {
        "loss": "focal", "env": True, "target_sigma": 4.0,
    }  # fmt: skip
    assert torch.isfinite(model.training_loss(torch.rand(2, 2, 32, 32), xy))
    with pytest.raises(ValueError, match="target_sigma"):
        create_model("locnet", target_sigma=-1)


@pytest.mark.parametrize("size", [256, 128])
def test_forward_and_predict_shapes(size):
    model = create_model("locnet").eval()
    x = torch.rand(2, 2, size, size)
    with torch.inference_mode():
        logits = model(x)
        pred = model.predict(x)
    assert logits.shape == (2, 1, size, size)
    assert isinstance(pred, Prediction)
    assert pred.xy.shape == (2, 2) and pred.xy.dtype == torch.float32
    assert pred.scores.shape == (2, size, size)
    assert float(pred.scores.min()) >= 0.0 and float(pred.scores.max()) <= 1.0
    flat = pred.scores.flatten(1).argmax(dim=1)
    assert torch.equal(pred.xy[:, 0].long(), flat % size)
    assert torch.equal(pred.xy[:, 1].long(), flat // size)


@pytest.mark.parametrize("loss", ["focal", "bbce", "ft", "mse"])
def test_training_loss_backpropagates(loss):
    torch.manual_seed(0)
    model = create_model("locnet", loss=loss, env=False)
    x = torch.rand(2, 2, 64, 64)
    value = model.training_loss(x, torch.tensor([[3, 5], [60, 10]]))
    assert value.ndim == 0 and torch.isfinite(value)
    value.backward()
    assert model.encoder.conv2d.weight.grad is not None
    assert model.encoder.conv2d.weight.grad.abs().sum() > 0


def test_shipped_checkpoints_record_the_target_the_description_names():
    from pathlib import Path

    from locnet.models import checkpoints as ckpt
    from locnet.models.locnet import SHIPPED_TARGET_SIGMA_PX

    root = Path(__file__).resolve().parents[2] / "checkpoints"
    infos = [i for folder in (root, *root.iterdir()) if folder.is_dir()
             for i in ckpt.list_checkpoints(folder) if i.model == "locnet"]  # fmt: skip
    assert infos, "no shipped LocNet checkpoint found"
    for info in infos:
        assert info.options.get("target_sigma") == SHIPPED_TARGET_SIGMA_PX, info.path


def test_options_recorded():
    model = create_model("locnet", loss="bbce", env=False)
    assert model.options == {"loss": "bbce", "env": False}
    assert create_model("locnet").options == {"loss": "focal", "env": True}


def test_bad_options_and_inputs_raise():
    with pytest.raises(LocNetError, match="unknown loss 'dice'"):
        create_model("locnet", loss="dice")
    model = LocNet()
    with pytest.raises(LocNetError, match="multiples of 8"):
        model(torch.rand(1, 2, 100, 100))
    with pytest.raises(LocNetError, match=r"\(B, 2, H, W\)"):
        model(torch.rand(1, 3, 64, 64))


def test_decoder_transposed_convs_match_torch_conv_transpose():
    from locnet.models.locnet import transpose_as_conv

    torch.manual_seed(0)
    layer = LocNet().decoder.conv2d_transpose_4
    x = torch.randn(2, 54, 16, 16)
    assert torch.allclose(transpose_as_conv(layer, x), layer(x), atol=1e-5)
