"""The Cases page's cards: one evaluated sample, its heatmap and credible regions, and why.

A card's numbers are the results folder's. Its heatmap comes from running the very
weights the folder evaluated (same sha256, report.freshness) on the same sensors, so the
picture and the numbers are of one model; when the installed file holds other weights
the card shows the folder's answer without a heatmap and says why. The "why" lines are
measured on the case (report.why). Positions are pixel (x, y); errors in metres.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from locnet.app import cache
from locnet.app import state as app_state
from locnet.app.charts import show_chart
from locnet.app.models import Case, ModelChoice, run_choice
from locnet.app.sidebar import Settings
from locnet.errors import LocNetError
from locnet.inference import Answer
from locnet.models.registry import DEFAULT_VARIANT
from locnet.posterior.distribution import POINT_READOUT
from locnet.report.chance import CHANCE_LABEL
from locnet.report.display import plural
from locnet.report.freshness import stale_weights
from locnet.report.lookups import case_sensors, dataset_map_id
from locnet.report.why import case_facts, why_lines
from locnet.viz import maps as viz
from locnet.viz.posterior import posterior_figure

EXPLORER_PAGE = "app_pages/explorer.py"
CASE_HEIGHT = 420  # px of one case map


@st.cache_data(show_spinner=False, max_entries=512)
def sensors_of(dataset_dir: str, stamp: int, case: dict, meta: dict) -> list[tuple[int, int]] | None:
    """Sensor pixels of a case (mask file or the evaluation's seeded draw); None if unknown."""
    return case_sensors(cache.load_dataset(dataset_dir), case, meta)


def series_spec(meta: dict, model: str, variant: str) -> tuple[str | None, str | None]:
    """(what load_model gets, why not) for a series of a folder: the checkpoint file it
    evaluated if those weights are still installed there, a classical model's name, or
    (None, why) when the installed file holds other weights or none."""
    records = meta.get("checkpoints") or {}
    stale = {s.name for s in stale_weights(meta)}
    for name, record in records.items() if isinstance(records, dict) else []:
        if not isinstance(record, dict):
            continue
        if record.get("model") == model and str(record.get("variant", DEFAULT_VARIANT)) == variant:
            if not record.get("path") or not record.get("sha256"):
                return None, "the folder does not record which checkpoint file it evaluated"
            if name in stale:
                return None, (
                    f"`{record.get('path')}` now holds other weights than these results; "
                    "refresh the folder (the line above) to see the heatmap"
                )
            return str(cache.resolve_path(record["path"])), None
    try:
        from locnet.models.registry import model_info

        if not model_info(model).trainable:
            return model, None
    except LocNetError:
        pass
    return None, "no checkpoint recorded for this model"


@st.cache_data(show_spinner=False, max_entries=64)
def card_answer(
    dataset_dir: str,
    stamp: int,
    spec: str,
    checkpoint_dir: str,
    device: str,
    map_id,
    tx: int,
    sensors: tuple[tuple[int, int], ...],
    readout: str | None,
) -> Answer:
    """The model's answer on one evaluated case (cached: a card redrawn costs nothing)."""
    buildings = cache.buildings(dataset_dir, map_id)
    gray = cache.radio_gray(dataset_dir, map_id, tx)
    truth = cache.transmitters(dataset_dir, map_id)[tx]
    case = Case(map_id, tx, truth, buildings, gray, list(sensors))
    loaded = cache.model(spec, checkpoint_dir, device)
    choice = ModelChoice(spec, spec, spec, "", True)
    return run_choice(loaded, choice, case, readout=None if readout == POINT_READOUT else readout)


def readout_suffix(row: pd.Series) -> str:
    """' (mean)' after a model's name for a posterior readout, nothing for a point answer."""
    return "" if row["readout"] == POINT_READOUT else f" ({row['readout']})"


def posterior_text(row: pd.Series) -> str:
    """What the posterior expected of this answer: sqrt(E[d^2]) and the 90 % region's size."""
    if pd.isna(row["expected_error_m"]):
        return "no posterior (point answer)"
    inside = "inside" if row["in90"] else "**outside**"
    return (
        f"expected error {row['expected_error_m']:.1f} m · 90 % region radius "
        f"{row['radius90_m']:.0f} m, truth {inside}"
    )


def card_figure(
    row: pd.Series,
    label: str,
    buildings,
    sensors,
    answer: Answer | None,
    chance: str | None = None,
    *,
    titled: bool = True,
):
    """The card's map: the live heatmap and regions when there is an answer (no regions for
    a model at chance), else the folder's answer on the building map. titled: name the
    model and its error above the map (off where the card's own line above says it)."""
    truth = (row["true_x"], row["true_y"])
    name = label if chance is None else f"{label} ({CHANCE_LABEL})"
    title = f"{name}{readout_suffix(row)}: error {row['error_m']:.1f} m" if titled else None
    if answer is not None and answer.heatmap is not None and answer.regions is not None:
        return posterior_figure(
            buildings,
            answer.heatmap,
            regions=None if chance else answer.regions,
            readouts=answer.readouts,
            readout=answer.readout,
            sensors_xy=sensors,
            truth_xy=truth,
            prediction_xy=(row["pred_x"], row["pred_y"]),
            title=title,
            height=CASE_HEIGHT,
            score_step=2,
        )
    return viz.case_figure(
        buildings,
        sensors_xy=sensors or (),
        truth_xy=truth,
        prediction_xy=(row["pred_x"], row["pred_y"]),
        scores=None if answer is None else answer.heatmap,
        title=title,
        height=CASE_HEIGHT,
        score_step=2,
    )


def show_card(
    i: int,
    row: pd.Series,
    label: str,
    other: tuple[str, pd.Series | None] | None,
    dataset_dir: str | None,
    meta: dict,
    settings: Settings,
    chance: str | None = None,
) -> None:
    """One case: header, numbers, map(s) with heatmap and regions, why, Explorer button.
    `chance`: why the card's model is at chance (report.chance; its regions are not drawn)."""
    case = {k: str(row[k]) for k in ("map", "tx", "mask", "rate_percent")}
    sensors = None
    if dataset_dir:
        stamp = cache.folder_mtimes_ns(cache.resolve_path(dataset_dir))
        sensors = sensors_of(dataset_dir, stamp, case, meta)
    count = plural(len(sensors), "sensor") if sensors else "sensors unknown (no mask file, no seed)"
    with st.container(border=True):
        st.markdown(
            f"**#{i + 1} · {row['city']}** · map {row['map']} · transmitter {row['tx']} · mask "
            f"{row['mask']} · rate {row['rate_percent']:g} % · {count}"
        )
        st.markdown(
            f"{label}{readout_suffix(row)}: error **{row['error_m']:.1f} m** · {posterior_text(row)}"
        )
        if not dataset_dir:
            return
        map_id = dataset_map_id(row["map"])
        buildings = cache.buildings(dataset_dir, map_id)
        answer, note = None, None
        if sensors:
            spec, note = series_spec(meta, row["model"], row["variant"])
            if spec is not None:
                try:
                    answer = card_answer(
                        dataset_dir,
                        stamp,
                        spec,
                        settings.checkpoint_dir,
                        settings.device,
                        map_id,
                        int(row["tx"]),
                        tuple(sensors),
                        row["readout"],
                    )
                except LocNetError as exc:
                    note = str(exc)
        columns = st.columns(2 if other else 1)
        with columns[0]:  # a title only to tell it from the comparison beside it
            figure = card_figure(row, label, buildings, sensors, answer, chance, titled=bool(other))
            show_chart(figure, key=f"card-{i}")
        if other and other[1] is not None:
            with columns[1]:
                show_chart(
                    card_figure(other[1], other[0], buildings, sensors, None), key=f"card-{i}-other"
                )
        elif other:
            columns[1].info(f"{other[0]} was not evaluated on this sample.")
        if note:
            st.caption(f"No heatmap: {note}.")
        if chance:
            st.caption(f"{label} is {CHANCE_LABEL}: {chance}; its credible regions are not drawn.")
        if sensors:
            gray = cache.radio_gray(dataset_dir, map_id, int(row["tx"]))
            gains = Case(map_id, int(row["tx"]), None, buildings, gray, list(sensors)).gains_db
            posterior = None if answer is None else answer.posterior
            facts = case_facts(buildings, sensors, gains, (row["true_x"], row["true_y"]), posterior)
            st.markdown("**Why?**\n" + "\n".join(f"- {line}" for line in why_lines(facts)))
            if st.button("Open in Explorer", key=f"open-case-{i}", icon=":material/open_in_new:"):
                app_state.open_case(
                    st.session_state,
                    dataset_dir=dataset_dir,
                    map_id=map_id,
                    tx_id=int(row["tx"]),
                    sensors_xy=sensors,
                    rate_percent=float(row["rate_percent"]),
                )
                st.switch_page(EXPLORER_PAGE)
