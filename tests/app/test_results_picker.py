"""The shared results-folder picker: each outcome is a message and a (results, problem) pair."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from locnet.evaluate.folders import SUMMARY_FILE
from tests.results_data import write_results_folder

TIMEOUT_S = 60


def picker_script(root: str, dataset_dir: str, note: str) -> None:
    import streamlit as st

    from locnet.app.results_picker import pick_results

    res, problem = pick_results(root, dataset_dir, page="test", unreadable_dataset_note=note)
    st.session_state["picked"] = None if res is None else res.folder.name
    st.session_state["problem"] = problem


def pick(root: Path, dataset_dir: Path, note: str = "No dataset") -> AppTest:
    at = AppTest.from_function(
        picker_script, args=(str(root), str(dataset_dir), note), default_timeout=TIMEOUT_S
    )
    return at.run()


def test_unreadable_dataset_is_a_warning_with_the_pages_note(tmp_path):
    write_results_folder(tmp_path / "results" / "run")
    at = pick(tmp_path / "results", tmp_path / "no-dataset", note="Cannot draw the maps")
    assert not at.exception and not at.error
    assert at.selectbox[0].value == "run"
    assert at.session_state["picked"] == "run"
    assert at.session_state["problem"].startswith("Cannot draw the maps: ")
    assert at.warning[0].value == at.session_state["problem"]


def test_broken_folder_is_an_error_and_no_results(tmp_path):
    folder = write_results_folder(tmp_path / "results" / "run")
    summary = pd.read_csv(folder / SUMMARY_FILE).drop(columns=["rmse_m"])
    summary.to_csv(folder / SUMMARY_FILE, index=False)
    at = pick(tmp_path / "results", tmp_path / "no-dataset")
    assert not at.exception and not at.warning
    assert "rmse_m" in at.error[0].value
    assert at.session_state["picked"] is None and at.session_state["problem"] is None


def test_no_folders_is_the_command_to_make_one(tmp_path):
    at = pick(tmp_path / "empty", tmp_path / "no-dataset")
    assert not at.exception and not at.selectbox
    assert "python -m locnet evaluate" in at.info[0].value
    assert at.session_state["picked"] is None and at.session_state["problem"] is None
