"""The report page's values and links: formats, permalinks, the anchor check and the guards
against None and negative counts, on small cases with known answers."""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from cibscan.detect.pipeline import DetectReport
from cibscan.report import fmt
from cibscan.report.data import ReportData, gather
from cibscan.report.escape import clean
from cibscan.report.html import render
from cibscan.report.links import account_url, anchor, linkable_platforms, post_url
from cibscan.report.plots import MapNode, active_period, network_map
from cibscan.store import Case


class Anchors(HTMLParser):
    """Every element id of a page, and every href of its links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id") is not None:
            self.ids.append(str(found["id"]))
        if tag == "a" and found.get("href") is not None:
            self.hrefs.append(str(found["href"]))


def check_anchors(page: str) -> Anchors:
    """Fail unless every in-page link leads to an id that exists, ids are unique, and every
    other link is an https permalink."""
    parsed = Anchors()
    parsed.feed(page)
    duplicates = {i for i in parsed.ids if parsed.ids.count(i) > 1}
    assert not duplicates, sorted(duplicates)[:5]
    ids = set(parsed.ids)
    dangling = [h for h in parsed.hrefs if h.startswith("#") and h[1:] not in ids]
    assert not dangling, dangling[:5]
    assert all(h.startswith(("#", "https://")) for h in parsed.hrefs)
    return parsed


def test_values_are_written_for_a_reader() -> None:
    # 705,722 s = 8 days 4 h 2 min: the raw gap, in words
    assert fmt.duration(705722) == "8 days 4 h"
    assert fmt.duration(660) == "11 min" and fmt.duration(42) == "42 s"
    assert fmt.duration(2 * 3600 + 14 * 60) == "2 h 14 min" and fmt.duration(None) == ""
    assert fmt.plural(1, "cluster") == "1 cluster" and fmt.plural(60, "account") == "60 accounts"
    assert fmt.plural(-4, "more cluster") == "0 more clusters"  # never "-4 more clusters"
    assert fmt.plural(2, "family") == "2 families"
    assert fmt.significance(0.0) == "q < 0.001" and fmt.significance(0.0123) == "q = 0.012"
    # a tell's raw strength (300.0) is not a score: scores print on one 0-1 scale
    assert fmt.score(0.987) == "0.99" and fmt.score(300.0) == "1.00" and fmt.score(None) == ""
    # one format, no "+00:00": the page states the zone once; midnight is a date alone
    t = datetime(2024, 3, 17, 19, 24, 31, tzinfo=UTC)
    assert fmt.when(t) == "2024-03-17 19:24" and fmt.when(t, True) == "2024-03-17 19:24:31"
    assert fmt.when(datetime(2023, 10, 17, tzinfo=UTC)) == "2023-10-17"
    assert fmt.finalize(None) == "" and fmt.finalize(-4) == 0 and fmt.finalize(True) is True
    # a long text is cut at a word, with what was left out counted: 52 characters would end
    # in "wo", so the cut falls after the tenth word (49 of the 500 characters kept)
    assert clean("word " * 100, 52) == "word " * 9 + "word … (+451 characters)"


def test_permalinks_only_where_the_ids_are_the_platforms() -> None:
    assert account_url("twitter", "1714083566320065543", "Darius") == (
        "https://x.com/i/user/1714083566320065543"
    )
    assert post_url("twitter", "1765932123266757639") == (
        "https://x.com/i/status/1765932123266757639"
    )
    # a Reddit comment links through its submission; a hash id links nowhere
    assert post_url("reddit", "t1_twxpkxc", conversation="t3_twxpdsr") == (
        "https://www.reddit.com/comments/twxpdsr/_/twxpkxc"
    )
    assert post_url("reddit", "t1_twxpkxc") is None
    assert account_url("youtube", "UCoDjWYHwRSeI0IcnVFQe8Nr", None) == (
        "https://www.youtube.com/channel/UCoDjWYHwRSeI0IcnVFQe8Nr"
    )
    assert account_url("twitter", "a1b2c3 hashed", "<b>x</b>") is None
    assert post_url("mastodon", "javascript:alert(1)") is None
    # CooRTweet's anonymised ids (tw_52785, posts counted from 1) would point at strangers
    runs = [("twitter", "coortweet_prepared", False), ("reddit", "reddit_pushshift", False)]
    assert linkable_platforms(runs) == {"reddit"}
    assert linkable_platforms([("twitter", "twitter_v2", True)]) == set()  # pseudonymised
    # any account id gives a valid, distinct element id
    assert anchor("a", "twitter", "ring_0") == "a-twitter-ring_0"
    assert anchor("a", "twitter", 'a "b"') != anchor("a", "twitter", "a_b")
    assert re.fullmatch(r"[A-Za-z0-9_.~-]+", anchor("a", "twitter", "<b>bold</b> ⟦"))


def test_time_axis_covers_the_operation_not_a_hijacked_accounts_past() -> None:
    """A two-week operation (100 posts a day) whose members include a hijacked account with
    three posts in 2013: the axis covers the two weeks and the note counts the three posts."""
    start = date(2024, 3, 4)
    points = [(date(2013, 8, 6), 2), (date(2013, 9, 1), 1)]
    points += [(start + timedelta(days=i), 100) for i in range(14)]
    period = active_period(points)
    assert period is not None
    assert (period.first, period.last) == (start, date(2024, 3, 17))
    assert period.before == 3 and period.after == 0
    assert "3 posts outside the active period (2013-08-06 to 2013-09-01)" in period.note()
    # a steady campaign over a year, with no run under 5% of its posts, is shown whole
    steady = [(date(2023, 1, 1) + timedelta(days=45 * i), 10) for i in range(9)]
    whole = active_period(steady)
    assert whole is not None and whole.first == date(2023, 1, 1) and not whole.note()
    assert active_period([]) is None


def test_network_labels_are_text_even_when_they_look_like_markup_or_maths() -> None:
    """Handles are attacker-written: markup is escaped by the SVG writer and a ``$...$`` is
    a dollar sign, not mathtext (which would fail on bad TeX or render a formula)."""
    nodes = [
        MapNode("1", "<script>x</script>", "twitter", True),
        MapNode("2", "$\\frac{1}{0", "twitter", True),
        MapNode("3", "plain", "reddit", False),
    ]
    svg = network_map(nodes, [(0, 1, 3.0), (1, 2, 1.0)], "cluster 1", "t")
    assert svg is not None and svg.startswith("<svg")
    assert "<script>" not in svg and "&lt;script&gt;x&lt;/script" in svg
    assert "$\\frac{1}{0" in svg
    assert network_map([], [], "empty", "t") is None  # nothing to draw: no box


@pytest.fixture(scope="module")
def edge_data(scene: tuple[Case, DetectReport]) -> ReportData:
    """The scene's findings cut to 2 cluster sections and 5 account sections, with the
    cases that broke links and counts: an account flagged without a cluster, an account of
    a cluster that has no section, and a count of clusters below the clusters shown."""
    case, _ = scene
    data = copy.deepcopy(gather(case.engine, max_clusters=2, max_accounts=5))
    orphan = dict(data.accounts[-1], cluster_id=None)
    data.accounts[-1] = orphan
    data.index = [orphan if r["account_id"] == orphan["account_id"] else r for r in data.index]
    data.n_all_clusters = 1  # fewer than shown: "-1 more clusters" must not appear
    data.n_clusters = 1
    return data


def test_every_link_of_the_report_leads_somewhere(
    edge_data: ReportData, scene: tuple[Case, DetectReport]
) -> None:
    page = render(edge_data, "edge cases")
    parsed = check_anchors(page)
    # accounts of clusters without a section link to the cluster's line in the index
    shown = {f"#c-{v.row['cluster_id']}" for v in edge_data.clusters}
    to_index = {h for h in parsed.hrefs if h.startswith("#ci-")}
    assert to_index and not shown & {h.replace("#ci-", "#c-") for h in to_index}
    # members without a section (unflagged, or beyond the 5) are named, not linked
    assert len({h for h in parsed.hrefs if h.startswith("#a-")}) == 5
    # the whole scene's report, too
    case, _ = scene
    check_anchors(render(gather(case.engine), "scene"))


def test_missing_values_never_print_as_none_or_negative(edge_data: ReportData) -> None:
    page = render(edge_data, "edge cases")
    text = re.sub(r"<[^>]+>", " ", page.split("</style>", 1)[1])
    assert "None" not in text and "#c-None" not in page and "nan" not in text.split()
    assert not re.search(r"-\d[\d,]* more", text)
    assert "no cluster" in text  # the orphan says it, instead of linking to #c-None
    assert not re.search(r"\b1 (clusters|accounts|posts)\b", text)
    assert "display name:  ·" not in text and "created  ·" not in text
    assert not re.search(r"<tbody>\s*</tbody>", page)  # no header-only tables
    assert "+00:00" not in text and not re.search(r"\d\.?\d*e[+-]\d", text)
