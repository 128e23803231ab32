"""Posterior benchmark: what the readouts, the credible regions and TTA cost per map.

`python -m locnet bench posterior [--checkpoint C] [--device cpu] [--json FILE]`.
On the model benchmark's synthetic map (locnet.bench.models.synthetic_input), batch 1,
median of repeated calls under torch.inference_mode: the model alone, the posterior
(softmax over outdoor pixels), each readout, the 50/90 % regions, everything `predict`
adds (docs/posterior.md), and `predict` with test-time augmentation (8 passes).
"""

from __future__ import annotations

import argparse
import platform

import numpy as np
import torch

from locnet.bench.models import median_seconds, synthetic_input
from locnet.errors import LocNetError
from locnet.files import write_json_or_show
from locnet.inference import load_model, predict
from locnet.models.device import pick_device
from locnet.posterior import distribution as P

REPEATS, WARMUP = 20, 3
TTA_REPEATS = 5


def measure(checkpoint: str, device: str = "cpu") -> dict:
    """Milliseconds per map of each step (batch 1) on `device`."""
    torch_device = pick_device(device)
    model = load_model(checkpoint, device=torch_device)
    x = synthetic_input(1).to(torch_device)
    buildings = (x[0, 1] < 0).cpu().numpy().astype(np.uint8)  # env channel: -1 on buildings
    outdoor = torch.from_numpy(buildings == 0)[None].to(torch_device)
    mask = (x[0, 1] > 0).cpu().numpy().astype(np.uint8)
    gray = (x[0, 0].cpu().numpy() * 255).round().astype(np.uint8)
    with torch.inference_mode():
        logits = model.predict(x).logits
        if logits is None:
            raise LocNetError(f"{checkpoint} has no heatmap: nothing to read a posterior from")
        probs = P.probabilities(logits, outdoor, 0.5)

        def ms(fn, repeats: int = REPEATS) -> float:
            return round(median_seconds(fn, repeats, WARMUP, torch_device) * 1000, 3)

        steps = {
            "model_predict": ms(lambda: model.predict(x)),
            "posterior_softmax": ms(lambda: P.probabilities(logits, outdoor, 0.5)),
            **{f"readout_{r}": ms(lambda r=r: P.read_out(probs, r)) for r in P.READOUTS},
            "regions_50_90": ms(lambda: P.regions(probs)),
            "expected_error": ms(lambda: P.expected_error_m(probs, P.mean_xy(probs))),
        }
    call = {"mask": mask, "radio_gray": gray}
    steps["predict_total"] = ms(lambda: predict(model, buildings, **call))
    steps["predict_total_tta"] = ms(lambda: predict(model, buildings, tta=True, **call), TTA_REPEATS)
    steps["posterior_overhead"] = round(steps["predict_total"] - steps["model_predict"], 3)
    return {
        "checkpoint": checkpoint,
        "device": str(torch_device),
        "threads": torch.get_num_threads(),
        "cpu": platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "ms_per_map": steps,
    }


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default="checkpoints/locnet.pt", help="heatmap checkpoint")
    parser.add_argument("--device", default="cpu", help="auto | cpu | cuda | cuda:N | mps")
    parser.add_argument("--json", help="also write the numbers to this JSON file")


def run(args: argparse.Namespace) -> int:
    result = measure(args.checkpoint, args.device)
    width = max(len(k) for k in result["ms_per_map"])
    print(f"{result['checkpoint']} on {result['device']} ({result['threads']} threads), ms per map:")
    for name, value in result["ms_per_map"].items():
        print(f"  {name:<{width}}  {value:9.2f}")
    if args.json:
        print(f"wrote {write_json_or_show(args.json, result)}")
    return 0
