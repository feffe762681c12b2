"""The browse index: each account's page precomputed, so that opening one is a point read.

On a 1M-post case an account page asked of the case directly costs about twenty queries,
several of which scan every post (an account's posts are spread over the whole ``posts``
table, which is in ingest order). Fifty analysts' clients each opening another account
queue for the cores behind those scans. The index is a second DuckDB file built once when
the workbench starts: one row per account holding what its page shows (profile, names,
posts per day, the first page of posts, scores, signals, tells, ties, evidence), and the
account's posts sorted by account, in small row groups, so that any later page of posts
reads one row group. A page is then one or two lookups (:mod:`cibscan.browse.index_reads`).
It also holds every post's search terms (:mod:`cibscan.browse.search_index`), so a search
by text, URL, domain or hashtag reads a few postings instead of every text.

Consistency: the index holds nothing an analyst can change from the workbench. Verdicts are
joined from the case's ``labels`` table at each read, so a label written through the
workbench shows at once. The index records the case's fingerprint (latest ingest and
detect runs, numbers of posts and accounts); :func:`open_index` reuses an index file only
when the fingerprint still matches, and rebuilds it otherwise.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from cibscan.browse.search_index import build_search
from cibscan.browse.search_store import SearchStore, store_paths
from cibscan.engine import Engine
from cibscan.export.tables import clusters_sql, evidence_sql, nodes_sql

log = logging.getLogger(__name__)

#: bumped whenever the index's tables change, so an older index file is rebuilt
INDEX_VERSION = 3
#: the catalog name the index is attached under
ALIAS = "browse_index"
#: posts, ties and evidence rows an account's row holds (the pages' first page)
FIRST_POSTS = 50
TIE_ROWS = 100
EVIDENCE_ROWS = 50
#: rows per row group of the index: small, so a lookup by key reads little
ROW_GROUP_SIZE = 8192
#: characters of a post's text a page of posts holds
POST_CHARS = 2000

_EVIDENCE_ORDER = "object_accounts, dt, signal, post_a, post_b"


@dataclass(frozen=True)
class BrowseIndex:
    """An attached browse index: its catalog ``alias``, file and the case fingerprint it
    was built for; ``findings`` says whether the case had a detect run then."""

    alias: str
    path: Path
    fingerprint: str
    findings: bool
    built: bool
    #: the search's postings and texts read by offset (None: searches are scans)
    search: SearchStore | None = field(default=None, compare=False, repr=False)


def fingerprint(engine: Engine) -> str:
    """What the index depends on: the latest ingest and detect runs, the numbers of posts
    and accounts, and the index's own version. Labels are not in it (they are read live)."""
    parts: dict[str, object] = {"version": INDEX_VERSION}
    for table in ("ingest_runs", "detect_runs"):
        if engine.table_exists(table):
            parts[table] = engine.fetchall(f"SELECT max(run_id), count(*) FROM {table}")[0]
    for table in ("posts", "accounts", "account_scores"):
        if engine.table_exists(table):
            parts[table] = engine.fetchall(f"SELECT count(*) FROM {table}")[0][0]
    return json.dumps(parts, default=str, sort_keys=True)


def has_findings(engine: Engine) -> bool:
    return (
        engine.table_exists("account_scores")
        and engine.table_exists("detect_runs")
        and engine.table_exists("account_index")
    )


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def open_index(engine: Engine, path: Path) -> BrowseIndex:
    """The browse index of the case open in ``engine``, in the file ``path``: reused when
    it was built for the case as it is now, built (or rebuilt) otherwise, and attached
    read-only as :data:`ALIAS`."""
    wanted = fingerprint(engine)
    if path.exists():
        engine.execute(f"ATTACH '{_quoted(path)}' AS {ALIAS} (READ_ONLY)")
        try:
            found = engine.fetchall(f"SELECT fingerprint, findings FROM {ALIAS}.meta")
        except Exception:  # not an index, or an unfinished one: rebuilt below
            found = []
        if found and found[0][0] == wanted and all(p.exists() for p in store_paths(path)[:2]):
            return BrowseIndex(
                ALIAS, path, wanted, bool(found[0][1]), built=False, search=SearchStore(path)
            )
        engine.execute(f"DETACH {ALIAS}")
        log.info("the browse index %s is stale: rebuilding it", path)
        path.unlink()
        Path(f"{path}.wal").unlink(missing_ok=True)
    start = time.perf_counter()
    findings = build_index(engine, path, wanted)
    log.info("browse index built in %.1f s: %s", time.perf_counter() - start, path)
    engine.execute(f"ATTACH '{_quoted(path)}' AS {ALIAS} (READ_ONLY)")
    return BrowseIndex(ALIAS, path, wanted, findings, built=True, search=SearchStore(path))


