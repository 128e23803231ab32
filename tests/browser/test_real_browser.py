"""Real measurements in a real Chromium: the Cases page lists a measured POWDER sample, its
"Open in Explorer" shows that sample in the Explorer's real source, and the map's legend
there names the same error as the card (and as results/powder), with no exception."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from locnet.evaluate.folders import SAMPLES_FILE
from locnet.measurements.evaluate import RESULTS_FOLDER
from tests.browser import serve

pytestmark = pytest.mark.browser

RENDER_TIMEOUT_MS = 120_000  # cold start: imports torch, opens the POWDER copy
HEADER = re.compile(r"#\d+ · (\S+ \S+) · split (\w+) test side")
ERROR_LINE = re.compile(r"(rss-[\w-]+)(?: \((\w+)\))?: error ([\d.]+) m")


def test_a_real_case_opens_in_the_explorer_with_the_same_error(app_url, chromium_page, tmp_path):
    page = chromium_page
    page.goto(app_url)
    page.get_by_role("button", name="Start the demo").wait_for(timeout=RENDER_TIMEOUT_MS)
    page.locator("[data-testid=stSidebarNav] a", has_text="Cases").first.click()
    page.get_by_text("Real measurements (POWDER)").first.click()  # the page's toggle
    open_button = page.get_by_role("button", name="Open in Explorer").first
    open_button.wait_for(timeout=RENDER_TIMEOUT_MS)
    serve.settle(page)
    page.screenshot(path=str(tmp_path / "real_cases.png"))
    markdown = page.locator("[data-testid=stMarkdown]")  # the first card's lines come first
    header = HEADER.search(markdown.filter(has_text="test side").first.inner_text())
    line = ERROR_LINE.search(markdown.filter(has_text=": error ").first.inner_text())
    assert header and line
    (sample, split), (model, readout, card_error) = header.groups(), line.groups()
    table = pd.read_parquet(RESULTS_FOLDER / split / SAMPLES_FILE)
    row = table[(table["sample"] == sample) & (table["model"] == model)].iloc[0]
    assert float(card_error) == pytest.approx(row["error_m"], abs=0.051)

    open_button.click()
    page.get_by_role("heading", name="Explorer").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    serve.settle(page)
    legend = f"{model} ({readout}): {card_error} m" if readout else f"{model}: {card_error} m"
    plot = page.locator(".js-plotly-plot", has_text=sample).first
    plot.wait_for(timeout=RENDER_TIMEOUT_MS)
    page.screenshot(path=str(tmp_path / "real_explorer.png"))
    assert plot.locator(".legendtext", has_text=legend).count() == 1, plot.inner_text()
    assert page.locator("[data-testid=stException]").count() == 0
    assert page.locator("[data-testid=stAlertContentError]").count() == 0
