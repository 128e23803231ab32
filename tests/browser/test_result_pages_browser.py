"""Benchmark, Ablation, Environments and Cases in a real Chromium, with screenshots.

A server of its own is started with LOCNET_RESULTS pointing at a results folder made
from the tiny dataset, so these pages have something to draw. Screenshots are saved
under each test's tmp dir (`pytest --basetemp DIR` keeps them somewhere known).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from locnet.evaluate.folders import ROOT_ENV
from locnet.report.series import PAPER_LABEL
from tests.app.test_result_pages import samples_for_dataset
from tests.browser import serve
from tests.results_data import write_results_folder

pytestmark = pytest.mark.browser

RENDER_TIMEOUT_MS = 120_000  # cold start imports torch and opens the dataset
PAGES = {  # url path -> (title, text that must appear once the page has drawn)
    "benchmark": ("Benchmark", PAPER_LABEL),
    "ablation": ("Ablation", "relative improvement"),
    "gallery_environments": ("Environments", "Worst"),
    "gallery_cases": ("Cases", "Open in Explorer"),
}


@pytest.fixture(scope="module")
def results_app(
    tiny_dataset: Path, browser_checkpoints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of an app whose default results root holds one folder computed on tiny_dataset."""
    from locnet.data.radiomapseer import open_dataset

    root = tmp_path_factory.mktemp("browser-results") / "results"
    write_results_folder(
        root / "tiny",
        samples_for_dataset(tiny_dataset),
        fingerprint=open_dataset(tiny_dataset).fingerprint(),
        dataset_path=str(tiny_dataset),
    )
    log = tmp_path_factory.mktemp("streamlit-results") / "server.log"
    env = {ROOT_ENV: str(root)}  # the server's results folder, not this process's
    with serve.running_app(tiny_dataset, browser_checkpoints, log, env=env) as url:
        yield url


def open_page(page, url: str, path: str) -> None:
    """Start at the app's root and follow the sidebar link, as a user does."""
    title, marker = PAGES[path]
    page.goto(url)
    page.get_by_role("button", name="Start the demo").wait_for(timeout=RENDER_TIMEOUT_MS)
    page.locator("[data-testid=stSidebarNav] a", has_text=title).first.click()
    page.get_by_role("heading", name=title).first.wait_for(timeout=RENDER_TIMEOUT_MS)
    page.get_by_text(marker).first.wait_for(timeout=RENDER_TIMEOUT_MS)


@pytest.mark.parametrize("path", list(PAGES))
def test_page_renders_charts(results_app, chromium_page, tmp_path, path):
    open_page(chromium_page, results_app, path)
    chromium_page.locator(".js-plotly-plot").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    chromium_page.screenshot(path=str(tmp_path / f"{path}.png"), full_page=True)
    assert chromium_page.locator("[data-testid=stException]").count() == 0
    assert chromium_page.locator("[data-testid=stAlertContentError]").count() == 0
    assert (tmp_path / f"{path}.png").stat().st_size > 10_000


def test_benchmark_draws_the_reliability_plot(results_app, chromium_page, tmp_path):
    open_page(chromium_page, results_app, "benchmark")
    title = chromium_page.locator(".gtitle", has_text="Reliability")
    plot = chromium_page.locator(".js-plotly-plot", has=title).first
    plot.wait_for(timeout=RENDER_TIMEOUT_MS)
    plot.scroll_into_view_if_needed()
    chromium_page.screenshot(path=str(tmp_path / "reliability.png"), full_page=True)
    assert plot.locator(".scatterlayer .trace").count() >= 3  # band, diagonal, LocNet...
    assert chromium_page.get_by_text("Heatmap readout").count() > 0
    assert chromium_page.get_by_text("RMSE (m) by heatmap readout").count() == 1


def test_cases_filter_confidently_wrong(results_app, chromium_page, tmp_path):
    open_page(chromium_page, results_app, "gallery_cases")
    chromium_page.get_by_text("confidently wrong", exact=True).first.click()
    outside = chromium_page.get_by_text("outside", exact=True)
    outside.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    chromium_page.screenshot(path=str(tmp_path / "confidently-wrong.png"), full_page=True)
    answers = chromium_page.locator("p", has_text="expected error")
    # every card of the view says "outside"; a compared model's line may say "inside"
    assert outside.count() >= 1 and answers.count() >= outside.count()
    assert chromium_page.locator("[data-testid=stException]").count() == 0


def test_environment_thumbnails_are_images(results_app, chromium_page, tmp_path):
    open_page(chromium_page, results_app, "gallery_environments")
    images = chromium_page.locator("[data-testid=stImage] img")
    images.first.wait_for(timeout=RENDER_TIMEOUT_MS)
    assert images.count() >= 2  # at least one best and one worst environment
    assert images.first.evaluate("img => img.naturalWidth") > 0


def test_open_case_in_explorer(results_app, chromium_page, tmp_path):
    open_page(chromium_page, results_app, "gallery_cases")
    header = chromium_page.locator("p", has_text="#1 ·").first.inner_text()
    parts = [p.strip() for p in header.split("·")]  # "#1", city, "map N", ..., "K sensors"
    map_label, sensors = parts[2], parts[-1]
    chromium_page.get_by_role("button", name="Open in Explorer").first.click()
    chromium_page.get_by_role("heading", name="Explorer").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    chromium_page.get_by_text("opened case").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    chromium_page.screenshot(path=str(tmp_path / "explorer-from-case.png"), full_page=True)
    assert (
        chromium_page.locator("[data-testid=stSidebarNav] a", has_text="Cases").count() == 1
    )  # app frame kept
    assert chromium_page.get_by_text(sensors).count() > 0
    environment = chromium_page.locator("[data-testid=stSelectbox]").first.evaluate(
        "el => el.textContent + ' ' + [...el.querySelectorAll('input')].map(i => i.value).join(' ')"
    )
    assert f"{map_label} ·" in environment
