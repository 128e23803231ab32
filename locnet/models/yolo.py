"""A one-class YOLOv3 (Darknet-53 backbone + three-scale FPN-style heads) for DeepMTL stage 2.

Written from the YOLOv3 paper's description (Redmon & Farhadi, 2018): every convolution is
conv -> BatchNorm -> LeakyReLU(0.1); Darknet-53 is a stem plus five stride-2 stages of
residual blocks (1, 2, 8, 8, 4); the neck upsamples the coarse features and concatenates
them with the finer backbone stages, giving detections at strides 32, 16 and 8.

Box convention: coordinates are in pixels with pixel k spanning [k, k + 1), so the centre
of pixel index k is k + 0.5. A raw head output has shape (B, A * (5 + C), H, W); per anchor
the channels are (t_x, t_y, t_w, t_h, objectness, class logits...).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

LEAKY_SLOPE = 0.1  # YOLOv3's LeakyReLU slope
STAGE_BLOCKS = (1, 2, 8, 8, 4)  # residual blocks per Darknet-53 stage
STRIDES = (32, 16, 8)  # detection heads, coarse to fine (pixels per grid cell)
# Anchor (width, height) in pixels per head, same order as STRIDES. DeepMTL's 5 px boxes
# always match the stride-8 anchors best; the coarse heads only learn "no object".
ANCHORS_PX = (
    ((32.0, 32.0), (48.0, 48.0), (64.0, 64.0)),
    ((12.0, 12.0), (16.0, 16.0), (24.0, 24.0)),
    ((4.0, 4.0), (6.0, 6.0), (8.0, 8.0)),
)
IGNORE_IOU = 0.5  # predicted boxes overlapping the truth this much are not "no object"
OBJECTNESS_PRIOR = 0.01  # initial objectness probability, keeps early loss/readout sane


def conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1) -> nn.Sequential:
    """Darknet's basic unit: conv (no bias) -> BatchNorm -> LeakyReLU(0.1), 'same' padding."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel, stride=stride, padding=kernel // 2, bias=False),
        nn.BatchNorm2d(c_out),
        nn.LeakyReLU(LEAKY_SLOPE, inplace=True),
    )


