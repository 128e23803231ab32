"""`python -m locnet calibrate`: fit a heatmap checkpoint's posterior on validation data.

Fits the temperature T of p = softmax(logits / T) over outdoor pixels by maximum
likelihood of the true pixels of the validation split (never the test split), picks
the temperature each point readout is read at and the default readout by validation
RMSE, prints the check grid, and stores all of it in the checkpoint (atomic rewrite:
the weights are unchanged, the file's sha256 changes). docs/posterior.md.

A fit on fewer than MIN_SAMPLES validation samples is refused unless --force (a handful
of samples gives a temperature that is noise), the calibration it replaces is kept in the
checkpoint's `calibration_history`, and the checkpoint's folder is checked writable (and
the file claimed, locnet.files.claim_output_file) before the model runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from locnet import config_cli
from locnet.config_cli import option
from locnet.constants import PIXEL_M, RATES_PERCENT
from locnet.data.radiomapseer import open_dataset
from locnet.data.sampling import encode_batch
from locnet.errors import LocNetError
from locnet.evaluate.plan import plan_samples, planned_batches
from locnet.evaluate.run import parse_rates
from locnet.evaluate.tables import portable_path
from locnet.files import claim_output_file, typed_command
from locnet.models import checkpoints as ckpt
from locnet.models.device import pick_device
from locnet.models.registry import HEATMAP_OUTPUTS, create_model, fixed_variant, model_info
from locnet.posterior import distribution as P
from locnet.posterior.calibration import Calibration

# temperatures printed and searched for the readouts (simfit's sum-of-misfits logits want T > 1)
CHECK_GRID = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0, 4.0, 8.0)
CALIBRATION_SPLITS = ("val", "train")  # the test split stays unseen
CHUNK = 64  # maps per posterior computation (bounds memory)
MIN_SAMPLES = 100  # validation samples below which a fit is refused without --force
WRITE_FIX = "copy the checkpoint into a folder you can write to, or add --dry-run to only print the fit"


@dataclass
class Collected:
    """Validation samples of one model: float16 logits (N, H, W), outdoor (N, H, W),
    true (x, y) (N, 2), the model's own answers (N, 2) and each sample's rate."""

    logits: torch.Tensor
    outdoor: torch.Tensor
    truth: torch.Tensor
    model_xy: torch.Tensor
    rates: np.ndarray


def collect(model, source, plan, device: torch.device, batch_size: int, quiet: bool) -> Collected:
    """Run the model over planned samples, keeping logits (not probabilities) in float16."""
    env = bool((getattr(model, "options", None) or {}).get("env", True))
    parts: dict[str, list] = {k: [] for k in ("logits", "outdoor", "truth", "xy")}
    with torch.inference_mode():
        for gray, mask, buildings, truth in planned_batches(source, plan, batch_size, quiet):
            prediction = model.predict(encode_batch(gray, mask, buildings, env=env).to(device))
            if prediction.logits is None:
                raise LocNetError(
                    "this model has no heatmap, so nothing to calibrate; calibrate "
                    "LocNet, MSLocNet, TL;DL or DeepMTL checkpoints"
                )
            logits = prediction.logits.float()  # shifted to max 0: float16 keeps the peak sharp
            logits = logits - logits.flatten(1).amax(dim=1)[:, None, None]
            parts["logits"].append(logits.half().cpu())
            parts["outdoor"].append(buildings == 0)
            parts["truth"].append(truth)
            parts["xy"].append(prediction.xy.float().cpu())
    return Collected(
        torch.cat(parts["logits"]),
        torch.cat(parts["outdoor"]),
        torch.cat(parts["truth"]),
        torch.cat(parts["xy"]),
        np.array([s[2] for s in plan]),
    )


def readout_errors(data: Collected, readout: str, temperature: float) -> torch.Tensor:
    """(N,) metres between each true pixel and the readout at `temperature`."""
    if readout == "mode":
        return (data.model_xy - data.truth.float()).norm(dim=1) * PIXEL_M
    answers = []
    for start in range(0, len(data.logits), CHUNK):
        sl = slice(start, start + CHUNK)
        probs = P.probabilities(data.logits[sl].float(), data.outdoor[sl], temperature)
        answers.append(P.read_out(probs, readout))
    return (torch.cat(answers) - data.truth.float()).norm(dim=1) * PIXEL_M


def coverage(data: Collected, temperature: float, level: float = 0.9) -> float:
    """Share of true pixels inside the level region at `temperature`."""
    inside = []
    for start in range(0, len(data.logits), CHUNK):
        sl = slice(start, start + CHUNK)
        probs = P.probabilities(data.logits[sl].float(), data.outdoor[sl], temperature)
        inside.append(P.credible_level(probs, data.truth[sl]) < level)
    return float(torch.cat(inside).float().mean())


def _rmse(errors: torch.Tensor) -> float:
    return float(errors.pow(2).mean().sqrt())


def fit_calibration(data: Collected, fitted: dict) -> tuple[Calibration, list[dict]]:
    """Maximum-likelihood T, then per readout the grid temperature with the lowest RMSE.

    Returns the Calibration and the check grid rows (T, NLL, RMSE per readout, coverage).
    """
    fit = P.fit_temperature(data.logits, data.outdoor, data.truth)
    temperatures = sorted({*CHECK_GRID, fit.temperature})
    grid = []
    for t in temperatures:
        row = {"temperature": t, "nll": P.mean_nll(data.logits, data.outdoor, data.truth, t)}
        for readout in ("mean", "median"):
            row[f"{readout}_rmse_m"] = _rmse(readout_errors(data, readout, t))
        row["coverage90"] = coverage(data, t)
        grid.append(row)
    readout_t = {
        r: min(grid, key=lambda row: row[f"{r}_rmse_m"])["temperature"] for r in ("mean", "median")
    }
    val_rmse = {"mode": _rmse(readout_errors(data, "mode", fit.temperature))}
    val_rmse |= {r: _rmse(readout_errors(data, r, t)) for r, t in readout_t.items()}
    fitted = dict(
        fitted,
        n=fit.n,
        nll=fit.nll,
        nll_at_t1=P.mean_nll(data.logits, data.outdoor, data.truth, 1.0),
        coverage90=coverage(data, fit.temperature),
        coverage50=coverage(data, fit.temperature, 0.5),
        val_rmse_m=val_rmse,
        date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    calibration = Calibration(
        temperature=fit.temperature,
        readout_temperature=readout_t,
        default_readout=min(val_rmse, key=val_rmse.get),
        fitted=fitted,
    )
    return calibration, grid


def calibrate(
    checkpoint: str | os.PathLike,
    data: str | os.PathLike,
    *,
    split: str = "val",
    rates: Sequence[float] = RATES_PERCENT,
    masks_per_tx: int = 2,
    limit: int | None = None,
    seed: int = 0,
    device: str = "auto",
    batch_size: int = 16,
    quiet: bool = True,
    min_samples: int = MIN_SAMPLES,
    weightless: tuple[str, dict] | None = None,
) -> tuple[Calibration, list[dict]]:
    """Fit the calibration of one checkpoint (not yet stored: see `run`), or of the model
    `weightless` = (name, options) whose calibration file does not exist yet. Fewer than
    `min_samples` planned samples is a LocNetError before the model runs."""
    if split not in CALIBRATION_SPLITS:
        raise LocNetError(
            f"--split {split}: calibrate on validation data ('val'), never on the test "
            "split that the results are measured on"
        )
    path = Path(checkpoint)
    torch_device = pick_device(device)
    if weightless is not None:  # a model without weights, its calibration file not yet written
        model = create_model(weightless[0], **weightless[1]).to(torch_device).eval()
    elif not path.is_file():
        raise LocNetError(f"--checkpoint {path} does not exist; give a .pt file from `train`")
    else:
        info = ckpt.checkpoint_info(path)  # refuses a bare state_dict or a foreign file
        model = ckpt.load_weights(path, info.model, device=torch_device)
    if not Path(data).is_dir():
        raise LocNetError(f"--data {data} is not a folder; point it at a dataset")
    source = open_dataset(data)
    plan, _ = plan_samples(source, split, rates, masks_per_tx, limit, seed)
    if len(plan) < min_samples:
        raise LocNetError(
            f"only {len(plan)} {split} samples of {data} (--limit/--rates/--masks-per-tx); "
            f"a temperature fitted on fewer than {min_samples} is noise: use more samples, or "
            f"pass --force to store it in {path} anyway (--dry-run only prints it)"
        )
    collected = collect(model, source, plan, torch_device, batch_size, quiet)
    fitted = {
        "data": portable_path(source.root),
        "fingerprint": source.fingerprint(),
        "split": split,
        "rates": [float(r) for r in rates],
        "masks_per_tx": masks_per_tx,
        "seed": seed,
    }
    return fit_calibration(collected, fitted)


@dataclass(frozen=True)
class CalibrateConfig:
    """`calibrate`'s command line, one field per flag (locnet.config_cli)."""

    checkpoint: str = option(help="checkpoint file to calibrate (rewritten in place)")
    data: str = option(help="dataset folder (RadioMapSeer layout)")
    split: str = option("val", help="split to fit on: val (default) or train; never test")
    rates: str = option(",".join(f"{r:g}" for r in RATES_PERCENT), help="rates in %%")
    masks_per_tx: int = option(2, help="masks per transmitter and rate")
    limit: int | None = option(None, help="at most N (map, transmitter) pairs (seeded choice)")
    seed: int = option(0, help="seed of random masks and of --limit")
    device: str = option("auto", help="auto | cpu | cuda | cuda:N | mps")
    batch_size: int = option(16, help="maps per model call")
    dry_run: bool = option(False, help="print the fit, do not rewrite the checkpoint")
    force: bool = option(
        False, help=f"store a fit on fewer than {MIN_SAMPLES} validation samples"
    )
    quiet: bool = option(False, help="no progress bar")
    model: str | None = option(
        None,
        help="a model without weights (simfit, simfit-robust): --checkpoint is its "
        "calibration file, written if missing",
    )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, CalibrateConfig)


