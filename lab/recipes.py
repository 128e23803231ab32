"""The exact commands that made (or would make) each checkpoint in checkpoints/.

One place for them, so checkpoints/README.md, the app's "not installed" notes and the
closing notes all quote the same command. The training set is not committed: it is the
output of TRAINING_SET_COMMAND (deterministic; about 2 minutes and 126 MB on 2 cores).
"""

from __future__ import annotations

from dataclasses import dataclass

from locnet.data.generate import TRAINING_SET
from locnet.report.campaign import EQUAL_BUDGET_CHECKPOINTS

# Data parallel over the 2 CPU cores (one process and one thread per core).
TORCHRUN_CPU = "OMP_NUM_THREADS=1 python -m torch.distributed.run --standalone --nproc_per_node 2"
# One process on one core: two such runs share the machine (the ablation ran in pairs).
SINGLE_CORE = "OMP_NUM_THREADS=1 python -m locnet"
# What the CPU runs share: 128 x 128 crops holding the transmitter (validation on full
# 256 x 256 maps), 8 samples per process (16 per step), AdamW at 2e-3 (5e-4, the paper's,
# had not left chance level after 7,000 samples here), a fixed 128-sample validation subset.
CPU_FLAGS = "--crop 128 --batch-size 8 --lr 2e-3 --val-samples 128"
GPU_FLAGS = "--batch-size 64 --val-samples 720 --device cuda"
# Gaussian training target (16 px) instead of the paper's one-hot pixel. Measured here,
# 8.8 min on one core each (validation mean error): one-hot 197 m, sigma 4: 160 m (both
# chance level), sigma 16: 70 m; the one-hot runs of the previous session stayed at chance
# for 75 min. Inference is unchanged (argmax of the heatmap).
SOFT_TARGET = "--opt target_sigma=16"


def stream_stage_flags(epoch_samples: int = 4096) -> str:
    """A campaign stage on the simulated stream: fresh full maps each epoch, validation on
    the fixed 256-case draw of the val environments."""
    return (
        f"--stream --epoch-samples {epoch_samples} --batch-size 8 --lr 5e-4 --val-samples 256 "
        "--save-every-minutes 5"
    )


def cpu_budget_flags(cpu_minutes: float) -> str:
    """A run bounded by its own process's CPU time (docs/training.md, Budgets): --workers 0
    so the stream's simulation is charged too; resumable across invocations and sessions."""
    return f"--workers 0 --max-cpu-minutes {cpu_minutes:g} --resume"


@dataclass(frozen=True)
class Stage:
    """One `train` run of a multi-stage checkpoint; each starts from the previous one's file."""

    out: str
    minutes: float | None  # wall-clock budget (--max-minutes); None: the flags bound it
    epochs: int = 100
    flags: str = CPU_FLAGS
    schedule: str = ""  # e.g. "--lr-schedule cosine"
    seed: int = 0  # another seed draws other samples, masks and validation maps
    on: str = "2cores"  # launcher: 2cores (torchrun) | 1core
    stream: bool = False  # trained on the simulated stream (no --data)


# The shipped default, 2 cores, in stages (`--init-from`; budgets add up): 40 min at a
# constant lr on 128 px crops; 2 epochs of crops with a cosine decay to 0; then two short
# cosine fine-tunes on full 256 x 256 maps (the test condition: crops never show the model
# a map half without the transmitter), the second on other samples (seed 1); then the
# compute campaign's three stream stages on one core. The earlier stages are kept in
# checkpoints/stages/ (each was checkpoints/locnet.pt until the next one replaced it).
LOCNET_STAGES = (
    Stage("checkpoints/stages/locnet-40min.pt", 40),
    Stage("checkpoints/stages/locnet-cosine.pt", 100, 2, schedule="--lr-schedule cosine"),
    Stage(
        "checkpoints/stages/locnet-fullmap.pt",
        40,
        1,
        flags="--batch-size 8 --lr 5e-4 --val-samples 128 --train-samples 6000",
        schedule="--lr-schedule cosine",
    ),
    Stage(
        "checkpoints/stages/locnet-fullmap2.pt",
        27,
        1,
        flags="--batch-size 8 --lr 3e-4 --val-samples 128 --train-samples 5000",
        schedule="--lr-schedule cosine",
        seed=1,
    ),
    # The compute campaign (docs/training.md): full maps from the simulated stream, bf16,
    # one core (beside the equal-budget runs), 80 + 25 minutes in two invocations (--resume).
    Stage(
        "checkpoints/stages/locnet-stream1.pt",
        80,
        3,
        flags=stream_stage_flags(),
        schedule="--lr-schedule cosine",
        on="1core",
        stream=True,
    ),
    # Its second stream stage: other cases (seed 1), 3 full epochs on a CPU-time budget,
    # resumable (it ran across two sessions); the best epoch (2) is kept.
    Stage(
        "checkpoints/stages/locnet-stream2.pt",
        None,
        3,
        flags=f"{stream_stage_flags()} {cpu_budget_flags(60)}",
        schedule="--lr-schedule cosine",
        seed=1,
        on="1core",
        stream=True,
    ),
    # The third: other cases again (seed 3), 3 shorter epochs (3,072) so that the cosine
    # ends inside one session; the best epoch (1) is kept. Shipped with `python -m lab.promote`.
    Stage(
        "checkpoints/locnet.pt",
        95,
        3,
        flags=f"{stream_stage_flags(3072)} {cpu_budget_flags(70)}",
        schedule="--lr-schedule cosine",
        seed=3,
        on="1core",
        stream=True,
    ),
)
ABLATION_MINUTES = 11  # equal budget per LocNet variant, one core each
# The equal-CPU-budget comparison (docs/training.md): every deep model from scratch on the
# same stream, 60 CPU-minutes of its own process each (--workers 0: the simulation is
# charged too), one thread, constant lr 1e-3, the same flags for all.
EQUAL_BUDGET_CPU_MINUTES = 60
EQUAL_BUDGET_FLAGS = (
    "--stream --epoch-samples 2048 --batch-size 8 --lr 1e-3 --val-samples 128 "
    f"--save-every-minutes 5 {cpu_budget_flags(EQUAL_BUDGET_CPU_MINUTES)}"
)


