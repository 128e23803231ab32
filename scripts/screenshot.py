"""Save screenshots of the app's pages (docs/screenshots/PAGE.png) from a real browser.

    python scripts/screenshot.py [--pages all | home,tour,explorer,...] [--data data/demo]
                                 [--checkpoints checkpoints]

Starts `streamlit run app.py` on a free port, opens each page in headless Debian Chromium
(/usr/bin/chromium) in a fresh session, waits until it has drawn (the Explorer: until the
default case has run; result pages: their first plot, read from results/; "tour": the
landing page's Start the demo pressed, the tour's first step run), and saves it. The
picture is cut below the page's last content and reduced to a 256-colour palette (the
page's flat colours and colour scales survive) so each file stays small: MAX_BYTES is the
aim, and a larger file is reported (exit 1).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np

from locnet.errors import LocNetError
from tests.browser import serve

RENDER_TIMEOUT_MS = 300_000
MAX_BYTES = 300_000
MARGIN_PX = 40  # kept under a page's last content
# page -> (URL path, CSS selector that shows the page has drawn its content)
PAGES = {
    "home": ("", '[data-testid="stMetric"]'),
    "tour": ("", ".st-key-tour_box"),  # reached by pressing Start the demo on the landing page
    "explorer": ("explorer", '[data-testid="stTable"]'),
    "benchmark": ("benchmark", ".js-plotly-plot"),
    "ablation": ("ablation", ".js-plotly-plot"),
    "environments": ("gallery_environments", ".js-plotly-plot"),
    "cases": ("gallery_cases", ".js-plotly-plot"),
}


def small_png(raw: bytes, out: Path) -> int:
    """Write screenshot bytes as a palette PNG (256 colours, optimised); returns its size."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(raw)).convert("RGB")
    pixels = np.asarray(image)
    content = np.flatnonzero((pixels != pixels[-1]).any(axis=(1, 2)))  # rows unlike the last
    if content.size:  # no empty band under a short page
        image = image.crop((0, 0, image.width, min(image.height, content[-1] + 1 + MARGIN_PX)))
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    return out.stat().st_size


def show(page, url: str, name: str) -> None:
    """Open page `name` in `page` and wait until it has drawn and its script runs are over."""
    path, ready = PAGES[name]
    page.goto(f"{url.rstrip('/')}/{path}")
    if name == "tour":
        start = page.get_by_role("button", name="Start the demo")
        start.wait_for(timeout=RENDER_TIMEOUT_MS)
        serve.settle(page, RENDER_TIMEOUT_MS)
        start.click()
    page.locator(ready).first.wait_for(timeout=RENDER_TIMEOUT_MS)
    serve.settle(page, RENDER_TIMEOUT_MS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/demo", help="dataset folder (RadioMapSeer layout)")
    parser.add_argument("--checkpoints", default="checkpoints", help="checkpoint folder")
    parser.add_argument(
        "--pages", default="explorer", help=f"'all' or a comma list of {', '.join(PAGES)}"
    )
    parser.add_argument(
        "--out-dir", default=str(ROOT / "docs/screenshots"), help="folder for PAGE.png files"
    )
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=2100)
    args = parser.parse_args(argv)
    pages = (
        list(PAGES)
        if args.pages == "all"
        else [p.strip() for p in args.pages.split(",") if p.strip()]
    )
    unknown = sorted(set(pages) - set(PAGES))
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}; choose from all, {', '.join(PAGES)}")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.mkdtemp(prefix="locnet-screenshot-")) / "server.log"
    from playwright.sync_api import Error as PlaywrightError

    too_big = []
    try:
        with serve.running_app(
            Path(args.data).resolve(), Path(args.checkpoints).resolve(), log
        ) as url:
            for name in pages:
                with serve.chromium_page({"width": args.width, "height": args.height}) as page:
                    start, out = time.monotonic(), out_dir / f"{name}.png"
                    show(page, url, name)
                    size = small_png(page.screenshot(), out)
                    if page.locator('[data-testid="stException"]').count():
                        raise LocNetError(f"the {name} page shows an exception: see {out}")
                    print(
                        f"saved {out} ({size // 1024} KiB) after {time.monotonic() - start:.1f} s"
                    )
                    if size > MAX_BYTES:
                        too_big.append(f"{out.name} ({size // 1024} KiB)")
    except LocNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PlaywrightError as exc:  # e.g. a timeout: say where the server log is
        print(f"error: {type(exc).__name__}: {exc}\nserver log: {log}", file=sys.stderr)
        return 1
    if too_big:
        print(f"larger than {MAX_BYTES // 1000} KB: {', '.join(too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
