"""The learned measurement models (locnet/models/rss_heatmap.py, rss_sim.py) and their fit,
calibration and checkpoints (locnet/measurements/learned.py): encodings checked cell by
cell, a short fit that learns, save/load round trips, refusals of stale checkpoints, and
evaluate-powder's handling of learned models."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from locnet.cli import main
from locnet.errors import LocNetError
from locnet.files import PROJECT_ROOT
from locnet.measurements import learned
from locnet.measurements.campus import POWDER_GRID
from locnet.measurements.dataset import DEFAULT_FOLDER, PowderDataset
from locnet.measurements.evaluate import measurement_models
from locnet.models.checkpoints import load_checkpoint
from locnet.models.measurement import MeasuredBatch
from locnet.models.registry import MEASUREMENT_FAMILY, create_model, model_info
from locnet.models.rss_heatmap import Raster, soft_target_nll
from locnet.models.rss_sim import simulate_like
from locnet.posterior.distribution import READOUTS

LEARNED = ("rss-locnet", "rss-locnet-sim", "rss-tldl", "rss-mlp")
AREA = (0.0, 0.0, 1600.0, 1600.0)  # 32 cells of 50 m
FIXED_XY = np.array([[200.0, 300.0], [1300.0, 250.0], [800.0, 1400.0], [1400.0, 1300.0]])


def law(tx: np.ndarray) -> np.ndarray:
    """Readings of the four fixed receivers (log-distance, offsets per receiver), -95 floor."""
    d = np.linalg.norm(tx[:, None, :] - FIXED_XY[None], axis=2)
    rss = np.array([10.0, 0.0, 5.0, -5.0]) - 30 * np.log10(np.maximum(d, 10.0))
    return np.where(rss < -95.0, np.nan, rss)


def make_batch(tx: np.ndarray, shuttle_xy: np.ndarray | None = None) -> MeasuredBatch:
    """Four fixed receivers and one shuttle (reporting -60 dB where it is placed)."""
    n = len(tx)
    rss = np.concatenate((law(tx), np.full((n, 1), np.nan)), axis=1)
    xy = np.concatenate((np.repeat(FIXED_XY[None], n, axis=0), np.full((n, 1, 2), np.nan)), axis=1)
    if shuttle_xy is not None:
        xy[:, 4] = shuttle_xy
        rss[:, 4] = np.where(np.isfinite(shuttle_xy).all(axis=1), -60.0, np.nan)
    fixed = np.array([True, True, True, True, False])
    return MeasuredBatch(("a", "b", "c", "d", "bus"), rss, xy, fixed, AREA, -101.0)


def test_registered_as_learned_measurement_models():
    assert set(LEARNED) <= set(measurement_models())
    for spec in ("rss-locnet", "rss-tldl", "rss-mlp"):
        info = model_info(spec)
        assert (info.family, info.output, info.trainable) == (MEASUREMENT_FAMILY, "heatmap", False)
        assert "evaluate-powder" in info.made_by
    assert create_model("rss-locnet", pretrain="sim").options == {"pretrain": "sim"}
    with pytest.raises(LocNetError, match="pretrain"):
        create_model("rss-locnet", pretrain="gan")
    with pytest.raises(LocNetError, match="multiple of 16"):
        create_model("rss-mlp", size=40)


def test_raster_cells_are_whole_blocks_of_campus_pixels():
    low = -POWDER_GRID.metres_per_pixel / 2
    high = POWDER_GRID.extent_m + low
    grid = Raster.over((low, low, high, high), 64)
    assert grid.cell_m == 50.0  # 4 x 4 pixels of 12.5 m
    pixels = np.array([[0.0, 0.0], [37.5, 37.5], [50.0, 0.0], [3187.5, 3187.5]])  # centres
    assert grid.cells(pixels).tolist() == [[0, 0], [0, 0], [1, 0], [63, 63]]
    assert np.allclose(grid.metres(np.array([[0, 0]])), [[18.75, 18.75]])  # mid of pixels 0..3


def test_encoding_places_levels_masks_and_leaves_out_what_it_cannot_read():
    tx = np.array([[250.0, 350.0], [1500.0, 1500.0], [900.0, 900.0]])
    model = create_model("rss-locnet", size=32, scale_db=60.0)
    fit = make_batch(tx)
    fit.rss_db[:, 3] = np.nan  # receiver d never heard while fitting: no floor
    model.set_floors(fit)
    assert np.isnan(model.floor_db[3]) and np.isnan(model.floor_db[4])
    query = make_batch(tx[:1], shuttle_xy=np.array([[1000.0, 1000.0]]))
    query.rss_db[0, 1] = np.nan  # b does not hear this one
    x = model.encode(query)[0]
    cell = lambda xy: tuple(Raster.over(AREA, 32).cells(np.asarray(xy))[::-1])
    a, b, d = cell(FIXED_XY[0]), cell(FIXED_XY[1]), cell(FIXED_XY[3])
    expected = np.clip((query.rss_db[0, 0] - model.floor_db[0]) / 60.0, 0, 1)
    assert x[0][a] == pytest.approx(expected) and x[1][a] == 1.0
    assert x[0][b] == 0.0 and x[1][b] == 1.0  # a fixed receiver that heard nothing: a 0 reading
    assert x[1][d] == 0.0  # never heard while fitting: left out
    assert x[1][cell([1000.0, 1000.0])] == 0.0  # the shuttle has no floor either
    assert int(x[1].sum()) == 3
    features = create_model("rss-mlp", size=32)
    features.set_floors(make_batch(tx, shuttle_xy=np.full((3, 2), 500.0)))
    f = features.inputs(query)
    assert f.shape == (1, 10) and f[0, 4] == 0.0 and f[0, 9] == 0.0  # the shuttle's columns
    assert f[0, 5] == 1.0 and f[0, 6] == 0.0  # heard flags of a and b


def test_soft_target_nll_is_the_posteriors_log_likelihood():
    logits = torch.randn(2, 8, 8)
    one_hot = torch.zeros(2, 1, 8, 8)
    one_hot[:, 0, 3, 5] = 1.0
    expected = -torch.log_softmax(logits.flatten(1), dim=1)[:, 3 * 8 + 5].mean()
    assert soft_target_nll(logits, one_hot) == pytest.approx(float(expected), rel=1e-6)
    target = torch.rand(1, 1, 8, 8) + 0.01
    best = soft_target_nll(torch.log(target[:, 0]), target)
    assert best < soft_target_nll(torch.log(target[:, 0]) + torch.randn(1, 8, 8), target)


def test_a_short_fit_learns_and_its_state_round_trips():
    rng = np.random.default_rng(0)
    tx = rng.uniform(100, 1500, size=(300, 2))
    model = create_model("rss-mlp", size=16, cpu_minutes=0.05, seed=1).fit(make_batch(tx), tx)
    assert model.history[-1]["samples_seen"] > 0 and model.history[-1]["stage"] == "real"
    test = rng.uniform(100, 1500, size=(40, 2))
    error = np.hypot(*(model.predict(make_batch(test)) - test).T).mean()
    centre = np.hypot(*(test - tx.mean(axis=0)).T).mean()
    assert error < 0.7 * centre
    again = create_model("rss-mlp", size=16)
    again.load_state_dict(model.state_dict(), model.receivers)
    assert torch.equal(again.logits(make_batch(test)), model.logits(make_batch(test)))
    assert np.array_equal(np.isnan(again.floor_db), np.isnan(model.floor_db))


def test_simulated_samples_copy_the_real_layout():
    rng = np.random.default_rng(0)
    tx = rng.uniform(300, 1300, size=(50, 2))
    shuttle = rng.uniform(0, 1600, size=(50, 2))
    shuttle[::2] = np.nan  # present in half of the samples
    real = make_batch(tx, shuttle_xy=shuttle)
    sim, truth = simulate_like(real, tx, 40, np.random.default_rng(3))
    assert sim.rss_db.shape == (40, 5) and truth.shape == (40, 2)
    assert np.allclose(sim.xy_m[:, :4], FIXED_XY[None])
    assert ((truth >= 300 - 50) & (truth <= 1300 + 50)).all()
    placed = np.isfinite(sim.xy_m[:, 4]).all(axis=1)
    pool = {tuple(p) for p in shuttle[~np.isnan(shuttle[:, 0])]}
    assert all(tuple(p) in pool for p in sim.xy_m[placed, 4])
    heard = sim.heard[:, :4].mean()
    assert 0.3 < heard < 0.95
    again, _ = simulate_like(real, tx, 40, np.random.default_rng(3))
    assert np.array_equal(np.isnan(again.rss_db), np.isnan(sim.rss_db))
    assert np.allclose(np.nan_to_num(again.rss_db), np.nan_to_num(sim.rss_db))


def test_fit_save_load_answer_and_refuse_another_split(imported, tmp_path):
    data = PowderDataset.open(imported)
    path = learned.checkpoint_path(tmp_path, "rss-mlp", "random")
    learned.fit_and_save(data, "random", "rss-mlp", path, cpu_minutes=0.02)
    assert path.stat().st_size < 2_000_000
    payload = load_checkpoint(path)
    assert payload["calibration"]["temperature"] > 0
    assert payload["calibration"]["default_readout"] in READOUTS
    assert payload["train_config"]["receivers"] == list(data.receiver_ids)
    assert payload["timings"]["cpu_minutes"] >= 0.02
    model = learned.load(path, "rss-mlp", data, "random")
    _, test = data.split("random")
    answered = learned.answer(model, data.batch(test), data.truth_m(test))
    assert answered.xy_m.shape == (len(test), 2) and answered.readout in READOUTS
    level = answered.posterior["credible_level"]
    assert ((level >= 0) & (level <= 1)).all()
    assert (answered.posterior["area90_m2"] >= answered.posterior["area50_m2"]).all()
    other = learned.checkpoint_path(tmp_path, "rss-mlp", "grid")
    shutil.copy(path, other)
    with pytest.raises(LocNetError, match="another training side.*--fit missing"):
        learned.load(other, "rss-mlp", data, "grid")
    with pytest.raises(LocNetError, match="holds rss-mlp"):
        learned.load(path, "rss-tldl", data, "random")


def test_evaluate_powder_leaves_out_or_refuses_learned_models_without_weights(
    imported, tmp_path, capsys
):
    out, weights = tmp_path / "results", tmp_path / "weights"
    base = ["evaluate-powder", "--data", str(imported), "--out", str(out), "--splits", "grid"]
    assert main([*base, "--checkpoints", str(weights)]) == 0
    printed = capsys.readouterr().out
    assert "left out rss-mlp" in printed and "--fit missing" in printed
    summary = pd.read_csv(out / "grid" / "summary.csv")
    assert not set(LEARNED) & set(summary["model"])
    assert summary["coverage90"].isna().all() and set(summary["readout"]) == {"point"}
    meta = json.loads((out / "grid" / "meta.json").read_text())
    assert set(meta["left_out"]) == set(LEARNED)
    assert main([*base, "--checkpoints", str(weights), "--models", "rss-mlp"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: rss-mlp on split grid") and "--fit missing" in err
    assert "\n" not in err


@pytest.mark.slow
def test_evaluate_powder_fits_a_missing_learned_model_then_loads_it(imported, tmp_path, capsys):
    out, weights = tmp_path / "results", tmp_path / "weights"
    argv = ["evaluate-powder", "--data", str(imported), "--out", str(out), "--splits", "grid",
            "--models", "rss-mlp,rss-knn", "--checkpoints", str(weights)]  # fmt: skip
    assert main([*argv, "--fit", "missing", "--cpu-minutes", "0.02"]) == 0
    first = pd.read_csv(out / "grid" / "summary.csv").set_index("model")
    assert (weights / "rss-mlp-grid.pt").is_file()
    assert 0 <= first.loc["rss-mlp", "coverage90"] <= 1
    assert first.loc["rss-mlp", "train_cpu_min"] >= 0.02
    assert np.isnan(first.loc["rss-knn", "coverage90"])
    assert main(argv) == 0  # loaded, not refitted: the same answers
    again = pd.read_csv(out / "grid" / "summary.csv").set_index("model")
    assert again.loc["rss-mlp", "mean_m"] == pytest.approx(first.loc["rss-mlp", "mean_m"])
    capsys.readouterr()
    assert main(["report", "--section", "powder", str(out)]) == 0
    assert "90 % cover" in capsys.readouterr().out


COMMITTED = PROJECT_ROOT / "checkpoints" / "real"


def committed() -> list:
    return sorted(COMMITTED.glob("*.pt")) if COMMITTED.is_dir() else []


@pytest.mark.parametrize("path", committed(), ids=lambda p: p.name)
def test_committed_checkpoints_are_small_and_fit_the_committed_copy(path):
    assert path.stat().st_size < 2_000_000
    data = PowderDataset.open(PROJECT_ROOT / DEFAULT_FOLDER)
    spec, split = path.stem.rsplit("-", 1)
    model = learned.load(path, spec, data, split)
    assert model.calibration["fitted"]["n"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("path", committed(), ids=lambda p: p.name)
def test_committed_checkpoints_reproduce_the_committed_results(path):
    data = PowderDataset.open(PROJECT_ROOT / DEFAULT_FOLDER)
    spec, split = path.stem.rsplit("-", 1)
    summary = pd.read_csv(PROJECT_ROOT / "results" / "powder" / split / "summary.csv")
    row = summary.set_index("model").loc[spec]
    _, test = data.split(split)
    answered = learned.answer(learned.load(path, spec, data, split), data.batch(test),
                              data.truth_m(test))  # fmt: skip
    error = np.hypot(*(answered.xy_m - data.truth_m(test)).T)
    assert error.mean() == pytest.approx(row["mean_m"], abs=0.01)
    assert answered.posterior["in90"].mean() == pytest.approx(row["coverage90"], abs=1e-9)


def test_the_pretraining_table_pairs_scratch_and_simulator_per_split(tmp_path):
    from locnet.report.powder_tables import powder_pretraining, powder_table

    row = {"family": "spatial", "n": 666, "n_train": 4340, "median_m": 1.0, "rmse_m": 2.0,
           "p90_m": 3.0, "readout": "mean", "coverage90": 0.9}  # fmt: skip
    (tmp_path / "grid").mkdir()
    pd.DataFrame([
        row | {"split": "grid", "model": "rss-knn", "mean_m": 168.3, "coverage90": np.nan},
        row | {"split": "grid", "model": "rss-locnet", "mean_m": 160.0, "train_cpu_min": 10.0},
        row | {"split": "grid", "model": "rss-locnet-sim", "mean_m": 170.0, "train_cpu_min": 10.1},
    ]).to_csv(tmp_path / "grid" / "summary.csv", index=False)  # fmt: skip
    text = powder_pretraining(tmp_path)
    assert "| grid (spatial) | from scratch | 10.0 | 160.0 |" in text
    assert "| grid (spatial) | simulator, then real | 10.1 | 170.0 |" in text
    assert "| rss-knn | 168.3 | 1.0 | 2.0 | 3.0 | – | – |" in powder_table(tmp_path)
    (tmp_path / "grid" / "summary.csv").write_text(
        "split,family,model,n,n_train,mean_m,median_m,rmse_m,p90_m\n"
        "grid,spatial,rss-knn,666,4340,168.3,1,2,3\n"
    )  # a folder written before the learned models: no coverage, no pair
    assert "| – | – |" in powder_table(tmp_path)
    with pytest.raises(LocNetError, match="rss-locnet-sim"):
        powder_pretraining(tmp_path)
