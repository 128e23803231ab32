"""Compute-campaign tables and figures: budgets cumulative over --init-from stages (real
checkpoints), propagation-shift degradation and equal-CPU-budget labels (fabricated
result folders), and what `python -m locnet report` prints for them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from locnet.cli import main
from locnet.evaluate.folders import META_FILE, load_results
from locnet.models.checkpoints import checkpoint_info, save_checkpoint
from locnet.models.registry import create_model
from locnet.report import campaign as C
from locnet.report import campaign_figures as FC
from locnet.report.budget import budget_curves, budget_history, cpus_of, total_budget
from locnet.report.series import HEADLINE_RATES
from locnet.report.style import series_color
from tests.results_data import synthetic_samples, write_results_folder

REPO = Path(__file__).resolve().parents[2]
LOCNET_PT = REPO / "checkpoints" / "locnet.pt"


@pytest.mark.parametrize(
    "hardware, cpus",
    [
        ("2 x CPU (Intel(R) Xeon(R) Processor, 1 threads)", 2),
        ("1 x CPU (AMD EPYC, 2 threads)", 2),
        ("4 x CPU (x86_64, 16 threads)", 64),
        ("2 x NVIDIA H200", None),
        (None, None),
    ],
)
def test_cpus_of(hardware, cpus):
    assert cpus_of(hardware) == cpus


def test_shipped_locnet_budget_is_cumulative_over_its_seven_stages(monkeypatch):
    monkeypatch.chdir(REPO)  # the stages' recorded paths are relative to the project
    table = budget_history(LOCNET_PT)
    assert list(table["file"]) == [
        "locnet-40min.pt", "locnet-40min.pt", "locnet-cosine.pt", "locnet-cosine.pt",
        "locnet-fullmap.pt", "locnet-fullmap2.pt", "locnet-stream1.pt", "locnet-stream1.pt",
        "locnet-stream1.pt", "locnet-stream2.pt", "locnet-stream2.pt", "locnet-stream2.pt",
        "locnet.pt", "locnet.pt", "locnet.pt",
    ]  # fmt: skip
    assert list(table["stage"]) == [1, 1, 2, 2, 3, 4, 5, 5, 5, 6, 6, 6, 7, 7, 7]
    assert np.all(np.diff(table["samples_seen"]) > 0) and np.all(np.diff(table["minutes"]) > 0)
    budget = checkpoint_info(LOCNET_PT).budget  # the file's own cumulative total
    assert table["samples_seen"].iloc[-1] == budget["samples_seen"] == 115272
    assert table["minutes"].iloc[-1] == pytest.approx(budget["minutes"], abs=0.01)
    # stages 1-4 ran on 2 x CPU with 1 thread: CPU-hours = minutes x 2 / 60; stages 5-7
    # recorded their measured CPU minutes (one thread, sharing the cores): fewer than wall
    early = table[table["stage"] <= 4]
    assert np.allclose(early["cpu_hours"], early["minutes"] * 2 / 60)
    stream = table[table["stage"] >= 5]
    assert np.all(np.diff(stream["cpu_hours"]) > 0)
    assert (stream["cpu_hours"] - early["cpu_hours"].iloc[-1]).iloc[-1] < (
        stream["minutes"] - early["minutes"].iloc[-1]
    ).iloc[-1] / 60
    assert list(table["val_seed"]) == [0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 3, 3, 3]
    assert table["val_rmse_m"].iloc[4] == pytest.approx(74.759, abs=1e-3)  # stage 3
    assert total_budget(LOCNET_PT)["cpu_hours"] == pytest.approx(table["cpu_hours"].iloc[-1])


def test_missing_parent_counts_from_its_record(tmp_path, monkeypatch):
    shutil.copy(LOCNET_PT, tmp_path / "locnet.pt")
    monkeypatch.chdir(tmp_path)  # the stage files are not found from here
    table = budget_history(tmp_path / "locnet.pt")
    assert len(table) == 3 and set(table["stage"]) == {2}  # stage 7's validations only
    assert table["samples_seen"].iloc[0] == 106056 + 3072  # the parent's recorded total first
    assert table["samples_seen"].iloc[-1] == 115272
    # the parent's record has no measured CPU minutes: its 383 minutes on 1 x CPU count
    assert table["cpu_hours"].iloc[0] == pytest.approx((382.777 + 19.419) / 60, abs=1e-3)


def _save(path: Path, timings: dict, history: list[dict]) -> Path:
    torch.manual_seed(0)
    save_checkpoint(path, "locnet", create_model("locnet"), epoch=1, timings=timings,
                    history=history)  # fmt: skip
    return path


def test_stages_on_different_hardware(tmp_path):
    entry = {"epoch": 1, "val_rmse_m": 80.0, "val_mean_m": 50.0}
    parent = _save(
        tmp_path / "a.pt",
        {"minutes": 30.0, "samples_seen": 100, "hardware": "1 x CPU (X, 4 threads)"},
        [dict(entry, minutes=15.0, samples_seen=50), dict(entry, minutes=30.0, samples_seen=100)],
    )
    record = {"file": str(parent), "minutes": 30.0, "samples_seen": 100, "hardware": "?"}
    child = _save(
        tmp_path / "b.pt",
        {"minutes": 10.0, "samples_seen": 40, "hardware": "2 x CPU (Y, 1 threads)",
         "init_from": record},  # fmt: skip
        [dict(entry, minutes=10.0, samples_seen=40, val_rmse_m=60.0)],
    )
    table = budget_history(child)
    assert list(table["samples_seen"]) == [50, 100, 140]
    assert list(table["cpu_hours"]) == pytest.approx([1.0, 2.0, 2.0 + 20 / 60])
    gpu = _save(
        tmp_path / "gpu.pt",
        {"minutes": 5.0, "samples_seen": 9, "hardware": "1 x NVIDIA H200"},
        [dict(entry, minutes=5.0, samples_seen=9)],
    )
    assert np.isnan(budget_history(gpu)["cpu_hours"]).all()
    both = budget_curves([tmp_path])  # a folder: every checkpoint in it
    assert set(both["curve"]) == {str(parent), str(child), str(gpu)}
    fig = FC.budget_figure(both, "cpu_hours")
    assert [list(t.x) for t in fig.data][1] == pytest.approx([1.0, 2.0, 2.0 + 20 / 60])
    assert fig.data[0].line.color == series_color("locnet", "env-focal")
    assert len({t.line.dash for t in fig.data}) == 3  # same model: told apart by dash
    with pytest.raises(ValueError):
        FC.budget_figure(both, "epochs")


@pytest.fixture(scope="module")
def shifted(tmp_path_factory) -> tuple[Path, Path]:
    """Read-only (its tests only load it): written once per module."""
    tmp_path = tmp_path_factory.mktemp("shifted")
    samples = synthetic_samples()
    paper = write_results_folder(tmp_path / "testset", samples)
    worse = samples.assign(error_m=1.5 * samples["error_m"])
    return paper, write_results_folder(tmp_path / "testset-shift", worse)


def test_shift_degradation(shifted):
    paper, shift = (load_results(p).summary for p in shifted)
    table = C.shift_table(paper, shift, "mode")
    assert len(table) == 7 * len(HEADLINE_RATES + (0.1,))  # one row per series and rate
    assert np.allclose(table["degradation_percent"], 50.0) and table["same_n"].all()
    averages = C.shift_averages(table)
    assert np.allclose(averages["rmse_m_shift"], 1.5 * averages["rmse_m_paper"])
    pivot = C.rate_pivot(paper, "mode")  # the page's main table, the report's average
    from locnet.report.tables import headline_average

    expected = headline_average(paper, ("locnet", "env-focal"), "mode")
    assert pivot.loc["LocNet (env-focal)", "avg 0.01–0.09 %"] == pytest.approx(expected)
    assert list(pivot.columns)[-1] == "0.1 %" and pivot.index[-1] == "MSLocNet"
    fig = FC.shift_figure(table)
    assert len(fig.data) == 14 and {t.line.dash for t in fig.data} == {"solid", "dash"}


def _equal_budget_folder(folder: Path, files: dict[str, str]) -> Path:
    write_results_folder(folder)
    meta = json.loads((folder / META_FILE).read_text())
    meta["checkpoints"] = {
        name: {"path": path, "model": "locnet", "variant": variant,
               "budget": {"minutes": 10.0, "hardware": "1 x CPU (Z, 1 threads)"}}  # fmt: skip
        for name, (path, variant) in files.items()
    }
    (folder / META_FILE).write_text(json.dumps(meta))
    return folder


def test_equal_budget_label_from_the_checkpoints(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    equal = _equal_budget_folder(
        tmp_path / "eq",
        {"locnet.pt": ("checkpoints/ablation/locnet.pt", "env-focal"),
         "locnet-noenv.pt": ("checkpoints/ablation/locnet-noenv.pt", "noenv-focal")},
    )  # fmt: skip
    table = C.equal_budget_table(load_results(equal), "mode")
    assert list(table["budget_from"].unique()) == ["checkpoint file"]
    assert table["cpu_minutes"].tolist() == pytest.approx([11.7, 11.8], abs=0.06)
    assert table["rmse_m"].notna().all()
    assert C.equal_budget_label(table) == (
        "Equal CPU budget (12 CPU-minutes each), not the paper's equal-epoch comparison"
    )
    unequal = _equal_budget_folder(
        tmp_path / "neq",
        {"locnet.pt": ("checkpoints/locnet.pt", "env-focal"),
         "gone.pt": ("checkpoints/not-here.pt", "noenv-focal")},
    )  # fmt: skip
    table = C.equal_budget_table(load_results(unequal), "mode")
    assert table.set_index("checkpoint")["budget_from"]["checkpoints/not-here.pt"].startswith(
        "meta.json"
    )
    assert C.equal_budget_label(table).startswith("CPU budgets differ (10–443 CPU-minutes)")


def test_report_campaign_sections(shifted, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    paper, shift = shifted
    equal = _equal_budget_folder(
        tmp_path / "eq", {"locnet.pt": ("checkpoints/ablation/locnet.pt", "env-focal")}
    )
    argv = ["report", "--results", str(paper), "--shift", str(shift)]
    argv += ["--equal-budget", str(equal), "--budget-curve", "checkpoints/locnet.pt"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"### RMSE (m) per sampling rate — `{paper}`")
    assert f"### Propagation shift: paper-like `{paper}` vs randomised propagation `{shift}`" in out
    rows = [line for line in out.splitlines() if line.startswith("| LocNet (env-focal) | degr")]
    assert len(rows) == 1 and rows[0].endswith("(+50 %) |")
    assert "### Equal CPU budget (12 CPU-minutes each), not the paper's equal-epoch" in out
    row = "| `checkpoints/locnet.pt` | 4 | `locnet-fullmap2.pt` | 0.98 | 83,856 | 150.5 | 5.02 | 89.3 |"
    assert row in out


def test_report_campaign_before_its_results_exist(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--campaign"]) == 0
    out = capsys.readouterr().out
    assert "(`results/testset` does not exist yet; make it with: `python -m locnet evaluate " \
        "--data data/testset" in out  # fmt: skip
    assert "`results/equal-budget` does not exist yet" in out
    assert "(no checkpoints in checkpoints)" in out
    assert main(["report", "--results", str(tmp_path)]) == 2  # not campaign: still an error
    assert main(["report"]) == 2 and "--results is required" in capsys.readouterr().err


def test_cpu_hours_prefer_the_measured_cpu_minutes():
    from locnet.report.budget import _cpu_hours

    assert _cpu_hours(60.0, "1 x CPU (AMD EPYC, 2 threads)") == 2.0
    assert _cpu_hours(60.0, "1 x CPU (AMD EPYC, 2 threads)", measured=30.0) == 0.5


def _two_model_summary(locnet_rmse, other_rmse, rates=(0.01, 0.05, 0.1)) -> pd.DataFrame:
    rows = [
        {"model": model, "variant": variant, "readout": "mode", "rate_percent": rate,
         "rmse_m": rmse, "n": 10}
        for model, variant, values in (
            ("locnet", "env-focal", locnet_rmse), ("mslocnet", "default", other_rmse)
        )
        for rate, rmse in zip(rates, values)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_rate_winners_reads_every_rate_not_the_average():
    # LocNet wins the average by far but loses the middle rate by 1 m
    summary = _two_model_summary([50.0, 61.0, 30.0], [140.0, 60.0, 130.0])
    winners = C.rate_winners(summary, "mode")
    assert list(winners["rate"]) == ["0.01 %", "0.05 %", "0.1 %"]
    assert list(winners["best"]) == ["LocNet (env-focal)", "MSLocNet", "LocNet (env-focal)"]
    assert list(winners["margin_m"]) == pytest.approx([90.0, 1.0, 100.0])
    assert C.winner_line(winners) == (
        "Lowest RMSE per rate: LocNet (env-focal) at 2 of 3, MSLocNet at 1 of 3 rates."
    )
    everywhere = C.rate_winners(_two_model_summary([50.0, 59.0, 30.0], [140.0, 60.0, 130.0]), "mode")
    assert C.winner_line(everywhere) == "Lowest RMSE per rate: LocNet (env-focal) at 3 of 3 rates."
    assert C.winner_line(C.rate_winners(summary.iloc[:0], "mode")) == "No rates evaluated."


def test_equal_budget_of_a_file_not_here_uses_its_measured_cpu_minutes(tmp_path, monkeypatch):
    """The large baselines are not committed: their budget comes from meta.json, where the
    measured CPU time (60 of 90 wall minutes on a shared core) must win over wall x cores."""
    monkeypatch.chdir(REPO)
    folder = _equal_budget_folder(
        tmp_path / "eq", {"big.pt": ("checkpoints/equal-budget/not-committed.pt", "default")}
    )
    meta = json.loads((folder / META_FILE).read_text())
    record = meta["checkpoints"]["big.pt"]
    record["budget"] = {"minutes": 90.0, "cpu_minutes": 60.0, "hardware": "1 x CPU (Z, 1 threads)"}
    wall_only = {"minutes": 61.0, "hardware": "1 x CPU (Z, 1 threads)"}
    meta["checkpoints"]["wall.pt"] = dict(record, path="gone.pt", budget=wall_only)
    (folder / META_FILE).write_text(json.dumps(meta))
    table = C.equal_budget_table(load_results(folder), "mode").set_index("checkpoint")
    assert table.loc["checkpoints/equal-budget/not-committed.pt", "cpu_minutes"] == 60.0
    assert table.loc["gone.pt", "cpu_minutes"] == 61.0  # no measurement: wall x 1 core
    assert C.equal_budget_label(table.reset_index()).startswith("Equal CPU budget (60")


def test_checkpoint_budget_sums_measured_cpu_minutes_only_when_every_run_has_them(tmp_path):
    model = create_model("mslocnet")
    timings = {"minutes": 30.0, "cpu_minutes": 20.0, "samples_seen": 100, "epochs": 1}
    measured = {"file": "a.pt", "minutes": 90.0, "cpu_minutes": 60.0, "samples_seen": 400, "epochs": 2}
    unmeasured = {"file": "b.pt", "minutes": 90.0, "samples_seen": 400, "epochs": 2}
    totals = []
    for name, prior in (("a", measured), ("b", unmeasured), ("c", None)):
        path = tmp_path / f"{name}.pt"
        save_checkpoint(path, "mslocnet", model, timings=dict(timings, init_from=prior))
        totals.append(checkpoint_info(path).budget)
    assert (totals[0]["cpu_minutes"], totals[0]["minutes"]) == (80.0, 120.0)
    assert totals[1]["cpu_minutes"] is None and totals[1]["minutes"] == 120.0
    assert totals[2]["cpu_minutes"] == 20.0
