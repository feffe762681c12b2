"""The workbench's pages in a real headless Chromium, against a real server and case.

Every page loads without a console error (a Content-Security-Policy violation is one), the
cluster network draws its members, a label set with the form is in the case afterwards, and
the hostile ring's texts and the javascript: links stay text. Known answers: tests/workbench.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cibscan.serve import ServeOptions, build_app
from tests.test_report import browser  # noqa: F401  (the shared Chromium fixture)
from tests.workbench import TOKEN, build_case, get_json, running


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    case_path = build_case(tmp_path_factory.mktemp("served-ui"))
    app = build_app(ServeOptions(case_path, token=TOKEN, write=True))
    # the account and cluster pages then come from the pages prepared ahead, whose verdicts
    # and label forms must be those of the moment (a label set below shows at once)
    assert app.state.workbench.wait_for_index(120) and app.state.workbench.pages is not None
    with running(app) as url:
        yield url


@pytest.fixture
def page(browser: Any, base: str) -> Iterator[Any]:  # noqa: F811
    """A logged-in tab (the token link once, then the cookie) that records console errors,
    uncaught exceptions and every request it makes."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    tab = context.new_page()
    tab.errors = []
    tab.requests = []
    tab.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.on("request", lambda r: tab.requests.append(r.url))
    tab.goto(f"{base}/?token={TOKEN}")
    assert tab.url == f"{base}/"  # redirected: the token left the address bar
    yield tab
    context.close()


def _cluster_id(base: str, account_id: str) -> int:
    return int(get_json(f"{base}/api/accounts/twitter/{account_id}")["score"]["cluster_id"])


def test_every_page_loads_without_a_console_error(page: Any, base: str) -> None:
    ring = _cluster_id(base, "ring_0")
    paths = [
        "/",
        "/clusters",
        "/clusters?sort=synchrony&order=asc&platform=twitter",
        f"/clusters/{ring}",
        "/accounts/twitter/persona_0",
        "/accounts/twitter/person_0",
        "/accounts/mastodon/https%3A%2F%2Fmasto.example%2Fusers%2Fodd%3Fx%3D1%23f",
        "/accounts/twitter/persona_0?partner=twitter%3Apersona_1",
        "/search?q=persona&kind=handle",
        "/search?q=read+the+truth&kind=text",
        "/search?q=evil.example&kind=domain",
        "/labels",
        "/matches",
        "/matches?network=personas&matched=false",
        "/hunt",
        "/hunt?match=exact&indicator_type=handle",
    ]
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        assert page.locator("h1").count() == 1, path
        assert page.title().endswith("cibscan workbench"), path
        # the plots are SVG images of the workbench's own (matplotlib's inline styles would
        # break the page's CSP inline); each one loaded and drew something
        broken = page.eval_on_selector_all(
            "img.plot",
            "els => els.filter(e => !(e.complete && e.naturalWidth > 0)).map(e => e.src)",
        )
        assert broken == [], (path, broken)
    assert page.errors == [], "\n".join(page.errors)
    # nothing was fetched from anywhere but the workbench
    assert all(u.startswith(base) for u in page.requests), page.requests


def test_the_cluster_network_draws_every_member(page: Any, base: str) -> None:
    ring = _cluster_id(base, "ring_0")
    page.goto(f"{base}/clusters/{ring}")
    graph = page.locator("#graph[data-nodes]")
    graph.wait_for(timeout=15_000)
    detail = get_json(f"{base}/api/clusters/{ring}")
    assert graph.get_attribute("data-nodes") == str(len(detail["members"])) == "7"
    assert graph.get_attribute("data-edges") == str(len(detail["edges"]))
    assert page.locator("#graph canvas").count() > 0
    assert page.locator("#members tbody tr").count() == 7
    assert page.errors == []


