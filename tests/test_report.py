"""The HTML report: content on the shared scene, hostile text inert in a real Chromium."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.detect.pipeline import DetectReport, detect
from cibscan.report.data import gather, infer_offset
from cibscan.report.escape import text
from cibscan.report.html import write_report
from cibscan.store import Case

CHROMIUM = "/usr/bin/chromium"
# Flags that keep Chromium from reaching for Google's hosts on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_escaping_makes_markup_and_invisible_characters_inert() -> None:
    assert text("<script>x</script>") == "&lt;script&gt;x&lt;/script&gt;"
    assert text("\" onerror='x'") == "&quot; onerror=&#x27;x&#x27;"
    # an RTL override, a zero-width space and a bell become visible markers
    assert text("\u202eexe.txt\u200b\x07") == "⟦U+202E⟧exe.txt⟦U+200B⟧⟦U+0007⟧"
    assert text("a" * 700, 600) == "a" * 600 + " … (100 more characters)"
    assert text(None) == ""


def test_operator_offset_is_where_activity_fits_office_hours() -> None:
    """Posts on weekdays 01:00-04:00 and 06:00-10:00 UTC are 09:00-12:00 and 14:00-18:00 in
    Beijing (UTC+8): office hours with the lunch break of the shift_schedule tell, which the
    report shares. Lunch-hour posts (04:00-06:00 UTC) fall outside."""
    weekly = [[0] * 24 for _ in range(7)]
    for day in range(5):
        for hour in (1, 2, 3, 6, 7, 8, 9):
            weekly[day][hour] = 10
    assert infer_offset(weekly) == (8, 1.0)
    for day in range(5):
        weekly[day][4] = weekly[day][5] = 5  # a few posts over lunch: 70 of 80 a day
    assert infer_offset(weekly) == (8, 70 / 80)
    assert infer_offset([[0] * 24 for _ in range(7)]) is None


@pytest.fixture(scope="module")
def report_path(scene: tuple[Case, DetectReport], tmp_path_factory: pytest.TempPathFactory) -> Path:
    case, _ = scene
    path = tmp_path_factory.mktemp("report") / "report.html"
    result = write_report(case, path)
    # 23 flagged: the campaigns, the hostile ring and the ring's seed (linked to the ring)
    assert result.clusters == 5 and result.accounts == 23
    return path


def _cluster_sections(page: str) -> list[str]:
    """The cluster sections of a page (each from its ``c-`` anchor to the next)."""
    return page.split('<h2 id="accounts">')[0].split('<div id="c-')[1:]


def test_report_plots_political_vs_mundane_posts_per_cluster(
    scene: tuple[Case, DetectReport], report_path: Path
) -> None:
    """The copypasta personas' talking points are political (the camouflage tell's lexicon):
    their cluster's weekly classes are all political, and its section draws the plot."""
    case, _ = scene
    (view,) = [
        v
        for v in gather(case.engine).clusters
        if any(m["account_id"] == "persona_0" for m in v.members)
    ]
    assert sum(p for _, p, _ in view.classes) == 15
    assert sum(m for _, _, m in view.classes) == 0
    page = report_path.read_text(encoding="utf-8")
    (personas,) = [s for s in _cluster_sections(page) if "#a-twitter-persona_0" in s]
    assert 'aria-label="political vs mundane posts per week"' in personas


