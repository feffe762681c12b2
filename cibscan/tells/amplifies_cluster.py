"""Amplifies a cluster: a coordination cluster that passes another cluster's posts along.

An operation's amplifier layer relays its core's posts at human pace: the IRA's
HashtagGamers retweeted the #ThingsMoreTrustedThanHillary entries of other IRA accounts one
after another, minutes apart, during the first 2016 debate (benchmarks/real_accuracy.md).
Their ties to each other are ties on *targets* (the same posts, minutes apart), like a
fandom's; the combination rule rightly does not flag those alone. What tells them from fans
is *whose* posts they pass along: those of another coordinated cluster of the case, far
beyond what that cluster's share of the case's reposts explains. Fans of an idol amplify an
account that is not itself part of a coordinated cluster.

For clusters ``C != D``: ``k`` of ``C``'s ``N`` reposts and quotes are of posts by ``D``'s
members, from at least ``min_engagers`` members of ``C``, of at least ``min_posts`` distinct
posts. Chance expects ``N p(D)``, ``p(D)`` being ``D``'s share of the reposts and quotes the
rest of the case (everyone outside ``C``) made, so ``C``'s own actions never make ``D``
look popular. Poisson tail, corrected by the (C, D) pairs tested. The members of ``C``
that amplified ``D`` get the strength and are **linked** to ``D``.

The tell only links (``corroborates = False``): the combination rule flags a linked account
when ``D`` is flagged on its own evidence, and adds nothing to ``C``'s evidence otherwise,
so two organic communities where one retweets the other flag nobody. Reposts whose
reposted post was lost are attributed by their text, as in ``insular_engagement``
(:func:`cibscan.tells.insular_engagement.build_actions`, built once a run for both).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cibscan.detect.statistics import register_poisson_tail, strength_sql
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register
from cibscan.tells.insular_engagement import ensure_actions


class AmplifiesCluster(Tell):
    #: amplifying a cluster is evidence only when that cluster is flagged on its own
    corroborates = False
    name = "amplifies_cluster"
    title = "Cluster passing another coordination cluster's posts along"
    description = (
        "Members of a coordination cluster whose reposts and quotes go to the posts of "
        "another cluster far beyond that cluster's share of the case's reposts (Poisson test, "
        "corrected by the cluster pairs tested); links them to it, so they are flagged when "
        "it is."
    )
    reads = ()
    params = (
        Param(
            "min_engagers",
            "int",
            3,
            "Fewest members of the amplifying cluster that amplify the other.",
            minimum=1,
        ),
        Param(
            "min_posts",
            "int",
            3,
            "Fewest distinct posts of the other cluster that must be amplified.",
            minimum=1,
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        register_poisson_tail(engine)
        ensure_actions(ctx)
        # the members of C that amplify D are kept as rows (no list column): the same
        # SQL on both engines
        engine.create_scratch(
            "_ac_flows",
            f"""WITH amp AS (
                SELECT x.src, x.dst, x.ref, c.cluster_id AS c, d.cluster_id AS d
                FROM _ie_act AS x JOIN account_clusters AS c ON c.acct = x.src
                LEFT JOIN account_clusters AS d ON d.acct = x.dst
                WHERE x.kind <> 'reply'),
            total AS (SELECT count(*) AS n FROM _ie_act WHERE kind <> 'reply'),
            made AS (SELECT c, count(*) AS n FROM amp GROUP BY c),
            got AS (
                SELECT d.cluster_id AS d, count(*) AS n
                FROM _ie_act AS x JOIN account_clusters AS d ON d.acct = x.dst
                WHERE x.kind <> 'reply' GROUP BY d.cluster_id),
            flows AS (
                SELECT c, d, count(*) AS k, count(DISTINCT src) AS engagers,
                       count(DISTINCT ref) AS n_posts
                FROM amp WHERE d IS NOT NULL AND d <> c GROUP BY c, d)
            SELECT f.c, f.d, f.k, f.engagers, f.n_posts, m.n AS made,
                   greatest(m.n * (g.n - f.k) / greatest(t.n - m.n, 1), 1e-9) AS expected
            FROM flows AS f JOIN made AS m USING (c) JOIN got AS g USING (d) CROSS JOIN total AS t
            WHERE f.engagers >= {int(params["min_engagers"])}
              AND f.n_posts >= {int(params["min_posts"])}""",
        )
        m = max(int(engine.fetchall("SELECT count(*) FROM _ac_flows")[0][0]), 1)
        strength = strength_sql("cib_poisson_tail(CAST(k AS BIGINT), expected)", m)
        detail = engine.printf(
            "amplifies cluster %d: %d of its cluster's %d reposts and quotes are of %d posts "
            "by cluster %d's members (%d of its members do it), where chance expects %.2g",
            *("s.d", "s.k", "s.made", "s.n_posts", "s.d", "s.engagers", "s.expected"),
        )
        # an account amplifying two clusters equally strongly is linked to the lower id
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            WITH scored AS (SELECT *, {strength} AS strength FROM _ac_flows),
            rows AS (
                SELECT DISTINCT a.src AS acct, s.strength, s.d AS cluster_id, {detail} AS detail
                FROM scored AS s
                JOIN account_clusters AS c ON c.cluster_id = s.c
                JOIN _ie_act AS a ON a.src = c.acct
                JOIN account_clusters AS d ON d.acct = a.dst AND d.cluster_id = s.d
                WHERE s.strength > 0 AND a.kind <> 'reply')
            SELECT acct, '{self.name}' AS tell, strength, {score_sql("strength")} AS score,
                   detail, cluster_id
            FROM rows
            QUALIFY row_number() OVER (PARTITION BY acct
                                       ORDER BY strength DESC, cluster_id) = 1"""
        )
        engine.drop_table("_ac_flows")


register(AmplifiesCluster())
