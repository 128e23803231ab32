"""Splits by environment: whole real cities held out, procedural maps by a stable hash."""

from dataclasses import dataclass

import pytest

from locnet.data.splits import (
    TEST_CITIES,
    VAL_CITIES,
    assign_splits,
    group_of,
    hash_percent,
    split_of,
)
from locnet.errors import LocNetError


@dataclass
class Env:
    env_id: str
    city: str
    source: str
    group: str


def procedural(i: int) -> Env:
    return Env(f"proc-{i:06d}", "Procedural (grid)", "procedural:grid", f"proc-{i:06d}")


def real(city: str, i: int) -> Env:
    return Env(f"osm-{city.lower()}-{i:02d}", city, "sionna-rt scene (OpenStreetMap)", city.lower())


def test_held_out_cities():
    for city in TEST_CITIES:
        assert split_of(real(city, 0)) == "test"
    for city in VAL_CITIES:
        assert split_of(real(city, 3)) == "val"
    assert split_of(real("Munich", 0)) == "train"
    assert split_of(Env("x", "  helsinki ", "osm", "h")) == "test"  # case/space-insensitive


def test_real_cities_never_split_across_splits():
    envs = [
        real(c, i)
        for c in ("Munich", "Helsinki", "Florence", "San Francisco", "Kotka")
        for i in range(12)
    ]
    splits = assign_splits(envs)
    by_city = {}
    for env in envs:
        by_city.setdefault(env.city, set()).add(splits[env.env_id])
    assert all(len(s) == 1 for s in by_city.values())


def test_procedural_hash_split_is_stable_and_about_80_10_10():
    envs = [procedural(i) for i in range(2000)]
    splits = assign_splits(envs)
    counts = {s: list(splits.values()).count(s) for s in ("train", "val", "test")}
    assert counts["train"] == pytest.approx(1600, abs=80)
    assert counts["val"] == pytest.approx(200, abs=45)
    assert counts["test"] == pytest.approx(200, abs=45)
    assert splits == assign_splits(reversed(envs))  # order-independent
    assert hash_percent("proc-000001") == hash_percent("proc-000001")


def test_procedural_group_kept_together():
    a = Env("proc-1-a", "P", "procedural", "block-7")
    b = Env("proc-1-b", "P", "procedural", "block-7")
    assert split_of(a) == split_of(b)
    assert group_of(a) == group_of(b) != group_of(procedural(1))


def test_disjoint_and_duplicate_ids():
    envs = [procedural(i) for i in range(50)] + [real("Florence", 0), real("Munich", 0)]
    splits = assign_splits(envs)
    groups = {}
    for env in envs:
        groups.setdefault(group_of(env), set()).add(splits[env.env_id])
    assert all(len(v) == 1 for v in groups.values())
    with pytest.raises(LocNetError, match="used twice"):
        assign_splits([procedural(1), procedural(1)])


def test_committed_real_tiles_hold_out_test_cities():
    from locnet.data.cities import load_real_tiles

    tiles = load_real_tiles()
    splits = assign_splits(tiles)
    cities = {t.city for t in tiles}
    for city in set(TEST_CITIES) & cities:
        assert {splits[t.env_id] for t in tiles if t.city == city} == {"test"}
    train_cities = {t.city for t in tiles if splits[t.env_id] == "train"}
    assert not train_cities & (set(TEST_CITIES) | set(VAL_CITIES))
