"""One owner per output (locnet.files.claim_output_folder / claim_output_file) and outputs
checked before the work: fault probes N61, N78, N80, N88 (docs: /work/shared/FAULT-PROBE.md).

No test here waits on a clock: a run "at the same time" is a claim held by another thread
(another run, as far as the claim goes) or by a live process named in the owner file.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from locnet import files
from locnet.cli import main
from locnet.errors import LocNetError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "helsinki"


def _owner(pid: int, host: str | None = None) -> str:
    """An owner file's text naming `pid` on `host` (default: this one)."""
    return json.dumps(
        {"pid": pid, "host": host or socket.gethostname(), "process_start": files._process_start(pid),
         "started": "2026-12-03T10:00:00+00:00", "command": "python -m locnet evaluate ..."}
    )  # fmt: skip


def _dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def test_a_claim_creates_checks_and_releases_the_folder(tmp_path):
    out = tmp_path / "new" / "res"
    with files.claim_output_folder(out) as folder:
        assert folder == out and (out / files.OWNER_FILE).is_file()
        record = json.loads((out / files.OWNER_FILE).read_text())
        assert record["pid"] == os.getpid() and record["host"] == socket.gethostname()
        (out / "summary.csv").write_text("x")
    assert not (out / files.OWNER_FILE).exists()  # released: the folder holds only results
    with pytest.raises(LocNetError, match=r"--out .*res already holds summary.csv; .*--force"), \
            files.claim_output_folder(out):
        pass
    with files.claim_output_folder(out, force=True):
        pass
    with pytest.raises(RuntimeError), files.claim_output_folder(out, force=True):
        raise RuntimeError("the run failed")  # released however the block ends
    assert files.output_entries(out) == ["summary.csv"]


def test_a_folder_held_by_a_live_run_is_refused_even_with_force(tmp_path):
    (tmp_path / files.OWNER_FILE).write_text(_owner(1))  # pid 1 always runs
    for force in (False, True):
        with pytest.raises(LocNetError, match=r"being written by another run \(pid 1 on .*delete"), \
                files.claim_output_folder(tmp_path, force=force):
            pass
    (tmp_path / files.OWNER_FILE).write_text(_owner(_dead_pid(), host="another-host"))
    with pytest.raises(LocNetError, match="another-host"), files.claim_output_folder(tmp_path):
        pass  # another host's pid cannot be checked from here


