"""Explorer, first half: choose the environment, the transmitter and the sensors; the click map.

State lives in plain session keys (locnet.app.state); widgets mirror into them through
callbacks, and every click goes through clicks.handle_click (pure, unit-tested).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import streamlit as st

from locnet.app import cache
from locnet.app import state as S
from locnet.app.binding import bind, widget_key
from locnet.app.charts import show_chart
from locnet.app.clicks import clear_sensors, first_click, handle_click
from locnet.app.keys import (
    CHART_NONCE,
    CLICK_MODE,
    CLICK_MODES,
    MAP_ID,
    NOTICE,
    RATE,
    SEED,
    SENSOR_SOURCE,
    SENSORS,
    SHOW_RADIO,
    TX_ID,
    TX_XY,
)
from locnet.app.models import Case
from locnet.app.sidebar import Settings
from locnet.constants import MAX_RATE_PERCENT, MIN_RATE_PERCENT, PIXEL_M
from locnet.errors import LocNetError
from locnet.report.display import plural
from locnet.viz.maps import case_figure

THUMBS_PER_ROW = 8
CASE_MAP_HEIGHT = 540  # px; the square map then fills a third of a wide page
RATE_STEP = 0.01  # percent
PLACED = "placed by click"
ALL = "all"


def _choose_map(map_id: int) -> None:
    S.select_map(st.session_state, int(map_id))


def filter_maps(rows: Sequence[Mapping[str, Any]], split: str, kind: str) -> list[int]:
    """Map ids of the environment rows matching the split and source filters (ALL: any),
    in table order."""
    return [
        r["map"]
        for r in rows
        if (split == ALL or r["split"] == split) and (kind == ALL or r["kind"] == kind)
    ]


def first_test_map(rows: Sequence[Mapping[str, Any]]) -> int:
    """The map the Explorer opens on: the first test environment, else the first one."""
    test = [r["map"] for r in rows if r["split"] == "test"]
    return int(test[0] if test else rows[0]["map"])


def environment_picker(settings: Settings) -> tuple[int, dict[str, Any]]:
    """Searchable select (city / source / split words) plus a thumbnail strip; returns the
    map and its environment row (map, split, city, source, attribution, kind, label)."""
    state = st.session_state
    rows = cache.environment_rows(settings.dataset_dir)
    by_map = {r["map"]: r for r in rows}
    if state[MAP_ID] not in by_map:
        S.select_map(state, first_test_map(rows))
    c_search, c_split, c_source = st.columns([3, 1, 1])
    split = c_split.selectbox(
        "Split",
        [ALL, *sorted({r["split"] for r in rows if r["split"]})],
        key="explorer_split_filter",
    )
    kinds = sorted({r["kind"] for r in rows if r["kind"]})
    kind = c_source.selectbox(
        "Buildings from", [ALL, *kinds], key="explorer_source_filter", disabled=not kinds
    )
    shown = filter_maps(rows, split, kind)
    options = shown if state[MAP_ID] in shown else [state[MAP_ID], *shown]
    key = widget_key(MAP_ID)
    state[key] = state[MAP_ID]
    c_search.selectbox(
        "Environment (type to search by city, source or split)",
        options,
        format_func=lambda m: by_map[m]["label"],
        key=key,
        on_change=lambda: _choose_map(state[key]),
    )
    _thumbnail_strip(settings, shown, by_map)
    return int(state[MAP_ID]), by_map[state[MAP_ID]]


def thumbnail_label(row: Mapping[str, Any]) -> str:
    """What a thumbnail's button says: the city (or source) and the map number."""
    place = row.get("city") or row.get("kind") or "map"
    return f"{place} {row['map']}"