def close_index(engine: Engine, index: BrowseIndex) -> None:
    """Detach the index (its file stays)."""
    engine.execute(f"DETACH {index.alias}")


def build_index(engine: Engine, path: Path, fingerprint_: str) -> bool:
    """Write the index of the case open in ``engine`` to ``path`` (which must not exist);
    return whether the case had findings. The fingerprint is written last, so an index
    cut short is never reused."""
    work = f"{ALIAS}_build"
    path.parent.mkdir(parents=True, exist_ok=True)
    engine.execute(
        f"ATTACH '{_quoted(path)}' AS {work} (READ_WRITE, ROW_GROUP_SIZE {ROW_GROUP_SIZE})"
    )
    findings = has_findings(engine)
    try:
        _build_accounts(engine, work, findings)
        build_search(engine, work, path)
        if findings:
            _build_clusters(engine, work)
        engine.execute(
            f"CREATE TABLE {work}.meta AS SELECT ? AS fingerprint, ? AS findings",
            [fingerprint_, findings],
        )
    finally:
        engine.execute(f"DETACH {work}")
    return findings


def _build_accounts(engine: Engine, work: str, findings: bool) -> None:
    """``{work}.accounts``: one row per account (of ``accounts`` or the findings) with its
    page's parts; ``{work}.posts``: every post by account key ``k``, numbered ``rn`` in the
    page's order."""
    keys = "SELECT platform, account_id FROM accounts"
    if findings:
        keys += " UNION SELECT platform, account_id FROM account_index"
    engine.execute(
        f"""CREATE TEMP TABLE _bi_keys AS
            SELECT row_number() OVER (ORDER BY platform, account_id) AS k, platform, account_id
            FROM ({keys}) AS u"""
    )
    try:
        engine.execute(
            f"""CREATE TABLE {work}.posts AS
                SELECT k.k, row_number() OVER (
                           PARTITION BY k.k ORDER BY p.created_at NULLS LAST, p.post_id) AS rn,
                       p.post_id, p.created_at, p.kind, left(p.text, {POST_CHARS}) AS text,
                       length(p.text) AS text_length, p.language, p.urls, p.domains,
                       p.hashtags, p.repost_of_account, p.reply_to_account,
                       p.quote_of_account, p.client
                FROM posts AS p JOIN _bi_keys AS k USING (platform, account_id)
                ORDER BY k.k, rn"""
        )
        parts = [
            # profile: the accounts row as a struct (NULL when only the findings know it)
            """LEFT JOIN (SELECT platform, account_id, any_value(a) AS profile
                          FROM accounts AS a GROUP BY platform, account_id) AS pr
                 USING (platform, account_id)""",
            """LEFT JOIN (SELECT platform, account_id,
                   list(struct_pack(handle, display_name, first_seen, last_seen, source_format)
                        ORDER BY first_seen NULLS LAST, handle, display_name) AS names
                 FROM account_names GROUP BY platform, account_id) AS nm
                 USING (platform, account_id)""",
            f"""LEFT JOIN (SELECT k, count(*) AS n_posts,
                   list(struct_pack(post_id, created_at, kind, text, text_length, language,
                                    urls, domains, hashtags, repost_of_account,
                                    reply_to_account, quote_of_account, client) ORDER BY rn)
                     FILTER (WHERE rn <= {FIRST_POSTS}) AS first_posts
                 FROM {work}.posts GROUP BY k) AS po USING (k)""",
            f"""LEFT JOIN (SELECT k, list(struct_pack(day, n) ORDER BY day) AS activity
                 FROM (SELECT k, CAST(timezone('UTC', created_at) AS DATE) AS day,
                              count(*) AS n
                       FROM {work}.posts WHERE created_at IS NOT NULL GROUP BY ALL)
                 GROUP BY k) AS ac USING (k)""",
        ]
        columns = [
            "profile",
            "coalesce(nm.names, []) AS names",
            "coalesce(po.n_posts, 0) AS n_posts",
            "coalesce(po.first_posts, []) AS first_posts",
            "coalesce(ac.activity, []) AS activity",
        ]
        if findings:
            _findings_parts(engine, parts, columns)
        engine.execute(
            f"""CREATE TABLE {work}.accounts AS
                SELECT k.k, k.platform, k.account_id, {", ".join(columns)}
                FROM _bi_keys AS k {" ".join(parts)}
                ORDER BY k.platform, k.account_id"""
        )
    finally:
        engine.execute("DROP TABLE IF EXISTS _bi_keys")


