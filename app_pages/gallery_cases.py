"""Cases: individual samples of a model drawn like the paper's Fig. 5, each with its
heatmap, its 50 / 90 % regions and a measured "why": the best, the worst, the confidently
wrong (a narrow region that misses the truth) and the lucky (close by chance). Layout
only; the cards are locnet/app/gallery.py, the real measurements' locnet/app/real_gallery.py."""

from __future__ import annotations

import streamlit as st

from locnet.app import cache, real_gallery
from locnet.app.gallery import show_card
from locnet.app.results_picker import pick_readout, pick_results
from locnet.app.sidebar import current_settings
from locnet.evaluate.folders import SAMPLES_FILE, evaluate_command, results_root
from locnet.posterior.distribution import POINT_READOUT
from locnet.report.chance import chance_reasons
from locnet.report.freshness import source_line
from locnet.report.ranking import CASE_VIEWS, pick_cases, same_case, select_series
from locnet.report.readouts import (
    CONFIDENT_RADIUS_M,
    LUCKY_MAX_ERROR_M,
    LUCKY_MIN_RADIUS_M,
    radius90_m,
    readout_note,
    select_readout,
)
from locnet.report.series import series_options

PAGE = "cases"
ALL_RATES = "all rates"
NO_COMPARISON = "(none)"
POSTERIOR_VIEWS = ("confidently wrong", "lucky")  # views that need a posterior
VIEW_HELP = (
    "best / worst: smallest / largest error. confidently wrong: the truth lies outside a "
    f"narrow 90 % region (no wider than a disc of {CONFIDENT_RADIUS_M:g} m radius), largest "
    f"error first. lucky: error at most {LUCKY_MAX_ERROR_M:g} m although the 90 % region is "
    f"as large as a disc of radius {LUCKY_MIN_RADIUS_M:g} m or more (largest region first). "
    "all: in map order. One card per (map, transmitter)."
)

settings = current_settings()
st.title("Cases")
st.caption(
    "Individual test samples (paper Fig. 5): the best and worst, those where the posterior was "
    "confidently wrong, and those where the answer was right by luck. Sensors green, "
    "prediction yellow, true transmitter red, orange where they coincide; the heatmap and "
    "its 50 % (solid) and 90 % (dashed) regions come from the very weights evaluated."
)
if real_gallery.real_cases_switch():  # POWDER's measured samples
    real_gallery.real_cases_view()
    st.stop()
results_root = cache.resolve_path(results_root(st.session_state))
picked, problem = pick_results(
    results_root,
    settings.dataset_dir,
    page=PAGE,
    unreadable_dataset_note="Cannot open the dataset to draw the cases",
    needs="samples",
)
if picked is not None:
    a, b, c, d = st.columns([2, 1, 1, 2])
    readout = pick_readout(picked.samples, picked.meta, c)
    samples = select_readout(picked.samples, readout)
    labels = series_options(samples)
    label = a.selectbox("Model", list(labels))
    rate = b.selectbox(
        "Sampling rate (%)",
        [ALL_RATES, *sorted(samples["rate_percent"].unique())],
        format_func=lambda r: r if r == ALL_RATES else f"{r:g} %",
    )
    cities = d.multiselect("Cities (none = all)", sorted(samples["city"].astype(str).unique()))
    e, f, g = st.columns([3, 1, 2])
    view = e.radio("Show", CASE_VIEWS, horizontal=True, help=VIEW_HELP)
    k = f.slider("Cases", 1, 12, 4)
    compare = g.selectbox("Compare with", [NO_COMPARISON, *[lab for lab in labels if lab != label]])
    cases = pick_cases(
        samples, *labels[label], view, None if rate == ALL_RATES else rate, cities, k
    )
    cases = cases.assign(radius90_m=radius90_m(cases))
    series = select_series(samples, [labels[label]])
    if view in POSTERIOR_VIEWS and series["credible_level"].isna().all():
        st.info(
            f"{label} gives a point answer without a posterior: nothing to be {view} about."
            if (series["readout"] == POINT_READOUT).all()
            else f"`{picked.folder}` holds no credible levels of {label} (evaluated before "
            f"calibrated posteriors); re-evaluate: `{evaluate_command(out=picked.folder)}`"
        )
    elif cases.empty:
        st.info("No samples match these filters.")
    at_chance = chance_reasons(samples).get(labels[label])
    dataset_dir = settings.dataset_dir if settings.dataset is not None and not problem else None
    per_row = 1 if compare != NO_COMPARISON else 2  # two cases, or a case and its comparison
    for start in range(0, len(cases), per_row):
        for column, (i, row) in zip(
            st.columns(per_row), cases.iloc[start : start + per_row].iterrows()
        ):
            other = (
                None
                if compare == NO_COMPARISON
                else (compare, same_case(samples, row, *labels[compare]))
            )
            with column:
                show_card(i, row, label, other, dataset_dir, picked.meta, settings, at_chance)
    st.caption(source_line(picked, SAMPLES_FILE) + ". " + readout_note(readout))
