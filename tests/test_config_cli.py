"""Command lines built from config dataclasses: flags, defaults and recorded commands."""

from __future__ import annotations

import argparse
import dataclasses
import math

import pytest

from locnet import config_cli
from locnet.constants import MASKS_PER_TX
from locnet.errors import LocNetError
from locnet.evaluate import run as E
from locnet.train.config import parse_options, unparse_options


def _parser(configure) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser()
    configure(parser)
    return parser


def test_evaluate_parser_exposes_every_config_field_with_its_default():
    parser = _parser(E.configure_parser)
    dests = {a.dest for a in parser._actions}
    for f in dataclasses.fields(E.EvaluateConfig):
        assert f.name in dests and f.metadata["help"], f.name
    args = parser.parse_args(["--data", "d", "--out", "o"])
    assert config_cli.from_args(E.EvaluateConfig, args) == E.EvaluateConfig(data="d", out="o")
    assert args.masks_per_tx == MASKS_PER_TX and args.limit is None and not args.tta


def test_evaluate_records_the_command_that_parses_back_without_quiet():
    parser = _parser(E.configure_parser)
    args = parser.parse_args(["--data", "d d", "--out", "o", "--limit", "3", "--tta", "--quiet"])
    command = E._canonical_command(args)
    assert command.startswith("python -m locnet evaluate --data 'd d' --split test")
    assert command.endswith("--seed 0 --limit 3 --tta --out o") and "--quiet" not in command
    import shlex

    again = parser.parse_args(shlex.split(command)[4:])
    assert vars(again) == {**vars(args), "quiet": False}


def test_model_options_round_trip_through_their_flags():
    options = {"target_sigma": 16, "name": "abc", "text": "16", "flag": True}
    assert parse_options(unparse_options(options)) == options
    with pytest.raises(LocNetError, match="KEY=VALUE"):
        parse_options(["novalue"])


@dataclasses.dataclass
class _FloatConfig:
    rate: float = config_cli.option(0.5, help="a float flag")
    budget: float | None = config_cli.option(None, help="an optional float flag")


@pytest.mark.parametrize("argv", [["--rate", "nan"], ["--rate=inf"], ["--budget=-inf"]])
def test_non_finite_float_flags_are_found_by_their_flag(argv):
    """N74: argparse's float() takes nan and inf; a command refuses them by flag name."""
    args = _parser(lambda p: config_cli.add_arguments(p, _FloatConfig)).parse_args(argv)
    config = config_cli.from_args(_FloatConfig, args)
    ((flag, value),) = config_cli.non_finite_floats(config)
    assert flag == argv[0].split("=")[0] and not math.isfinite(value)
    assert config_cli.non_finite_floats(_FloatConfig(rate=1e300, budget=None)) == []
