"""The guided tour in a real Chromium (issue #26): from the landing page through every
step to "your own data" and Finish, with no exception on any of them; at each case step
the Explorer shows the case the tour's box names (map, transmitter, rate, number of
sensors) and its results table holds the errors the box states.

The app is served with LOCNET_RESULTS at a results root whose main folder was written by
`evaluate` on the tiny dataset with the very checkpoint the app runs (tests/app/evaluated.py),
so the folder's numbers are the Explorer's. Everything compared is read from the page:
the box's text, the Explorer's widgets, its results table (the grid's accessible cells)
and the plotly titles. The random weights find the transmitter nowhere, so the first
step says there is no such case (its rule is tested both ways in tests/app/test_tour.py).
Screenshots of every step go to the test's tmp dir.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from locnet.app.tour import NO_CASE_TITLE, TITLES
from locnet.evaluate.folders import ROOT_ENV
from tests.app.evaluated import evaluate_into
from tests.browser import serve

pytestmark = pytest.mark.browser

RENDER_TIMEOUT_MS = 180_000  # cold start: torch, the dataset, the models
STEP_TIMEOUT_MS = 300_000
STEP_TITLES = (
    *TITLES.values(),
    "Across sampling rates: the benchmark",
    "Your own data",
)
HEADER = re.compile(r"Guided tour · step (\d+) of (\d+): (.+)")
WHERE = re.compile(
    r"(?P<city>.+?), map (?P<map>\d+), transmitter (?P<tx>\d+): (?P<n>\d+) sensors? "
    r"\((?P<rate>[\d.]+) % of the pixels\)"
)


@pytest.fixture(scope="module")
def tour_app(
    tiny_dataset: Path, browser_checkpoints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """URL of an app whose main results folder evaluated the app's own checkpoint."""
    root = evaluate_into(tiny_dataset, browser_checkpoints, tmp_path_factory.mktemp("tour"))
    log = tmp_path_factory.mktemp("streamlit-tour") / "server.log"
    env = {ROOT_ENV: str(root)}  # the server's results folder, not this process's
    with serve.running_app(tiny_dataset, browser_checkpoints, log, env=env) as url:
        yield url


