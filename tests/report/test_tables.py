"""The README tables come from files: check what `python -m locnet report` prints."""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from locnet.cli import main
from locnet.evaluate.folders import load_results
from locnet.models.checkpoints import file_sha256, save_checkpoint
from locnet.models.registry import create_model
from locnet.report import tables as report
from locnet.report.series import PAPER_LABEL
from tests.results_data import old_schema, synthetic_samples, write_results_folder


def test_headline_average_needs_every_paper_rate():
    rows = [("locnet", "env-focal", r, 10.0 * r * 100) for r in report.HEADLINE_RATES]
    summary = pd.DataFrame(rows, columns=["model", "variant", "rate_percent", "rmse_m"])
    assert report.headline_average(summary, ("locnet", "env-focal")) == np.mean(
        [10.0 * r * 100 for r in report.HEADLINE_RATES]
    )
    assert report.headline_average(summary.iloc[1:], ("locnet", "env-focal")) is None
    assert report.headline_average(summary, ("mslocnet", "default")) is None


def test_rate_table_puts_the_papers_row_under_ours(tmp_path):
    summary = load_results(write_results_folder(tmp_path / "r")).summary
    table = report.rate_table(summary).splitlines()
    ours = next(i for i, line in enumerate(table) if line.startswith("| LocNet (env-focal), mode"))
    # the paper read LocNet out by its mode: its row sits under that one, then the others
    assert table[ours + 1].startswith(f"| *LocNet (env-focal) ({PAPER_LABEL})* | 41.0 | 26.0 |")
    assert table[ours + 2].startswith("| LocNet (env-focal), mean (ours) |")
    assert table[ours + 3].startswith("| LocNet (env-focal), median (ours) |")
    for readout, line in (("mode", table[ours]), ("median", table[ours + 3])):
        expected = summary.query(
            "model == 'locnet' and variant == 'env-focal' and readout == @readout"
        )
        first = float(line.split("|")[2])
        assert first == round(expected.sort_values("rate_percent").rmse_m.iloc[0], 1)
    assert any(line.startswith("| RSS centroid (ours) |") for line in table)  # point: one row
    assert not any(line.startswith("| *RSS centroid") for line in table)  # no paper value


def test_headline_states_ratio_env_gain_and_losses(tmp_path):
    summary = load_results(write_results_folder(tmp_path / "r")).summary
    text = report.headline(summary, summary)
    locnet = report.headline_average(summary, ("locnet", "env-focal"))
    mslocnet = report.headline_average(summary, ("mslocnet", "default"))
    assert f"**{locnet:.1f} m**" in text
    assert f"**{mslocnet / locnet:.2f}x**" in text
    mean = report.headline_average(summary, ("locnet", "env-focal"), "mean")
    assert mean < locnet and f"mean {mean:.1f} m" in text and "best: **mean**" in text
    assert "Environment map (equal budget)" in text and "Losses (equal budget" in text


