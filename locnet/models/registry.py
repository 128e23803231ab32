"""One registry: a model name maps to its constructor and metadata (timm-style).

Model files decorate their constructor with `@register(...)`; the app, CLI,
evaluation and benchmarks only ever call `create_model(name, **options)`.

A model may register default options and named variants (a tag -> option overrides):
locnet's defaults `env=True, loss='focal'` and variants `noenv`, `bbce`, `ft`, `mse`.
Checkpoint file names (`locnet-noenv-bbce.pt`) and variant labels (`noenv-bbce`) are
derived from them here, so no caller spells out a model's options.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

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
    #: options that name a variant, with their default values, in label order
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: variant tag -> option overrides, e.g. {"noenv": {"env": False}}
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


DEFAULT_VARIANT = "default"  # the label of a model without variant-naming options
_REGISTRY: dict[str, ModelInfo] = {}
_loaded = False


def register(
    name: str,
    *,
    family: str,
    output: str,
    trainable: bool,
    description: str,
    defaults: Mapping[str, Any] | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
):
    """Decorator registering a model constructor under `name`.

    defaults: the options that tell variants apart, at their default values (recorded
    in every model built, so checkpoints name their variant); variants: tag -> overrides.
    """
    defaults = dict(defaults or {})
    variants = {tag: dict(overrides) for tag, overrides in (variants or {}).items()}
    for tag, overrides in variants.items():
        if not set(overrides) <= set(defaults):
            raise ValueError(f"variant {name}-{tag} overrides options without defaults")

    def decorate(constructor: Callable[..., LocalizationModel]):
        _REGISTRY[name] = ModelInfo(
            name, family, output, trainable, description, constructor, defaults, variants
        )
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


def resolve_options(name: str, options: Mapping[str, Any] | None = None) -> dict:
    """`options` merged over model `name`'s registered defaults."""
    return {**model_info(name).defaults, **(options or {})}


def create_model(name: str, **options) -> LocalizationModel:
    """Build model `name`, `options` over its defaults (e.g. locnet: loss='bbce').

    model.options records the merged options (saved in checkpoints).
    """
    merged = resolve_options(name, options)
    model = model_info(name).constructor(**merged)
    model.options = merged
    return model


def option_word(key: str, value: Any) -> str:
    """How an option reads in a variant label: env=True -> 'env', env=False -> 'noenv',
    loss='bbce' -> 'bbce'."""
    if isinstance(value, bool):
        return key if value else f"no{key}"
    return str(value)


def variant_label(name: str, options: Mapping[str, Any] | None = None) -> str:
    """Every variant-naming option in words: locnet -> 'env-focal', 'noenv-bbce' ...;
    'default' for a model that registers none. Other options (target_sigma) do not count."""
    info = model_info(name)
    if not info.defaults:
        return DEFAULT_VARIANT
    opts = resolve_options(name, options)
    return "-".join(option_word(key, opts[key]) for key in info.defaults)


def _tag(info: ModelInfo, key: str, value: Any) -> str:
    """The registered variant tag overriding exactly `key` to `value`, else its word."""
    for tag, overrides in info.variants.items():
        if overrides == {key: value}:
            return tag
    return option_word(key, value)


def variant_id(name: str, options: Mapping[str, Any] | None = None) -> str:
    """The model name plus a tag per option off its default: 'locnet', 'locnet-noenv',
    'locnet-noenv-bbce'; the stem of the checkpoint file such a model is saved to."""
    info = model_info(name)
    opts = resolve_options(name, options)
    tags = [_tag(info, k, opts[k]) for k, default in info.defaults.items() if opts[k] != default]
    return "-".join([name, *tags])


def variant_options(variant: str) -> tuple[str, dict]:
    """'locnet-noenv-bbce' -> ('locnet', {'env': False, 'loss': 'bbce'}): model name and
    its full options; a plain model name gives its defaults. Inverse of variant_id."""
    _ensure_loaded()
    for name in sorted(_REGISTRY, key=len, reverse=True):  # longest model name first
        if variant != name and not variant.startswith(f"{name}-"):
            continue
        info = _REGISTRY[name]
        options = dict(info.defaults)
        tags = variant[len(name) + 1 :].split("-") if variant != name else []
        for tag in tags:
            if tag not in info.variants:
                known = ", ".join(f"{name}-{t}" for t in info.variants) or "none"
                raise LocNetError(f"unknown variant '{variant}'; {name}'s variants: {known}")
            options.update(info.variants[tag])
        return name, options
    raise LocNetError(f"unknown model '{variant}'; choose one of: {', '.join(_REGISTRY)}")


def list_variants(name: str) -> list[str]:
    """Model `name` and its registered single-tag variants: ['locnet', 'locnet-noenv', ...]."""
    return [name, *(f"{name}-{tag}" for tag in model_info(name).variants)]


def count_parameters(model: LocalizationModel) -> int:
    return sum(p.numel() for p in model.parameters())
HEATMAP_OUTPUTS = ("heatmap", "two-stage")  # registry outputs whose logits make a posterior
