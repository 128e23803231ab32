"""The guided tour in a real Chromium (issue #26): from the landing page to "your own
data" with no exception, each case step's numbers the same as the Explorer's figures.

The app is served with LOCNET_RESULTS at a results root whose main folder was written by
`evaluate` on the tiny dataset with the very checkpoint the app runs (tests/app/evaluated.py).
Numbers are read from the DOM: the tour box's text and the plotly titles ("LocNet: error
12.3 m (...)"). Screenshots of every step go to the test's tmp dir.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from locnet.evaluate.folders import ROOT_ENV
from tests.app.evaluated import evaluate_into
from tests.browser import serve

pytestmark = pytest.mark.browser

RENDER_TIMEOUT_MS = 180_000  # cold start: torch, the dataset, the models
STEP_TIMEOUT_MS = 300_000
MAX_STEPS = 8


@pytest.fixture(scope="module")
def tour_app(
    tiny_dataset: Path, browser_checkpoints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of an app whose main results folder evaluated the app's own checkpoint."""
    root = evaluate_into(tiny_dataset, browser_checkpoints, tmp_path_factory.mktemp("tour"))
    log = tmp_path_factory.mktemp("streamlit-tour") / "server.log"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ROOT_ENV, str(root))
        url, proc = serve.start_app(tiny_dataset, browser_checkpoints, log)
    try:
        serve.wait_healthy(url, proc, log)
        yield url
    finally:
        serve.stop_app(proc)


def figure_errors(page) -> dict[str, float]:
    """{model: error (m)} from the result figures' titles ('RSS centroid: error 8.2 m')."""
    found = {}
    for title in page.locator(".gtitle").all_text_contents():
        match = re.match(r"(.+?)(?: \(not trained enough \(at chance\)\))?: error ([\d.]+) m", title)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def stated_errors(text: str) -> dict[str, float]:
    """The tour box's numbers: LocNet's, and the best classical method's when it names one."""
    found = {}
    locnet = re.search(r"LocNet(?:'s answer| is|'s point answer misses by)[^\d]*?([\d.]+) m", text)
    if locnet:
        found["LocNet"] = float(locnet.group(1))
    rival = re.search(r"best classical method, ([^,]+), is ([\d.]+) m off", text)
    if rival:
        found[rival.group(1)] = float(rival.group(2))
    return found


def test_the_tour_from_the_landing_page_to_your_own_data(tour_app, chromium_page, tmp_path):
    page = chromium_page
    page.goto(tour_app)
    start = page.get_by_role("button", name="Start the demo")
    start.wait_for(timeout=RENDER_TIMEOUT_MS)
    serve.settle(page)
    assert page.locator("[data-testid=stMetric]").count() == 3  # the headline numbers
    page.screenshot(path=str(tmp_path / "landing.png"), full_page=True)
    start.click()
    titles, compared = [], 0
    for step in range(MAX_STEPS):
        box = page.locator(".st-key-tour_box")
        box.wait_for(timeout=STEP_TIMEOUT_MS)
        serve.settle(page, STEP_TIMEOUT_MS)
        assert page.locator("[data-testid=stException]").count() == 0, f"step {step + 1}"
        text = box.inner_text()
        header = text.splitlines()[0]
        titles.append(header)
        page.screenshot(path=str(tmp_path / f"step{step + 1}.png"), full_page=True)
        stated = stated_errors(text)
        if stated:  # a case step: the Explorer's figures say the same numbers
            shown = figure_errors(page)
            for model, value in stated.items():
                assert shown.get(model) == pytest.approx(value, abs=0.051), (header, model, shown)
            compared += 1
        if "Your own data" in header:
            page.get_by_text("Example loaded").first.wait_for(timeout=STEP_TIMEOUT_MS)
            assert "LocNet" in figure_errors(page)
            break
        box.get_by_role("button", name="Next ▶").click()
    assert "Your own data" in titles[-1] and any("Across sampling rates" in t for t in titles)
    assert any("When LocNet fails" in t for t in titles) and compared >= 2
    plot_titles = page.locator(".gtitle").evaluate_all("els => els.map(e => e.innerHTML)")
    assert plot_titles and not any("<b>" in t for t in plot_titles)  # no theme-made <b>
