"""The HTML report measured: time to write it, its size, and every link checked in Chromium.

For each case given, writes the report in a fresh child process (start-up included, as a
user running ``cibscan report`` waits for it), then opens it in headless Chromium (Debian's,
driven by playwright as in tests/test_report.py) and counts the in-page links whose target
id does not exist (must be 0), the links to the platforms, and the requests the page made
(must be the page alone). With ``--shots DIR`` it saves PNG screenshots of the top of the
page (the summary), the index and the first cluster section, as docs/report.md shows them.

    .venv/bin/cibscan demo --out /tmp/demo
    .venv/bin/cibscan run ../shared/data/coortweet/german_elections.csv.gz --out /tmp/german
    .venv/bin/python benchmarks/report.py /tmp/demo/case.duckdb /tmp/german/case.duckdb \
        --names demo german --shots docs/img
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def write(case: Path, out: Path) -> tuple[float, float]:
    """Write the report in a child process; wall and CPU seconds of the child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "cibscan.cli", "report", "--case", str(case), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _shrink(path: Path) -> None:
    """Save a screenshot as a 256-colour PNG (a third of the size, same to the eye)."""
    from PIL import Image

    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def check(page_path: Path, name: str, shots: Path | None) -> dict[str, Any]:
    """Open the report in Chromium: dangling in-page links, platform links, requests."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        start = time.perf_counter()
        page.goto(page_path.as_uri())
        loaded = time.perf_counter() - start
        links = page.evaluate(
            """() => {
                const a = [...document.querySelectorAll('a[href]')]
                    .map(x => x.getAttribute('href'));
                const inner = a.filter(h => h.startsWith('#'));
                const missing = inner.filter(h => !document.getElementById(h.slice(1)));
                return {inner: inner.length, missing: missing.length,
                        outer: a.length - inner.length, sample: missing.slice(0, 5)};
            }"""
        )
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            taken = []
            for part, anchor in (("top", None), ("index", "#index"), ("cluster", "#clusters")):
                if anchor is not None:
                    page.evaluate(f"document.querySelector('{anchor}').scrollIntoView()")
                taken.append(shots / f"report-{name}-{part}.png")
                page.screenshot(path=str(taken[-1]))
            for shot in taken:
                _shrink(shot)
        browser.close()
    return {**links, "requests": len(requests), "load_s": round(loaded, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("cases", nargs="+", type=Path)
    parser.add_argument("--names", nargs="*", help="one short name per case (file names)")
    parser.add_argument("--shots", type=Path, help="folder for PNG screenshots")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-report-bench"))
    args = parser.parse_args()
    names = args.names or [c.parent.name for c in args.cases]
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        "| case | write s (wall) | CPU s | size MB | in-page links | dangling | platform links "
        "| requests |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for case, name in zip(args.cases, names, strict=True):
        out = args.workdir / f"{name}.html"
        wall, cpu = write(case, out)
        found = check(out, name, args.shots)
        print(
            f"| {name} | {wall:.1f} | {cpu:.1f} | {out.stat().st_size / 1e6:.2f} | "
            f"{found['inner']:,} | {found['missing']} | {found['outer']:,} | {found['requests']} |"
        )
        if found["missing"]:
            print(f"  dangling: {found['sample']}")


if __name__ == "__main__":
    main()
