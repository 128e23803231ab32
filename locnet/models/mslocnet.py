"""MSLocNet baseline (re-implemented as the LocNet paper did, docs/design.md §4): ~0.31 M parameters.

A ResNet-style encoder (basic residual blocks, widths 12/24/48/96, 2-2-2-1 blocks,
stride-2 between stages) and a multi-scale fusion decoder: at each level the coarser
features are bilinearly upsampled x2, convolved to the finer width, added to the
encoder skip and fused by a 3x3 conv. The output map (B, 1, H, W) is regressed with
MSE onto the binary target map (1 on the transmitter pixel, 0 elsewhere); the
prediction is its argmax. Fully convolutional: sides must be multiples of 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from locnet.models.base import HeatmapModel, check_input, one_hot_target
from locnet.models.registry import register


@dataclass(frozen=True)
class MSLocNetConfig:
    in_channels: int = 2
    widths: tuple[int, ...] = (12, 24, 48, 96)
    blocks: tuple[int, ...] = (2, 2, 2, 1)


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class BasicBlock(nn.Module):
    """Two 3x3 conv + BN with an identity (or 1x1 projection) shortcut, as in ResNet-18."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)), inplace=True)
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x), inplace=True)


class FusionStep(nn.Module):
    """Upsample coarse features x2, project to the skip's width, add the skip, fuse."""

    def __init__(self, c_coarse: int, c_fine: int) -> None:
        super().__init__()
        self.project = conv_bn_relu(c_coarse, c_fine)
        self.fuse = conv_bn_relu(c_fine, c_fine)

    def forward(self, coarse: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(coarse, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.fuse(self.project(up) + skip)


class MSLocNet(HeatmapModel):
    """forward -> (B, 1, H, W) map regressed onto the binary target; predict -> argmax."""

    def __init__(self, config: MSLocNetConfig | None = None) -> None:
        super().__init__()
        cfg = self.config = config or MSLocNetConfig()
        self.options = {}
        self.stem = conv_bn_relu(cfg.in_channels, cfg.widths[0])
        stages = []
        c_in = cfg.widths[0]
        for i, (width, count) in enumerate(zip(cfg.widths, cfg.blocks)):
            first = BasicBlock(c_in, width, stride=1 if i == 0 else 2)
            rest = [BasicBlock(width, width) for _ in range(count - 1)]
            stages.append(nn.Sequential(first, *rest))
            c_in = width
        self.stages = nn.ModuleList(stages)
        levels = reversed(range(len(cfg.widths) - 1))
        self.fusion = nn.ModuleList(FusionStep(cfg.widths[i + 1], cfg.widths[i]) for i in levels)
        self.head = nn.Conv2d(cfg.widths[0], 1, 1)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "mslocnet", multiple=2 ** (len(self.config.widths) - 1))
        features = []
        h = self.stem(x)
        for stage in self.stages:
            h = stage(h)
            features.append(h)
        h = features[-1]
        for step, skip in zip(self.fusion, reversed(features[:-1])):
            h = step(h, skip)
        return self.head(h)

    def training_loss(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        """MSE (mean over pixels) between the output map and the one-hot binary target."""
        out = self.forward(x)
        return F.mse_loss(out, one_hot_target(tx_xy, x.shape[-1]).to(out.dtype))


@register(
    "mslocnet",
    family="baseline",
    output="heatmap",
    trainable=True,
    description="MSLocNet baseline: ResNet-style encoder (12/24/48/96) + multi-scale fusion "
    "decoder, ~0.31 M parameters; MSE to the one-hot binary target map, argmax",
)
def build_mslocnet() -> MSLocNet:
    return MSLocNet()
