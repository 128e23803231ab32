"""`python -m locnet report`: print the README's tables and the campaign's sections, or
rewrite the generated blocks of Markdown files (`--update`, `--section`: `blocks`).

Every number in README.md and docs/results.md comes from this command: the main table,
the headline, calibration and checkpoint tables (`tables`) and, with `--campaign` or the
campaign flags, the propagation-shift, equal-budget and budget-curve sections
(`campaign_tables`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from locnet.errors import LocNetError
from locnet.report import campaign as C
from locnet.report import tables as T
from locnet.report.blocks import SECTIONS, cached_results, render_section, update_files
from locnet.report.campaign_tables import sections

# --- the command ---------------------------------------------------------------------------


def campaign_defaults() -> dict:
    """Folders of the compute campaign (`--campaign`)."""
    return {
        "results": Path(C.TEST_SET_RESULTS),
        "shift": Path(C.TEST_SET_SHIFT_RESULTS),
        "equal_budget": Path(C.EQUAL_BUDGET_RESULTS),
        "budget_curve": [Path("checkpoints")],
    }


def add_campaign_arguments(parser: argparse.ArgumentParser) -> None:
    """The campaign flags of `python -m locnet report`."""
    parser.add_argument(
        "--shift", help="results folder on the randomised-propagation twin of --results' data"
    )
    parser.add_argument(
        "--equal-budget", help="results folder of checkpoints trained for equal CPU budgets"
    )
    parser.add_argument(
        "--budget-curve",
        nargs="*",
        default=[],
        help="checkpoint files or folders: validation RMSE vs training budget",
    )
    parser.add_argument(
        "--campaign",
        action="store_true",
        help=f"all of the above with the campaign's folders ({C.TEST_SET_RESULTS}, "
        f"{C.TEST_SET_SHIFT_RESULTS}, {C.EQUAL_BUDGET_RESULTS}, checkpoints); "
        "missing ones print the command that makes them",
    )


def apply_campaign_defaults(args: argparse.Namespace) -> None:
    """Fill the flags --campaign implies and the user left out."""
    if not args.campaign:
        return
    defaults = campaign_defaults()
    for name in ("results", "shift", "equal_budget", "budget_curve"):
        if not getattr(args, name):
            setattr(args, name, defaults[name])


def main_missing(results: Path) -> str:
    """The main table's place while the test set's results do not exist yet."""
    return "\n".join(
        [
            f"### RMSE (m) per sampling rate — `{results}`",
            "",
            f"({C.missing_note(results, C.TEST_SET_EVAL_COMMAND)})",
            "",
        ]
    )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", help="results folder of the shipped models (the main table)")
    parser.add_argument("--ablation", help="results folder of the equal-budget LocNet variants")
    parser.add_argument(
        "--checkpoints", nargs="*", default=[], help="checkpoint folders to list with budgets"
    )
    add_campaign_arguments(parser)
    parser.add_argument(
        "--update",
        nargs="+",
        metavar="FILE",
        help="rewrite the <!-- report: SECTION ARG ... --> ... <!-- /report --> blocks of these "
        "Markdown files (e.g. README.md docs/results.md), run from the repository root",
    )
    parser.add_argument(
        "--section",
        nargs="+",
        metavar=("SECTION", "ARG"),
        help="print one block's section (listed below)",
    )
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "sections of --update blocks and --section:\n" + "\n".join(
        f"  {name} {section.usage}\n      {section.help}" for name, section in SECTIONS.items()
    )


def _other_flags(args: argparse.Namespace) -> bool:
    return bool(
        args.results
        or args.ablation
        or args.checkpoints
        or args.shift
        or args.equal_budget
        or args.budget_curve
        or args.campaign
    )


def run(args: argparse.Namespace) -> int:
    if args.update or args.section:
        if _other_flags(args) or (args.update and args.section):
            raise LocNetError(
                "--update and --section each go alone (no --results, --campaign, ...)"
            )
        if args.section:
            cached_results.cache_clear()
            print(render_section(args.section[0], args.section[1:]))
        else:
            for note in update_files(args.update):
                print(note)
        return 0
    apply_campaign_defaults(args)
    if not args.results:
        raise LocNetError(
            "--results is required (or --campaign for the campaign's folders, "
            "or --update FILE to rewrite the blocks of Markdown files)"
        )
    campaign_main_missing = args.campaign and not Path(args.results).is_dir()
    checked = [args.ablation, *args.checkpoints] + ([] if args.campaign else [args.results])
    for folder in checked:
        if folder is not None and not Path(folder).is_dir():
            raise LocNetError(
                f"{folder} is not a folder (make results with `python -m locnet evaluate`)"
            )
    ablation = Path(args.ablation) if args.ablation else None
    if campaign_main_missing:
        print(main_missing(Path(args.results)))
    else:
        print(T.build_report(Path(args.results), ablation, [Path(c) for c in args.checkpoints]))
    print(sections(args), end="")
    return 0
