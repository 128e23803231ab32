"""bench data: the JSON has the simulator time and a loader speed-up from identical items."""

import argparse
import json

from locnet.bench import data as bench


def test_loader_benchmark_on_tiny_dataset(tiny_dataset):
    result = bench.bench_loader(tiny_dataset, "test", n_items=20)
    assert result["loader_items"] == 20
    assert result["cached_samples_per_s"] > 0 and result["naive_samples_per_s"] > 0
    ratio = result["cached_samples_per_s"] / result["naive_samples_per_s"]
    assert abs(result["loader_speedup"] - ratio) < 0.05 * ratio
    assert result["cache_bytes_per_radio_map"] >= 65536  # one uint8 256x256 map per radio map


def test_run_writes_json(tiny_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "bench_simulator", lambda n: {"sim_seconds_per_map": 0.5})
    parser = argparse.ArgumentParser()
    bench.configure_parser(parser)
    out = tmp_path / "bench" / "data.json"
    args = parser.parse_args(["--data", str(tiny_dataset), "--json", str(out), "--items", "10"])
    assert bench.run(args) == 0
    result = json.loads(out.read_text())
    assert result["sim_seconds_per_map"] == 0.5 and result["loader_speedup"] > 0
    assert bench.__doc__.splitlines()[0].startswith("Data benchmark")


def test_simulator_benchmark_one_core():
    result = bench.bench_simulator(n_tx=1)
    assert result["sim_seconds_per_map"] > 0 and result["sim_seconds_per_map_randomized"] > 0
    assert "torch threads 1" in result["sim_setup"]
