"""The results-folder and readout pickers every results page opens with (Benchmark,
Ablation, Galleries).

One copy so the pages agree on how a folder is chosen (the main one, then newest first,
remembered in the session per page), checked against the installed weights, loaded (cached per folder and stamp, shared by all pages) and checked against
the open dataset, and so a broken folder or dataset is a message, never a traceback;
and on which heatmap readout they show (the last one chosen on any page, else the
LocNet checkpoint's calibrated default, else the paper's mode).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from locnet.app import cache
from locnet.app.keys import results_folder_key
from locnet.errors import LocNetError
from locnet.evaluate.folders import (
    PER_ENV_FILE,
    SAMPLES_FILE,
    ResultsError,
    ResultSet,
    dataset_mismatch,
    evaluate_command,
    folder_index,
    list_result_folders,
    load_results,
    main_folder_name,
    newest_file_mtime,
    no_results_message,
    results_root,
)
from locnet.report.chance import chance_by_sha256
from locnet.report.freshness import freshness_line, installed_sha256
from locnet.report.readouts import READOUT_HELP, default_readout, heatmap_readouts, readout_label

CHECK_DATASET_NOTE = "Cannot check which dataset these results belong to"
READOUT_KEY = "results_readout"  # plain st.session_state key: kept across pages

# Tables a page may need beyond the summary: ResultSet attribute -> the file that holds it.
OPTIONAL_TABLES = {"samples": SAMPLES_FILE, "per_environment": PER_ENV_FILE}

load_results = st.cache_data(show_spinner="Reading results…", max_entries=8)(load_results)


def pick_results(
    root: str | os.PathLike,
    dataset_dir: str,
    *,
    page: str,
    unreadable_dataset_note: str = CHECK_DATASET_NOTE,
    prefer: Callable[[Path], bool] | None = None,
    needs: str | None = None,
) -> tuple[ResultSet | None, str | None]:
    """Selectbox of result folders -> (results, dataset problem).

    The choice is remembered per `page` (keys.results_folder_key), so a folder chosen on
    one page does not take the others over. A folder evaluated with other weights than
    the installed ones gets one st.warning line with the command that refreshes it
    (report.freshness).

    No folder: st.info with the command that makes one, (None, None). Unreadable folder:
    st.error, (None, None). Results of another dataset, or a dataset that cannot be opened
    ("{unreadable_dataset_note}: {error}"): st.warning, and that message is the problem.
    `prefer` picks the default folder among several (see results.folder_index). `needs`
    names a table of OPTIONAL_TABLES the page cannot do without: a folder lacking it is an
    st.error with the command that re-creates it, (None, None).
    """
    folders = list_result_folders(root)
    if not folders:
        st.info(no_results_message(results_root(st.session_state), dataset_dir))
        return None, None
    key = results_folder_key(page)
    name = st.selectbox(
        "Results folder (newest first)",
        [f.name for f in folders],
        index=folder_index(folders, st.session_state.get(key), prefer),
    )
    st.session_state[key] = name
    folder = Path(root) / name
    try:
        res = load_results(str(folder), newest_file_mtime(folder))
    except ResultsError as exc:
        st.error(str(exc))
        return None, None
    stale = freshness_line(res)
    if stale:
        st.warning(stale, icon=":material/update:")
    if needs is not None and getattr(res, needs) is None:
        st.error(
            f"`{folder}` has no {OPTIONAL_TABLES[needs]}; re-create it with: "
            f"`{evaluate_command(dataset_dir, folder)}`"
        )
        return None, None
    dataset, error = cache.open_dataset_safely(dataset_dir)  # the sidebar's guard
    if error is not None:
        problem = f"{unreadable_dataset_note}: {error}"
    else:
        try:
            problem = dataset_mismatch(
                res, dataset.fingerprint(), dataset_dir, cache.dataset_map_table(dataset_dir)
            )
        except (LocNetError, OSError) as exc:  # a file that broke since the dataset opened
            problem = f"{unreadable_dataset_note}: {cache.dataset_problem(dataset_dir, exc)}"
    if problem:
        st.warning(problem)
    return res, problem


def pick_readout(table, meta: dict, container=st) -> str | None:
    """Selectbox of the heatmap readouts in `table` (drawn in `container`) -> the chosen one;
    None, and nothing drawn, when every model in it gives a point answer."""
    available = heatmap_readouts(table)
    if not available:
        return None
    last = st.session_state.get(READOUT_KEY)
    start = last if last in available else default_readout(meta, available)
    readout = container.selectbox(
        "Heatmap readout",
        available,
        index=available.index(start),
        format_func=readout_label,
        help="Which answer of a heatmap model's calibrated posterior the numbers are of. "
        + READOUT_HELP,
    )
    st.session_state[READOUT_KEY] = readout
    return readout


def main_results() -> ResultSet | None:
    """The results folder named in results/MAIN (else the newest), or None: what the
    landing page's headlines, the tour and the Explorer's "at chance" labels read."""
    root = cache.resolve_path(results_root(st.session_state))
    folders = list_result_folders(root)
    if not folders:
        return None
    name = main_folder_name(root) or folders[0].name
    folder = root / name
    try:
        return load_results(str(folder), newest_file_mtime(folder))
    except ResultsError:
        return None


@st.cache_data(show_spinner=False, max_entries=8)
def _chance_by_sha256(folder: str, stamp: float) -> dict[str, str]:
    res = load_results(folder, stamp)
    samples = res.samples
    if samples is not None:
        readout = default_readout(res.meta, heatmap_readouts(samples))
        samples = samples[samples["readout"].isin([readout, "point"])]
    return chance_by_sha256(samples, res.meta)


def chance_of_checkpoints(specs: list[str]) -> dict[str, str]:
    """{checkpoint path: why it is at chance} for the given files, judged on the main
    results folder (the one that evaluated those very bytes, by sha256)."""
    res = main_results()
    if res is None:
        return {}
    known = _chance_by_sha256(str(res.folder), newest_file_mtime(res.folder))
    if not known:
        return {}
    out = {}
    for spec in specs:
        sha = installed_sha256(cache.resolve_path(spec)) if spec.endswith(".pt") else None
        if sha in known:
            out[spec] = known[sha]
    return out
