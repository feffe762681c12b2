"""The pages prepared ahead (cibscan/serve/pagestore.py) are the pages rendered at a
request from the direct queries, with the verdicts and label form of the moment filled in,
and their JSON the API's answer; a hostile text cannot forge a slot."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cibscan import browse
from cibscan.browse.index import close_index, open_index
from cibscan.serve.base import FastJSON
from cibscan.serve.pagestore import account_key, build_store, cluster_key
from cibscan.serve.render import (
    MARK,
    PAGE_ROWS,
    LiveSlots,
    RecordingSlots,
    account_main,
    cluster_main,
    fill,
    prepare,
)
from cibscan.store import Case, open_case
from cibscan.store.labels import current_verdicts, label
from tests.workbench import build_case


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    path = build_case(tmp_path_factory.mktemp("pagestore"))
    with open_case(path, create=False) as opened:
        label(opened.engine, "dismissed", accounts=["twitter:persona_1"], note="a test")
        yield opened


def test_prepared_pages_are_the_pages_rendered_at_a_request(case: Case, tmp_path: Path) -> None:
    engine = case.engine
    index = open_index(engine, tmp_path / "browse.duckdb")
    try:
        store = build_store(engine, index, tmp_path / "pages")
        # a verdict written after the pages were prepared shows on them
        label(engine, "confirmed", accounts=["twitter:persona_2"])
        verdicts = current_verdicts(engine)
        assert verdicts[("twitter", "persona_2")] == "confirmed"
        keys = engine.fetchall(
            """SELECT platform, account_id FROM accounts
               UNION SELECT platform, account_id FROM account_index ORDER BY ALL"""
        )
        assert len(store) == len(keys) + int(engine.fetchall("SELECT count(*) FROM clusters")[0][0])
        both = [LiveSlots(verdicts, writable) for writable in (True, False)]
        # each page read from the case once, compared with its prepared form both ways
        for platform, account_id in keys:
            direct = browse.account_detail(engine, platform, account_id, posts_limit=PAGE_ROWS)
            assert direct is not None
            for slots in both:
                prepared = store.page(account_key(platform, account_id), slots)
                assert prepared == account_main(direct, slots), (platform, account_id)
            # the API's JSON too, with the verdicts of now
            answer = store.answer(account_key(platform, account_id), verdicts)
            assert answer == FastJSON(None).render(direct), (platform, account_id)
        for (cluster_id,) in engine.fetchall("SELECT cluster_id FROM clusters"):
            direct_cluster = browse.cluster_detail(engine, cluster_id)
            assert direct_cluster is not None
            for slots in both:
                prepared = store.page(cluster_key(cluster_id), slots)
                assert prepared == cluster_main(direct_cluster, slots), cluster_id
            answer = store.answer(cluster_key(cluster_id), verdicts)
            assert answer == FastJSON(None).render(direct_cluster), cluster_id
        persona = store.page(account_key("twitter", "persona_2"), LiveSlots(verdicts, True))
        assert persona is not None and 'class="verdict confirmed">confirmed' in persona
        assert '<form class="label"' in persona and MARK not in persona
        read_only = store.page(account_key("twitter", "persona_2"), LiveSlots({}, False))
        assert read_only is not None and "confirmed" not in read_only
        assert '<form class="label"' not in read_only
        assert store.page(account_key("twitter", "nobody"), LiveSlots({}, False)) is None
        assert store.answer(account_key("twitter", "nobody"), verdicts) is None
        assert b'"verdict":"confirmed"' in (
            store.answer(account_key("twitter", "persona_2"), verdicts) or b""
        )
        store.close()
    finally:
        close_index(engine, index)


def test_attacker_text_cannot_forge_a_slot() -> None:
    slots = RecordingSlots()
    detail = {
        "profile": {"platform": "twitter", "account_id": MARK, "handle": MARK},
        "names": [],
        "score": None,
        "signals": [],
        "tells": [],
        "ties": [],
        "n_ties": 0,
        "evidence": [],
        "n_evidence": 0,
        "activity": [],
        "posts": {"items": [{"text": MARK, "kind": "post"}], "total": 1, "limit": 50, "offset": 0},
    }
    parts, calls = prepare(str(account_main(detail, slots)), slots)
    assert [c[0] for c in calls] == ["verdict", "label_form"]
    shown = fill(parts, calls, LiveSlots({("twitter", MARK): "confirmed"}, True))
    assert "&lt;!--cibscan-slot--&gt;" in shown and MARK not in shown
    with pytest.raises(ValueError, match="slots do not match"):
        fill([*parts, "x"], calls, LiveSlots({}, True))