def _thumbnail_strip(
    settings: Settings, maps: list[int], by_map: Mapping[int, Mapping[str, Any]]
) -> None:
    if not maps:
        st.info("No environment matches these filters.")
        return
    current = st.session_state[MAP_ID]
    start = (maps.index(current) // THUMBS_PER_ROW) * THUMBS_PER_ROW if current in maps else 0
    page = maps[start : start + THUMBS_PER_ROW]
    columns = st.columns(THUMBS_PER_ROW)
    pngs = cache.thumbnail_pngs(settings.dataset_dir, page)
    for column, map_id, png in zip(columns, page, pngs):
        column.image(png, width="stretch", output_format="PNG")  # as is: no re-encoding
        column.button(
            thumbnail_label(by_map[map_id]),
            key=f"thumb_{map_id}",
            help=by_map[map_id]["label"],
            on_click=_choose_map,
            args=(map_id,),
            width="stretch",
            type="primary" if map_id == current else "secondary",
        )
    prev_map = maps[start - THUMBS_PER_ROW] if start >= THUMBS_PER_ROW else None
    next_map = maps[start + THUMBS_PER_ROW] if start + THUMBS_PER_ROW < len(maps) else None
    c_prev, c_info, c_next = st.columns([1, 4, 1])
    c_prev.button(
        "◀ previous",
        disabled=prev_map is None,
        on_click=_choose_map,
        args=(prev_map,),
        key="thumb_prev",
    )
    c_info.caption(f"{start + 1}–{start + len(page)} of {len(maps)} environments")
    c_next.button(
        "next ▶",
        disabled=next_map is None,
        on_click=_choose_map,
        args=(next_map,),
        key="thumb_next",
    )


def transmitter_picker(
    settings: Settings, map_id: int, buildings: np.ndarray
) -> tuple[int | None, tuple[int, int], np.ndarray]:
    """Dataset transmitter or one placed by click (simulated live); returns (tx_id, xy, gray)."""
    state = st.session_state
    where = cache.transmitters(settings.dataset_dir, map_id)
    tx_ids = sorted(where)
    if state[TX_ID] is None and state[TX_XY] is None:
        state[TX_ID] = tx_ids[0]
    options: list = list(tx_ids) + ([PLACED] if state[TX_XY] is not None else [])
    key = widget_key(TX_ID)
    state[key] = PLACED if state[TX_ID] is None else state[TX_ID]

    def on_change() -> None:
        if state[key] != PLACED:
            S.select_transmitter(state, state[key])

    st.selectbox(
        "Transmitter",
        options,
        key=key,
        on_change=on_change,
        format_func=lambda t: t if t == PLACED else _tx_label(t, where[t]),
        help="A transmitter simulated in the dataset; or choose the click mode "
        "'place transmitter' and click on the map (its radio map is simulated live).",
    )
    if state[TX_ID] is None:
        xy = tuple(state[TX_XY])
        return None, xy, cache.simulated_gray(buildings, xy)
    tx = int(state[TX_ID])
    return tx, where[tx], cache.radio_gray(settings.dataset_dir, map_id, tx)


def _tx_label(tx_id: int, xy: tuple[int, int]) -> str:
    return f"transmitter {tx_id} at ({xy[0] * PIXEL_M:.0f}, {xy[1] * PIXEL_M:.0f}) m"


def sensor_controls(buildings: np.ndarray) -> None:
    """Rate slider, seed, resample, clear, click mode; draws the sensors when needed."""
    from locnet.data.sampling import sample_mask

    state = st.session_state
    st.slider(
        "Sampling rate (% of the 65,536 pixels)",
        MIN_RATE_PERCENT,
        MAX_RATE_PERCENT,
        step=RATE_STEP,
        format="%.2f %%",
        **bind(RATE, convert=float, then=S.request_sampling),
    )
    st.number_input(
        "Seed of the draw",
        min_value=0,
        step=1,
        **bind(SEED, convert=int, then=S.request_sampling),
    )
    c_resample, c_clear = st.columns(2)
    c_resample.button(
        "Resample", icon=":material/shuffle:", on_click=S.resample, args=(state,), width="stretch"
    )
    c_clear.button(
        "Clear all",
        icon=":material/clear_all:",
        on_click=clear_sensors,
        args=(state,),
        width="stretch",
    )
    try:
        S.ensure_sensors(state, buildings, sample_mask)
    except LocNetError as exc:
        st.error(f"Cannot sample sensors: {exc}")
    n = len(state[SENSORS])
    how = {
        "sampled": f"sampled, seed {state[SEED]}",
        "manual": "edited by clicks",
        "case": "opened case",
    }
    st.markdown(
        f"**{plural(n, 'sensor')}** · effective rate {S.effective_rate_percent(n):.3f} % "
        f"({how.get(state[SENSOR_SOURCE], '')})"
    )
    st.radio("Click on the map to", CLICK_MODES, horizontal=True, **bind(CLICK_MODE))


def _on_map_select(chart_key: str, buildings: np.ndarray) -> None:
    click = first_click(st.session_state.get(chart_key))
    if click is not None:
        message = handle_click(st.session_state, buildings, *click)
        st.session_state[NOTICE] = message


def case_map(case: Case, title: str) -> None:
    """The clickable case map (radio map layer toggle above it) and the click notice."""
    state = st.session_state
    st.toggle("Show radio map (dB)", **bind(SHOW_RADIO, convert=bool))
    show_radio = bool(state[SHOW_RADIO])
    fig = S.reuse_figure(
        state,
        "case_map",
        (S.case_key(state), show_radio, title),
        lambda: case_figure(
            case.buildings,
            sensors_xy=case.sensors_xy,
            truth_xy=case.truth_xy,
            radio_db=case.radio_db if show_radio else None,
            gains_db=case.gains_db,
            title=title,
            clickable=True,
            height=CASE_MAP_HEIGHT,
        ),
    )
    chart_key = f"case_map_{state[CHART_NONCE]}"
    show_chart(
        fig,
        key=chart_key,
        on_select=lambda: _on_map_select(chart_key, case.buildings),
        selection_mode="points",
    )
    if state.get(NOTICE):
        st.warning(state[NOTICE])
        state[NOTICE] = None


def build_case(settings: Settings, map_id: int) -> Case:
    """Draw the transmitter and sensor controls (left column) and return the current case."""
    buildings = cache.buildings(settings.dataset_dir, map_id)
    tx_id, truth_xy, gray = transmitter_picker(settings, map_id, buildings)
    sensor_controls(buildings)
    sensors = [tuple(s) for s in st.session_state[SENSORS]]
    return Case(map_id, tx_id, tuple(truth_xy), buildings, gray, sensors)


def case_caption(case: Case, row: Mapping[str, Any]) -> str:
    """Where the buildings and the radio map come from (with the OSM attribution)."""
    buildings = f"Buildings: {row.get('source') or 'dataset'}"
    if row.get("attribution"):
        buildings += f", {row['attribution']}"
    radio = (
        "radio map simulated live by our dominant-path simulator (paper-like settings)"
        if case.tx_id is None
        else "radio map from the dataset"
    )
    return f"{buildings}; {radio}."


def case_title(case: Case, row: Mapping[str, Any]) -> str:
    place = row.get("city") or f"map {case.map_id}"
    tx = f"transmitter {case.tx_id}" if case.tx_id is not None else "placed transmitter"
    return (
        f"{place} · {tx} at ({case.truth_xy[0] * PIXEL_M:.0f}, {case.truth_xy[1] * PIXEL_M:.0f}) m"
    )
