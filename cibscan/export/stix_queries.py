"""The SQL behind the STIX bundle (:mod:`cibscan.export.stix`): per flagged cluster, its
activity waves, its evidence, its members' tells and the accounts it addresses.

Kept apart from the object building so that each query can be read, and transpiled, on its
own; the evidence query wraps :func:`cibscan.export.tables.evidence_clusters_sql` instead
of repeating it. Every query returns rows ordered by ``cluster_id`` and then by rank, so the
bundle built from them is deterministic.
"""

from __future__ import annotations

from cibscan.engine import Engine
from cibscan.export.tables import evidence_clusters_sql


def waves_sql(gap_seconds: float, takeover_seconds: float) -> str:
    """Each flagged cluster's activity cut into waves: a gap over ``gap_seconds`` between
    consecutive posts of its flagged members starts a new wave.

    Only the posts of a member's current stretch count: those from the end of its last
    silence of at least ``takeover_seconds`` that falls before its first coordinated action
    (its first post in the evidence of a significant pair; its last post when it has
    none). An old account bought or hijacked for the operation posted its earlier posts as
    someone else, and they are not waves of the network."""
    return f"""WITH member_posts AS (
            SELECT s.cluster_id, s.acct, epoch(p.created_at) AS t
            FROM account_scores AS s JOIN clusters AS c USING (cluster_id)
            JOIN posts AS p USING (platform, account_id)
            WHERE s.flagged AND c.n_flagged > 0 AND p.created_at IS NOT NULL),
        tie_times AS (
            SELECT v.a AS acct, v.t_a AS t FROM evidence AS v
            JOIN pairs AS q ON q.signal = v.signal AND q.a = v.a AND q.b = v.b AND q.significant
            UNION ALL
            SELECT v.b, v.t_b FROM evidence AS v
            JOIN pairs AS q ON q.signal = v.signal AND q.a = v.a AND q.b = v.b AND q.significant),
        first_tie AS (SELECT acct, min(t) AS t FROM tie_times GROUP BY acct),
        silences AS (
            SELECT acct, t, t - lag(t) OVER (PARTITION BY cluster_id, acct ORDER BY t) AS silent
            FROM member_posts),
        since AS (
            SELECT s.acct, max(s.t) AS t FROM silences AS s LEFT JOIN first_tie AS f USING (acct)
            WHERE s.silent >= {float(takeover_seconds)} AND (f.t IS NULL OR s.t <= f.t)
            GROUP BY s.acct),
        active AS (
            SELECT m.* FROM member_posts AS m LEFT JOIN since AS w USING (acct)
            WHERE w.t IS NULL OR m.t >= w.t),
        breaks AS (
            SELECT *, CASE WHEN t - lag(t) OVER (PARTITION BY cluster_id ORDER BY t)
                           > {float(gap_seconds)} THEN 1 ELSE 0 END AS brk
            FROM active),
        numbered AS (
            SELECT *, sum(brk) OVER (PARTITION BY cluster_id ORDER BY t
                                     ROWS UNBOUNDED PRECEDING) AS wave
            FROM breaks)
        SELECT cluster_id, CAST(wave AS INTEGER) + 1 AS wave, to_timestamp(min(t)) AS first_time,
               to_timestamp(max(t)) AS last_time, count(*) AS n_posts,
               count(DISTINCT acct) AS n_accounts
        FROM numbered GROUP BY cluster_id, wave ORDER BY cluster_id, wave"""


def cluster_tells_sql(min_strength: float) -> str:
    """Per flagged cluster, the tells its flagged members show at ``min_strength`` or more
    (the strength of a significant tie), with how many members show each."""
    return f"""SELECT s.cluster_id, t.tell, count(DISTINCT s.acct) AS n_accounts
        FROM account_tells AS t JOIN account_scores AS s ON s.acct = t.acct
        JOIN clusters AS c ON c.cluster_id = s.cluster_id
        WHERE s.flagged AND c.n_flagged > 0 AND t.strength >= {float(min_strength)}
        GROUP BY s.cluster_id, t.tell ORDER BY s.cluster_id, t.tell"""


