"""DeepTxFinder baseline (re-implemented as the LocNet paper did, docs/design.md §4): ~67.4 M params.

A plain CNN regressor: four 3x3 conv + ReLU layers (32/64/128/128 channels), the
first three each followed by 2x2 max-pooling and dropout, so a 256x256 map ends as
128 x 32 x 32 = 131,072 features; FC 512 + ReLU + dropout; FC 2. The two outputs are
(x, y) normalised to [0, 1] (pixel / (MAP_SIZE - 1)) and trained with MSE. Almost all
parameters sit in the first FC layer (131,072 x 512 = 67.1 M), which is what fixes the
size; it also fixes the input size: this model takes only 256x256 maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from locnet.constants import MAP_SIZE, PIXEL_M
from locnet.models.base import LocalizationModel, Prediction, check_input
from locnet.models.registry import register


@dataclass(frozen=True)
class DeepTxFinderConfig:
    in_channels: int = 2
    widths: tuple[int, ...] = (32, 64, 128, 128)
    pooled: int = 3  # the first `pooled` convs are followed by 2x2 max-pool + dropout
    hidden: int = 512
    conv_dropout: float = 0.25
    fc_dropout: float = 0.5
    size: int = MAP_SIZE


class DeepTxFinder(LocalizationModel):
    """forward -> (B, 2) normalised (x, y); predict -> pixels clipped to the map.

    Prediction.scores is -distance (metres) from the predicted point: not a
    probability, only so the app can draw a map for this model too.
    """

    def __init__(self, config: DeepTxFinderConfig | None = None) -> None:
        super().__init__()
        cfg = self.config = config or DeepTxFinderConfig()
        self.options = {}
        layers: list[nn.Module] = []
        c_in = cfg.in_channels
        for i, width in enumerate(cfg.widths):
            layers += [nn.Conv2d(c_in, width, 3, padding=1), nn.ReLU(inplace=True)]
            if i < cfg.pooled:
                layers += [nn.MaxPool2d(2), nn.Dropout(cfg.conv_dropout)]
            c_in = width
        self.features = nn.Sequential(*layers)
        side = cfg.size // 2**cfg.pooled
        self.regressor = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c_in * side * side, cfg.hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(cfg.fc_dropout),
            nn.Linear(cfg.hidden, 2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "deeptxfinder", size=self.config.size)
        return self.regressor(self.features(x))

    def predict(self, x: torch.Tensor) -> Prediction:
        size = self.config.size
        xy = (self.forward(x).float() * (size - 1)).clamp(0.0, size - 1.0)
        ys, xs = torch.meshgrid(
            torch.arange(size, device=x.device, dtype=torch.float32),
            torch.arange(size, device=x.device, dtype=torch.float32),
            indexing="ij",
        )
        dist = torch.hypot(xs[None] - xy[:, 0, None, None], ys[None] - xy[:, 1, None, None])
        return Prediction(xy=xy, scores=-dist * PIXEL_M)

    def training_loss(self, x: torch.Tensor, tx_xy: torch.Tensor) -> torch.Tensor:
        """MSE between predicted and true (x, y), both normalised to [0, 1]."""
        out = self.forward(x)
        target = tx_xy.to(out.dtype) / (self.config.size - 1)
        return F.mse_loss(out, target)


@register(
    "deeptxfinder",
    family="baseline",
    output="coordinates",
    trainable=True,
    description="DeepTxFinder baseline: CNN 32/64/128/128 + FC 512 -> (x, y), ~67.4 M "
    "parameters; MSE on normalised coordinates, 256x256 inputs only",
)
def build_deeptxfinder() -> DeepTxFinder:
    return DeepTxFinder()
