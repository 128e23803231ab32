"""Command-line flags built from a config dataclass: one source of truth for each option.

A field declared with `option(...)` carries its help text and, where its flag is not
plain `--field-name VALUE`, how it differs: a `flag` name (`--no-env` for a field
`env: bool = True`), `choices`, or `repeat` with `parse`/`unparse` for options given
once per value (`--opt KEY=VALUE`). The flag's type and default are the field's.
`add_arguments` builds the parser, `from_args` the config from parsed flags, and
`to_argv` the command line that parses back to the same config.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

Config = TypeVar("Config")


def option(
    default: Any = dataclasses.MISSING,
    *,
    help: str = "",  # argparse's name for it
    flag: str | None = None,
    choices: Sequence[str] | None = None,
    metavar: str | None = None,
    repeat: bool = False,
    parse: Callable[[list[str]], Any] | None = None,
    unparse: Callable[[Any], list[str]] | None = None,
    record: bool = True,
    default_factory: Any = dataclasses.MISSING,
) -> Any:
    """A dataclass field that is also a command-line flag.

    record=False leaves the flag out of `to_argv` (e.g. --quiet changes no result).
    """
    meta = {
        "help": help,
        "flag": flag,
        "choices": tuple(choices) if choices is not None else None,
        "metavar": metavar,
        "repeat": repeat,
        "parse": parse,
        "unparse": unparse,
        "record": record,
    }
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta)


def _scalar_type(hint: Any) -> type:
    """int | None -> int; bool -> bool."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return inner
    return typing.get_origin(hint) or hint


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def flag_of(f: dataclasses.Field) -> str:
    """The field's flag: its metadata's, else --field-name (a True bool: --no-field-name)."""
    if f.metadata.get("flag"):
        return f.metadata["flag"]
    name = f.name.replace("_", "-")
    return f"--no-{name}" if _default(f) is True else f"--{name}"


def _dest(f: dataclasses.Field) -> str:
    return flag_of(f).lstrip("-").replace("-", "_")


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """One flag per field of dataclass `cls`, in field order."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        kind, default, meta = _scalar_type(hints[f.name]), _default(f), f.metadata
        kwargs: dict[str, Any] = {"help": meta.get("help") or None}
        if default is dataclasses.MISSING:
            kwargs["required"] = True
        if kind is bool:
            kwargs["action"] = "store_true"
        elif meta.get("repeat"):
            kwargs.update(action="append", default=[])
        else:
            kwargs["type"] = kind if kind in (int, float) else str
            if default is not dataclasses.MISSING:
                kwargs["default"] = default
        for key in ("choices", "metavar"):
            if meta.get(key) is not None:
                kwargs[key] = meta[key]
        parser.add_argument(flag_of(f), **kwargs)


def from_args(cls: type[Config], args: argparse.Namespace) -> Config:
    """The config that parsed flags describe (a --no-X flag sets X False). Values are not
    checked here: argparse's float() takes nan and inf, so each command checks its own
    ranges (locnet.train.config.check_config, with `non_finite_floats`)."""
    values = {}
    for f in dataclasses.fields(cls):
        raw = getattr(args, _dest(f))
        if _default(f) is True:
            raw = not raw
        elif f.metadata.get("parse"):
            raw = f.metadata["parse"](raw)
        values[f.name] = raw
    return cls(**values)


def non_finite_floats(config: Any) -> list[tuple[str, float]]:
    """(flag, value) of each float field of `config` that holds nan or +-inf (None is "not
    set"), in field order: no option of this project means anything at those values."""
    hints = typing.get_type_hints(type(config))
    found = []
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        is_float = _scalar_type(hints[f.name]) is float and isinstance(value, (int, float))
        if is_float and not math.isfinite(value):
            found.append((flag_of(f), value))
    return found


def to_argv(config: Any) -> list[str]:
    """Flags that parse back to `config`: every recorded field that is set, in field order."""
    argv: list[str] = []
    for f in dataclasses.fields(config):
        value, default = getattr(config, f.name), _default(f)
        if not f.metadata.get("record", True) or value is None:
            continue
        if isinstance(value, bool):
            argv += [flag_of(f)] if value != (default is True) else []
        elif f.metadata.get("repeat"):
            items = f.metadata["unparse"](value) if f.metadata.get("unparse") else list(value)
            for item in items:
                argv += [flag_of(f), str(item)]
        else:
            argv += [flag_of(f), str(value)]
    return argv
