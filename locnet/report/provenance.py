"""Where the docs' numbers come from: which weights a results folder evaluated (found again
by sha256 among the repository's checkpoints) and on what hardware every result folder,
checkpoint and benchmark file says it was measured (`report --section provenance/hardware`).
"""

from __future__ import annotations

import json
from pathlib import Path

from locnet.evaluate.folders import ResultSet, load_results
from locnet.models import checkpoints as ckpt
from locnet.models.checkpoints import file_sha256
from locnet.models.registry import DEFAULT_VARIANT
from locnet.report.series import (
    series_label,
)
from locnet.report.tables import tta_label

CHECKPOINT_ROOT = Path("checkpoints")
MAX_HASHED_MB = 64  # weights searched by sha256 are small; larger files are not hashed
_SHA_CACHE: dict[tuple[str, int, float], str] = {}


def _sha256(path: Path) -> str:
    """file_sha256, cached by (path, size, mtime) for one report run."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = file_sha256(path)
    return _SHA_CACHE[key]


def locate_checkpoint(record: dict, name: str = "", search: Path = CHECKPOINT_ROOT) -> str:
    """Where the weights a meta.json entry names are today: the file it names, another
    file under `search` with the same sha256, or nowhere in this repository."""
    path, sha = Path(str(record.get("path") or name)), str(record.get("sha256") or "")
    if not sha:
        return f"`{path}` (no sha256 recorded)"
    if path.is_file() and _sha256(path) == sha:
        return f"`{path}`, the file there today"
    moved = ""
    if search.is_dir():
        for candidate in sorted(search.rglob("*.pt")):
            if (
                candidate.name.endswith(".last.pt")
                or candidate.stat().st_size > MAX_HASHED_MB * 1e6
            ):
                continue
            if _sha256(candidate) == sha:
                moved = f"now `{candidate}`"
                break
    if path.is_file():
        changed = f"`{path}` has changed since"
        return (
            f"{moved}; {changed}"
            if moved
            else f"{changed}; these weights are not in the repository"
        )
    return moved or f"`{path}` is not in the repository (weights not committed)"


def folder_provenance(res: ResultSet) -> str:
    """One paragraph: what a results folder is (data, split, samples, models, date, which
    weights), read from its meta.json; a checkpoint's bytes are looked up by sha256."""
    meta = res.meta
    head = f"`{res.folder}`: evaluated {str(meta.get('date') or '?')[:10]}"
    head += f" on `{res.dataset.get('path', '?')}` (split {meta.get('split', '?')})"
    rates, masks, limit, n = (meta.get(k) for k in ("rates", "masks_per_tx", "limit", "n_samples"))
    if isinstance(n, int) and isinstance(rates, list) and isinstance(masks, int):
        pairs = f"{limit} (map, transmitter) pairs" if limit else "every (map, transmitter) pair"
        head += (
            f": {pairs} x {len(rates)} rates x {masks} mask{'' if masks == 1 else 's'} = "
            f"**{n:,} samples** per answer"
        )
    lines = [head + f", test-time augmentation {tta_label(meta)}."]
    models = [m for m in meta.get("models") or [] if isinstance(m, dict) and "model" in m]
    if models:
        names = (series_label(m["model"], m.get("variant", DEFAULT_VARIANT)) for m in models)
        lines.append(f"Models: {', '.join(names)}.")
    records = meta.get("checkpoints") or {}
    for name, record in sorted(records.items()) if isinstance(records, dict) else []:
        if not isinstance(record, dict):
            continue
        budget = record.get("budget") if isinstance(record.get("budget"), dict) else {}
        seen, sha = budget.get("samples_seen"), record.get("sha256")
        facts = ([f"sha256 `{str(sha)[:12]}…`"] if sha else []) + (
            [f"{seen:,} training samples"] if isinstance(seen, int) else []
        )
        label = series_label(record.get("model", "?"), record.get("variant", DEFAULT_VARIANT))
        lines.append(
            f"{label} weights"
            + (f" ({', '.join(facts)})" if facts else "")
            + f": {locate_checkpoint(record, name)}."
        )
    return " ".join(lines)


def _hardware_of_results(folder: Path) -> list[tuple[str, str, str]]:
    """(hardware, where, file): the evaluation device and the evaluated checkpoints'
    training hardware recorded in a results folder's meta.json."""
    meta = load_results(folder).meta
    found = [(f"evaluation: {meta.get('device', 'not recorded')}", f"`{folder}`", "")]
    records = meta.get("checkpoints") or {}
    for name, record in sorted(records.items()) if isinstance(records, dict) else []:
        budget = record.get("budget") if isinstance(record.get("budget"), dict) else {}
        hardware = budget.get("hardware") or "not recorded"
        found.append((f"training: {hardware}", f"`{folder}` (meta.json)", ""))
    return found


def _hardware_of_checkpoints(folder: Path) -> list[tuple[str, str, str]]:
    return [
        (
            f"training: {info.budget.get('hardware') or 'not recorded'}",
            f"`{folder}`",
            info.path.name,
        )
        for info in ckpt.list_checkpoints(folder)
    ]


def _hardware_of_bench(path: Path) -> list[tuple[str, str, str]]:
    if path.suffix != ".json":
        first = path.read_text(encoding="utf-8").splitlines()[:1]
        line = first[0].split(";")[0] if first else "not recorded"  # paths after the ';'
        return [(f"benchmark: {line}", f"`{path}`", "")]
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.values() if all(isinstance(v, dict) for v in data.values()) else [data]
    found = set()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("hardware"):
            text = str(entry["hardware"])
        elif entry.get("cpu_threads") or entry.get("threads"):
            device = entry.get("device", "cpu")
            text = f"{device} ({entry.get('cpu_threads') or entry.get('threads')} threads)"
        else:
            continue
        if entry.get("torch"):
            text += f", torch {entry['torch']}"
        found.add(f"benchmark: {text}")
    return [(text, f"`{path}`", "") for text in sorted(found)]


GPU_WORDS = ("cuda", "gpu", "nvidia", "h100", "h200")


def hardware_table(paths: list[Path]) -> str:
    """Markdown: every hardware or device string recorded in the given results folders
    (evaluation device, training hardware of the evaluated checkpoints), checkpoint folders
    and benchmark files, with where it is recorded; and whether any names a GPU."""
    found: dict[str, dict[str, list[str]]] = {}  # hardware -> where -> files
    for path in paths:
        if path.is_file():
            entries = _hardware_of_bench(path)
        elif (path / "meta.json").is_file():
            entries = _hardware_of_results(path)
        else:
            entries = _hardware_of_checkpoints(path)
        for text, where, name in entries:
            files = found.setdefault(text, {}).setdefault(where, [])
            if name and name not in files:
                files.append(name)

    def place(where: str, files: list[str]) -> str:
        return where + (f" ({', '.join(f'`{f}`' for f in files)})" if files else "")

    lines = ["| recorded hardware | where it is recorded |", "|---|---|"]
    lines += [
        f"| {text} | {'; '.join(place(w, f) for w, f in wheres.items())} |"
        for text, wheres in sorted(found.items())
    ]
    gpu = [t for t in found if any(w in t.lower() for w in GPU_WORDS)]
    lines += [
        "",
        "No record names a GPU." if not gpu else f"Records naming a GPU: {'; '.join(gpu)}.",
    ]
    return "\n".join(lines)
