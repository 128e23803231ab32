"""Checkpoint files: save atomically, load safely, list cheaply (docs/architecture.md).

A checkpoint is a `torch.save` of plain types only, so `torch.load(weights_only=True)`
can read it without executing code, and `map_location` lets GPU-trained weights load on
a CPU-only machine. `load_weights` also accepts a bare state_dict (the authors'
`Pretrained_LocNet.pt` is one) when told which model it holds.

Naming in a checkpoint folder: `{model}.pt` for a model's default variant,
`{model}-{tag}.pt` for others (`locnet-noenv.pt`, `locnet-bbce.pt`); `*.last.pt` are
resume files written during training and are not listed.
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from numbers import Real
from pathlib import Path
from typing import Any

import torch

from locnet.data.generate import TRAINING_SET, TRAINING_SET_COMMAND
from locnet.errors import CheckpointError, LocNetError
from locnet.files import atomic_write
from locnet.models.base import LocalizationModel
from locnet.models.registry import available_models, variant_id, variant_label
from locnet.models.state_dicts import (
    build_with_state,
    is_bare_state_dict,
)

FORMAT = "locnet-checkpoint/1"
RESUME_SUFFIX = ".last.pt"
# The keys of a stored calibration: locnet.posterior.calibration.Calibration's fields.
CALIBRATION_KEYS = ("temperature", "readout_temperature", "default_readout", "fitted")
HISTORY_KEY = "calibration_history"  # the calibrations `calibrate` replaced, oldest first


@dataclass(frozen=True)
class CheckpointInfo:
    """What a checkpoint holds, read without loading the weights into a model.

    budget: training effort (epochs, minutes, cpu_minutes, samples_seen, hardware, stopped),
    summed over the runs it was trained on from (`train --init-from`; `init_from` names the
    last one; cpu_minutes None unless every run measured it).
    metrics: validation distances in metres at the kept epoch.
    """

    path: Path
    model: str
    options: dict = field(default_factory=dict)
    variant: str = "default"
    metrics: dict = field(default_factory=dict)
    budget: dict = field(default_factory=dict)
    data_fingerprint: str | None = None
    epoch: int | None = None
    calibration: dict | None = None  # locnet.posterior.calibration.Calibration.to_dict(), if calibrated


def variant_name(model: str, options: Mapping[str, Any] | None) -> str:
    """Variant label from the registry: locnet -> 'env-focal' / 'noenv-bbce' ...; a model
    without registered variant options -> 'default'."""
    return variant_label(model, options)


def default_filename(model: str, options: Mapping[str, Any] | None) -> str:
    """File name in checkpoints/: 'locnet.pt' for the default, 'locnet-noenv-bbce.pt' etc."""
    return variant_id(model, options) + ".pt"


def resume_path(out: str | os.PathLike) -> Path:
    """The resume file beside a checkpoint: checkpoints/locnet.pt -> checkpoints/locnet.last.pt."""
    out = Path(out)
    stem = out.name.removesuffix(".pt")
    return out.with_name(stem + RESUME_SUFFIX)


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> None:
    """torch.save to a temp file in the same folder, then os.replace: never a half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: torch.save(obj, tmp))


def build_checkpoint(model_name: str, model: LocalizationModel, **fields: Any) -> dict:
    """Checkpoint dict in the documented format; `fields` fill train_config, metrics, etc."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {
        "format": FORMAT,
        "model": model_name,
        "options": dict(getattr(model, "options", {}) or {}),
        "state_dict": state,
        "train_config": {},
        "data_fingerprint": None,
        "epoch": None,
        "metrics": {},
        "history": [],
        "timings": {},
    }
    payload.update(fields)
    return payload


def non_finite_weights(state: Mapping[str, torch.Tensor]) -> list[str]:
    """Names of the floating-point tensors of a state_dict that hold NaN or +-inf."""
    return [
        name
        for name, tensor in state.items()
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all())
    ]


def save_checkpoint(
    path: str | os.PathLike, model_name: str, model: LocalizationModel, **fields: Any
) -> Path:
    """Write a checkpoint atomically and return its path. Weights holding NaN or +-inf (a
    diverged run) are never written: CheckpointError, and the file on disk stays as it was."""
    payload = build_checkpoint(model_name, model, **fields)
    bad = non_finite_weights(payload["state_dict"])
    if bad:
        more = f" and {len(bad) - 1} more" if len(bad) > 1 else ""
        raise CheckpointError(
            f"not saving {path}: its weights hold NaN or infinite values ({bad[0]}{more}), "
            "so training diverged; lower --lr and train again (files saved before are kept)"
        )
    atomic_torch_save(payload, path)
    return Path(path)


def read_file(path: str | os.PathLike, *, map_location: Any = "cpu", mmap: bool = False) -> Any:
    """torch.load with weights_only=True, turning every failure into a CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint {path} not found; train one with `python -m locnet train "
            f"--out {path}` or pass the path of an existing .pt file"
        )
    try:
        return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        if "Unsupported global" in str(exc):
            raise CheckpointError(
                f"checkpoint {path} contains Python objects other than tensors and plain "
                "types, so it is not loaded (unsafe); re-save its state_dict with torch.save"
            ) from exc
        raise CheckpointError(
            f"checkpoint {path} is corrupt or not a PyTorch file (unreadable "
            "pickle); re-download or retrain it"
        ) from exc
    except Exception as exc:  # garbage bytes make the unpickler raise anything
        # (IndexError, TypeError, struct.error, ...): every one means the same to the user.
        raise CheckpointError(
            f"checkpoint {path} is corrupt or truncated ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else 'no detail'}); re-download or retrain it"
        ) from exc