def _findings_parts(engine: Engine, parts: list[str], columns: list[str]) -> None:
    """The joins and columns of the detect run's view of each account (as
    :func:`cibscan.browse.accounts._findings` reads it for one)."""
    parts.append("LEFT JOIN account_index AS ix USING (platform, account_id)")
    columns.append("ix.acct")
    parts.append(
        """LEFT JOIN (SELECT acct, struct_pack(score := round(score, 6), flagged, cluster_id,
                       reasons, strength := round(strength, 6), n_partners, tied) AS score
                      FROM account_scores) AS sc ON sc.acct = ix.acct"""
    )
    columns.append("sc.score")
    parts.append(
        """LEFT JOIN (SELECT acct, list(struct_pack(signal, score := round(score, 6),
                       strength := round(strength, 6), n_partners, n_shared, best_q, n_tested)
                       ORDER BY score DESC, signal) AS signals
                      FROM account_signal_scores WHERE n_partners > 0 OR score > 0
                      GROUP BY acct) AS si ON si.acct = ix.acct"""
    )
    columns.append("coalesce(si.signals, []) AS signals")
    if engine.table_exists("account_tells"):
        parts.append(
            """LEFT JOIN (SELECT acct, list(struct_pack(tell, score := round(score, 6),
                           strength := round(strength, 6), detail)
                           ORDER BY score DESC, tell) AS tells
                          FROM account_tells GROUP BY acct) AS te ON te.acct = ix.acct"""
        )
        columns.append("coalesce(te.tells, []) AS tells")
    else:
        columns.append("[] AS tells")
    parts.append(
        f"""LEFT JOIN (
            SELECT owner, count(*) AS n_ties,
                   list(struct_pack(platform, account_id, handle, cluster_id, flagged,
                                    strength, n_shared, layers, min_gap_seconds) ORDER BY rk)
                     FILTER (WHERE rk <= {TIE_ROWS}) AS ties
            FROM (SELECT e.owner, ip.platform, ip.account_id, h.handle, sp.cluster_id,
                         sp.flagged, round(e.strength, 6) AS strength, e.n_shared,
                         array_to_string(e.layers, ';') AS layers,
                         e.min_dt AS min_gap_seconds,
                         row_number() OVER (PARTITION BY e.owner
                             ORDER BY e.strength DESC, ip.platform, ip.account_id) AS rk
                  FROM (SELECT a AS owner, b AS partner, * FROM edges
                        UNION ALL BY NAME SELECT b AS owner, a AS partner, * FROM edges) AS e
                  JOIN account_index AS ip ON ip.acct = e.partner
                  LEFT JOIN account_scores AS sp ON sp.acct = e.partner
                  LEFT JOIN accounts AS h
                    ON h.platform = ip.platform AND h.account_id = ip.account_id)
            GROUP BY owner) AS ti ON ti.owner = ix.acct"""
    )
    columns += ["coalesce(ti.n_ties, 0) AS n_ties", "coalesce(ti.ties, []) AS ties"]
    # the evidence: significant rows, each under both its accounts, rarest items first
    chosen = f"""(SELECT * FROM (
            SELECT o.owner, row_number() OVER (
                       PARTITION BY o.owner ORDER BY {_EVIDENCE_ORDER}) AS ev_rank,
                   count(*) OVER (PARTITION BY o.owner) AS ev_total, o.* EXCLUDE (owner)
            FROM (SELECT v.a AS owner, v.* FROM evidence AS v
                  JOIN pairs AS s ON s.signal = v.signal AND s.a = v.a AND s.b = v.b
                   AND s.significant
                  UNION ALL
                  SELECT v.b AS owner, v.* FROM evidence AS v
                  JOIN pairs AS s ON s.signal = v.signal AND s.a = v.a AND s.b = v.b
                   AND s.significant) AS o)
        WHERE ev_rank <= {EVIDENCE_ROWS})"""
    exported = evidence_sql(engine, chosen, carry=("owner", "ev_rank", "ev_total"))
    parts.append(
        f"""LEFT JOIN (
            SELECT x.owner, any_value(x.ev_total) AS n_evidence,
                   list(x ORDER BY x.ev_rank) AS evidence
            FROM ({exported}) AS x GROUP BY x.owner) AS ev ON ev.owner = ix.acct"""
    )
    columns += ["coalesce(ev.n_evidence, 0) AS n_evidence", "coalesce(ev.evidence, []) AS evidence"]


