"""Run the app headless for machines: a local `streamlit run` and a Debian Chromium page.

Used by the browser tests and scripts/screenshot.py. The server gets a free port and its
own process group (so stopping it ends every child, and nothing else); Chromium is the
system one at /usr/bin/chromium (`apt-get install -y chromium`), driven by playwright's
sync API without `playwright install`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from locnet.constants import MAP_SIZE
from locnet.errors import LocNetError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
)
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return int(sock.getsockname()[1])


def start_app(
    dataset_dir: str | os.PathLike,
    checkpoint_dir: str | os.PathLike,
    log: Path,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[str, subprocess.Popen]:
    """Start `streamlit run app.py` in a new process group; returns (url, process).

    The app opens `dataset_dir` / `checkpoint_dir` through LOCNET_DATASET_DIR and
    LOCNET_CHECKPOINT_DIR, plus any `env` (the server's only, not this process's); server
    output goes to `log`.
    """
    port = port or free_port()
    env = {
        **os.environ,
        "LOCNET_DATASET_DIR": str(dataset_dir),
        "LOCNET_CHECKPOINT_DIR": str(checkpoint_dir),
        **(env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app.py"),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        "localhost",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with open(log, "wb") as handle:
        proc = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return f"http://localhost:{port}", proc


def wait_healthy(
    url: str, proc: subprocess.Popen, log: Path, timeout_s: float = START_TIMEOUT_S
) -> float:
    """Poll /_stcore/health until it answers 'ok'; returns seconds waited.

    Raises LocNetError with the end of the server log if it exits or never answers.
    """
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if proc.poll() is not None:
            raise LocNetError(
                f"streamlit exited with code {proc.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.3)
    raise LocNetError(
        f"streamlit did not answer {url}/_stcore/health in {timeout_s:.0f} s:\n"
        f"{log.read_text()[-3000:]}"
    )


def stop_app(proc: subprocess.Popen) -> None:
    """End the server's own process group: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def running_app(
    dataset_dir: str | os.PathLike,
    checkpoint_dir: str | os.PathLike,
    log: Path,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """The URL of a healthy app server (started with start_app's `env`) for the block."""
    url, proc = start_app(dataset_dir, checkpoint_dir, log, env=env)
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        stop_app(proc)


@contextmanager
def chromium_page(viewport: dict | None = None) -> Iterator[object]:
    """A playwright Page in a fresh headless Chromium context (no state shared between calls)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise LocNetError(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
        )
        context = browser.new_context(viewport=viewport or {"width": 1600, "height": 1100})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app !== null && app.getAttribute('data-test-script-state') === 'notRunning'
    && document.querySelectorAll('[data-testid="stSpinner"]').length === 0;
}"""


def click_map(page, xy: tuple[int, int]) -> None:
    """Click pixel xy of the Explorer's case map (the plot titled '... transmitter ... at (x,
    y) m'; plotly's drag layer spans -0.5..255.5 on both axes), then move the mouse off it
    so no hover label changes the page later."""
    plot = page.locator(".js-plotly-plot").filter(has_text=re.compile(r"transmitter.* at \(")).first
    drag = plot.locator(".nsewdrag").first
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    fx, fy = ((v + 0.5) / MAP_SIZE for v in xy)
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
    page.mouse.move(1, 1)


def settle(
    page, timeout_ms: float = 300_000, start_ms: float = 400, quiet_ms: float = 800
) -> None:
    """Wait until the app's script runs (and any spinner in them) are over: give the click
    `start_ms` to start a rerun, then poll stApp's data-test-script-state until it stays
    idle for `quiet_ms` (st.switch_page chains two runs with an idle moment between)."""
    page.wait_for_timeout(start_ms)
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left = max(1.0, (deadline - time.monotonic()) * 1000)
        page.wait_for_function(IDLE_JS, timeout=left, polling=200)
        page.wait_for_timeout(quiet_ms)
        if page.evaluate(IDLE_JS) or time.monotonic() > deadline:
            return
