"""cibscan.browse and the Findings methods over it, on the workbench's scene (known answers
in tests/workbench.py): the library the workbench's routes call, without a server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cibscan import Findings, browse
from tests import scenes
from tests.workbench import build_case


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Findings]:
    found = Findings.open(build_case(tmp_path_factory.mktemp("browse")))
    yield found
    found.close()


def test_findings_cluster_and_account(findings: Findings) -> None:
    persona = findings.account("@persona_0")
    assert persona["profile"]["account_id"] == "persona_0" and persona["n_ties"] == 4
    cluster = findings.cluster(persona["score"]["cluster_id"])
    assert sorted(m["account_id"] for m in cluster["members"]) == [f"persona_{k}" for k in range(5)]
    # the cluster's evidence is that of ties inside it: both sides are members
    assert cluster["evidence"] and all(
        e["account_id_a"].startswith("persona_") and e["account_id_b"].startswith("persona_")
        for e in cluster["evidence"]
    )
    with pytest.raises(ValueError, match="no cluster 999"):
        findings.cluster(999)


def test_pages_and_their_limits(findings: Findings) -> None:
    engine = findings.case.engine
    first = browse.list_clusters(engine, sort="size", limit=4)
    rest = browse.list_clusters(engine, sort="size", limit=4, offset=4)
    assert first.total == rest.total == 6 and len(first.items) == 4 and len(rest.items) == 2
    ids = [c["cluster_id"] for c in first.items + rest.items]
    assert len(set(ids)) == 6  # the pages do not overlap
    with pytest.raises(ValueError, match="limit"):
        browse.list_clusters(engine, limit=browse.MAX_LIMIT + 1)
    with pytest.raises(ValueError, match="unknown search kind"):
        browse.search(engine, "x", "everything")


def test_hashtag_search_ignores_the_hash_and_case(findings: Findings) -> None:
    """Every live-tweeting viewer's post carries #debate (tests/scenes.py)."""
    viewers = {p["post_id"] for p in scenes.debate_livetweeting()}
    tagged = browse.search(findings.case.engine, "#DEBATE", "hashtag", limit=1000)
    assert viewers <= {p["post_id"] for p in tagged["items"]}
    assert browse.search(findings.case.engine, "#NoSuchTag", "hashtag")["total"] == 0


def test_text_search_ignores_case(findings: Findings) -> None:
    texts = browse.search(findings.case.engine, "READ THE TRUTH", "text")
    assert texts["total"] == 4  # the hostile ring's four copies, case ignored
    assert {p["account_id"] for p in texts["items"]} == {f"hostile_{k}" for k in range(4)}
