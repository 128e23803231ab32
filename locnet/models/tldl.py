"""TL;DL baseline (re-implemented as the LocNet paper did, docs/design.md §4): a ~31.0 M U-Net.

Ronneberger's U-Net with widths 64-128-256-512-1024, two 3x3 convs (padding 1, ReLU,
no batch norm) per level, 2x2 max-pool down, 2x2 stride-2 transposed conv up,
concatenated skips and a 1x1 output conv. The output map (B, 1, H, W) is regressed
with MSE onto a Gaussian target heatmap centred on the transmitter (peak 1, sigma
TARGET_SIGMA_PX pixels); the prediction is the argmax. Sides must be multiples of 16.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from locnet.models.base import HeatmapModel, check_input, gaussian_target
from locnet.models.registry import register

TARGET_SIGMA_PX = 2.0  # standard deviation of the Gaussian target heatmap, pixels (= metres)


@dataclass(frozen=True)
class TLDLConfig:
    in_channels: int = 2
    widths: tuple[int, ...] = (64, 128, 256, 512, 1024)
    sigma_px: float = TARGET_SIGMA_PX


def double_conv(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1),
        nn.ReLU(inplace=True),
    )


class TLDL(HeatmapModel):
    """forward -> (B, 1, H, W) heatmap regression; predict -> argmax of it."""

    def __init__(self, config: TLDLConfig | None = None) -> None:
        super().__init__()
        cfg = self.config = config or TLDLConfig()
        self.options = {}
        widths = cfg.widths
        inputs = (cfg.in_channels,) + widths[:-1]
        self.down = nn.ModuleList(double_conv(c_in, c_out) for c_in, c_out in zip(inputs, widths))
        self.up = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
            for i in reversed(range(len(widths) - 1))
        )
        self.up_conv = nn.ModuleList(
            double_conv(2 * widths[i], widths[i]) for i in reversed(range(len(widths) - 1))
        )
        self.head = nn.Conv2d(widths[0], 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "tldl", multiple=2 ** (len(self.config.widths) - 1))
        skips = []
        h = x
        for i, block in enumerate(self.down):
            h = block(h if i == 0 else F.max_pool2d(h, 2))
            skips.append(h)
        for up, conv, skip in zip(self.up, self.up_conv, reversed(skips[:-1])):
            h = conv(torch.cat((skip, up(h)), dim=1))
        return self.head(h)

    def training_loss(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        """MSE (mean over pixels) to the Gaussian heatmap (sigma TARGET_SIGMA_PX) around the Tx."""
        out = self.forward(x)
        target = gaussian_target(tx_xy, tuple(x.shape[-2:]), self.config.sigma_px)
        return F.mse_loss(out, target.to(out.dtype))


@register(
    "tldl",
    family="baseline",
    output="heatmap",
    trainable=True,
    description="TL;DL baseline: U-Net 64-1024 (no batch norm), ~31.0 M parameters; "
    f"MSE to a Gaussian heatmap (sigma {TARGET_SIGMA_PX:g} px) around the transmitter, argmax",
)
def build_tldl() -> TLDL:
    return TLDL()
