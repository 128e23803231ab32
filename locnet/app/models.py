"""Which models the Explorer can run, and running them on one case (no Streamlit here).

Every registered model becomes a ModelChoice: classical baselines are always available;
trainable ones once per checkpoint found in the checkpoint folder, or as "unavailable"
with the command that trains them. `run_choice` runs one model on a case and gives its
locnet.inference.Answer under the picker's label (a failure too, as an Answer with its
`problem`), so pages only display; locnet.inference.with_readout shows another readout of
the same answer without running the model again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from locnet.data.maps import gray_to_db, sensors_to_mask
from locnet.errors import LocNetError
from locnet.inference import Answer, predict
from locnet.models.checkpoints import how_to_get
from locnet.report.series import DISPLAY_NAMES, LOCNET

TOP_K = 5


@dataclass(frozen=True)
class ModelChoice:
    """One entry of the model picker.

    label: what the user sees (unique); spec: what locnet.inference.load_model gets (a
    checkpoint path or, for classical baselines, the model name); note: checkpoint summary
    or, when unavailable, why and the command that fixes it.
    """

    label: str
    spec: str
    model: str
    family: str
    available: bool
    note: str = ""


@dataclass
class Case:
    """One localization problem as the Explorer shows it. Positions are pixel (x, y)."""

    map_id: int
    tx_id: int | None  # None: a transmitter placed by click, its radio map simulated
    truth_xy: tuple[int, int] | None  # None only for an uploaded case without a truth
    buildings: np.ndarray  # uint8 0/1 (256, 256)
    radio_gray: np.ndarray  # uint8 (256, 256), gain_dB = FLOOR_DB + gray/255 * DB_RANGE
    sensors_xy: list[tuple[int, int]] = field(default_factory=list)

    @property
    def mask(self) -> np.ndarray:
        return sensors_to_mask(self.sensors_xy)

    @property
    def radio_db(self) -> np.ndarray:
        """Path gain in dB (float32); buildings and unreached pixels at FLOOR_DB."""
        return gray_to_db(self.radio_gray)

    @property
    def gains_db(self) -> np.ndarray:
        """The reading of each sensor in dB, in sensors_xy order."""
        if not self.sensors_xy:
            return np.zeros(0, dtype=np.float32)
        xy = np.asarray(self.sensors_xy, dtype=np.int64)
        return gray_to_db(self.radio_gray[xy[:, 1], xy[:, 0]])


def display_name(model: str) -> str:
    return DISPLAY_NAMES.get(model, model)


def _default_variant(model: str) -> str:
    """The registered default variant's label ('env-focal' for LocNet, else 'default')."""
    from locnet.models.registry import DEFAULT_VARIANT, available_models, variant_label

    return variant_label(model) if model in available_models() else DEFAULT_VARIANT


def _checkpoint_label(info: Any, several: bool) -> str:
    name = display_name(info.model)
    variant = getattr(info, "variant", "default")
    if variant not in ("default", _default_variant(info.model)):
        name = f"{name} ({variant})"
    elif several:
        name = f"{name} ({Path(info.path).stem})"
    return name


def _unique(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} #{seen[label]}")
    return out


def checkpoint_note(info: Any) -> str:
    """'locnet.pt: kept epoch 1.5, 46,880 samples, 75 min on 2 x CPU; validation mean error 41.2 m'."""
    budget = getattr(info, "budget", {}) or {}
    metrics = getattr(info, "metrics", {}) or {}
    parts = []
    if isinstance(budget.get("epochs"), (int, float)) and isinstance(
        getattr(info, "epoch", None), (int, float)
    ):
        kept = f"kept epoch {info.epoch:.2g}"
        if budget.get("init_from"):  # the budget below is the total of both runs
            kept += f" of a run started from {budget['init_from']}; in all"
        parts.append(kept)
    if isinstance(budget.get("samples_seen"), int):
        parts.append(f"{budget['samples_seen']:,} samples")
    if isinstance(budget.get("minutes"), (int, float)):
        where = f" on {budget['hardware']}" if budget.get("hardware") else ""
        parts.append(f"{budget['minutes']:.0f} min{where}")
    text = f"{Path(info.path).name}: " + ", ".join(parts) if parts else Path(info.path).name
    if isinstance(metrics.get("val_mean_m"), (int, float)):
        text += f"; validation mean error {metrics['val_mean_m']:.1f} m"
    return text


