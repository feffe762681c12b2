"""What the HTML report shows, gathered from the case in a handful of aggregate queries.

Everything heavy is a GROUP BY in the engine; Python receives per-cluster aggregates (a
7 x 24 activity matrix, per-day counts, a cluster's members and ties, a few evidence rows),
never the posts themselves. The report covers the ``max_clusters`` best clusters in full and
the ``max_accounts`` best flagged accounts; the counts of what was left out are kept so the
page can say so.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from cibscan.engine import Engine
from cibscan.engine.base import iter_rows_as_dicts
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.export.tables import clusters_sql, evidence_clusters_sql, nodes_sql
from cibscan.report.links import linkable_platforms
from cibscan.tells.lexicon import original_join_sql, repost_class_sql
from cibscan.tells.shift_schedule import OFFICE_HOURS

Row = dict[str, Any]

#: flagged accounts listed in the index at the top of the page (one line each)
INDEX_ACCOUNTS = 2000
#: clusters listed in the index (a line each, with an anchor that accounts link to)
INDEX_CLUSTERS = 1000


@dataclass
class ClusterView:
    """One cluster and everything its section of the report shows."""

    row: Row
    members: list[Row] = field(default_factory=list)
    ties: list[Row] = field(default_factory=list)
    evidence: list[Row] = field(default_factory=list)
    weekly: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    created: list[tuple[date, int]] = field(default_factory=list)
    activity: list[tuple[date, int]] = field(default_factory=list)
    offset: tuple[int, float] | None = None
    #: per week: political and mundane posts of the members (the camouflage tell's classes)
    classes: list[tuple[date, int, int]] = field(default_factory=list)
    personas: PersonaFootprint | None = None


@dataclass
class PersonaFootprint:
    """Accounts per platform of a set of accounts widened to their cross-platform personas
    (``account_personas``), and the number of personas spanning platforms among them."""

    platforms: list[tuple[str, int]] = field(default_factory=list)
    personas: int = 0


@dataclass
class KnownNetworkView:
    """Accounts of the case matched to one known network (``cibscan match``, docs/matching.md),
    with the facets behind each match."""

    network: str
    matched: int
    by_identity: int
    #: matched accounts that detection flagged on its own coordination evidence too
    flagged: int
    accounts: list[Row] = field(default_factory=list)


@dataclass
class ReportData:
    """The whole report's content."""

    run: Row
    footprint: list[Row]
    layers: list[Row]
    span: Row
    population_offset: tuple[int, float] | None
    flagged_offset: tuple[int, float] | None
    clusters: list[ClusterView]
    #: clusters with at least one flagged member
    n_clusters: int
    accounts: list[Row]
    account_signals: dict[tuple[str, str], list[Row]]
    account_evidence: dict[tuple[str, str], list[Row]]
    account_tells: dict[tuple[str, str], list[Row]]
    n_flagged: int
    #: posts of the flagged accounts per day (UTC)
    flagged_days: list[tuple[date, int]] = field(default_factory=list)
    #: every cluster in clusters.csv (coordinated, flagged or not)
    n_all_clusters: int = 0
    #: the clusters listed in the page's index: those with a flagged member, and those shown
    cluster_index: list[Row] = field(default_factory=list)
    #: the flagged accounts listed in the page's index (the best INDEX_ACCOUNTS)
    index: list[Row] = field(default_factory=list)
    #: platforms whose ids are the platform's own, so that posts and accounts get links
    linkable: set[str] = field(default_factory=set)
    personas: PersonaFootprint | None = None
    known_networks: list[KnownNetworkView] = field(default_factory=list)


def _rows(engine: Engine, sql: str) -> list[Row]:
    return list(iter_rows_as_dicts(engine, sql))


def infer_offset(weekly: list[list[int]]) -> tuple[int, float] | None:
    """The UTC offset (hours, -12..+14) under which the most activity falls in weekday
    office hours, and that share. ``weekly`` is UTC weekday (Mon=0) x hour counts; shifting
    by an offset moves posts across midnight into the neighbouring day, so the profile is
    treated as one 168-hour cycle."""
    flat = [v for row in weekly for v in row]
    total = sum(flat)
    if total == 0:
        return None
    best: tuple[int, float] | None = None
    for offset in range(-12, 15):
        inside = 0
        for utc_hour, count in enumerate(flat):
            local = (utc_hour + offset) % 168
            if local // 24 < 5 and local % 24 in OFFICE_HOURS:
                inside += count
        share = inside / total
        if best is None or share > best[1] + 1e-12:
            best = (offset, share)
    return best


