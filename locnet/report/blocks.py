"""The generated blocks of Markdown files: what each report section prints (`SECTIONS`)
and how `python -m locnet report --update FILE ...` rewrites each block

    <!-- report: SECTION ARG ... -->
    (anything: replaced)
    <!-- /report -->

with SECTION's output (the arguments are folders or files, relative to the current folder,
the repository root) and a last line giving the date and the command that prints that
block alone (`--section SECTION ARG ...`). Text outside the blocks is kept byte for byte; a
block whose text would not change keeps its date. Every file is rendered before any is
written, and each is written atomically, so an unknown section, an unclosed block or a
missing folder is one error line and leaves every file as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from locnet.errors import LocNetError
from locnet.evaluate.folders import ResultSet, load_results
from locnet.files import atomic_write
from locnet.report import bench_tables, provenance
from locnet.report import campaign as C
from locnet.report import tables as T
from locnet.report.campaign_tables import budget_section, equal_budget_section, shift_section
from locnet.report.checkpoints import calibration_of_checkpoints, checkpoint_table
from locnet.report.limit import limit_markdown, matched_markdown
from locnet.report.powder_tables import powder_overview, powder_pretraining, powder_table
from locnet.report.readouts import select_readout

BLOCK_OPEN = re.compile(r"^<!-- report: (?P<spec>.*?) -->\s*$")
BLOCK_CLOSE = re.compile(r"^<!-- /report -->\s*$")
FENCE = re.compile(r"^\s{0,3}(```|~~~)")
DATE_LINE = "<sub>Generated "  # the first words of a block's last line (date and command)
MISSING_HINTS = {  # folders whose absence names the command that makes them
    C.TEST_SET_RESULTS: C.TEST_SET_EVAL_COMMAND,
    C.TEST_SET_SHIFT_RESULTS: C.TEST_SET_SHIFT_EVAL_COMMAND,
    C.EQUAL_BUDGET_RESULTS: C.EQUAL_BUDGET_EVAL_COMMAND,
    C.TEST_SET_LIMIT_RESULTS: C.TEST_SET_LIMIT_COMMAND,
    C.TEST_SET_SHIFT_PHYSICS_RESULTS: C.TEST_SET_SHIFT_PHYSICS_COMMAND,
}


# --- sections ------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def cached_results(folder: str) -> ResultSet:
    """A results folder, read once per run however many blocks show it."""
    return load_results(Path(folder))


def _caption(text: str) -> str:
    """A campaign section's '### title' first line as a bold caption (blocks sit under
    headings of their own page, so they add none)."""
    first, _, rest = text.partition("\n")
    return f"**{first[4:]}**\n{rest}" if first.startswith("### ") else text


def _rates(results: Path) -> str:
    return T.rate_table(cached_results(str(results)).summary)


def _summary(results: Path, ablation: Path | None = None) -> str:
    abl = cached_results(str(ablation)).summary if ablation is not None else None
    return T.headline(cached_results(str(results)).summary, abl)


def _errors(results: Path) -> str:
    res = cached_results(str(results))
    if res.samples is None:
        raise LocNetError(f"{results} has no samples file: re-run `python -m locnet evaluate`")
    return T.error_profile(res.samples)


def _calibration(results: Path) -> str:
    res = cached_results(str(results))
    if res.samples is None:
        raise LocNetError(f"{results} has no samples file: re-run `python -m locnet evaluate`")
    parts = [
        f"Test-time augmentation: {T.tta_label(res.meta)}.",
        "",
        T.calibration_table(res.samples, res.meta),
    ]
    curve = T.reliability_table(res.samples)
    if curve:
        parts += ["", "Reliability curve: observed coverage (%) at each nominal level", "", curve]
    return "\n".join(parts)


def _ablation(ablation: Path) -> str:
    summary = cached_results(str(ablation)).summary
    lines = T.ablation_lines(select_readout(summary, T.PAPER_READOUT))
    return "\n".join([T.rate_table(summary), "", *lines]).rstrip()


def _headline(results: Path) -> str:
    res = cached_results(str(results))
    return "\n".join([provenance.folder_provenance(res), "", T.headline_table(res)])


@dataclass(frozen=True)
class Section:
    render: Callable[..., str]
    usage: str  # the arguments, e.g. "RESULTS [ABLATION]"
    min_args: int
    max_args: int | None  # None: any number
    help: str


SECTIONS: dict[str, Section] = {
    "headline": Section(
        _headline,
        "RESULTS",
        1,
        1,
        "what the folder is and every answer's average RMSE, "
        "median error, near/far shares and 90 % coverage",
    ),
    "provenance": Section(
        lambda results: provenance.folder_provenance(cached_results(str(results))),
        "RESULTS",
        1,
        1,
        "what the folder is, from its meta.json",
    ),
    "rates": Section(_rates, "RESULTS", 1, 1, "RMSE per model, readout and rate beside the paper"),
    "summary": Section(
        _summary,
        "RESULTS [ABLATION]",
        1,
        2,
        "LocNet's average, its readouts, the best deep baseline and the ablation's gains",
    ),
    "errors": Section(_errors, "RESULTS", 1, 1, "error profile over all rates"),
    "calibration": Section(
        _calibration, "RESULTS", 1, 1, "coverage of the credible regions and the reliability curve"
    ),
    "ablation": Section(
        _ablation, "ABLATION", 1, 1, "the LocNet variants per rate, env-map gain, loss ranking"
    ),
    "shift": Section(
        lambda paper, shift: _caption(shift_section(paper, shift)),
        "RESULTS SHIFTED",
        2,
        2,
        "RMSE on paper-like vs randomised propagation and the degradation",
    ),
    "limit": Section(
        lambda results, limit: limit_markdown(cached_results(str(results)), cached_results(str(limit))),
        "RESULTS LIMIT",
        2,
        2,
        "each model's RMSE per rate beside the physical limit (simfit, exact parameters)",
    ),
    "matched": Section(
        lambda results, extra: matched_markdown(cached_results(str(results)), cached_results(str(extra))),
        "RESULTS EXTRA",
        2,
        2,
        "every answer of two folders per rate, on the samples both hold (fewer-mask runs)",
    ),
    "equal-budget": Section(
        lambda folder: _caption(equal_budget_section(folder)),
        "RESULTS",
        1,
        1,
        "each checkpoint's CPU budget beside its RMSE, per rate, and the winners",
    ),
    "budget-curve": Section(
        lambda *paths: _caption(budget_section(list(paths))),
        "CHECKPOINT ...",
        1,
        None,
        "validation RMSE after every validation, with the cumulative budget",
    ),
    "checkpoints": Section(
        checkpoint_table, "FOLDER", 1, 1, "each checkpoint's budget, validation error and sha256"
    ),
    "checkpoint-calibration": Section(
        calibration_of_checkpoints, "FOLDER", 1, 1, "each checkpoint's fitted calibration"
    ),
    "tta": Section(
        lambda plain, tta: T.tta_table(cached_results(str(plain)), cached_results(str(tta))),
        "RESULTS RESULTS_TTA",
        2,
        2,
        "LocNet without and with test-time augmentation",
    ),
    "hardware": Section(
        lambda *paths: provenance.hardware_table(list(paths)),
        "PATH ...",
        1,
        None,
        "every hardware string recorded in results folders, checkpoint folders, bench files",
    ),
    "bench-models": Section(bench_tables.bench_models_table, "JSON", 1, 1, "`bench models --json` as a table"),
    "bench-train": Section(bench_tables.bench_train_table, "JSON", 1, 1, "`bench train --json` as a table"),
    "bench-posterior": Section(
        bench_tables.bench_posterior_table, "JSON", 1, 1, "`bench posterior --json` as a table"
    ),
    "text": Section(bench_tables.text_file_block, "FILE", 1, 1, "a measuring script's text output, quoted"),
    "powder-overview": Section(
        powder_overview, "ROOT", 1, 1, "real measurements: mean / median error per split and model"
    ),
    "powder-pretraining": Section(
        powder_pretraining, "ROOT", 1, 1,
        "real measurements: LocNet pre-trained on our simulator vs from scratch, same CPU budget",
    ),
    "powder": Section(
        powder_table, "ROOT", 1, 1, "real measurements: error per model and split (evaluate-powder)"
    ),
}


def _missing_path(path: str) -> str:
    hint = MISSING_HINTS.get(path.rstrip("/"))
    return f"{path} does not exist" + (
        f" (make it with `{hint}`)"
        if hint
        else " (make it with `python -m locnet evaluate`, `train` or `bench`, or fix the path)"
    )


def render_section(name: str, args: list[str]) -> str:
    """The Markdown of one section (no date line); LocNetError on a bad name, arity or path."""
    section = SECTIONS.get(name)
    if section is None:
        raise LocNetError(f"unknown report section {name!r} (known: {', '.join(sorted(SECTIONS))})")
    high = section.max_args
    if len(args) < section.min_args or (high is not None and len(args) > high):
        raise LocNetError(
            f"report section {name!r} takes {section.usage}, got {len(args)} argument(s)"
        )
    for arg in args:
        if not Path(arg).exists():
            raise LocNetError(f"report section {name!r}: {_missing_path(arg)}")
    return section.render(*map(Path, args)).rstrip("\n")


def section_command(spec: str) -> str:
    return f"python -m locnet report --section {spec}"


def date_line(spec: str, file: str, today: dt.date | None = None) -> str:
    today = today or dt.date.today()
    return (
        f"{DATE_LINE}{today.isoformat()} by `{section_command(spec)}` "
        f"(every block of this file: `python -m locnet report --update {file}`).</sub>"
    )


# --- blocks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    spec: str  # what follows "report:" in the opening marker
    start: int  # index of the opening marker's line
    end: int  # index of the closing marker's line


def find_blocks(lines: list[str], file: str) -> list[Block]:
    """The report blocks of a file's lines (markers inside ``` fences outside blocks are
    examples, not blocks); LocNetError for an unclosed, nested or stray marker."""
    blocks, open_at, spec, fenced = [], None, "", False
    for i, line in enumerate(lines):
        if open_at is None and FENCE.match(line):
            fenced = not fenced
        if fenced:
            continue
        opening, closing = BLOCK_OPEN.match(line), BLOCK_CLOSE.match(line)
        if opening:
            if open_at is not None:
                raise LocNetError(
                    f"{file}:{i + 1}: report block opened inside the block of line {open_at + 1} "
                    "(close it with <!-- /report --> first)"
                )
            open_at, spec = i, opening.group("spec").strip()
        elif closing:
            if open_at is None:
                raise LocNetError(f"{file}:{i + 1}: <!-- /report --> without an opening marker")
            blocks.append(Block(spec, open_at, i))
            open_at = None
    if open_at is not None:
        raise LocNetError(
            f"{file}:{open_at + 1}: report block not closed (add <!-- /report --> after it)"
        )
    return blocks


def _without_date(body: list[str]) -> list[str]:
    return [line for line in body if not line.startswith(DATE_LINE)]


def block_body(spec: str, file: str, today: dt.date | None = None) -> list[str]:
    """The lines between the markers: blank, the section, blank, the date line."""
    try:
        words = shlex.split(spec)
    except ValueError as exc:
        raise LocNetError(f"cannot read the arguments of {spec!r}: {exc}") from exc
    if not words:
        raise LocNetError("empty report block: name a section (<!-- report: SECTION ARG ... -->)")
    text = render_section(words[0], words[1:])
    return ["", *text.split("\n"), "", date_line(spec, file, today)]


def update_text(text: str, file: str, today: dt.date | None = None) -> tuple[str, int, int]:
    """`text` with every block regenerated: (new text, blocks, blocks changed)."""
    lines = text.splitlines(keepends=True)
    blocks = find_blocks([line.rstrip("\r\n") for line in lines], file)
    out, done, changed = [], 0, 0
    for block in blocks:
        newline = "\r\n" if lines[block.start].endswith("\r\n") else "\n"  # the marker's
        out += lines[done : block.start + 1]
        old = [line.rstrip("\r\n") for line in lines[block.start + 1 : block.end]]
        try:
            new = block_body(block.spec, file, today)
        except LocNetError as exc:
            raise LocNetError(f"{file}:{block.start + 1}: {exc}") from exc
        if _without_date(new) == _without_date(old) and any(
            line.startswith(DATE_LINE) for line in old
        ):
            out += lines[block.start + 1 : block.end]  # unchanged: keep its date
        else:
            out += [line + newline for line in new]
            changed += 1
        done = block.end
    out += lines[done:]
    return "".join(out), len(blocks), changed


def update_files(files: list[str | Path], today: dt.date | None = None) -> list[str]:
    """Regenerate the blocks of every file (all rendered before any is written, each
    written atomically and only if it changed); one summary line per file."""
    cached_results.cache_clear()
    planned = []
    for file in map(Path, files):
        if not file.is_file():
            raise LocNetError(f"{file} is not a file (give Markdown files with report blocks)")
        try:
            text = file.read_bytes().decode("utf-8")  # not read_text: keep "\r\n" as it is
        except UnicodeDecodeError as exc:
            raise LocNetError(f"{file} is not UTF-8 text ({exc.reason})") from exc
        new, count, changed = update_text(text, str(file), today)
        if count == 0:
            raise LocNetError(f"{file} has no report blocks (<!-- report: SECTION ARG ... -->)")
        planned.append((file, text, new, count, changed))
    notes = []
    for file, text, new, count, changed in planned:
        if new != text:
            atomic_write(file, lambda tmp, new=new: tmp.write_bytes(new.encode("utf-8")))
        notes.append(f"{file}: {count} block(s), {changed} rewritten")
    return notes