def cluster_evidence_sql(engine: Engine, cap: int) -> str:
    """The evidence rows inside each cluster (both accounts members), ``cap`` per cluster,
    with the cluster's total count and time span over all of them."""
    return f"""WITH scoped AS (
            SELECT ev.cluster_a AS cluster_id, ev.signal,
                   ev.platform_a || ':' || ev.account_id_a AS account_a,
                   ev.platform_b || ':' || ev.account_id_b AS account_b,
                   ev.object, ev.post_a, ev.post_b, ev.time_a, ev.time_b, ev.gap_seconds
            FROM ({evidence_clusters_sql(engine)}) AS ev
            WHERE ev.cluster_a = ev.cluster_b),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY cluster_id ORDER BY gap_seconds, signal,
                          account_a, account_b, post_a, post_b, object, time_a) AS k,
                   count(*) OVER (PARTITION BY cluster_id) AS n_total,
                   min(least(time_a, time_b)) OVER (PARTITION BY cluster_id) AS first_seen,
                   max(greatest(time_a, time_b)) OVER (PARTITION BY cluster_id) AS last_seen
            FROM scoped)
        SELECT * FROM ranked WHERE k <= {int(cap)} ORDER BY cluster_id, k"""


def targets_sql(cap: int, min_members: int) -> str:
    """Per flagged cluster, the accounts outside it that most of its flagged members reply
    to or mention (named by lower-case handle when known, else by account id)."""
    return f"""WITH members AS (
            SELECT s.cluster_id, s.platform, s.account_id, lower(any_value(a.handle)) AS handle
            FROM account_scores AS s JOIN clusters AS c USING (cluster_id)
            LEFT JOIN accounts AS a USING (platform, account_id)
            WHERE s.flagged AND c.n_flagged > 0
            GROUP BY s.cluster_id, s.platform, s.account_id),
        handles AS (
            SELECT platform, account_id, lower(any_value(handle)) AS handle
            FROM accounts GROUP BY platform, account_id),
        addressed AS (
            SELECT m.cluster_id, m.account_id AS member, p.platform,
                   p.reply_to_account AS target_id, h.handle AS target_handle
            FROM members AS m
            JOIN posts AS p ON p.platform = m.platform AND p.account_id = m.account_id
            LEFT JOIN handles AS h
              ON h.platform = p.platform AND h.account_id = p.reply_to_account
            WHERE p.reply_to_account IS NOT NULL
            UNION ALL
            SELECT m.cluster_id, m.account_id, p.platform, CAST(NULL AS VARCHAR),
                   unnest(p.mentions)
            FROM members AS m
            JOIN posts AS p ON p.platform = m.platform AND p.account_id = m.account_id
            WHERE len(p.mentions) > 0),
        counted AS (
            SELECT cluster_id, platform, coalesce(target_handle, 'id:' || target_id) AS target_key,
                   any_value(target_handle) AS handle, max(target_id) AS target_id,
                   count(DISTINCT member) AS n_members, count(*) AS n_posts
            FROM addressed AS t
            WHERE NOT EXISTS (
                SELECT 1 FROM members AS x
                WHERE x.cluster_id = t.cluster_id AND x.platform = t.platform
                  AND (x.account_id = t.target_id OR x.handle = t.target_handle))
            GROUP BY cluster_id, platform, target_key
            HAVING count(DISTINCT member) >= {int(min_members)}),
        ranked AS (
            SELECT *, row_number() OVER (PARTITION BY cluster_id
                          ORDER BY n_members DESC, n_posts DESC, platform, target_key) AS r
            FROM counted)
        SELECT * FROM ranked WHERE r <= {int(cap)} ORDER BY cluster_id, r"""