def load_checkpoint(path: str | os.PathLike, *, map_location: Any = "cpu") -> dict:
    """Read one of our checkpoint files (not a bare state_dict) as its dict."""
    payload = read_file(path, map_location=map_location)
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT):
        raise CheckpointError(
            f"{path} is not a LocNet Explorer checkpoint (no format '{FORMAT}'); "
            "a bare state_dict can be loaded with load_weights(path, name)"
        )
    return payload


def check_payload(path: str | os.PathLike, payload: Any) -> dict:
    """Our checkpoint dict with the fields every reader relies on, or CheckpointError
    naming the file (a file that unpickles but lost its model name, weights or options)."""
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT):
        raise CheckpointError(
            f"{path} is not a LocNet Explorer checkpoint (no format '{FORMAT}'); "
            "a bare state_dict is loaded by naming its model, e.g. locnet=PATH"
        )
    model = payload.get("model")
    if not isinstance(model, str) or model not in available_models():
        raise CheckpointError(
            f"checkpoint {path} names no known model ({model!r}); it is damaged or from "
            "another program: retrain it or remove it from the folder"
        )
    state = payload.get("state_dict")
    if not isinstance(state, Mapping) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        raise CheckpointError(
            f"checkpoint {path} has no weights (its 'state_dict' is missing or not tensors); "
            "retrain it or remove it from the folder"
        )
    for key in ("options", "timings", "metrics", "calibration"):
        if payload.get(key) is not None and not isinstance(payload[key], Mapping):
            raise CheckpointError(
                f"checkpoint {path} is damaged: its '{key}' is a {type(payload[key]).__name__}, "
                "not a dict; retrain it or remove it from the folder"
            )
    if payload.get(HISTORY_KEY) is not None and not isinstance(payload[HISTORY_KEY], list):
        raise CheckpointError(
            f"checkpoint {path} is damaged: its '{HISTORY_KEY}' is a "
            f"{type(payload[HISTORY_KEY]).__name__}, not a list; retrain it or remove it"
        )
    return payload


def _positive(value: Any) -> bool:
    """A finite number > 0 (a bool is not a number here)."""
    number = isinstance(value, Real) and not isinstance(value, bool)
    return number and math.isfinite(value) and value > 0


def calibration_problem(value: Any, readouts: Collection[str] | None = None) -> str | None:
    """What is wrong with a stored calibration, or None (see check_calibration)."""
    if not isinstance(value, Mapping):
        return f"it is a {type(value).__name__}, not a dict"
    missing = [k for k in CALIBRATION_KEYS if k not in value]
    unknown = sorted(str(k) for k in value if k not in CALIBRATION_KEYS)
    if missing or unknown:
        return "; ".join(
            [f"missing {', '.join(missing)}"] * bool(missing)
            + [f"unknown key(s) {', '.join(unknown)}"] * bool(unknown)
        ) + f" (expected {', '.join(CALIBRATION_KEYS)})"
    known = f" (one of {', '.join(readouts)})" if readouts is not None else ""
    if not _positive(value["temperature"]):
        return f"temperature must be a finite number > 0, got {value['temperature']!r}"
    per_readout = value["readout_temperature"]
    if not isinstance(per_readout, Mapping):
        return f"readout_temperature is a {type(per_readout).__name__}, not a dict"
    for readout, t in per_readout.items():
        if not isinstance(readout, str) or (readouts is not None and readout not in readouts):
            return f"readout_temperature names an unknown readout {readout!r}{known}"
        if not _positive(t):
            return f"readout_temperature[{readout!r}] must be a finite number > 0, got {t!r}"
    default = value["default_readout"]
    if not isinstance(default, str) or (readouts is not None and default not in readouts):
        return f"default_readout {default!r} is not a readout{known}"
    if not isinstance(value["fitted"], Mapping):
        return f"fitted is a {type(value['fitted']).__name__}, not a dict"
    return None


