"""The exact commands that made (or would make) each checkpoint in checkpoints/.

One place for them, so checkpoints/README.md, the app's "not installed" notes and the
closing notes all quote the same command. The training set is not committed: it is the
output of TRAINING_SET_COMMAND (deterministic; about 2 minutes and 126 MB on 2 cores).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TRAINING_SET = "data/train400"
TRAINING_SET_COMMAND = (
    f"python -m locnet generate --out {TRAINING_SET} --cities 400 --tx-per-city 16 --seed 1 "
    "--real-fraction 0.15 --paper-like --masks-per-tx 1 --workers 2"
)
# Data parallel over the 2 CPU cores (one process and one thread per core).
TORCHRUN_CPU = "OMP_NUM_THREADS=1 python -m torch.distributed.run --standalone --nproc_per_node 2"
# What the CPU runs share: 128 x 128 crops holding the transmitter (validation on full
# 256 x 256 maps), 8 samples per process (16 per step), AdamW at 2e-3 (5e-4, the paper's,
# had not left chance level after 7,000 samples here), a fixed 128-sample validation subset.
CPU_FLAGS = "--crop 128 --batch-size 8 --lr 2e-3 --val-samples 128 --epochs 100 --seed 0"
GPU_FLAGS = "--batch-size 64 --val-samples 720 --epochs 100 --seed 0 --device cuda"
ABLATION_MINUTES = 30  # planned equal budget per LocNet variant (2 CPU cores each)


@dataclass(frozen=True)
class Recipe:
    """How one checkpoint file is made. `shipped`: committed to git (trained and small enough)."""

    file: str  # path relative to the repository root
    model: str
    commands: tuple[str, ...]
    shipped: bool
    note: str = ""


def _train(model: str, extra: str, out: str, minutes: float | None, gpu: bool = False) -> str:
    launcher = "python -m locnet" if gpu else f"{TORCHRUN_CPU} -m locnet"
    parts = [f"--model {model}", extra, f"--data {TRAINING_SET}", GPU_FLAGS if gpu else CPU_FLAGS]
    if minutes is not None:
        parts.append(f"--max-minutes {minutes:g}")
    return f"{launcher} train {' '.join(p for p in parts if p)} --out {out}"


NOT_TRAINED = "not trained yet: the CPU time of the first session went to LocNet"
RECIPES: tuple[Recipe, ...] = (
    Recipe(
        "checkpoints/locnet.pt",
        "locnet",
        (_train("locnet", "", "checkpoints/locnet.pt", 75),),
        True,
        "the app's default: focal loss, environment map",
    ),
    Recipe(
        "checkpoints/mslocnet.pt",
        "mslocnet",
        (_train("mslocnet", "", "checkpoints/mslocnet.pt", 75),),
        False,
        NOT_TRAINED,
    ),
    *(
        Recipe(
            f"checkpoints/ablation/{name}.pt",
            "locnet",
            (_train("locnet", flag, f"checkpoints/ablation/{name}.pt", ABLATION_MINUTES),),
            False,
            f"equal-budget ablation ({ABLATION_MINUTES} min each); {NOT_TRAINED}",
        )
        for name, flag in (
            ("locnet", ""),
            ("locnet-noenv", "--no-env"),
            ("locnet-bbce", "--loss bbce"),
            ("locnet-ft", "--loss ft"),
            ("locnet-mse", "--loss mse"),
        )
    ),
    *(
        Recipe(
            f"checkpoints/{model}.pt",
            model,
            (_train(model, "", f"checkpoints/{model}.pt", None, gpu=True),),
            False,
            "tens of millions of parameters: too large for git and too slow to train on "
            "2 CPU cores; not trained yet (needs a GPU)",
        )
        for model in ("tldl", "deepmtl", "deeptxfinder")
    ),
)


def recipe_for(model: str) -> Recipe | None:
    """The recipe of a model's default checkpoint in checkpoints/ (None if it has none)."""
    return next(
        (r for r in RECIPES if r.model == model and Path(r.file).parent.name == "checkpoints"),
        None,
    )


def how_to_get(model: str) -> str:
    """One sentence for a user who lacks `model`'s checkpoint: what to run."""
    recipe = recipe_for(model)
    if recipe is None:
        return f"train it with `python -m locnet train --model {model} --data {TRAINING_SET}`"
    steps = " then ".join(f"`{c}`" for c in (TRAINING_SET_COMMAND, *recipe.commands))
    why = f" ({recipe.note})" if recipe.note and not recipe.shipped else ""
    return f"not installed{why}; make it with {steps}"
