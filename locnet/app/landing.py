"""The landing page's pieces: the headline numbers, the picture and the links (Streamlit).

Every number is read from the main results folder (locnet.report.headlines); the picture
is the tour's first case drawn with the answers the folder recorded (no model runs, so
the page opens fast).
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from locnet.app import cache
from locnet.app.sidebar import Settings
from locnet.evaluate.folders import ResultSet
from locnet.inference import Answer, answer_row
from locnet.report.display import plural
from locnet.report.freshness import freshness_line, source_line
from locnet.report.headlines import headline_numbers, headline_readout, headline_source
from locnet.report.lookups import case_sensors, dataset_map_id
from locnet.report.readouts import select_readout
from locnet.report.series import series_label
from locnet.report.tour_cases import pick_tour_cases
from locnet.viz.export import case_png

PROBLEM = (
    "A radio transmitter is hidden somewhere in a 256 m x 256 m city block, and a handful "
    "of sensors (0.01 to 0.1 % of the map's pixels) report the signal strength they "
    "receive. Buildings block and bend radio waves, so the strongest sensor is often not "
    "the nearest one. **LocNet** is a small neural network that reads the building map "
    "together with the readings and answers with a heatmap of where the transmitter is, "
    "and regions that say how sure it is."
)
PAGES = (  # (page file, title, icon, what it shows)
    ("app_pages/explorer.py", "Explorer", ":material/my_location:",
     "pick a city, place sensors, run the models, upload your own case"),
    ("app_pages/benchmark.py", "Benchmark", ":material/leaderboard:",
     "every model across sampling rates, and whether the regions are calibrated"),
    ("app_pages/ablation.py", "Ablation", ":material/science:",
     "LocNet with and without the building map, and its training losses"),
    ("app_pages/gallery_environments.py", "Environments", ":material/location_city:",
     "the easiest and hardest cities"),
    ("app_pages/gallery_cases.py", "Cases", ":material/photo_library:",
     "single cases: the best, the worst, the confidently wrong, and why"),
)


def headlines(res: ResultSet | None) -> None:
    """Three st.metric numbers with what they are compared with, and their source."""
    numbers = [] if res is None else headline_numbers(res)
    if not numbers:
        st.info(
            "No results with LocNet and its test samples yet: `python -m locnet evaluate` "
            "makes them (Benchmark page)."
        )
        return
    for column, h in zip(st.columns(len(numbers)), numbers):
        with column:
            st.metric(h.label, h.value)
            if h.detail:
                st.caption(h.detail)
    st.caption(f"{headline_source(res)}. {source_line(res, 'samples.parquet')}.")
    stale = freshness_line(res)
    if stale:
        st.warning(stale, icon=":material/update:")


@st.cache_data(show_spinner=False, max_entries=4)
def _picture(folder: str, stamp: float, dataset_dir: str, data_stamp: int) -> tuple[bytes, str] | None:
    from locnet.evaluate.folders import load_results

    res = load_results(folder, stamp)
    if res.samples is None:
        return None
    readout = headline_readout(res)
    samples = select_readout(res.samples, readout)
    case = pick_tour_cases(samples).get("win")
    dataset = cache.load_dataset(dataset_dir)
    if case is None or dataset_map_id(case.map) not in set(dataset.maps):
        return None
    row = {"map": case.map, "tx": case.tx, "mask": case.mask, "rate_percent": case.rate_percent}
    sensors = case_sensors(dataset, row, res.meta)
    if not sensors:
        return None
    rows = samples[
        (samples["map"] == case.map)
        & (samples["tx"] == case.tx)
        & (samples["mask"] == case.mask)
        & np.isclose(samples["rate_percent"], case.rate_percent)
    ]
    truth = (float(rows["true_x"].iloc[0]), float(rows["true_y"].iloc[0]))
    best = case.best_classical
    keep = {"LocNet"} | ({best[0]} if best else set())
    answers = []
    for r in rows.itertuples():
        label = series_label(r.model) if r.model == "locnet" else series_label(r.model, r.variant)
        if label in keep:
            answers.append(answer_row(Answer(label, xy=(r.pred_x, r.pred_y), readout=r.readout), truth))
    png = case_png(
        cache.buildings(dataset_dir, dataset_map_id(case.map)),
        sensors_xy=sensors,
        truth_xy=truth,
        predictions=answers,
        title=f"{case.city}, {plural(len(sensors), 'sensor')}",
    )
    text = f"{case.city}: LocNet {case.locnet_error_m:.1f} m from the transmitter"
    if best:
        text += f", {best[0]} {best[1]:.1f} m"
    return png, text + " (the tour's first case; sensors green, truth red, answers yellow)."


def picture(res: ResultSet | None, settings: Settings) -> None:
    """The tour's first case as a picture, or nothing when it cannot be drawn."""
    if res is None or settings.dataset is None:
        return
    from locnet.evaluate.folders import newest_file_mtime

    path = cache.resolve_path(settings.dataset_dir)
    drawn = _picture(
        str(res.folder), newest_file_mtime(res.folder), settings.dataset_dir,
        cache.folder_mtimes_ns(path),
    )
    if drawn is not None:
        st.image(drawn[0], caption=drawn[1], width="stretch")


def page_links() -> None:
    """A link into each page, with one line of what it shows."""
    for file, title, icon, what in PAGES:
        c_link, c_what = st.columns([1, 3], vertical_alignment="center")
        c_link.page_link(file, label=title, icon=icon)
        c_what.caption(what)
