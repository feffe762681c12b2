"""The combination rule: when coordination and tells together make an account CIB.

Coordination alone is not inauthenticity. Activists pasting a petition's suggested text,
fans running a hashtag drive and a brand posting one text on its regional accounts are all
coordinated, and all authentic. What set Spamouflage apart in the public reporting was
coordination *together with* the traits of fake accounts: Beijing office shifts, batches of
accounts created together, persona names with digit runs, bought dormant accounts (Meta Q2
2023; Graphika 2019-2024; Twitter 2020). The rule, in the order it is applied:

1. **Tie.** An account is *tied* when it has at least one significant coordination tie
   (``q <= alpha``, the coordination flag of earlier versions). Its coordination strength
   ``C`` is ``-log10 q`` of its strongest tie.
2. **Own evidence** ``A = C + T``, where ``T`` sums the strengths of the account's tells,
   each capped at ``tell_cap`` (10): independent pieces of evidence multiply their p-values,
   so their ``-log10`` add (a heuristic: tells are not strictly independent of each other).
   Tells weaker than ``tell_floor`` (1, a corrected p-value above 0.1) are shown but not
   counted: a lone persona-style handle is a hint, not evidence. Tells that only link
   accounts (cross_platform) are not counted either.
3. **Cluster evidence** ``K`` is the largest ``A`` among a cluster's tied members. A tied
   account is flagged when its cluster reaches ``K >= corroborated`` (default 6, i.e. a
   family-wise chance of one in a million): either its coordination is far beyond the tie
   threshold somewhere in the cluster, or tells corroborate a weaker one. Weakly tied members
   of a strongly suspicious cluster are flagged with it (they have a significant tie of their
   own); a cluster of weak ties with no tell (the petition's activists) is reported but not
   flagged.
4. **Disclosed entities.** A cluster whose members all show one display name that also
   appears in every handle (``Brightmart``: ``brightmart_us``, ``brightmart_uk``), and on
   which no tell fires, is one organisation openly running several accounts: not flagged,
   and the reason says so.
5. **Linked by a tell.** An account with no tie of its own, or whose own cluster is not
   flagged, is flagged when a tell links it to a flagged cluster (the tell's
   ``cluster_id``; for instance reposts that go almost only to that cluster, or a cluster
   tied on targets that passes the flagged cluster's posts along: ``amplifies_cluster``)
   with strength >= 2. Without a suspicious cluster, a tell alone flags an
   account only when its own tells sum to at least ``tell_alone`` (default 12).

The **score** is ``S / (S + 2)`` with ``S = A`` for a flagged account (at least the tie
strength ``-log10 alpha``, 2 by default, so the score is at least 0.5) and ``S`` just under
it otherwise: ``score >= flag_threshold(alpha)`` is exactly the flag, and the ranking within
each side follows the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cibscan.engine import Engine
from cibscan.engine.base import replace_table, rewrite_columns, scratch, table_columns
from cibscan.score.base import SCORE_HALF_STRENGTH, score_sql


@dataclass(frozen=True)
class CombinationRule:
    """The rule's thresholds (strengths are ``-log10`` p-values; see the module docstring)."""

    corroborated: float = 6.0
    tell_cap: float = 10.0
    tell_floor: float = 1.0
    tell_alone: float = 12.0
    link_strength: float = SCORE_HALF_STRENGTH
    #: the strength of a significant tie, -log10(alpha): flagged accounts score at least this
    tie_strength: float = SCORE_HALF_STRENGTH


