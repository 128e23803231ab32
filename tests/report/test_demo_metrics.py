"""The stakeholder metrics (issue #26): % within 10 m and median beside RMSE, takeaways
computed from the data, models at chance, the landing page's headline numbers, readable
tables, and which folders show other weights than the installed ones."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from locnet.evaluate.folders import ResultSet
from locnet.report import accuracy as A
from locnet.report import chance as C
from locnet.report import display as D
from locnet.report import freshness as FR
from locnet.report.headlines import headline_numbers, headline_source


def samples_frame(errors: dict[tuple[str, str], list[float]], *, rate=0.05, spread=True):
    """Rows of samples.parquet: each series' errors on the same (map, tx) cases; truths
    spread over the map; predictions `error` metres east of the truth (or all one place
    for a model named 'stuck')."""
    rows = []
    n = len(next(iter(errors.values())))
    rng = np.random.default_rng(0)
    truths = rng.uniform(20, 236, size=(n, 2)) if spread else np.full((n, 2), 128.0)
    for (model, variant), errs in errors.items():
        for i, e in enumerate(errs):
            tx, ty = truths[i]
            px, py = (60.0, 60.0) if model == "stuck" else (tx + e, ty)
            rows.append(
                {
                    "map": str(i % 3), "env_id": "e", "city": f"City {i % 3}", "tx": i, "mask": 0,
                    "rate_percent": rate, "model": model, "variant": variant,
                    "readout": "mode" if model in ("locnet", "mslocnet") else "point",
                    "pred_x": px, "pred_y": py, "true_x": tx, "true_y": ty,
                    "error_m": float(np.hypot(px - tx, py - ty)), "runtime_ms": 1.0,
                    "expected_error_m": 5.0, "area50_m2": 100.0, "area90_m2": 400.0,
                    "credible_level": 0.2, "in50": 1.0, "in90": 1.0,
                }
            )
    return pd.DataFrame(rows)


def test_within_percent_counts_errors_at_most_10_m():
    assert A.within_percent([0.0, 10.0, 10.01, 50.0]) == 50.0
    assert np.isnan(A.within_percent([]))


def test_with_within_adds_the_share_per_series_and_rate():
    samples = pd.concat(
        [
            samples_frame({("locnet", "env-focal"): [1, 2, 30, 40]}, rate=0.01),
            samples_frame({("locnet", "env-focal"): [1, 2, 3, 40]}, rate=0.05),
        ]
    )
    summary = pd.DataFrame(
        {"model": ["locnet"] * 2, "variant": ["env-focal"] * 2, "readout": ["mode"] * 2,
         "rate_percent": [0.01, 0.05], "rmse_m": [1.0, 2.0]}
    )
    out = A.with_within(summary, samples)
    assert out[A.WITHIN_METRIC].tolist() == [50.0, 75.0]
    assert A.with_within(summary, None)[A.WITHIN_METRIC].isna().all()


def test_a_model_no_better_than_the_map_centre_is_at_chance():
    n = 40
    samples = samples_frame(
        {("locnet", "env-focal"): [3.0] * n, ("centroid", "default"): [20.0] * n}
    )
    centre = C.centre_errors_m(samples[samples["model"] == "locnet"])
    rmse_centre = float(np.sqrt(np.mean(centre**2)))
    guess = samples[samples["model"] == "locnet"].assign(
        model="mslocnet", variant="default", error_m=centre.to_numpy() * 0.97
    )
    reasons = C.chance_reasons(pd.concat([samples, guess]))
    assert set(reasons) == {("mslocnet", "default")}  # 3 % better than the centre: chance
    assert f"{rmse_centre:.0f} m" in reasons[("mslocnet", "default")]
    better = guess.assign(error_m=centre.to_numpy() * 0.9)  # 10 % better: trained
    assert not C.chance_reasons(pd.concat([samples, better]))


def test_a_collapsed_model_answering_one_place_is_at_chance():
    samples = samples_frame({("stuck", "default"): [0.0] * 30, ("locnet", "env-focal"): [2.0] * 30})
    reasons = C.chance_reasons(samples)
    assert list(reasons) == [("stuck", "default")] and "collapsed" in reasons[("stuck", "default")]
    assert C.chance_label("X", reasons, ("stuck", "default")) == f"X: {C.CHANCE_LABEL}"


def test_chance_from_summary_needs_the_centre_and_compares_with_it():
    summary = pd.DataFrame(
        {"model": ["centre", "mslocnet", "locnet"], "variant": ["default"] * 3,
         "rate_percent": [0.05] * 3, "rmse_m": [100.0, 97.0, 40.0]}
    )
    assert set(C.chance_from_summary(summary)) == {("mslocnet", "default")}
    assert C.chance_from_summary(summary[summary["model"] != "centre"]) == {}


def test_chance_by_sha256_names_the_evaluated_bytes():
    samples = samples_frame({("stuck", "default"): [0.0] * 30, ("locnet", "env-focal"): [2.0] * 30})
    meta = {"checkpoints": {"a.pt": {"model": "stuck", "variant": "default", "sha256": "ab"},
                            "b.pt": {"model": "locnet", "variant": "env-focal", "sha256": "cd"}}}
    assert set(C.chance_by_sha256(samples, meta)) == {"ab"}


def _table(rates, values):
    rows = []
    for (model, variant), per_rate in values.items():
        for rate, (within, rmse) in zip(rates, per_rate):
            rows.append({"model": model, "variant": variant, "readout": "mode",
                         "rate_percent": rate, A.WITHIN_METRIC: within, "rmse_m": rmse,
                         "median_m": rmse / 2, "n": 10})
    return pd.DataFrame(rows)


def test_takeaway_is_computed_from_the_table_and_names_the_best_fair_rival():
    table = _table(
        (0.01, 0.05),
        {
            ("locnet", "env-focal"): [(40, 60), (60, 40)],
            ("centroid", "default"): [(30, 50), (35, 45)],
            ("mslocnet", "default"): [(90, 10), (95, 5)],  # better, but at chance here
        },
    )
    chance = {("mslocnet", "default"): "collapsed"}
    line = A.takeaway(table, A.WITHIN_METRIC, chance)
    assert "puts 50 % of its answers within 10 m (average over 2 rates)" in line
    assert "against 32 % for the best other model, RSS centroid" in line
    assert "ahead at 2 of 2 rates" in line and "Not compared (at chance): MSLocNet" in line
    rmse = A.takeaway(table, "rmse_m", chance)
    assert "RMSE is 50.0 m" in rmse and "47.5 m" in rmse and "ahead at 1 of 2 rates" in rmse


def test_takeaway_never_calls_a_win_over_models_at_chance_a_win():
    table = _table((0.05,), {("locnet", "env-focal"): [(20, 90)], ("tldl", "default"): [(0, 110)]})
    line = A.takeaway(table, "rmse_m", {("tldl", "default"): "RMSE 110 m"})
    assert "at chance" in line and "no win" in line and "ahead" not in line
    winners = pd.DataFrame({"rate": ["0.05 %"], "best": ["LocNet (env-focal)"], "rmse_m": [90.0],
                            "margin_m": [20.0]})
    text = A.fair_winner_line(winners, ["LocNet (env-focal)", "TL;DL"], {"TL;DL"})
    assert "no win" in text and "TL;DL" in text
    fair = A.fair_winner_line(winners, ["LocNet (env-focal)", "RSS centroid"], set())
    assert fair == "Lowest RMSE per rate: LocNet (env-focal) at 1 of 1 rates."


def test_overview_puts_within_median_and_rmse_side_by_side():
    table = _table((0.05,), {("locnet", "env-focal"): [(60, 40)], ("centroid", "default"): [(30, 45)]})
    out = A.overview_table(table, {("centroid", "default"): "x"})
    assert list(out["series"]) == ["LocNet (env-focal)", "RSS centroid"]
    assert list(out.columns[:4]) == ["series", A.WITHIN_METRIC, "median_m", "rmse_m"]
    assert out.loc[1, "chance"] == C.CHANCE_LABEL and out.loc[0, "chance"] == ""


def test_size_takeaway_names_the_best_trained_model_and_the_largest():
    averages = pd.DataFrame(
        {"model": ["locnet", "tldl"], "variant": ["env-focal", "default"],
         "rmse_m": [40.0, 100.0], "parameters": [100_000, 30_000_000]}
    )
    line = A.size_takeaway(averages, "rmse_m")
    assert "LocNet (env-focal) (40.0 m, 100,000 parameters)" in line and "300x" in line
    assert A.size_takeaway(averages.iloc[:0], "rmse_m") == ""


def test_environment_accuracy_is_per_map():
    samples = samples_frame({("locnet", "env-focal"): [1, 20, 3, 40, 5, 60]})
    out = A.environment_accuracy(samples, "locnet", "env-focal").set_index("map")
    assert out.loc["0", A.WITHIN_METRIC] == 50.0 and out.loc["0", "median_m"] == 20.5


def test_headlines_are_read_from_the_folder():
    n = 10
    samples = samples_frame(
        {
            ("locnet", "env-focal"): [1, 2, 3, 4, 5, 50, 60, 70, 80, 90],
            ("centroid", "default"): [5] * 3 + [30] * 7,
            ("centre", "default"): [100] * n,
        }
    )
    samples.loc[samples["model"] == "locnet", "in90"] = [1.0] * 8 + [0.0] * 2
    res = ResultSet(Path("results/x"), pd.DataFrame(), samples=samples, meta={})
    within, median, inside = headline_numbers(res)
    assert within.value == "50 %" and "RSS centroid" in within.detail and "30 %" in within.detail
    assert median.value == "27.5 m" and "30.0 m" in median.detail
    assert inside.value == "80 %"
    assert headline_source(res).startswith("10 test cases on 3 held-out maps (3 cities)")


def test_readable_table_has_plain_names_and_no_missing_cells():
    table = pd.DataFrame(
        {"rmse_m_paper": [1.234, np.nan], "model": ["a", None], "n": [1, 2], "ok": [True, False]}
    )
    out = D.readable_table(table)
    assert list(out.columns) == ["RMSE paper-like (m)", "model", "samples", "ok"]
    assert out.iloc[0, 0] == "1.2" and out.iloc[1, 0] == "" and out.iloc[1, 1] == ""
    assert out["samples"].tolist() == [1, 2] and out["ok"].tolist() == [True, False]
    assert D.plural(1, "sensor") == "1 sensor" and D.plural(33, "sensor") == "33 sensors"
    assert D.plural(3, "city", "cities") == "3 cities" and D.plural(30000, "sensor") == "30,000 sensors"


def _folder(tmp_path: Path, sha: str, command: str | None = None) -> ResultSet:
    checkpoint = tmp_path / "checkpoints" / "locnet.pt"
    checkpoint.parent.mkdir(exist_ok=True)
    checkpoint.write_bytes(b"weights v2")
    meta = {
        "dataset": {"path": "data/demo"},
        "checkpoints": {"locnet.pt": {"path": "checkpoints/locnet.pt", "model": "locnet",
                                      "variant": "env-focal", "sha256": sha}},
        "date": "2026-12-02T11:41:02+00:00",
        "split": "test",
    }
    if command:
        meta["command"] = command
    folder = tmp_path / "results" / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").write_text(json.dumps(meta))
    return ResultSet(folder, pd.DataFrame(), meta=meta)


def test_a_folder_of_other_weights_says_so_in_one_line_with_the_refresh_command(tmp_path):
    from locnet.models.checkpoints import file_sha256

    res = _folder(tmp_path, "7f54f8041309" + "0" * 52, "python -m locnet evaluate --out results/demo")
    stale = FR.stale_weights(res.meta, tmp_path)
    assert [s.name for s in stale] == ["locnet.pt"]
    assert stale[0].installed == file_sha256(tmp_path / "checkpoints" / "locnet.pt")
    line = FR.freshness_line(res, tmp_path)
    assert "\n" not in line and "`results/demo`" in line and "7f54f804…" in line
    assert line.endswith("Refresh: `python -m locnet evaluate --out results/demo --force`")
    fresh = _folder(tmp_path, file_sha256(tmp_path / "checkpoints" / "locnet.pt"))
    assert FR.freshness_line(fresh, tmp_path) is None
    (tmp_path / "checkpoints" / "locnet.pt").unlink()
    assert "is not installed" in FR.freshness_line(fresh, tmp_path)


def test_source_line_names_weights_by_sha_and_paths_relative_to_the_project(tmp_path):
    res = _folder(tmp_path, "ab" * 32)
    line = FR.source_line(res, "summary.csv", tmp_path)
    assert "`results/demo/summary.csv`" in line and str(tmp_path) not in line
    assert "LocNet (env-focal) weights abababab…" in line and "evaluated 2026-12-02" in line


@pytest.mark.parametrize(
    "command", ["python -m locnet evaluate --out r --force", "python -m locnet evaluate --out r", None]
)
def test_refresh_command_always_overwrites(tmp_path, command):
    refresh = FR.refresh_command(_folder(tmp_path, "00", command))
    assert refresh.startswith("python -m locnet evaluate") and refresh.split().count("--force") == 1
