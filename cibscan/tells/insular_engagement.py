"""Insular engagement: the reposts, replies and quotes an account receives come from its own.

Meta (Q2 2023) on Spamouflage: the comments on the network's posts came mostly from its own
fake accounts; Twitter's 2020 disclosure counted ~150,000 amplifier accounts behind 23,750
core accounts. Organic attention comes from a crowd that also engages with everything else;
an operation's attention comes from the operation. Two views, each a Poisson test:

**Cluster view** (needs the coordination clusters). For an account ``d`` and a cluster ``C``,
``k`` of the ``E`` engagements ``d`` received came from members of ``C`` (at least
``min_engagers`` distinct members, and at least ``min_share`` of ``E``: the attention must
come *mostly* from the cluster, as Meta found for Spamouflage; an idol retweeted by 12,000
fans, 3% of them from one cluster of voters, has a crowd, not a network). Chance expects
``E p(C)`` where ``p(C)`` is ``C``'s share of all engagement actions of the case; tail
``P(X >= k)`` corrected by the number of (account, cluster) pairs tested. Replies count only
when ``d`` is itself in ``C`` (the network commenting on its own posts); for an account
outside ``C`` only reposts and quotes count, because a cluster *replying* to an outsider is
a swarm on a victim (a journalist harassed by the network), not insular engagement. The
members of ``C`` that spend at least
``loyalty`` of their engagement on such accounts get the same strength (the engaging side).

**Closed-group view** (no clusters needed, so it works when coordination ties are weak: the
simulator's amplifiers repost personas at human delays). For an account ``t`` with at least
``min_engagers`` focused engagers ``S`` (accounts engaging at most ``max_targets`` distinct
accounts), its group ``G`` is ``t`` plus every account sharing at least two of those engagers
with ``t``. The group is *closed* when ``S`` spends at least ``loyalty`` of all its engagement
inside ``G`` (x, y, z repost nearly nothing else) and ``G`` receives at least ``loyalty`` of
its engagement from ``S`` (and G repost nothing else's), with at least ``min_targets``
accounts in ``G`` (one account with devoted fans is a celebrity, not a group) and ``G``
taking at most ``max_share`` of the case's engagement (a case that *is* one community).
Strength: Poisson tail of the ``k`` engagements from ``S`` into ``G`` given chance
``outflow(S) x share(G)``, ``share(G)`` being ``G``'s share of all engagement, corrected by
the number of accounts tested; the loyal members of ``S`` get the group's strength too.

Likes are not used: the data carry them only as per-post counts (``like_count``), with no
liker, so they cannot be attributed to anyone. Targets are resolved through
``account_index``: by account id, else through the referenced post's author, else by a
handle unique on its platform (formats that name the target by handle).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cibscan.detect.inputs import is_repost_sql
from cibscan.detect.statistics import register_poisson_tail, strength_sql
from cibscan.engine import Engine
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register

log = logging.getLogger(__name__)

_KINDS = (
    ("repost", "repost_of_account", "repost_of_post"),
    ("reply", "reply_to_account", "reply_to_post"),
    ("quote", "quote_of_account", "quote_of_post"),
)
_SCRATCH = (
    "_ie_hits",
    "_ie_members",
    "_ie_groups",
    "_ie_inside",
)


_ACTIONS = ("_ie_act", "_ie_w", "_ie_out", "_ie_in")


def ensure_actions(ctx: TellContext) -> None:
    """Build the engagement actions (:func:`build_actions`) once per run: the tells that read
    them share them through ``ctx.shared``, and the pipeline drops them after the tells."""
    if not set(_ACTIONS) <= ctx.shared:
        build_actions(ctx.engine)
        ctx.shared.update(_ACTIONS)


def build_actions(engine: Engine) -> None:
    """``_ie_act(src, dst, kind)``: one row per engagement action, ``dst`` NULL when the
    target is not an account of the case (it still counts in the engager's outflow).

    A repost whose collection kept neither the reposted post nor its author (the
    FiveThirtyEight IRA release, scraped data) is resolved from its text: the handle of a
    leading ``RT @handle:``, else the account that first posted the same text as its own in
    the case. Without it, amplifiers passing their network's posts along would be invisible
    here.
    """
    refs = " UNION ALL ".join(
        f"""SELECT i.acct AS src, p.platform, '{kind}' AS kind, p.{account} AS ref_account,
                   p.{post} AS ref_post
            FROM posts AS p JOIN account_index AS i USING (platform, account_id)
            WHERE p.{account} IS NOT NULL OR p.{post} IS NOT NULL"""
        for kind, account, post in _KINDS
    )
    textual = """SELECT i.acct AS src, p.platform, 'repost' AS kind,
               nullif(regexp_extract(p.text, '^RT @([A-Za-z0-9_]+):', 1), '') AS ref_account,
               NULL AS ref_post, p.text_norm
        FROM posts AS p JOIN account_index AS i USING (platform, account_id)
        WHERE p.kind = 'repost' AND p.repost_of_post IS NULL
          AND p.repost_of_account IS NULL AND p.text_norm IS NOT NULL"""
    # an action on one's own post is no engagement (kept out here: scratch tables take no
    # DELETE on Spark); an earliest original tied in time goes to the first account key
    engine.create_scratch(
        "_ie_act",
        f"""WITH refs AS (SELECT *, NULL AS text_norm FROM ({refs}) AS r UNION ALL {textual}),
        originals AS (
            SELECT p.platform, p.text_norm, min_by(i.acct, (p.created_at, i.acct)) AS acct
            FROM posts AS p JOIN account_index AS i USING (platform, account_id)
            WHERE NOT {is_repost_sql("p")}
              AND p.text_norm IN (SELECT text_norm FROM refs WHERE text_norm IS NOT NULL)
            GROUP BY p.platform, p.text_norm),
        handles AS (
            SELECT a.platform, lower(a.handle) AS handle, min(i.acct) AS acct
            FROM accounts AS a JOIN account_index AS i USING (platform, account_id)
            WHERE a.handle IS NOT NULL GROUP BY ALL HAVING count(DISTINCT i.acct) = 1),
        authors AS (
            SELECT p.platform, p.post_id, any_value(i.acct) AS acct
            FROM posts AS p JOIN account_index AS i USING (platform, account_id)
            WHERE p.post_id IN (SELECT ref_post FROM refs) GROUP BY ALL)
        SELECT r.src, r.kind, coalesce(ia.acct, au.acct, h.acct, o.acct) AS dst,
               coalesce(r.ref_post, r.text_norm) AS ref
        FROM refs AS r
        LEFT JOIN account_index AS ia
          ON ia.platform = r.platform AND ia.account_id = r.ref_account
        LEFT JOIN authors AS au ON au.platform = r.platform AND au.post_id = r.ref_post
        LEFT JOIN handles AS h ON h.platform = r.platform AND h.handle = lower(r.ref_account)
        LEFT JOIN originals AS o ON o.platform = r.platform AND o.text_norm = r.text_norm
        WHERE coalesce(coalesce(ia.acct, au.acct, h.acct, o.acct) <> r.src, true)""",
    )
    engine.create_scratch(
        "_ie_w",
        """SELECT src, dst, count(*) AS n, count(*) FILTER (WHERE kind <> 'reply') AS n_amp
        FROM _ie_act WHERE dst IS NOT NULL GROUP BY src, dst""",
    )
    engine.create_scratch(
        "_ie_out",
        """SELECT src AS acct, count(*) AS outflow, count(DISTINCT dst) AS n_targets
        FROM _ie_act GROUP BY src""",
    )
    engine.create_scratch(
        "_ie_in",
        """SELECT dst AS acct, sum(n) AS inflow, sum(n_amp) AS inflow_amp,
               count(*) AS n_engagers
        FROM _ie_w GROUP BY dst""",
    )


class InsularEngagement(Tell):
    name = "insular_engagement"
    title = "Engagement received from the account's own network"
    description = (
        "The reposts, replies and quotes an account receives come mostly from one coordination "
        "cluster, or from a closed group of engagers who engage with little else (Poisson "
        "tests against the case's engagement, corrected by the accounts tested)."
    )
    reads = ()
    params = (
        Param("min_received", "int", 10, "Fewest engagements an account must receive.", minimum=1),
        Param("min_engagers", "int", 3, "Fewest distinct engagers behind a finding.", minimum=2),
        Param(
            "loyalty",
            "float",
            0.8,
            "Smallest share of engagement that stays inside a group (both ways).",
            minimum=0.5,
            maximum=1,
        ),
        Param(
            "min_share",
            "float",
            0.5,
            "Smallest share of an account's received engagement that must come from one "
            "cluster (cluster view).",
            minimum=0,
            maximum=1,
        ),
        Param(
            "min_posts",
            "int",
            3,
            "Fewest distinct posts of an outsider a cluster must amplify for the outsider to "
            "be linked to it as its beneficiary.",
            minimum=1,
        ),
        Param("min_targets", "int", 3, "Fewest accounts in a closed group.", minimum=2),
        Param(
            "max_targets",
            "int",
            50,
            "Most distinct accounts a focused engager engages (bounds the work).",
            minimum=2,
        ),
        Param(
            "max_share",
            "float",
            0.5,
            "Largest share of the case's engagement a closed group may take.",
            minimum=0,
            maximum=1,
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        register_poisson_tail(engine)
        ensure_actions(ctx)
        (total,) = engine.fetchall("SELECT count(*) FROM _ie_act")[0]
        if int(total) > 0:
            # each view gives SELECTs of (acct, strength, detail, rank, cluster_id) rows,
            # one account's best kept (ties: the first view's rank, then the lower cluster)
            found = [
                *self._cluster_view(engine, params, int(total)),
                *self._group_view(engine, params, int(total)),
            ]
            union = " UNION ALL ".join(f"SELECT * FROM ({q}) AS v{k}" for k, q in enumerate(found))
            engine.execute(
                f"""INSERT INTO {ctx.table} BY NAME
                SELECT acct, '{self.name}' AS tell, strength,
                       {score_sql("strength")} AS score, detail, cluster_id
                FROM ({union}) AS r WHERE strength > 0
                QUALIFY row_number() OVER (PARTITION BY acct
                                           ORDER BY strength DESC, rank, cluster_id, detail) = 1"""
            )
        for table in _SCRATCH:
            engine.drop_table(table)

    def _cluster_view(self, engine: Engine, params: Mapping[str, Any], total: int) -> list[str]:
        """Accounts receiving from one cluster, then that cluster's loyal engagers: the
        SELECTs of their rows."""
        min_received, min_engagers = int(params["min_received"]), int(params["min_engagers"])
        loyalty = float(params["loyalty"])
        engine.create_scratch(
            "_ie_hits",
            f"""WITH made AS (
                SELECT c.cluster_id, count(*) / {total} AS p
                FROM _ie_act AS x JOIN account_clusters AS c ON c.acct = x.src
                GROUP BY c.cluster_id),
            own AS (SELECT acct, cluster_id AS own_cluster FROM account_clusters),
            got AS (
                SELECT w.dst, c.cluster_id,
                       sum(CASE WHEN o.own_cluster = c.cluster_id THEN w.n ELSE w.n_amp END)
                           AS k,
                       count(*) FILTER (WHERE CASE WHEN o.own_cluster = c.cluster_id
                                                   THEN w.n ELSE w.n_amp END > 0) AS engagers,
                       bool_or(o.own_cluster = c.cluster_id) AS inside
                FROM _ie_w AS w JOIN account_clusters AS c ON c.acct = w.src
                LEFT JOIN own AS o ON o.acct = w.dst
                GROUP BY w.dst, c.cluster_id),
            amplified AS (
                SELECT x.dst, c.cluster_id, count(DISTINCT x.ref) AS n_posts
                FROM _ie_act AS x JOIN account_clusters AS c ON c.acct = x.src
                WHERE x.kind <> 'reply' AND x.dst IS NOT NULL
                GROUP BY x.dst, c.cluster_id)
            SELECT g.dst, g.cluster_id, g.k, g.engagers, coalesce(g.inside, false) AS inside,
                   coalesce(a.n_posts, 0) AS n_posts,
                   CASE WHEN g.inside THEN i.inflow ELSE i.inflow_amp END AS received, m.p
            FROM got AS g JOIN _ie_in AS i ON i.acct = g.dst
            JOIN made AS m USING (cluster_id)
            LEFT JOIN amplified AS a USING (dst, cluster_id)
            WHERE g.engagers >= {min_engagers}
              AND CASE WHEN g.inside THEN i.inflow ELSE i.inflow_amp END >= {min_received}
              AND g.k >= {float(params["min_share"])!r}
                         * CASE WHEN g.inside THEN i.inflow ELSE i.inflow_amp END""",
        )
        m = max(int(engine.fetchall("SELECT count(*) FROM _ie_hits")[0][0]), 1)
        strength = strength_sql(
            "cib_poisson_tail(CAST(k AS BIGINT), greatest(received * p, 1e-9))", m
        )
        engine.create_scratch("_ie_hits", f"SELECT *, {strength} AS strength FROM _ie_hits")
        received = engine.printf(
            "%d of %d %s received came from %d members of cluster %d%s, which make %.1f%% of "
            "the case's engagement actions",
            "k",
            "received",
            "CASE WHEN inside THEN 'reposts, replies and quotes' ELSE 'reposts and quotes' END",
            "engagers",
            "cluster_id",
            "CASE WHEN inside THEN ' (its own)' ELSE '' END",
            "100 * p",
        )
        spends = engine.printf(
            "%d of its %d engagements go to %d account%s that receive their engagement "
            "mostly from its cluster %d",
            *("s.inside", "o.outflow", "s.n_targets"),
            *("CASE WHEN s.n_targets = 1 THEN '' ELSE 's' END", "s.cluster_id"),
        )
        return [
            f"""SELECT dst AS acct, strength, {received} AS detail, 1 AS rank,
                   -- an outsider whose attention comes mostly from one cluster (min_share)
                   -- and which the cluster amplifies again and again (min_posts posts) is
                   -- that cluster's beneficiary: linked to it; one post of a stranger
                   -- that a ring happened to amplify is not
                   CASE WHEN inside OR n_posts >= {int(params["min_posts"])} THEN cluster_id END
                       AS cluster_id
            FROM _ie_hits""",
            # the engaging side: members spending most of their engagement on such accounts
            f"""WITH best AS (
                SELECT dst, cluster_id, strength FROM _ie_hits WHERE strength > 0),
            spent AS (
                SELECT w.src, c.cluster_id, sum(w.n) AS inside, max(b.strength) AS strength,
                       count(*) AS n_targets
                FROM _ie_w AS w JOIN account_clusters AS c ON c.acct = w.src
                JOIN best AS b ON b.dst = w.dst AND b.cluster_id = c.cluster_id
                GROUP BY w.src, c.cluster_id)
            SELECT s.src AS acct, s.strength, {spends} AS detail, 2 AS rank, s.cluster_id
            FROM spent AS s JOIN _ie_out AS o ON o.acct = s.src
            WHERE s.inside >= {loyalty} * o.outflow""",
        ]

    def _group_view(self, engine: Engine, params: Mapping[str, Any], total: int) -> list[str]:
        """Closed groups of engagers and targets, found without clusters: the SELECTs of
        their rows."""
        min_received, min_engagers = int(params["min_received"]), int(params["min_engagers"])
        loyalty, max_share = float(params["loyalty"]), float(params["max_share"])
        engine.create_scratch(
            "_ie_members",
            f"""WITH focused AS (
                SELECT w.src, w.dst, w.n FROM _ie_w AS w
                JOIN _ie_out AS o ON o.acct = w.src
                WHERE o.n_targets <= {int(params["max_targets"])}),
            candidates AS (
                SELECT dst AS t FROM focused GROUP BY dst
                HAVING count(*) >= {min_engagers} AND sum(n) >= {min_received}),
            engagers AS (
                SELECT f.dst AS t, f.src AS s FROM focused AS f
                WHERE f.dst IN (SELECT t FROM candidates)),
            reach AS (
                SELECT e.t, f.dst AS g, count(*) AS shared
                FROM engagers AS e JOIN focused AS f ON f.src = e.s
                GROUP BY e.t, f.dst),
            targets AS (SELECT t, g FROM reach WHERE g = t OR shared >= 2)
            SELECT t, 'target' AS side, g AS acct FROM targets
            UNION ALL SELECT t, 'engager' AS side, s AS acct FROM engagers AS e
            WHERE NOT EXISTS (SELECT 1 FROM targets AS g WHERE g.t = e.t AND g.g = e.s)""",
        )
        # each engager's engagement that stays inside its target's group, one join per
        # statement: inside the detect transaction DuckDB has no statistics for fresh temp
        # tables, and a three-way join here was ordered badly enough to spill tens of GB
        engine.create_scratch(
            "_ie_inside",
            """WITH reached AS (
                SELECT e.t, e.acct AS s, w.dst, w.n FROM _ie_members AS e
                JOIN _ie_w AS w ON w.src = e.acct WHERE e.side = 'engager')
            SELECT r.t, r.s, r.dst, r.n FROM reached AS r
            SEMI JOIN _ie_members AS g ON g.side = 'target' AND g.t = r.t AND g.acct = r.dst""",
        )
        engine.create_scratch(
            "_ie_groups",
            f"""WITH targets AS (SELECT t, acct AS g FROM _ie_members WHERE side = 'target'),
            engagers AS (SELECT t, acct AS s FROM _ie_members WHERE side = 'engager'),
            inside AS (SELECT t, sum(n) AS k FROM _ie_inside GROUP BY t),
            sides AS (
                SELECT g.t, count(*) AS n_group, sum(i.inflow) AS inflow_g
                FROM targets AS g JOIN _ie_in AS i ON i.acct = g.g GROUP BY g.t),
            outflow AS (
                SELECT e.t, count(*) AS n_engagers, sum(o.outflow) AS outflow_s
                FROM engagers AS e JOIN _ie_out AS o ON o.acct = e.s GROUP BY e.t)
            SELECT s.t, s.n_group, k.k, s.inflow_g, o.n_engagers, o.outflow_s,
                   s.inflow_g / {total} AS share
            FROM sides AS s JOIN outflow AS o USING (t) JOIN inside AS k USING (t)
            WHERE s.n_group >= {int(params["min_targets"])} AND o.n_engagers >= {min_engagers}
              AND k.k >= {loyalty} * o.outflow_s AND k.k >= {loyalty} * s.inflow_g
              AND s.inflow_g <= {max_share} * {total}""",
        )
        (m,) = engine.fetchall(
            f"""SELECT count(*) FROM (SELECT dst FROM _ie_w GROUP BY dst
                HAVING count(*) >= {min_engagers} AND sum(n) >= {min_received})"""
        )[0]
        strength = strength_sql(
            "cib_poisson_tail(CAST(k AS BIGINT), greatest(outflow_s * share, 1e-9))", max(int(m), 1)
        )
        engine.create_scratch("_ie_groups", f"SELECT *, {strength} AS strength FROM _ie_groups")
        closed = engine.printf(
            "closed group: %d engagers spend %.0f%% of their %d engagements on this account "
            "and %d others, which get %.0f%% of their engagement from them (%.1f%% of the "
            "case's engagement)",
            *("n_engagers", "100 * k / outflow_s", "outflow_s", "n_group - 1"),
            *("100 * k / inflow_g", "100 * share"),
        )
        engages = engine.printf(
            "engages almost only a closed group (%d of its %d engagements reach a group of "
            "%d accounts)",
            *("s.n", "o.outflow", "g.n_group"),
        )
        return [
            f"""SELECT t AS acct, strength, {closed} AS detail, 3 AS rank, c.cluster_id
            FROM _ie_groups AS g LEFT JOIN account_clusters AS c ON c.acct = g.t
            WHERE strength > 0""",
            # the engaging side: engagers of a closed group who engage little else
            f"""WITH spent AS (
                SELECT x.t, x.s, sum(x.n) AS n,
                       -- the cluster its engagement reaches most (the link of the
                       -- combination rule): an amplifier of a flagged cluster; of two
                       -- reached as much, the lower id
                       max_by(c.cluster_id, (x.n, -c.cluster_id))
                           FILTER (WHERE c.cluster_id IS NOT NULL) AS cluster_id
                FROM _ie_inside AS x LEFT JOIN account_clusters AS c ON c.acct = x.dst
                WHERE x.t IN (SELECT t FROM _ie_groups WHERE strength > 0)
                GROUP BY x.t, x.s)
            SELECT s.s AS acct, g.strength, {engages} AS detail, 4 AS rank, s.cluster_id
            FROM spent AS s JOIN _ie_groups AS g USING (t)
            JOIN _ie_out AS o ON o.acct = s.s
            WHERE s.n >= {loyalty} * o.outflow""",
        ]


register(InsularEngagement())
