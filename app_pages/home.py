"""The landing page: the problem, three headline numbers from the shipped results, the
guided tour's Start button and a link into every page. Layout only (locnet/app/landing.py,
locnet/app/tour_panel.py)."""

import streamlit as st

from locnet.app import landing
from locnet.app.results_picker import main_results
from locnet.app.sidebar import current_settings
from locnet.app.tour_panel import current_steps, start_tour

settings = current_settings()
res = main_results()
st.title("LocNet Explorer: find a hidden transmitter from a few sensors")
text, pic = st.columns([3, 2], gap="large")
with text:
    st.markdown(landing.PROBLEM)
    landing.headlines(res)
    steps = current_steps(settings) if res is not None else []
    if st.button(
        "Start the demo",
        type="primary",
        icon=":material/play_arrow:",
        disabled=not steps,
        help=f"A guided tour in {len(steps)} steps: it opens chosen cases and says what "
        "they show; Next and Back move through it.",
    ):
        start_tour(settings)
    if not steps:
        st.caption(
            "The tour needs the main results folder (results/MAIN) and the dataset it was "
            "computed on (Advanced, in the sidebar)."
        )
with pic:
    landing.picture(res, settings)
st.subheader("The pages")
landing.page_links()
