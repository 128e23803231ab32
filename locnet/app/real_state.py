"""Pure session logic of the Explorer's real-measurement source (no Streamlit): what
"Open in Explorer" on a real sample does, and which models and sample the view shows when
the lasting choice no longer fits (another split, a model without a checkpoint there)."""

from __future__ import annotations

from collections.abc import Sequence

from locnet.app.keys import (
    CASE_SOURCE,
    REAL_DEFAULT_MODELS,
    REAL_MODELS,
    REAL_POSTERIOR,
    REAL_SAMPLE,
    REAL_SET,
    SOURCE_REAL,
    State,
)
from locnet.app.state import init_state


def open_real_sample(state: State, *, split: str, sample: str, model: str | None = None) -> None:
    """Make the Explorer show one measured sample of a split's test side (the Cases page
    calls this, then st.switch_page), with `model` among the models run and, when it has
    a posterior, drawn."""
    init_state(state)
    state[CASE_SOURCE] = SOURCE_REAL
    state[REAL_SET] = split
    state[REAL_SAMPLE] = str(sample)
    if model is not None:
        chosen = list(state[REAL_MODELS] or REAL_DEFAULT_MODELS)
        state[REAL_MODELS] = chosen if model in chosen else [*chosen, model]
        state[REAL_POSTERIOR] = model


def fit_choice(state: State, key: str, options: Sequence, default) -> None:
    """Keep state[key] a value the widget offers: a list keeps its offered items (None:
    `default`'s offered ones), a single value falls back to `default` (or the first option)."""
    value = state.get(key)
    if isinstance(default, (list, tuple)):
        picked = list(default) if value is None else list(value)
        state[key] = [v for v in picked if v in options]
    elif value not in options:
        state[key] = default if default in options else (options[0] if options else None)