def _build_clusters(engine: Engine, work: str) -> None:
    """``{work}.clusters``: one row per cluster with its page's parts (as
    :func:`cibscan.browse.cluster_detail` reads them for one); ``{work}.members``: the
    members in the page's order (their verdicts are joined at each read)."""
    engine.execute(
        f"""CREATE TABLE {work}.members AS
            SELECT n.cluster_id, row_number() OVER (PARTITION BY n.cluster_id
                       ORDER BY n.score DESC, n.platform, n.account_id) AS rk,
                   n.node_id, n.platform, n.account_id, n.handle, n.display_name,
                   n.created_at, n.score, n.flagged, n.reasons
            FROM ({nodes_sql(engine)}) AS n WHERE n.cluster_id IS NOT NULL
            ORDER BY n.cluster_id, rk"""
    )
    member_posts = """SELECT s.cluster_id, p.created_at FROM posts AS p
        JOIN account_scores AS s USING (platform, account_id)
        WHERE s.cluster_id IS NOT NULL AND p.created_at IS NOT NULL"""
    tells = "SELECT NULL::BIGINT AS cluster_id, NULL AS tells WHERE false"
    if engine.table_exists("account_tells"):
        tells = """SELECT cluster_id, list(struct_pack(tell, accounts, best_score, mean_score)
                       ORDER BY accounts DESC, best_score DESC, tell) AS tells
            FROM (SELECT c.cluster_id, t.tell,
                         count(*) FILTER (WHERE t.score > 0) AS accounts,
                         round(max(t.score), 6) AS best_score,
                         round(avg(t.score), 6) AS mean_score
                  FROM account_tells AS t JOIN account_clusters AS c USING (acct)
                  GROUP BY c.cluster_id, t.tell
                  HAVING count(*) FILTER (WHERE t.score > 0) > 0)
            GROUP BY cluster_id"""
    chosen = f"""(SELECT * FROM (
            SELECT sa.cluster_id AS owner, row_number() OVER (
                       PARTITION BY sa.cluster_id
                       ORDER BY v.object_accounts, v.dt, v.signal, v.post_a, v.post_b) AS ev_rank,
                   count(*) OVER (PARTITION BY sa.cluster_id) AS ev_total, v.*
            FROM evidence AS v
            JOIN pairs AS s ON s.signal = v.signal AND s.a = v.a AND s.b = v.b AND s.significant
            JOIN account_scores AS sa ON sa.acct = v.a
            JOIN account_scores AS sb ON sb.acct = v.b
            WHERE sa.cluster_id = sb.cluster_id)
        WHERE ev_rank <= {EVIDENCE_ROWS})"""
    exported = evidence_sql(engine, chosen, carry=("owner", "ev_rank", "ev_total"))
    engine.execute(
        f"""CREATE TABLE {work}.clusters AS
            SELECT c.cluster_id, c AS cluster,
                   coalesce(ed.edges, []) AS edges, coalesce(te.tells, []) AS tells,
                   coalesce(ac.activity, []) AS activity, coalesce(wk.weekly, []) AS weekly,
                   coalesce(ev.evidence, []) AS evidence,
                   coalesce(ev.n_evidence, 0) AS n_evidence
            FROM ({clusters_sql(engine)}) AS c
            LEFT JOIN (
                SELECT cluster_id, list(struct_pack(source, target, strength, n_shared, layers,
                           min_gap_seconds) ORDER BY strength DESC, source, target) AS edges
                FROM (SELECT ca.cluster_id,
                             ia.platform || ':' || ia.account_id AS source,
                             ib.platform || ':' || ib.account_id AS target,
                             round(e.strength, 6) AS strength, e.n_shared,
                             array_to_string(e.layers, ';') AS layers,
                             e.min_dt AS min_gap_seconds
                      FROM edges AS e
                      JOIN account_clusters AS ca ON ca.acct = e.a
                      JOIN account_clusters AS cb ON cb.acct = e.b
                      JOIN account_index AS ia ON ia.acct = e.a
                      JOIN account_index AS ib ON ib.acct = e.b
                      WHERE ca.cluster_id = cb.cluster_id)
                GROUP BY cluster_id) AS ed USING (cluster_id)
            LEFT JOIN ({tells}) AS te USING (cluster_id)
            LEFT JOIN (
                SELECT cluster_id, list(struct_pack(day, n) ORDER BY day) AS activity
                FROM (SELECT cluster_id, CAST(timezone('UTC', created_at) AS DATE) AS day,
                             count(*) AS n FROM ({member_posts}) GROUP BY ALL)
                GROUP BY cluster_id) AS ac USING (cluster_id)
            LEFT JOIN (
                SELECT cluster_id, list(struct_pack(dow, hour, n)) AS weekly
                FROM (SELECT cluster_id, isodow(timezone('UTC', created_at)) AS dow,
                             hour(timezone('UTC', created_at)) AS hour, count(*) AS n
                      FROM ({member_posts}) GROUP BY ALL)
                GROUP BY cluster_id) AS wk USING (cluster_id)
            LEFT JOIN (
                SELECT x.owner AS cluster_id, any_value(x.ev_total) AS n_evidence,
                       list(x ORDER BY x.ev_rank) AS evidence
                FROM ({exported}) AS x GROUP BY x.owner) AS ev USING (cluster_id)
            ORDER BY c.cluster_id"""
    )
