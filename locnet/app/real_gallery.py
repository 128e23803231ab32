"""Cases page, "Real measurements (POWDER)": the best and worst measured test samples of a
model on a split, read from `python -m locnet evaluate-powder`'s per-sample tables
(results/powder/<split>/samples.parquet), each card with its error, a small campus map of
the sample and its answer, and "Open in Explorer" (the Explorer's real source, same split,
sample and model: its table shows the same error, computed again from the same fit).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from locnet.app import cache
from locnet.app.binding import bind
from locnet.app.charts import show_chart
from locnet.app.gallery import EXPLORER_PAGE, readout_suffix
from locnet.app.keys import CASES_REAL
from locnet.app.real_explorer import SOURCE_NOTE, powder_dataset, set_samples
from locnet.app.real_state import open_real_sample
from locnet.errors import LocNetError
from locnet.evaluate.folders import META_FILE, SAMPLES_FILE
from locnet.measurements.dataset import PowderDataset
from locnet.measurements.evaluate import RESULTS_FOLDER
from locnet.measurements.splits import SPLIT_NAMES
from locnet.posterior.distribution import equivalent_radius_m
from locnet.viz.campus_map import MapAnswer, campus_figure

VIEWS = ("best", "worst")
CARD_HEIGHT = 400  # px of a card's map
DEFAULT_MODEL = "rss-mlp"


def real_cases_switch() -> bool:
    """Whether the page shows the real measurements' samples instead of a results folder's
    (a toggle: the folder's cases keep their widgets and order)."""
    st.toggle(
        "Real measurements (POWDER)",
        help="Measured samples of the POWDER dataset, from results/powder (docs/real-data.md)",
        **bind(CASES_REAL, convert=bool),
    )
    return bool(st.session_state[CASES_REAL])


def results_root() -> Path:
    return cache.resolve_path(RESULTS_FOLDER)


def evaluated_splits(root: Path) -> list[str]:
    """The splits with a per-sample table under `root`, in the dataset's order."""
    names = [p.parent.name for p in root.glob(f"*/{SAMPLES_FILE}")]
    return sorted(names, key=lambda n: (SPLIT_NAMES.index(n) if n in SPLIT_NAMES else 99, n))


@st.cache_data(show_spinner=False, max_entries=16)
def _split_table(folder: str, mtime_ns: int) -> tuple[pd.DataFrame, dict]:
    path = Path(folder)
    table = pd.read_parquet(path / SAMPLES_FILE)
    meta_path = path / META_FILE
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    return table, meta


def split_table(root: Path, split: str) -> tuple[pd.DataFrame, dict]:
    """(samples.parquet, meta.json) of one split's results folder (cached on its mtime)."""
    path = root / split / SAMPLES_FILE
    return _split_table(str(path.parent), path.stat().st_mtime_ns)


def pick_samples(table: pd.DataFrame, model: str, view: str, k: int) -> pd.DataFrame:
    """The model's k smallest (best) or largest (worst) errors, ties by timestamp."""
    rows = table[table["model"] == model]
    return rows.sort_values(
        ["error_m", "sample"], ascending=[view == "best", True], kind="stable"
    ).head(k)


def card_text(row: pd.Series) -> str:
    """The card's second line: the answer's error and, for a posterior, its 90 % region."""
    text = f"{row['model']}{readout_suffix(row)}: error **{row['error_m']:.1f} m**"
    if pd.notna(row.get("in90")):
        inside = "inside" if bool(row["in90"]) else "**outside**"
        radius = equivalent_radius_m(float(row["area90_m2"]))
        text += f" · 90 % region radius {radius:.0f} m, truth {inside}"
    return text


def show_real_card(
    i: int, row: pd.Series, split: str, dataset: PowderDataset | None, index: dict
) -> None:
    """One evaluated sample: its numbers, a small map, and the button to the Explorer."""
    sample = str(row["sample"])
    with st.container(border=True):
        st.markdown(
            f"**#{index.get(sample, -1) + 1} · {sample}** · split {split} test side · "
            f"{int(row['n_heard'])} receivers heard"
        )
        st.markdown(card_text(row))
        if dataset is not None:
            measured = dataset.sample(sample)
            answer = MapAnswer(row["model"], (row["pred_x_m"], row["pred_y_m"]), row["error_m"])
            figure = campus_figure(
                dataset.grid,
                receivers=measured.receivers,
                receivers_xy_m=measured.xy_m,
                rss_db=measured.rss_db,
                truths_m=measured.truth_m,
                answers=[answer],
                height=CARD_HEIGHT,
            )
            show_chart(figure, key=f"real-card-{i}")
        if st.button("Open in Explorer", key=f"open-real-{i}", icon=":material/open_in_new:"):
            open_real_sample(st.session_state, split=split, sample=sample, model=row["model"])
            st.switch_page(EXPLORER_PAGE)


def real_cases_view() -> None:
    """Best / worst real samples of a model on a split, from results/powder."""
    root = results_root()
    splits = evaluated_splits(root)
    if not splits:
        st.info(
            f"No per-sample results under `{RESULTS_FOLDER}`: make them with "
            "`python -m locnet evaluate-powder` (docs/real-data.md)."
        )
        return
    a, b, c, d = st.columns([1.2, 1.2, 1, 1.4])
    split = a.selectbox("Split (its test side)", splits)
    table, meta = split_table(root, split)
    models = list(dict.fromkeys(table["model"]))
    model = b.selectbox(
        "Model", models, index=models.index(DEFAULT_MODEL) if DEFAULT_MODEL in models else 0
    )
    view = c.radio("Show", VIEWS, horizontal=True)
    k = d.slider("Cases", 1, 12, 4)
    try:
        dataset = powder_dataset()
    except (LocNetError, OSError) as exc:
        dataset = None
        st.warning(f"No maps: cannot open the real measurements ({exc}).")
    index = {}
    if dataset is not None:
        index = {s: i for i, s in enumerate(set_samples(dataset, split))}
        evaluated_on = (meta.get("dataset") or {}).get("fingerprint")
        if evaluated_on and evaluated_on != dataset.fingerprint:
            st.warning(
                f"`{RESULTS_FOLDER / split}` was evaluated on another copy of the data than "
                f"`{dataset.folder}`; refresh it: `python -m locnet evaluate-powder --splits {split}`"
            )
    cases = pick_samples(table, model, view, k)
    for start in range(0, len(cases), 2):
        for column, (i, row) in zip(st.columns(2), cases.iloc[start : start + 2].iterrows()):
            with column:
                show_real_card(i, row, split, dataset, index)
    st.caption(
        f"From `{RESULTS_FOLDER / split / SAMPLES_FILE}` (written {meta.get('date', '?')} by "
        f"`{meta.get('command', 'python -m locnet evaluate-powder')}`): errors in metres on "
        f"the campus grid. {SOURCE_NOTE}"
    )
