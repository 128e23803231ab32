"""LocNet (Le & Huang, PAKDD 2024): a 128,743-parameter U-Net-like heatmap network.

Attribute names follow the authors' code exactly (docs/design.md §2) so their bare
state_dict (82 tensors) loads with strict=True: `encoder.conv2d`, `encoder.bn_0`,
..., `decoder.conv2d_transpose_9`, `decoder.conv2d_output`.
Fully convolutional: any input whose side is a multiple of 8 (256 or 128 crops).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from locnet.models.base import (
    LocalizationModel,
    Prediction,
    argmax_xy,
    check_input,
    gaussian_target,
)
from locnet.models.losses import get_loss
from locnet.models.registry import register

LEAKY_SLOPE = 0.3  # LeakyReLU negative slope after every normalisation
POOL_LEVELS = 3  # AvgPool 2x2 steps: input sides must be multiples of 2**3
# Output layer starts near a constant low probability (RetinaNet's prior init): with
# kaiming weights on the 1-channel output the first heatmaps are saturated noise, and the
# focal loss (gamma 3) pulls saturated background down only very slowly.
OUTPUT_PRIOR = 0.01
OUTPUT_INIT_STD = 0.01


# What the shipped LocNet checkpoints were trained with (each file records it in
# options.target_sigma; tests/models/test_locnet.py checks checkpoints/locnet.pt).
SHIPPED_TARGET_SIGMA_PX = 16.0


@dataclass(frozen=True)
class LocNetOptions:
    """A LocNet's options: what `create_model("locnet", ...)` and `train --loss/--no-env/--opt`
    set and a checkpoint records (`model.options`). Their defaults live here only (the
    registry reads them) and are the paper's setting."""

    loss: str = "focal"  # focal, bbce, ft or mse (locnet.models.losses)
    env: bool = True  # inputs carry the building map; only recorded, the network is the same
    # training target: 0 = the paper's one-hot pixel; > 0 = a Gaussian of this sigma
    # (pixels) around the transmitter (`--opt target_sigma=16`); inference is unchanged
    target_sigma: float = 0.0


def target_words(sigma: float) -> str:
    """How a target_sigma reads in a description."""
    if sigma > 0:
        return f"a Gaussian target (sigma {sigma:g} px, target_sigma={sigma:g})"
    return "the paper's one-hot pixel target (target_sigma=0)"


@dataclass(frozen=True)
class LocNetConfig:
    enc_in: int = 2
    n_dim: int = 27
    enc_out: int = 4
    dec_out: int = 1
    groups: int = 9  # GroupNorm groups for the n_dim-wide layers
    bottleneck_groups: int = 2  # GroupNorm groups for the enc_out-wide layers


def _upsample(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)


class Encoder(nn.Module):
    """Three levels of 3 convs (full, 1/2, 1/4 resolution) then a 4-channel bottleneck at 1/8."""

    def __init__(self, cfg: LocNetConfig) -> None:
        super().__init__()
        dims = [cfg.enc_in] + [cfg.n_dim] * 9
        for i in range(9):
            name = "conv2d" if i == 0 else f"conv2d_{i}"
            setattr(self, name, nn.Conv2d(dims[i], dims[i + 1], 3, padding="same"))
            setattr(self, f"bn_{i}", nn.GroupNorm(cfg.groups, cfg.n_dim))
        self.mu = nn.Conv2d(cfg.n_dim, cfg.enc_out, 3, padding="same")
        self.bn_9 = nn.GroupNorm(cfg.bottleneck_groups, cfg.enc_out)
        self.pool = nn.AvgPool2d(2)

    def _block(self, x: torch.Tensor, index: int) -> torch.Tensor:
        conv = getattr(self, "conv2d" if index == 0 else f"conv2d_{index}")
        return F.leaky_relu(getattr(self, f"bn_{index}")(conv(x)), LEAKY_SLOPE)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        skips = []
        for level in range(3):
            for j in range(3):
                x = self._block(x, 3 * level + j)
            skips.append(x)
            x = self.pool(x)
        x = F.leaky_relu(self.bn_9(self.mu(x)), LEAKY_SLOPE)
        return x, skips


def transpose_as_conv(layer: nn.ConvTranspose2d, x: torch.Tensor) -> torch.Tensor:
    """Same result as layer(x) for a stride-1 3x3 transposed conv with padding 1.

    A stride-1 transposed convolution is a plain convolution with the kernel flipped
    and in/out channels swapped; plain convolutions have the fast oneDNN CPU path
    (about 2x faster than conv_transpose2d on CPU). Parameters stay those of `layer`.
    """
    weight = layer.weight.flip(2, 3).transpose(0, 1)
    return F.conv2d(x, weight, layer.bias, padding=layer.kernel_size[0] - 1 - layer.padding[0])


