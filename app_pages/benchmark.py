"""Benchmark: error vs sampling rate and model size vs error for every model (paper Fig. 3),
the heatmap models' readouts side by side, and how reliable their credible regions are."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from locnet.app import cache
from locnet.app.charts import show_chart
from locnet.app.keys import results_folder_key
from locnet.app.results_picker import pick_readout, pick_results
from locnet.app.sidebar import Settings, current_settings
from locnet.app.tour import BENCHMARK_PAGE
from locnet.app.tour_panel import tour_panel
from locnet.errors import LocNetError
from locnet.evaluate.folders import (
    SAMPLES_FILE,
    SUMMARY_FILE,
    ResultsError,
    ResultSet,
    evaluate_command,
    load_results,
    new_results_folder,
    newest_file_mtime,
    results_root,
)
from locnet.files import describe_os_error
from locnet.models.registry import DEFAULT_VARIANT
from locnet.posterior.distribution import DEFAULT_READOUT
from locnet.report import campaign as C
from locnet.report import campaign_figures as FC
from locnet.report import figures as F
from locnet.report.accuracy import (
    WITHIN_METRIC,
    fair_winner_line,
    overview_table,
    size_takeaway,
    takeaway,
    with_within,
)
from locnet.report.chance import CHANCE_LABEL, chance_from_summary, chance_label, chance_reasons
from locnet.report.display import readable_table
from locnet.report.freshness import freshness_line, source_line
from locnet.report.limit import limit_markdown, matched_markdown
from locnet.report.lookups import model_parameters
from locnet.report.ranking import average_over_rates, select_series
from locnet.report.readouts import (
    READOUT_HELP,
    RELIABILITY_TOLERANCE,
    calibration_summary,
    coverage_table,
    readout_note,
    readout_rmse,
    select_readout,
)
from locnet.report.reliability import reliability_figure
from locnet.report.series import (
    ENV_VARIANT,
    METRICS,
    PAPER_LABEL,
    paper_reference,
    series_label,
    series_options,
)

PAGE = "benchmark"
MODELS_KEY = "benchmark_models:"  # + folder: the chosen series, per folder
RERUN_PAIRS = (1, 50, 5)  # min, max, default (map, transmitter) pairs of a re-run (1 mask per rate)

model_parameters = st.cache_data(show_spinner="Counting parameters…")(model_parameters)


@st.cache_data(show_spinner="Reading the checkpoints' training histories…", max_entries=8)
def budget_curves(folder: str, stamp: float):
    """Validation RMSE vs budget of every checkpoint in `folder` (`stamp`: cache key)."""
    from locnet.report.budget import budget_curves as curves

    return curves([folder])


def chance_of(res: ResultSet, readout: str | None) -> dict:
    """Series at chance in this folder under the shown readout (report.chance)."""
    if res.samples is not None:
        return chance_reasons(select_readout(res.samples, readout))
    return chance_from_summary(select_readout(res.summary, readout))


def _select_all(key: str, labels: list[str]) -> None:
    st.session_state[key] = labels


def show(res: ResultSet) -> tuple[str | None, list[tuple[str, str]]]:
    """The paper's figures for one readout, each with a takeaway computed from what it
    draws; returns that readout and the chosen series."""
    left, mid, right = st.columns([1, 1, 3])
    table = with_within(res.summary, res.samples)
    metrics = [m for m in METRICS if m != WITHIN_METRIC or table[m].notna().any()]
    metric = left.selectbox(
        "Metric",
        metrics,
        format_func=METRICS.get,
        help="% within 10 m: how often the answer is usable; RMSE squares every error, so a "
        "model that is right most of the time and now and then a street block off can have "
        "the RMSE of one that is always moderately wrong. The page opens on % within 10 m.",
    )
    readout = pick_readout(res.summary, res.meta, mid)
    summary = select_readout(table, readout)
    chance = chance_of(res, readout)
    labels = series_options(summary)
    fair = [lab for lab, key in labels.items() if key not in chance]
    main = [lab for lab in fair if labels[lab][1] in (DEFAULT_VARIANT, ENV_VARIANT)]
    key = MODELS_KEY + str(res.folder)
    if key not in st.session_state or not set(st.session_state[key]) <= set(labels):
        st.session_state[key] = main or fair
    with right:
        chosen = st.multiselect(
            "Models",
            list(labels),
            key=key,
            format_func=lambda lab: chance_label(lab, chance, labels[lab]),
        )
        st.button(
            "Select all (models at chance left out)",
            on_click=_select_all,
            args=(key, fair),
            key="select_all_models",
        )
    show_paper = st.toggle(f"Show the paper's values ({PAPER_LABEL}; RMSE only)", value=True)
    keys = [labels[c] for c in chosen]
    shown = select_series(summary, keys)
    if shown.empty:
        st.info("Choose at least one model.")
        return readout, keys
    paper = paper_reference() if show_paper else None
    source = source_line(res) + ". " + readout_note(readout)
    show_chart(F.metric_vs_rate_figure(shown, metric, paper, readout=readout, chance=chance))
    st.markdown(f"**Takeaway.** {takeaway(shown, metric, chance)}")
    st.caption(source)

    averages = average_over_rates(shown, metric)
    averages["parameters"] = averages["model"].map(
        model_parameters(sorted(averages["model"].unique()))
    )
    show_chart(F.size_vs_error_figure(averages, metric, show_paper))
    line = size_takeaway(averages, metric, chance)
    if line:
        st.markdown(f"**Takeaway.** {line}")
    skipped = averages[averages["parameters"].fillna(0) <= 0]
    note = "; parameters counted from the model registry (default options)"
    if len(skipped):
        note += "; not drawn (no parameters): " + ", ".join(
            map(series_label, skipped["model"], skipped["variant"])
        )
    st.caption(source_line(res) + note + ". " + readout_note(readout))

    st.subheader("Every model: % within 10 m, median error and RMSE, averaged over the rates")
    st.dataframe(readable_table(overview_table(shown, chance)), hide_index=True)
    st.subheader(
        f"{METRICS[metric]} per sampling rate" + (f", readout {readout}" if readout else "")
    )
    rows = shown.assign(series=list(map(series_label, shown["model"], shown["variant"])))
    pivot = rows.pivot_table(index="series", columns="rate_percent", values=metric)
    pivot.columns = [f"{c:g} %" for c in pivot.columns]
    pivot.insert(0, "average", pivot.mean(axis=1))
    pivot = pivot.sort_values("average", ascending=metric != WITHIN_METRIC)
    st.dataframe(readable_table(pivot.rename_axis("model").reset_index()), hide_index=True)
    with st.expander(f"All rows of {SUMMARY_FILE} (every readout)"):
        st.dataframe(readable_table(table, digits=2), hide_index=True)
    st.caption(source)
    return readout, keys


def readouts_section(res: ResultSet) -> None:
    """Each heatmap model's RMSE under every readout, over the paper's rates."""
    table = readout_rmse(res.summary)
    if table.empty:
        return
    st.subheader("RMSE (m) by heatmap readout, averaged over 0.01–0.09 %")
    st.dataframe(readable_table(table.rename_axis("model").reset_index()), hide_index=True)
    note = READOUT_HELP
    if list(table.columns) == [DEFAULT_READOUT]:
        note += (
            ". This folder was evaluated before the mean and median readouts existed; "
            f"re-evaluate for them: `{evaluate_command(out=res.folder)}`"
        )
    st.caption(note)


def calibration_section(res: ResultSet, readout: str | None, keys: list) -> None:
    """Reliability plot and coverage table of the chosen heatmap models' credible regions."""
    st.subheader("Are the posteriors calibrated?")
    samples = None if res.samples is None else select_series(res.samples, keys)
    if samples is None or samples["credible_level"].isna().all():
        st.info(
            "No credible levels for the chosen models (point answers only, or a folder evaluated "
            f"before calibrated posteriors). Re-evaluate: `{evaluate_command(out=res.folder)}`"
        )
        return
    chosen = select_readout(samples, readout)
    show_chart(reliability_figure(coverage_table(chosen)))
    table = calibration_summary(chosen, res.meta).drop(columns=["model", "variant"])
    shares = ["coverage50", "coverage90", "max_gap"]
    table[shares] = 100 * table[shares]
    names = {
        "truth in 50 % region": "truth in 50 % region (%)",
        "truth in 90 % region": "truth in 90 % region (%)",
        "largest gap": "largest gap (points)",
        "within tolerance": f"within ±{100 * RELIABILITY_TOLERANCE:g} points",
    }
    st.dataframe(readable_table(table).rename(columns=names), hide_index=True)
    st.caption(
        f"Coverage: share of test samples whose true transmitter lies in the region holding "
        f"a given share of the posterior, over all rates; on the diagonal the regions mean "
        f"what they say. Coverage is a property of the posterior, the same for every readout; "
        f"RMSE and expected RMSE are of readout {readout}. {source_line(res, SAMPLES_FILE)}"
    )


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
        from locnet.evaluate.run import evaluate
        from locnet.evaluate.tables import write_results

        out = new_results_folder(root)
        bar = st.progress(0.0, text="Loading models…")
        command = evaluate_command(
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
        except OSError as exc:  # a broken dataset file, a full disk: one line naming the file
            st.error(f"The evaluation stopped: {describe_os_error(exc)}")
            return
        st.session_state[results_folder_key(PAGE)] = out.name  # this page only
        st.rerun()


def campaign_results(root: Path, out: str, command: str) -> ResultSet | None:
    """A campaign results folder under `root` (named as in locnet.report.campaign); an info line
    with the command that makes it while it does not exist."""
    folder = root / Path(out).name
    if not folder.is_dir():
        st.info(C.missing_note(folder, command.replace(out, str(folder))))
        return None
    try:
        return load_results(folder, newest_file_mtime(folder))
    except ResultsError as exc:
        st.error(str(exc))
        return None


def campaign_section(root: Path, readout: str | None, checkpoint_dir: str) -> None:
    """The compute campaign: the larger test set, its propagation shift, the equal-CPU-
    budget comparison and validation RMSE vs training budget, each labelled."""
    st.header("Compute campaign")
    st.caption(f"Test set: `{C.TEST_SET_COMMAND}` (60 held-out maps x 8 transmitters).")
    st.subheader("1. Main table: the larger test set")
    main = campaign_results(root, C.TEST_SET_RESULTS, C.TEST_SET_EVAL_COMMAND)
    if main is not None:
        stale = freshness_line(main)
        if stale:
            st.warning(stale, icon=":material/update:")
        st.dataframe(readable_table(C.rate_pivot(main.summary, readout).rename_axis("model").reset_index()), hide_index=True)
        st.caption(source_line(main) + ". " + readout_note(readout))
        st.markdown("**Distance to the physical limit** (simfit with the exact parameters: an oracle on our data)")
        limit = campaign_results(root, C.TEST_SET_LIMIT_RESULTS, C.TEST_SET_LIMIT_COMMAND)
        if limit is not None:
            st.markdown(limit_markdown(main, limit))
    st.subheader("2. Propagation shift: paper-like vs randomised propagation")
    shift = campaign_results(
        root, C.TEST_SET_SHIFT_RESULTS, C.TEST_SET_SHIFT_EVAL_COMMAND
    )
    if main is not None and shift is not None:
        table = C.shift_table(main.summary, shift.summary, readout)
        show_chart(FC.shift_figure(table))
        averages = C.shift_averages(table).drop(columns=["model", "variant"])
        st.dataframe(readable_table(averages), hide_index=True)
        st.caption(f"{source_line(main)}. {source_line(shift)}. Averages over 0.01–0.09 %.")
    if shift is not None:
        st.markdown("**Physics where no model knows the propagation**: the fusion (LocNet x simfit) on the same samples")
        physics = campaign_results(root, C.TEST_SET_SHIFT_PHYSICS_RESULTS, C.TEST_SET_SHIFT_PHYSICS_COMMAND)
        if physics is not None:
            st.markdown(matched_markdown(shift, physics))
    st.subheader("3. Equal CPU budget")
    equal = campaign_results(root, C.EQUAL_BUDGET_RESULTS, C.EQUAL_BUDGET_EVAL_COMMAND)
    if equal is not None:
        stale = freshness_line(equal)
        if stale:
            st.warning(stale, icon=":material/update:")
        table = C.equal_budget_table(equal, readout)
        chance = chance_of(equal, readout)
        table["chance"] = [
            CHANCE_LABEL if (m, v) in chance else "" for m, v in zip(table["model"], table["variant"])
        ]
        st.markdown(f"**{C.equal_budget_label(table)}**")
        st.dataframe(readable_table(table.drop(columns=["model", "variant"])), hide_index=True)
        pivot = C.rate_pivot(equal.summary, readout)
        st.dataframe(readable_table(pivot.rename_axis("model").reset_index()), hide_index=True)
        labels = {series_label(m, v) for m, v in chance}
        st.markdown(
            fair_winner_line(C.rate_winners(equal.summary, readout), list(pivot.index), labels)
        )
        st.caption(source_line(equal) + ". Budgets from each checkpoint (all `--init-from` runs).")
    st.subheader("4. Validation RMSE vs training budget")
    folder = cache.resolve_path(checkpoint_dir)
    curves = budget_curves(str(folder), newest_file_mtime(folder)) if folder.is_dir() else None
    if curves is None or curves.empty:
        st.info(f"No checkpoints in `{checkpoint_dir}`.")
        return
    x = st.radio("Budget axis", list(FC.BUDGET_AXES), format_func=FC.BUDGET_AXES.get)
    show_chart(FC.budget_figure(curves, x))
    st.caption(
        f"From the `history` of each checkpoint in `{checkpoint_dir}` and of the files it was "
        "trained on from (`--init-from`), budgets cumulative; hover shows each point's stage "
        "and validation seed (another seed is another validation draw)."
    )


settings = current_settings()
st.title("Benchmark")
st.caption(
    "Localization error of every model across sampling rates 0.01–0.1 % of the pixels "
    f"(paper Fig. 3); dashed: {PAPER_LABEL}, approximate values read off the paper's figures."
)
tour_panel(BENCHMARK_PAGE, settings)
results_root = cache.resolve_path(results_root(st.session_state))
picked, _ = pick_results(results_root, settings.dataset_dir, page=PAGE)
chosen_readout = DEFAULT_READOUT
if picked is not None:
    chosen_readout, chosen_series = show(picked)
    readouts_section(picked)
    calibration_section(picked, chosen_readout, chosen_series)
rerun_section(results_root, settings)
campaign_section(results_root, chosen_readout, settings.checkpoint_dir)
