"""The Explorer's "Upload a case" in a real Chromium: choose the source, upload the example
GeoJSON and lat/lon readings, give the tile centre and the transmit power, see LocNet run
and the map hover give lat/lon; then a bad file shows its message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.test_explorer_browser import RENDER_TIMEOUT_MS, UPDATE_TIMEOUT_MS
from tests.cases.conftest import HELSINKI_CENTER

pytestmark = pytest.mark.browser

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "helsinki"


def _open_upload(page, app_url: str) -> None:
    page.goto(f"{app_url}/explorer")  # the app opens on the landing page
    page.get_by_text("Upload a case", exact=True).wait_for(timeout=RENDER_TIMEOUT_MS)
    page.get_by_text("Upload a case", exact=True).click()
    page.locator('[data-testid="stFileUploader"]').first.wait_for(timeout=UPDATE_TIMEOUT_MS)


def _upload(page, index: int, path: Path) -> None:
    page.locator('[data-testid="stFileUploader"] input[type="file"]').nth(index).set_input_files(
        str(path)
    )


def _type(page, label: str, text: str) -> None:
    box = page.get_by_label(re.compile(f"^{label}"))
    box.fill(text)
    box.press("Enter")


def _see(page, pattern: str) -> None:
    page.get_by_text(re.compile(pattern)).first.wait_for(timeout=UPDATE_TIMEOUT_MS)


def test_upload_geojson_and_latlon_readings_runs_locnet(app_url, chromium_page, tmp_path: Path):
    page = chromium_page
    _open_upload(page, app_url)
    _upload(page, 0, EXAMPLES / "buildings.geojson")  # each step's message says what is missing
    _see(page, "upload the readings CSV too")
    _upload(page, 1, EXAMPLES / "readings_latlon_dbm.csv")
    _see(page, "does not say which 256 m tile")
    _type(page, "Tile centre", f"{HELSINKI_CENTER[0]}, {HELSINKI_CENTER[1]}")
    _see(page, "give the transmit power")
    _type(page, "Transmit power", "23")
    _see(page, r"^33 sensors$")
    page.get_by_text("Results", exact=True).wait_for(timeout=UPDATE_TIMEOUT_MS)
    page.locator(".gtitle", has_text=re.compile(r"LocNet: error \d+(\.\d)? m")).first.wait_for(
        timeout=UPDATE_TIMEOUT_MS
    )
    hover = page.locator(".js-plotly-plot").first.evaluate(
        "gd => gd._fullData.filter(t => t.name === 'lat/lon').map(t => t.hovertemplate)"
    )
    assert hover and "customdata[0]" in hover[0]
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)
    assert (tmp_path / "upload.png").stat().st_size > 10_000


def test_a_bad_readings_file_shows_its_message(app_url, chromium_page, tmp_path: Path):
    page = chromium_page
    _open_upload(page, app_url)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"x_m,y_m,rss\n1,2,-60\n")
    _upload(page, 0, EXAMPLES / "buildings.png")
    _see(page, "upload the readings CSV too")  # the first upload's rerun is over
    _upload(page, 1, bad)
    page.get_by_text(re.compile(r"column 'rss' has no unit")).wait_for(timeout=UPDATE_TIMEOUT_MS)
