"""Split environments into train/val/test so no city is seen both in training and testing.

The paper splits by environment (501/100/100 maps). Here real OpenStreetMap tiles are
grouped by city and whole cities are held out: Helsinki and Florence are test cities,
San Francisco the validation city; every other real city trains. Procedural
environments go to a split by a stable hash of their group (their env_id unless the
generator groups several), about 80/10/10, so a split never depends on which other
environments were generated or in which order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Protocol

from locnet.errors import LocNetError

TEST_CITIES = ("Helsinki", "Florence")
VAL_CITIES = ("San Francisco",)
PROCEDURAL_SOURCE = "procedural"
# Cumulative percent thresholds of the hash split for procedural environments.
PROCEDURAL_TRAIN_PERCENT = 80
PROCEDURAL_VAL_PERCENT = 10


class EnvironmentLike(Protocol):
    env_id: str
    city: str
    source: str
    group: str


def _norm(name: str) -> str:
    return " ".join(str(name).split()).casefold()


def is_real(env: EnvironmentLike) -> bool:
    """Real-city tile (anything not made by the procedural generator)."""
    return not _norm(env.source).startswith(PROCEDURAL_SOURCE)


def group_of(env: EnvironmentLike) -> str:
    """The unit that is never split: the city for real tiles, the group/env_id otherwise."""
    if is_real(env):
        return f"city:{_norm(env.city)}"
    return f"procedural:{getattr(env, 'group', None) or env.env_id}"


def hash_percent(key: str) -> int:
    """Stable 0..99 bucket of a string (sha256; independent of PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % 100


def split_of(env: EnvironmentLike) -> str:
    """ "train", "val" or "test" for an environment (docs/design.md §1: split by environment)."""
    if is_real(env):
        city = _norm(env.city)
        if city in {_norm(c) for c in TEST_CITIES}:
            return "test"
        if city in {_norm(c) for c in VAL_CITIES}:
            return "val"
        return "train"
    bucket = hash_percent(group_of(env))
    if bucket < PROCEDURAL_TRAIN_PERCENT:
        return "train"
    if bucket < PROCEDURAL_TRAIN_PERCENT + PROCEDURAL_VAL_PERCENT:
        return "val"
    return "test"


def assign_splits(envs: Iterable[EnvironmentLike]) -> dict[str, str]:
    """env_id -> split for many environments; LocNetError if a group lands in two splits."""
    splits: dict[str, str] = {}
    by_group: dict[str, str] = {}
    for env in envs:
        split = split_of(env)
        group = group_of(env)
        if by_group.setdefault(group, split) != split:
            raise LocNetError(
                f"environment {env.env_id} of group {group} would be in {split} while the rest "
                f"of its group is in {by_group[group]}; give it its own group"
            )
        if env.env_id in splits:
            raise LocNetError(f"environment id {env.env_id} is used twice; ids must be unique")
        splits[env.env_id] = split
    return splits