def test_a_label_set_in_the_page_is_in_the_case(page: Any, base: str) -> None:
    personas = _cluster_id(base, "persona_0")
    page.goto(f"{base}/clusters/{personas}")
    page.select_option("form.label select[name=verdict]", "dismissed")
    page.fill("form.label input[name=note]", "fan club, not a <b>network</b>")
    with page.expect_navigation():
        page.click("form.label button[type=submit]")
    assert page.url == f"{base}/clusters/{personas}", page.errors  # back where it was set
    labels = {r["account_id"]: r for r in get_json(f"{base}/api/labels")["items"]}
    for k in range(5):
        assert labels[f"persona_{k}"]["verdict"] == "dismissed"
        assert labels[f"persona_{k}"]["note"] == "fan club, not a <b>network</b>"
        assert labels[f"persona_{k}"]["cluster_id"] == personas
    assert page.locator("#members .verdict.dismissed").count() == 5
    page.goto(f"{base}/labels")
    assert "fan club, not a <b>network</b>" in page.inner_text("#labels")
    assert page.locator("#labels b").count() == 0  # the note is text, not markup
    assert page.errors == []


def test_hostile_text_and_javascript_links_stay_inert(page: Any, base: str) -> None:
    hostile = _cluster_id(base, "hostile_0")
    for path in (
        f"/clusters/{hostile}",
        "/accounts/twitter/hostile_0",
        "/accounts/twitter/jsuser_0",
        f"/clusters/{_cluster_id(base, 'jsuser_0')}",
        "/search?q=javascript:&kind=url",
        "/search?q=script&kind=text",
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, path
        assert page.evaluate("document.title").endswith("cibscan workbench"), path
        assert page.locator("a[href^='javascript:' i]").count() == 0, path
        assert page.locator("main img:not(.plot), main iframe, main script").count() == 0, path
        plots = page.evaluate("[...document.querySelectorAll('img.plot')].map(i => i.src)")
        assert all(src.startswith(f"{base}/plots/") for src in plots), (path, plots)
        scripts = page.evaluate("[...document.scripts].map(s => s.getAttribute('src'))")
        assert all(s and s.startswith("/static/") for s in scripts), (path, scripts)
    page.goto(f"{base}/accounts/twitter/hostile_0")
    body = page.inner_text("main")
    assert "<script>document.title='PWNED';window.__pwned=1</script> read the truth" in body
    assert "⟦U+202E⟧evil.exe⟦U+202C⟧" in body  # the RTL override made visible
    page.goto(f"{base}/accounts/twitter/jsuser_0")
    assert "javascript:window.__pwned=1" in page.inner_text("#posts")
    assert page.errors == []


def test_matches_and_hunt_pages_are_linked_inert_and_keyboard_navigable(
    page: Any, base: str
) -> None:
    """The case was matched (the personas are the library's network) and hunted (persona_0's
    handle and the hostile ring's domain): both pages are linked from the overview, show
    the hostile handles as text, and their account links are reached by Tab."""
    for link, heading in (("/matches", "Matches against known networks"), ("/hunt", "Hunt hits")):
        page.goto(f"{base}/")
        with page.expect_navigation():
            page.click(f"main a[href='{link}']")
        assert page.url == base + link
        assert page.locator("h1").inner_text() == heading
    page.goto(f"{base}/matches?matched=true")
    matched = page.eval_on_selector_all(
        "#matches tbody tr td:first-child a", "as => as.map(a => a.textContent)"
    )
    assert sorted(matched) == [f"@persona_{k}" for k in range(5)]
    page.goto(f"{base}/hunt?indicator_type=domain")
    table = page.inner_text("#hunt")
    assert table.count("evil.example") >= 4
    assert "@<b>bold</b>" in table and "⟦U+202E⟧admin" in table  # hostile handles, as text
    assert page.locator("#hunt b, main script, main img").count() == 0
    assert page.evaluate("window.__pwned") is None
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the skip link
    for _ in range(30):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href') || ''")
        if href.startswith("/accounts/"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{href}")
    assert page.locator("h1").inner_text().startswith("@")
    assert page.errors == []


def test_keyboard_reaches_the_content_and_the_graph_links(page: Any, base: str) -> None:
    page.goto(f"{base}/clusters")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # the first cluster link is reachable by Tab and opens with Enter
    for _ in range(40):
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href') || ''")
        if href.startswith("/clusters/"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}{href}")
    assert page.locator("h1").inner_text().startswith("Cluster ")


def test_screenshots_of_the_pages(page: Any, base: str, tmp_path: Path) -> None:
    """Each page renders to a non-trivial image (docs/workbench.md shows them)."""
    ring = _cluster_id(base, "ring_0")
    page.goto(f"{base}/clusters/{ring}")
    page.locator("#graph[data-nodes]").wait_for(timeout=15_000)
    shot = tmp_path / "cluster.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
