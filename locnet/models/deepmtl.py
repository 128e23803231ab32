"""DeepMTL baseline (Zhan et al., 2021), rebuilt as the LocNet paper compared it (docs/design.md §4).

Stage 1, "Sen2Peak": four 5x5 convolutions (2 -> 8 -> 32 -> 8 -> 1 channels, GroupNorm +
ReLU between) turn the sparse sensor input into a peak map, trained with squared error to a
Gaussian bump (amplitude 10, sigma 0.9 px) on the transmitter.
Stage 2: a one-class YOLOv3 (locnet.models.yolo) reads the stage-1 map (1 channel,
256 x 256, divided by the peak amplitude so a perfect peak is 1, and detached so the
detector never reshapes stage 1) and detects the transmitter as a 5 x 5 px box. Only the
stride-8 head (anchors 4/6/8 px) is read out: the most confident box centre if its
confidence exceeds 0.8, else the stage-1 argmax.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from locnet.constants import MAP_SIZE
from locnet.errors import LocNetError
from locnet.models.base import LocalizationModel, Prediction, argmax_xy
from locnet.models.registry import register
from locnet.models.yolo import STRIDES, YOLOv3, best_box_centre, yolo_loss

PEAK_AMPLITUDE = 10.0  # height of the Gaussian stage-1 target
PEAK_SIGMA_PX = 0.9  # its standard deviation, pixels
BOX_PX = 5.0  # side of the ground-truth box around the transmitter, pixels
CONFIDENCE_THRESHOLD = 0.8  # detector boxes below this fall back to the stage-1 argmax
READOUT_STRIDE = 8  # the detection head used for the prediction
SEN2PEAK_CHANNELS = (8, 32, 8, 1)
SEN2PEAK_KERNEL = 5
CHANNELS_PER_GROUP = 2  # GroupNorm groups = channels / 2
IN_CHANNELS = 2  # docs/design.md §1 input encoding
DARKNET_WIDTH = 32  # stem channels of the full Darknet-53
STAGES = ("both", "sen2peak", "detector")
MAX_STRIDE = max(STRIDES)


@dataclass(frozen=True)
class DeepMTLOptions:
    """DeepMTL's options (`create_model("deepmtl", ...)`, `train --opt`); their defaults
    live here only (the registry reads them)."""

    stage: str = "both"  # what training_loss trains: one of STAGES (see DeepMTL)
    width: int = DARKNET_WIDTH  # Darknet stem channels; 32 = the full YOLOv3
    confidence_threshold: float = CONFIDENCE_THRESHOLD  # readout: box below it -> stage-1 argmax
    env: bool = True  # inputs carry the building map; only recorded, the network is the same


class DeepMTLOutput(NamedTuple):
    """Raw outputs: stage-1 map (B, 1, H, W) and detector heads at strides (32, 16, 8)."""

    peak_map: torch.Tensor
    detections: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None


class Sen2Peak(nn.Module):
    """Stage 1: 4 'same'-padded 5x5 convs, GroupNorm + ReLU after the first three."""

    def __init__(self, in_channels: int = IN_CHANNELS) -> None:
        super().__init__()
        c1, c2, c3, c4 = SEN2PEAK_CHANNELS
        pad = SEN2PEAK_KERNEL // 2
        self.conv1 = nn.Conv2d(in_channels, c1, SEN2PEAK_KERNEL, padding=pad)
        self.norm1 = nn.GroupNorm(c1 // CHANNELS_PER_GROUP, c1)
        self.conv2 = nn.Conv2d(c1, c2, SEN2PEAK_KERNEL, padding=pad)
        self.norm2 = nn.GroupNorm(c2 // CHANNELS_PER_GROUP, c2)
        self.conv3 = nn.Conv2d(c2, c3, SEN2PEAK_KERNEL, padding=pad)
        self.norm3 = nn.GroupNorm(c3 // CHANNELS_PER_GROUP, c3)
        self.conv4 = nn.Conv2d(c3, c4, SEN2PEAK_KERNEL, padding=pad)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.norm1(self.conv1(x)))
        x = self.act(self.norm2(self.conv2(x)))
        x = self.act(self.norm3(self.conv3(x)))
        return self.conv4(x)


def gaussian_peak_target(
    tx_xy: torch.Tensor,
    size: int = MAP_SIZE,
    amplitude: float = PEAK_AMPLITUDE,
    sigma: float = PEAK_SIGMA_PX,
) -> torch.Tensor:
    """(B, 2) long (x, y) -> (B, 1, size, size) Gaussian bumps, `amplitude` at the tx pixel."""
    coords = torch.arange(size, device=tx_xy.device, dtype=torch.float32)
    dx = coords.view(1, 1, size) - tx_xy[:, 0].float().view(-1, 1, 1)
    dy = coords.view(1, size, 1) - tx_xy[:, 1].float().view(-1, 1, 1)
    return (amplitude * torch.exp(-(dx**2 + dy**2) / (2 * sigma**2))).unsqueeze(1)


def transmitter_boxes(tx_xy: torch.Tensor) -> torch.Tensor:
    """(B, 2) pixel indices -> (B, 4) BOX_PX boxes (cx, cy, w, h) centred on the pixel centres."""
    centre = tx_xy.float() + 0.5
    return torch.cat((centre, torch.full_like(centre, BOX_PX)), dim=1)


def check_size(x: torch.Tensor) -> None:
    """The detector halves the map five times, so sides must be multiples of 32 px."""
    if x.shape[-1] % MAX_STRIDE or x.shape[-2] % MAX_STRIDE:
        raise LocNetError(
            f"deepmtl: input {tuple(x.shape[-2:])} px must be a multiple of {MAX_STRIDE} per side"
        )


class DeepMTL(LocalizationModel):
    """Sen2Peak + one-class YOLOv3 (~61.5 M parameters at the default width).

    `stage` picks what `training_loss` trains: "sen2peak" (stage 1 alone, detector not
    run), "detector" (stage 1 frozen under no_grad, YOLO loss only) or "both" (sum; the
    detector still sees a detached map, so each loss trains only its own stage). The
    paper trained the stages one after the other: "sen2peak" then "detector".
    """

    def __init__(self, options: DeepMTLOptions | None = None) -> None:
        super().__init__()
        opts = options or DeepMTLOptions()
        if opts.stage not in STAGES:
            raise LocNetError(f"deepmtl: stage '{opts.stage}' is not one of {', '.join(STAGES)}")
        if opts.width < 2 or opts.width % 2:
            raise LocNetError(f"deepmtl: width must be a positive even number, got {opts.width}")
        self.stage = opts.stage
        self.confidence_threshold = opts.confidence_threshold
        self.sen2peak = Sen2Peak()
        self.detector = YOLOv3(in_channels=1, num_classes=1, width=opts.width)
        self.readout_head = STRIDES.index(READOUT_STRIDE)

    def detector_input(self, peak_map: torch.Tensor) -> torch.Tensor:
        """Stage-1 map scaled so a perfect peak is 1; detached (the stages train separately)."""
        return peak_map.detach() / PEAK_AMPLITUDE

    def forward(self, x: torch.Tensor) -> DeepMTLOutput:
        check_size(x)
        peak_map = self.sen2peak(x)
        return DeepMTLOutput(peak_map, self.detector(self.detector_input(peak_map)))

    def readout(self, output: DeepMTLOutput) -> Prediction:
        """Best stride-8 box centre above the threshold, else the stage-1 argmax (pixel index)."""
        scores = output.peak_map[:, 0]
        fallback = argmax_xy(scores)
        head = output.detections[self.readout_head]
        anchors = self.detector.anchors[self.readout_head]
        centre, _, passed = best_box_centre(
            head, anchors, READOUT_STRIDE, self.confidence_threshold
        )
        detected = (centre - 0.5).clamp(0, scores.shape[-1] - 1)
        xy = torch.where(passed.unsqueeze(1), detected, fallback)
        return Prediction(xy=xy, scores=scores, logits=scores)

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> Prediction:
        return self.readout(self(x))

    def training_loss(
        self, x: torch.Tensor, tx_xy: torch.Tensor, stage: str | None = None
    ) -> torch.Tensor:
        """Per-image summed squared error to the Gaussian target + YOLOv3 loss, mean over batch.

        The squared error is summed over pixels: a mean over 65,536 pixels would shrink
        the gradient of the ~9 peak pixels until an all-zero map looks converged.
        `stage` overrides the model's `stage` for this call.
        """
        check_size(x)
        stage = self.stage if stage is None else stage
        if stage not in STAGES:
            raise LocNetError(f"deepmtl: stage '{stage}' is not one of {', '.join(STAGES)}")
        loss = x.new_zeros(())
        if stage == "detector":
            with torch.no_grad():
                peak_map = self.sen2peak(x)
        else:
            peak_map = self.sen2peak(x)
            target = gaussian_peak_target(tx_xy, size=x.shape[-1]).to(peak_map.dtype)
            loss = loss + ((peak_map - target) ** 2).sum() / x.shape[0]
        if stage != "sen2peak":
            detections = self.detector(self.detector_input(peak_map))
            gt = transmitter_boxes(tx_xy).to(peak_map.dtype)
            loss = loss + yolo_loss(detections, self.detector.anchors, gt)
        return loss


@register(
    "deepmtl",
    family="baseline",
    output="two-stage",
    trainable=True,
    description="DeepMTL: Sen2Peak conv stage (squared error to a Gaussian peak, amplitude "
    f"{PEAK_AMPLITUDE:g}, sigma {PEAK_SIGMA_PX:g} px) + one-class YOLOv3 refining the peak "
    f"(~61.5 M); stride-{READOUT_STRIDE} box centre above confidence "
    f"{DeepMTLOptions().confidence_threshold:g}, else the stage-1 argmax",
    config=DeepMTLOptions,
)
def build_deepmtl(*, stage: str, width: int, confidence_threshold: float, env: bool) -> DeepMTL:
    """DeepMTL with these options (DeepMTLOptions says what each means and its default)."""
    return DeepMTL(DeepMTLOptions(stage, width, confidence_threshold, env))
