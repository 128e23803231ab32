"""Environments: where a model localizes well or badly, and what those cities look like (paper Fig. 2)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from locnet.app import cache
from locnet.app import state as app_state
from locnet.app.charts import show_chart
from locnet.app.results_picker import pick_readout, pick_results
from locnet.app.sidebar import current_settings
from locnet.evaluate.folders import PER_ENV_FILE, results_root
from locnet.report import figures as F
from locnet.report.accuracy import environment_accuracy
from locnet.report.display import plural, readable_table
from locnet.report.freshness import source_line
from locnet.report.lookups import dataset_map_id, environment_statistics_table
from locnet.report.ranking import rank_environments
from locnet.report.readouts import readout_note, select_readout
from locnet.report.series import series_options

PAGE = "environments"
EXPLORER_PAGE = "app_pages/explorer.py"
THUMB_PX = 128  # thumbnail side (pixels) of a 256 m map
GRID_COLUMNS = 3
ALL_RATES = "all rates"
STAT_AXES = {
    "building_density": "building density",
    "open_area_m2": "open area",
    "n_blocks": "number of building blocks",
}


@st.cache_data(show_spinner="Measuring environments…", max_entries=16)
def statistics(dataset_dir: str, stamp: int, maps: tuple[str, ...]) -> pd.DataFrame:
    """Building density, open area and blocks of each result map found in the dataset."""
    known = {str(m) for m in cache.load_dataset(dataset_dir).maps}
    return environment_statistics_table(
        {m: cache.buildings(dataset_dir, dataset_map_id(m)) for m in maps if m in known}
    )


def open_in_explorer(dataset_dir: str, map_id) -> None:
    app_state.open_map(st.session_state, dataset_dir=dataset_dir, map_id=map_id)
    st.switch_page(EXPLORER_PAGE)


def grid(rows: pd.DataFrame, dataset_dir: str | None, side: str) -> None:
    """Thumbnails (or text cards without a dataset) with city, map, error and statistics;
    each thumbnail opens its map in the Explorer."""
    for start in range(0, len(rows), GRID_COLUMNS):
        for col, row in zip(
            st.columns(GRID_COLUMNS), rows.iloc[start : start + GRID_COLUMNS].itertuples()
        ):
            text = f"**{row.city}** · map {row.map}  \nRMSE **{row.rmse_m:.1f} m**"
            if pd.notna(getattr(row, "median_m", None)):
                text += f" · median {row.median_m:.1f} m · {row.within10_pct:.0f} % within 10 m"
            text += f" ({plural(int(row.n), 'sample')})"
            if pd.notna(getattr(row, "building_density", None)):
                text += f"  \ndensity {row.building_density:.0%} · {row.n_blocks:.0f} blocks"
                col.image(cache.thumbnail(dataset_dir, dataset_map_id(row.map), THUMB_PX))
            col.markdown(text)
            drawn = dataset_dir and pd.notna(getattr(row, "building_density", None))
            if drawn and col.button(
                "Open in Explorer", key=f"open-env-{side}-{row.map}", icon=":material/open_in_new:"
            ):
                open_in_explorer(dataset_dir, dataset_map_id(row.map))


settings = current_settings()
st.title("Environments")
st.caption(
    "RMSE per test environment for one model and sampling rate: the easiest and hardest cities "
    "(paper Fig. 2), with building statistics."
)
results_root = cache.resolve_path(results_root(st.session_state))
picked, problem = pick_results(
    results_root,
    settings.dataset_dir,
    page=PAGE,
    unreadable_dataset_note="Cannot open the dataset to draw the maps",
    needs="per_environment",
)
if picked is not None:
    a, b, c, d = st.columns([2, 1, 2, 1])
    readout = pick_readout(picked.per_environment, picked.meta, c)
    per_env = select_readout(picked.per_environment, readout)
    labels = series_options(per_env)
    model, variant = labels[a.selectbox("Model", list(labels))]
    rate = b.selectbox(
        "Sampling rate (%)",
        [ALL_RATES, *sorted(per_env["rate_percent"].unique())],
        format_func=lambda r: r if r == ALL_RATES else f"{r:g} %",
    )
    k = d.slider("Environments per side", 1, 12, 6)
    rate_or_none = None if rate == ALL_RATES else rate
    ranked = rank_environments(per_env, model, variant, rate_or_none)
    samples = None if picked.samples is None else select_readout(picked.samples, readout)
    ranked = ranked.merge(
        environment_accuracy(samples, model, variant, rate_or_none), on="map", how="left"
    )
    dataset_dir = settings.dataset_dir if settings.dataset is not None and not problem else None
    if dataset_dir:
        stamp = cache.folder_mtimes_ns(cache.resolve_path(dataset_dir))
        ranked = ranked.merge(
            statistics(dataset_dir, stamp, tuple(ranked["map"])), on="map", how="left"
        )
    else:
        st.info("Maps and statistics need the dataset these results were computed on (sidebar).")
    n_best = min(k, (len(ranked) + 1) // 2)  # best and worst never show the same environment
    n_worst = min(k, len(ranked) - n_best)
    best, worst = st.columns(2)
    with best:
        st.subheader(f"Best {n_best} of {len(ranked)}")
        grid(ranked.head(n_best), dataset_dir, "best")
    with worst:
        st.subheader(f"Worst {n_worst} of {len(ranked)}")
        grid(ranked.iloc[::-1].head(n_worst), dataset_dir, "worst")
    st.caption(source_line(picked, PER_ENV_FILE) + ". " + readout_note(readout))
    if "building_density" in ranked and ranked["building_density"].notna().any():
        axis = st.radio("Statistic", list(STAT_AXES), format_func=STAT_AXES.get, horizontal=True)
        show_chart(F.environment_scatter(ranked.dropna(subset=[axis]), model, variant, axis))
    table = ranked.drop(columns=["env_id"], errors="ignore")
    if "building_density" in table:
        table["building_density"] = 100 * table["building_density"]
    st.dataframe(
        readable_table(table).rename(columns={"building density": "building density (%)"}),
        hide_index=True,
    )