class Residual(nn.Module):
    """Darknet-53 residual block: 1x1 squeeze to half the channels, 3x3 back, add input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.squeeze = conv_bn(channels, channels // 2, 1)
        self.expand = conv_bn(channels // 2, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.expand(self.squeeze(x))


class Darknet53(nn.Module):
    """Backbone; returns features at strides 8, 16 and 32 (4, 8 and 16 x `width` channels)."""

    def __init__(self, in_channels: int = 1, width: int = 32) -> None:
        super().__init__()
        self.stem = conv_bn(in_channels, width, 3)
        stages = []
        channels = width
        for n_blocks in STAGE_BLOCKS:
            layers = [conv_bn(channels, channels * 2, 3, stride=2)]
            channels *= 2
            layers += [Residual(channels) for _ in range(n_blocks)]
            stages.append(nn.Sequential(*layers))
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = self.stem(x)
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features[2], features[3], features[4]


class HeadBlock(nn.Module):
    """Five alternating 1x1/3x3 convs (the 'route' output) then a 3x3 conv and the 1x1 predictor."""

    def __init__(self, c_in: int, c_mid: int, n_out: int) -> None:
        super().__init__()
        self.route = nn.Sequential(
            conv_bn(c_in, c_mid, 1),
            conv_bn(c_mid, c_mid * 2, 3),
            conv_bn(c_mid * 2, c_mid, 1),
            conv_bn(c_mid, c_mid * 2, 3),
            conv_bn(c_mid * 2, c_mid, 1),
        )
        self.expand = conv_bn(c_mid, c_mid * 2, 3)
        self.predict = nn.Conv2d(c_mid * 2, n_out, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        route = self.route(x)
        return route, self.predict(self.expand(route))


class YOLOv3(nn.Module):
    """Darknet-53 + three detection heads. forward -> raw outputs at strides (32, 16, 8)."""

    def __init__(self, in_channels: int = 1, num_classes: int = 1, width: int = 32) -> None:
        super().__init__()
        self.num_classes = num_classes
        n_anchors = len(ANCHORS_PX[0])
        n_out = n_anchors * (5 + num_classes)
        c3, c4, c5 = 8 * width, 16 * width, 32 * width  # backbone channels at strides 8/16/32
        self.backbone = Darknet53(in_channels, width)
        self.head32 = HeadBlock(c5, c5 // 2, n_out)
        self.lateral16 = conv_bn(c5 // 2, c4 // 2, 1)
        self.head16 = HeadBlock(c4 + c4 // 2, c4 // 2, n_out)
        self.lateral8 = conv_bn(c4 // 2, c3 // 2, 1)
        self.head8 = HeadBlock(c3 + c3 // 2, c3 // 2, n_out)
        self.register_buffer("anchors", torch.tensor(ANCHORS_PX), persistent=False)
        self._init_predictors()

    def _init_predictors(self) -> None:
        prior_logit = math.log(OBJECTNESS_PRIOR / (1.0 - OBJECTNESS_PRIOR))
        for head in (self.head32, self.head16, self.head8):
            bias = head.predict.bias.detach().view(-1, 5 + self.num_classes)
            bias.zero_()
            bias[:, 4] = prior_logit

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        f8, f16, f32 = self.backbone(x)
        route32, out32 = self.head32(f32)
        up16 = F.interpolate(self.lateral16(route32), scale_factor=2, mode="nearest")
        route16, out16 = self.head16(torch.cat((up16, f16), dim=1))
        up8 = F.interpolate(self.lateral8(route16), scale_factor=2, mode="nearest")
        _, out8 = self.head8(torch.cat((up8, f8), dim=1))
        return out32, out16, out8


def split_anchors(raw: torch.Tensor, n_anchors: int) -> torch.Tensor:
    """(B, A*(5+C), H, W) -> (B, A, H, W, 5+C)."""
    batch, channels, height, width = raw.shape
    return raw.view(batch, n_anchors, channels // n_anchors, height, width).permute(0, 1, 3, 4, 2)


def decode_boxes(
    raw: torch.Tensor, anchors_px: torch.Tensor, stride: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw head -> boxes (B, A, H, W, 4) as (cx, cy, w, h) pixels and confidence (B, A, H, W).

    cx = (column + sigmoid(t_x)) * stride; w = anchor_w * exp(t_w); confidence =
    sigmoid(objectness) * max class probability (YOLOv3's per-box score).
    """
    pred = split_anchors(raw, anchors_px.shape[0])
    height, width = pred.shape[2:4]
    rows = torch.arange(height, device=raw.device, dtype=raw.dtype).view(1, 1, height, 1)
    cols = torch.arange(width, device=raw.device, dtype=raw.dtype).view(1, 1, 1, width)
    cx = (cols + torch.sigmoid(pred[..., 0])) * stride
    cy = (rows + torch.sigmoid(pred[..., 1])) * stride
    anchor_wh = anchors_px.to(raw.dtype).view(1, -1, 1, 1, 2)
    wh = anchor_wh * torch.exp(pred[..., 2:4].clamp(max=10.0))
    boxes = torch.cat((cx.unsqueeze(-1), cy.unsqueeze(-1), wh), dim=-1)
    confidence = torch.sigmoid(pred[..., 4]) * torch.sigmoid(pred[..., 5:]).amax(dim=-1)
    return boxes, confidence


