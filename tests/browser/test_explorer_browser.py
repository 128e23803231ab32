"""The Explorer in a real Chromium: it renders, a click on the map adds a sensor, LocNet runs
and its figure draws the posterior's 50 % / 90 % credible regions with their legend.

Clicks go to plotly's drag layer (`.nsewdrag`) at the fraction of its box where the chosen
pixel is: the map spans x, y in [-0.5, 255.5] m with rows going down.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from locnet.app import state as S
from locnet.app.keys import MAP_ID, SENSORS
from locnet.constants import MAP_SIZE, PIXEL_M
from locnet.data.radiomapseer import open_dataset
from locnet.data.sampling import sample_mask
from tests.browser import serve

pytestmark = pytest.mark.browser

RENDER_TIMEOUT_MS = 120_000  # cold start: imports torch, opens the dataset, warms LocNet up
UPDATE_TIMEOUT_MS = 60_000
CLEARANCE_PX = 6  # clicked pixel: this far from buildings, sensors and the transmitter
# A text's box includes its line's blank ascent and descent: boxes may touch by this much
# where the glyphs do not (plotly's automargin left "y (m)" 0.4 px into the "250" label's box).
TEXT_BOX_SLACK_PX = 1.0


def default_case(dataset: Path) -> tuple[np.ndarray, list[tuple[int, int]], tuple[int, int]]:
    """What the Explorer opens with: first test map, its first transmitter, sampled sensors."""
    ds = open_dataset(dataset)
    test_maps = [m for m in ds.maps if ds.split_of_map(m) == "test"] or ds.maps
    map_id = test_maps[0]
    tx_id = min(t for m, t in ds.samples if m == map_id)
    state: dict = {}
    S.init_state(state)
    state[MAP_ID] = map_id
    buildings = ds.buildings(map_id)
    S.ensure_sensors(state, buildings, sample_mask)
    return buildings, state[SENSORS], ds.transmitter(map_id, tx_id)


def open_pixel(buildings: np.ndarray, avoid: list[tuple[int, int]]) -> tuple[int, int]:
    """An even (click-grid) outdoor pixel with outdoor surroundings, away from markers."""
    avoid_xy = np.asarray(avoid, dtype=float).reshape(-1, 2)
    c = CLEARANCE_PX
    for y in range(2 * c, MAP_SIZE - 2 * c, 2):
        for x in range(2 * c, MAP_SIZE - 2 * c, 2):
            if buildings[y - c : y + c + 1, x - c : x + c + 1].any():
                continue
            if len(avoid_xy) and np.hypot(avoid_xy[:, 0] - x, avoid_xy[:, 1] - y).min() <= 2 * c:
                continue
            return x, y
    raise AssertionError("no open pixel to click on in the default map")


def building_pixel(buildings: np.ndarray) -> tuple[int, int]:
    """An even pixel deep inside a building (all neighbours within 3 px are building)."""
    for y in range(4, MAP_SIZE - 4, 2):
        for x in range(4, MAP_SIZE - 4, 2):
            if buildings[y - 3 : y + 4, x - 3 : x + 4].all():
                return x, y
    raise AssertionError("no building large enough to click on")


def case_map_sensors(page) -> set[tuple[float, float]]:
    """(x, y) metres of the green sensor markers the case map draws, read from plotly
    (`_fullData`: the arrays as plotly decoded them from the typed-array JSON)."""
    plot = page.locator(".js-plotly-plot").filter(has_text=re.compile(r"transmitter.* at \(")).first
    points = plot.evaluate(
        "gd => gd._fullData.filter(t => (t.name || '').startsWith('sensors'))"
        ".flatMap(t => Array.from(t.x, (x, i) => [x, t.y[i]]))"
    )
    return {(float(x), float(y)) for x, y in points}


def assert_regions_drawn(page) -> None:
    """LocNet's figure names both credible regions in its legend and plotly drew their lines."""
    title = page.locator(".gtitle", has_text=re.compile(r"^LocNet: error"))
    plot = page.locator(".js-plotly-plot").filter(has=title).first
    legend = plot.locator(".legendtext").all_text_contents()
    assert {"50 % region", "90 % region", "mode (argmax)", "mean"} <= set(legend), legend
    lines = plot.evaluate(  # each region is one line trace (outlined on the server)
        "gd => gd._fullData.filter(t => / % region$/.test(t.name || '')).map(t => {"
        " const p = gd.querySelector(`g.trace${t.uid} path.js-line`);"
        " return p ? p.getAttribute('d') || '' : ''; })"
    )
    assert len(lines) == 2 and all(len(d) > 10 for d in lines), lines