def _print_fit(calibration: Calibration, grid: list[dict]) -> None:
    fitted = calibration.fitted
    print(f"fitted on {fitted['split']} of {fitted['data']} ({fitted['n']} samples)")
    print(f"{'T':>8} {'NLL':>8} {'mean RMSE':>10} {'median RMSE':>12} {'90% cover':>10}")
    for row in grid:
        mark = "  <- max likelihood" if row["temperature"] == calibration.temperature else ""
        print(
            f"{row['temperature']:8.3f} {row['nll']:8.3f} {row['mean_rmse_m']:10.1f} "
            f"{row['median_rmse_m']:12.1f} {row['coverage90']:10.1%}{mark}"
        )
    print(f"T = {calibration.temperature:.4f} (NLL {fitted['nll']:.3f}, at T=1 {fitted['nll_at_t1']:.3f}); "
          f"coverage 50 % region {fitted['coverage50']:.1%}, 90 % region {fitted['coverage90']:.1%}")
    for readout, rmse in fitted["val_rmse_m"].items():
        at = "" if readout == "mode" else f" at T={calibration.temperature_for(readout):g}"
        print(f"validation RMSE, {readout}{at}: {rmse:.1f} m")
    print(f"default readout: {calibration.default_readout}")


def _stored_problem(path: Path) -> str | None:
    """What is wrong with the calibration `path` holds, or None (none stored, or sound)."""
    stored = ckpt.checkpoint_info(path).calibration
    return ckpt.calibration_problem(stored, P.READOUTS) if stored else None


