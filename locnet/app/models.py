"""Which models the Explorer can run, and running them on one case (no Streamlit here).

Every registered model becomes a ModelChoice: classical baselines are always available;
trainable ones once per checkpoint found in the checkpoint folder, or as "unavailable"
with the command that trains them. `run_choice` turns one model's InferenceResult into
a ModelRun with the error in metres and the posterior's numbers (every readout's answer,
its expected error, the 50 % / 90 % regions), and `with_readout` shows another readout
of the same run without running the model again, so pages only display.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from locnet.constants import PIXEL_M
from locnet.data.maps import gray_to_db, sensors_to_mask
from locnet.errors import LocNetError
from locnet.models.checkpoints import how_to_get
from locnet.posterior.distribution import POINT_READOUT
from locnet.report.series import DISPLAY_NAMES, LOCNET

TOP_K = 5
NO_POSTERIOR = "no posterior"  # calibration column of such a model


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


@dataclass
class ModelRun:
    """One model's answer on a case; `problem` is set (and the rest empty) if it failed.

    xy / error_m / expected_error_m belong to `readout` (POINT_READOUT for a model without a
    posterior); readouts and expected_errors hold every readout's answer (pixels) and
    sqrt(E[d^2]) in metres. regions: (2, 256, 256) bool 50 % / 90 % credible regions;
    region_area_m2 their areas. calibration: Calibration.label() or NO_POSTERIOR.
    """

    label: str
    xy: tuple[float, float] | None = None
    error_m: float | None = None
    topk: list[tuple[float, float]] = field(default_factory=list)
    runtime_ms: float | None = None
    device: str | None = None
    scores: np.ndarray | None = None
    problem: str | None = None
    readout: str | None = None
    readouts: dict[str, tuple[float, float]] = field(default_factory=dict)
    expected_error_m: float | None = None
    expected_errors: dict[str, float] = field(default_factory=dict)
    regions: np.ndarray | None = None
    region_area_m2: tuple[float, float] | None = None
    calibration: str = ""
    tta: bool = False

    @property
    def radius_90_m(self) -> float | None:
        """Radius (m) of the disc as large as the 90 % region: its size as one distance."""
        if self.region_area_m2 is None:
            return None
        from locnet.posterior.distribution import equivalent_radius_m

        return float(equivalent_radius_m(self.region_area_m2[-1]))


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
    from locnet.models.registry import available_models, model_info

    order = {"locnet": 0, "baseline": 1, "classical": 2}
    infos = sorted(
        (model_info(n) for n in available_models()),
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


def _xy_pair(value: Any) -> tuple[float, float]:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    return float(arr[0]), float(arr[1])


def _error_m(xy: tuple[float, float], truth_xy: tuple[float, float] | None) -> float | None:
    """Distance to the truth in metres; None for an uploaded case without a truth."""
    if truth_xy is None:
        return None
    return float(np.hypot(xy[0] - truth_xy[0], xy[1] - truth_xy[1])) * PIXEL_M


def run_choice(
    model: Any,
    choice: ModelChoice,
    case: Case,
    top_k: int = TOP_K,
    *,
    readout: str | None = None,
    tta: bool = False,
) -> ModelRun:
    """Run one loaded model on a case; a LocNetError becomes a ModelRun with `problem`.

    readout None = the model's calibrated default; tta averages the 8 flips/rotations.
    """
    from locnet.inference import predict

    if not case.sensors_xy:
        return ModelRun(
            choice.label, problem="no sensors: add at least one sensor on an outdoor pixel"
        )
    try:
        result = predict(
            model, case.buildings, mask=case.mask, radio_gray=case.radio_gray, top_k=top_k, tta=tta
        )
    except LocNetError as exc:
        return ModelRun(choice.label, problem=str(exc))
    xy = _xy_pair(result.xy)
    has_posterior = result.posterior is not None
    run = ModelRun(
        choice.label,
        xy,
        _error_m(xy, case.truth_xy),
        [(float(c[0]), float(c[1])) for c in (result.top_k or [])],
        float(result.runtime_ms),
        str(result.device),
        None if result.heatmap is None else np.asarray(result.heatmap, dtype=np.float32),
        readout=result.readout if has_posterior else POINT_READOUT,
        readouts={k: _xy_pair(v) for k, v in (result.readouts or {"point": xy}).items()},
        expected_error_m=result.expected_error_m,
        expected_errors=dict(result.expected_errors_m),
        regions=None if result.regions is None else np.asarray(result.regions, dtype=bool),
        region_area_m2=None if result.region_area_m2 is None else tuple(result.region_area_m2),
        calibration=result.calibration.label() if has_posterior else NO_POSTERIOR,
        tta=bool(result.tta),
    )
    return with_readout(run, readout, case.truth_xy)


def with_readout(run: ModelRun, readout: str | None, truth_xy: tuple[int, int]) -> ModelRun:
    """The same run answered by another readout (None: as run). A model without a
    posterior, a failed run or an unknown readout is returned unchanged."""
    if readout is None or readout == run.readout or readout not in run.readouts:
        return run
    xy = run.readouts[readout]
    return replace(
        run,
        xy=xy,
        error_m=_error_m(xy, truth_xy),
        readout=readout,
        expected_error_m=run.expected_errors.get(readout),
    )
