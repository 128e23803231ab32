"""Fixtures for AppTest runs of the app: a checkpoint folder and a ready-to-run AppTest.

Until trained checkpoints are committed, the LocNet checkpoint here holds random
weights (saved with locnet.models.checkpoints.save_checkpoint), which is enough to check that
the page loads it, runs it and reports an error in metres.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from locnet.app.keys import CHECKPOINT_DIR, DATASET_DIR

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT_S = 120  # first run imports torch, opens the dataset and warms the model up


@pytest.fixture(scope="session")
def app_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint folder holding locnet.pt with random weights (seed 0)."""
    import torch

    from locnet.models.checkpoints import save_checkpoint
    from locnet.models.registry import create_model

    folder = tmp_path_factory.mktemp("checkpoints")
    torch.manual_seed(0)
    save_checkpoint(folder / "locnet.pt", "locnet", create_model("locnet"))
    return folder


@pytest.fixture
def make_app(tiny_dataset: Path, app_checkpoints: Path):
    """Factory: an AppTest of app.py pointed at the tiny dataset and the checkpoint folder.

    `page` is the page the first run shows (the Explorer unless said; None: the landing
    page). Extra keyword arguments are written into session_state before the first run
    (that is how a test stands for a click or for another page's open_case).
    """

    def make(
        dataset_dir: Path | str = tiny_dataset,
        checkpoint_dir: Path | str = app_checkpoints,
        page: str | None = "explorer",
        **state,
    ) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
        at.session_state[DATASET_DIR] = str(dataset_dir)
        at.session_state[CHECKPOINT_DIR] = str(checkpoint_dir)
        for key, value in state.items():
            at.session_state[key] = value
        if page is not None:  # the app opens on the landing page; most tests want another
            at.switch_page(f"app_pages/{page}.py")
        return at

    return make


@pytest.fixture(scope="session")
def evaluated_root(
    tiny_dataset: Path, app_checkpoints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A results root whose main folder (results/MAIN) was written by `evaluate` on the
    tiny dataset with the very checkpoint the app runs: its numbers are the Explorer's."""
    from tests.app.evaluated import evaluate_into

    return evaluate_into(tiny_dataset, app_checkpoints, tmp_path_factory.mktemp("evaluated"))
