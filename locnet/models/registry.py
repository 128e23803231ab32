"""One registry: a model name maps to its constructor and metadata (timm-style).

Model files decorate their constructor with `@register(...)`; the app, CLI,
evaluation and benchmarks only ever call `create_model(name, **options)`.

A model family's options and their defaults live once, in a frozen dataclass next to the
model (timm's `default_cfg`; locnet: `LocNetOptions`), passed as `@register(config=...)`;
the registry reads every default from it and holds none of its own. Its named variants
(a tag -> option overrides: locnet's `noenv`, `bbce`, `ft`, `mse`) say which options name
a variant: the ones some variant overrides (locnet: `env`, `loss`). Checkpoint file names
(`locnet-noenv-bbce.pt`) and variant labels (`noenv-bbce`) are derived from them here, so
no caller spells out a model's options.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from locnet.errors import LocNetError
from locnet.models.base import LocalizationModel

# Modules whose import registers models; imported on first registry use.
MODEL_MODULES = (
    "locnet.models.locnet",
    "locnet.models.locnet_voronoi",
    "locnet.models.mslocnet",
    "locnet.models.tldl",
    "locnet.models.deepmtl",
    "locnet.models.deeptxfinder",
    "locnet.models.classical",
    "locnet.models.simfit",
    "locnet.models.rss_classical",
    "locnet.models.fingerprint",
    "locnet.models.rss_heatmap",
    "locnet.models.fusion",
)


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str  # "locnet", "baseline", "classical" or "physics" (simfit, fusion)
    output: str  # "heatmap", "coordinates" or "two-stage"
    trainable: bool
    description: str
    constructor: Callable[..., LocalizationModel]
    #: options that name a variant, with their default values (read from `config`), in
    #: label order
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: variant tag -> option overrides, e.g. {"noenv": {"env": False}}
    variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: the family's frozen options dataclass: every option and its default (None: no options)
    config: type | None = None
    #: the command that makes its checkpoint when that is not `train` (a fusion is fitted)
    made_by: str | None = None


# The family of models that localize from measured receiver readings (real campaigns:
# locnet.models.measurement), not from the 2-channel map input of every other model.
MEASUREMENT_FAMILY = "measurement"
DEFAULT_VARIANT = "default"  # the label of a model without variant-naming options
_REGISTRY: dict[str, ModelInfo] = {}
_loaded = False


def _check_config(name: str, config: type, constructor: Callable) -> dict[str, Any]:
    """`config`'s defaults, after checking it is a frozen dataclass and that the constructor
    takes each of its options (by name or **options) without a default of its own."""
    if not (dataclasses.is_dataclass(config) and config.__dataclass_params__.frozen):
        raise ValueError(f"model '{name}': config {config!r} is not a frozen dataclass")
    defaults = dataclasses.asdict(config())  # fails here if a field has no default
    params = inspect.signature(constructor).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    missing = [k for k in defaults if k not in params and not takes_any]
    own = [k for k in defaults if k in params and params[k].default is not params[k].empty]
    if missing or own:
        raise ValueError(
            f"model '{name}': {constructor.__name__} must take every option of "
            f"{config.__name__} without a default (missing: {', '.join(missing) or '-'}; "
            f"with a default: {', '.join(own) or '-'}): their defaults live once, in the config"
        )
    return defaults


def register(
    name: str,
    *,
    family: str,
    output: str,
    trainable: bool,
    description: str,
    config: type | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    made_by: str | None = None,
):
    """Decorator registering a model constructor under `name`.

    config: the family's frozen options dataclass (every option with its default; None for
    a model without options); the constructor takes its fields as keyword arguments (or
    **options) without defaults of its own: create_model passes all of them.
    variants: tag -> overrides of config options; the options they override name a variant
    and are recorded in every model built (so checkpoints name their variant).
    made_by: for a model with a checkpoint that `train` does not make, the command that does.
    """
    variants = {tag: dict(overrides) for tag, overrides in (variants or {}).items()}

    def decorate(constructor: Callable[..., LocalizationModel]):
        options = _check_config(name, config, constructor) if config is not None else {}
        naming: dict[str, Any] = {}
        for tag, overrides in variants.items():
            unknown = sorted(set(overrides) - set(options))
            if unknown:
                where = config.__name__ if config is not None else "no config"
                raise ValueError(
                    f"variant {name}-{tag} overrides options without defaults "
                    f"({', '.join(unknown)} not in {where})"
                )
            naming.update({key: options[key] for key in overrides if key not in naming})
        _REGISTRY[name] = ModelInfo(
            name, family, output, trainable, description, constructor, naming, variants, config,
            made_by,
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


def map_models() -> list[str]:
    """The models that take a building map and sensor map (all but MEASUREMENT_FAMILY):
    what the app's pickers, `bench models` and map evaluations offer."""
    return [n for n in available_models() if _REGISTRY[n].family != MEASUREMENT_FAMILY]


