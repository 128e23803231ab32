"""Procedural city generator: determinism, plausibility of every preset, errors."""

from __future__ import annotations

import numpy as np
import pytest

from locnet.constants import MAP_SIZE
from locnet.data.cities import find_environment
from locnet.data.procedural import (
    MAX_COVER,
    MIN_COVER,
    PRESETS,
    default_preset,
    outdoor_connectivity,
    procedural_city,
)
from locnet.errors import LocNetError

SEEDS = range(8)


def test_same_seed_same_city():
    first, second = procedural_city(123), procedural_city(123)
    assert first == second  # metadata
    np.testing.assert_array_equal(first.buildings, second.buildings)


def test_different_seeds_differ():
    maps = [procedural_city(seed).buildings for seed in range(6)]
    for i in range(len(maps)):
        for j in range(i + 1, len(maps)):
            assert (maps[i] != maps[j]).mean() > 0.1


def test_environment_fields():
    env = procedural_city(42)
    assert env.env_id == "proc-000042" and env.group == env.env_id
    assert env.city == f"Procedural ({PRESETS[default_preset(42)].label})"
    assert env.source.startswith("procedural")
    assert env.attribution == "" and env.origin_m == (0.0, 0.0)
    assert env.buildings.shape == (MAP_SIZE, MAP_SIZE) and env.buildings.dtype == np.uint8
    assert set(np.unique(env.buildings)) == {0, 1}
    assert not env.buildings.flags.writeable


def test_seed_chooses_every_preset():
    assert {default_preset(seed) for seed in range(60)} == set(PRESETS)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_preset_cover_and_connectivity(preset):
    covers, connected = [], []
    for seed in SEEDS:
        env = procedural_city(seed, preset)
        assert env.city == f"Procedural ({PRESETS[preset].label})"
        covers.append(env.building_fraction)
        connected.append(outdoor_connectivity(env.buildings))
    assert MIN_COVER <= min(covers) and max(covers) <= MAX_COVER
    # streets form one network; only enclosed courtyards fall outside it
    assert np.median(connected) > 0.8 and min(connected) > 0.6


def test_presets_differ_in_density():
    def mean_cover(preset):
        return np.mean([procedural_city(seed, preset).building_fraction for seed in SEEDS])

    assert mean_cover("suburb") < mean_cover("grid") < mean_cover("old_town")


def test_explicit_preset_id_round_trips():
    seed = 5
    other = next(p for p in PRESETS if p != default_preset(seed))
    env = procedural_city(seed, other)
    assert env.env_id == f"proc-000005-{other}"
    again = find_environment(env.env_id)
    np.testing.assert_array_equal(again.buildings, env.buildings)
    assert procedural_city(seed, default_preset(seed)).env_id == "proc-000005"


def test_outdoor_connectivity_counts_enclosed_courtyards():
    buildings = np.zeros((20, 20), np.uint8)
    buildings[5:15, 5:15] = 1
    buildings[8:12, 8:12] = 0  # 16-pixel courtyard enclosed by the building
    outdoor = 400 - 100 + 16
    assert outdoor_connectivity(buildings) == pytest.approx((outdoor - 16) / outdoor)
    assert outdoor_connectivity(np.zeros((4, 4), np.uint8)) == 1.0


@pytest.mark.parametrize("seed", [-1, 1.5, "7", True])
def test_bad_seed(seed):
    with pytest.raises(LocNetError, match="seed"):
        procedural_city(seed)


def test_unknown_preset_names_the_choices():
    with pytest.raises(LocNetError, match="old_town"):
        procedural_city(1, "megacity")
