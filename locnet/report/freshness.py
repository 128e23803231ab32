"""Is a results folder still about the installed weights? One model everywhere.

Every results folder's meta.json records the sha256 of each checkpoint it evaluated
(locnet.evaluate.run). When the file at that path now holds other weights (a retrained
or recalibrated `checkpoints/locnet.pt`), the folder's numbers are of a model the Explorer
no longer runs: a page showing it says so in one line, with the command that refreshes it.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from locnet.evaluate.folders import ResultSet, evaluate_command
from locnet.files import PROJECT_ROOT
from locnet.models.checkpoints import file_sha256
from locnet.models.registry import DEFAULT_VARIANT
from locnet.report.series import series_label

SHA_SHOWN = 8  # hex digits of a sha256 shown to people


@dataclass(frozen=True)
class StaleWeights:
    """A checkpoint a folder evaluated whose file now holds other weights (or is gone)."""

    name: str  # meta.json key, e.g. "locnet.pt"
    label: str  # series label, e.g. "LocNet (env-focal)"
    path: str  # as recorded, e.g. "checkpoints/locnet.pt"
    recorded: str  # sha256 the folder evaluated
    installed: str | None  # sha256 of the file there now; None: no file there


@lru_cache(maxsize=64)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """file_sha256, remembered while the file keeps its size and mtime."""
    return file_sha256(path)


def installed_sha256(path: str | os.PathLike, root: Path = PROJECT_ROOT) -> str | None:
    """sha256 of the checkpoint at `path` (relative paths from the project folder), or None."""
    full = Path(path)
    full = full if full.is_absolute() else Path(root) / full
    try:
        stat = full.stat()
    except OSError:
        return None
    return _sha256(str(full), stat.st_size, stat.st_mtime_ns) if full.is_file() else None


def stale_weights(meta: dict, root: Path = PROJECT_ROOT) -> list[StaleWeights]:
    """The checkpoints in meta.json whose recorded sha256 is not the file's today.

    A record without a sha256 or a path cannot be checked and is skipped."""
    records = meta.get("checkpoints") or {}
    stale = []
    for name, record in sorted(records.items()) if isinstance(records, dict) else []:
        if not isinstance(record, dict) or not record.get("sha256") or not record.get("path"):
            continue
        installed = installed_sha256(record["path"], root)
        if installed != record["sha256"]:
            label = series_label(
                str(record.get("model", name)), str(record.get("variant", DEFAULT_VARIANT))
            )
            stale.append(
                StaleWeights(name, label, str(record["path"]), str(record["sha256"]), installed)
            )
    return stale


def refresh_command(res: ResultSet) -> str:
    """The command that re-evaluates the folder with the installed weights: the one that
    wrote it (meta.json `command`) with --force, else the standard evaluate command."""
    command = str(res.meta.get("command") or "")
    if command.startswith("python -m locnet evaluate"):
        words = shlex.split(command)
        return command if "--force" in words else f"{command} --force"
    folder = display_path(res.folder)
    data = res.dataset.get("path", "data/demo")
    return evaluate_command(data, folder, extra="--force")


def display_path(path: str | os.PathLike, root: Path = PROJECT_ROOT) -> str:
    """A path as people read it: relative to the project folder when inside it."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path(root).resolve()))
    except (ValueError, OSError):
        return str(path)


def freshness_line(res: ResultSet, root: Path = PROJECT_ROOT) -> str | None:
    """One line when the folder's weights are not the installed ones (None when they are):
    which weights it shows, what is installed, and the command that refreshes it."""
    stale = stale_weights(res.meta, root)
    if not stale:
        return None
    parts = []
    for s in stale:
        now = (
            f"`{s.path}` is now {s.installed[:SHA_SHOWN]}…"
            if s.installed
            else f"`{s.path}` is not installed"
        )
        parts.append(f"{s.label} weights {s.recorded[:SHA_SHOWN]}… ({now})")
    return (
        f"`{display_path(res.folder, root)}` was evaluated with other weights than the installed "
        "ones: "
        f"{'; '.join(parts)}. Refresh: `{refresh_command(res)}`"
    )


def weights_note(meta: dict) -> str:
    """'LocNet (env-focal) weights 7f54f804…, MSLocNet weights 932a5a9e…': the weights a
    folder's numbers are of, for captions."""
    records = meta.get("checkpoints") or {}
    names = []
    for _, record in sorted(records.items()) if isinstance(records, dict) else []:
        if isinstance(record, dict) and record.get("sha256"):
            label = series_label(
                str(record.get("model", "?")), str(record.get("variant", DEFAULT_VARIANT))
            )
            names.append(f"{label} weights {str(record['sha256'])[:SHA_SHOWN]}…")
    return ", ".join(names)


def source_line(res: ResultSet, what: str = "summary.csv", root: Path = PROJECT_ROOT) -> str:
    """Where a plot's numbers come from, for a caption: the file (relative to the project),
    dataset and split, the weights by sha256 prefix, the date and the device."""
    meta = res.meta
    date = str(meta.get("date") or "an unknown date")[:10]
    parts = [
        f"`{display_path(Path(res.folder) / what, root)}`",
        f"dataset `{res.dataset.get('path', '?')}`"
        + (f" (split {meta['split']})" if meta.get("split") else ""),
        weights_note(meta) or "no trained weights",
        f"evaluated {date}" + (f" on {meta['device']}" if meta.get("device") else ""),
    ]
    return "Source: " + "; ".join(parts)
