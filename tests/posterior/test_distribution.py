"""The posterior: normalisation, readouts, credible regions, expected error, the
temperature fit and test-time augmentation, each against a case with a known answer."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from locnet.constants import PIXEL_M
from locnet.errors import LocNetError
from locnet.posterior import distribution as P

SIZE = 64


def gaussian_logits(cx: float, cy: float, sigma: float, size: int = SIZE) -> torch.Tensor:
    """(1, size, size) log of an isotropic Gaussian centred at (cx, cy)."""
    ys, xs = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return (-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma**2))[None].float()


def everywhere(size: int = SIZE) -> torch.Tensor:
    return torch.ones(1, size, size, dtype=torch.bool)


def test_posterior_sums_to_one_outdoors_and_is_zero_on_buildings():
    logits = torch.randn(3, SIZE, SIZE) * 4
    buildings = torch.zeros(3, SIZE, SIZE, dtype=torch.uint8)
    buildings[:, 10:30, 5:40] = 1
    buildings[1, :, :50] = 1
    probs = P.probabilities(logits, P.outdoor_mask(buildings), temperature=0.7)
    assert torch.allclose(probs.flatten(1).sum(1), torch.ones(3), atol=1e-5)
    assert (probs[buildings == 1] == 0).all()
    assert (probs[buildings == 0] > 0).all()


def test_bad_temperature_and_all_building_map_are_refused():
    with pytest.raises(LocNetError, match="temperature"):
        P.probabilities(torch.zeros(1, 8, 8), everywhere(8), temperature=0.0)
    with pytest.raises(LocNetError, match="no outdoor pixel"):
        P.probabilities(torch.zeros(1, 8, 8), torch.zeros(1, 8, 8, dtype=torch.bool))
    with pytest.raises(LocNetError, match="unknown readout"):
        P.check_readout("argmax")


def test_symmetric_two_peak_posterior_has_its_mean_between_the_peaks():
    logits = torch.logaddexp(gaussian_logits(10, 32, 2), gaussian_logits(50, 32, 2))
    probs = P.probabilities(logits, everywhere())
    mean = P.read_out(probs, "mean")[0]
    assert mean[0].item() == pytest.approx(30.0, abs=1e-3)
    assert mean[1].item() == pytest.approx(32.0, abs=1e-3)
    mode = P.read_out(probs, "mode")[0]
    assert mode[0].item() in (10.0, 50.0) and mode[1].item() == 32.0


def test_spatial_median_follows_the_heavier_peak_where_the_mean_does_not():
    probs = torch.zeros(1, SIZE, SIZE)
    probs[0, 20, 10] = 0.6  # (x=10, y=20)
    probs[0, 20, 50] = 0.4
    median = P.median_xy(probs)[0]
    assert median[0].item() == pytest.approx(10.0, abs=0.05)
    assert P.mean_xy(probs)[0, 0].item() == pytest.approx(26.0, abs=1e-4)


def test_90_percent_region_of_an_isotropic_gaussian_has_the_analytic_area():
    sigma = 8.0
    probs = P.probabilities(gaussian_logits(32, 32, sigma), everywhere())
    radius = sigma * math.sqrt(2 * math.log(10))  # P(r < R) = 0.9 for a 2-D Gaussian
    sizes = P.region_sizes(probs, (0.5, 0.9))[0]
    assert sizes[1].item() == pytest.approx(math.pi * radius**2, rel=0.03)
    radius50 = sigma * math.sqrt(2 * math.log(2))
    assert sizes[0].item() == pytest.approx(math.pi * radius50**2, rel=0.05)
    masks = P.regions(probs, (0.5, 0.9))[0][0]
    drawn = masks.sum((1, 2))  # ties at the region's edge are drawn too
    assert (drawn >= sizes).all() and torch.allclose(drawn.float(), sizes.float(), rtol=0.03)
    assert probs[0][masks[1]].sum() >= 0.9 and (masks[0] <= masks[1]).all()
    area = sizes[1].item() * PIXEL_M**2
    assert P.equivalent_radius_m(area) == pytest.approx(radius * PIXEL_M, rel=0.02)


def test_credible_level_says_whether_the_truth_is_inside_a_region():
    probs = P.probabilities(gaussian_logits(32, 32, 4), everywhere())
    truth = torch.tensor([[32, 32], [32, 36], [0, 0]])
    level = P.credible_level(probs.expand(3, -1, -1), truth)
    assert level[0].item() == pytest.approx(0.0, abs=1e-6)  # the peak: nothing is more probable
    assert 0.2 < level[1].item() < 0.8  # one sigma out
    assert level[2].item() > 0.99
    masks = P.regions(probs, (0.9,))[0][0, 0]
    assert bool(masks[36, 32]) == bool(level[1] < 0.9)


def test_expected_error_is_the_rms_distance_under_the_posterior():
    probs = torch.zeros(1, SIZE, SIZE)
    probs[0, 10, 10] = 0.5
    probs[0, 10, 30] = 0.5
    at_mean = P.expected_error_m(probs, torch.tensor([[20.0, 10.0]]))
    assert at_mean.item() == pytest.approx(10.0 * PIXEL_M, rel=1e-5)
    at_one_peak = P.expected_error_m(probs, torch.tensor([[10.0, 10.0]]))
    assert at_one_peak.item() == pytest.approx(math.sqrt(0.5 * 20**2) * PIXEL_M, rel=1e-5)


def test_temperature_fit_recovers_a_known_temperature():
    generator = torch.Generator().manual_seed(0)
    true_t, n, size = 0.5, 400, 16
    logits = torch.randn(n, size, size, generator=generator) * 2
    outdoor = torch.ones(n, size, size, dtype=torch.bool)
    outdoor[:, :4, :4] = False
    probs = P.probabilities(logits, outdoor, true_t)
    index = torch.multinomial(probs.flatten(1), 1, generator=generator)[:, 0]
    truth = torch.stack((index % size, index // size), dim=1)
    fit = P.fit_temperature(logits, outdoor, truth)
    assert fit.temperature == pytest.approx(true_t, rel=0.1) and fit.n == n
    assert fit.nll <= P.mean_nll(logits, outdoor, truth, 1.0)


def test_temperature_fit_refuses_a_truth_on_a_building():
    outdoor = torch.ones(1, 8, 8, dtype=torch.bool)
    outdoor[0, 2, 3] = False
    with pytest.raises(LocNetError, match="building"):
        P.fit_temperature(torch.zeros(1, 8, 8), outdoor, torch.tensor([[3, 2]]))


@pytest.mark.parametrize("k", range(8))
def test_dihedral_transforms_are_undone(k):
    x = torch.arange(2 * 3 * 8 * 8, dtype=torch.float32).view(2, 3, 8, 8)
    assert torch.equal(P.undo_dihedral(P.dihedral(x, k), k), x)
    if k:
        assert not torch.equal(P.dihedral(x, k), x)


def test_tta_of_an_equivariant_map_is_the_map_and_averages_a_biased_one():
    x = torch.randn(2, 2, 16, 16)
    assert torch.allclose(P.tta_logits(lambda z: z[:, 0] * 3, x), x[:, 0] * 3, atol=1e-6)

    def biased(z: torch.Tensor) -> torch.Tensor:  # adds a blob that does not move with z
        out = z[:, 0].clone()
        out[:, 0, 0] += 8.0
        return out

    averaged = P.tta_logits(biased, x)
    assert (averaged - x[:, 0])[:, 0, 0].mean().item() == pytest.approx(2.0, abs=1e-5)
    with pytest.raises(LocNetError, match="square"):
        P.tta_logits(biased, torch.zeros(1, 2, 8, 16))


def test_readouts_cost_little_per_map():
    """Not a timing assertion: the readouts are vectorised (no per-pixel Python)."""
    probs = P.probabilities(torch.randn(4, 256, 256), torch.ones(4, 256, 256, dtype=torch.bool))
    for readout in P.READOUTS:
        xy = P.read_out(probs, readout)
        assert xy.shape == (4, 2) and np.isfinite(xy.numpy()).all()


def test_tta_reuses_the_logits_it_is_given_for_the_untransformed_input():
    x = torch.randn(1, 2, 8, 8)
    calls = []

    def logits_of(z: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return z[:, 0]

    given = P.tta_logits(logits_of, x, identity=x[:, 0])
    assert len(calls) == 7
    assert torch.allclose(given, P.tta_logits(logits_of, x), atol=1e-6)
