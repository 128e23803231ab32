"""Real-browser fixtures: the app served by `streamlit run` and a headless Debian Chromium.

The server runs on a free port in its own process group (killed as a group afterwards),
pointed at the tiny test dataset and a checkpoint folder with a random-weight LocNet
through LOCNET_DATASET_DIR / LOCNET_CHECKPOINT_DIR. Chromium is the system one
(/usr/bin/chromium, `apt-get install -y chromium`); playwright never downloads a browser.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SERVER_START_TIMEOUT_S = 60
VIEWPORT = {"width": 1600, "height": 1100}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
    """Poll /_stcore/health until it answers 'ok'; fail with the server log otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"streamlit did not become healthy in {timeout_s} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def browser_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch

    from locnet.checkpoints import save_checkpoint
    from locnet.models.registry import create_model

    folder = tmp_path_factory.mktemp("browser-checkpoints")
    torch.manual_seed(0)
    save_checkpoint(folder / "locnet.pt", "locnet", create_model("locnet"))
    return folder


def start_app(dataset: Path, checkpoints: Path, log: Path) -> tuple[str, subprocess.Popen]:
    """`streamlit run app.py` on a free port in a new process group; returns (url, process)."""
    port = free_port()
    env = {**os.environ, "LOCNET_DATASET_DIR": str(dataset), "LOCNET_CHECKPOINT_DIR": str(checkpoints)}
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
               "--server.headless", "true", "--server.address", "localhost",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with open(log, "wb") as handle:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return f"http://localhost:{port}", proc


def stop_app(proc: subprocess.Popen) -> None:
    """End the server's own process group: SIGTERM, then SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def app_url(tiny_dataset: Path, browser_checkpoints: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of the running app (one server for all browser tests of the session)."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    url, proc = start_app(tiny_dataset, browser_checkpoints, log)
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        stop_app(proc)


@pytest.fixture
def chromium_page():
    """A fresh headless Chromium page (its own browser context, so no shared state)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        try:
            yield page
        finally:
            context.close()
            browser.close()
