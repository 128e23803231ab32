"""Save screenshots of the app's pages (docs/screenshots/PAGE.png) from a real browser.

    python scripts/screenshot.py [--pages explorer,benchmark,...] [--data data/demo]
                                 [--checkpoints checkpoints]

Starts `streamlit run app.py` on a free port, opens each page in headless Debian Chromium
(/usr/bin/chromium), waits until it has drawn (the Explorer: until the default case has
run; result pages: their first plot, read from results/), and saves it. The viewport is
tall so a whole page is in the picture.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from locnet.errors import LocNetError
from tests.browser import serve

RENDER_TIMEOUT_MS = 180_000
# page -> (URL path, CSS selector that shows the page has drawn its content)
PAGES = {
    "home": ("", '[data-testid="stMetric"]'),
    "explorer": ("explorer", '[data-testid="stDataFrame"]'),
    "benchmark": ("benchmark", ".js-plotly-plot"),
    "ablation": ("ablation", ".js-plotly-plot"),
    "environments": ("gallery_environments", ".js-plotly-plot"),
    "cases": ("gallery_cases", ".js-plotly-plot"),
}
SETTLE_S = 2.0  # let plotly finish drawing after the last element appears


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/demo", help="dataset folder (RadioMapSeer layout)")
    parser.add_argument("--checkpoints", default="checkpoints", help="checkpoint folder")
    parser.add_argument("--pages", default="explorer", help=f"comma list of {', '.join(PAGES)}")
    parser.add_argument(
        "--out-dir", default=str(ROOT / "docs/screenshots"), help="folder for PAGE.png files"
    )
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = sorted(set(pages) - set(PAGES))
    if unknown:
        parser.error(f"unknown page(s) {', '.join(unknown)}; choose from {', '.join(PAGES)}")
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.mkdtemp(prefix="locnet-screenshot-")) / "server.log"
    from playwright.sync_api import Error as PlaywrightError

    try:
        with (
            serve.running_app(
                Path(args.data).resolve(), Path(args.checkpoints).resolve(), log
            ) as url,
            serve.chromium_page({"width": args.width, "height": args.height}) as page,
        ):
            for name in pages:
                path, ready = PAGES[name]
                start, out = time.monotonic(), out_dir / f"{name}.png"
                page.goto(f"{url.rstrip('/')}/{path}")
                page.locator(ready).first.wait_for(timeout=RENDER_TIMEOUT_MS)
                time.sleep(SETTLE_S)
                page.screenshot(path=str(out))
                print(
                    f"saved {out} ({out.stat().st_size // 1024} KiB) after "
                    f"{time.monotonic() - start:.1f} s"
                )
    except LocNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PlaywrightError as exc:  # e.g. a timeout: say where the server log is
        print(f"error: {type(exc).__name__}: {exc}\nserver log: {log}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