def combine(engine: Engine, rule: CombinationRule, corroborating: Sequence[str]) -> int:
    """Rewrite ``flagged``, ``score``, ``strength`` and ``reasons`` of ``account_scores``
    with the combination rule; return the flagged count. Only the ``corroborating`` tells
    add to the evidence; any tell may link an account to a cluster."""
    adds = ", ".join(f"'{name}'" for name in corroborating) or "NULL"
    told = engine.ordered_string_agg(
        # printf of a NULL is NULL in DuckDB (left out) and 'null' in Spark: said here
        "CASE WHEN detail IS NOT NULL THEN printf('%s (%.1f): %s', tell, strength, detail) END",
        "; ",
        ["strength DESC", "tell"],
    )
    objects = engine.list_join(
        engine.list_head(engine.ordered_list("object", ["n DESC", "object"]), 3), ", "
    )
    aimed = engine.ordered_string_agg("signal || ': ' || objects", "; ", ["best DESC", "signal"])

    def alnum(expr: str) -> str:
        # [^[:alnum:]] in RE2, which Java does not read; both read the ASCII class spelt out
        kept = engine.regexp_replace_all(f"coalesce({expr}, '')", "[^a-zA-Z0-9]", "")
        return f"lower({kept})"

    # The strongest row's cluster and detail, ties broken by value and NULLs left out
    # explicitly: DuckDB's arg_max skips a NULL value where Spark's max_by returns it.
    engine.create_scratch(
        "_combined",
        f"""WITH per_tell AS (
            SELECT acct, tell, max(strength) AS strength,
                   max_by(cluster_id, (strength, cluster_id))
                       FILTER (WHERE cluster_id IS NOT NULL) AS cluster_id,
                   max_by(detail, (strength, detail)) FILTER (WHERE detail IS NOT NULL)
                       AS detail
            FROM account_tells WHERE strength > 0 GROUP BY acct, tell),
        tells AS (
            SELECT acct,
                   coalesce(sum(least(strength, {rule.tell_cap}))
                            FILTER (WHERE tell IN ({adds})
                                    AND strength >= {rule.tell_floor}), 0.0) AS t,
                   {told} AS told,
                   max_by(cluster_id, (strength, cluster_id))
                       FILTER (WHERE cluster_id IS NOT NULL) AS link_cluster,
                   max(strength) FILTER (WHERE cluster_id IS NOT NULL) AS link_strength
            FROM per_tell GROUP BY acct),
        ties AS (
            SELECT acct,
                   max(strength) FILTER (WHERE coalesce(tie_kind, 'lockstep') = 'lockstep')
                       AS c_lockstep,
                   max(strength) FILTER (WHERE tie_kind = 'target') AS c_target
            FROM (SELECT a AS acct, strength, tie_kind FROM pairs WHERE significant
                  UNION ALL SELECT b, strength, tie_kind FROM pairs WHERE significant) AS sides
            GROUP BY acct),
        own AS (
            SELECT s.acct, s.cluster_id, s.tied, s.reasons,
                   coalesce(t.t, 0.0) AS t, k.c_lockstep, k.c_target,
                   -- coordination on targets counts once tells as strong as a tie show
                   -- the account is not what it seems; lockstep counts by itself
                   CASE WHEN NOT s.tied THEN s.strength
                        WHEN coalesce(t.t, 0.0) >= {rule.tie_strength}
                        THEN greatest(coalesce(k.c_lockstep, 0.0), coalesce(k.c_target, 0.0))
                        ELSE coalesce(k.c_lockstep, 0.0) END + coalesce(t.t, 0.0) AS a,
                   s.strength + coalesce(t.t, 0.0) AS a_all, t.told, t.link_cluster,
                   t.link_strength
            FROM account_scores AS s LEFT JOIN tells AS t USING (acct)
            LEFT JOIN ties AS k USING (acct)),
        names AS (
            SELECT i.acct, {alnum("a.display_name")} AS shown,
                   {alnum("a.handle")} AS handle
            FROM account_index AS i
            JOIN accounts AS a ON a.platform = i.platform AND a.account_id = i.account_id),
        clusters AS (
            SELECT o.cluster_id, max(o.a) FILTER (WHERE o.tied) AS k,
                   max(o.c_lockstep) FILTER (WHERE o.tied) IS NULL
                   AND max(o.t) FILTER (WHERE o.tied) < {rule.tie_strength} AS targets_only,
                   sum(o.t) = 0
                   AND count(DISTINCT n.shown) = 1 AND length(min(n.shown)) >= 3
                   AND bool_and(contains(n.handle, n.shown)) AS disclosed,
                   min(n.shown) AS entity
            FROM own AS o LEFT JOIN names AS n USING (acct)
            WHERE o.cluster_id IS NOT NULL GROUP BY o.cluster_id),
        -- what a cluster's members aimed at together, for the reason of a targets-only one
        aims AS (
            SELECT ca.cluster_id, e.signal,
                   left({engine.regexp_replace_all("e.object", "^[^|]*[|]", "")}, 60) AS object,
                   count(*) AS n
            FROM evidence AS e
            JOIN pairs AS p ON p.signal = e.signal AND p.a = e.a AND p.b = e.b
            JOIN account_clusters AS ca ON ca.acct = e.a
            JOIN account_clusters AS cb ON cb.acct = e.b
            WHERE p.significant AND p.tie_kind = 'target' AND ca.cluster_id = cb.cluster_id
            GROUP BY ALL),
        aimed AS (
            SELECT cluster_id, {aimed} AS targets
            FROM (SELECT cluster_id, signal, max(n) AS best, {objects} AS objects
                  FROM aims GROUP BY cluster_id, signal) AS a
            GROUP BY cluster_id),
        suspicious AS (
            SELECT cluster_id FROM clusters
            WHERE k >= {rule.corroborated} AND NOT coalesce(disclosed, false))
        SELECT o.*, c.k, coalesce(c.disclosed, false) AS disclosed, c.entity,
               coalesce(c.targets_only, false) AS targets_only, m.targets,
               coalesce((o.tied AND o.cluster_id IN (SELECT cluster_id FROM suspicious))
                        OR (o.link_strength >= {rule.link_strength}
                            AND o.link_cluster IN (SELECT cluster_id FROM suspicious))
                        OR o.t >= {rule.tell_alone}, false) AS flag
        FROM own AS o LEFT JOIN clusters AS c USING (cluster_id)
        LEFT JOIN aimed AS m USING (cluster_id)""",
    )
    tie = rule.tie_strength
    # Unflagged accounts rank by all their evidence, targets included, just under the flag.
    final = f"CASE WHEN u.flag THEN greatest(u.a, {tie}) ELSE least(u.a_all, {tie - 0.001}) END"
    disclosed = (
        "not flagged: every account of the cluster presents itself as one entity (%s) "
        "and no tell fires"
    )
    weak = (
        "not flagged: the cluster''s best evidence (strength %.1f) is below "
        f"{rule.corroborated:.1f} and no tell corroborates it"
    )
    targets = (
        "not flagged: coordinated on targets (%s) in their own words or at human pace, with "
        "nothing copied, no lockstep and no account tells: the signature of a fan drive, "
        "petition or hashtag game rather than of an operated network"
    )
    why_not = f"""CASE WHEN u.disclosed THEN printf('{disclosed}', u.entity)
                       WHEN u.targets_only
                       THEN printf('{targets}', coalesce(u.targets, 'accounts, posts, tags'))
                       ELSE printf('{weak}', u.k) END"""
    combined = rewrite_columns(
        table_columns(engine, "account_scores"),
        {
            "flagged": "u.flag",
            # an account flagged through a tell's link is reported with the cluster it is
            # linked to (its amplifiers, its beneficiary, its cross-platform twin)
            "cluster_id": """coalesce(s.cluster_id, CASE WHEN u.flag AND NOT u.tied
                                                        THEN u.link_cluster END)""",
            "strength": final,
            "score": score_sql(final),
            "reasons": f"""concat_ws('; ',
                CASE WHEN u.tied AND NOT u.flag THEN {why_not} END,
                nullif(u.reasons, ''),
                CASE WHEN u.told IS NOT NULL THEN 'tells: ' || u.told END)""",
        },
        alias="s",
    )
    # every account of account_scores has its row in _combined (it is built from them)
    with scratch(engine, "_combined"):
        replace_table(
            engine,
            "account_scores",
            f"SELECT {combined} FROM account_scores AS s JOIN _combined AS u ON s.acct = u.acct",
        )
    return int(engine.fetchall("SELECT count(*) FROM account_scores WHERE flagged")[0][0])