def model_info(name: str) -> ModelInfo:
    _ensure_loaded()
    if name not in _REGISTRY:
        raise LocNetError(f"unknown model '{name}'; choose one of: {', '.join(_REGISTRY)}")
    return _REGISTRY[name]


def default_options(name: str) -> dict:
    """Every option of model `name` at its default, as its family's config declares it
    (locnet: {'loss': 'focal', 'env': True, 'target_sigma': 0.0}); {} without a config."""
    config = model_info(name).config
    return dataclasses.asdict(config()) if config is not None else {}


def resolve_options(name: str, options: Mapping[str, Any] | None = None) -> dict:
    """The options a model records: `options` over model `name`'s variant-naming defaults
    (locnet: {'env': True, 'loss': 'focal'} plus what was given, e.g. target_sigma)."""
    return {**model_info(name).defaults, **(options or {})}


def create_model(name: str, **options) -> LocalizationModel:
    """Build model `name`, `options` over its config's defaults (e.g. locnet: loss='bbce').

    model.options records the variant-naming options and those given (resolve_options);
    checkpoints save it, and an option left out reads back as its config default.
    """
    info = model_info(name)
    recorded = resolve_options(name, options)
    model = info.constructor(**{**default_options(name), **recorded})
    model.options = recorded
    return model


def option_word(key: str, value: Any) -> str:
    """How an option reads in a variant label: env=True -> 'env', env=False -> 'noenv',
    loss='bbce' -> 'bbce'."""
    if isinstance(value, bool):
        return key if value else f"no{key}"
    return str(value)


def variant_label(name: str, options: Mapping[str, Any] | None = None) -> str:
    """Every variant-naming option in words: locnet -> 'env-focal', 'noenv-bbce' ...;
    'default' for a model that registers none. Other options (target_sigma) do not count.
    A model whose variant options are all numbers or words (no on/off switch such as env)
    reads as the tags of the options off their defaults: simfit -> 'default', 'robust'."""
    info = model_info(name)
    if not info.defaults:
        return DEFAULT_VARIANT
    opts = resolve_options(name, options)
    if not any(isinstance(value, bool) for value in info.defaults.values()):
        tags = [_tag(info, k, opts[k]) for k, default in info.defaults.items() if opts[k] != default]
        return "-".join(tags) or DEFAULT_VARIANT
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


def fixed_variant(spec: str) -> tuple[str, dict] | None:
    """(model, options) when `spec` names a model or variant that needs no weights
    ('strongest', 'simfit', 'simfit-robust'); None for anything else (checkpoints, paths)."""
    try:
        name, options = variant_options(spec)
    except LocNetError:
        return None
    return None if model_info(name).trainable else (name, options)


def list_variants(name: str) -> list[str]:
    """Model `name` and its registered single-tag variants: ['locnet', 'locnet-noenv', ...]."""
    return [name, *(f"{name}-{tag}" for tag in model_info(name).variants)]


def count_parameters(model: LocalizationModel) -> int:
    return sum(p.numel() for p in model.parameters())
HEATMAP_OUTPUTS = ("heatmap", "two-stage")  # registry outputs whose logits make a posterior
