"""Command line: `python -m locnet <command> ...`.

Each command lives in its own module exposing `configure_parser(parser)` and
`run(args) -> int`; modules are imported lazily so `--help` stays fast.
User errors (LocNetError) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType

from locnet.errors import LocNetError
from locnet.files import describe_os_error

COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("locnet.data.generate", "simulate a dataset in the RadioMapSeer layout"),
    "testset": ("locnet.data.testset", "simulate the held-out test set and its shifted twin"),
    "dataset-info": ("locnet.data.info", "print counts, splits and sources of a dataset"),
    "train": ("locnet.train.loop", "train a model"),
    "calibrate": ("locnet.evaluate.calibrate", "fit a heatmap checkpoint's posterior temperature on validation data"),
    "fuse": ("locnet.evaluate.fuse", "fit a LocNet x simfit fusion checkpoint on validation data"),
    "evaluate": ("locnet.evaluate.run", "evaluate models on a split across sampling rates"),
    "bench": ("locnet.bench.cli", "benchmark data loading/simulation or models"),
    "report": ("locnet.report.cli", "print the README's result and checkpoint tables from files"),
    "localize": ("locnet.cases.cli", "localize a transmitter in your own case (map + readings)"),
    "import-powder": ("locnet.measurements.importer", "import the POWDER real-measurement dataset into a compact copy"),
    "evaluate-powder": ("locnet.measurements.evaluate", "fit and evaluate the measurement models on the POWDER splits"),
    "export-powder-case": ("locnet.cases.powder_export", "write one POWDER sample as a campaign case folder (locnet-case/2)"),
}


def build_parser(argv: list[str]) -> tuple[argparse.ArgumentParser, object | None]:
    parser = argparse.ArgumentParser(prog="python -m locnet", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    module = None
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.configure_parser(command_parser)
    return parser, module


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, module = build_parser(argv)
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help()
        return 1
    return execute(module, args)


def run_module(module: ModuleType, argv: list[str], prog: str | None = None) -> int:
    """Run a command module outside `python -m locnet` (the lab's tools) with the same
    parser conventions and the same one-line errors."""
    parser = argparse.ArgumentParser(prog=prog, description=(module.__doc__ or "").splitlines()[0])
    module.configure_parser(parser)
    return execute(module, parser.parse_args(argv))


def execute(module: ModuleType, args: argparse.Namespace) -> int:
    """`module.run(args)`, with user errors as one line on stderr and exit code 2."""
    try:
        return int(module.run(args) or 0)
    except LocNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a disk, permission or link problem met mid-run: one line, no traceback
        if isinstance(exc, BrokenPipeError):
            sys.stderr.close()
            return 0
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
