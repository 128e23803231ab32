"""`python -m locnet bench data|models|posterior|train`: dispatch to one benchmark."""

from __future__ import annotations

import argparse
import importlib

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
        module.configure_parser(sub.add_parser(name, help=module.__doc__.splitlines()[0]))


def run(args: argparse.Namespace) -> int:
    return importlib.import_module(TARGETS[args.target]).run(args)
