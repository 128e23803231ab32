"""bench data: the JSON has the simulator time and a loader speed-up from identical items."""

import argparse
import json

import pytest

from locnet.bench import data as bench
from locnet.cli import main
from locnet.files import OWNER_FILE


def test_loader_benchmark_on_tiny_dataset(tiny_dataset):
    result = bench.bench_loader(tiny_dataset, "test", n_items=20)
    assert result["loader_items"] == 20
    fast, naive = result["cached_samples_per_s"], result["naive_samples_per_s"]
    assert fast > 0 and naive > 0
    # The speed-up is of the unrounded rates, the rates are rounded to 0.1 samples/s: on a
    # busy machine (slow rates) that rounding alone moves their ratio by percents, so the
    # check is the ratio's whole rounding interval, whatever the machine's load.
    low = (fast - 0.05) / (naive + 0.05) - 0.005
    high = (fast + 0.05) / max(naive - 0.05, 1e-9) + 0.005
    assert low <= result["loader_speedup"] <= high
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


@pytest.mark.parametrize("flag", ["--items", "--sim-maps"])
def test_a_zero_count_is_a_one_line_error(tiny_dataset, capsys, flag):
    """N86: `bench data --items 0` was a ZeroDivisionError traceback."""
    assert main(["bench", "data", "--data", str(tiny_dataset), flag, "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --items and --sim-maps must be >= 1") and err.count("\n") == 1


def test_the_json_target_is_checked_before_the_benchmark(tiny_dataset, tmp_path, monkeypatch, capsys):
    """N87: an unwritable --json fails before the benchmark runs, a foreign file is replaced
    only with --force, and numbers whose write fails anyway are printed, not lost."""
    ran = []
    monkeypatch.setattr(bench, "bench_simulator", lambda n: ran.append(n) or {"sim_seconds_per_map": 0.5})
    (tmp_path / "README.md").write_text("x")
    argv = ["bench", "data", "--data", str(tiny_dataset), "--items", "2", "--sim-maps", "1"]
    assert main([*argv, "--json", str(tmp_path / "README.md" / "x.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --json {tmp_path / 'README.md' / 'x.json'}: ") and "is a file" in err
    assert not ran
    foreign = tmp_path / "notes.json"
    foreign.write_text("my notes, not JSON")
    assert main([*argv, "--json", str(foreign)]) == 2
    assert "is not a benchmark file" in capsys.readouterr().err and not ran
    assert foreign.read_text() == "my notes, not JSON"
    assert main([*argv, "--json", str(foreign), "--force"]) == 0 and ran == [1]
    assert json.loads(foreign.read_text())["sim_seconds_per_map"] == 0.5
    assert not (tmp_path / f".notes.json{OWNER_FILE}").exists()

    from locnet import files

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "atomic_write", disk_full)
    assert main([*argv, "--json", str(tmp_path / "late.json")]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out[out.index("{"):])["sim_seconds_per_map"] == 0.5  # printed, not lost
    assert "could not be written (no space left" in err and "printed above as JSON" in err
