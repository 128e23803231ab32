"""The generated blocks of the docs (`python -m locnet report --update`) and the docs' links.

The block updater rewrites only what lies between its markers, fails with one line (and
writes nothing) on an unknown section, an unclosed block or a missing folder, and writes
atomically. The drift check regenerates every block of README.md, docs/results.md and
checkpoints/README.md from the committed result folders, checkpoints and benchmark files:
the text must be exactly what is committed, date lines aside. The link check resolves
every relative link of README.md and docs/*.md to a file and, for `#anchor`, a heading.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from locnet.cli import main
from locnet.errors import LocNetError
from locnet.report import blocks as report_blocks
from tests.results_data import copy_results_folder

ROOT = Path(__file__).resolve().parents[2]
GENERATED_DOCS = ("README.md", "docs/results.md", "checkpoints/README.md")
DAY1, DAY2 = dt.date(2030, 1, 1), dt.date(2030, 1, 2)


@pytest.fixture
def project(tmp_path, monkeypatch, results_folder_template):
    """A folder with one results folder (`results/r`), used as the current folder."""
    copy_results_folder(results_folder_template, tmp_path / "results" / "r")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _doc(*blocks: str) -> str:
    parts = ["# Title\r\n", "Text before, kept byte for byte.  \n", "\n"]
    for spec in blocks:
        parts += [f"<!-- report: {spec} -->\n", "stale text\n", "<!-- /report -->\n", "between\n"]
    return "".join(parts + ["after | not a table\n", "no newline at the end"])


def _outside(text: str) -> list[str]:
    """The lines outside report blocks (markers included)."""
    kept, inside = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("<!-- report:"):
            kept.append(line)
            inside = True
        elif line.startswith("<!-- /report"):
            kept.append(line)
            inside = False
        elif not inside:
            kept.append(line)
    return kept


def test_update_replaces_only_inside_the_markers(project):
    doc = project / "doc.md"
    text = _doc("rates results/r", "summary results/r")
    doc.write_bytes(text.encode())
    notes = report_blocks.update_files(["doc.md"], today=DAY1)
    assert notes == ["doc.md: 2 block(s), 2 rewritten"]
    new = doc.read_bytes().decode()
    assert _outside(new) == _outside(text)  # CRLF, trailing spaces, last line: untouched
    assert "stale text" not in new
    rates = report_blocks.render_section("rates", ["results/r"])
    assert f"<!-- report: rates results/r -->\n\n{rates}\n\n<sub>Generated 2030-01-01 by " in new
    assert "`python -m locnet report --section rates results/r`" in new
    assert "| LocNet (env-focal), mode (ours) |" in new and "- LocNet (focal, env; mode)" in new


def test_markers_in_fenced_examples_are_not_blocks(project):
    text = "```markdown\n<!-- report: rates results/r -->\n```\n" + _doc("rates results/r")
    new, count, _ = report_blocks.update_text(text, "doc.md", DAY1)
    assert count == 1 and new.startswith("```markdown\n<!-- report: rates results/r -->\n```\n#")


def test_unchanged_blocks_keep_their_date_and_the_file(project):
    doc = project / "doc.md"
    doc.write_text(_doc("errors results/r"))
    report_blocks.update_files(["doc.md"], today=DAY1)
    first = doc.read_text()
    stamp = doc.stat().st_mtime_ns
    assert report_blocks.update_files(["doc.md"], today=DAY2) == ["doc.md: 1 block(s), 0 rewritten"]
    assert doc.read_text() == first and doc.stat().st_mtime_ns == stamp
    assert "2030-01-01" in first and "2030-01-02" not in first


def test_section_prints_a_blocks_text(project, capsys):
    assert main(["report", "--section", "headline", "results/r"]) == 0
    out = capsys.readouterr().out
    assert out.rstrip("\n") == report_blocks.render_section("headline", ["results/r"])
    assert out.startswith("`results/r`: evaluated 2024-05-01 on `data/demo` (split test)")
    assert "LocNet (env-focal) weights (sha256 `00…`): `locnet-env-focal.pt` is not in" in out
    assert "| model | answer | avg RMSE 0.01–0.09 % (m) |" in out
    assert "| LocNet (env-focal) | mean, calibrated default |" in out
    assert "| *LocNet (paper, RadioMapSeer, 100 epochs)* | mode | 18.0 |" in out


@pytest.mark.parametrize(
    "text, message",
    [
        (_doc("nonsense results/r"), "doc.md:4: unknown report section 'nonsense'"),
        (
            _doc("rates results/missing"),
            "doc.md:4: report section 'rates': results/missing does not exist",
        ),
        (_doc("rates"), "doc.md:4: report section 'rates' takes RESULTS, got 0 argument(s)"),
        (_doc("shift results/r"), "doc.md:4: report section 'shift' takes RESULTS SHIFTED"),
        ("a\n<!-- report: rates results/r -->\nb\n", "doc.md:2: report block not closed"),
        ("a\n<!-- /report -->\n", "doc.md:2: <!-- /report --> without an opening marker"),
        (
            "<!-- report: rates results/r -->\n<!-- report: rates results/r -->\n<!-- /report -->\n",
            "doc.md:2: report block opened inside the block of line 1",
        ),
        ("no blocks here\n", "doc.md has no report blocks"),
    ],
)
def test_bad_blocks_are_one_line_errors_and_write_nothing(project, capsys, text, message):
    good = project / "good.md"
    good.write_bytes(_doc("rates results/r").encode())
    doc = project / "doc.md"
    doc.write_bytes(text.encode())
    # the good file comes first: nothing is written unless every file renders
    assert main(["report", "--update", "good.md", "doc.md"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1
    assert doc.read_bytes().decode() == text
    assert good.read_bytes().decode() == _doc("rates results/r")


def test_missing_campaign_folder_names_its_command(project):
    with pytest.raises(
        LocNetError, match="make it with `python -m locnet evaluate --data data/testset"
    ):
        report_blocks.render_section("rates", ["results/testset"])


def test_update_is_atomic(project, monkeypatch):
    doc = project / "doc.md"
    text = _doc("rates results/r")
    doc.write_bytes(text.encode())
    real = report_blocks.atomic_write

    def interrupted(path, write, **kwargs):
        def half(tmp):
            write(tmp)
            raise OSError("disk full")

        return real(path, half, **kwargs)

    monkeypatch.setattr(report_blocks, "atomic_write", interrupted)
    with pytest.raises(OSError, match="disk full"):
        report_blocks.update_files(["doc.md"], today=DAY1)
    assert doc.read_bytes().decode() == text
    assert [p.name for p in project.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_update_and_section_go_alone(project, capsys):
    assert main(["report", "--update", "doc.md", "--results", "results/r"]) == 2
    assert "go alone" in capsys.readouterr().err


def test_committed_blocks_match_their_files(monkeypatch):
    """README.md, docs/results.md and checkpoints/README.md regenerated from the committed
    folders give the committed text, date lines aside (`python -m locnet report --update
    README.md docs/results.md checkpoints/README.md` after a new evaluation)."""
    monkeypatch.chdir(ROOT)
    report_blocks.cached_results.cache_clear()
    for name in GENERATED_DOCS:
        text = (ROOT / name).read_text(encoding="utf-8")
        new, count, _ = report_blocks.update_text(text, name)
        assert count > 0, name
        undated = [
            [line for line in t.splitlines() if not line.startswith(report_blocks.DATE_LINE)]
            for t in (text, new)
        ]
        assert undated[1] == undated[0], (
            f"{name} is out of date: run `python -m locnet report --update {name}`"
        )


def test_readme_is_short_and_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 240  # the two commands, what and why, the tour, the CLI, three result tables
    blocks = [i for i, line in enumerate(lines) if line == "```bash"]
    assert (
        lines[blocks[0] + 1] == "python3 -m pip install -r requirements.txt && streamlit run app.py"
    )
    assert lines[blocks[1] + 1] == "python3 -m pytest -q"
    assert not any(line.startswith("## ") for line in lines[: blocks[1]])


# --- links -----------------------------------------------------------------------------------

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(```|~~~)")


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors, fenced = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)):
            slug = _slug(m.group(1))
            anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _links(path: Path) -> list[tuple[int, str]]:
    found, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            line = re.sub(r"`[^`]*`", "", line)  # inline code is not a link
            found += [(number, target) for target in LINK.findall(line)]
    return found


def test_relative_links_resolve():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for number, target in _links(page):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file, _, anchor = target.partition("#")
            resolved = (page.parent / file).resolve() if file else page
            where = f"{page.relative_to(ROOT)}:{number}: {target}"
            if not resolved.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{where} (no such heading)")
    assert not broken, "\n".join(broken)


def test_slugs_follow_github():
    assert (
        _slug("Promoting a stage: `python -m lab.promote`")
        == "promoting-a-stage-python--m-labpromote"
    )
    assert _slug("5. The paper's results (RMSE in m, read off its Fig. 3/4, approximate)") == (
        "5-the-papers-results-rmse-in-m-read-off-its-fig-34-approximate"
    )
