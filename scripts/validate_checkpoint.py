"""Validation error of a checkpoint on the validation draw a `train` run with --seed S uses.

    python scripts/validate_checkpoint.py CHECKPOINT [--data data/train400 | --stream]
                                          [--seed 0] [--val-samples 128]
                                          [--stream-paper-like 0.75]

Compares checkpoints trained with different seeds on one validation draw: `train` picks
its validation maps and masks from the seed, so two stages with different seeds report
errors on different maps. --stream: the fixed validation draw of the simulated stream a
`train --stream` run without --data validates on (its propagation mix included:
--stream-paper-like as that run had it). Prints mean / RMSE / median in metres.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from locnet.errors import LocNetError
from locnet.models import checkpoints as ckpt
from locnet.train.config import TrainConfig
from locnet.train.dist import Dist
from locnet.train.setup import (
    VAL_SEED_OFFSET,
    build_datasets,
    model_options,
    subset_indices,
    validate,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--data", help="dataset folder (default data/train400)")
    parser.add_argument("--stream", action="store_true", help="the stream's validation draw")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-samples", type=int, default=128)
    parser.add_argument(
        "--stream-paper-like", type=float, default=TrainConfig.stream_paper_like,
        help="share of paper-like propagation in the stream's draw (as the train run had it)",
    )  # fmt: skip
    args = parser.parse_args()
    try:
        info = ckpt.checkpoint_info(args.checkpoint)
        options = {k: v for k, v in info.options.items() if k not in ("loss", "env")}
        cfg = TrainConfig(
            model=info.model,
            data=None if args.stream and not args.data else args.data or "data/train400",
            stream=args.stream,
            loss=info.options.get("loss"),
            env=bool(info.options.get("env", True)),
            options=options,
            seed=args.seed,
            val_samples=args.val_samples,
            stream_paper_like=args.stream_paper_like,
            batch_size=8,
            device="cpu",
            quiet=True,
        )
        _, val_set, _ = build_datasets(cfg, model_options(cfg))
        indices = subset_indices(
            len(val_set), cfg.val_samples, cfg.seed + VAL_SEED_OFFSET
        )
        model = ckpt.load_weights(args.checkpoint, info.model)
        metrics = validate(model, val_set, indices, cfg, Dist("cpu"))
    except LocNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{args.checkpoint} on the seed-{args.seed} validation draw of "
        f"{cfg.data or 'the simulated stream'}: "
        f"mean {metrics['val_mean_m']:.1f} m, RMSE {metrics['val_rmse_m']:.1f} m, "
        f"median {metrics['val_median_m']:.1f} m ({metrics['val_samples']} maps)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
