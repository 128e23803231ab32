"""The shared sidebar: dataset folder, checkpoint folder, device, and where the data comes from.

Values live in plain st.session_state keys (locnet.app.state) and widgets are mirrored
into them with on_change, so a choice survives visiting pages that do not draw the
sidebar widgets. Pages call `current_settings()` to read them; a bad folder becomes an
st.error with what to do, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from locnet.app import cache
from locnet.app import state as S
from locnet.app.binding import bind
from locnet.app.keys import CHECKPOINT_DIR, DATASET_DIR, DEVICE_PREF

DEVICE_CHOICES = ("auto", "cpu", "cuda")
ABOUT_DATA = (
    "**About the data.** Radio maps are synthetic, made by our own dominant-path "
    "simulator. Building footprints of real cities are OpenStreetMap data, "
    "© OpenStreetMap contributors, ODbL (openstreetmap.org/copyright); the other "
    "environments are procedurally generated."
)
GENERATE_HINT = (
    "make one with `python -m locnet generate --out DIR` or point at a RadioMapSeer folder"
)


@dataclass(frozen=True)
class Settings:
    """What the sidebar decided: folders (as typed and resolved), dataset or its error, device."""

    dataset_dir: str
    dataset: Any | None  # RadioMapDataset
    dataset_error: str | None
    checkpoint_dir: str
    device: str  # "cpu" or "cuda", what actually runs
    device_note: str | None  # a warning when the choice could not be honoured


def cuda_available() -> bool:
    """True when PyTorch can use a CUDA GPU; a broken CUDA install counts as none."""
    import torch

    try:
        return bool(torch.cuda.is_available())
    except (RuntimeError, OSError):
        return False


def resolve_device(pref: str, has_cuda: bool) -> tuple[str, str | None]:
    """'auto'/'cpu'/'cuda' -> the device to use and a warning if cuda was asked but absent."""
    if pref == "cuda" and not has_cuda:
        return (
            "cpu",
            "CUDA was chosen but no CUDA GPU is available to PyTorch here; running on CPU.",
        )
    if pref == "auto":
        return ("cuda" if has_cuda else "cpu"), None
    return pref, None


def current_settings() -> Settings:
    """Settings from the session state, opening (cached) the chosen dataset."""
    state = st.session_state
    S.init_state(state)
    dataset, error = cache.open_dataset_safely(state[DATASET_DIR])
    pref = state[DEVICE_PREF] if state[DEVICE_PREF] in DEVICE_CHOICES else "auto"
    device, note = resolve_device(pref, cuda_available())
    return Settings(
        str(state[DATASET_DIR]), dataset, error, str(state[CHECKPOINT_DIR]), device, note
    )


def render_sidebar() -> Settings:
    """Draw the sidebar's "Advanced" expander (folders and device) and the data note;
    returns the resulting Settings. Problems are said once, by the page that meets them
    (an st.error or st.warning there), never again here."""
    S.init_state(st.session_state)
    has_cuda = cuda_available()
    with st.sidebar:
        with st.expander("Advanced: data, weights, device", icon=":material/tune:"):
            st.text_input(
                "Dataset folder",
                help="Any folder in the RadioMapSeer layout "
                "(DPM/, buildings_complete/, antennas/ or gain/DPM/, png/...).",
                **bind(DATASET_DIR),
            )
            st.text_input(
                "Checkpoint folder",
                help="Trained models (*.pt) written by `python -m locnet train`.",
                **bind(CHECKPOINT_DIR),
            )
            detected = "CUDA GPU detected" if has_cuda else "no CUDA GPU detected"
            st.radio(
                f"Device ({detected})", DEVICE_CHOICES, horizontal=True, **bind(DEVICE_PREF)
            )
            settings = current_settings()
            st.caption(_dataset_line(settings))
            st.caption(_checkpoint_line(settings.checkpoint_dir))
            st.caption(f"Running on **{settings.device}**.")
        st.caption(ABOUT_DATA)
    return settings


def _dataset_line(settings: Settings) -> str:
    if settings.dataset_error:
        return "The dataset folder cannot be opened (the page says why)."
    ds = settings.dataset
    return f"{len(ds.maps)} environments, {len(ds.samples)} radio maps ({ds.layout} layout)."


def _checkpoint_line(folder: str) -> str:
    """How many checkpoints the folder holds and which files are skipped, as one caption."""
    path = cache.resolve_path(folder)
    if not path.is_dir():
        return (
            f"Checkpoint folder {folder} does not exist: only the classical baselines can "
            "run."
        )
    found = cache.checkpoints(folder)
    skipped = cache.checkpoint_problems(folder)
    text = f"{len(found)} trained checkpoint{'' if len(found) == 1 else 's'} in {folder}."
    if skipped:
        text += " Skipped: " + "; ".join(skipped)
    return text
