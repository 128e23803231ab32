"""Committed results name files relative to the project (fault probe N121): no machine's
absolute path, so a fresh clone reads the same provenance."""

from __future__ import annotations

import importlib.util
import re
import subprocess

from locnet.files import PROJECT_ROOT

TEXT_SUFFIXES = {".json", ".txt", ".csv", ".md"}
ABSOLUTE = re.compile(r"(?<![\w.])/(?:work|home|root|tmp|Users|mnt|var)/")  # a machine's folder


def test_committed_results_hold_no_absolute_machine_path():
    listed = subprocess.run(["git", "ls-files", "results"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, check=True).stdout.split()  # fmt: skip
    texts = [PROJECT_ROOT / p for p in listed if PROJECT_ROOT.joinpath(p).suffix in TEXT_SUFFIXES]
    assert any(p.name == "explorer.txt" for p in texts)
    for path in texts:
        text = path.read_text(encoding="utf-8")
        assert str(PROJECT_ROOT) not in text, path
        assert not ABSOLUTE.search(text), (path, ABSOLUTE.search(text).group(0))


def test_the_explorer_timing_names_its_checkpoints_relative_to_the_project():
    spec = importlib.util.spec_from_file_location("measure_explorer", PROJECT_ROOT / "scripts" / "measure_explorer.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    folder, kind = script.checkpoint_folder(PROJECT_ROOT / "checkpoints")
    assert folder == PROJECT_ROOT / "checkpoints" and kind == "from checkpoints"