def _weekly(rows: list[Row], key: str) -> dict[Any, list[list[int]]]:
    out: dict[Any, list[list[int]]] = defaultdict(lambda: [[0] * 24 for _ in range(7)])
    for r in rows:
        out[r[key]][int(r["dow"]) - 1][int(r["hour"])] += int(r["n"])
    return out


def _member_posts(top: str) -> str:
    return f"""SELECT s.cluster_id, p.created_at
        FROM posts AS p JOIN account_scores AS s USING (platform, account_id)
        WHERE s.cluster_id IN ({top})"""


def _hourly(source: str, key: str) -> str:
    return f"""SELECT {key}, isodow(timezone('UTC', created_at)) AS dow,
               hour(timezone('UTC', created_at)) AS hour, count(*) AS n
        FROM ({source}) AS x WHERE created_at IS NOT NULL GROUP BY ALL"""


def _daily(source: str) -> str:
    return f"""SELECT cluster_id, CAST(timezone('UTC', created_at) AS DATE) AS day,
               count(*) AS n
        FROM ({source}) AS x WHERE created_at IS NOT NULL GROUP BY ALL ORDER BY cluster_id, day"""


def _weekly_classes(top: str) -> str:
    """Political and mundane posts of the members per week (camouflage's share over time)."""
    return f"""SELECT cluster_id, week,
               count(*) FILTER (WHERE cls = 'political') AS political,
               count(*) FILTER (WHERE cls = 'mundane') AS mundane
        FROM (SELECT s.cluster_id,
                     CAST(date_trunc('week', timezone('UTC', p.created_at)) AS DATE) AS week,
                     {repost_class_sql(DuckDBDialect())} AS cls
              FROM posts AS p JOIN account_scores AS s USING (platform, account_id)
              {original_join_sql()}
              WHERE s.cluster_id IN ({top}) AND p.created_at IS NOT NULL) AS x
        GROUP BY cluster_id, week ORDER BY cluster_id, week"""


def _evidence(engine: Engine, side_key: str, where: str, per: int) -> list[Row]:
    """Evidence rows (the export's columns) with the cluster of account a, ``per`` rows for
    each value of ``side_key``: the rarest shared items first (an item few accounts shared
    says the most), then the shortest gaps."""
    order = "e.object_accounts, e.gap_seconds, e.signal, e.post_a, e.post_b"
    # the venue and thread of each post, which some platforms' permalinks need (a YouTube
    # comment's video, a Reddit comment's submission), joined to the few rows kept
    return _rows(
        engine,
        f"""SELECT e.*, pa.venue AS venue_a, pa.conversation_id AS conversation_a,
                   pb.venue AS venue_b, pb.conversation_id AS conversation_b
        FROM (SELECT e.cluster_a AS cluster_id, e.*
              FROM ({evidence_clusters_sql(engine)}) AS e
              WHERE {where}
              QUALIFY row_number() OVER (PARTITION BY {side_key}
                                         ORDER BY {order}) <= {per}) AS e
        LEFT JOIN posts AS pa ON pa.platform = e.platform_a AND pa.post_id = e.post_a
        LEFT JOIN posts AS pb ON pb.platform = e.platform_b AND pb.post_id = e.post_b
        ORDER BY {side_key}, {order}""",
    )


def _cluster_views(engine: Engine, max_clusters: int) -> tuple[list[ClusterView], list[Row]]:
    """The ``max_clusters`` best clusters in full, and every cluster's row (for the index)."""
    ranked = _rows(engine, clusters_sql(engine))
    views = {r["cluster_id"]: ClusterView(r) for r in ranked[:max_clusters]}
    if not views:
        return [], ranked
    top = ", ".join(str(int(c)) for c in views)
    # every cluster member has a tie, so it is a node of the network
    for m in _rows(
        engine,
        f"""SELECT * FROM ({nodes_sql(engine)}) WHERE cluster_id IN ({top})
            ORDER BY cluster_id, score DESC, platform, account_id""",
    ):
        views[m["cluster_id"]].members.append(m)
    for t in _rows(
        engine,
        f"""SELECT ca.cluster_id, e.a, e.b, e.strength
            FROM edges AS e JOIN account_clusters AS ca ON ca.acct = e.a
            JOIN account_clusters AS cb ON cb.acct = e.b
            WHERE ca.cluster_id = cb.cluster_id AND ca.cluster_id IN ({top})""",
    ):
        views[t["cluster_id"]].ties.append(t)
    for e in _evidence(
        engine, "e.cluster_a", f"e.cluster_a = e.cluster_b AND e.cluster_a IN ({top})", 15
    ):
        views[e["cluster_id"]].evidence.append(e)
    for cid, weekly in _weekly(
        _rows(engine, _hourly(_member_posts(top), "cluster_id")), "cluster_id"
    ).items():
        views[cid].weekly = weekly
        views[cid].offset = infer_offset(weekly)
    for r in _rows(engine, _daily(_member_posts(top))):
        views[r["cluster_id"]].activity.append((r["day"], int(r["n"])))
    for r in _rows(engine, _weekly_classes(top)):
        views[r["cluster_id"]].classes.append((r["week"], int(r["political"]), int(r["mundane"])))
    created = f"""SELECT s.cluster_id, a.created_at FROM accounts AS a
        JOIN account_scores AS s USING (platform, account_id) WHERE s.cluster_id IN ({top})"""
    for r in _rows(engine, _daily(created)):
        views[r["cluster_id"]].created.append((r["day"], int(r["n"])))
    return list(views.values()), ranked


