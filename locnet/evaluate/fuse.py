"""`python -m locnet fuse`: make a `fusion` checkpoint (a learned heatmap model x simfit).

Takes a calibrated heatmap checkpoint (its posterior is softmax(logits / T)), runs it and
simfit over validation samples once, and picks the weight w of simfit's log-likelihood by
the validation likelihood of the true pixels (each w with its own best temperature; w = 0
is the base model alone, so a fusion is never worse than its base on the data it was
fitted on). The fused model is then calibrated like every heatmap checkpoint and written,
with the base weights, to --out (atomically). docs/models.md ("fusion").
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from locnet import config_cli
from locnet.config_cli import option
from locnet.constants import RATES_PERCENT
from locnet.data.radiomapseer import open_dataset
from locnet.data.sampling import encode_batch
from locnet.errors import LocNetError
from locnet.evaluate.calibrate import CALIBRATION_SPLITS, Collected, fit_calibration, readout_errors
from locnet.evaluate.plan import plan_samples, planned_batches
from locnet.evaluate.run import parse_rates
from locnet.evaluate.tables import portable_path
from locnet.models import checkpoints as ckpt
from locnet.models.base import argmax_xy
from locnet.models.device import pick_device
from locnet.models.fusion import Fusion, fused_logits
from locnet.models.registry import HEATMAP_OUTPUTS, create_model, model_info
from locnet.posterior import distribution as P
from locnet.posterior.calibration import Calibration

WEIGHT_GRID = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # simfit exponents tried


@dataclass
class Parts:
    """Validation samples: the base model's and simfit's logits (N, H, W), float32."""

    base: torch.Tensor
    physics: torch.Tensor
    outdoor: torch.Tensor
    truth: torch.Tensor
    rates: np.ndarray


def collect_parts(model: Fusion, source, plan, batch_size: int, quiet: bool) -> Parts:
    """Run the base model and simfit over the planned samples (each once)."""
    device = next(model.base.parameters()).device
    kept: dict[str, list] = {k: [] for k in ("base", "physics", "outdoor", "truth")}
    with torch.inference_mode():
        for gray, mask, buildings, truth in planned_batches(source, plan, batch_size, quiet):
            base, physics = model.parts(encode_batch(gray, mask, buildings).to(device))
            kept["base"].append(base.float().cpu())
            kept["physics"].append(physics.float().cpu())
            kept["outdoor"].append(buildings == 0)
            kept["truth"].append(truth)
    return Parts(*(torch.cat(kept[k]) for k in kept), np.array([s[2] for s in plan]))


def fused_collection(parts: Parts, base_temperature: float, weight: float) -> Collected:
    """The fused model's validation logits and answers at weight w."""
    logits = fused_logits(parts.base, parts.physics, base_temperature, weight)
    return Collected(logits, parts.outdoor, parts.truth, argmax_xy(logits).float(), parts.rates)


def weight_grid(parts: Parts, base_temperature: float, weights=WEIGHT_GRID) -> list[dict]:
    """Per weight: the best temperature, the NLL of the true pixels there, mode and mean RMSE."""
    rows = []
    for weight in weights:
        data = fused_collection(parts, base_temperature, weight)
        fit = P.fit_temperature(data.logits, data.outdoor, data.truth)
        rows.append(
            {
                "weight": weight,
                "temperature": fit.temperature,
                "nll": fit.nll,
                "mode_rmse_m": float(readout_errors(data, "mode", fit.temperature).pow(2).mean().sqrt()),
                "mean_rmse_m": float(readout_errors(data, "mean", fit.temperature).pow(2).mean().sqrt()),
            }
        )
    return rows


@dataclass(frozen=True)
class FuseConfig:
    """`fuse`'s command line, one field per flag (locnet.config_cli)."""

    base: str = option(help="calibrated heatmap checkpoint, e.g. checkpoints/locnet.pt")
    data: str = option(help="dataset folder to fit on (RadioMapSeer layout; its --split)")
    out: str = option("checkpoints/fusion.pt", help="fusion checkpoint to write")
    split: str = option("val", help="split to fit on: val (default) or train; never test")
    rates: str = option(",".join(f"{r:g}" for r in RATES_PERCENT), help="rates in %%")
    masks_per_tx: int = option(1, help="masks per transmitter and rate")
    limit: int | None = option(12, help="at most N (map, transmitter) pairs (seeded choice)")
    seed: int = option(0, help="seed of random masks and of --limit")
    settings: int = option(4, help="simfit's propagation settings (1: the paper-like one only)")
    device: str = option("auto", help="auto | cpu | cuda | cuda:N | mps")
    batch_size: int = option(4, help="maps per model call")
    force: bool = option(False, help="replace an existing --out")
    quiet: bool = option(False, record=False, help="no progress bar")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, FuseConfig)


