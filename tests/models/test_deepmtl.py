"""DeepMTL baseline: Sen2Peak stage, one-class YOLOv3 stage, readout and losses."""

import math

import pytest
import torch
from torch import nn

from locnet.errors import LocNetError
from locnet.models.base import Prediction
from locnet.models.deepmtl import (
    BOX_PX,
    PEAK_AMPLITUDE,
    PEAK_SIGMA_PX,
    DeepMTL,
    DeepMTLOutput,
    gaussian_peak_target,
    transmitter_boxes,
)
from locnet.models.registry import create_model
from locnet.models.yolo import ANCHORS_PX, STRIDES, best_box_centre, decode_boxes, yolo_loss

PAPER_PARAMS = 61.5e6
SMALL_WIDTH = 4  # Darknet stem channels for fast tests (full model: 32)
SIZE = 256
N_OUT = 3 * 6  # anchors x (box 4 + objectness + 1 class)
VERY_NEGATIVE = -20.0
VERY_POSITIVE = 20.0


@pytest.fixture(scope="module")
def small_model() -> DeepMTL:
    torch.manual_seed(0)
    return create_model("deepmtl", width=SMALL_WIDTH)


def quiet_heads(batch: int) -> tuple[torch.Tensor, ...]:
    """Raw detector outputs where no box has any confidence."""
    heads = []
    for stride in STRIDES:
        raw = torch.zeros(batch, N_OUT, SIZE // stride, SIZE // stride)
        raw.view(batch, 3, 6, SIZE // stride, SIZE // stride)[:, :, 4] = VERY_NEGATIVE
        heads.append(raw)
    return tuple(heads)


def light_box(raw: torch.Tensor, image: int, anchor: int, row: int, col: int) -> None:
    """Make one box in a raw head confident with centre offset 0.5 (t_x = t_y = 0)."""
    cell = raw.view(raw.shape[0], 3, 6, raw.shape[2], raw.shape[3])[image, anchor, :, row, col]
    cell[:4] = 0.0
    cell[4] = VERY_POSITIVE
    cell[5] = VERY_POSITIVE


def test_parameter_count_matches_paper():
    with torch.device("meta"):
        model = create_model("deepmtl")
    n_params = sum(p.numel() for p in model.parameters())
    assert abs(n_params - PAPER_PARAMS) / PAPER_PARAMS < 0.03
    assert sum(p.numel() for p in model.sen2peak.parameters()) < 20_000  # the detector dominates


def test_sen2peak_layer_structure(small_model):
    convs = [m for m in small_model.sen2peak.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in small_model.sen2peak.modules() if isinstance(m, nn.GroupNorm)]
    assert [(c.in_channels, c.out_channels) for c in convs] == [(2, 8), (8, 32), (32, 8), (8, 1)]
    assert all(c.kernel_size == (5, 5) and c.padding == (2, 2) for c in convs)
    assert [n.num_channels for n in norms] == [8, 32, 8]
    out = small_model.sen2peak(torch.zeros(1, 2, 64, 64))
    assert out.shape == (1, 1, 64, 64)


def test_gaussian_target_peaks_at_transmitter():
    tx = torch.tensor([[17, 200], [0, 255]])
    target = gaussian_peak_target(tx, size=SIZE)
    assert target.shape == (2, 1, SIZE, SIZE)
    assert target[0, 0, 200, 17] == pytest.approx(PEAK_AMPLITUDE)
    assert target[1, 0, 255, 0] == pytest.approx(PEAK_AMPLITUDE)
    assert target[0].flatten().argmax().item() == 200 * SIZE + 17
    one_px = PEAK_AMPLITUDE * math.exp(-1.0 / (2 * PEAK_SIGMA_PX**2))
    assert target[0, 0, 200, 18] == pytest.approx(one_px, rel=1e-5)
    assert target[0, 0, 201, 17] == pytest.approx(one_px, rel=1e-5)
    assert target[0, 0, 0, 0] == pytest.approx(0.0, abs=1e-12)
    assert (target[0] > 1.0).sum() == 9  # only the 3 x 3 pixels around the tx exceed 1


def test_decode_hand_made_box_gives_its_centre():
    raw = quiet_heads(1)[2]  # stride 8, 32 x 32 cells
    light_box(raw, image=0, anchor=1, row=3, col=5)
    anchors = torch.tensor(ANCHORS_PX[2])
    boxes, confidence = decode_boxes(raw, anchors, stride=8)
    assert boxes[0, 1, 3, 5].tolist() == pytest.approx([44.0, 28.0, 6.0, 6.0])
    centre, conf, passed = best_box_centre(raw, anchors, stride=8, threshold=0.8)
    assert centre[0].tolist() == pytest.approx([44.0, 28.0])  # (col + 0.5) * 8, (row + 0.5) * 8
    assert conf.item() == pytest.approx(1.0) and passed.item()
    assert confidence.flatten().topk(2).values[1] < 1e-6


def test_readout_uses_box_or_falls_back_to_stage1_argmax(small_model):
    peak = torch.zeros(2, 1, SIZE, SIZE)
    peak[0, 0, 100, 40] = 5.0  # (x, y) = (40, 100)
    peak[1, 0, 7, 250] = 5.0  # (x, y) = (250, 7)
    heads = list(quiet_heads(2))
    light_box(heads[2], image=1, anchor=0, row=3, col=5)  # a box only for image 1
    pred = small_model.readout(DeepMTLOutput(peak, tuple(heads)))
    assert isinstance(pred, Prediction)
    assert pred.xy[0].tolist() == [40.0, 100.0]  # no box passes 0.8: stage-1 argmax
    assert pred.xy[1].tolist() == pytest.approx([43.5, 27.5])  # box centre as a pixel index
    assert torch.equal(pred.scores, peak[:, 0])


def test_box_below_threshold_is_ignored(small_model):
    peak = torch.zeros(1, 1, SIZE, SIZE)
    peak[0, 0, 9, 3] = 1.0
    heads = list(quiet_heads(1))
    light_box(heads[2], image=0, anchor=2, row=20, col=20)
    heads[2].view(1, 3, 6, 32, 32)[0, 2, 4, 20, 20] = 1.0  # objectness 0.73 < 0.8
    pred = small_model.readout(DeepMTLOutput(peak, tuple(heads)))
    assert pred.xy[0].tolist() == [3.0, 9.0]


def test_forward_and_predict_shapes(small_model):
    x = torch.rand(2, 2, SIZE, SIZE)
    out = small_model(x)
    assert out.peak_map.shape == (2, 1, SIZE, SIZE)
    assert [tuple(d.shape) for d in out.detections] == [
        (2, N_OUT, SIZE // s, SIZE // s) for s in STRIDES
    ]
    pred = small_model.predict(x)
    assert pred.xy.shape == (2, 2) and pred.xy.dtype == torch.float32
    assert pred.scores.shape == (2, SIZE, SIZE)
    assert ((pred.xy >= 0) & (pred.xy <= SIZE - 1)).all()
    assert not pred.xy.requires_grad


def test_untrained_detector_falls_back(small_model):
    """The objectness prior keeps an untrained detector under 0.8, so stage 1 decides."""
    x = torch.rand(2, 2, SIZE, SIZE)
    small_model.eval()
    pred = small_model.predict(x)
    small_model.train()
    for image in range(2):
        row, col = divmod(pred.scores[image].argmax().item(), SIZE)
        assert pred.xy[image].tolist() == [col, row]


def test_training_loss_reaches_both_stages():
    torch.manual_seed(0)
    model = create_model("deepmtl", width=SMALL_WIDTH)
    x = torch.rand(2, 2, 64, 64)  # any multiple of 32 px works; small keeps the test fast
    tx = torch.tensor([[10, 50], [63, 0]])
    loss = model.training_loss(x, tx)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    assert model.sen2peak.conv1.weight.grad.abs().sum() > 0
    assert model.detector.head8.predict.weight.grad.abs().sum() > 0
    assert model.detector.backbone.stem[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("stage, trains_stage1, trains_detector", [
    ("sen2peak", True, False),
    ("detector", False, True),
])
def test_stage_option_trains_one_stage(stage, trains_stage1, trains_detector):
    model = create_model("deepmtl", width=SMALL_WIDTH, stage=stage)
    x = torch.rand(1, 2, 64, 64)
    model.training_loss(x, torch.tensor([[30, 20]])).backward()
    assert (model.sen2peak.conv1.weight.grad is not None) == trains_stage1
    assert (model.detector.head8.predict.weight.grad is not None) == trains_detector


def test_yolo_loss_prefers_the_true_cell():
    """A hand-made output confident at the truth's cell and anchor costs less than one cell off."""
    tx = torch.tensor([[43, 27]])  # pixel centre (43.5, 27.5): stride-8 cell (col 5, row 3)
    gt = transmitter_boxes(tx)
    assert gt[0].tolist() == [43.5, 27.5, BOX_PX, BOX_PX]
    anchors = torch.tensor(ANCHORS_PX)

    def output_at(col: int) -> tuple[torch.Tensor, ...]:
        heads = quiet_heads(1)
        cell = heads[2].view(1, 3, 6, 32, 32)[0, 1, :, 3, col]  # anchor 6 px fits 5 px best
        cell[0] = torch.logit(torch.tensor(43.5 / 8 - 5))
        cell[1] = torch.logit(torch.tensor(27.5 / 8 - 3))
        cell[2:4] = math.log(BOX_PX / 6.0)
        cell[4:6] = VERY_POSITIVE
        return heads

    right, wrong = yolo_loss(output_at(5), anchors, gt), yolo_loss(output_at(9), anchors, gt)
    assert torch.isfinite(right) and right < 2.0  # only the soft-target BCE entropy is left
    assert wrong > right + 10.0


def test_bad_options_and_sizes_raise():
    with pytest.raises(LocNetError):
        create_model("deepmtl", stage="yolo")
    with pytest.raises(LocNetError):
        create_model("deepmtl", width=3)
    model = create_model("deepmtl", width=SMALL_WIDTH)
    with pytest.raises(LocNetError):
        model(torch.zeros(1, 2, 100, 100))
    with pytest.raises(LocNetError):
        model.training_loss(torch.zeros(1, 2, 64, 64), torch.tensor([[1, 1]]), stage="all")


def test_registered_as_two_stage_baseline():
    from locnet.models.registry import model_info

    info = model_info("deepmtl")
    assert (info.family, info.output, info.trainable) == ("baseline", "two-stage", True)
    model = create_model("deepmtl", width=SMALL_WIDTH, stage="sen2peak")
    assert isinstance(model, DeepMTL) and model.options["stage"] == "sen2peak"


@pytest.mark.slow
def test_full_size_model_runs_on_cpu_batch_2():
    torch.manual_seed(0)
    model = create_model("deepmtl")
    x = torch.rand(2, 2, SIZE, SIZE)
    tx = torch.tensor([[5, 6], [128, 250]])
    loss = model.training_loss(x, tx)
    loss.backward()
    assert torch.isfinite(loss)
    model.eval()
    pred = model.predict(x)
    assert pred.xy.shape == (2, 2) and pred.scores.shape == (2, SIZE, SIZE)