def best_box_centre(
    raw: torch.Tensor, anchors_px: torch.Tensor, stride: int, threshold: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Most confident box per image -> centre (B, 2) pixels (x, y), confidence (B,), passed (B,).

    The centre is in the [k, k + 1) pixel convention; subtract 0.5 for a pixel index.
    """
    boxes, confidence = decode_boxes(raw, anchors_px, stride)
    flat_conf = confidence.flatten(1)
    best_conf, best = flat_conf.max(dim=1)
    centres = boxes[..., :2].flatten(1, 3)[torch.arange(raw.shape[0], device=raw.device), best]
    return centres, best_conf, best_conf > threshold


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of (..., 4) centre-size boxes, broadcasting over leading dims."""
    a_lo, a_hi = a[..., :2] - a[..., 2:] / 2, a[..., :2] + a[..., 2:] / 2
    b_lo, b_hi = b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2
    inter = (torch.minimum(a_hi, b_hi) - torch.maximum(a_lo, b_lo)).clamp(min=0).prod(dim=-1)
    union = a[..., 2:].prod(dim=-1) + b[..., 2:].prod(dim=-1) - inter
    return inter / union.clamp(min=1e-9)


def yolo_loss(
    outputs: tuple[torch.Tensor, ...], anchors_px: torch.Tensor, gt_boxes: torch.Tensor
) -> torch.Tensor:
    """YOLOv3 loss for one ground-truth box per image, summed over boxes and cells, mean over batch.

    outputs: raw heads at STRIDES; anchors_px: (heads, A, 2); gt_boxes: (B, 4) (cx, cy, w, h)
    pixels, class 0. The truth goes to the anchor (over all heads) whose shape overlaps it
    best. Terms: BCE on the centre offset within the cell, squared error on log size ratio,
    objectness BCE (positives, plus negatives not overlapping the truth by IGNORE_IOU) and
    class BCE on the positive.
    """
    batch = gt_boxes.shape[0]
    n_anchors = anchors_px.shape[1]
    flat_anchors = anchors_px.reshape(-1, 2)
    shape_iou = box_iou(
        torch.cat((torch.zeros_like(flat_anchors), flat_anchors), dim=-1).unsqueeze(0),
        torch.cat((torch.zeros_like(gt_boxes[:, :2]), gt_boxes[:, 2:]), dim=-1).unsqueeze(1),
    )  # (B, heads * A)
    best_anchor = shape_iou.argmax(dim=1)
    images = torch.arange(batch, device=gt_boxes.device)
    total = gt_boxes.new_zeros(())
    for head, (raw, stride) in enumerate(zip(outputs, STRIDES)):
        pred = split_anchors(raw, n_anchors)
        height, width = pred.shape[2:4]
        with torch.no_grad():
            boxes, _ = decode_boxes(raw, anchors_px[head], stride)
            ious = box_iou(boxes, gt_boxes.view(batch, 1, 1, 1, 4))
        obj_target = torch.zeros_like(pred[..., 4])
        obj_weight = (ious <= IGNORE_IOU).to(pred.dtype)
        is_here = (best_anchor // n_anchors) == head
        if is_here.any():
            b = images[is_here]
            a = best_anchor[is_here] % n_anchors
            cell = gt_boxes[is_here, :2] / stride
            col = cell[:, 0].long().clamp(0, width - 1)
            row = cell[:, 1].long().clamp(0, height - 1)
            obj_target[b, a, row, col] = 1.0
            obj_weight[b, a, row, col] = 1.0
            positive = pred[b, a, row, col]  # (P, 5 + C)
            offset = cell - torch.stack((col, row), dim=1).to(cell.dtype)
            size = torch.log(gt_boxes[is_here, 2:] / anchors_px[head, a])
            total = total + F.binary_cross_entropy_with_logits(
                positive[:, :2], offset, reduction="sum"
            )
            total = total + F.mse_loss(positive[:, 2:4], size, reduction="sum")
            class_target = torch.zeros_like(positive[:, 5:])
            class_target[:, 0] = 1.0
            total = total + F.binary_cross_entropy_with_logits(
                positive[:, 5:], class_target, reduction="sum"
            )
        total = total + F.binary_cross_entropy_with_logits(
            pred[..., 4], obj_target, weight=obj_weight, reduction="sum"
        )
    return total / batch