def _check_paths(cfg: FuseConfig) -> tuple[Path, Path]:
    """Fail before any work: a missing base or data, an --out that exists or is the base."""
    base, out = Path(cfg.base), Path(cfg.out)
    if not base.is_file():
        raise LocNetError(f"--base {base} does not exist; give a calibrated .pt file from `train`")
    if not Path(cfg.data).is_dir():
        raise LocNetError(f"--data {cfg.data} is not a folder; point it at a dataset")
    if cfg.split not in CALIBRATION_SPLITS:
        raise LocNetError(f"--split {cfg.split}: fit on validation data ('val'), never on the test split")
    if out.resolve() == base.resolve():
        raise LocNetError(f"--out {out} is the base checkpoint; write the fusion to another file")
    if out.exists() and not cfg.force:
        raise LocNetError(f"--out {out} exists; pass --force to replace it or choose another file")
    if out.parent.exists() and not out.parent.is_dir():
        raise LocNetError(f"--out {out}: {out.parent} is a file, not a folder; give another path")
    if cfg.settings < 1 or cfg.masks_per_tx < 1 or cfg.batch_size < 1:
        raise LocNetError("--settings, --masks-per-tx and --batch-size must be >= 1")
    return base, out


def _base_model(path: Path, device: torch.device):
    """The base model and its calibration; refuses a model without a calibrated posterior."""
    info = ckpt.checkpoint_info(path)
    registered = model_info(info.model)
    if registered.output not in HEATMAP_OUTPUTS or registered.family == "physics":
        raise LocNetError(
            f"--base {path} holds a '{info.model}' model; a fusion needs a learned heatmap "
            "model (locnet, locnet_voronoi, mslocnet ...)"
        )
    model = ckpt.load_weights(path, info.model, device=device)
    calibration = Calibration.from_dict(model.calibration, path)
    if not calibration.calibrated:
        raise LocNetError(
            f"--base {path} is not calibrated; run `python -m locnet calibrate --checkpoint "
            f"{path} --data DATASET` first (the fusion multiplies its calibrated posterior)"
        )
    return info, model, calibration


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(FuseConfig, args)
    base_path, out = _check_paths(cfg)
    device = pick_device(cfg.device)
    info, base, base_calibration = _base_model(base_path, device)
    t_base = base_calibration.temperature

    def fused_model(weight: float) -> Fusion:
        """The fusion of these weights at `weight`, its options recorded by the registry."""
        model = create_model(
            "fusion", base=info.model, base_temperature=t_base, weight=weight, settings=cfg.settings
        )
        model.base.load_state_dict(base.state_dict())
        return model.to(device).eval()

    fusion = fused_model(0.0)  # the weight does not enter the parts the fit needs

    source = open_dataset(cfg.data)
    plan, _ = plan_samples(source, cfg.split, parse_rates(cfg.rates), cfg.masks_per_tx, cfg.limit, cfg.seed)
    started = time.perf_counter()
    parts = collect_parts(fusion, source, plan, cfg.batch_size, cfg.quiet)
    seconds = time.perf_counter() - started

    grid = weight_grid(parts, t_base)
    best = min(grid, key=lambda row: row["nll"])
    print(f"base {base_path} (T = {t_base:.4f}); {len(plan)} samples of {cfg.data} {cfg.split}, "
          f"{seconds:.0f} s for both models")
    print("weight      T      NLL   mode RMSE (m)  mean RMSE (m)")
    for row in grid:
        mark = "  <- max likelihood" if row is best else ""
        print(f"{row['weight']:6g}  {row['temperature']:6.3f}  {row['nll']:7.3f}  "
              f"{row['mode_rmse_m']:13.1f}  {row['mean_rmse_m']:13.1f}{mark}")

    fusion = fused_model(best["weight"])
    fitted = {
        "data": portable_path(source.root),
        "fingerprint": source.fingerprint(),
        "split": cfg.split,
        "rates": parse_rates(cfg.rates),
        "masks_per_tx": cfg.masks_per_tx,
        "seed": cfg.seed,
    }
    calibration, _ = fit_calibration(fused_collection(parts, t_base, best["weight"]), fitted)
    ckpt.save_checkpoint(
        out,
        "fusion",
        fusion,
        train_config={**asdict(cfg), "base_sha256": ckpt.file_sha256(base_path)},
        data_fingerprint=source.fingerprint(),
        metrics={"weight_grid": grid, "val_rmse_m": calibration.fitted["val_rmse_m"]},
        # its training budget is its base's; the fit's seconds are added
        timings={**(ckpt.read_file(base_path).get("timings") or {}), "fuse_seconds": round(seconds, 1)},
        calibration=calibration.to_dict(),
    )
    print(f"weight w = {best['weight']:g}; fused T = {calibration.temperature:.4f}, default "
          f"readout {calibration.default_readout}; wrote {out}")
    return 0
