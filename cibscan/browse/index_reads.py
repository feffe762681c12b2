"""Reading the browse index: one cluster's or account's page, or every page in turn.

A point read (:func:`cluster_page`, :func:`account_page`) is what the workbench asks while
an analyst clicks; the bulk reads (:func:`all_cluster_pages`, :func:`all_account_pages`)
stream every page once, for whatever prepares the pages ahead (the workbench's page store,
:mod:`cibscan.serve.pagestore`). Both turn an index row into the same dict, so a page
prepared ahead is the page a point read would give. Bulk reads carry no verdict (``None``):
verdicts change while the workbench runs, so whoever shows them joins them at read time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cibscan.browse.common import Page, Row, bare_account_detail, check_page, rows
from cibscan.browse.index import FIRST_POSTS, BrowseIndex
from cibscan.engine import Engine
from cibscan.store.labels import current_labels_sql

#: columns of an evidence row in the index that are not the export's
_CARRIED = ("owner", "ev_rank", "ev_total")
#: index rows turned into Python objects at a time by the bulk reads (bounded memory)
BATCH_ROWS = 1000


def _evidence(found: list[Row]) -> list[Row]:
    return [{k: v for k, v in e.items() if k not in _CARRIED} for e in found]


def _cluster_detail(row: Row, members: list[Row]) -> dict[str, Any]:
    weekly = [[0] * 24 for _ in range(7)]
    for cell in row["weekly"]:
        weekly[int(cell["dow"]) - 1][int(cell["hour"])] += int(cell["n"])
    return {
        "cluster": row["cluster"],
        "members": members,
        "edges": row["edges"],
        "tells": row["tells"],
        "activity": row["activity"],
        "weekly": weekly,
        "evidence": _evidence(row["evidence"]),
        "n_evidence": row["n_evidence"],
    }


def cluster_page(engine: Engine, index: BrowseIndex, cluster_id: int) -> dict[str, Any] | None:
    """:func:`cibscan.browse.cluster_detail` read from the index: two lookups (the
    cluster, its members with their current verdicts)."""
    found = rows(engine, f"SELECT * FROM {index.alias}.clusters WHERE cluster_id = ?", [cluster_id])
    if not found:
        return None
    verdict, join = "CAST(NULL AS VARCHAR) AS verdict", ""
    if engine.table_exists("labels"):
        verdict = "lab.verdict"
        join = f"""LEFT JOIN ({current_labels_sql()}) AS lab
            ON lab.platform = m.platform AND lab.account_id = m.account_id"""
    members = rows(
        engine,
        f"""SELECT m.* EXCLUDE (cluster_id, rk), {verdict}
            FROM {index.alias}.members AS m {join} WHERE m.cluster_id = ? ORDER BY m.rk""",
        [cluster_id],
    )
    return _cluster_detail(found[0], members)


def all_cluster_pages(engine: Engine, index: BrowseIndex) -> Iterator[dict[str, Any]]:
    """Every cluster's page (as :func:`cluster_page`, each member's ``verdict`` None), in
    cluster order; nothing when the case had no findings."""
    if not index.findings:
        return
    members: dict[int, list[Row]] = {}
    for m in rows(
        engine,
        f"""SELECT m.* EXCLUDE (rk), CAST(NULL AS VARCHAR) AS verdict
            FROM {index.alias}.members AS m ORDER BY m.cluster_id, m.rk""",
    ):
        members.setdefault(int(m.pop("cluster_id")), []).append(m)
    for batch in engine.fetch_batches(
        f"SELECT * FROM {index.alias}.clusters ORDER BY cluster_id", BATCH_ROWS
    ):
        for row in batch.to_pylist():
            yield _cluster_detail(row, members.get(int(row["cluster_id"]), []))


def _account_detail(
    row: Row,
    index: BrowseIndex,
    items: list[Row],
    *,
    posts_limit: int,
    posts_offset: int,
) -> dict[str, Any] | None:
    """The page dict of one index row (with its ``verdict``) and a page of its posts."""
    acct = row.get("acct")
    if row["profile"] is None and acct is None:
        return None
    profile = (
        {**row["profile"], "verdict": row["verdict"]}
        if row["profile"] is not None
        else {"platform": row["platform"], "account_id": row["account_id"]}
    )
    posts = Page(items, row["n_posts"], posts_limit, posts_offset)
    detail = bare_account_detail(profile, row["names"], row["activity"], posts)
    if acct is not None and index.findings:
        detail.update(
            score=row["score"],
            signals=row["signals"],
            tells=row["tells"],
            ties=row["ties"],
            n_ties=row["n_ties"],
            evidence=_evidence(row["evidence"]),
            n_evidence=row["n_evidence"],
            partner=None,
        )
    return detail


def account_page(
    engine: Engine,
    index: BrowseIndex,
    platform: str,
    account_id: str,
    *,
    posts_limit: int,
    posts_offset: int,
) -> dict[str, Any] | None:
    """:func:`cibscan.browse.account_detail` (without ``partner``) read from the index:
    one lookup, and one more for a page of posts past the first."""
    check_page(posts_limit, posts_offset)
    verdict = "CAST(NULL AS VARCHAR) AS verdict"
    if engine.table_exists("labels"):
        verdict = f"""(SELECT verdict FROM ({current_labels_sql()}) AS lab
                       WHERE lab.platform = r.platform AND lab.account_id = r.account_id)
                      AS verdict"""
    found = rows(
        engine,
        f"""SELECT r.*, {verdict} FROM {index.alias}.accounts AS r
            WHERE r.platform = ? AND r.account_id = ?""",
        [platform, account_id],
    )
    if not found:
        return None
    row = found[0]
    if posts_offset + posts_limit <= FIRST_POSTS:
        items = row["first_posts"][posts_offset : posts_offset + posts_limit]
    else:
        items = rows(
            engine,
            f"""SELECT * EXCLUDE (k, rn) FROM {index.alias}.posts
                WHERE k = ? AND rn > ? AND rn <= ? ORDER BY rn""",
            [row["k"], posts_offset, posts_offset + posts_limit],
        )
    return _account_detail(row, index, items, posts_limit=posts_limit, posts_offset=posts_offset)


def all_account_pages(
    engine: Engine, index: BrowseIndex, *, posts_limit: int = FIRST_POSTS
) -> Iterator[dict[str, Any]]:
    """Every account's page with its first ``posts_limit`` posts (at most
    :data:`~cibscan.browse.index.FIRST_POSTS`), as :func:`account_page` gives it, the
    profile's ``verdict`` None; in account order, :data:`BATCH_ROWS` rows at a time."""
    check_page(posts_limit, 0)
    if posts_limit > FIRST_POSTS:
        raise ValueError(f"the index holds the first {FIRST_POSTS} posts of an account")
    for batch in engine.fetch_batches(
        f"""SELECT r.*, CAST(NULL AS VARCHAR) AS verdict FROM {index.alias}.accounts AS r
            ORDER BY r.platform, r.account_id""",
        BATCH_ROWS,
    ):
        for row in batch.to_pylist():
            detail = _account_detail(
                row,
                index,
                row["first_posts"][:posts_limit],
                posts_limit=posts_limit,
                posts_offset=0,
            )
            if detail is not None:
                yield detail
