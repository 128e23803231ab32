"""The guided tour's box on a page: the step's title and words, Back / Next / End.

Steps are built once per session from the main results folder and the open dataset
(locnet.app.tour); moving to a step applies it to the session (the case, the models)
and switches to its page, where the Explorer runs exactly that case.
"""

from __future__ import annotations

import streamlit as st

from locnet.app import cache
from locnet.app import tour as T
from locnet.app.examples import list_examples
from locnet.app.keys import TOUR_FOLDER, TOUR_STEP
from locnet.app.models import model_choices
from locnet.app.results_picker import main_results
from locnet.app.sidebar import Settings
from locnet.app.upload import load_example_into
from locnet.evaluate.folders import newest_file_mtime
from locnet.report.freshness import freshness_line
from locnet.report.headlines import headline_readout
from locnet.report.lookups import case_sensors

STEPS_KEY = "tour_steps"  # (folder, stamp, dataset_dir) and the steps built for them
TOUR_EXAMPLE = "locnet-wins"  # the upload example the last step loads


def current_steps(settings: Settings) -> list[T.TourStep]:
    """The tour's steps for the main results folder and the open dataset (session-cached)."""
    state = st.session_state
    res = main_results()
    if res is None:
        return []
    identity = (str(res.folder), newest_file_mtime(res.folder), settings.dataset_dir)
    kept = state.get(STEPS_KEY)
    if kept is not None and kept[0] == identity:
        return kept[1]
    dataset = settings.dataset

    def sensors_of(case) -> list | None:
        if dataset is None:
            return None
        known = {str(m) for m in dataset.maps}
        if case.map not in known:
            return None
        row = {"map": case.map, "tx": case.tx, "mask": case.mask, "rate_percent": case.rate_percent}
        return case_sensors(dataset, row, res.meta)

    examples = {e.name: e for e in list_examples()}
    example = examples.get(TOUR_EXAMPLE)
    steps = T.tour_steps(
        res,
        headline_readout(res),
        sensors_of,
        None if example is None else (example.name, example.label),
    )
    state[STEPS_KEY] = (identity, steps)
    return steps


def _locnet_path(res) -> str | None:
    """The checkpoint file of LocNet the folder evaluated (meta.json), resolved."""
    for record in (res.meta.get("checkpoints") or {}).values():
        if isinstance(record, dict) and record.get("model") == "locnet" and record.get("path"):
            return str(cache.resolve_path(record["path"]))
    return None


def go_to(index: int, settings: Settings) -> None:
    """Apply step `index` and show its page."""
    state = st.session_state
    steps = current_steps(settings)
    if not steps:
        return
    index = max(0, min(index, len(steps) - 1))
    step = steps[index]
    choices = model_choices(cache.checkpoints(settings.checkpoint_dir), settings.checkpoint_dir)
    res = main_results()
    labels = T.step_model_labels(step, choices, None if res is None else _locnet_path(res))
    if step.example is not None:
        example = {e.name: e for e in list_examples()}.get(step.example)
        if example is not None:
            load_example_into(state, example)
    T.apply_step(state, step, dataset_dir=settings.dataset_dir, model_labels=labels)
    state[TOUR_STEP] = index
    if res is not None:
        state[TOUR_FOLDER] = str(res.folder)
    st.switch_page(step.page)


def start_tour(settings: Settings) -> None:
    """The landing page's "Start the demo"."""
    res = main_results()
    T.start(st.session_state, "" if res is None else str(res.folder))
    go_to(0, settings)


def tour_panel(page: str, settings: Settings) -> None:
    """The box of the tour's current step, when the tour runs and the step is on `page`
    (another page shows a one-line way back to the tour)."""
    state = st.session_state
    index = state.get(TOUR_STEP)
    if index is None:
        return
    steps = current_steps(settings)
    if not steps or index >= len(steps):
        T.stop(state)
        return
    step = steps[index]
    if step.page != page:
        c_text, c_back = st.columns([4, 1], vertical_alignment="center")
        c_text.caption(f"Guided tour paused at step {index + 1} of {len(steps)}: {step.title}.")
        if c_back.button("Back to the tour", key="tour_resume"):
            go_to(index, settings)
        return
    with st.container(border=True, key="tour_box"):
        st.markdown(f"**Guided tour · step {index + 1} of {len(steps)}: {step.title}**")
        st.markdown(step.text)
        res = main_results()
        stale = None if res is None or step.case is None else freshness_line(res)
        if stale:
            st.caption(
                "The numbers above are the results folder's; the maps below run the "
                f"installed weights. {stale}"
            )
        c_back, c_next, c_end, _ = st.columns([1, 1, 1, 3])
        back = c_back.button("◀ Back", key="tour_back", disabled=index == 0, width="stretch")
        last = index == len(steps) - 1
        forward = c_next.button(
            "Finish" if last else "Next ▶", key="tour_next", type="primary", width="stretch"
        )
        end = c_end.button("End tour", key="tour_end", width="stretch")
    if back:
        go_to(index - 1, settings)
    elif forward and not last:
        go_to(index + 1, settings)
    elif forward or end:
        T.stop(state)
        st.rerun()
