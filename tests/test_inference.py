"""Inference API for the app: devices, model loading, input validation, top-k peaks, and
the one answer record (Answer: its row, error, readout switch)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from locnet.constants import FLOOR_DB, MAP_SIZE
from locnet.errors import LocNetError
from locnet.inference import (
    NO_POSTERIOR,
    Answer,
    answer_row,
    error_m,
    load_model,
    predict,
    top_peaks,
    with_readout,
)
from locnet.models import checkpoints as ckpt
from locnet.models import registry
from locnet.models.device import pick_device
from tests.models.test_checkpoints import TinyNet, tiny_model  # noqa: F401  (fixture)


@pytest.fixture
def city() -> np.ndarray:
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    buildings[100:140, 100:140] = 1
    return buildings


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type in {"cpu", "cuda", "mps"}
    if not torch.cuda.is_available():
        with pytest.raises(LocNetError, match="CUDA is not available.*--device cpu"):
            pick_device("cuda")
    with pytest.raises(LocNetError, match="unknown device 'tpu'"):
        pick_device("tpu")


def test_strongest_sensor_from_readings_and_from_mask(city):
    model = load_model("strongest", device="cpu")
    sensors = [(10, 20, -90.0), (200, 30, -60.5), (50, 220, FLOOR_DB)]
    result = predict(model, city, sensors=sensors, top_k=3, label="strongest")
    assert isinstance(result, Answer) and result.device == "cpu" and result.label == "strongest"
    assert result.xy == (200.0, 30.0) and result.runtime_ms >= 0
    assert result.readout == "point" and result.checkpoint == "" and result.problem is None
    assert result.heatmap.shape == (MAP_SIZE, MAP_SIZE)
    mask = np.zeros_like(city)
    gray = np.zeros_like(city)
    mask[30, 200] = mask[20, 10] = 1
    gray[30, 200], gray[20, 10] = 200, 90
    assert predict(model, city, mask=mask, radio_gray=gray).xy == (200.0, 30.0)


def test_bad_input_is_a_clear_error(city):
    model = load_model("centre", device="cpu")
    cases = [
        (dict(sensors=[]), "no sensor"),
        (dict(), "no sensors"),
        (dict(sensors=[(120, 120, -80.0)]), "on a building"),
        (dict(sensors=[(300, 5, -80.0)]), "off the map"),
        (dict(sensors=[(-1, 5, -80.0)]), "off the map"),
        (dict(sensors=[(5, 5, float("nan"))]), "finite dB"),
        (dict(mask=np.zeros_like(city), radio_gray=np.zeros_like(city)), "has no sensor"),
        (dict(mask=city.copy(), radio_gray=np.zeros_like(city)), "on buildings"),
        (dict(sensors=[(5, 5, -80.0)], mask=city), "not both"),
    ]
    for kwargs, message in cases:
        with pytest.raises(LocNetError, match=message):
            predict(model, city, **kwargs)
    with pytest.raises(ValueError, match=r"shape \(128, 128\)"):
        predict(model, np.zeros((128, 128)), sensors=[(5, 5, -80.0)])


def test_top_peaks_are_distinct_local_maxima():
    scores = torch.zeros(MAP_SIZE, MAP_SIZE)
    scores[50, 60] = 0.9
    scores[50, 62] = 0.8  # within 5 px of the best: not a separate candidate
    scores[200, 10] = 0.7
    scores[100:103, 100:103] = 0.5  # a plateau counts once
    peaks = top_peaks(scores, 3)
    assert [(x, y) for x, y, _ in peaks][:2] == [(60, 50), (10, 200)]
    assert len(peaks) == 3 and 100 <= peaks[2][0] <= 102 and math.isclose(peaks[2][2], 0.5)
    assert [p[2] for p in peaks] == sorted((p[2] for p in peaks), reverse=True)
    assert top_peaks(scores, 0) == []
    excluded = torch.full((MAP_SIZE, MAP_SIZE), float("-inf"))
    excluded[7, 9] = -3.0  # e.g. a score map that rules out every other pixel
    assert top_peaks(excluded, 5) == [(9, 7, -3.0)]


def test_top_peaks_match_a_brute_force_reference():
    """Greedy over local maxima (max of their 11 x 11 window), best first, spaced > 5 px."""
    rng = np.random.default_rng(1)
    for trial in range(5):
        scores = rng.standard_normal((40, 40)).astype(np.float32)
        if trial % 2:
            scores = np.round(scores)  # plateaus and ties
        window = {
            (x, y): scores[max(y - 5, 0) : y + 6, max(x - 5, 0) : x + 6].max()
            for y in range(40)
            for x in range(40)
        }
        maxima = sorted(
            ((-scores[y, x], y * 40 + x) for (x, y), m in window.items() if scores[y, x] == m)
        )
        expected = []
        for _, i in maxima:
            x, y = i % 40, i // 40
            if all(max(abs(x - cx), abs(y - cy)) > 5 for cx, cy, _ in expected):
                expected.append((x, y, float(scores[y, x])))
        k = 4
        got = top_peaks(scores, k)
        assert got == expected[:k]
        assert top_peaks(torch.from_numpy(scores), k) == got


def test_load_model_from_checkpoint_and_heatmap_top_k(tmp_path, city, tiny_model):
    ckpt.save_checkpoint(
        tmp_path / "tiny-noenv.pt", tiny_model, registry.create_model(tiny_model, env=False)
    )
    model = load_model("tiny-noenv", tmp_path, device="cpu")
    assert isinstance(model, TinyNet) and model.options["env"] is False
    result = predict(model, city, sensors=[(10, 10, -60.0), (240, 240, -100.0)], top_k=4)
    assert len(result.top_k) == 4
    sha = ckpt.file_sha256(tmp_path / "tiny-noenv.pt")
    assert result.checkpoint == f"tiny-noenv.pt sha256:{sha[:12]}"
    best = result.top_k[0]
    assert result.heatmap[best[1], best[0]] == pytest.approx(best[2])
    assert result.heatmap.max() == pytest.approx(best[2])
    torch.save(registry.create_model(tiny_model).state_dict(), tmp_path / "bare.pt")
    assert isinstance(load_model(tmp_path / "bare.pt", device="cpu", name=tiny_model), TinyNet)
    with pytest.raises(LocNetError, match="needs trained weights.*-m locnet train --model locnet"):
        load_model("locnet", tmp_path, device="cpu")


def test_env_flag_of_the_model_decides_the_encoding(city, monkeypatch, tiny_model):
    seen = []
    model = registry.create_model(tiny_model, env=False)
    monkeypatch.setattr(model, "predict", lambda x: (seen.append(x), TinyNet.predict(model, x))[1])
    predict(model, city, sensors=[(10, 10, -60.0)])
    assert seen[0][0, 1].min() == 0  # buildings hidden: channel 1 is the mask only
    model.options["env"] = True
    predict(model, city, sensors=[(10, 10, -60.0)])
    assert seen[1][0, 1].min() == -1


def test_answer_row_error_and_readout_switch():
    """One record: another readout without rerunning, the error against a truth, and the
    one flat row (metres) every table is made from."""
    answer = Answer(
        "LocNet",
        xy=(10.0, 10.0),
        readout="mode",
        readouts={"mode": (10.0, 10.0), "mean": (13.0, 14.0)},
        top_k=[(10, 10, 0.9), (50, 60, 0.2)],
        posterior=np.zeros((2, 2), dtype=np.float32),
        region_area_m2=(100.0, 400.0 * np.pi),
        expected_error_m=9.0,
        expected_errors_m={"mode": 9.0, "mean": 7.0},
        checkpoint="locnet.pt sha256:0123456789ab",
        runtime_ms=12.5,
        device="cpu",
    )
    mean = with_readout(answer, "mean")
    assert mean.xy == (13.0, 14.0) and mean.readout == "mean" and mean.expected_error_m == 7.0
    assert answer.readout == "mode" and error_m(mean, (10, 10)) == pytest.approx(5.0)
    assert with_readout(answer, None) is answer and with_readout(answer, "mode") is answer
    assert with_readout(answer, "median") is answer  # a readout the answer does not hold
    assert error_m(answer, None) is None
    row = answer_row(mean, (10, 10), latlon=(60.1, 24.9))
    assert row["model"] == "LocNet" and (row["x_m"], row["y_m"]) == (13.0, 14.0)
    assert row["error_m"] == pytest.approx(5.0) and row["radius_90_m"] == pytest.approx(20.0)
    assert (row["lat"], row["lon"]) == (60.1, 24.9) and row["area_50_m2"] == 100.0
    assert row["calibration"] == "uncalibrated (T = 1)" and row["problem"] == ""
    assert row["top_k_m"] == [(10.0, 10.0), (50.0, 60.0)] and row["checkpoint"] == answer.checkpoint
    point = Answer("RSS centroid", xy=(1.0, 1.0), readout="point", readouts={"point": (1.0, 1.0)})
    assert with_readout(point, "mean") is point
    row = answer_row(point)
    assert row["calibration"] == NO_POSTERIOR and row["radius_90_m"] is None
    assert row["error_m"] is None and row["lat"] is None
    failed = answer_row(Answer("LocNet", problem="no sensors"), (1, 1))
    assert failed["x_m"] is None and failed["error_m"] is None and failed["calibration"] == ""
    assert failed["problem"] == "no sensors" and failed["readout"] == ""
