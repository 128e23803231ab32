"""What a measurement of the app in Chromium reads besides wall time: the CPU time of a
process tree (Linux /proc, so a server's and a browser's work can be told apart) and
Chromium's JavaScript profile of one action, named by the source modules Streamlit's
bundle notes (used by scripts/measure_explorer.py --profile)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from tests.browser.serve import settle


def process_tree(root: int) -> list[int]:
    """root and every process below it (Linux /proc; [root] elsewhere)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            parents[int(entry.name)] = int(
                (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            )
        except (OSError, IndexError, ValueError):
            continue
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return sorted(tree)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of `pids` (all their threads) so far; NaN without /proc."""
    ticks, found = 0, False
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        ticks += int(fields[11]) + int(fields[12])
        found = True
    return ticks / os.sysconf("SC_CLK_TCK") if found else float("nan")


def js_profile(context, page, what: str, action, timeout_ms: float, top: int = 8) -> None:
    """Chromium's JavaScript profile of `action()` on `page` until the page settles: the
    functions with the most time of their own, and the bundled source modules with the most
    time spent in them or below them (each named by the module the bundle notes before it)."""
    cdp = context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.start")
    action()
    settle(page, timeout_ms)
    profile = cdp.send("Profiler.stop")["profile"]
    frames = {n["id"]: n["callFrame"] for n in profile["nodes"]}
    parent = {child: n["id"] for n in profile["nodes"] for child in n.get("children", ())}
    names: dict[tuple, str] = {}

    def module(node: int) -> str:
        frame = frames[node]
        key = (frame["url"], frame["lineNumber"], frame["columnNumber"])
        if key not in names:
            names[key] = _bundle_module(*key)
        return names[key]

    own: dict[tuple, float] = {}
    inside: dict[str, float] = {}
    for node, delta in zip(profile["samples"], profile["timeDeltas"]):
        frame = frames[node]
        key = (module(node), frame["functionName"] or "(anonymous)")
        own[key] = own.get(key, 0.0) + delta / 1e6
        seen, up = set(), node
        while up is not None:  # each module once per sample, however deep the recursion
            name = module(up).split(": ")[-1]
            if "/" in name and name not in seen:
                seen.add(name)
                inside[name] = inside.get(name, 0.0) + delta / 1e6
            up = parent.get(up)
    print(f"JavaScript profile of {what} ({sum(own.values()):.2f} s sampled), own time:")
    for (name, function), seconds in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {seconds:5.2f} s  {function}  {name}")
    print("  time in (or below) each source module:")
    for name, seconds in sorted(inside.items(), key=lambda kv: -kv[1])[: 2 * top]:
        print(f"  {seconds:5.2f} s  {name}")


def _bundle_module(url: str, line: int, column: int) -> str:
    """The module path ('src/traces/contour/find_all_paths.js') that Streamlit's bundled
    file names last before `line`:`column`, or the file's name."""
    import streamlit

    name = url.rsplit("/", 1)[-1]
    path = Path(streamlit.__file__).parent / "static" / "static" / "js" / name
    if not name or not path.is_file():
        return name or "(native)"
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    text = "\n".join(lines[:line]) + "\n" + (lines[line][:column] if line < len(lines) else "")
    modules = re.findall(r'"((?:src|node_modules)/[^"]+\.js)"', text[-200_000:])
    return f"{name}: {modules[-1]}" if modules else name
