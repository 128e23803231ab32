"""Real-browser fixtures: the app served by `streamlit run` and a headless Debian Chromium.

One server per test session on a free port, in its own process group (killed as a group
afterwards), pointed at the tiny test dataset and a checkpoint folder holding a
random-weight LocNet. Each test gets a fresh Chromium context, i.e. its own app session.
Helpers live in tests/browser/serve.py (shared with scripts/screenshot.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from locnet.errors import LocNetError
from tests.browser import serve

VIEWPORT = {"width": 1600, "height": 1100}


@pytest.fixture(scope="session")
def browser_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint folder with locnet.pt holding random weights (seed 0)."""
    import torch

    from locnet.models.checkpoints import save_checkpoint
    from locnet.models.registry import create_model

    folder = tmp_path_factory.mktemp("browser-checkpoints")
    torch.manual_seed(0)
    save_checkpoint(folder / "locnet.pt", "locnet", create_model("locnet"))
    return folder


@pytest.fixture(scope="session")
def app_url(
    tiny_dataset: Path, browser_checkpoints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of the running app; the server is stopped (its process group) at the end."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    url, proc = serve.start_app(tiny_dataset, browser_checkpoints, log)
    try:
        serve.wait_healthy(url, proc, log)
        yield url
    except LocNetError as exc:
        pytest.fail(str(exc))
    finally:
        serve.stop_app(proc)


@pytest.fixture
def chromium_page():
    """A page in a fresh headless Chromium context (/usr/bin/chromium; fails if absent)."""
    try:
        with serve.chromium_page(VIEWPORT) as page:
            yield page
    except LocNetError as exc:
        pytest.fail(str(exc))
