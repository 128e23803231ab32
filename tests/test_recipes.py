"""The documented commands behind checkpoints/ must be commands our CLI accepts."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from locnet import checkpoints as ckpt
from locnet import recipes
from locnet.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


def parse(command: str):
    words = shlex.split(command)
    while "=" in words[0]:  # leading environment assignments
        words.pop(0)
    assert words[:3] == ["python", "-m", "locnet"], command
    parser, module = build_parser(words[3:])
    assert module is not None, command
    return parser.parse_args(words[3:])


@pytest.mark.parametrize("recipe", recipes.RECIPES, ids=lambda r: r.file)
def test_every_recipe_parses_and_writes_its_file(recipe):
    args = [parse(c) for c in recipe.commands]
    assert args[-1].command == "train" and args[-1].model == recipe.model
    assert args[-1].out == recipe.file
    assert args[-1].data == recipes.TRAINING_SET


def test_training_set_command_parses():
    args = parse(recipes.TRAINING_SET_COMMAND)
    assert args.command == "generate" and args.out == recipes.TRAINING_SET


def test_how_to_get_quotes_both_steps():
    text = recipes.how_to_get("tldl")
    assert recipes.TRAINING_SET_COMMAND in text and "--model tldl" in text and "GPU" in text
    assert "--model mystery" in recipes.how_to_get("mystery")
