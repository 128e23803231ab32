"""Every registered model through the one contract: build, predict, train, size."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import torch

from locnet.errors import LocNetError
from locnet.models.base import LocalizationModel, Prediction
from locnet.models.registry import available_models, count_parameters, create_model, model_info

ALL_MODELS = {
    "locnet", "mslocnet", "tldl", "deepmtl", "deeptxfinder",
    "centre", "strongest", "centroid", "pathloss",
}
# Paper sizes (docs/design.md §2, §4); LocNet must match exactly, baselines within 3 %.
EXPECTED_PARAMS = {
    "locnet": 128_743, "mslocnet": 0.31e6, "tldl": 31.0e6, "deepmtl": 61.5e6,
    "deeptxfinder": 67.4e6,
    "centre": 0, "strongest": 0, "centroid": 0, "pathloss": 0,
}
BIG = {"tldl", "deepmtl"}  # > 5 s for a 256x256 batch of 2 on a 2-core CPU
FIXED_SIZE = {"deeptxfinder", "deepmtl"}  # train on full 256x256 maps; others on 64x64 crops


def _names(trainable_only: bool = False, slow: set[str] = BIG):
    names = sorted(ALL_MODELS)
    if trainable_only:
        names = [n for n in names if model_info(n).trainable]
    return [pytest.param(n, marks=pytest.mark.slow) if n in slow else n for n in names]


def _batch(size: int = 256) -> torch.Tensor:
    """Two encoded inputs: a building block, 20 sensors with random readings in the top rows."""
    gen = torch.Generator().manual_seed(0)
    x = torch.zeros(2, 2, size, size)
    x[:, 1, size // 2 : size // 2 + size // 8, size // 4 : 3 * size // 4] = -1.0
    for b in range(2):
        idx = torch.randperm(size * (size // 3), generator=gen)[:20]  # top third: all outdoor
        rows, cols = idx // size, idx % size
        x[b, 1, rows, cols] = 1.0
        x[b, 0, rows, cols] = torch.randint(0, 256, (20,), generator=gen).float() / 255
    return x


def test_all_models_registered():
    assert ALL_MODELS <= set(available_models())


def test_metadata_is_consistent():
    for name in ALL_MODELS:
        info = model_info(name)
        assert info.family in {"locnet", "baseline", "classical"}
        assert info.output in {"heatmap", "coordinates", "two-stage"}
        assert info.description
        assert info.trainable == (info.family != "classical")


def test_unknown_model_names_the_choices():
    with pytest.raises(LocNetError, match="locnet"):
        create_model("resnet")


@pytest.mark.parametrize("name", _names())
def test_builds_and_predicts_batch_of_two(name):
    torch.manual_seed(0)
    model = create_model(name).eval()
    assert isinstance(model, LocalizationModel)
    with torch.inference_mode():
        pred = model.predict(_batch())
    assert isinstance(pred, Prediction)
    assert pred.xy.shape == (2, 2) and pred.xy.dtype == torch.float32
    assert torch.all((pred.xy >= 0) & (pred.xy <= 255))
    assert pred.scores is not None and pred.scores.shape == (2, 256, 256)
    assert torch.isfinite(pred.scores).all()


@pytest.mark.parametrize("name", _names(trainable_only=True, slow=BIG | {"deeptxfinder"}))
def test_training_loss_finite_and_backpropagates(name):
    torch.manual_seed(0)
    model = create_model(name).train()
    size = 256 if name in FIXED_SIZE else 64
    loss = model.training_loss(_batch(size), torch.tensor([[10, 20], [size - 1, size // 2]]))
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and any(g is not None and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", sorted(ALL_MODELS))
def test_parameter_counts(name):
    count = count_parameters(create_model(name))
    expected = EXPECTED_PARAMS[name]
    if name == "locnet" or expected == 0:
        assert count == expected
    else:
        assert count == pytest.approx(expected, rel=0.03)


def test_create_model_merges_options_over_the_registered_defaults():
    assert create_model("locnet").options == {"env": True, "loss": "focal"}
    assert create_model("locnet", loss="bbce").options == {"env": True, "loss": "bbce"}
    assert create_model("locnet", target_sigma=4.0).options == {
        "env": True, "loss": "focal", "target_sigma": 4.0,
    }  # fmt: skip
    assert create_model("mslocnet").options == {}


def test_defaults_live_once_in_each_familys_config():
    """The registry holds no defaults of its own: it reads the family's options dataclass,
    and the registered constructors declare none (register refuses one that does)."""
    import dataclasses
    import inspect

    from locnet.models.deepmtl import DeepMTLOptions
    from locnet.models.locnet import LocNetOptions
    from locnet.models.registry import default_options

    assert model_info("locnet").config is LocNetOptions
    assert model_info("deepmtl").config is DeepMTLOptions
    for name in ALL_MODELS:
        info = model_info(name)
        params = inspect.signature(info.constructor).parameters.values()
        assert all(p.default is p.empty for p in params), name
        expected = dataclasses.asdict(info.config()) if info.config else {}
        assert default_options(name) == expected
        assert info.defaults == {k: expected[k] for k in info.defaults}  # variant-naming ones
    assert model_info("locnet").defaults == {"env": LocNetOptions.env, "loss": LocNetOptions.loss}


def test_create_model_without_options_builds_the_documented_defaults():
    from locnet.models.deepmtl import DeepMTLOptions
    from locnet.models.locnet import LocNetOptions

    locnet = create_model("locnet")
    assert locnet.loss_name == LocNetOptions.loss
    assert locnet.target_sigma == LocNetOptions.target_sigma
    with torch.device("meta"):
        deepmtl = create_model("deepmtl")
    defaults = DeepMTLOptions()
    assert (deepmtl.stage, deepmtl.confidence_threshold) == (
        defaults.stage, defaults.confidence_threshold,
    )  # fmt: skip
    assert deepmtl.detector.backbone.stem[0].weight.shape[0] == defaults.width
    with pytest.raises(TypeError, match="width"):
        create_model("locnet", width=3)  # an option the family's config does not declare


def test_register_refuses_a_constructor_with_defaults_of_its_own():
    from locnet.models.registry import register

    @dataclass(frozen=True)
    class Options:
        width: int = 4

    def build(*, width: int = 8) -> LocalizationModel:
        raise AssertionError("never built")

    with pytest.raises(ValueError, match="defaults live once, in the config"):
        register("bad", family="baseline", output="heatmap", trainable=True, description="x",
                 config=Options)(build)  # fmt: skip


def test_descriptions_say_what_the_code_and_the_shipped_weights_do():
    from locnet.models.locnet import SHIPPED_TARGET_SIGMA_PX, LocNetOptions, target_words
    from locnet.models.tldl import TARGET_SIGMA_PX

    text = model_info("locnet").description
    default = target_words(LocNetOptions.target_sigma)  # the one-hot pixel while sigma is 0
    assert f"by default with {LocNetOptions.loss} loss on {default}" in text
    assert f"shipped checkpoints on {target_words(SHIPPED_TARGET_SIGMA_PX)}" in text
    assert "Gaussian target (sigma 16 px" in text
    assert f"Gaussian heatmap (sigma {TARGET_SIGMA_PX:g} px)" in model_info("tldl").description
    assert "one-hot" in model_info("mslocnet").description


def test_variants_resolve_to_options_and_back_to_names():
    from locnet.models.registry import list_variants, variant_id, variant_label, variant_options

    assert list_variants("locnet") == [
        "locnet", "locnet-noenv", "locnet-bbce", "locnet-ft", "locnet-mse",
    ]  # fmt: skip
    for name in [*list_variants("locnet"), "locnet-noenv-bbce", "tldl"]:
        model, options = variant_options(name)
        assert variant_id(model, options) == name
    assert variant_options("locnet-noenv-mse") == ("locnet", {"env": False, "loss": "mse"})
    assert variant_options("locnet") == ("locnet", {"env": True, "loss": "focal"})
    assert variant_label("locnet") == "env-focal"
    assert variant_label("locnet", {"env": False, "target_sigma": 16.0}) == "noenv-focal"
    assert variant_label("deepmtl", {"env": True}) == "default"
    with pytest.raises(LocNetError, match="locnet-noenv"):
        variant_options("locnet-huge")
    with pytest.raises(LocNetError, match="unknown model"):
        variant_options("resnet-50")


def test_a_variant_may_only_override_options_with_defaults():
    from locnet.models.registry import register

    @dataclass(frozen=True)
    class EnvOnly:
        env: bool = True

    def build(*, env: bool) -> LocalizationModel:
        raise AssertionError("never built")

    with pytest.raises(ValueError, match="without defaults.*width not in EnvOnly"):
        register(
            "bad", family="baseline", output="heatmap", trainable=True, description="x",
            config=EnvOnly, variants={"wide": {"width": 8}},
        )(build)  # fmt: skip
    with pytest.raises(ValueError, match="without defaults.*no config"):
        register(
            "bad", family="baseline", output="heatmap", trainable=True, description="x",
            variants={"noenv": {"env": False}},
        )(build)  # fmt: skip