@dataclass(frozen=True)
class Recipe:
    """How one checkpoint file is made. `shipped`: committed to git (trained and small enough)."""

    file: str  # path relative to the repository root
    model: str
    commands: tuple[str, ...]
    shipped: bool
    note: str = ""


def _train(
    model: str,
    extra: str,
    out: str,
    minutes: float | None,
    on: str = "2cores",
    epochs: int = 100,
    flags: str | None = None,
    seed: int = 0,
    data: str | None = TRAINING_SET,
) -> str:
    """on: 2cores (torchrun, one process per core) | 1core | gpu; flags: default per `on`."""
    launcher = {
        "2cores": f"{TORCHRUN_CPU} -m locnet",
        "1core": SINGLE_CORE,
        "gpu": "python -m locnet",
    }[on]
    if flags is None:
        flags = GPU_FLAGS if on == "gpu" else CPU_FLAGS
    parts = [
        f"--model {model}",
        extra,
        f"--data {data}" if data else "",
        flags,
        f"--epochs {epochs} --seed {seed}",
    ]
    if minutes is not None:
        parts.append(f"--max-minutes {minutes:g}")
    return f"{launcher} train {' '.join(p for p in parts if p)} --out {out}"


def _stage_command(stage: Stage) -> str:
    """The train command of one LocNet stage, starting from the stage before it."""
    index = LOCNET_STAGES.index(stage)
    start = f"--init-from {LOCNET_STAGES[index - 1].out}" if index else ""
    extra = " ".join(p for p in (SOFT_TARGET, stage.schedule, start) if p)
    return _train(
        "locnet",
        extra,
        stage.out,
        stage.minutes,
        on=stage.on,
        epochs=stage.epochs,
        flags=stage.flags,
        seed=stage.seed,
        data=None if stage.stream else TRAINING_SET,
    )


RECIPES: tuple[Recipe, ...] = (
    *(
        Recipe(
            stage.out,
            "locnet",
            tuple(_stage_command(s) for s in LOCNET_STAGES[: i + 1]),
            True,
            "the app's default: focal loss, environment map"
            if stage.out == "checkpoints/locnet.pt"
            else f"stage {i + 1} of checkpoints/locnet.pt (trained as that file, kept here)",
        )
        for i, stage in enumerate(LOCNET_STAGES)
    ),
    Recipe(
        "checkpoints/mslocnet.pt",
        "mslocnet",
        (_train("mslocnet", "", "checkpoints/mslocnet.pt", ABLATION_MINUTES, on="1core"),),
        True,
        "its paper's target (MSE to the one-hot map); same budget as one ablation run",
    ),
    *(
        Recipe(
            f"checkpoints/ablation/{name}.pt",
            "locnet",
            (
                _train(
                    "locnet",
                    f"{flag} {SOFT_TARGET}".strip(),
                    f"checkpoints/ablation/{name}.pt",
                    ABLATION_MINUTES,
                    on="1core",
                ),
            ),
            True,
            f"equal-budget ablation ({ABLATION_MINUTES} min on one core each)",
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
            (_train(model, "", f"checkpoints/{model}.pt", None, on="gpu"),),
            False,
            "tens of millions of parameters: too large for git and too slow to train on "
            "2 CPU cores; not trained yet (needs a GPU)",
        )
        for model in ("tldl", "deepmtl", "deeptxfinder")
    ),
    *(
        Recipe(
            f"{EQUAL_BUDGET_CHECKPOINTS}/{model}.pt",
            model,
            (
                _train(
                    model,
                    SOFT_TARGET if model == "locnet" else "",
                    f"{EQUAL_BUDGET_CHECKPOINTS}/{model}.pt",
                    None,
                    on="1core",
                    epochs=1000,
                    flags=EQUAL_BUDGET_FLAGS,
                    data=None,
                ),
            ),
            model in ("locnet", "mslocnet"),
            f"equal CPU budget ({EQUAL_BUDGET_CPU_MINUTES} CPU-minutes)"
            + (
                ""
                if model in ("locnet", "mslocnet")
                else "; too large for git: its sha256 and results are in checkpoints/README.md"
            ),
        )
        for model in ("locnet", "mslocnet", "tldl", "deepmtl", "deeptxfinder")
    ),
)
