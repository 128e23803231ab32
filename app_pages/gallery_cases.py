"""Cases: individual samples of a model drawn like the paper's Fig. 5: the best, the worst,
the confidently wrong (truth outside the 90 % region) and the lucky (close by chance)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from locnet.app import cache
from locnet.app import state as app_state
from locnet.app.results_picker import pick_readout, pick_results
from locnet.app.sidebar import current_settings
from locnet.evaluate.folders import SAMPLES_FILE, evaluate_command, results_root
from locnet.posterior.distribution import POINT_READOUT
from locnet.report.lookups import case_sensors, dataset_map_id
from locnet.report.ranking import CASE_VIEWS, pick_cases, same_case, select_series
from locnet.report.readouts import (
    LUCKY_MAX_ERROR_M,
    LUCKY_MIN_RADIUS_M,
    radius90_m,
    readout_note,
    select_readout,
)
from locnet.report.series import series_options
from locnet.viz import maps as viz

ALL_RATES = "all rates"
NO_COMPARISON = "(none)"
EXPLORER_PAGE = "app_pages/explorer.py"
CASE_HEIGHT = 420  # px of one case map
POSTERIOR_VIEWS = ("confidently wrong", "lucky")  # views that need a posterior
VIEW_HELP = (
    "best / worst: smallest / largest error. confidently wrong: the truth lies outside the "
    "90 % credible region (largest error first). lucky: error at most "
    f"{LUCKY_MAX_ERROR_M:g} m although the 90 % region is as large as a disc of radius "
    f"{LUCKY_MIN_RADIUS_M:g} m or more (largest region first). all: in map order."
)


@st.cache_data(show_spinner=False, max_entries=512)
def sensors_of(
    dataset_dir: str, stamp: int, case: dict, meta: dict
) -> list[tuple[int, int]] | None:
    """Sensor pixels of a case (mask file or the evaluation's seeded draw); None if unknown."""
    return case_sensors(cache.load_dataset(dataset_dir), case, meta)


def _readout_of(row: pd.Series) -> str:
    return "" if row["readout"] == POINT_READOUT else f" ({row['readout']})"


def posterior_text(row: pd.Series) -> str:
    """What the posterior expected of this answer: sqrt(E[d^2]) and the 90 % region's size
    (`radius90_m`: results.radius90_m of the row)."""
    if pd.isna(row["expected_error_m"]):
        return "no posterior (point answer)"
    inside = "inside" if row["in90"] else "**outside**"
    return (
        f"expected error {row['expected_error_m']:.1f} m · 90 % region radius "
        f"{row['radius90_m']:.0f} m, truth {inside}"
    )


def case_map(row: pd.Series, label: str, dataset_dir: str, sensors) -> None:
    st.plotly_chart(
        viz.case_figure(
            cache.buildings(dataset_dir, dataset_map_id(row["map"])),
            sensors_xy=sensors or (),
            truth_xy=(row["true_x"], row["true_y"]),
            prediction_xy=(row["pred_x"], row["pred_y"]),
            title=f"{label}{_readout_of(row)}: error {row['error_m']:.1f} m",
            height=CASE_HEIGHT,
        )
    )


def show_case(
    i: int,
    row: pd.Series,
    label: str,
    other: tuple[str, pd.Series | None] | None,
    dataset_dir: str | None,
    meta: dict,
) -> None:
    """One case: header, overlay (twice when comparing), and the Explorer button."""
    case = {k: row[k] for k in ("map", "tx", "mask", "rate_percent")}
    sensors = None
    if dataset_dir:
        stamp = cache.folder_mtimes_ns(cache.resolve_path(dataset_dir))
        sensors = sensors_of(dataset_dir, stamp, {k: str(v) for k, v in case.items()}, meta)
    count = (
        f"{len(sensors)} sensors"
        if sensors
        else "sensors unknown (no mask file, no seed in meta.json)"
    )
    with st.container(border=True):
        st.markdown(
            f"**#{i + 1} · {row['city']}** · map {row['map']} · transmitter {row['tx']} · mask "
            f"{row['mask']} · rate {row['rate_percent']:g} % · {count}"
        )
        st.markdown(
            f"{label}{_readout_of(row)}: error **{row['error_m']:.1f} m** · {posterior_text(row)}"
        )
        if not dataset_dir:
            return
        columns = st.columns(2 if other else 1)
        with columns[0]:
            case_map(row, label, dataset_dir, sensors)
        if other and other[1] is not None:
            with columns[1]:
                case_map(other[1], other[0], dataset_dir, sensors)
        elif other:
            columns[1].info(f"{other[0]} was not evaluated on this sample.")
        if sensors and st.button(
            "Open in Explorer", key=f"open-case-{i}", icon=":material/open_in_new:"
        ):
            app_state.open_case(
                st.session_state,
                dataset_dir=dataset_dir,
                map_id=dataset_map_id(row["map"]),
                tx_id=int(row["tx"]),
                sensors_xy=sensors,
            )
            st.switch_page(EXPLORER_PAGE)


settings = current_settings()
st.title("Cases")
st.caption(
    "Individual test samples (paper Fig. 5): the best and worst, those where the posterior was "
    "confidently wrong, and those where the answer was right by luck. Sensors green, "
    "prediction yellow, true transmitter red, orange where they coincide."
)
results_root = cache.resolve_path(results_root(st.session_state))
picked, problem = pick_results(
    results_root,
    settings.dataset_dir,
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
                show_case(i, row, label, other, dataset_dir, picked.meta)
    st.caption(picked.source(SAMPLES_FILE) + ". " + readout_note(readout))
