"""Fitting a state_dict into a registry model (used by locnet.models.checkpoints.load_weights).

Wrapper prefixes are stripped and names and shapes are compared before
`load_state_dict`, so a file that does not fit fails with a message saying exactly
what differs (missing, unexpected or reshaped keys) and which file it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import torch

from locnet.errors import CheckpointError
from locnet.models.base import LocalizationModel
from locnet.models.registry import create_model

# Prefixes that DataParallel/DDP ("module.") and torch.compile ("_orig_mod.") add to keys.
WRAPPER_PREFIXES = ("module.", "_orig_mod.")
MAX_KEYS_SHOWN = 4


def is_bare_state_dict(obj: Any) -> bool:
    """A mapping of parameter names to tensors (what `model.state_dict()` returns)."""
    return (
        isinstance(obj, Mapping)
        and len(obj) > 0
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    )


def _strip_prefixes(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in state.items():
        for prefix in WRAPPER_PREFIXES:
            while key.startswith(prefix):
                key = key[len(prefix) :]
        out[key] = value
    return out


def _check_keys(
    path: Path, name: str, model: LocalizationModel, state: Mapping[str, torch.Tensor]
) -> None:
    """Compare names and shapes before load_state_dict so the error says exactly what differs."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [
        k for k in expected if k in state and tuple(expected[k].shape) != tuple(state[k].shape)
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:MAX_KEYS_SHOWN])})")
    if unexpected:
        problems.append(
            f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:MAX_KEYS_SHOWN])})"
        )
    if shapes:
        k = shapes[0]
        problems.append(
            f"{len(shapes)} shape mismatches (e.g. {k}: file "
            f"{tuple(state[k].shape)} vs model {tuple(expected[k].shape)})"
        )
    if problems:
        raise CheckpointError(
            f"checkpoint {path} does not fit model '{name}': {'; '.join(problems)}; "
            "check that it was trained for this model (and these options)"
        )


def build_with_state(
    path: Path, name: str, options: Mapping[str, Any], state: Mapping[str, torch.Tensor]
) -> LocalizationModel:
    """Model `name` built with `options` and `state` loaded strictly (path: for messages)."""
    try:
        model = create_model(name, **options)
    except TypeError as exc:
        raise CheckpointError(
            f"checkpoint {path} has options {options} that model "
            f"'{name}' does not accept ({exc})"
        ) from exc
    state = _strip_prefixes(state)
    _check_keys(path, name, model, state)
    model.load_state_dict(state, strict=True)
    return model
