"""Camouflage: a cluster whose members interleave political posts with mundane spam.

Spamouflage hides its political videos among scenery, basketball, food and TikTok clips
(Graphika, "Spamouflage" 2019 and "Spamouflage Breakout" 2020; Meta Q2 2023; Meta's kill
chain TTP 5.2.4 "Posting spam as camouflage"). One account doing so is unremarkable: a news
outlet posts politics between weather and sports, a football fan mentions an election. What
is unusual is a *cluster* of coordinated accounts most of whose members do it.

Each post is classed political, mundane or other by the shipped lexicon
(:mod:`cibscan.tells.lexicon`, English, German, Chinese and Russian; one RE2 pattern matched
in DuckDB, a repost takes its original's text). An account with at least ``min_posts``
classed posts is a *mixer* when both its political and its mundane share reach
``min_share`` and its consecutive classed posts change class at least ``min_switch`` of the
time (interleaving, not one era of sport followed by one of politics). With ``spam_only``
(default) a mundane post counts only when it is *spam*: a repost, or a text that another
account of the case posts too. Spamouflage's scenery and lifestyle posts are shared clips and
stock sentences spread over many accounts (Graphika 2019-2020: the same videos and images
across the network); an activist's or a fan's own words about the day are a life, not
camouflage (found on simulated petition activists who mix their cause with daily chatter).
The population is every account with enough classed posts (a deterministic sample of at most
``sample`` accounts beside the clusters' members, for speed at scale, as shift_schedule
does); per cluster with at least ``min_members`` such members, ``k`` members are mixers
where chance expects ``n p``, ``p`` the share of mixers among the *other* accounts
(smoothed: ``(x + 0.5) / (N + 1)``, so an empty population does not make one mixer
infinitely surprising); the Poisson tail is corrected by the number of clusters tested and
the mixers get strength ``-log10 q``.

Organic look-alikes: a football fan who posts about an election now and then has a political
share under ``min_share``; a news outlet mixing politics with weather and sports is a mixer,
but a lone account is in no cluster (a syndicated group of outlets that is clustered would
fire, which is why tells do not flag on their own).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cibscan.detect.inputs import is_repost_sql
from cibscan.detect.statistics import register_poisson_tail, strength_sql
from cibscan.engine.base import Dialect, real
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register, sample_order
from cibscan.tells.lexicon import original_join_sql, post_class_sql, repost_class_sql

log = logging.getLogger(__name__)

__all__ = [
    "Camouflage",
    "classed_posts_sql",
    "original_join_sql",
    "post_class_sql",
    "repost_class_sql",
]


def classed_posts_sql(dialect: Dialect, source: str = "cib_posts") -> str:
    """SQL of ``(acct, t, cls)`` for the posts of ``source`` (``acct, t, platform,
    text_norm, repost_of_post``)."""
    return f"""SELECT p.acct, p.t, {repost_class_sql(dialect)} AS cls
        FROM {source} AS p {original_join_sql()}"""


class Camouflage(Tell):
    name = "camouflage"
    title = "Cluster interleaving political posts with mundane spam"
    description = (
        "Most members of a cluster mix political posts with a substantial share of mundane "
        "content (scenery, food, pets, sports, clips) and switch between them often, unlike "
        "the case's other accounts (shipped EN/DE/ZH/RU lexicon; Poisson test over accounts, "
        "corrected by the number of clusters)."
    )
    reads = ("platform", "kind", "repost_of_post", "text_norm")
    params = (
        Param("min_posts", "int", 6, "Fewest political or mundane posts an account needs.", 2),
        Param(
            "min_share",
            "float",
            0.2,
            "Smallest share of political and of mundane posts in a mixer.",
            minimum=0,
            maximum=0.5,
        ),
        Param(
            "min_switch",
            "float",
            0.25,
            "Smallest share of consecutive classed posts that change class.",
            minimum=0,
            maximum=1,
        ),
        Param("min_members", "int", 2, "Fewest mixers in a cluster that make camouflage.", 1),
        Param("sample", "int", 20000, "Most population accounts compared.", minimum=100),
        Param(
            "spam_only",
            "bool",
            True,
            "Count a mundane post only when it is spam: a repost, or a text some other "
            "account posts too (an activist's own words about the day are not camouflage).",
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        register_poisson_tail(engine)
        min_share, min_switch = float(params["min_share"]), float(params["min_switch"])
        spam_only = "true" if params["spam_only"] else "false"
        engine.create_scratch(
            "_cf_accounts",
            f"""WITH chosen AS (
                -- the clusters' members and a deterministic sample of the population
                SELECT acct FROM account_clusters
                UNION SELECT acct FROM (
                    SELECT acct FROM (SELECT DISTINCT acct FROM cib_posts) AS d
                    ORDER BY {sample_order("acct")} LIMIT {int(params["sample"])}) AS s),
            raw AS (
                SELECT p.acct, p.t, {is_repost_sql("p")} AS repost, p.text_norm,
                       {repost_class_sql(engine)} AS c0
                FROM cib_posts AS p {original_join_sql()}
                WHERE p.acct IN (SELECT acct FROM chosen)),
            shared AS (
                SELECT text_norm FROM cib_posts
                WHERE text_norm IN (SELECT text_norm FROM raw WHERE c0 = 'mundane')
                GROUP BY text_norm HAVING count(DISTINCT acct) >= 2),
            typed AS (
                SELECT acct, t,
                       CASE WHEN c0 <> 'mundane' THEN c0
                            -- one's own words about one's day are a life, not camouflage
                            WHEN {spam_only} AND NOT repost
                                 AND text_norm NOT IN (SELECT text_norm FROM shared)
                            THEN 'other'
                            ELSE 'mundane' END AS cls
                FROM raw),
            classed AS (SELECT * FROM typed WHERE cls <> 'other'),
            steps AS (
                SELECT acct, cls,
                       coalesce(cls <> lag(cls) OVER (PARTITION BY acct ORDER BY t, cls), false)
                           AS switched
                FROM classed),
            counted AS (
                SELECT acct, count(*) AS n,
                       count(*) FILTER (WHERE cls = 'political') / count(*) AS political,
                       count(*) FILTER (WHERE cls = 'mundane') / count(*) AS mundane,
                       count(*) FILTER (WHERE switched) / greatest(count(*) - 1, 1) AS switching
                FROM steps GROUP BY acct HAVING count(*) >= {int(params["min_posts"])})
            SELECT *, political >= {real(min_share)} AND mundane >= {real(min_share)}
                      AND switching >= {real(min_switch)} AS mixer
            FROM counted""",
        )
        engine.create_scratch(
            "_cf_tests",
            f"""WITH clustered AS (
                SELECT c.cluster_id, count(*) AS n, count(*) FILTER (WHERE a.mixer) AS k
                FROM _cf_accounts AS a JOIN account_clusters AS c USING (acct)
                GROUP BY c.cluster_id),
            total AS (SELECT count(*) AS n, count(*) FILTER (WHERE mixer) AS k
                      FROM _cf_accounts)
            SELECT c.cluster_id, c.n, c.k,
                   (t.k - c.k + {real(0.5)}) / (t.n - c.n + 1) AS rate
            FROM clustered AS c CROSS JOIN total AS t
            WHERE c.n >= {int(params["min_members"])}""",
        )
        (n_clusters,) = engine.fetchall("SELECT count(*) FROM _cf_tests")[0]
        strength = strength_sql("cib_poisson_tail(b.k, b.n * b.rate)", max(int(n_clusters), 1))
        detail = engine.printf(
            "%d of %d active cluster members interleave political and mundane posts (this "
            "account: %.0f%% political, %.0f%% mundane, switching on %.0f%% of consecutive "
            "posts), against a rate of %.1f%% among the case's other active accounts",
            *("b.k", "b.n", "100 * a.political", "100 * a.mundane", "100 * a.switching"),
            "100 * b.rate",
        )
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            WITH tested AS (
                SELECT b.*, {strength} AS strength FROM _cf_tests AS b
                WHERE b.k >= {int(params["min_members"])})
            SELECT a.acct, '{self.name}' AS tell, b.strength,
                   {score_sql("b.strength")} AS score,
                   {detail} AS detail
            FROM tested AS b
            JOIN account_clusters AS c ON c.cluster_id = b.cluster_id
            JOIN _cf_accounts AS a ON a.acct = c.acct
            WHERE a.mixer AND b.strength > 0"""
        )
        for table in ("_cf_accounts", "_cf_tests"):
            engine.drop_table(table)
        log.info("camouflage: %d clusters tested", n_clusters)


register(Camouflage())
