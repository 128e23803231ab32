"""LocNet Explorer, the Streamlit entry point: page config, navigation, shared sidebar.

Run with `streamlit run app.py`. The first page is the landing page (app_pages/home.py:
the problem, the headline numbers, the guided tour); the others are thin scripts under
app_pages/ whose logic is in locnet/ (see docs/architecture.md). Pages written by others
appear once their file exists.
"""

import os
from pathlib import Path

# Before anything loads torch: OpenMP threads that finish their share sleep instead of
# spinning, so a model call sharing the cores with a browser or another session is not slowed
# several-fold (LocNet, 2 threads, one core busy: 212 -> 96 ms; docs/app.md, Speed). A value
# the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import streamlit as st  # noqa: E402

from locnet.app.sidebar import render_sidebar  # noqa: E402

HERE = Path(__file__).resolve().parent
PAGES = (  # (file, title, icon); the first one is the default page
    ("app_pages/home.py", "Start", ":material/home:"),
    ("app_pages/explorer.py", "Explorer", ":material/my_location:"),
    ("app_pages/benchmark.py", "Benchmark", ":material/leaderboard:"),
    ("app_pages/ablation.py", "Ablation", ":material/science:"),
    ("app_pages/gallery_environments.py", "Environments", ":material/location_city:"),
    ("app_pages/gallery_cases.py", "Cases", ":material/photo_library:"),
)

st.set_page_config(page_title="LocNet Explorer", page_icon=":material/cell_tower:", layout="wide")
st.set_option("client.toolbarMode", "minimal")  # no developer menu for a stakeholder

pages = [
    st.Page(file, title=title, icon=icon, default=(i == 0))
    for i, (file, title, icon) in enumerate(PAGES)
    if (HERE / file).is_file()
]
navigation = st.navigation(pages)
render_sidebar()
navigation.run()