def _accounts(
    engine: Engine, max_accounts: int
) -> tuple[
    list[Row], dict[tuple[str, str], list[Row]], dict[tuple[str, str], list[Row]], list[Row]
]:
    flagged = _rows(
        engine,
        f"SELECT * FROM ({nodes_sql(engine)}) WHERE flagged ORDER BY score DESC, platform, "
        "account_id",
    )
    shown = flagged[:max_accounts]
    keys = {(r["platform"], r["account_id"]) for r in shown}
    signals: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in _rows(
        engine,
        """SELECT s.platform, s.account_id, g.signal, g.score, g.n_partners, g.n_shared,
                  g.best_q
           FROM account_signal_scores AS g JOIN account_scores AS s USING (acct)
           WHERE s.flagged AND g.n_partners > 0
           ORDER BY g.score DESC, g.signal""",
    ):
        if (r["platform"], r["account_id"]) in keys:
            signals[(r["platform"], r["account_id"])].append(r)
    evidence: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for e in _evidence(engine, "e.platform_a, e.account_id_a", "e.flagged_a", 5):
        key = (e["platform_a"], e["account_id_a"])
        if key in keys:
            evidence[key].append(e)
    return shown, signals, evidence, flagged


def persona_footprints(engine: Engine, clusters: list[ClusterView]) -> PersonaFootprint | None:
    """The footprint of the flagged accounts (returned) and of each cluster shown (set on its
    view), each widened to the accounts of their cross-platform personas: "4 X accounts,
    2 YouTube channels (3 personas across platforms)". None without ``account_personas``."""
    if not engine.table_exists("account_personas"):
        return None
    shown = ", ".join(str(int(v.row["cluster_id"])) for v in clusters) or "NULL"
    scope = f"""SELECT -1 AS grp, acct FROM account_scores WHERE flagged
        UNION ALL SELECT cluster_id AS grp, acct FROM account_clusters
        WHERE cluster_id IN ({shown})"""
    found: dict[int, PersonaFootprint] = defaultdict(PersonaFootprint)
    for r in _rows(
        engine,
        f"""WITH scope AS ({scope}),
        spanning AS (
            SELECT p.persona_id FROM account_personas AS p JOIN account_index USING (acct)
            GROUP BY p.persona_id HAVING count(DISTINCT platform) >= 2),
        reach AS (
            SELECT grp, acct FROM scope
            UNION SELECT s.grp, q.acct FROM scope AS s
            JOIN account_personas AS p ON p.acct = s.acct
            JOIN account_personas AS q ON q.persona_id = p.persona_id
            WHERE p.persona_id IN (SELECT persona_id FROM spanning))
        SELECT r.grp, i.platform, count(*) AS n
        FROM reach AS r JOIN account_index AS i USING (acct)
        GROUP BY ALL ORDER BY r.grp, n DESC, i.platform""",
    ):
        footprint = found[int(r["grp"])]
        footprint.platforms.append((str(r["platform"]), int(r["n"])))
    for r in _rows(
        engine,
        f"""WITH scope AS ({scope})
        SELECT DISTINCT s.grp, p.persona_id
        FROM scope AS s JOIN account_personas AS p USING (acct)
        JOIN account_personas AS q ON q.persona_id = p.persona_id
        JOIN account_index AS i ON i.acct = q.acct
        GROUP BY s.grp, p.persona_id HAVING count(DISTINCT i.platform) >= 2""",
    ):
        found[int(r["grp"])].personas += 1
    for view in clusters:
        view.personas = found.get(int(view.row["cluster_id"]), PersonaFootprint())
    return found.get(-1, PersonaFootprint())


