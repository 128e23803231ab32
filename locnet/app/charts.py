"""One way to put a plotly figure on a page: without Streamlit's chart theme.

Streamlit's theme rewrites a figure in the browser, and wraps its title in <b>...</b>
each time it draws the same (unchanged, reused) figure again, so titles grew one more
<b> per rerun. Our figures carry their own look (report.style, viz.maps), so every page
draws with theme=None through `show_chart`.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

CHART_CONFIG = {"displaylogo": False}
# The Explorer's result maps, redrawn on every click, without plotly's mode bar: building
# it cost Chromium ~0.07 s of CPU per figure per click (click -> result 1.05 -> 0.98 s with
# none on the page, docs/app.md Speed). Drag still zooms and a double click resets; the
# case map keeps its bar.
RESULT_CHART_CONFIG = {**CHART_CONFIG, "displayModeBar": False}


def show_chart(figure: Any, *, key: str | None = None, **kwargs: Any) -> Any:
    """st.plotly_chart(figure) at the column's width, no theme, no plotly logo."""
    kwargs.setdefault("width", "stretch")
    kwargs.setdefault("config", CHART_CONFIG)
    return st.plotly_chart(figure, key=key, theme=None, **kwargs)
