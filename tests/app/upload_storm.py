"""An upload storm on one app process: five sessions at once, each its own AppTest in its
own thread, each uploading one of the largest inputs the app accepts, then running the
default models. Prints one JSON line: each session's outcome and the process's peak RSS.

The five sessions and their uploads are all alive at once, but their script runs take
turns (RUN_LOCK): AppTest is not thread-safe (concurrent runs in one process mix up widget
ids: KeyError '$$ID-...'), so this bounds the memory of five resident sessions, not of
five model runs overlapping in time.

Run by tests/app/test_upload_storm.py in a fresh process (so the peak is this storm's):
    python -m tests.app.upload_storm CHECKPOINT_DIR
"""

from __future__ import annotations

import io
import json
import resource
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image
from streamlit.testing.v1 import AppTest

from locnet.app.keys import CASE_SOURCE, CHECKPOINT_DIR, DATASET_DIR, SOURCE_UPLOAD
from locnet.cases.limits import MAX_CSV_BYTES, MAX_LINE_BYTES, MAX_READINGS

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "helsinki"
SESSIONS = 5
TIMEOUT_S = 600
RUN_LOCK = threading.Lock()  # one AppTest script run at a time (see the module docstring)


def _png(buildings: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray((buildings * 255).astype(np.uint8)).save(out, "PNG")
    return out.getvalue()


def _readings(count: int, buildings: np.ndarray, seed: int, note_bytes: int = 0) -> bytes:
    """`count` readings on distinct outdoor pixels; a `note` column pads each line."""
    rng = np.random.default_rng(seed)
    free = np.argwhere(buildings == 0)
    rows, cols = free[rng.choice(len(free), count, replace=False)].T
    note = "n" * note_bytes
    header = "x_m,y_m,gain_db" + (",note" if note_bytes else "")
    tail = f",{note}" if note_bytes else ""
    gains = rng.uniform(-140, -60, count)
    body = "".join(f"{x},{y},{g:.2f}{tail}\n" for x, y, g in zip(cols, rows, gains))
    return (header + "\n" + body).encode()


def worst_inputs() -> list[tuple[str, tuple, tuple | None]]:
    """(label, map file, readings file) per session: the largest accepted inputs."""
    helsinki = np.asarray(Image.open(EXAMPLES / "buildings.png")) != 0
    open_map = np.zeros((256, 256), dtype=np.uint8)
    widest = min(MAX_LINE_BYTES, MAX_CSV_BYTES // (MAX_READINGS + 1)) - 40  # ~32 MB in all
    padded = io.BytesIO()
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(padded, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("case.json", "buildings.png", "readings_metres.csv"):
            archive.write(EXAMPLES / name, name)
        for k in range(2):  # incompressible: 120 MB unpacked, just under the 128 MB cap
            archive.writestr(f"extra{k}.bin", rng.bytes(60 << 20))
    png = ("open.png", _png(open_map), "image/png")
    return [
        ("65,536 readings", png, ("r0.csv", _readings(MAX_READINGS, open_map, 0), "text/csv")),
        (
            "65,536 readings, 32 MB CSV",
            png,
            ("r1.csv", _readings(MAX_READINGS, open_map, 1, widest), "text/csv"),
        ),
        (
            "30,000 readings",
            ("b.png", _png(helsinki), "image/png"),
            ("r2.csv", _readings(30_000, helsinki.astype(np.uint8), 2), "text/csv"),
        ),
        ("120 MB case zip", ("case.zip", padded.getvalue(), "application/zip"), None),
        (
            "65,536 readings again",
            png,
            ("r3.csv", _readings(MAX_READINGS, open_map, 3), "text/csv"),
        ),
    ]


def session(checkpoints: str, map_file, readings, results: dict, label: str) -> None:
    """One user: open the Explorer on 'Upload a case', upload, let the models run."""
    try:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT_S)
        at.session_state[DATASET_DIR] = str(REPO / "no-dataset")
        at.session_state[CHECKPOINT_DIR] = checkpoints
        at.session_state[CASE_SOURCE] = SOURCE_UPLOAD
        at.switch_page("app_pages/explorer.py")  # the app opens on the landing page
        with RUN_LOCK:
            at.run()
        at.file_uploader[0].set_value(map_file)
        at.file_uploader[1].set_value(readings)
        with RUN_LOCK:
            at.run()
        table = at.table[0].value if len(at.table) else None
        results[label] = {
            "exception": [str(e.value)[:300] for e in at.exception],
            "errors": [str(e.value)[:300] for e in at.error if "dataset" not in str(e.value)],
            "models": [] if table is None else list(table["model"]),
            "answered": table is not None and bool(table["prediction (m)"].notna().all()),
        }
    except Exception as exc:  # noqa: BLE001 (reported, so the test names the session)
        results[label] = {"exception": [f"{type(exc).__name__}: {exc}"[:300]], "answered": False}


def main(checkpoints: str) -> dict:
    inputs = worst_inputs()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results: dict = {}
    threads = [
        threading.Thread(target=session, args=(checkpoints, m, r, results, label))
        for label, m, r in inputs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"sessions": results, "before_sessions_mb": before / 1024, "peak_mb": peak / 1024}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
