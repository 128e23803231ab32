"""Explorer, under the results: "Sensors one by one", LocNet's posterior and error as the
case's sensors are added, beside the best classical baseline's answer.

Built on request (one batched run per model, locnet.app.sequence), kept for the case in
the session (keys.SEQUENCE), drawn as a plotly animation with play/pause and a slider.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from locnet.app import cache
from locnet.app import state as S
from locnet.app.charts import show_chart
from locnet.app.keys import SEQUENCE
from locnet.app.models import Case, ModelChoice
from locnet.app.sequence import sensor_sequence
from locnet.app.sidebar import Settings
from locnet.inference import Answer, error_m
from locnet.viz.sequence import sequence_error_figure, sequence_figure

SEQUENCE_HEIGHT = 560


def pick_pair(
    choices: Sequence[ModelChoice], runs: Sequence[Answer], truth_xy
) -> tuple[ModelChoice, ModelChoice] | None:
    """(LocNet-like heatmap model, best classical baseline) among the models run: the
    first run with a posterior, and the classical one closest to the truth (the first
    classical one without a truth); None without both."""
    by_label = {c.label: c for c in choices}
    heat = next((by_label[r.label] for r in runs if r.posterior is not None), None)
    classical = [r for r in runs if r.label in by_label and by_label[r.label].family == "classical"]
    classical = [r for r in classical if not r.problem and r.xy is not None]
    if heat is None or not classical:
        return None
    if truth_xy is not None:
        classical.sort(key=lambda r: error_m(r, truth_xy))
    return heat, by_label[classical[0].label]


def sequence_section(
    case: Case, runs: Sequence[Answer], choices: Sequence[ModelChoice], settings: Settings
) -> None:
    """The section: a Build button, then the animation and the error chart."""
    state = st.session_state
    st.subheader("Sensors one by one")
    pair = pick_pair(choices, runs, case.truth_xy)
    if pair is None:
        st.caption("Run LocNet and a classical baseline to watch the sensors being added.")
        return
    heat, base = pair
    key = (S.case_key(state), heat.spec, base.label)
    kept = state.get(SEQUENCE) or {}
    seq = kept.get(key)
    if seq is None:
        offer = st.empty()
        with offer.container():
            st.caption(
                f"Adds the {len(case.sensors_xy)} sensors in a fixed random order and shows "
                f"how {heat.label}'s posterior and error sharpen, next to {base.label}'s "
                "answer (one batched run of each model over every sensor count)."
            )
            build = st.button("Build the animation", icon=":material/play_circle:")
        if not build:
            return
        offer.empty()
        with st.spinner(f"Running {heat.label} and {base.label} on every sensor count…"):
            seq = sensor_sequence(
                cache.model(heat.spec, settings.checkpoint_dir, settings.device),
                cache.model(base.spec, settings.checkpoint_dir, settings.device),
                base.label,
                case.buildings,
                case.radio_gray,
                case.sensors_xy,
                case.truth_xy,
            )
        state[SEQUENCE] = {key: seq}  # one animation per session: they are large
    left, right = st.columns([3, 2], gap="medium")
    with left:
        figure = S.reuse_figure(
            state,
            "sequence",
            key,
            lambda: sequence_figure(case.buildings, seq, case.truth_xy, SEQUENCE_HEIGHT),
            token=seq,
        )
        show_chart(figure, key="sequence")
    with right:
        show_chart(sequence_error_figure(seq), key="sequence_errors")
        st.caption(
            f"{heat.label} read out by its {seq.readout}; {base.label} gives one point. "
            "Press ▶ Play, or drag the slider to a number of sensors."
        )
