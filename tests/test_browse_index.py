"""The browse index (cibscan/browse/index.py) gives the answers the direct queries give, on
the workbench's scene (tests/workbench.py), shows labels written after it was built, and is
rebuilt when the case changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cibscan import browse
from cibscan.browse.index import BrowseIndex, close_index, open_index
from cibscan.browse.search_index import BROAD, search_posts
from cibscan.ingest.pipeline import IngestOptions, ingest
from cibscan.store import Case, open_case
from cibscan.store.labels import label
from tests import scenes
from tests.workbench import build_case


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    path = build_case(tmp_path_factory.mktemp("index"))
    with open_case(path, create=False) as opened:
        # a verdict before the index is built, so the verdict columns are exercised
        label(opened.engine, "dismissed", accounts=["twitter:persona_1"], note="a test")
        yield opened


def _keys(case: Case) -> list[tuple[str, str]]:
    """Every account with a tie or a flag, and every 4th of the others (the direct
    queries cost a score of queries an account: all of them would slow the suite)."""
    return [
        (str(p), str(a))
        for p, a in case.engine.fetchall(
            """SELECT platform, account_id FROM (
                   SELECT platform, account_id, row_number() OVER (ORDER BY platform, account_id)
                          AS k, s.flagged OR s.n_partners > 0 AS tied
                   FROM (SELECT platform, account_id FROM accounts
                         UNION SELECT platform, account_id FROM account_index) AS u
                   LEFT JOIN account_scores AS s USING (platform, account_id))
               WHERE tied OR k % 4 = 0 ORDER BY ALL"""
        )
    ]


def _same_answers(case: Case, index: BrowseIndex) -> None:
    engine = case.engine
    keys = _keys(case)
    assert len(keys) > 30
    for n, (platform, account_id) in enumerate(keys):
        pages = ((50, 0), (2, 1), (5, 48), (50, 50)) if n % 5 == 0 else ((50, 0),)
        for limit, offset in pages:
            direct = browse.account_detail(
                engine, platform, account_id, posts_limit=limit, posts_offset=offset
            )
            indexed = browse.account_detail(
                engine, platform, account_id, posts_limit=limit, posts_offset=offset, index=index
            )
            assert indexed == direct, (platform, account_id, limit, offset)
    assert browse.account_detail(engine, "twitter", "nobody", index=index) is None
    clusters = [int(r[0]) for r in engine.fetchall("SELECT cluster_id FROM clusters")]
    assert clusters
    for cluster_id in [*clusters, 999]:
        direct_cluster = browse.cluster_detail(engine, cluster_id)
        assert browse.cluster_detail(engine, cluster_id, index=index) == direct_cluster


def test_the_index_answers_as_the_case_does(case: Case, tmp_path: Path) -> None:
    index = open_index(case.engine, tmp_path / "browse.duckdb")
    try:
        assert index.built and index.findings
        _same_answers(case, index)
        persona = browse.account_detail(case.engine, "twitter", "persona_1", index=index)
        assert persona is not None and persona["profile"]["verdict"] == "dismissed"
        # a label written after the index was built shows at once, on both pages
        label(case.engine, "confirmed", accounts=["twitter:persona_2"])
        persona = browse.account_detail(case.engine, "twitter", "persona_2", index=index)
        assert persona is not None and persona["profile"]["verdict"] == "confirmed"
        cluster = browse.cluster_detail(case.engine, persona["score"]["cluster_id"], index=index)
        assert cluster is not None
        verdicts = {m["account_id"]: m["verdict"] for m in cluster["members"]}
        assert verdicts["persona_2"] == "confirmed" and verdicts["persona_1"] == "dismissed"
        _same_answers(case, index)
    finally:
        close_index(case.engine, index)


def test_the_index_is_reused_until_the_case_changes(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "browse.duckdb"
    close_index(case.engine, open_index(case.engine, path))
    again = open_index(case.engine, path)
    assert not again.built  # the same case: the file is reused
    close_index(case.engine, again)
    # new posts: an account the index never saw, and another post of a known one
    extra = [
        scenes.post("late_1", "latecomer", 9 * scenes.DAY, "a late post"),
        scenes.post("late_2", "persona_0", 9 * scenes.DAY + 60, "one more"),
    ]
    source = scenes.write(tmp_path / "late.jsonl", extra)
    ingest(case, [str(source)], IngestOptions(format="generic_jsonl"))
    rebuilt = open_index(case.engine, path)
    try:
        assert rebuilt.built
        late = browse.account_detail(case.engine, "twitter", "latecomer", index=rebuilt)
        assert late is not None and late["posts"]["total"] == 1
        assert late == browse.account_detail(case.engine, "twitter", "latecomer")
        persona = browse.account_detail(case.engine, "twitter", "persona_0", index=rebuilt)
        assert persona == browse.account_detail(case.engine, "twitter", "persona_0")
    finally:
        close_index(case.engine, rebuilt)


def _queries(case: Case) -> list[tuple[str, str]]:
    """Queries of every kind drawn from the case (words, pieces of words, phrases, parts of
    links, domains, hashtags) and awkward ones (markup, punctuation only, a wildcard)."""
    engine = case.engine
    texts = [str(r[0]) for r in engine.fetchall("SELECT text FROM posts WHERE text <> '' LIMIT 15")]
    urls = [str(r[0]) for r in engine.fetchall("SELECT DISTINCT unnest(urls) FROM posts LIMIT 6")]
    domains = [str(r[0]) for r in engine.fetchall("SELECT DISTINCT unnest(domains) FROM posts")]
    tags = [str(r[0]) for r in engine.fetchall("SELECT DISTINCT unnest(hashtags) FROM posts")]
    found: list[tuple[str, str]] = []
    for text in texts:
        words = text.split()
        found += [("text", words[0]), ("text", words[-1][1:4] or words[-1])]
        found.append(("text", " ".join(words[1:3]) or text))  # a phrase: runs are checked
        found.append(("text", text[2:12]))  # cut anywhere, spaces and punctuation included
    for url in urls:
        found += [("url", url), ("url", url[8:20]), ("url", url.split("/")[-1] or url)]
    found += [("domain", d.upper()) for d in domains] + [("hashtag", f"#{t}") for t in tags]
    found += [
        ("text", "READ THE TRUTH"),
        ("text", "<script>document.title"),
        ("text", "%%%"),
        ("text", "!!"),
        ("text", "e"),
        ("text", "the"),
        ("url", "javascript:"),
        ("url", "https://"),
        ("domain", "no.such.example"),
        ("hashtag", "#"),
    ]
    return found


@pytest.mark.parametrize("broad", [BROAD, 1.0])
def test_search_through_the_index_answers_as_the_scan(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broad: float
) -> None:
    """With ``broad`` 1.0 no query is left to the scan: every answer comes from the terms."""
    monkeypatch.setattr("cibscan.browse.search_index.BROAD", broad)
    index = open_index(case.engine, tmp_path / "browse.duckdb")
    try:
        queries = _queries(case)
        assert len(queries) > 60
        through_terms = 0
        for n, (kind, q) in enumerate(queries):
            # every query's first page; a later page of every third (the paging is shared)
            for limit, offset in ((50, 0), (3, 2))[: 2 if n % 3 == 0 else 1]:
                scanned = browse.search(case.engine, q, kind, limit=limit, offset=offset)
                indexed = browse.search(
                    case.engine, q, kind, limit=limit, offset=offset, index=index
                )
                assert indexed == scanned, (kind, q, limit, offset)
            looked_up = search_posts(case.engine, index, q.strip(), kind, limit=5, offset=0)
            through_terms += looked_up is not None
        # only the queries without a word character (and, at 5%, the broad ones) are scans
        assert through_terms >= (len(queries) - 3 if broad == 1.0 else len(queries) // 3)
        truth = search_posts(case.engine, index, "truth", "text", limit=50, offset=0)
        assert truth is not None and truth[0] == 4  # the hostile ring's four copies
    finally:
        close_index(case.engine, index)
