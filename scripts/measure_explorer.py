"""Time the Explorer with three models: model time, page reruns and, in Chromium, first page,
click -> result and the bytes each click sends.

    python scripts/measure_explorer.py [--data data/demo] [--checkpoints checkpoints]
        [--models locnet,strongest,centroid] [--repeats 10] [--threads N] [--no-browser]
        [--profile]
    python scripts/measure_explorer.py > results/bench/explorer.txt   # the recorded numbers

Goals (issue #26), with 3 models (LocNet and two classical baselines, the Explorer's
default selection; `--models` takes other registry names): per-click payload <= 1 MB,
first page <= 3 s and click -> result <= 1 s on an idle 2-core machine. Measured:

- model time per click of each model (`Answer.runtime_ms`; LocNet also with TTA);
- the page rerun after a click, a readout change and no change (AppTest: server side only);
- in headless Debian Chromium against `streamlit run app.py`: the first page, landing and
  Explorer (the server's first visit is "cold": imports, dataset, models; then new
  sessions on the warm server, from an empty browser cache, as a first visit downloads
  Streamlit's scripts, and from a warm one, a return visit; and the Explorer reached by
  its sidebar link from a first visit's landing page); click -> result (a click on
  the case map adds a sensor and every model runs again; timed by the page's own clock
  from the click to the page's last change, so the figures are drawn); the websocket
  bytes the server sends per click; the CPU time per click of the server and of Chromium
  (all threads, read from /proc: the work done, though threads that spin while they wait
  for a busy core add to it).

Chromium runs on the same 2 cores as the server, without a GPU (software rendering),
which a visitor's own machine would not share. A "click" is a sensor added on an outdoor
pixel away from buildings. Every line gives the median and 90th percentile over the
repeats and the 1-minute load average while they ran (median and maximum): on a shared
machine the times say as much about the load as about the app. Nothing is asserted.
Without a LocNet checkpoint, one with random weights is used (the timing does not depend
on the weights). `--threads` sets torch's threads here and in the server (with the other
core busy, 1 thread is steadier than 2); `--profile` prints where a rerun's time goes
and the JavaScript functions and source modules that one more Explorer first page and one
more click spend their browser time in.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

from locnet.app.clicks import add_sensor
from locnet.app.keys import (
    CHECKPOINT_DIR,
    DATASET_DIR,
    DEFAULT_RATE_PERCENT,
    MAP_ID,
    MODELS,
    READOUT,
    READOUT_AUTO,
    READOUT_CHOICES,
)
from locnet.errors import LocNetError
from locnet.evaluate.tables import portable_path
from tests.browser import serve
from tests.browser.profiling import cpu_seconds, js_profile, process_tree

DEFAULT_MODELS = "locnet,strongest,centroid"
GOAL_PAYLOAD_BYTES = 1_000_000
GOAL_FIRST_PAGE_S = 3.0
GOAL_CLICK_S = 1.0
CLEAR_PX = 5  # a clicked pixel has no building within this many pixels
BROWSER_TIMEOUT_MS = 300_000
# Installed before any page script: the page's clock at the last change of the document.
LAST_CHANGE_JS = """
window.__lastChange = 0;
new MutationObserver(() => { window.__lastChange = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""


class Series:
    """Repeated measurements of one thing, each with the load average when it was taken."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.loads: list[float] = []

    def add(self, value: float) -> None:
        self.values.append(value)
        self.loads.append(os.getloadavg()[0])

    def median(self) -> float:
        return float(np.median(self.values))

    def line(self, unit: str = "ms", scale: float = 1.0) -> str:
        v = np.asarray(self.values) * scale
        fmt = ".2f" if unit == "s" else (",.0f" if unit == "bytes" else ".1f")
        return (
            f"median {np.median(v):{fmt}} {unit}   p90 {np.percentile(v, 90):{fmt}} {unit}   "
            f"(n={len(v)}; load {np.median(self.loads):.1f}, max {max(self.loads):.1f})"
        )


def checkpoint_folder(folder: Path) -> tuple[Path, str]:
    """The folder if it holds a LocNet checkpoint, else a temp one with random weights."""
    from locnet.models.checkpoints import list_checkpoints, save_checkpoint
    from locnet.models.registry import create_model

    if any(c.model == "locnet" for c in list_checkpoints(folder)):
        return folder, f"from {portable_path(folder)}"
    tmp = Path(tempfile.mkdtemp(prefix="locnet-measure-"))
    save_checkpoint(tmp / "locnet.pt", "locnet", create_model("locnet"))
    return tmp, "random weights"


def choose_models(names: list[str], checkpoints: Path) -> list:
    """The Explorer's picker entries (ModelChoice) of registry `names`, in that order."""
    from locnet.app.models import model_choices
    from locnet.models.checkpoints import list_checkpoints

    choices = model_choices(list_checkpoints(checkpoints), str(checkpoints))
    picked = []
    for name in names:
        found = [c for c in choices if c.model == name and c.available]
        if not found:
            known = ", ".join(sorted({c.model for c in choices if c.available}))
            raise LocNetError(f"--models: '{name}' is not available here (choose from {known})")
        picked.append(found[0])
    return picked


def open_pixels(buildings: np.ndarray, n: int, seed: int) -> list[tuple[int, int]]:
    """n distinct (x, y) pixels with no building within CLEAR_PX (on the click grid's even
    pixels), so every click adds a sensor."""
    from scipy.ndimage import binary_dilation

    near = binary_dilation(buildings > 0, iterations=CLEAR_PX)
    near[:CLEAR_PX], near[-CLEAR_PX:], near[:, :CLEAR_PX], near[:, -CLEAR_PX:] = (True,) * 4
    near[1::2] = near[:, 1::2] = True
    ys, xs = np.nonzero(~near)
    if len(xs) < n:
        raise LocNetError(f"the default map has only {len(xs)} open pixels to click on")
    picks = np.random.default_rng(seed).choice(len(xs), size=n, replace=False)
    return [(int(xs[i]), int(ys[i])) for i in picks]


def measure_models(dataset: Path, checkpoints: Path, models: list, repeats: int) -> None:
    """Model time per click (Answer.runtime_ms: readouts and regions included) of each model
    on the first test case, one more sensor each time; LocNet also with TTA."""
    from locnet.data.radiomapseer import open_dataset
    from locnet.data.sampling import n_sensors_for_rate, sample_mask
    from locnet.inference import load_model, predict

    ds = open_dataset(dataset)
    map_id, tx_id = (ds.samples_in("test") or ds.samples)[0]
    buildings, gray = ds.buildings(map_id), ds.radio_map(map_id, tx_id)
    start_mask = sample_mask(buildings, DEFAULT_RATE_PERCENT, np.random.default_rng(0))
    n = n_sensors_for_rate(DEFAULT_RATE_PERCENT)
    for choice in models:
        model = load_model(choice.spec, checkpoints, "cpu")
        predict(model, buildings, mask=start_mask, radio_gray=gray)  # warm-up, as the app's
        times, mask = Series(), start_mask.copy()
        for x, y in open_pixels(buildings, repeats, 1):
            mask[y, x] = 1
            times.add(predict(model, buildings, mask=mask, radio_gray=gray).runtime_ms)
        print(f"model time per click, {choice.label} ({n}+ sensors): {times.line()}")
        if choice.model == "locnet":
            tta = Series()
            for _ in range(max(3, repeats // 4)):
                tta.add(predict(model, buildings, mask=mask, radio_gray=gray, tta=True).runtime_ms)
            print(f"  the same with test-time augmentation (8 passes): {tta.line()}")


def explorer_apptest(dataset: Path, checkpoints: Path, labels: list[str]):
    """An AppTest of the Explorer with `labels` selected, run once; (app test, seconds)."""
    from streamlit.testing.v1 import AppTest

    # AppTest runs pages outside a server: streamlit warns "missing ScriptRunContext" for
    # every cached call; those lines would bury the measurements.
    logging.disable(logging.WARNING)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state[DATASET_DIR] = str(dataset)
    at.session_state[CHECKPOINT_DIR] = str(checkpoints)
    at.session_state[MODELS] = list(labels)
    at.switch_page("app_pages/explorer.py")  # the app opens on the landing page
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception or at.error:
        problems = [e.value for e in [*at.exception, *at.error]]
        raise LocNetError(f"the Explorer did not load: {problems}")
    return at, seconds


def measure_reruns(dataset: Path, checkpoints: Path, labels: list[str], repeats: int) -> None:
    """AppTest wall time of a rerun after a click (every model runs), after a readout change
    (no model runs) and with nothing changed: the server's share of a click."""
    from locnet.data.radiomapseer import open_dataset

    at, seconds = explorer_apptest(dataset, checkpoints, labels)
    print(f"AppTest first run of the Explorer (cold: imports, dataset, models): {seconds:.1f} s")
    buildings = open_dataset(dataset).buildings(at.session_state[MAP_ID])
    after_click, unchanged, readout_change = Series(), Series(), Series()
    readouts = [r for r in READOUT_CHOICES if r != READOUT_AUTO]
    for i, (x, y) in enumerate(open_pixels(buildings, repeats, 2)):
        add_sensor(at.session_state, buildings, x, y)
        for series in (after_click, unchanged):
            start = time.perf_counter()
            at.run()
            series.add((time.perf_counter() - start) * 1000)
        at.session_state[READOUT] = readouts[i % len(readouts)]
        start = time.perf_counter()
        at.run()
        readout_change.add((time.perf_counter() - start) * 1000)
        at.session_state[READOUT] = READOUT_AUTO
    shown = set(at.table[0].value["model"]) if len(at.table) else set()
    if at.exception or not set(labels) <= shown:
        raise LocNetError(f"the reruns did not show every model's result (shown: {shown})")
    print(f"AppTest rerun after a click ({len(labels)} models run): {after_click.line()}")
    print(f"AppTest rerun after a readout change (no model runs): {readout_change.line()}")
    print(f"AppTest rerun with nothing changed:                   {unchanged.line()}")


def profile_reruns(dataset: Path, checkpoints: Path, labels: list[str], repeats: int) -> None:
    """Where `repeats` reruns after a click spend their time: the script runs in its own
    thread (cProfile sees only the caller's), so its stack is sampled every 2 ms and each
    function's share of the samples is printed (inclusive: time in it and below it)."""
    import collections
    import threading

    from locnet.data.radiomapseer import open_dataset

    at, _ = explorer_apptest(dataset, checkpoints, labels)
    buildings = open_dataset(dataset).buildings(at.session_state[MAP_ID])
    inclusive: collections.Counter = collections.Counter()
    samples, done = [0], threading.Event()
    caller = threading.get_ident()

    def sample() -> None:
        me = threading.get_ident()
        while not done.wait(0.002):
            for ident, frame in sys._current_frames().items():
                seen = set()
                while ident not in (me, caller) and frame is not None:
                    code = frame.f_code
                    seen.add(f"{_short(code.co_filename)}:{code.co_name}")
                    frame = frame.f_back
                if any(name.endswith(":code_to_exec") for name in seen):  # the page's run
                    inclusive.update(seen)
                    samples[0] += 1

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    for x, y in open_pixels(buildings, repeats, 3):
        add_sensor(at.session_state, buildings, x, y)
        at.run()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    print(
        f"where {repeats} reruns after a click spend their {wall:.2f} s (share of the "
        f"{samples[0]} samples of the page's script, inclusive):"
    )
    for name, count in inclusive.most_common(60):
        if name.startswith(("locnet/", "app_pages/", "torch/", "plotly/", "numpy/")):
            print(f"  {100 * count / max(1, samples[0]):5.1f} %  {name}")


def _short(filename: str) -> str:
    """A code file's path from the project or from site-packages (no machine path)."""
    path = Path(filename)
    if "site-packages" in path.parts:
        return "/".join(path.parts[path.parts.index("site-packages") + 1 :])
    return portable_path(path)


FILES_JS = "performance.getEntriesByType('resource').reduce((s, e) => s + e.transferSize, 0)"
VIEWPORT = {"width": 1600, "height": 1100}


def new_context(browser):
    """A browser context (its own HTTP cache) whose pages carry the last-change clock."""
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(LAST_CHANGE_JS)
    return context


class PageClock:
    """A new page (a new app session) in `context`, counting the websocket's bytes from
    the server."""

    def __init__(self, context) -> None:
        self.page = context.new_page()
        self.received = 0
        self.page.on("websocket", lambda ws: ws.on("framereceived", self._count))

    def _count(self, payload) -> None:
        self.received += len(payload)

    def now_ms(self) -> float:
        return float(self.page.evaluate("performance.now()"))

    def last_change_ms(self) -> float:
        """The page clock at its last change, once the app's runs are over."""
        serve.settle(self.page, BROWSER_TIMEOUT_MS)
        return float(self.page.evaluate("window.__lastChange"))

    def open(self, url: str, ready: str) -> tuple[float, int, int]:
        """(seconds from navigation start to the page's last change, websocket bytes,
        bytes of files fetched over HTTP: 0 from a warm browser cache)."""
        self.received = 0
        self.page.goto(url)
        self.page.locator(ready).first.wait_for(timeout=BROWSER_TIMEOUT_MS)
        seconds = self.last_change_ms() / 1000
        return seconds, self.received, int(self.page.evaluate(FILES_JS))


def first_pages(browser, url: str, repeats: int, profile: bool = False) -> dict[str, Series]:
    """Seconds to the first page drawn, landing and Explorer: the server's first visit
    (cold, printed), then `repeats` new sessions from an empty browser cache (a first
    visit: Streamlit's scripts are downloaded) and from a warm one (a return visit); also
    the Explorer reached from a first visit's landing page (its link in the sidebar: the
    scripts are loaded, plotly's is not), a visitor's usual way in. `profile`: one more
    Explorer first page (warm cache) under the JavaScript profiler."""
    pages = {
        "landing": (url, '[data-testid="stMetric"]'),
        "Explorer": (f"{url}/explorer", '[data-testid="stTable"]'),
    }
    found = {(name, cache): Series() for name in pages for cache in ("empty", "warm")}
    from_landing = Series()
    cached = new_context(browser)
    for visit in range(repeats + 1):
        for name, (address, ready) in pages.items():
            fresh = new_context(browser)
            clock = PageClock(fresh)
            seconds, sent, files = clock.open(address, ready)
            if visit and name == "landing":
                from_landing.add(explorer_from_landing(clock, pages["Explorer"][1]))
            fresh.close()
            if visit == 0:
                print(
                    f"first page, {name}, the server's first visit (cold): {seconds:.2f} s; "
                    f"websocket {sent:,} bytes, files {files:,} bytes "
                    f"(load {os.getloadavg()[0]:.1f})"
                )
                continue
            found[(name, "empty")].add(seconds)
            clock = PageClock(cached)
            found[(name, "warm")].add(clock.open(address, ready)[0])
            clock.page.close()
    if profile:
        clock = PageClock(cached)
        address, ready = pages["Explorer"]
        js_profile(
            cached,
            clock.page,
            "the Explorer's first page (warm browser cache)",
            lambda: clock.open(address, ready),
            BROWSER_TIMEOUT_MS,
        )
    cached.close()
    series = {f"{name}, {cache} browser cache": found[(name, cache)] for name, cache in found}
    return {**series, "Explorer, reached from a first visit's landing page": from_landing}


def explorer_from_landing(clock: PageClock, ready: str) -> float:
    """Seconds from a click on the sidebar's Explorer link on the landing page `clock`
    shows to the Explorer drawn."""
    page = clock.page
    start = clock.now_ms()
    page.locator("[data-testid=stSidebarNavLink]", has_text="Explorer").first.click()
    page.locator(ready).first.wait_for(timeout=BROWSER_TIMEOUT_MS)
    return (clock.last_change_ms() - start) / 1000


def select_models(page, labels: list[str]) -> None:
    """Make `labels` the Explorer's Models selection (cleared, then picked one by one)."""
    box = page.get_by_role("combobox", name="Models", exact=True)
    clear = (
        page.locator("[data-testid=stMultiSelect]")
        .filter(has=box)
        .get_by_role("button", name="Clear all")
    )
    if clear.count():
        clear.first.click()
        serve.settle(page, BROWSER_TIMEOUT_MS)
    for label in labels:  # each pick reruns the page: wait for it before the next
        box.click()
        box.fill(label)
        page.get_by_role("option", name=label, exact=True).first.click(timeout=BROWSER_TIMEOUT_MS)
        page.keyboard.press("Escape")
        serve.settle(page, BROWSER_TIMEOUT_MS)


def sensor_count(page) -> int:
    text = page.get_by_text(re.compile(r"^\d+ sensors? · effective rate")).first.inner_text()
    return int(text.split()[0])


def measure_clicks(
    browser, url: str, dataset: Path, labels: list[str], repeats: int, server, profile: bool
) -> dict[str, Series]:
    """click -> result drawn (ms), websocket bytes and CPU time (ms) of the server and of
    the browser per click, with `labels` selected in one Explorer session; `profile`: one
    more click under the JavaScript profiler."""
    from locnet.data.radiomapseer import open_dataset

    found = {name: Series() for name in ("click", "bytes", "server CPU", "Chromium CPU")}
    context = new_context(browser)
    clock = PageClock(context)
    clock.open(f"{url}/explorer", '[data-testid="stTable"]')
    select_models(clock.page, labels)
    env = clock.page.get_by_role("combobox", name=re.compile("^Environment")).input_value()
    buildings = open_dataset(dataset).buildings(int(env.split()[1]))  # "map 12 · ..."
    for xy in open_pixels(buildings, repeats, 4):
        before = sensor_count(clock.page)
        browser_pids = [p for p in process_tree(os.getpid()) if p not in (os.getpid(), server.pid)]
        cpu = cpu_seconds([server.pid]), cpu_seconds(browser_pids)
        clock.received = 0
        start = clock.now_ms()
        serve.click_map(clock.page, xy)
        added = clock.page.get_by_text(re.compile(rf"^{before + 1} sensors? · effective rate"))
        added.first.wait_for(timeout=BROWSER_TIMEOUT_MS)
        found["click"].add(clock.last_change_ms() - start)
        found["bytes"].add(clock.received)
        found["server CPU"].add((cpu_seconds([server.pid]) - cpu[0]) * 1000)
        found["Chromium CPU"].add((cpu_seconds(browser_pids) - cpu[1]) * 1000)
    if profile:
        xy = open_pixels(buildings, 1, 5)[0]
        js_profile(
            context,
            clock.page,
            "one click",
            lambda: serve.click_map(clock.page, xy),
            BROWSER_TIMEOUT_MS,
        )
    shown = clock.page.locator(".gtitle").all_text_contents()
    missing = [m for m in labels if not any(t.startswith(m) for t in shown)]
    context.close()
    if missing:
        raise LocNetError(f"the Explorer did not show {missing} after the clicks ({shown})")
    return found


def measure_browser(
    dataset: Path,
    checkpoints: Path,
    labels: list[str],
    defaults: list[str],
    repeats: int,
    profile: bool = False,
) -> tuple[Series, Series, Series, Series]:
    """The Chromium part against `streamlit run app.py`; returns the series the goals
    read: first landing page, first Explorer page (both from an empty browser cache),
    click -> result and bytes per click."""
    from playwright.sync_api import sync_playwright

    log = Path(tempfile.mkdtemp(prefix="locnet-measure-")) / "server.log"
    url, server = serve.start_app(dataset, checkpoints, log)
    try:
        serve.wait_healthy(url, server, log)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=serve.CHROMIUM, headless=True, args=list(serve.CHROMIUM_ARGS)
            )
            try:
                first = first_pages(browser, url, repeats, profile)
                clicks = measure_clicks(browser, url, dataset, labels, repeats, server, profile)
            finally:
                browser.close()
    finally:
        serve.stop_app(server)
    for name, series in first.items():
        models = f" (its default models: {', '.join(defaults)})" if "Explorer" in name else ""
        print(f"first page, {name}{models}: {series.line('s')}")
    print(f"click -> result drawn ({len(labels)} models run): {clicks['click'].line()}")
    print(f"bytes per click (websocket, server -> browser): {clicks['bytes'].line('bytes')}")
    print(  # the work done per click: steadier than wall time on a shared machine
        f"CPU time per click (all threads): server {clicks['server CPU'].line()}; "
        f"Chromium {clicks['Chromium CPU'].line()}"
    )
    return (
        first["landing, empty browser cache"],
        first["Explorer, empty browser cache"],
        clicks["click"],
        clicks["bytes"],
    )


def goals_line(landing: Series, explorer: Series, clicks: Series, payload: Series) -> str:
    def says(measured: float, goal: float, unit: str) -> str:
        return f"{measured:,.2f} {unit} ({'met' if measured <= goal else 'missed'})"

    first = max(landing.median(), explorer.median())
    return (
        f"goals (medians): payload <= {GOAL_PAYLOAD_BYTES / 1e6:g} MB -> "
        f"{says(payload.median() / 1e6, GOAL_PAYLOAD_BYTES / 1e6, 'MB')}; "
        f"first page <= {GOAL_FIRST_PAGE_S:g} s -> {says(first, GOAL_FIRST_PAGE_S, 's')}; "
        f"click -> result <= {GOAL_CLICK_S:g} s -> {says(clicks.median() / 1000, GOAL_CLICK_S, 's')}"
        f"; load average {os.getloadavg()[0]:.1f} at the end (an idle machine reads ~0)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/demo", help="dataset folder (RadioMapSeer layout)")
    parser.add_argument("--checkpoints", default="checkpoints", help="checkpoint folder")
    parser.add_argument(
        "--models",
        default=DEFAULT_MODELS,
        help=f"registry names, comma-separated ({DEFAULT_MODELS})",
    )
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads here and in the app's server (OMP_NUM_THREADS); default torch's",
    )
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium part")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile reruns, and the JavaScript of an Explorer first page and of a click",
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import Error as PlaywrightError

    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    dataset = Path(args.data).resolve()
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be at least 1")
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the server started below reads it
    try:
        import torch

        if args.threads is not None:
            torch.set_num_threads(args.threads)

        from locnet.app.models import default_selection, model_choices
        from locnet.data.radiomapseer import open_dataset
        from locnet.models.checkpoints import list_checkpoints

        open_dataset(dataset)
        checkpoints, kind = checkpoint_folder(Path(args.checkpoints).resolve())
        models = choose_models(names, checkpoints)
        labels = [c.label for c in models]
        print(
            f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}; models: {', '.join(labels)}; "
            f"LocNet checkpoint: {kind}; data: {portable_path(dataset)}"  # no machine path
        )
        measure_models(dataset, checkpoints, models, args.repeats)
        measure_reruns(dataset, checkpoints, labels, args.repeats)
        if args.profile:
            profile_reruns(dataset, checkpoints, labels, min(args.repeats, 5))
        if not args.no_browser:
            defaults = default_selection(
                model_choices(list_checkpoints(checkpoints), str(checkpoints))
            )
            measured = measure_browser(
                dataset, checkpoints, labels, defaults, args.repeats, args.profile
            )
            print(goals_line(*measured))
    except LocNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PlaywrightError as exc:  # e.g. a timeout in the browser part
        print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
