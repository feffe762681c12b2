"""Take the screenshots of docs/workbench.md: each page of the workbench over a case.

    .venv/bin/python docs/screenshots.py --case out/demo/case.duckdb --out docs/img \
        --matched-case out/demo/period2/case.duckdb

Serves the case read-only on a free loopback port, opens each page in headless Chromium
(Debian's, as the tests do) and saves it as a JPEG. The matches and hunt pages are taken of
``--matched-case``: the demo's period-2 case, which ``make demo`` matched against the
library, once hunted with the network's indicators
(``cibscan hunt --case out/demo/period2/case.duckdb --indicators out/demo/spamouflage.stix.json``).
The demo's Chinese posts need a CJK font where Chromium runs (Debian: ``fonts-noto-cjk``),
or they show as empty boxes.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import uvicorn
from playwright.sync_api import sync_playwright

from cibscan.serve import ServeOptions, build_app

TOKEN = "screenshots-0123456789abcdef"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--png", action="store_true", help="PNG instead of JPEG")
    parser.add_argument(
        "--matched-case", type=Path, help="a matched and hunted case: the matches and hunt pages"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    base, stop = _serve(args.case)

    def shot(page: Any, name: str) -> None:
        if args.png:
            page.screenshot(path=str(args.out / f"workbench-{name}.png"))
        else:
            page.screenshot(path=str(args.out / f"workbench-{name}.jpg"), quality=70)

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/?token={TOKEN}")
            shot(page, "overview")
            cluster = page.locator("table a[href^='/clusters/']").first.get_attribute("href")
            for name, path in (("clusters", "/clusters"), ("cluster", cluster)):
                page.goto(base + str(path))
                if name == "cluster":
                    page.locator("#graph[data-nodes]").wait_for(timeout=30_000)
                    page.locator("#net-h").scroll_into_view_if_needed()
                shot(page, name)
            member = page.locator("#members a").first.get_attribute("href")
            page.goto(base + str(member))
            shot(page, "account")
            page.goto(f"{base}/search?q={quote('youtube.com')}&kind=domain")
            shot(page, "search")
            page.goto(f"{base}/labels")
            shot(page, "labels")
            if args.matched_case is not None:
                other, stop_other = _serve(args.matched_case)
                try:
                    for name in ("matches", "hunt"):
                        page.goto(f"{other}/{name}?token={TOKEN}")
                        shot(page, name)
                finally:
                    stop_other()
            browser.close()
    finally:
        stop()


def _serve(case: Path) -> tuple[str, Callable[[], None]]:
    """The workbench over ``case`` (read-only) on a free loopback port, started, and what
    stops it (it closes the case, so the process exits cleanly)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(build_app(ServeOptions(case, token=TOKEN)), log_config=None)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(120)
        sock.close()

    return base, stop


if __name__ == "__main__":
    main()
