"""Writing files safely: atomic replace, an output place checked before work, stale temps.

Every writer in the package goes through `atomic_write` (temp file in the same folder,
fsync, rename), so a crash, a kill or a full disk never leaves a half file under the
real name. `ensure_writable_folder` is called before long work (evaluate, train,
generate) so that an unwritable --out fails in the first second, not after the run.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

from locnet.errors import LocNetError

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


def ensure_writable_folder(folder: str | os.PathLike, flag: str = "--out") -> Path:
    """Create `folder` if needed and prove a file can be written in it, or LocNetError."""
    folder = Path(folder)
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise LocNetError(
                    f"{flag} {folder}: {parent} is a file, not a folder; give another path"
                )
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test.", suffix=TEMP_SUFFIX, dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise LocNetError(
            f"{flag} {folder} cannot be written ({exc.strerror or exc}); "
            "choose a folder you can write to"
        ) from exc
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
