"""The simulated training stream: reproducible, fresh per epoch, split-safe, crop-correct."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from locnet.constants import MAP_SIZE
from locnet.data import stream as stream_mod
from locnet.data.sampling import n_sensors_for_rate
from locnet.data.stream import FrozenSamples, SimulatedStream, StreamConfig, dihedral
from locnet.errors import LocNetError


def test_items_are_a_pure_function_of_seed_epoch_and_index():
    a, b = SimulatedStream(StreamConfig(samples_per_epoch=4)), SimulatedStream(StreamConfig(samples_per_epoch=4))
    first, again = a[2], b[2]
    assert torch.equal(first["input"], again["input"]) and torch.equal(first["tx_xy"], again["tx_xy"])
    assert not torch.equal(a[1]["input"], first["input"])
    a.set_epoch(1)
    assert not torch.equal(a[2]["input"], first["input"])  # a new epoch: new cases
    other_seed = SimulatedStream(StreamConfig(seed=1, samples_per_epoch=4))
    assert not torch.equal(other_seed[2]["input"], first["input"])


def test_an_item_encodes_its_sensors_and_transmitter_like_the_dataset():
    item = SimulatedStream(StreamConfig(samples_per_epoch=3, rates=(0.05,)))[0]
    x = item["input"].numpy()
    assert x.shape == (2, MAP_SIZE, MAP_SIZE)
    sensors = x[1] == 1
    assert sensors.sum() == n_sensors_for_rate(0.05) == 33 and item["rate_percent"] == 0.05
    assert ((x[0] > 0) <= sensors).all()  # readings only at sensors
    tx_x, tx_y = item["tx_xy"].tolist()
    assert x[1, tx_y, tx_x] != -1  # the transmitter stands outdoors


def test_crops_hold_the_transmitter():
    stream = SimulatedStream(StreamConfig(samples_per_epoch=6, crop=64))
    for i in range(6):
        item = stream[i]
        assert item["input"].shape == (2, 64, 64)
        assert ((item["tx_xy"] >= 0) & (item["tx_xy"] < 64)).all()
        assert ((item["origin_xy"] >= 0) & (item["origin_xy"] <= MAP_SIZE - 64)).all()


def test_only_environments_of_the_split_are_drawn(monkeypatch):
    from locnet.data.splits import split_of

    seen = []
    real = stream_mod._procedural_buildings

    def spy(split, rng):
        env_id, buildings = real(split, rng)
        seen.append(env_id)
        return env_id, buildings

    monkeypatch.setattr(stream_mod, "_procedural_buildings", spy)
    SimulatedStream(StreamConfig(samples_per_epoch=4, real_share=0.0, split="val"))[0]
    from types import SimpleNamespace

    probe = SimpleNamespace(env_id=seen[0], city="", source="procedural", group=seen[0])
    assert split_of(probe) == "val"
    assert all(split_of(env) == "train" for env in stream_mod._real_tiles("train"))


def test_shares_set_the_mix_of_real_tiles_and_propagation():
    cfg = StreamConfig(samples_per_epoch=8, real_share=1.0, paper_like_share=1.0)
    rng = np.random.default_rng(0)
    case = stream_mod.draw_case(cfg, rng, stream_mod._real_tiles("train"))
    assert not case["env_id"].startswith("proc-") and case["paper_like"]
    items = [SimulatedStream(StreamConfig(samples_per_epoch=6, paper_like_share=0.0))[i] for i in range(3)]
    assert not any(item["paper_like"] for item in items)


def test_dihedral_gives_the_eight_distinct_symmetries():
    square = np.arange(16).reshape(4, 4)
    images = {dihedral(square, op).tobytes() for op in range(8)}
    assert len(images) == 8 and np.array_equal(dihedral(square, 0), square)


def test_frozen_samples_keep_one_draw_and_the_fingerprint_names_the_config():
    stream = SimulatedStream(StreamConfig(samples_per_epoch=2))
    frozen = FrozenSamples(stream)
    assert len(frozen) == 2 and torch.equal(frozen[1]["input"], stream[1]["input"])
    assert frozen.fingerprint == StreamConfig(samples_per_epoch=2).fingerprint()
    assert StreamConfig(seed=1).fingerprint() != StreamConfig().fingerprint()


@pytest.mark.parametrize(
    "bad",
    [dict(split="nowhere"), dict(real_share=1.5), dict(samples_per_epoch=0), dict(crop=4), dict(rates=(0.0,))],
)
def test_bad_stream_settings_are_clear_errors(bad):
    with pytest.raises(LocNetError):
        StreamConfig(**bad)


def test_masks_per_case_share_one_map_and_draw_their_own_sensors(monkeypatch):
    calls = []
    real = stream_mod.draw_case
    monkeypatch.setattr(stream_mod, "draw_case", lambda *a: calls.append(1) or real(*a))
    stream = SimulatedStream(StreamConfig(samples_per_epoch=8, masks_per_case=4))
    assert stream.ordered
    items = [stream[i] for i in range(8)]
    assert len(calls) == 2  # one simulation per case of 4 consecutive items
    assert torch.equal(items[0]["tx_xy"], items[3]["tx_xy"])
    assert not torch.equal(items[0]["input"], items[1]["input"])
    assert torch.equal(stream[5]["input"], SimulatedStream(stream.cfg)[5]["input"])  # no cache order effect
    single = SimulatedStream(StreamConfig(samples_per_epoch=2))
    assert torch.equal(single[1]["input"], single[1]["input"]) and not single.ordered
    assert StreamConfig(masks_per_case=4).fingerprint() != StreamConfig().fingerprint()
