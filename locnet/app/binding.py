"""Widgets bound to plain session-state keys.

Streamlit drops a widget's own key when a page that does not draw it is shown, so lasting
values (sensors, rate, folders) live in plain keys (locnet.app.state). `bind` copies the
plain value into the widget key before the widget is drawn and back in on_change, so the
widget always shows the lasting value, even after another page or a callback changed it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

State = Any


def widget_key(state_key: str) -> str:
    return f"_w_{state_key}"


def bind(
    state_key: str,
    *,
    convert: Callable[[Any], Any] | None = None,
    then: Callable[[State], None] | None = None,
) -> dict:
    """Keyword arguments (key, on_change) for a widget mirroring `state_key`.

    `convert` normalises the widget value (e.g. float); `then(state)` runs after the copy
    (e.g. state.request_sampling when the rate changed). Do not also pass value/index.
    """
    key = widget_key(state_key)
    st.session_state[key] = st.session_state[state_key]

    def copy_back() -> None:
        value = st.session_state[key]
        st.session_state[state_key] = convert(value) if convert else value
        if then is not None:
            then(st.session_state)

    return {"key": key, "on_change": copy_back}
