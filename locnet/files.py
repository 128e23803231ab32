"""Writing files safely: atomic replace, one owner per output, places checked before work.

Every writer in the package goes through `atomic_write` (temp file in the same folder,
fsync, rename), so a crash, a kill or a full disk never leaves a half file under the
real name. `ensure_writable_folder` is called before long work (evaluate, train,
generate) so that an unwritable --out fails in the first second, not after the run.

A command that writes results claims its output first (`claim_output_folder`,
`claim_output_file`): an owner file created with O_EXCL names the run (pid, host, start,
command), so a second run on the same place fails at once instead of overwriting the
first one's results at the end; an owner file left by a killed run on this host (its pid
is gone) is taken over with a warning. A folder that already holds files is refused
unless the command was given --force.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import socket
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from locnet.errors import LocNetError

try:  # serialises claims on one host; absent on Windows, where claims are O_EXCL only
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

# The repository root: relative paths in result folders and the app are relative to it.
PROJECT_ROOT = Path(__file__).resolve().parents[1]

TEMP_SUFFIX = ".tmp"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write(
    path: str | os.PathLike, write: Callable[[Path], None], *, fsync: bool = True
) -> Path:
    """Call write(temp_path), fsync it, then rename it to `path` (a normal file's mode).

    On any failure the temp file is removed and the old `path`, if any, is untouched.
    fsync=False for many small files a rerun can regenerate (a dataset's PNGs): the
    rename still keeps half files away from the real name, without a disk flush each.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        if fsync:
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | os.PathLike, data: object) -> Path:
    """Indented JSON written atomically (its folder created): benchmark and meta files."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n"))


def ensure_writable_folder(
    folder: str | os.PathLike,
    flag: str = "--out",
    *,
    shown: str | os.PathLike | None = None,
    fix: str = "choose a folder you can write to",
) -> Path:
    """Create `folder` if needed and prove a file can be written in it, or LocNetError.

    The message names `flag` and `shown` (default: the folder; a file's path when the
    folder is where that file goes) and ends with `fix`."""
    folder = Path(folder)
    shown = folder if shown is None else shown
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise LocNetError(
                    f"{flag} {shown}: {parent} is a file, not a folder; give another path"
                )
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", suffix=TEMP_SUFFIX, dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise LocNetError(f"{flag} {shown} cannot be written ({exc.strerror or exc}); {fix}") from exc
    return folder


def remove_stale_temps(folder: str | os.PathLike) -> int:
    """Delete hidden temp files (`.NAME.*.tmp`) a killed writer left below `folder`."""
    removed = 0
    for path in Path(folder).rglob(f".*{TEMP_SUFFIX}"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError, with the fix for the common cases."""
    where = f" ({exc.filename})" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return (
            f"no space left on the device{where}; free some space and run the same "
            "command again (finished work is kept and resumed)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write{where}: {exc.strerror}; choose a folder you can write to"
    if exc.errno == errno.ELOOP:
        return f"symbolic link loop{where}; point at the real file or folder"
    return f"{exc.strerror or exc}{where}"


# ---- one owner per output --------------------------------------------------------------
OWNER_FILE = ".locnet-owner"  # in a claimed folder; a claimed file's is ".NAME.locnet-owner"
_HELD: dict[tuple[str, int], int] = {}  # (owner file, thread) this process holds -> depth


def _process_start(pid: int) -> str | None:
    """The kernel's start time of `pid` (Linux /proc, clock ticks since boot), or None: an
    owner file records it so that a reused pid is not taken for the run that wrote it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _owner_record() -> dict:
    pid = os.getpid()
    return {
        "pid": pid,
        "host": socket.gethostname(),
        "process_start": _process_start(pid),
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": typed_command(),
    }


def typed_command() -> str:
    """This process's command as typed: `python -m locnet evaluate ...`, not its script path."""
    if not sys.argv:
        return ""
    script = Path(sys.argv[0])
    program = "python -m locnet" if script.parts[-2:] == ("locnet", "__main__.py") else script.name
    return " ".join([program, shlex.join(sys.argv[1:])]).strip()


def _read_owner(path: Path) -> dict | None:
    """The record in an owner file; None when it is empty or unreadable (a run killed
    between creating and filling it)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def _running_here(record: dict) -> bool:
    """Whether the run an owner record names still runs (only answerable on its own host)."""
    pid = record["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        pass
    except OSError:
        return False
    recorded, now = record.get("process_start"), _process_start(pid)
    return not (recorded and now and recorded != now)  # the pid was reused: a new process


def _describe_owner(record: dict) -> str:
    command = f", `{record['command']}`" if record.get("command") else ""
    return (
        f"pid {record['pid']} on {record.get('host', '?')}, started "
        f"{record.get('started', '?')}{command}"
    )


@contextmanager
def _one_claimer_at_a_time(folder: Path) -> Iterator[None]:
    """flock on the folder while an owner file is checked and written: two runs of this
    host never both take over the same stale owner file."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:  # a file system without flock: O_EXCL alone
                pass
        yield
    finally:
        os.close(fd)  # releases the flock


@contextmanager
def _claim(owner: Path, what: str, noun: str) -> Iterator[bool]:
    """Hold `owner` (an owner file) for the block; yields True when this process already
    held it (a nested claim: the outer one checked and will release it)."""
    key = (os.path.realpath(owner), threading.get_ident())  # another thread: another run
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield True
        finally:
            _HELD[key] -= 1
        return
    record = _owner_record()
    with _one_claimer_at_a_time(owner.parent):
        try:
            fd = os.open(owner, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            fd = _take_over(owner, what, noun, record["host"])
        except OSError as exc:
            raise LocNetError(f"{what} cannot be claimed: {describe_os_error(exc)}") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
    _HELD[key] = 1
    try:
        yield False
    finally:
        del _HELD[key]
        mine = _read_owner(owner)
        if mine is not None and (mine["pid"], mine.get("host")) == (record["pid"], record["host"]):
            owner.unlink(missing_ok=True)


def _take_over(owner: Path, what: str, noun: str, host: str) -> int:
    """The fd of an owner file left by a run that no longer runs on this host (rewritten
    by the caller, with a warning), or LocNetError naming the run that holds it."""
    previous = _read_owner(owner)
    if previous is not None and (previous.get("host") != host or _running_here(previous)):
        raise LocNetError(
            f"{what} is being written by another run ({_describe_owner(previous)}); wait for "
            f"it to finish or choose another {noun} (if that run is gone, delete {owner})"
        )
    left_by = _describe_owner(previous) if previous is not None else "an unfinished run"
    print(
        f"warning: {what} was claimed by {left_by}, which no longer runs; taking it over",
        file=sys.stderr,
    )
    return os.open(owner, os.O_WRONLY | os.O_TRUNC)


def output_entries(folder: str | os.PathLike) -> list[str]:
    """Names in `folder` that are results (sorted): its owner file and hidden temp files
    of an interrupted write are not."""
    names = []
    for entry in Path(folder).iterdir():
        if entry.name == OWNER_FILE or (entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)):
            continue
        names.append(entry.name)
    return sorted(names)


@contextmanager
def claim_output_folder(
    folder: str | os.PathLike,
    *,
    force: bool = False,
    flag: str = "--out",
    resume: bool = False,
) -> Iterator[Path]:
    """Own output `folder` for one run (created; checked writable before any work).

    Refused, as a LocNetError naming `flag`, when another run holds it, or when it
    already holds files and neither `force` (replace them) nor `resume` (the command
    continues its own earlier output, as `generate` does, and checks it itself) is set.
    Released when the block ends, however it ends; a claim nested in one this process
    already holds (a command calling another writer) passes through."""
    folder = ensure_writable_folder(folder, flag)
    with _claim(folder / OWNER_FILE, f"{flag} {folder}", "folder") as nested:
        if not (nested or force or resume):
            held = output_entries(folder)
            if held:
                shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
                raise LocNetError(
                    f"{flag} {folder} already holds {shown}; choose a new folder, or pass "
                    "--force to replace them"
                )
        yield folder


def owner_file_of(path: str | os.PathLike) -> Path:
    """The owner file of an output file: `.NAME.locnet-owner` beside it."""
    path = Path(path)
    return path.with_name(f".{path.name}{OWNER_FILE}")


@contextmanager
def claim_output_file(
    path: str | os.PathLike,
    *,
    flag: str,
    fix: str = "choose a folder you can write to",
) -> Iterator[Path]:
    """Own one output file for one run (a benchmark JSON, a checkpoint being rewritten):
    its folder is created and checked writable, `path` must not be a folder, and a second
    run on the same file fails at once (see claim_output_folder). Whether an existing
    file may be replaced is the command's decision."""
    path = Path(path)
    if path.is_dir():
        raise LocNetError(f"{flag} {path} is a folder; give a file name")
    ensure_writable_folder(path.parent, flag, shown=path, fix=fix)
    with _claim(owner_file_of(path), f"{flag} {path}", "file"):
        yield path


def write_json_or_show(path: str | os.PathLike, data: object, flag: str = "--json") -> Path:
    """write_json, and if the write fails anyway (disk full, removed folder), the JSON on
    stdout and a LocNetError saying so: numbers a run spent minutes on are never lost."""
    try:
        return write_json(path, data)
    except OSError as exc:
        print(json.dumps(data, indent=2))
        raise LocNetError(
            f"{flag} {path} could not be written ({describe_os_error(exc)}); the results "
            "are printed above as JSON"
        ) from exc