def check_calibration(
    value: Any,
    source: str | os.PathLike | None = None,
    readouts: Collection[str] | None = None,
) -> dict | None:
    """A stored calibration (Calibration.to_dict(), docs/posterior.md) checked and in plain
    types, or None where there is none (absent or empty: the checkpoint is uncalibrated).

    Malformed (not a dict, keys missing or unknown, a temperature that is not a finite
    number > 0, a readout not in `readouts`) -> CheckpointError naming `source`, the file
    it was read from. `readouts`: the names allowed (the posterior passes its READOUTS;
    None accepts any name, as listing checkpoints here does).
    """
    if value is None or (isinstance(value, Mapping) and not value):
        return None
    problem = calibration_problem(value, readouts)
    if problem is not None:
        where = f"checkpoint {source} has" if source is not None else "a checkpoint has"
        raise CheckpointError(
            f"{where} a malformed calibration: {problem}; fit it again with `python -m locnet "
            f"calibrate --checkpoint {source or 'FILE'} --data DIR` (docs/posterior.md)"
        )
    return {
        "temperature": float(value["temperature"]),
        "readout_temperature": {k: float(t) for k, t in value["readout_temperature"].items()},
        "default_readout": value["default_readout"],
        "fitted": dict(value["fitted"]),
    }


def _listed_info(path: Path) -> CheckpointInfo:
    """checkpoint_info, and its calibration checked: what listing a folder offers a user
    has to load (checkpoint_info alone stays lenient, so `calibrate` can rewrite it)."""
    info = checkpoint_info(path)
    check_calibration(info.calibration, path)
    return info


def checkpoint_problems(folder: str | os.PathLike) -> list[str]:
    """Why each *.pt file in `folder` that list_checkpoints skips cannot be used."""
    problems = []
    for path in sorted(Path(folder).glob("*.pt")):
        if path.name.endswith(RESUME_SUFFIX):
            continue
        try:
            _listed_info(path)
        except LocNetError as exc:
            problems.append(str(exc))
    return problems


def load_weights(
    path: str | os.PathLike,
    name: str | None = None,
    *,
    device: str | torch.device = "cpu",
    options: Mapping[str, Any] | None = None,
) -> LocalizationModel:
    """Build model `name` and load the weights in `path` (ours or a bare state_dict), eval mode.

    For our files `name` may be None (taken from the file) and must match if given; the
    model is built with the options stored in the file. A bare state_dict needs `name`
    and is built with `options` (default: the model's defaults).
    """
    path = Path(path)
    payload = read_file(path)
    if isinstance(payload, dict) and payload.get("format") == FORMAT:
        stored = check_payload(path, payload)["model"]
        if name is not None and stored != name:
            raise CheckpointError(
                f"checkpoint {path} holds a '{stored}' model, not '{name}'; "
                f"load it as '{stored}' or pick a '{name}' checkpoint"
            )
        name, build_options, state = (
            stored,
            dict(payload.get("options") or {}),
            payload["state_dict"],
        )
        calibration = payload.get("calibration")
        if options:
            build_options.update(options)
    elif is_bare_state_dict(payload):
        if name is None:
            raise CheckpointError(
                f"{path} is a bare state_dict without a model name; say which model it holds "
                f"(one of: {', '.join(available_models())})"
            )
        build_options, state, calibration = dict(options or {}), payload, None
    else:
        raise CheckpointError(
            f"{path} is neither a LocNet Explorer checkpoint nor a state_dict "
            f"(found {type(payload).__name__}); pass a file written by `python -m locnet train`"
        )
    model = build_with_state(path, name, build_options, state)
    model.calibration = calibration if isinstance(calibration, dict) else None
    return model.to(device).eval()


def store_calibration(
    path: str | os.PathLike,
    calibration: Mapping[str, Any],
    *,
    readouts: Collection[str] | None = None,
) -> dict | None:
    """Rewrite one of our checkpoints with `calibration` (atomically: a crash leaves the old
    file). Its sha256 changes; the weights do not. The calibration it replaces, if any, is
    appended to the file's `calibration_history` (oldest first) as {"calibration", "replaced"
    (UTC date), "damaged" (what was wrong with it, or None)}; that entry is returned."""
    path = Path(path)
    payload = read_file(path)
    if not (isinstance(payload, dict) and payload.get("format") == FORMAT):
        raise CheckpointError(
            f"{path} is not a LocNet Explorer checkpoint; only files written by "
            "`python -m locnet train` can hold a calibration"
        )
    new = check_calibration(calibration, path, readouts) or {}
    previous, entry = payload.get("calibration"), None
    if previous:
        history = payload.get(HISTORY_KEY)
        history = list(history) if isinstance(history, list) else []
        entry = {
            "calibration": previous,
            "replaced": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "damaged": calibration_problem(previous, readouts),
        }
        payload[HISTORY_KEY] = [*history, entry]
    payload["calibration"] = new
    atomic_torch_save(payload, path)
    return entry


