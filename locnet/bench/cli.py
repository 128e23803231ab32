"""`python -m locnet bench data|models|posterior|train`: dispatch to one benchmark.

A `--json FILE` is checked and claimed (locnet.files.claim_output_file) before the
benchmark runs, so an unwritable place or a second run on the same file fails in the
first second, not after minutes of timing; a FILE that exists and is not a JSON object
(another program's file, or a damaged one) is replaced only with --force.
"""

from __future__ import annotations

import argparse
import importlib
import json
from contextlib import nullcontext
from pathlib import Path

from locnet.errors import LocNetError
from locnet.files import claim_output_file

TARGETS = {
    "data": "locnet.bench.data",
    "models": "locnet.bench.models",
    "posterior": "locnet.bench.posterior",
    "train": "locnet.bench.train",
}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="target", metavar="TARGET", required=True)
    for name, module_name in TARGETS.items():
        module = importlib.import_module(module_name)
        target = sub.add_parser(name, help=module.__doc__.splitlines()[0])
        module.configure_parser(target)
        target.add_argument(
            "--force",
            action="store_true",
            help="replace a --json file that exists but is not a benchmark JSON object",
        )


def check_json_target(path: str | Path, force: bool = False) -> None:
    """LocNetError unless `path` is absent or holds a JSON object (an earlier benchmark's,
    which the run replaces or merges into), or `force` allows replacing it."""
    path = Path(path)
    if not path.exists() or force:
        return
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        problem = None if isinstance(value, dict) else f"it holds a JSON {type(value).__name__}"
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        problem = f"it is not JSON: {exc}"
    if problem:
        raise LocNetError(
            f"--json {path} exists and is not a benchmark file ({problem}); choose another "
            "file, or pass --force to replace it"
        )


def run(args: argparse.Namespace) -> int:
    target = getattr(args, "json", None)
    if target:
        check_json_target(target, getattr(args, "force", False))
    with claim_output_file(target, flag="--json") if target else nullcontext():
        return importlib.import_module(TARGETS[args.target]).run(args)
