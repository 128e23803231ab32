"""The app frame (app.py + sidebar) in AppTest: loads, validates folders, handles the device.

The folders and the device are under the sidebar's "Advanced" expander; a problem with
them is said once, by the page (st.error / st.warning there), never again in the sidebar."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from locnet.app import sidebar
from locnet.app.keys import DATASET_DIR, DEVICE_PREF


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def test_app_loads_on_the_tiny_dataset_without_exception(make_app):
    at = make_app().run()
    assert not at.exception
    assert not at.sidebar.error
    assert "environments" in _texts(at.sidebar.caption)
    assert "OpenStreetMap" in _texts(at.sidebar.caption)
    assert at.title[0].value == "Explorer"


def test_app_opens_on_the_landing_page_with_a_minimal_toolbar(make_app):
    import streamlit as st

    at = make_app(page=None).run()
    assert not at.exception
    assert at.title[0].value.startswith("LocNet Explorer")
    assert st.get_option("client.toolbarMode") == "minimal"
    assert [e.label for e in at.sidebar.expander] == ["Advanced: data, weights, device"]


def test_bad_dataset_folder_shows_what_to_do(make_app, tmp_path: Path):
    at = make_app(dataset_dir=tmp_path / "nothing-here").run()
    assert not at.exception
    message = _texts(at.error)
    assert "nothing-here" in message and "python -m locnet generate" in message
    assert "No dataset to explore" in message
    assert not at.sidebar.error and message.count("nothing-here") == 1  # said once


def test_folder_that_is_not_a_dataset(make_app, tmp_path: Path):
    (tmp_path / "photos").mkdir()
    at = make_app(dataset_dir=tmp_path).run()
    assert not at.exception
    assert "not a RadioMapSeer dataset" in _texts(at.error) and not at.sidebar.error


def test_wrong_image_size_is_reported_with_the_file(make_app, tiny_dataset: Path, tmp_path: Path):
    copy = tmp_path / "dataset"
    shutil.copytree(tiny_dataset, copy)
    victim = min((copy / "buildings_complete").glob("*.png"))
    Image.fromarray(np.zeros((128, 128), dtype=np.uint8)).save(victim)
    at = make_app(dataset_dir=copy).run()
    assert not at.exception
    message = _texts(at.error)
    assert victim.name in message and "256x256" in message


def test_typing_a_folder_in_the_sidebar_updates_the_lasting_state(make_app, tmp_path: Path):
    at = make_app().run()
    at.sidebar.text_input[0].set_value(str(tmp_path / "elsewhere")).run()
    assert not at.exception
    assert at.session_state[DATASET_DIR] == str(tmp_path / "elsewhere")
    # AppTest (streamlit 1.67) drops sidebar elements after the first run of an
    # st.navigation app, so the page's own message is what this rerun can check.
    assert "elsewhere" in _texts(at.error)


def test_missing_checkpoint_folder_is_a_warning_not_an_error(make_app, tmp_path: Path):
    at = make_app(checkpoint_dir=tmp_path / "no-checkpoints").run()
    assert not at.exception
    assert "does not exist" in _texts(at.sidebar.caption) and not at.sidebar.warning
    assert "python -m locnet train --model locnet" in _texts(at.markdown)  # the page says how


def test_cuda_chosen_but_absent_falls_back_to_cpu(make_app, monkeypatch):
    monkeypatch.setattr(sidebar, "cuda_available", lambda: False)
    at = make_app(**{DEVICE_PREF: "cuda"}).run()
    assert not at.exception
    assert _texts(at.warning).count("running on CPU") == 1 and not at.sidebar.warning
    assert "Running on **cpu**" in _texts(at.sidebar.caption)


def test_resolve_device():
    assert sidebar.resolve_device("auto", False) == ("cpu", None)
    assert sidebar.resolve_device("auto", True) == ("cuda", None)
    device, note = sidebar.resolve_device("cuda", False)
    assert device == "cpu" and "CUDA" in note
    assert sidebar.resolve_device("cpu", True) == ("cpu", None)


def test_a_dataset_with_a_symlink_loop_is_an_error_on_every_page(
    make_app, tiny_dataset: Path, results_folder_template: Path, tmp_path: Path
):
    """N116: the Explorer said so, the four results pages raised OSError (Too many levels of
    symbolic links); every page now says it in one line, and no exception."""
    from locnet.evaluate.folders import ROOT_KEY

    broken = tmp_path / "dataset"
    shutil.copytree(tiny_dataset, broken)
    victim = min((broken / "DPM").glob("*.png"))
    victim.unlink()
    victim.symlink_to(victim.name)
    root = tmp_path / "results"
    shutil.copytree(results_folder_template, root / "demo")
    at = make_app(dataset_dir=broken, **{ROOT_KEY: str(root)}).run()
    line = f"cannot read dataset {broken}: symbolic link loop ({victim}); point at the real file"
    assert not at.exception and line in _texts(at.error) and not at.sidebar.error
    assert "No dataset to explore" in _texts(at.error)
    for page in ("benchmark", "ablation", "gallery_environments", "gallery_cases"):
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert line in _texts(at.warning), page  # the page's own dataset check, same words


def test_app_lets_openmp_threads_sleep_unless_the_user_chose(make_app, monkeypatch):
    """app.py sets OMP_WAIT_POLICY=PASSIVE before torch loads (spinning threads slowed a model
    call sharing the cores several-fold, docs/app.md Speed) and keeps a value the user set."""
    import os

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert not make_app().run().exception
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert not make_app().run().exception
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
