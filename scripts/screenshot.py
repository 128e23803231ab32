"""Save a screenshot of the Explorer (docs/screenshots/explorer.png) from a real browser.

    python scripts/screenshot.py [--data data/demo] [--checkpoints checkpoints] [--out PNG]

Starts `streamlit run app.py` on a free port, opens it in headless Debian Chromium
(/usr/bin/chromium), waits until the default case has run, and saves the page. The
viewport is tall so the whole Explorer (maps, result heatmaps, table) is in the picture.
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
from locnet.ui import serve

RENDER_TIMEOUT_MS = 180_000
SETTLE_S = 2.0  # let plotly finish drawing after the last element appears


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/demo", help="dataset folder (RadioMapSeer layout)")
    parser.add_argument("--checkpoints", default="checkpoints", help="checkpoint folder")
    parser.add_argument(
        "--out", default=str(ROOT / "docs/screenshots/explorer.png"), help="PNG to write"
    )
    parser.add_argument("--width", type=int, default=1600)
    parser.add_argument("--height", type=int, default=2000)
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.mkdtemp(prefix="locnet-screenshot-")) / "server.log"
    from playwright.sync_api import Error as PlaywrightError

    try:
        with (
            serve.running_app(
                Path(args.data).resolve(), Path(args.checkpoints).resolve(), log
            ) as url,
            serve.chromium_page({"width": args.width, "height": args.height}) as page,
        ):
            start = time.monotonic()
            page.goto(url)
            page.get_by_text("Results", exact=True).wait_for(timeout=RENDER_TIMEOUT_MS)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=RENDER_TIMEOUT_MS)
            time.sleep(SETTLE_S)
            page.screenshot(path=str(out))
            print(
                f"saved {out} ({out.stat().st_size // 1024} KiB) after {time.monotonic() - start:.1f} s"
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
