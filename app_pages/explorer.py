"""Explorer page: one city, one transmitter, a few sensors -> where does each model look?

Layout only; the logic is in locnet/app/explorer_case.py, locnet/app/explorer_results.py,
locnet/app/explorer_sequence.py (sensors one by one), locnet/app/upload.py (the "Upload a
case" source: locnet/cases reads the files), locnet/app/real_explorer.py (the "Real
measurements (POWDER)" source), locnet/app/tour_panel.py (the guided tour),
locnet/app/state.py (clicks) and locnet/viz/maps.py (figures).
"""

import streamlit as st

from locnet.app import explorer_case as case_ui
from locnet.app import explorer_results as results_ui
from locnet.app import real_explorer
from locnet.app import upload as upload_ui
from locnet.app.binding import bind
from locnet.app.explorer_sequence import sequence_section
from locnet.app.explorer_table import downloads, results_table, show_results_table
from locnet.app.keys import AUTO_RUN, CASE_SOURCE, SOURCE_REAL, SOURCE_UPLOAD
from locnet.app.sidebar import GENERATE_HINT, current_settings
from locnet.app.tour import EXPLORER_PAGE
from locnet.app.tour_panel import tour_panel
from locnet.app.upload_case import with_latlon
from locnet.errors import LocNetError

st.title("Explorer")
st.caption(real_explorer.PAGE_CAPTION if st.session_state.get(CASE_SOURCE) == SOURCE_REAL else (
    "Pick a city and a transmitter, place a handful of signal-strength sensors, and see "
    "where each model thinks the transmitter is. Sensors green, prediction yellow, truth red "
    "(orange when the prediction is on the true pixel); for heatmap models, lines around "
    "the 50 % and 90 % credible regions of the calibrated posterior and markers for its "
    "mode and mean."
))

settings = current_settings()
tour_panel(EXPLORER_PAGE, settings)
source = upload_ui.source_picker()
if source == SOURCE_REAL:  # measured samples, no building map (locnet/app/real_explorer.py)
    real_explorer.real_measurements_view()
    st.stop()
uploaded = source == SOURCE_UPLOAD
if settings.dataset is None and not uploaded:
    st.error(
        f"No dataset to explore: {settings.dataset_error}\n\nSet the dataset folder under "
        f"*Advanced* in the sidebar, upload your own case, or {GENERATE_HINT}."
    )
    st.stop()
if settings.device_note:
    st.warning(settings.device_note)

try:
    if uploaded:  # the user's own map and readings (docs/cases.md)
        case = upload_ui.upload_form()
        if case is None:
            st.stop()
    else:
        map_id, row = case_ui.environment_picker(settings)
    controls, case_col, first_col = st.columns([1.3, 2, 2], gap="medium")
    with controls:
        if uploaded:
            upload_ui.case_summary(case)
        else:
            case = case_ui.build_case(settings, map_id)
        choices = results_ui.model_picker(settings)
        readout, tta = results_ui.posterior_controls()
        auto = st.toggle("Run on every change", **bind(AUTO_RUN, convert=bool))
        run_now = st.button("Run", type="primary", width="stretch", disabled=not choices)
except LocNetError as exc:
    st.error(str(exc))
    st.stop()

title = upload_ui.case_title(case) if uploaded else case_ui.case_title(case, row)
with case_col:
    if uploaded:
        upload_ui.case_map(case, title, case_ui.CASE_MAP_HEIGHT)
    else:
        case_ui.case_map(case, title)
        st.caption(case_ui.case_caption(case, row))

runs = None
if not case.sensors_xy:
    first_col.warning(
        "No sensors: sample some with the rate slider or click on the map to add one."
    )
elif not choices:
    first_col.info("Choose at least one model to run.")
else:
    with first_col:
        runs = results_ui.run_models(
            case, choices, settings, compute=auto or run_now, readout=readout, tta=tta
        )
    if runs is None:
        first_col.info("Press **Run** to localize the transmitter with the chosen models.")

if runs:
    with first_col:
        results_ui.show_result(
            case, runs[0], key="result_0", height=results_ui.FIRST_RESULT_HEIGHT, small=False
        )
        results_ui.show_why(case, runs[0])
    rest = runs[1:]
    for start in range(0, len(rest), results_ui.FIGURES_PER_ROW):
        for i, (column, run) in enumerate(
            zip(st.columns(results_ui.FIGURES_PER_ROW), rest[start:])
        ):
            with column:
                results_ui.show_result(case, run, key=f"result_{start + i + 1}")
    st.subheader("Results")
    weights = {c.label: c.note for c in choices if c.family != "classical"}
    table = with_latlon(results_table(runs, case.truth_xy, weights), runs, case)
    show_results_table(table)
    downloads(case, runs, title)
    sequence_section(case, runs, choices, settings)
