"""Classical baselines without (pixels x sensors) arrays: the same answers as the direct
computation they replaced, exact nearest-sensor ties, and bounded memory at 65,536 readings
(issue #24, fault probes N16, N18, N19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from locnet.constants import FLOOR_DB, PIXEL_M
from locnet.models.classical import (
    DEFAULT_EXPONENT,
    EXPONENT_RANGE,
    MIN_DISTANCE_M,
    REFERENCE_DB,
    TIE_BREAK_DB_PER_M,
    PathLoss,
    Strongest,
    nearest_sensor,
    pixel_grid,
    read_sensors,
)
from tests.models.test_classical import encode

REPO = Path(__file__).resolve().parents[2]
SIZE = 256


def direct_strongest(x: torch.Tensor) -> torch.Tensor:
    """The strongest-sensor map as computed before (one (B, HW, S) distance tensor)."""
    r = read_sensors(x)
    grid = pixel_grid(SIZE, SIZE, x.device)
    dist = torch.cdist(grid[None].expand(x.shape[0], -1, -1), r.xy) * PIXEL_M
    dist = dist.masked_fill(~r.valid[:, None], float("inf"))
    nearest_d, nearest = dist.min(dim=2)
    return (torch.gather(r.db, 1, nearest) - TIE_BREAK_DB_PER_M * nearest_d).view(-1, SIZE, SIZE)


def direct_pathloss(x: torch.Tensor) -> torch.Tensor:
    """The path-loss scores as computed before: the (HW, S) fit, summed pixel by pixel."""
    r = read_sensors(x)
    grid = pixel_grid(SIZE, SIZE, x.device)
    maps = []
    for i in range(x.shape[0]):
        xy, db, cens = r.xy[i][r.valid[i]], r.db[i][r.valid[i]], r.censored[i][r.valid[i]]
        u = -10.0 * torch.log10((torch.cdist(grid, xy) * PIXEL_M).clamp_min(MIN_DISTANCE_M))
        w = (~cens).float()
        count = w.sum()
        if count > 0:
            mean_p = (w * db).sum() / count
            mean_u = (u * w).sum(dim=1, keepdim=True) / count
            du = (u - mean_u) * w
            var_u = (du * du).sum(dim=1, keepdim=True)
            cov = (du * (db - mean_p)).sum(dim=1, keepdim=True)
            n = torch.where(var_u > 1e-6, cov / var_u.clamp_min(1e-6), DEFAULT_EXPONENT)
            n = n.clamp(*EXPONENT_RANGE)
            a = mean_p - n * mean_u
        else:
            n = torch.full((grid.shape[0], 1), DEFAULT_EXPONENT)
            a = torch.full_like(n, REFERENCE_DB)
        pred = a + n * u
        cost = w * (db - pred) ** 2 + (1 - w) * torch.relu(pred - FLOOR_DB) ** 2
        maps.append(-cost.mean(dim=1))
    scores = torch.stack(maps).view(-1, SIZE, SIZE)
    building = x[:, 1] < -0.5
    floor = scores.masked_fill(building, torch.inf).flatten(1).amin(dim=1)
    return torch.where(building, floor[:, None, None], scores)


def _random_case(rng, count: int, censored: float, buildings=None) -> torch.Tensor:
    buildings = np.zeros((SIZE, SIZE)) if buildings is None else buildings
    free = np.argwhere(buildings == 0)
    rows, cols = free[rng.choice(len(free), count, replace=False)].T
    gray = np.where(rng.random(count) < censored, 0, rng.integers(1, 256, count))
    return encode(list(zip(cols, rows, gray)), buildings)


@pytest.mark.parametrize("count, censored", [(3, 0.0), (8, 0.25), (25, 0.1), (40, 0.5), (7, 1.0)])
def test_same_scores_and_answers_as_the_direct_computation(count, censored):
    rng = np.random.default_rng(count)
    buildings = np.zeros((SIZE, SIZE))
    buildings[90:150, 40:200] = 1
    x = torch.stack([_random_case(rng, count, censored, buildings), _random_case(rng, count, 0.0)])
    for model, direct in ((Strongest(), direct_strongest), (PathLoss(), direct_pathloss)):
        pred, expected = model.predict(x), direct(x)
        scale = float(expected.abs().max()) + 1.0
        assert torch.allclose(pred.scores, expected, rtol=1e-5, atol=1e-5 * scale), model.name
        for answer, direct_map in zip(pred.xy.long().tolist(), expected):
            at = direct_map[answer[1], answer[0]]  # the answer is a best pixel of the direct map
            assert at >= direct_map.max() - 1e-5 * scale, model.name


def test_nearest_sensor_ties_go_to_the_lowest_index_even_past_the_k_candidates():
    centre = np.array([100, 100])
    ring = [(dx, dy) for dx in range(-5, 6) for dy in range(-5, 6) if dx * dx + dy * dy == 25]
    assert len(ring) == 12  # more equidistant sensors than the k-d tree is asked for
    order = np.random.default_rng(0).permutation(len(ring))
    xy = np.array([centre + ring[i] for i in order] + [[10, 10], [12, 10]], dtype=np.int64)
    index, dist = nearest_sensor(xy, SIZE, SIZE)
    assert index[100 * SIZE + 100] == 0 and dist[100 * SIZE + 100] == 5.0
    assert index[10 * SIZE + 11] == len(ring) and dist[10 * SIZE + 11] == 1.0  # 2 tied: lowest
    exact = ((pixel_grid(SIZE, SIZE, "cpu").numpy()[:, None] - xy[None]) ** 2).sum(2)
    assert np.array_equal(index, exact.argmin(axis=1))  # first minimum = lowest index
    assert np.allclose(dist, np.sqrt(exact.min(axis=1)))


def test_one_reading_pathloss_answers_the_sensor_not_pixel_0_0():
    """Fault probe N16: one reading fits any pixel exactly; the answer was (0, 0)."""
    x = torch.stack([encode([(60, 200, 150)]), encode([(60, 200, 150), (30, 20, 90)])])
    pred = PathLoss().predict(x)
    assert pred.xy.tolist() == [[60.0, 200.0], [60.0, 200.0]]
    assert torch.isfinite(pred.scores).all()


def _peak_rss_mb(code: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


MEASURE = """
import json, resource
import numpy as np, torch
from locnet.models.classical import Strongest, PathLoss, Centroid
rng = np.random.default_rng(0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for censored in {censored}:
    gray = np.where(rng.random(65536) < censored, 0, rng.integers(1, 256, 65536)) / 255.0
    x = torch.tensor(np.stack([gray.reshape(256, 256), np.ones((256, 256))]), dtype=torch.float32)
    xy = [m.predict(x[None]).xy[0].tolist() for m in (Strongest(), PathLoss(), Centroid())]
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"before_mb": before / 1024, "after_mb": after / 1024, "xy": xy}}))
"""


def test_65536_readings_take_far_less_than_one_gigabyte():
    """Fault probes N18/N19: a (65,536 x S) float tensor per model took 9-17 GB."""
    peak = _peak_rss_mb(MEASURE.format(censored=(0.0, 1.0)))
    assert peak["after_mb"] - peak["before_mb"] < 300, peak  # was 17 GB for pathloss alone


@pytest.mark.slow
def test_65536_half_censored_readings_stay_bounded():
    """The one term that still visits (pixel, sensor) pairs, in blocks: bounded, not fast."""
    peak = _peak_rss_mb(MEASURE.format(censored=(0.5,)))
    assert peak["after_mb"] - peak["before_mb"] < 300, peak