def test_cli_prints_tables_and_checkpoint_budget(tmp_path, capsys):
    results = write_results_folder(tmp_path / "results")
    folder = tmp_path / "ckpt"
    torch.manual_seed(0)
    save_checkpoint(
        folder / "locnet.pt",
        "locnet",
        create_model("locnet"),
        epoch=2,
        metrics={"val_mean_m": 33.3},
        timings={"minutes": 1.5, "samples_seen": 640, "hardware": "1 x CPU", "epochs": 2},
    )
    save_checkpoint(  # trained on from locnet.pt: the budgets add up
        folder / "locnet-bbce.pt",
        "locnet",
        create_model("locnet", loss="bbce"),
        epoch=1,
        metrics={"val_mean_m": 20.0},
        timings={
            "minutes": 2.0,
            "samples_seen": 100,
            "hardware": "1 x CPU",
            "epochs": 1,
            "init_from": {"file": "x/locnet.pt", "minutes": 1.5, "samples_seen": 640, "epochs": 2},
        },
    )
    assert main(["report", "--results", str(results), "--checkpoints", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "### RMSE (m) per sampling rate" in out
    assert "| LocNet (env-focal), mean (ours) |" in out
    assert "| LocNet (env-focal) | mode | calibrated T=0.5 (val, n=236) |" in out
    assert "| MSLocNet | mode | uncalibrated (T = 1) |" in out
    assert "test-time augmentation: off" in out
    assert "Reliability curve" in out and "| model | 10 % | 20 % |" in out
    row = next(line for line in out.splitlines() if line.startswith("| `locnet.pt`"))
    assert "| 2.00 | 640 | 1.5 | 1 x CPU | scratch | 33.3 |" in row
    assert file_sha256(folder / "locnet.pt")[:16] in row
    row = next(line for line in out.splitlines() if line.startswith("| `locnet-bbce.pt`"))
    assert "| 3.00 | 740 | 3.5 | 1 x CPU | `locnet.pt` | 20.0 |" in row


def test_cli_missing_folder_is_one_line_error(tmp_path, capsys):
    assert main(["report", "--results", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_error_profile_by_hand():
    samples = pd.DataFrame(
        {
            "model": ["locnet"] * 6 + ["centroid"] * 2,
            "variant": ["env-focal"] * 6 + ["default"] * 2,
            "readout": ["mode"] * 4 + ["mean"] * 2 + ["point"] * 2,
            "error_m": [0.0, 5.0, 20.0, 200.0, 60.0, 60.0, 30.0, 40.0],
        }
    )
    lines = report.error_profile(samples).splitlines()
    # best median first: LocNet's mode (12.5 m), the centroid (35 m), LocNet's mean (60 m)
    assert lines[2].startswith("| LocNet (env-focal) | mode | 4 | 12.5 |")
    rmse = (sum(e**2 for e in (0.0, 5.0, 20.0, 200.0)) / 4) ** 0.5
    assert f"| {rmse:.1f} | 50.0 % | 25.0 % |" in lines[2]
    assert lines[3].startswith("| RSS centroid | point | 2 | 35.0 |") and lines[3].endswith(
        "| 0.0 % | 0.0 % |"
    )
    assert lines[4].startswith("| LocNet (env-focal) | mean | 2 | 60.0 |")


def test_calibration_and_reliability_tables_by_hand():
    levels = [0.05, 0.15, 0.45, 0.95]  # truth in the 10 % region once, in the 50 % three times
    samples = pd.DataFrame(
        {
            "model": "locnet",
            "variant": "env-focal",
            "readout": ["mode"] * 4 + ["mean"] * 4,
            "error_m": [3.0, 4.0, 3.0, 4.0] * 2,
            "expected_error_m": [5.0] * 8,
            "credible_level": levels * 2,
        }
    )
    meta = {
        "checkpoints": {"l.pt": {"model": "locnet", "variant": "env-focal", "calibration": None}}
    }
    lines = report.calibration_table(samples, meta).splitlines()
    assert lines[2] == (
        "| LocNet (env-focal) | mean | uncalibrated (T = 1) | 75.0 % | 75.0 % | 3.5 | 5.0 "
        "| 30.0 points | no |"  # at 20 %: 50 % observed
    )
    curve = report.reliability_table(samples).splitlines()
    assert len(curve) == 3  # one row per model: coverage is the posterior's, not the readout's
    assert curve[2].startswith("| LocNet (env-focal) | 25.0 | 50.0 | 50.0 | 50.0 | 75.0 |")


def test_report_of_a_folder_written_before_readouts(tmp_path):
    folder = write_results_folder(
        tmp_path / "old", old_schema(synthetic_samples()), calibration=None
    )
    text = report.build_report(folder, None, [])
    assert "| LocNet (env-focal), mode (ours) |" in text
    assert "| LocNet (env-focal), mean" not in text
    assert "no credible levels" in text and "LocNet (env-focal): uncalibrated (T = 1)" in text
    assert "test-time augmentation: not recorded" in text


def test_a_lead_over_a_model_at_chance_is_not_called_a_win():
    rates = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09]
    rows = [
        {"model": m, "variant": v, "readout": r, "rate_percent": rate, "rmse_m": e}
        for m, v, r, e in (
            ("locnet", "env-focal", "mode", 40.0),
            ("mslocnet", "default", "mode", 110.0),
            ("centre", "default", "point", 108.0),
        )
        for rate in rates
    ]
    text = report.headline(pd.DataFrame(rows), None)
    assert "MSLocNet is not trained enough (at chance" in text and "beats" not in text
    better = pd.DataFrame([dict(r, rmse_m=60.0) if r["model"] == "mslocnet" else r for r in rows])
    assert "LocNet beats MSLocNet at 9 of 9 rates" in report.headline(better, None)