def assert_axis_titles_clear(page) -> None:
    """On every map the axis titles sit inside the figure and off the tick labels (the
    margins are fixed, viz.maps.AXIS_MARGIN_PX, not measured by plotly's automargin)."""
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
          const box = el => el.getBoundingClientRect();
          const all = sel => [...gd.querySelectorAll(sel)].map(box);
          const one = sel => { const el = gd.querySelector(sel); return el ? box(el) : null; };
          return {figure: box(gd), ytitle: one('.g-ytitle text'), xtitle: one('.g-xtitle text'),
                  yticks: all('.ytick text'), xticks: all('.xtick text')};
        })"""
    )
    maps = [b for b in boxes if b["ytitle"] and b["yticks"] and b["xticks"]]
    assert len(maps) >= 2, boxes  # the case map and LocNet's
    for b in maps:
        assert b["ytitle"]["left"] >= b["figure"]["left"], b
        assert b["ytitle"]["right"] <= min(t["left"] for t in b["yticks"]) + TEXT_BOX_SLACK_PX, b
        assert b["xtitle"]["top"] >= max(t["bottom"] for t in b["xticks"]) - TEXT_BOX_SLACK_PX, b
        assert b["xtitle"]["bottom"] <= b["figure"]["bottom"], b


def sensor_text(n: int):
    return re.compile(rf"^{n} sensors$")


def test_click_adds_a_sensor_and_locnet_runs(
    app_url, chromium_page, tiny_dataset: Path, tmp_path: Path
):
    page = chromium_page
    buildings, sensors, tx = default_case(tiny_dataset)
    page.goto(f"{app_url}/explorer")  # the app opens on the landing page
    page.get_by_text(sensor_text(len(sensors))).wait_for(timeout=RENDER_TIMEOUT_MS)
    page.locator(".js-plotly-plot .nsewdrag").first.wait_for(timeout=RENDER_TIMEOUT_MS)

    clicked = open_pixel(buildings, [*sensors, tx])
    serve.click_map(page, clicked)
    page.get_by_text(sensor_text(len(sensors) + 1)).wait_for(timeout=UPDATE_TIMEOUT_MS)
    assert page.get_by_text("edited by clicks", exact=False).count() == 1
    for _ in range(40):  # the redrawn map (a new chart key) may mount after the caption
        drawn = case_map_sensors(page)
        if len(drawn) == len(sensors) + 1:
            break
        page.wait_for_timeout(250)
    # the click landed on the clicked pixel, to the metre
    assert (clicked[0] * PIXEL_M, clicked[1] * PIXEL_M) in drawn and len(drawn) == len(sensors) + 1

    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text("Results", exact=True).wait_for(timeout=UPDATE_TIMEOUT_MS)
    page.locator('[data-testid="stTable"]').first.wait_for(timeout=UPDATE_TIMEOUT_MS)
    page.locator(".gtitle", has_text=re.compile(r"LocNet: error \d+(\.\d)? m")).first.wait_for(
        timeout=UPDATE_TIMEOUT_MS
    )
    assert page.get_by_text(sensor_text(len(sensors) + 1)).count() == 1  # the rerun kept it
    assert_regions_drawn(page)
    assert_axis_titles_clear(page)
    page.screenshot(path=str(tmp_path / "explorer.png"))
    assert (tmp_path / "explorer.png").stat().st_size > 10_000


def test_click_on_a_building_is_refused_with_a_message(app_url, chromium_page, tiny_dataset: Path):
    page = chromium_page
    buildings, sensors, _ = default_case(tiny_dataset)
    page.goto(f"{app_url}/explorer")  # the app opens on the landing page
    page.get_by_text(sensor_text(len(sensors))).wait_for(timeout=RENDER_TIMEOUT_MS)
    page.locator(".js-plotly-plot .nsewdrag").first.wait_for(timeout=RENDER_TIMEOUT_MS)
    serve.click_map(page, building_pixel(buildings))
    page.get_by_text("inside a building", exact=False).wait_for(timeout=UPDATE_TIMEOUT_MS)
    assert page.get_by_text(sensor_text(len(sensors))).count() == 1