def known_networks(engine: Engine, per_network: int = 50) -> list[KnownNetworkView]:
    """Matched accounts per known network, best first, with their detect flag (if any)."""
    if not engine.table_exists("matches"):
        return []
    rows = _rows(
        engine,
        f"""WITH m AS (
               SELECT m.*, coalesce(s.flagged, false) AS flagged,
                      row_number() OVER (w ORDER BY m.similarity DESC, m.platform, m.account_id)
                          AS k,
                      count(*) OVER w AS n_matched,
                      count(*) FILTER (WHERE m.identity) OVER w AS n_identity,
                      count(*) FILTER (WHERE s.flagged) OVER w AS n_flagged
               FROM matches AS m LEFT JOIN account_scores AS s USING (platform, account_id)
               WHERE m.matched
               WINDOW w AS (PARTITION BY m.network))
           SELECT * FROM m WHERE k <= {int(per_network)} ORDER BY n_matched DESC, network, k""",
    )
    views: dict[str, KnownNetworkView] = {}
    for r in rows:
        view = views.setdefault(
            r["network"],
            KnownNetworkView(r["network"], r["n_matched"], r["n_identity"], r["n_flagged"]),
        )
        view.accounts.append(r)
    return list(views.values())


def gather(engine: Engine, *, max_clusters: int = 30, max_accounts: int = 300) -> ReportData:
    """Everything the report shows, for the latest detect run of the case."""
    run = _rows(engine, "SELECT * FROM detect_runs ORDER BY run_id DESC LIMIT 1")[0]
    footprint = _rows(
        engine,
        """WITH venues AS (
               SELECT p.platform, count(DISTINCT p.venue) AS venues
               FROM posts AS p JOIN account_scores AS s USING (platform, account_id)
               WHERE s.flagged GROUP BY p.platform)
           SELECT s.platform, count(*) AS accounts, count(*) FILTER (WHERE s.flagged) AS flagged,
                  count(DISTINCT s.cluster_id) FILTER (WHERE s.flagged) AS clusters,
                  coalesce(any_value(v.venues), 0) AS venues
           FROM account_scores AS s LEFT JOIN venues AS v USING (platform)
           GROUP BY s.platform ORDER BY flagged DESC, accounts DESC, s.platform""",
    )
    layers = _rows(
        engine,
        """SELECT layer, count(*) AS edges FROM (SELECT unnest(layers) AS layer FROM edges)
           GROUP BY layer ORDER BY edges DESC, layer""",
    )
    span = _rows(
        engine,
        """SELECT min(p.created_at) AS first, max(p.created_at) AS last, count(*) AS posts
           FROM posts AS p JOIN account_scores AS s USING (platform, account_id)
           WHERE s.flagged""",
    )[0]
    population = _weekly(_rows(engine, _hourly("SELECT 0 AS k, created_at FROM posts", "k")), "k")
    flagged_posts = """SELECT 0 AS cluster_id, p.created_at FROM posts AS p
        JOIN account_scores AS s USING (platform, account_id) WHERE s.flagged"""
    flagged = _weekly(_rows(engine, _hourly(flagged_posts, "cluster_id")), "cluster_id")
    flagged_days = [(r["day"], int(r["n"])) for r in _rows(engine, _daily(flagged_posts))]
    tells: dict[tuple[str, str], list[Row]] = defaultdict(list)
    if engine.table_exists("account_tells"):
        for r in _rows(
            engine,
            """SELECT s.platform, s.account_id, t.tell, t.score, t.detail
               FROM account_tells AS t JOIN account_scores AS s USING (acct)
               ORDER BY t.score DESC, t.tell""",
        ):
            tells[(r["platform"], r["account_id"])].append(r)
    clusters, ranked = _cluster_views(engine, max_clusters)
    shown = {v.row["cluster_id"] for v in clusters}
    cluster_index = [r for r in ranked if r["n_flagged"] or r["cluster_id"] in shown]
    summary_personas = persona_footprints(engine, clusters)
    accounts, signals, evidence, flagged_rows = _accounts(engine, max_accounts)
    linkable = linkable_platforms(
        (str(r["platform"]), str(r["format"] or ""), bool(r["pseudonymized"]))
        for r in _rows(engine, "SELECT DISTINCT platform, format, pseudonymized FROM ingest_runs")
    )
    return ReportData(
        run=run,
        footprint=footprint,
        layers=layers,
        span=span,
        population_offset=infer_offset(population[0]) if population else None,
        flagged_offset=infer_offset(flagged[0]) if flagged else None,
        clusters=clusters,
        n_clusters=sum(1 for r in ranked if r["n_flagged"]),
        n_all_clusters=len(ranked),
        cluster_index=cluster_index[:INDEX_CLUSTERS],
        accounts=accounts,
        account_signals=dict(signals),
        account_evidence=dict(evidence),
        account_tells=dict(tells),
        n_flagged=len(flagged_rows),
        flagged_days=flagged_days,
        index=flagged_rows[:INDEX_ACCOUNTS],
        linkable=linkable,
        personas=summary_personas,
        known_networks=known_networks(engine),
    )
