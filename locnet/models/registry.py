"""One registry: a model name maps to its constructor and metadata (timm-style).

Model files decorate their constructor with `@register(...)`; the app, CLI,
evaluation and benchmarks only ever call `create_model(name, **options)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

from locnet.errors import LocNetError
from locnet.models.base import LocalizationModel

# Modules whose import registers models; imported on first registry use.
MODEL_MODULES = (
    "locnet.models.locnet",
    "locnet.models.mslocnet",
    "locnet.models.tldl",
    "locnet.models.deepmtl",
    "locnet.models.deeptxfinder",
    "locnet.models.classical",
)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str  # "locnet", "baseline" or "classical"
    output: str  # "heatmap", "coordinates" or "two-stage"
    trainable: bool
    description: str
    constructor: Callable[..., LocalizationModel]


_REGISTRY: dict[str, ModelInfo] = {}
_loaded = False


def register(name: str, *, family: str, output: str, trainable: bool, description: str):
    """Decorator registering a model constructor under `name`."""

    def decorate(constructor: Callable[..., LocalizationModel]):
        _REGISTRY[name] = ModelInfo(name, family, output, trainable, description, constructor)
        return constructor

    return decorate


def _ensure_loaded() -> None:
    global _loaded
    if not _loaded:
        for module_name in MODEL_MODULES:
            importlib.import_module(module_name)
        _loaded = True


def available_models() -> list[str]:
    _ensure_loaded()
    return list(_REGISTRY)


def model_info(name: str) -> ModelInfo:
    _ensure_loaded()
    if name not in _REGISTRY:
        raise LocNetError(f"unknown model '{name}'; choose one of: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def create_model(name: str, **options) -> LocalizationModel:
    """Build model `name` with its options (e.g. locnet: loss='focal', env=True)."""
    model = model_info(name).constructor(**options)
    model.options = dict(options)
    return model


def count_parameters(model: LocalizationModel) -> int:
    return sum(p.numel() for p in model.parameters())
