"""Benchmark: error vs sampling rate and model size vs error for every model (paper Fig. 3)."""

from __future__ import annotations

import streamlit as st

from locnet import report_figures as F
from locnet import results as R
from locnet.errors import LocNetError
from locnet.ui import cache
from locnet.ui.results_picker import pick_results
from locnet.ui.sidebar import Settings, current_settings

RERUN_PAIRS = (1, 50, 5)  # min, max, default (map, transmitter) pairs of a re-run (1 mask per rate)

model_parameters = st.cache_data(show_spinner="Counting parameters…")(R.model_parameters)


def show(res: R.ResultSet) -> None:
    summary = res.summary
    labels = R.series_options(summary)
    main = [lab for lab, (_, v) in labels.items() if v in (R.DEFAULT_VARIANT, R.ENV_VARIANT)]
    left, right = st.columns([1, 3])
    metric = left.selectbox("Metric", list(R.METRICS), format_func=R.METRICS.get)
    chosen = right.multiselect("Models", list(labels), default=main or list(labels))
    show_paper = st.toggle(f"Show the paper's values ({R.PAPER_LABEL}; RMSE only)", value=True)
    shown = R.select_series(summary, [labels[c] for c in chosen])
    if shown.empty:
        st.info("Choose at least one model.")
        return
    paper = R.paper_reference() if show_paper else None
    st.plotly_chart(F.metric_vs_rate_figure(shown, metric, paper))
    st.caption(res.source())

    averages = R.average_over_rates(shown, metric)
    averages["parameters"] = averages["model"].map(
        model_parameters(sorted(averages["model"].unique()))
    )
    st.plotly_chart(F.size_vs_error_figure(averages, metric, show_paper))
    skipped = averages[averages["parameters"].fillna(0) <= 0]
    note = "; parameters counted from the model registry (default options)"
    if len(skipped):
        note += "; not drawn (no parameters): " + ", ".join(
            map(R.series_label, skipped["model"], skipped["variant"])
        )
    st.caption(res.source() + note)

    st.subheader(f"{R.METRICS[metric]} (m) per sampling rate")
    table = shown.assign(series=list(map(R.series_label, shown["model"], shown["variant"])))
    pivot = table.pivot_table(index="series", columns="rate_percent", values=metric)
    pivot.columns = [f"{c:g} %" for c in pivot.columns]
    pivot.insert(0, "average", pivot.mean(axis=1))
    st.dataframe(pivot.sort_values("average").round(1))
    with st.expander(f"All rows of {R.SUMMARY_FILE}"):
        st.dataframe(summary, hide_index=True)
    st.caption(res.source())


def rerun_section(root, settings: Settings) -> None:
    """Evaluate the open dataset/checkpoints on a few samples into a NEW timestamped folder."""
    with st.expander("Re-run the evaluation on the current dataset and checkpoints"):
        st.write(
            f"Evaluates every model on dataset `{settings.dataset_dir}` with checkpoints "
            f"`{settings.checkpoint_dir}` on a few test (map, transmitter) pairs, one sampling mask "
            f"per rate, and writes a new timestamped folder under `{root}`; nothing is overwritten."
        )
        pairs = st.slider("(map, transmitter) pairs", *RERUN_PAIRS)
        if not st.button("Run evaluation", type="primary"):
            return
        from locnet.evaluate import evaluate, write_results

        out = R.new_results_folder(root)
        bar = st.progress(0.0, text="Loading models…")
        command = R.evaluate_command(
            settings.dataset_dir,
            out,
            settings.checkpoint_dir,
            f"--limit {pairs} --masks-per-tx 1 --device {settings.device}",
        )
        try:
            evaluation = evaluate(
                cache.resolve_path(settings.dataset_dir),
                split="test",
                models="all",
                checkpoint_dir=cache.resolve_path(settings.checkpoint_dir),
                masks_per_tx=1,
                limit=pairs,
                device=settings.device,
                command=command,
                progress=lambda done, total: bar.progress(
                    min(1.0, done / max(total, 1)), text=f"{done} / {total} samples"
                ),
            )
            write_results(evaluation, out)
        except LocNetError as exc:
            st.error(str(exc))
            return
        st.session_state[R.FOLDER_KEY] = out.name
        st.rerun()


settings = current_settings()
st.title("Benchmark")
st.caption(
    "Localization error of every model across sampling rates 0.01–0.1 % of the pixels "
    f"(paper Fig. 3); dashed: {R.PAPER_LABEL}, approximate values read off the paper's figures."
)
results_root = cache.resolve_path(R.results_root(st.session_state))
picked, _ = pick_results(results_root, settings.dataset_dir)
if picked is not None:
    show(picked)
rerun_section(results_root, settings)