def checkpoint_info(path: str | os.PathLike) -> CheckpointInfo:
    """Metadata of one of our checkpoints; tensors are memory-mapped, not read."""
    path = Path(path)
    payload = check_payload(path, read_file(path, mmap=True))
    timings = payload.get("timings") or {}
    budget = {
        key: timings.get(key)
        for key in ("epochs", "minutes", "cpu_minutes", "samples_seen", "hardware", "stopped")
    }
    prior = timings.get("init_from")
    if isinstance(prior, dict):  # trained on from another checkpoint: count both runs
        for key in ("epochs", "minutes", "cpu_minutes", "samples_seen"):
            if isinstance(budget[key], (int, float)) and isinstance(prior.get(key), (int, float)):
                budget[key] = budget[key] + prior[key]
            elif key == "cpu_minutes":  # an earlier run did not measure it: total unknown
                budget[key] = None
        budget["init_from"] = Path(str(prior.get("file"))).name
        budget["earlier_epochs"] = prior.get("epochs")
    options = dict(payload.get("options") or {})
    return CheckpointInfo(
        path=path,
        model=payload["model"],
        options=options,
        variant=variant_name(payload["model"], options),
        metrics=dict(payload.get("metrics") or {}),
        budget=budget,
        data_fingerprint=payload.get("data_fingerprint"),
        epoch=payload.get("epoch"),
        calibration=payload.get("calibration") if isinstance(payload.get("calibration"), dict) else None,
    )


def list_checkpoints(folder: str | os.PathLike) -> list[CheckpointInfo]:
    """Every usable checkpoint in `folder` (sorted by name); resume files, bare state_dicts
    and files checkpoint_problems reports (unreadable, a malformed calibration...) are
    skipped. A missing folder is an empty list, not an error."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    infos = []
    for path in sorted(folder.glob("*.pt")):
        if path.name.endswith(RESUME_SUFFIX):
            continue
        try:
            infos.append(_listed_info(path))
        except LocNetError:
            continue
    return infos


def resolve_checkpoint(spec: str, checkpoint_dir: str | os.PathLike) -> Path:
    """'locnet-noenv' -> checkpoint_dir/locnet-noenv.pt; a path (has '/' or ends in .pt) as is."""
    if spec.endswith(".pt") or os.sep in spec or "/" in spec:
        return Path(spec)
    return Path(checkpoint_dir) / f"{spec}.pt"


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 of a file (recorded in evaluation metadata)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def weightless_file_problem(path: Path, spec: str, name: str, options: Mapping[str, Any]) -> str | None:
    """Why the calibration file `path` cannot stand for model variant `spec` (= `name` with
    `options`), or None: it must hold that model with exactly those options."""
    info = checkpoint_info(path)
    if info.model == name and {**options, **info.options} == dict(options):
        return None
    return (
        f"{path} holds '{info.variant}' of {info.model} ({info.options}), not '{spec}'; re-run "
        f"`{weightless_calibrate_command(spec)}` or remove the file"
    )


def weightless_calibration(
    spec: str, checkpoint_dir: str | os.PathLike, name: str, options: Mapping[str, Any]
) -> Path | None:
    """The calibration file `calibrate --model` wrote for model variant `spec` (= `name` with
    `options`) in `checkpoint_dir`, or None when there is none; LocNetError when the file
    there holds another model or other options (weightless_file_problem)."""
    path = resolve_checkpoint(spec, checkpoint_dir)
    if not path.is_file():
        return None
    problem = weightless_file_problem(path, spec, name, options)
    if problem:
        raise LocNetError(problem)
    return path


def weightless_calibrate_command(spec: str, data: str = "data/demo") -> str:
    """The command that writes the calibration file of a model without weights (simfit)."""
    return f"python -m locnet calibrate --model {spec} --checkpoint checkpoints/{spec}.pt --data {data}"


def how_to_get(model: str) -> str:
    """One sentence for a user who lacks `model`'s checkpoint: what to run."""
    return (
        f"not installed; make it with `{TRAINING_SET_COMMAND}` then `python -m locnet train "
        f"--model {model} --data {TRAINING_SET} --out checkpoints/{model}.pt` (docs/training.md;"
        " checkpoints/README.md has the exact command behind each shipped file)"
    )
