"""What defines a training run: `TrainConfig`, which is also `train`'s command line.

Each field is one flag (locnet.config_cli): its type, default and help live here only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from locnet.config_cli import non_finite_floats, option
from locnet.constants import MAP_SIZE
from locnet.errors import LocNetError
from locnet.models.losses import LOSSES
from locnet.train.precision import SWITCHES

LR_SCHEDULES = ("constant", "cosine")
WARMUP_STEPS = 100  # linear warm-up of the cosine schedule (a fresh AdamW's first steps are wild)


def parse_options(items: list[str]) -> dict:
    """['dropout=0.2', 'name=x'] -> {'dropout': 0.2, 'name': 'x'} (values read as JSON if they are)."""
    options = {}
    for text in items:
        key, sep, value = text.partition("=")
        if not sep or not key:
            raise LocNetError(f"--opt {text!r}: write KEY=VALUE, e.g. --opt dropout=0.2")
        try:
            options[key] = json.loads(value)
        except json.JSONDecodeError:
            options[key] = value
    return options


def unparse_options(options: dict) -> list[str]:
    """Inverse of parse_options: a string stays bare unless it would read as JSON."""

    def text(value) -> str:
        if isinstance(value, str):
            try:
                json.loads(value)
            except json.JSONDecodeError:
                return value
        return json.dumps(value)

    return [f"{key}={text(value)}" for key, value in options.items()]


@dataclass
class TrainConfig:
    """Everything that defines a run (stored in the checkpoint as train_config)."""

    model: str = option(help="registry name, e.g. locnet")
    data: str | None = option(
        None,
        help="dataset folder (RadioMapSeer layout); with --stream only its val split is used "
        "(default then: a fixed validation draw of the stream's val environments)",
    )
    out: str | None = option(None, help="best checkpoint (default: checkpoints/<model>[-variant].pt)")
    loss: str | None = option(None, choices=tuple(LOSSES), help="LocNet training loss (default focal)")
    env: bool = option(True, help="hide the building map from the model (ablation)")
    options: dict = option(  # noqa: RUF009 (option() is dataclasses.field with flag metadata)
        default_factory=dict,
        flag="--opt",
        repeat=True,
        metavar="KEY=VALUE",
        parse=parse_options,
        unparse=unparse_options,
        help="extra model option",
    )
    epochs: int = option(100, help="epochs to train in all (a resumed run counts earlier ones)")
    batch_size: int = option(64, help="samples per step and process")
    lr: float = option(5e-4, help="AdamW learning rate")
    weight_decay: float = option(0.01, help="AdamW weight decay (its default)")
    seed: int = option(0, help="seed of samples, masks, crops and initial weights")
    device: str = option("auto", help="auto | cpu | cuda | cuda:N | mps")
    max_minutes: float | None = option(None, help="stop cleanly (resumable) after this wall time")
    max_cpu_minutes: float | None = option(
        None,
        help="stop cleanly once the run (resumes included) has used this much CPU time in its "
        "own process, all threads: an equal budget on a shared machine (use --workers 0)",
    )
    save_every_minutes: float = option(10.0, help="mid-epoch resume saves")
    crop: int | None = option(None, help="train on random square crops of this side (pixels)")
    train_samples: int | None = option(None, help="train on a seeded subset of N samples")
    val_samples: int | None = option(None, help="validate on a seeded subset of N samples")
    workers: int = option(0, help="DataLoader worker processes")
    resume: bool = option(False, help="continue from <out stem>.last.pt")
    init_from: str | None = option(
        None, help="start from this checkpoint's weights (same model and options)"
    )
    lr_schedule: str = option(
        "constant",
        choices=LR_SCHEDULES,
        help=f"cosine: {WARMUP_STEPS}-step warm-up, then cosine decay to 0 at --epochs",
    )
    stream: bool = option(
        False,
        help="train on freshly simulated cases (locnet.data.stream), never the same map twice",
    )
    epoch_samples: int = option(4096, help="--stream: samples per epoch (between validations)")
    stream_real: float = option(0.3, help="--stream: share of real OSM tiles (rest procedural)")
    stream_paper_like: float = option(
        0.75, help="--stream: share of paper-like propagation (rest randomised)"
    )
    stream_masks_per_case: int = option(
        1, help="--stream: sensor draws per simulated map (raise it when the GPU outruns the simulator)"
    )
    bf16: str = option("auto", choices=SWITCHES, help="bf16 autocast, fp32 weights (auto: where the GPU/CPU has native bf16)")
    compile: str = option("auto", choices=SWITCHES, help="torch.compile (auto: CUDA with triton)")
    channels_last: str = option(
        "auto", choices=SWITCHES, help="channels_last memory format (auto: CUDA; slower on CPU)"
    )
    quiet: bool = option(False, record=False, help="no progress output")


# Float flags: (field, lowest, highest) allowed; a number, finite, inside [low, high]
# ((0, x] where low is 0 and the value must be positive: "lr" and the budgets).
POSITIVE = ("lr", "max_minutes", "max_cpu_minutes")
FLOAT_RANGES = (
    ("lr", 0.0, 1.0),  # AdamW: above 1 every step overshoots; NaN/inf poison the weights
    ("weight_decay", 0.0, 1.0),
    ("max_minutes", 0.0, math.inf),
    ("max_cpu_minutes", 0.0, math.inf),
    ("save_every_minutes", 0.0, math.inf),  # 0: a resume save after every batch
    ("stream_real", 0.0, 1.0),
    ("stream_paper_like", 0.0, 1.0),
)


def _check_float(cfg: TrainConfig, name: str, low: float, high: float) -> None:
    """LocNetError naming the flag unless the field is None (not set), or a finite number
    in [low, high] (> low for POSITIVE fields)."""
    value = getattr(cfg, name)
    if value is None and name in ("max_minutes", "max_cpu_minutes"):
        return
    flag = f"--{name.replace('_', '-')}"
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and low <= value <= high and not (name in POSITIVE and value <= low)
    if not ok:
        low_text = f"> {low:g}" if name in POSITIVE else f">= {low:g}"
        high_text = "" if math.isinf(high) else f" and <= {high:g}"
        raise LocNetError(f"{flag} must be a finite number {low_text}{high_text}, got {value}")


def check_config(cfg: TrainConfig) -> None:
    """LocNetError naming the flag for a value training cannot use."""
    if cfg.data is None and not cfg.stream:
        raise LocNetError("give --data DATASET_FOLDER, or --stream to train on simulated cases")
    if cfg.data is not None and not Path(cfg.data).is_dir():
        raise LocNetError(
            f"--data {cfg.data} is not a folder; point it at a dataset in the "
            "RadioMapSeer layout (make one with `python -m locnet generate`)"
        )
    for name in ("epochs", "batch_size"):
        if getattr(cfg, name) < 1:
            raise LocNetError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(cfg, name)}")
    for flag, value in non_finite_floats(cfg):
        raise LocNetError(f"{flag} must be a finite number, got {value}")
    for name, low, high in FLOAT_RANGES:
        _check_float(cfg, name, low, high)
    if cfg.workers < 0:
        raise LocNetError(f"--workers must be >= 0, got {cfg.workers}")
    if cfg.crop is not None and not (8 <= cfg.crop <= MAP_SIZE and cfg.crop % 8 == 0):
        raise LocNetError(f"--crop {cfg.crop}: use a multiple of 8 between 8 and {MAP_SIZE}")
    if cfg.epoch_samples < 1 or cfg.stream_masks_per_case < 1:
        raise LocNetError("--epoch-samples/--stream-masks-per-case must be >= 1")
    if cfg.lr_schedule not in LR_SCHEDULES:
        raise LocNetError(f"--lr-schedule {cfg.lr_schedule}: use one of {', '.join(LR_SCHEDULES)}")
    if cfg.init_from is not None and not Path(cfg.init_from).is_file():
        raise LocNetError(
            f"--init-from {cfg.init_from} is not a file; pass a checkpoint to start from"
        )
