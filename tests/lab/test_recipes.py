"""The documented commands behind checkpoints/ must be commands our CLI accepts."""

from __future__ import annotations

import itertools
import shlex
from pathlib import Path

import pytest

from lab import recipes
from locnet.cli import build_parser
from locnet.data.generate import TRAINING_SET, TRAINING_SET_COMMAND
from locnet.models import checkpoints as ckpt
from locnet.report import campaign

ROOT = Path(__file__).resolve().parents[2]


def parse(command: str):
    """argparse result of `python -m locnet ...`, also behind env assignments and torchrun."""
    words = shlex.split(command)
    while "=" in words[0]:  # leading environment assignments
        words.pop(0)
    assert words[:2] == ["python", "-m"], command
    starts = [i for i in range(len(words) - 1) if words[i : i + 2] == ["-m", "locnet"]]
    assert starts, command
    if starts[-1] != 1:  # a launcher: python -m torch.distributed.run ... -m locnet
        assert words[2] == "torch.distributed.run", command
    argv = words[starts[-1] + 2 :]
    parser, module = build_parser(argv)
    assert module is not None, command
    return parser.parse_args(argv)


@pytest.mark.parametrize("recipe", recipes.RECIPES, ids=lambda r: r.file)
def test_every_recipe_parses_and_writes_its_file(recipe):
    args = [parse(c) for c in recipe.commands]
    assert args[-1].command == "train" and args[-1].model == recipe.model
    assert args[-1].out == recipe.file
    assert args[-1].data == TRAINING_SET or (args[-1].stream and args[-1].data is None)
    for i, step in enumerate(args):  # a stage starts from a file an earlier stage wrote
        if step.command == "train" and step.init_from:
            assert step.init_from in [a.out for a in args[:i]], recipe.commands[i]


def test_training_set_command_parses():
    args = parse(TRAINING_SET_COMMAND)
    assert args.command == "generate" and args.out == TRAINING_SET


def test_test_set_and_campaign_commands_parse():
    args = parse(campaign.TEST_SET_COMMAND)
    assert args.command == "testset" and args.maps >= 60 and args.workers <= 2
    assert (args.out, args.shift_out) == (campaign.TEST_SET, campaign.TEST_SET_SHIFT)
    r = campaign
    for command, data, out in (
        (r.TEST_SET_EVAL_COMMAND, r.TEST_SET, r.TEST_SET_RESULTS),
        (r.TEST_SET_SHIFT_EVAL_COMMAND, r.TEST_SET_SHIFT, r.TEST_SET_SHIFT_RESULTS),
        (r.EQUAL_BUDGET_EVAL_COMMAND, r.TEST_SET, r.EQUAL_BUDGET_RESULTS),
        (r.TEST_SET_CLASSICAL_COMMAND, r.TEST_SET, r.TEST_SET_CLASSICAL_RESULTS),
    ):
        args = parse(command)
        assert (args.command, args.data, args.split, args.out) == ("evaluate", data, "test", out)
    assert parse(campaign.EQUAL_BUDGET_EVAL_COMMAND).checkpoints == campaign.EQUAL_BUDGET_CHECKPOINTS


@pytest.mark.lab_record
@pytest.mark.parametrize("recipe", [r for r in recipes.RECIPES if r.shipped], ids=lambda r: r.file)
def test_shipped_checkpoints_are_committed_and_match_their_recipe(recipe):
    path = ROOT / recipe.file
    assert path.is_file(), f"{recipe.file} is listed as shipped but missing"
    info = ckpt.checkpoint_info(path)
    args = parse(recipe.commands[-1])
    assert info.model == recipe.model
    if recipe.model == "locnet":
        extra = dict(o.split("=", 1) for o in args.opt)
        expected = {"loss": args.loss or "focal", "env": not args.no_env}
        if "target_sigma" in extra:
            expected["target_sigma"] = float(extra["target_sigma"])
        assert info.options == expected


@pytest.mark.lab_record
def test_each_shipped_stage_records_the_file_of_the_stage_before_it():
    """The chain `python -m lab.promote` keeps: budgets and the RMSE-vs-budget curve sum along it."""
    stages = recipes.LOCNET_STAGES
    for before, stage in itertools.pairwise(stages):
        record = ckpt.load_checkpoint(ROOT / stage.out)["timings"]["init_from"]
        assert record["file"] == before.out, stage.out
    last_start = ckpt.load_checkpoint(ROOT / stages[-1].out)["timings"]["init_from"]
    assert last_start["sha256"] == ckpt.file_sha256(ROOT / stages[-2].out)  # promoted, not re-made