def _weightless(spec: str | None, path: Path) -> tuple[str, dict] | None:
    """(name, options) of `--model spec` when its calibration file `path` is still to be
    written; None without --model or when the file exists (it is then recalibrated)."""
    if spec is None:
        return None
    fixed = fixed_variant(spec)
    if fixed is None:
        raise LocNetError(
            f"--model {spec}: only models without weights (e.g. simfit, simfit-robust) get a "
            "calibration file; calibrate a trained model's checkpoint with --checkpoint alone"
        )
    if model_info(fixed[0]).output not in HEATMAP_OUTPUTS:
        raise LocNetError(f"--model {spec} has no heatmap, so nothing to calibrate")
    if not path.is_file():
        return fixed
    problem = ckpt.weightless_file_problem(path, spec, *fixed)
    if problem:
        raise LocNetError(f"--checkpoint {problem}")
    return None


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(CalibrateConfig, args)
    if cfg.masks_per_tx < 1 or cfg.batch_size < 1:
        raise LocNetError("--masks-per-tx and --batch-size must be >= 1")
    path = Path(cfg.checkpoint)
    weightless = _weightless(cfg.model, path)
    if weightless is None and not path.is_file():
        raise LocNetError(f"--checkpoint {path} does not exist; give a .pt file from `train`")
    skip = ("checkpoint", "data", "dry_run", "force", "model")
    fit_options = {k: v for k, v in asdict(cfg).items() if k not in skip}
    fit_options["rates"] = parse_rates(cfg.rates)
    fit_options["weightless"] = weightless
    if cfg.force or cfg.dry_run:
        fit_options["min_samples"] = 0
    if cfg.dry_run:
        calibration, grid = calibrate(path, cfg.data, **fit_options)
        _print_fit(calibration, grid)
        print("dry run: checkpoint not changed")
        return 0
    with claim_output_file(path, flag="--checkpoint", fix=WRITE_FIX):  # before the fit
        damaged = _stored_problem(path) if path.is_file() else None
        if damaged:
            print(f"warning: checkpoint {path} holds a damaged calibration ({damaged}); the new "
                  "fit replaces it, the damaged one is kept in calibration_history", file=sys.stderr)
        calibration, grid = calibrate(path, cfg.data, **fit_options)
        _print_fit(calibration, grid)
        if weightless is not None:  # one atomic write: the file appears calibrated or not at all
            name, options = weightless
            ckpt.save_checkpoint(
                path, name, create_model(name, **options), options=options,
                calibration=calibration.to_dict(),
                train_config={"model": name, "options": options, "made_by": typed_command()},
            )
            replaced = None
        else:
            replaced = ckpt.store_calibration(path, calibration.to_dict(), readouts=P.READOUTS)
    if replaced is not None and not damaged:
        old = Calibration.from_dict(replaced["calibration"])
        print(f"replaced {old.label()}, kept in the checkpoint's calibration_history")
    print(f"wrote calibration into {path} (sha256 {ckpt.file_sha256(path)[:16]}…)")
    return 0