def _registry_choice(info: Any, available: bool, note: str) -> ModelChoice:
    """An entry that stands for the registry name itself (classical, or missing weights)."""
    return ModelChoice(display_name(info.name), info.name, info.name, info.family, available, note)


def model_choices(checkpoint_infos: Sequence[Any], checkpoint_dir: str) -> list[ModelChoice]:
    """All registered models as picker entries: LocNet first, then baselines, then classical."""
    from locnet.models.registry import map_models, model_info

    order = {"locnet": 0, "baseline": 1, "classical": 2}
    infos = sorted(
        (model_info(n) for n in map_models()),
        key=lambda i: (order.get(i.family, 3), i.name != LOCNET),
    )
    choices: list[ModelChoice] = []
    for info in infos:
        if not info.trainable:
            choices.append(_registry_choice(info, True, info.description))
            continue
        found = [c for c in checkpoint_infos if c.model == info.name]
        if info.defaults:  # the registered default variant (LocNet: the paper's) first
            first = _default_variant(info.name)
            found.sort(key=lambda c: (getattr(c, "variant", "") != first, str(c.path)))
        if not found:
            note = f"no checkpoint in {checkpoint_dir}: {how_to_get(info.name)}"
            choices.append(_registry_choice(info, False, note))
            continue
        labels = [_checkpoint_label(c, len(found) > 1) for c in found]
        for c, label in zip(found, labels):
            note = checkpoint_note(c)
            choices.append(ModelChoice(label, str(c.path), info.name, info.family, True, note))
    labels = _unique([c.label for c in choices])
    return [
        ModelChoice(label, c.spec, c.model, c.family, c.available, c.note)
        for c, label in zip(choices, labels)
    ]


def default_selection(choices: Sequence[ModelChoice]) -> list[str]:
    """LocNet (paper setting) plus the cheap RSS-centroid and strongest-sensor references."""
    available = [c for c in choices if c.available]
    picked = [c.label for c in available if c.model == LOCNET][:1]
    picked += [c.label for c in available if c.model in ("strongest", "centroid")]
    return picked or [c.label for c in available[:1]]


THREADS_ENV = "LOCNET_TORCH_THREADS"  # torch threads for the app's model calls (default: by load)


def torch_threads_now(
    environ: Mapping[str, str] | None = None, load: float | None = None, cores: int | None = None
) -> int | None:
    """torch's thread count for the next model call, or None to leave it as it is.

    LOCNET_TORCH_THREADS if set; none if OMP_NUM_THREADS is (the user chose); else one
    thread when the machine is busy (1-minute load >= cores - 0.5) and every core when not.
    On a busy 2-core machine torch's two threads wait for each other: LocNet took 1.43 s a
    click with 2 threads and 0.20 s with 1 (docs/app.md, Speed); idle, 68 against 93 ms."""
    environ = os.environ if environ is None else environ
    if environ.get(THREADS_ENV, "").strip():
        try:
            return max(1, int(environ[THREADS_ENV]))
        except ValueError:
            return None
    if environ.get("OMP_NUM_THREADS", "").strip():
        return None
    cores = cores or len(os.sched_getaffinity(0))
    load = os.getloadavg()[0] if load is None else load
    return 1 if load >= cores - 0.5 else cores


def run_choice(
    model: Any,
    choice: ModelChoice,
    case: Case,
    top_k: int = TOP_K,
    *,
    readout: str | None = None,
    tta: bool = False,
) -> Answer:
    """Run one loaded model on a case; a LocNetError becomes an Answer with `problem`.

    readout None = the model's calibrated default; tta averages the 8 flips/rotations.
    """
    if not case.sensors_xy:
        return Answer(
            choice.label, problem="no sensors: add at least one sensor on an outdoor pixel"
        )
    threads = torch_threads_now()
    if threads is not None and threads != torch.get_num_threads():
        torch.set_num_threads(threads)
    try:
        return predict(
            model,
            case.buildings,
            mask=case.mask,
            radio_gray=case.radio_gray,
            top_k=top_k,
            readout=readout,
            tta=tta,
            label=choice.label,
        )
    except LocNetError as exc:
        return Answer(choice.label, problem=str(exc))