def test_report_holds_summary_clusters_and_accounts(report_path: Path) -> None:
    page = report_path.read_text(encoding="utf-8")
    assert "23</b> accounts flagged in <b>5</b> clusters" in page
    assert "more cluster" not in page  # every coordinated cluster is flagged and shown here
    assert "22 twitter accounts, 1 reddit account." in page
    assert (
        "With their cross-platform personas: 22 X accounts, 1 Reddit account "
        "(1 persona across platforms)." in page
    )
    # the cross-platform pair (X and Reddit, tied by co_url) is one persona
    assert "with personas: 1 Reddit account, 1 X account (1 persona across platforms)" in page
    assert "with personas: 6 X accounts<" in page  # the retweet ring: X only
    for member in ("twitter-ring_0", "twitter-persona_4", "twitter-shift_2", "reddit-xp_r"):
        assert f'id="a-{member}"' in page
    assert 'id="a-twitter-person_0"' not in page  # sections are for flagged accounts
    sections = _cluster_sections(page)
    assert len(sections) == 5
    # every cluster has its network map and heat map; a plot with no data (no account has
    # a creation date in the scene) is a line, not an empty box
    for section in sections:
        assert "accounts and ties" in section and "posts by weekday and hour (UTC)" in section
        assert section.count("<svg") + section.count("Nothing to plot for") >= 4
    # the megabyte-long post is cut, so the page stays small
    assert report_path.stat().st_size < 2_500_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A real headless Chromium (Debian's; `make test` installs it)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail("Chromium is needed for the report tests: run `make test` (it installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_hostile_text_is_inert_in_a_real_browser(
    report_path: Path, browser: Any, tmp_path: Path
) -> None:
    """The hostile ring's texts hold script tags, an onerror attribute, an RTL override and
    control characters: in Chromium none runs, the page fetches nothing, and the texts are
    shown as text."""
    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report_path.as_uri())
    assert page.evaluate("window.__pwned") is None
    assert page.title().startswith("cibscan report")
    assert page.evaluate("document.scripts.length") == 0
    assert page.evaluate("document.images.length") == 0
    assert requests == [report_path.as_uri()]
    # open every collapsed section, as an analyst reading it all would
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true })")
    body = page.inner_text("body")
    assert "<script>document.title='PWNED';window.__pwned=1</script> read the truth" in body
    assert '"><img src=x onerror="window.__pwned=1"> look here' in body
    assert "⟦U+202E⟧evil.exe⟦U+202C⟧ reversed ⟦U+200B⟧⟦U+200D⟧zero width" in body
    assert "<b>bold</b>" in body  # a handle shown as typed, not as bold markup
    assert page.locator("b", has_text="bold").count() == 0
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    page.close()


def test_report_command_and_its_errors(
    scene: tuple[Case, DetectReport], case: Case, tmp_path: Path
) -> None:
    runner = CliRunner()
    detect(case)  # an empty case: a run with no findings still gives a page
    empty_path = str(case.path)
    case.close()
    target = tmp_path / "empty.html"
    result = runner.invoke(main, ["report", "--case", empty_path, "--out", str(target)])
    assert result.exit_code == 0, result.output
    empty = target.read_text(encoding="utf-8")
    assert "0</b> accounts flagged" in empty
    # nothing to show is said in words: no header-only table, no "None"
    assert not re.search(r"<tbody>\s*</tbody>", empty) and "None" not in empty
    missing = runner.invoke(main, ["report", "--case", str(tmp_path / "none.duckdb")])
    assert missing.exit_code != 0 and "Error" in missing.output


def test_links_resolve_sections_open_and_the_index_sorts_in_a_real_browser(
    report_path: Path, browser: Any
) -> None:
    """In Chromium: every in-page link finds its target; following a link into a collapsed
    account section opens it; the index re-sorts by CSS alone (the page runs no script)."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(report_path.as_uri())
    missing = page.evaluate(
        """[...document.querySelectorAll('a[href^="#"]')]
             .map(a => a.getAttribute('href').slice(1))
             .filter(id => !document.getElementById(decodeURIComponent(id)))"""
    )
    assert missing == []
    target = page.locator("#a-twitter-ring_0")
    assert not target.is_visible()  # its section starts collapsed
    page.locator('table.idx.accounts a[href="#a-twitter-ring_0"]').click()
    assert target.is_visible()
    assert page.evaluate("document.getElementById('a-twitter-ring_0').closest('details').open")

    def first_shown() -> str:
        rows = page.locator("table.idx.accounts tbody tr")
        boxes = [(rows.nth(i).bounding_box()["y"], i) for i in range(rows.count())]
        return str(rows.nth(min(boxes)[1]).locator("td").first.inner_text())

    names = page.eval_on_selector_all(
        "table.idx.accounts tbody tr td:first-child", "cells => cells.map(c => c.innerText)"
    )
    assert first_shown() == names[0]  # by score, as the rows are written
    expected = min(names, key=lambda n: n.split(": ", 1)[1].rstrip("↗").casefold())
    assert expected != names[0]  # so that the click below has something to change
    page.locator('label[for="as-name"]').click()
    assert first_shown() == expected
    page.close()
