"""Searching a phrase through the browse index (cibscan/browse/search_index.py and
search_store.py): known answers on a small case, the scan's answers whatever the
candidates' path, and the workbench's search page keeps a hostile hit's text inert."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cibscan import browse
from cibscan.browse.index import BrowseIndex, close_index, open_index
from cibscan.browse.search_index import search_posts
from cibscan.ingest.pipeline import IngestOptions, ingest
from cibscan.serve import ServeOptions, build_app
from cibscan.store import Case, open_case
from tests import scenes
from tests.workbench import TOKEN, http, running

HOSTILE = '<script>window.__pwned=1</script> quick brown <img src=x onerror="alert(1)">'
#: post id -> text; the comment says whether ``quick brown`` (a text search) finds it
TEXTS = {
    "adjacent": "Breaking: the QUICK Brown fox jumps",  # yes, whatever the case
    "apart": "quick silver and a brown bear",  # no: both words, not adjacent
    "reversed": "brown and quick, the fox",  # no: both words, the other order
    "spaces": "quick   brown",  # no: three spaces are not one
    "comma": "quick, brown",  # no: a comma between
    "inside": "unquick brownie",  # yes: the scan's substring (``vote`` finds ``voters``)
    "hostile": HOSTILE,  # yes
    "alone": "quick",  # no
    "nothing": "lorem ipsum",  # no
}
URLS = {
    "adjacent": ["https://news.example/quick-brown/fox"],
    "apart": ["https://quick.example/brown"],
}


@pytest.fixture(scope="module")
def case_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("phrase")
    posts = [
        scenes.post(pid, f"user_{n}", n * 60, text, urls=URLS.get(pid, []))
        for n, (pid, text) in enumerate(TEXTS.items())
    ]
    posts += [scenes.post(f"f{n}", f"filler_{n % 7}", 3600 + n, f"filler {n}") for n in range(60)]
    path = folder / "case.duckdb"
    with open_case(path) as case:
        ingest(
            case, [str(scenes.write(folder / "posts.jsonl", posts))], IngestOptions("generic_jsonl")
        )
    return path


@pytest.fixture(scope="module")
def indexed(
    case_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Case, BrowseIndex]]:
    with open_case(case_path, create=False, read_only=True) as case:
        index = open_index(case.engine, tmp_path_factory.mktemp("idx") / "browse.duckdb")
        try:
            yield case, index
        finally:
            close_index(case.engine, index)


def _ids(case: Case, q: str, kind: str, index: BrowseIndex | None) -> set[str]:
    found = browse.search(case.engine, q, kind, limit=100, index=index)
    return {item["post_id"] for item in found["items"]}


@pytest.mark.parametrize("ratio", [0, 4, 10**9])
def test_a_phrase_hits_only_the_texts_holding_it(
    indexed: tuple[Case, BrowseIndex], monkeypatch: pytest.MonkeyPatch, ratio: int
) -> None:
    """Whether the other words' posts are intersected first (``ratio``) or not, the hits
    are the posts holding the words adjacent and in order, as the scan finds them."""
    monkeypatch.setattr("cibscan.browse.search_index.INTERSECT_RATIO", ratio)
    monkeypatch.setattr("cibscan.browse.search_index.BROAD", 1.0)  # no query left to the scan
    case, index = indexed
    assert search_posts(case.engine, index, "quick brown", "text", limit=5, offset=0) is not None
    assert index.search is not None and index.search.rows([1]) is not None  # rows read by offset
    expected = {
        "quick brown": {"adjacent", "inside", "hostile"},
        "Quick Brown Fox": {"adjacent"},
        "quick, brown": {"comma"},
        "brown and quick": {"reversed"},
        "k brown": {"adjacent", "inside", "hostile"},
        "quick brown fox jumps": {"adjacent"},
        "quick brown fox sleeps": set(),
        "the fox": {"reversed"},
        "quick   brown": {"spaces"},
        "quick": {"adjacent", "apart", "reversed", "spaces", "comma", "inside", "hostile", "alone"},
        "quick!": set(),
        "</script> quick": {"hostile"},
    }
    for q, posts in expected.items():
        assert _ids(case, q, "text", index) == posts, q
        assert _ids(case, q, "text", None) == posts, q  # the scan agrees
    for q, posts in {"quick-brown": {"adjacent"}, "quick.example/brown": {"apart"}}.items():
        assert _ids(case, q, "url", index) == _ids(case, q, "url", None) == posts, q


def test_the_search_page_keeps_a_hostile_hit_inert(case_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"  # the module's fixture holds the case
    shutil.copy(case_path, copy)
    app = build_app(ServeOptions(copy, token=TOKEN))
    assert app.state.workbench.wait_for_index(60)
    with running(app) as base:
        status, _, body = http(f"{base}/search?q=quick+brown&kind=text")
        api = http(f"{base}/api/search?q=quick+brown&kind=text")[2]
    page = body.decode()
    assert status == 200 and "unquick brownie" in page
    assert "<script>window.__pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in page
    assert b'"total":3' in api
