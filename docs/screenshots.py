"""Take the screenshots of docs/workbench.md: each page of the workbench over a case.

    .venv/bin/python docs/screenshots.py --case out/demo/case.duckdb --out docs/img

Serves the case read-only on a free loopback port, opens each page in headless Chromium
(Debian's, as the tests do) and saves it as a JPEG.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time
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
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(build_app(ServeOptions(args.case, token=TOKEN)), log_config=None)
    )
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.05)

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
            browser.close()
    finally:
        server.should_exit = True
        sock.close()


if __name__ == "__main__":
    main()
