"""`locnet_voronoi`: LocNet fed densified sensor channels, for small training budgets.

The paper's input is two channels in which a few dozen of 65,536 pixels carry a reading:
the network must learn to spread them itself. Here the readings are spread before the
network sees them (Fukami et al., "Global field reconstruction from sparse sensors with
Voronoi tessellation-assisted deep learning", Nature Machine Intelligence 2021): each
pixel gets the reading of its nearest sensor (a Voronoi tessellation of the sensors) and
its distance to that sensor, beside the sensor mask and the two paper channels. The
features are computed inside the model from the standard encoding, so datasets,
evaluation and inference are the same as for every other model; the body is LocNet's,
five channels in instead of two. The exact `locnet` stays for the reproduction and the
authors' weights.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

from locnet.constants import MAP_SIZE
from locnet.models.base import check_input
from locnet.models.locnet import POOL_LEVELS, LocNet, LocNetConfig, LocNetOptions
from locnet.models.registry import register

VORONOI_CHANNELS = 5  # paper channels 0 and 1, nearest reading, distance, sensor mask


def voronoi_features(x: torch.Tensor) -> torch.Tensor:
    """(B, 2, H, W) paper encoding -> (B, 5, H, W): the two paper channels, each pixel's
    nearest sensor reading (gray / 255), its distance to that sensor (/ MAP_SIZE pixels),
    and the sensor mask. A map without sensors gets zeros in the three new channels."""
    sensors = (x[:, 1] > 0.5).cpu().numpy()
    readings = x[:, 0].detach().float().cpu().numpy()
    fill = np.zeros_like(readings)
    distance = np.zeros_like(readings)
    for i in range(x.shape[0]):
        if not sensors[i].any():
            continue
        dist, (rows, cols) = ndimage.distance_transform_edt(~sensors[i], return_indices=True)
        fill[i] = readings[i][rows, cols]
        distance[i] = dist / MAP_SIZE
    extra = torch.from_numpy(np.stack((fill, distance, sensors.astype(np.float32)), axis=1))
    return torch.cat((x, extra.to(device=x.device, dtype=x.dtype)), dim=1)


class LocNetVoronoi(LocNet):
    """LocNet on `voronoi_features` of its input (same heatmap, loss and target)."""

    def __init__(self, options: LocNetOptions) -> None:
        super().__init__(options, LocNetConfig(enc_in=VORONOI_CHANNELS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, "locnet_voronoi", multiple=2**POOL_LEVELS)
        bottleneck, skips = self.encoder(voronoi_features(x))
        return self.decoder(bottleneck, skips)


@register(
    "locnet_voronoi",
    family="locnet",
    output="heatmap",
    trainable=True,
    description="LocNet on densified inputs: nearest-sensor reading (Voronoi fill), distance "
    "to it and the sensor mask beside the paper's two channels (Fukami et al. 2021); "
    "the LocNet body with 5 input channels",
    config=LocNetOptions,
)
def build_locnet_voronoi(*, loss: str, env: bool, target_sigma: float) -> LocNetVoronoi:
    """LocNet-Voronoi with these options (LocNetOptions says what each means and its default)."""
    return LocNetVoronoi(LocNetOptions(loss=loss, env=env, target_sigma=target_sigma))