@pytest.mark.parametrize("left", ["dead", "empty"])
def test_an_owner_file_left_by_a_killed_run_is_taken_over_with_a_warning(tmp_path, capsys, left):
    owner = tmp_path / "res" / files.OWNER_FILE
    owner.parent.mkdir()
    pid = _dead_pid()
    owner.write_text(_owner(pid) if left == "dead" else "")
    with files.claim_output_folder(tmp_path / "res"):
        assert json.loads(owner.read_text())["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert err.startswith("warning: --out ") and "no longer runs; taking it over" in err
    assert (f"pid {pid}" in err) == (left == "dead") and not owner.exists()


def test_a_claim_nested_in_the_same_run_passes_and_another_thread_is_another_run(tmp_path):
    out = tmp_path / "res"
    refused: list[str] = []

    def other_run() -> None:
        try:
            with files.claim_output_folder(out, force=True):
                pass
        except LocNetError as exc:
            refused.append(str(exc))

    with files.claim_output_folder(out):
        (out / "meta.json").write_text("{}")
        with files.claim_output_folder(out):  # e.g. write_results inside evaluate's own claim
            pass
        assert (out / files.OWNER_FILE).is_file()  # the inner one did not release it
        thread = threading.Thread(target=other_run)
        thread.start()
        thread.join()
    assert len(refused) == 1 and "being written by another run" in refused[0]


def test_a_claimed_output_file_is_checked_before_work(tmp_path):
    (tmp_path / "README.md").write_text("x")
    with pytest.raises(LocNetError, match=r"--json .*README.md/x.json: .*README.md is a file"), \
            files.claim_output_file(tmp_path / "README.md" / "x.json", flag="--json"):
        pass
    with pytest.raises(LocNetError, match="is a folder"), files.claim_output_file(tmp_path, flag="--json"):
        pass
    target = tmp_path / "bench" / "x.json"
    with files.claim_output_file(target, flag="--json"):
        assert files.owner_file_of(target).is_file() and target.parent.is_dir()
    assert list(target.parent.iterdir()) == []


def test_two_evaluate_runs_on_one_out_the_second_fails_at_once(tiny_dataset, tmp_path, monkeypatch, capsys):
    """N88: the run started first keeps its results; the second is refused before any work."""
    import locnet.evaluate.run as evaluate_module

    out = tmp_path / "res"
    argv = ["evaluate", "--data", str(tiny_dataset), "--models", "centre", "--rates", "0.05",
            "--masks-per-tx", "1", "--quiet", "--out", str(out)]  # fmt: skip
    real_evaluate = evaluate_module.evaluate
    second: dict = {}

    def first_run_working(*args, **kwargs):
        if not second:  # while the first run works, a second starts on the same --out
            thread = threading.Thread(target=lambda: second.update(code=main([*argv, "--force"])))
            thread.start()
            thread.join()
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(evaluate_module, "evaluate", first_run_working)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert second["code"] == 2 and f"--out {out} is being written by another run (pid {os.getpid()}" in err
    assert {"summary.csv", "meta.json"} <= set(files.output_entries(out))
    assert not (out / files.OWNER_FILE).exists()
    assert main(argv) == 2 and "already holds" in capsys.readouterr().err  # no --force: refused


def test_localize_refuses_an_earlier_runs_folder_without_force(tmp_path, capsys):
    """N61: a second localize into the same --out no longer overwrites estimates.json."""
    out = tmp_path / "out"
    argv = ["localize", "--case", str(EXAMPLE), "--models", "centroid", "--out", str(out)]
    assert main(argv) == 0
    first = (out / "estimates.json").read_bytes()
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {out} already holds ") and "--force" in err
    assert err.count("\n") == 1 and (out / "estimates.json").read_bytes() == first
    assert main([*argv, "--force"]) == 0 and not (out / files.OWNER_FILE).exists()


def test_testset_checks_both_folders_and_names_its_flags_before_simulating(tmp_path, monkeypatch, capsys):
    """N78: an unusable --shift-out fails before the first folder is simulated, naming
    --shift-out; N80: --maps 0 / --tx-per-map -1 are named as such."""
    from locnet.data import generate

    simulated = []
    monkeypatch.setattr(generate, "generate_map", lambda task: simulated.append(task))
    (tmp_path / "README.md").write_text("x")
    base = ["testset", "--out", str(tmp_path / "ts"), "--maps", "1", "--tx-per-map", "1", "--quiet"]
    assert main([*base, "--shift-out", str(tmp_path / "README.md" / "shift")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --shift-out {tmp_path / 'README.md' / 'shift'}: ") and not simulated
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "cat.jpg").write_bytes(b"x")
    assert main([*base, "--shift-out", str(foreign)]) == 2
    assert "--shift-out" in capsys.readouterr().err and not simulated
    assert files.output_entries(tmp_path / "ts") == []  # nothing written into --out either
    for flags, named in ((["--maps", "0"], "--maps"), (["--tx-per-map", "-1"], "--tx-per-map")):
        argv = ["testset", "--out", str(tmp_path / "a"), "--shift-out", str(tmp_path / "b"), *flags]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert named in err and "--cities" not in err and "--tx-per-city" not in err
    assert not simulated


def test_generate_refuses_a_folder_another_generate_holds(tmp_path, capsys):
    out = tmp_path / "ds"
    out.mkdir()
    (out / files.OWNER_FILE).write_text(_owner(1))
    assert main(["generate", "--out", str(out), "--cities", "1", "--tx-per-city", "1", "--quiet"]) == 2
    assert "being written by another run (pid 1" in capsys.readouterr().err
    assert files.output_entries(out) == []
