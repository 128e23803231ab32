"""Ablation: LocNet with vs without the environment map, and its four losses (paper Fig. 4)."""

from __future__ import annotations

import streamlit as st

from locnet.app import cache
from locnet.app.charts import show_chart
from locnet.app.results_picker import pick_readout, pick_results
from locnet.app.sidebar import current_settings
from locnet.evaluate.folders import evaluate_command, holds_series, results_root
from locnet.report import figures as F
from locnet.report.accuracy import WITHIN_METRIC, overview_table, with_within
from locnet.report.display import readable_table
from locnet.report.freshness import source_line
from locnet.report.ranking import loss_comparison, relative_improvement, select_series
from locnet.report.readouts import readout_note, select_readout
from locnet.report.series import (
    ENV_VARIANT,
    LOCNET,
    LOSS_VARIANTS,
    METRICS,
    NOENV_VARIANT,
    PAPER_LABEL,
    paper_reference,
)

PAGE = "ablation"


def environment_section(summary, metric: str, paper, dataset_dir: str, readout: str | None) -> None:
    st.subheader("With vs without the environment map")
    pair = select_series(summary, [(LOCNET, ENV_VARIANT), (LOCNET, NOENV_VARIANT)])
    imp = relative_improvement(
        summary, (LOCNET, NOENV_VARIANT), (LOCNET, ENV_VARIANT), metric
    )
    if imp.empty:
        st.info(
            f"These results lack LocNet `{ENV_VARIANT}` or `{NOENV_VARIANT}` at a shared rate. Train "
            f"the second with `python -m locnet train --model locnet --no-env --data {dataset_dir}` and "
            f"evaluate both: `{evaluate_command(dataset_dir)}`"
        )
        return
    avg = imp.iloc[-1]
    paper_imp = relative_improvement(
        paper_reference(), (LOCNET, NOENV_VARIANT), (LOCNET, ENV_VARIANT)
    )
    a, b, c = st.columns(3)
    a.metric(f"average {METRICS[metric]} with the map", f"{avg['improved']:.1f} m")
    b.metric(f"average {METRICS[metric]} without", f"{avg['baseline']:.1f} m")
    c.metric(
        "relative improvement",
        f"{avg['improvement_percent']:+.1f} %",
        help=f"(without - with) / without, averaged over {len(imp) - 1} rates; paper at 0.01 % and "
        f"0.09 %: {paper_imp['improvement_percent'].iloc[-1]:+.0f} % ({PAPER_LABEL}, approx.)",
    )
    left, right = st.columns(2)
    with left:
        show_chart(
            F.metric_vs_rate_figure(
                pair, metric, paper, title="Environment map ablation", readout=readout
            )
        )
    with right:
        show_chart(F.improvement_figure(imp, "How much the environment map lowers the error"))


def loss_section(summary, metric: str, paper, dataset_dir: str, readout: str | None) -> None:
    st.subheader("Losses")
    losses = select_series(summary, [(LOCNET, v) for v in LOSS_VARIANTS])
    table = loss_comparison(summary, metric)
    if len(table) < 2:
        st.info(
            f"These results hold no LocNet loss variants besides focal. Train them with `python -m locnet "
            f"train --model locnet --loss bbce --data {dataset_dir}` (and `--loss ft`, `--loss mse`), then "
            f"evaluate: `{evaluate_command(dataset_dir)}`"
        )
        return
    show_chart(
        F.metric_vs_rate_figure(
            losses, metric, paper, title="LocNet trained with four losses", readout=readout
        )
    )
    shown = table.rename(
        columns={
            metric: f"average {METRICS[metric]} (m)",
            "focal_better_percent": "focal loss better by (%)",
        }
    )
    st.dataframe(readable_table(shown), hide_index=True)


settings = current_settings()
st.title("Ablation")
st.caption(
    "LocNet with and without the environment map, and trained with focal, balanced BCE, "
    f"focal Tversky and MSE losses (paper Fig. 4); dashed: {PAPER_LABEL}, approximate."
)
results_root = cache.resolve_path(results_root(st.session_state))
ABLATION_SERIES = [(LOCNET, ENV_VARIANT), (LOCNET, NOENV_VARIANT)]
picked, _ = pick_results(
    results_root,
    settings.dataset_dir,
    page=PAGE,
    prefer=lambda folder: holds_series(folder, ABLATION_SERIES),
)
if picked is not None:
    if not (picked.summary["model"] == LOCNET).any():
        st.info(
            f"`{picked.folder}` holds no LocNet results; produce them with: "
            f"`{evaluate_command(settings.dataset_dir, picked.folder)}`"
        )
        st.stop()
    left, right = st.columns(2)
    errors = [m for m in METRICS if m != WITHIN_METRIC]  # "% lower" needs an error metric
    metric = left.selectbox("Metric", errors, format_func=METRICS.get)
    readout = pick_readout(picked.summary, picked.meta, right)
    summary = select_readout(picked.summary, readout)
    table = with_within(summary, picked.samples)
    variants = select_series(table, [(LOCNET, v) for v in (ENV_VARIANT, NOENV_VARIANT, *LOSS_VARIANTS)])
    if not variants.empty:
        st.markdown("**Every LocNet variant: % within 10 m, median error and RMSE, averaged over the rates**")
        st.dataframe(readable_table(overview_table(variants)), hide_index=True)
    reference = (
        paper_reference()
        if st.toggle(f"Show the paper's values ({PAPER_LABEL})", True)
        else None
    )
    environment_section(summary, metric, reference, settings.dataset_dir, readout)
    loss_section(summary, metric, reference, settings.dataset_dir, readout)
    st.caption(source_line(picked) + ". " + readout_note(readout))
