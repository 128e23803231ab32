"""Whole-folder writes: an imported copy or a split's results appear complete or not at all.

The files are written (each through `files.atomic_write`) into a hidden temporary folder
beside the target, which then replaces the target by renames: an error, a kill or a full
disk mid-way leaves the old folder (or none) in place, never a half-written one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from locnet.files import TEMP_SUFFIX, ensure_writable_folder


def write_folder(out: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Call write(temp_folder), then put that folder at `out` (replacing what was there)."""
    out = Path(out)
    parent = ensure_writable_folder(out.parent)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=TEMP_SUFFIX, dir=parent))
    old = None
    try:
        write(work)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(work, 0o777 & ~mask)
        if out.exists():
            old = Path(
                tempfile.mkdtemp(prefix=f".{out.name}.old.", suffix=TEMP_SUFFIX, dir=parent)
            )
            os.replace(out, old / out.name)
        os.replace(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if old is not None and not out.exists():
            os.replace(old / out.name, out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out
