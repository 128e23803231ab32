"""Cases: the best and worst individual samples of a model, drawn like the paper's Fig. 5."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from locnet import app_state, viz
from locnet import results as R
from locnet.ui import cache
from locnet.ui.results_picker import pick_results
from locnet.ui.sidebar import current_settings

ALL_RATES = "all rates"
NO_COMPARISON = "(none)"
EXPLORER_PAGE = "app_pages/explorer.py"
CASE_HEIGHT = 420  # px of one case map


@st.cache_data(show_spinner=False, max_entries=512)
def sensors_of(
    dataset_dir: str, stamp: int, case: dict, meta: dict
) -> list[tuple[int, int]] | None:
    """Sensor pixels of a case (mask file or the evaluation's seeded draw); None if unknown."""
    return R.case_sensors(cache.load_dataset(dataset_dir), case, meta)


def case_map(row: pd.Series, label: str, dataset_dir: str, sensors) -> None:
    st.plotly_chart(
        viz.case_figure(
            cache.buildings(dataset_dir, R.dataset_map_id(row["map"])),
            sensors_xy=sensors or (),
            truth_xy=(row["true_x"], row["true_y"]),
            prediction_xy=(row["pred_x"], row["pred_y"]),
            title=f"{label}: error {row['error_m']:.1f} m",
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
        stamp = cache.folder_stamp(cache.resolve_path(dataset_dir))
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
        if not dataset_dir:
            st.markdown(f"{label}: error **{row['error_m']:.1f} m**")
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
                map_id=R.dataset_map_id(row["map"]),
                tx_id=int(row["tx"]),
                sensors_xy=sensors,
            )
            st.switch_page(EXPLORER_PAGE)


settings = current_settings()
st.title("Cases")
st.caption(
    "Individual test samples with the smallest or largest error (paper Fig. 5): sensors green, "
    "prediction yellow, true transmitter red, orange where they coincide."
)
results_root = cache.resolve_path(R.results_root(st.session_state))
picked, problem = pick_results(
    results_root,
    settings.dataset_dir,
    unreadable_dataset_note="Cannot open the dataset to draw the cases",
    needs="samples",
)
if picked is not None:
    samples = picked.samples
    labels = R.series_options(samples)
    a, b, c = st.columns([2, 1, 2])
    label = a.selectbox("Model", list(labels))
    rate = b.selectbox(
        "Sampling rate (%)",
        [ALL_RATES, *sorted(samples["rate_percent"].unique())],
        format_func=lambda r: r if r == ALL_RATES else f"{r:g} %",
    )
    cities = c.multiselect("Cities (none = all)", sorted(samples["city"].astype(str).unique()))
    d, e, f = st.columns([1, 1, 2])
    worst = d.radio("Show", ["best", "worst"], horizontal=True) == "worst"
    k = e.slider("Cases", 1, 12, 4)
    compare = f.selectbox("Compare with", [NO_COMPARISON, *[lab for lab in labels if lab != label]])
    cases = R.rank_cases(
        samples, *labels[label], None if rate == ALL_RATES else rate, cities, worst, k
    )
    if cases.empty:
        st.info("No samples match these filters.")
    dataset_dir = settings.dataset_dir if settings.dataset is not None and not problem else None
    per_row = (
        1 if compare != NO_COMPARISON else 2
    )  # two cases side by side, or a case and its comparison
    for start in range(0, len(cases), per_row):
        for column, (i, row) in zip(
            st.columns(per_row), cases.iloc[start : start + per_row].iterrows()
        ):
            other = (
                None
                if compare == NO_COMPARISON
                else (compare, R.same_case(samples, row, *labels[compare]))
            )
            with column:
                show_case(i, row, label, other, dataset_dir, picked.meta)
    st.caption(picked.source(R.SAMPLES_FILE))