def figure_errors(page) -> dict[str, float]:
    """{model: error (m)} from the result figures' titles ('RSS centroid: error 8.2 m')."""
    found = {}
    for title in page.locator(".gtitle").all_text_contents():
        match = re.match(
            r"(.+?)(?: \(not trained enough \(at chance\)\))?: error ([\d.]+) m", title
        )
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def table_errors(page) -> dict[str, float]:
    """{model: error (m)} from the Explorer's results table (a static HTML table)."""
    grid = page.locator("[data-testid=stTable] table").filter(
        has=page.locator("th", has_text="error (m)")
    )
    assert grid.count() == 1, "no results table on the page"
    header = grid.locator("thead th").all_inner_texts()
    column = header.index("error (m)")
    found = {}
    for row in grid.locator("tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        if cells[column].strip():
            found[cells[0]] = float(cells[column])
    return found


def stated_errors(text: str) -> dict[str, float]:
    """The tour box's numbers: LocNet's, the best classical method's when it names one, and
    the list in brackets ('(Path-loss fit 86.1 m, RSS centroid 82.0 m)') when there is one."""
    found = {}
    locnet = re.search(r"LocNet(?:'s answer is| is|'s point answer misses by) ([\d.]+) m", text)
    if locnet:
        found["LocNet"] = float(locnet.group(1))
    rival = re.search(r"best classical method, ([^,]+), is ([\d.]+) m off(?: \(([^)]*)\))?", text)
    if rival:
        found[rival.group(1)] = float(rival.group(2))
        for label, value in re.findall(r"([^,]+?) ([\d.]+) m(?:, |$)", rival.group(3) or ""):
            found[label] = float(value)
    return found


def assert_explorer_shows(page, where: re.Match) -> None:
    """The Explorer's widgets show the case the box names."""
    assert page.locator("h1").first.inner_text() == "Explorer"
    environment = page.get_by_role("combobox", name=re.compile("^Environment")).input_value()
    assert environment.startswith(f"map {where['map']} · {where['city']}"), environment
    transmitter = page.get_by_role("combobox", name="Transmitter").input_value()
    assert transmitter.startswith(f"transmitter {where['tx']} at "), transmitter
    rate = page.get_by_role("slider", name=re.compile("^Sampling rate")).input_value()
    assert float(rate) == pytest.approx(float(where["rate"])), rate
    n = int(where["n"])
    count = page.get_by_text(re.compile(rf"^{n} sensors? · effective rate"))
    assert count.count() >= 1, f"the sensor count is not {n}"
    assert f"{where['city']} · transmitter {where['tx']} at" in " ".join(
        page.locator(".gtitle").all_text_contents()
    )  # the case map's title


def test_the_tour_from_the_landing_page_to_your_own_data(tour_app, chromium_page, tmp_path):
    page = chromium_page
    page.goto(tour_app)
    start = page.get_by_role("button", name="Start the demo")
    start.wait_for(timeout=RENDER_TIMEOUT_MS)
    serve.settle(page)
    assert page.locator("[data-testid=stException]").count() == 0, "landing page"
    assert page.locator("[data-testid=stMetric]").count() == 3  # the headline numbers
    page.screenshot(path=str(tmp_path / "landing.png"), full_page=True)
    start.click()
    seen, case_steps, missing_steps = [], 0, 0
    for index, expected in enumerate(STEP_TITLES):
        box = page.locator(".st-key-tour_box")
        box.wait_for(timeout=STEP_TIMEOUT_MS)
        serve.settle(page, STEP_TIMEOUT_MS)
        assert page.locator("[data-testid=stException]").count() == 0, f"step {index + 1}"
        text = box.inner_text()
        number, total, title = HEADER.fullmatch(text.splitlines()[0]).groups()
        assert (int(number), int(total)) == (index + 1, len(STEP_TITLES)), text
        assert title in (expected, f"{expected}: {NO_CASE_TITLE}"), text
        seen.append(title)
        page.screenshot(path=str(tmp_path / f"step{index + 1}.png"), full_page=True)
        where = WHERE.search(text)
        if title.endswith(NO_CASE_TITLE):  # said plainly, shown beside the benchmark
            assert where is None and page.locator("h1").first.inner_text() == "Benchmark"
            assert re.search(r"in none of its \d+ test cases|none of LocNet's", text), text
            missing_steps += 1
        elif where is not None:  # a case step: the Explorer shows that case, its numbers
            assert_explorer_shows(page, where)
            stated, table = stated_errors(text), table_errors(page)
            assert "LocNet" in stated, text
            if title != TITLES["regions"]:  # these two name the best classical method
                assert len(stated) >= 2, text
            for model, value in stated.items():
                assert table.get(model) == pytest.approx(value, abs=0.051), (title, model, table)
            shown = figure_errors(page)
            assert set(shown) == set(table), (shown, table)
            assert all(shown[m] == pytest.approx(v, abs=0.051) for m, v in table.items())
            case_steps += 1
        elif title == "Across sampling rates: the benchmark":
            assert page.locator("h1").first.inner_text() == "Benchmark"
        if title == "Your own data":
            assert page.locator("h1").first.inner_text() == "Explorer"
            page.get_by_text("Example loaded").first.wait_for(timeout=STEP_TIMEOUT_MS)
            assert "LocNet" in table_errors(page)
            box.get_by_role("button", name="Finish").click()
        else:
            box.get_by_role("button", name="Next ▶").click()
    serve.settle(page, STEP_TIMEOUT_MS)
    assert page.locator("[data-testid=stException]").count() == 0, "after Finish"
    assert page.locator(".st-key-tour_box").count() == 0  # the tour ended
    assert seen[-1] == "Your own data" and case_steps + missing_steps == len(TITLES)
    assert case_steps >= 2  # the "fail" rule always has a case where LocNet has samples
    plot_titles = page.locator(".gtitle").evaluate_all("els => els.map(e => e.innerHTML)")
    assert plot_titles and not any("<b>" in t for t in plot_titles)  # no theme-made <b>
