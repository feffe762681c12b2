"""Clusters: a sorted, filtered page of them, and everything about one.

A cluster's page shows its members, the ties between them (the network an analyst looks
at), the tells its members carry, its activity over time and the evidence behind its
ties, rarest shared items first (an item few accounts shared says the most).
"""

from __future__ import annotations

from typing import Any

from cibscan.browse.common import (
    DEFAULT_LIMIT,
    Page,
    Row,
    evidence_page,
    labels_join,
    page,
    rows,
)
from cibscan.browse.index import EVIDENCE_ROWS, BrowseIndex
from cibscan.browse.index_reads import cluster_page
from cibscan.engine import Engine
from cibscan.export.tables import clusters_sql, nodes_sql

#: the orders a list of clusters can be sorted in, and the column each sorts by
CLUSTER_SORTS: dict[str, str] = {
    "score": "score",
    "size": "size",
    "flagged": "n_flagged",
    "edges": "n_edges",
    "density": "density",
    "synchrony": "synchrony",
    "gap": "median_min_gap_seconds",
    "first_time": "first_time",
    "last_time": "last_time",
    "platform": "platforms",
    "signal": "layers",
    "id": "cluster_id",
}


def list_clusters(
    engine: Engine,
    *,
    sort: str = "score",
    descending: bool = True,
    platform: str | None = None,
    signal: str | None = None,
    tell: str | None = None,
    flagged: bool | None = None,
    min_size: int | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page:
    """A page of the clusters of the latest run, sorted by ``sort`` (one of
    :data:`CLUSTER_SORTS`) and kept to those with a member on ``platform``, a tie of
    ``signal``, a member carrying ``tell`` (score above 0), flagged members (``flagged``
    True) or none (False), at least ``min_size`` members."""
    if sort not in CLUSTER_SORTS:
        raise ValueError(f"unknown sort {sort!r}; known: {', '.join(CLUSTER_SORTS)}")
    where: list[str] = []
    params: list[Any] = []
    if platform:
        where.append("list_contains(string_split(t.platforms, ';'), ?)")
        params.append(platform.lower())
    if signal:
        where.append("list_contains(string_split(t.layers, ';'), ?)")
        params.append(signal)
    if tell:
        if not engine.table_exists("account_tells"):
            where.append("false")
        else:
            where.append(
                """t.cluster_id IN (SELECT c.cluster_id FROM account_tells AS tt
                   JOIN account_clusters AS c USING (acct) WHERE tt.tell = ? AND tt.score > 0)"""
            )
            params.append(tell)
    if flagged is not None:
        where.append("t.n_flagged > 0" if flagged else "t.n_flagged = 0")
    if min_size is not None:
        where.append("t.size >= ?")
        params.append(min_size)
    direction = "DESC" if descending else "ASC"
    sql = f"""SELECT * FROM ({clusters_sql(engine)}) AS t
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY t.{CLUSTER_SORTS[sort]} {direction} NULLS LAST, t.cluster_id"""
    return page(engine, sql, params, limit, offset)


def cluster_detail(
    engine: Engine,
    cluster_id: int,
    *,
    evidence_rows: int = EVIDENCE_ROWS,
    index: BrowseIndex | None = None,
) -> dict[str, Any] | None:
    """Everything the cluster page shows (None when the latest run has no such cluster):
    ``cluster`` (its row of the clusters table), ``members`` (nodes with their verdict),
    ``edges`` (ties between members, ``source``/``target`` named ``platform:account_id``),
    ``tells`` (per tell: members carrying it, best and mean score), ``activity`` (members'
    posts per day), ``weekly`` (7 x 24 posts by UTC weekday and hour), ``evidence`` (the
    rarest shared items first) and ``n_evidence``. With a browse ``index``
    (:mod:`cibscan.browse.index`) the same answer is read from it."""
    if index is not None and index.findings and evidence_rows == EVIDENCE_ROWS:
        return cluster_page(engine, index, cluster_id)
    found = rows(
        engine, f"SELECT * FROM ({clusters_sql(engine)}) WHERE cluster_id = ?", [cluster_id]
    )
    if not found:
        return None
    verdict, join = labels_join(engine, "n")
    members = rows(
        engine,
        f"""SELECT n.node_id, n.platform, n.account_id, n.handle, n.display_name,
                   n.created_at, n.score, n.flagged, n.reasons, {verdict}
            FROM ({nodes_sql(engine)}) AS n {join}
            WHERE n.cluster_id = ? ORDER BY n.score DESC, n.platform, n.account_id""",
        [cluster_id],
    )
    edges = rows(
        engine,
        """SELECT ia.platform || ':' || ia.account_id AS source,
                  ib.platform || ':' || ib.account_id AS target,
                  round(e.strength, 6) AS strength, e.n_shared,
                  array_to_string(e.layers, ';') AS layers, e.min_dt AS min_gap_seconds
           FROM edges AS e
           JOIN account_clusters AS ca ON ca.acct = e.a
           JOIN account_clusters AS cb ON cb.acct = e.b
           JOIN account_index AS ia ON ia.acct = e.a
           JOIN account_index AS ib ON ib.acct = e.b
           WHERE ca.cluster_id = ? AND cb.cluster_id = ?
           ORDER BY e.strength DESC, source, target""",
        [cluster_id, cluster_id],
    )
    tells: list[Row] = []
    if engine.table_exists("account_tells"):
        tells = rows(
            engine,
            """SELECT t.tell, count(*) FILTER (WHERE t.score > 0) AS accounts,
                      round(max(t.score), 6) AS best_score, round(avg(t.score), 6) AS mean_score
               FROM account_tells AS t JOIN account_clusters AS c USING (acct)
               WHERE c.cluster_id = ? GROUP BY t.tell
               HAVING count(*) FILTER (WHERE t.score > 0) > 0
               ORDER BY accounts DESC, best_score DESC, t.tell""",
            [cluster_id],
        )
    member_posts = """SELECT p.created_at FROM posts AS p
        JOIN account_scores AS s USING (platform, account_id) WHERE s.cluster_id = ?"""
    activity = rows(
        engine,
        f"""SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, count(*) AS n
            FROM ({member_posts}) WHERE created_at IS NOT NULL GROUP BY day ORDER BY day""",
        [cluster_id],
    )
    weekly = [[0] * 24 for _ in range(7)]
    for r in rows(
        engine,
        f"""SELECT isodow(timezone('UTC', created_at)) AS dow,
                   hour(timezone('UTC', created_at)) AS hour, count(*) AS n
            FROM ({member_posts}) WHERE created_at IS NOT NULL GROUP BY ALL""",
        [cluster_id],
    ):
        weekly[int(r["dow"]) - 1][int(r["hour"])] += int(r["n"])
    # both sides in the cluster as the report scopes it (account_scores.cluster_id, which
    # holds the accounts flagged through a link too)
    members_of = "SELECT acct FROM account_scores WHERE cluster_id = ?"
    n_evidence, evidence = evidence_page(
        engine, f"v.a IN ({members_of}) AND v.b IN ({members_of})", [cluster_id] * 2, evidence_rows
    )
    return {
        "cluster": found[0],
        "members": members,
        "edges": edges,
        "tells": tells,
        "activity": activity,
        "weekly": weekly,
        "evidence": evidence,
        "n_evidence": n_evidence,
    }