class Decoder(nn.Module):
    """Transposed 3x3 convs (stride 1) with bilinear x2 upsampling and concatenated skips."""

    def __init__(self, cfg: LocNetConfig) -> None:
        super().__init__()
        n = cfg.n_dim
        self.conv2d_transpose = nn.ConvTranspose2d(cfg.enc_out, cfg.enc_out, 3, padding=1)
        self.bn_0 = nn.GroupNorm(cfg.bottleneck_groups, cfg.enc_out)
        in_dims = [cfg.enc_out + n, n, n, 2 * n, n, n, 2 * n, n, n]
        for i, dim in enumerate(in_dims, start=1):
            setattr(self, f"conv2d_transpose_{i}", nn.ConvTranspose2d(dim, n, 3, padding=1))
            setattr(self, f"bn_{i}", nn.GroupNorm(cfg.groups, n))
        self.conv2d_output = nn.Conv2d(n, cfg.dec_out, 1)

    def _block(self, x: torch.Tensor, index: int) -> torch.Tensor:
        conv = getattr(self, "conv2d_transpose" if index == 0 else f"conv2d_transpose_{index}")
        return F.leaky_relu(getattr(self, f"bn_{index}")(transpose_as_conv(conv, x)), LEAKY_SLOPE)

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        x = self._block(x, 0)
        for level, skip in enumerate(reversed(skips)):
            x = torch.cat((_upsample(x), skip), dim=1)
            for j in range(1, 4):
                x = self._block(x, 3 * level + j)
        return self.conv2d_output(x)


class LocNet(LocalizationModel):
    """Heatmap model: forward -> logits (B, 1, H, W); predict -> sigmoid heatmap + argmax."""

    def __init__(self, options: LocNetOptions | None = None, config: LocNetConfig | None = None):
        super().__init__()
        options = options or LocNetOptions()
        self.config = config or LocNetConfig()
        self.loss_name = options.loss
        self.loss_fn = get_loss(options.loss)
        self.target_sigma = float(options.target_sigma)
        if not self.target_sigma >= 0:
            raise ValueError(f"target_sigma must be >= 0 pixels, got {options.target_sigma}")
        self.encoder = Encoder(self.config)
        self.decoder = Decoder(self.config)
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        head = self.decoder.conv2d_output
        nn.init.normal_(head.weight, std=OUTPUT_INIT_STD)
        nn.init.constant_(head.bias, -math.log((1 - OUTPUT_PRIOR) / OUTPUT_PRIOR))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "locnet", multiple=2**POOL_LEVELS)
        bottleneck, skips = self.encoder(x)
        return self.decoder(bottleneck, skips)

    def predict(self, x: torch.Tensor) -> Prediction:
        logits = self.forward(x)[:, 0]
        heat = torch.sigmoid(logits)
        return Prediction(xy=argmax_xy(heat), scores=heat, logits=logits)

    def training_loss(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        logits = self.forward(x)
        target = gaussian_target(tx_xy, x.shape[-1], self.target_sigma)
        return self.loss_fn(logits, target.to(logits.dtype))

    def extra_repr(self) -> str:
        return (
            f"loss={self.loss_name}, target_sigma={self.target_sigma}, "
            f"config={asdict(self.config)}"
        )


_DEFAULT = LocNetOptions()


@register(
    "locnet",
    family="locnet",
    output="heatmap",
    trainable=True,
    description="LocNet (PAKDD 2024): 128,743-parameter GroupNorm U-Net; argmax of the "
    f"sigmoid heatmap. Trained by default with {_DEFAULT.loss} loss on "
    f"{target_words(_DEFAULT.target_sigma)}; the shipped checkpoints on "
    f"{target_words(SHIPPED_TARGET_SIGMA_PX)}",
    config=LocNetOptions,
    variants={
        "noenv": {"env": False},
        "bbce": {"loss": "bbce"},
        "ft": {"loss": "ft"},
        "mse": {"loss": "mse"},
    },
)
def build_locnet(*, loss: str, env: bool, target_sigma: float) -> LocNet:
    """LocNet with these options (LocNetOptions says what each means and its default)."""
    return LocNet(LocNetOptions(loss=loss, env=env, target_sigma=target_sigma))
