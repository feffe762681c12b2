"""Shift-work schedule: a cluster whose members post in one time zone's office hours.

Spamouflage's accounts posted in shifts on Beijing time, with lunch and dinner breaks and
quiet weekends (Meta Q2 2023; Twitter's 2020 disclosure mapped activity to Beijing working
hours). People post whenever they like: mornings, evenings, weekends. This tell looks for a
cluster of accounts that each post mostly inside *weekday office hours with a lunch break*
(local 09:00-12:00 and 14:00-18:00, Monday to Friday) at one UTC offset, more of them than
the case's population would give.

Units are accounts, not posts (one busy account must not make a schedule): an account with at
least ``min_posts`` timed posts is an *office poster* at offset ``o`` when its share of posts
in office hours there is at least ``min_share`` and above the population's 90th percentile at
that offset. The population is every active account (a deterministic sample of at most
``sample`` accounts, for speed at scale). For each cluster with at least ``min_members``
active members and each offset from UTC-12 to UTC+14: ``k`` members are office posters, chance
expects ``n p(o)`` where ``p(o)`` is the population's share of office posters; the Poisson
tail is corrected by the 27 offsets and the clusters tested. The best offset is the inferred
operator time zone; its office posters get the strength ``-log10 q``.

Organic look-alikes: a night-shift nurse is a single account (no cluster) and posts at night;
an office team that happens to be clustered would fire, which is why a tell is evidence beside
coordination and does not flag on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cibscan.detect.statistics import register_poisson_tail, strength_sql
from cibscan.engine.base import real
from cibscan.score.base import score_sql
from cibscan.signals.base import Param
from cibscan.tells.base import Tell, TellContext, register, sample_order

log = logging.getLogger(__name__)

#: local office hours with a lunch break (hours of the day)
OFFICE_HOURS = (9, 10, 11, 14, 15, 16, 17)
OFFSETS = range(-12, 15)
#: hours from the Unix epoch (a Thursday) back to the Monday that starts its week
_EPOCH_WEEK_SHIFT = 72


class ShiftSchedule(Tell):
    name = "shift_schedule"
    title = "Cluster posting in one time zone's office hours"
    description = (
        "Members of a cluster each post mostly in weekday office hours with a lunch break at "
        "one UTC offset, more of them than the case's population (Poisson test over accounts, "
        "corrected by offsets and clusters); reports the inferred operator offset."
    )
    reads = ()  # acct and t only
    params = (
        Param("min_posts", "int", 10, "Fewest timed posts an account needs.", minimum=1),
        Param(
            "min_share",
            "float",
            0.6,
            "Smallest share of an account's posts in office hours.",
            minimum=0,
            maximum=1,
        ),
        Param("min_members", "int", 3, "Fewest office posters that make a shift.", minimum=2),
        Param("sample", "int", 20000, "Most population accounts compared.", minimum=100),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        register_poisson_tail(engine)
        hours = ", ".join(str(h) for h in OFFICE_HOURS)
        engine.create_scratch(
            "_ss_profile",
            f"""WITH binned AS (
                SELECT acct, CAST((floor(t / 3600) + {_EPOCH_WEEK_SHIFT}) % 168 AS INTEGER) AS how
                FROM cib_posts WHERE t IS NOT NULL),
            active AS (
                SELECT acct FROM binned GROUP BY acct
                HAVING count(*) >= {int(params["min_posts"])}),
            chosen AS (
                SELECT acct FROM active
                WHERE acct IN (SELECT acct FROM account_clusters)
                   OR acct IN (SELECT acct FROM active ORDER BY {sample_order("acct")}
                               LIMIT {int(params["sample"])}))
            SELECT b.acct, b.how, count(*) AS n FROM binned AS b
            WHERE b.acct IN (SELECT acct FROM chosen) GROUP BY b.acct, b.how""",
        )
        offsets = engine.explode(engine.int_range(str(OFFSETS.start), str(OFFSETS.stop)))
        engine.create_scratch(
            "_ss_share",
            f"""WITH offsets AS (SELECT {offsets} AS o),
            local AS (
                SELECT p.acct, o.o, p.n, (p.how + o.o + 168) % 168 AS lh
                FROM _ss_profile AS p CROSS JOIN offsets AS o)
            SELECT acct, o,
                   sum(n) FILTER (WHERE lh < 120 AND lh % 24 IN ({hours})) / sum(n)
                       AS share
            FROM local GROUP BY acct, o""",
        )
        self._test_clusters(ctx, params)
        for table in ("_ss_profile", "_ss_share", "_ss_marked", "_ss_tests"):
            engine.drop_table(table)

    def _test_clusters(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        min_share, min_members = float(params["min_share"]), int(params["min_members"])
        assert 0 <= min_share <= 1  # validated by the parameter; inlined in SQL below
        # an account is an office poster at offset o above the population's 90th percentile
        engine.create_scratch(
            "_ss_marked",
            f"""WITH bars AS (
                SELECT o, greatest(percentile_cont(0.9) WITHIN GROUP
                                       (ORDER BY coalesce(share, 0)), {real(min_share)}) AS bar
                FROM _ss_share GROUP BY o)
            SELECT s.acct, s.o, coalesce(s.share, 0) AS share,
                   coalesce(s.share, 0) >= b.bar AND coalesce(s.share, 0) > 0 AS office
            FROM _ss_share AS s JOIN bars AS b USING (o)""",
        )
        engine.create_scratch(
            "_ss_tests",
            f"""WITH marked AS (SELECT * FROM _ss_marked),
            rate AS (SELECT o, avg(CAST(office AS DOUBLE)) AS p0 FROM marked GROUP BY o),
            clustered AS (
                SELECT c.cluster_id, m.o, count(*) AS n,
                       count(*) FILTER (WHERE m.office) AS k, avg(m.share) AS mean_share
                FROM marked AS m JOIN account_clusters AS c USING (acct)
                GROUP BY c.cluster_id, m.o)
            SELECT c.cluster_id, c.o, c.n, c.k, c.mean_share, r.p0,
                   cib_poisson_tail(c.k, greatest(c.n * r.p0, 1e-9)) AS p
            FROM clustered AS c JOIN rate AS r USING (o)
            WHERE c.n >= {min_members} AND c.k >= {min_members}""",
        )
        n_clusters = engine.fetchall("SELECT count(DISTINCT cluster_id) FROM _ss_tests")[0][0]
        m = max(int(n_clusters), 1) * len(OFFSETS)
        strength = strength_sql("b.p", m)
        detail = engine.printf(
            "inferred operator time UTC%+d: %d of %d active cluster members post mostly in "
            "weekday office hours there (09-12, 14-18; this account %.0f%%); %.1f%% of the "
            "case's active accounts do",
            *("b.o", "b.k", "b.n", "100 * s.share", "100 * b.p0"),
        )
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            WITH best AS (
                SELECT * FROM _ss_tests
                QUALIFY row_number() OVER (PARTITION BY cluster_id
                                           ORDER BY p, k DESC, mean_share DESC, o) = 1),
            tested AS (SELECT b.*, {strength} AS strength FROM best AS b)
            SELECT s.acct, '{self.name}' AS tell, b.strength,
                   {score_sql("b.strength")} AS score,
                   {detail} AS detail
            FROM tested AS b
            JOIN account_clusters AS c ON c.cluster_id = b.cluster_id
            JOIN _ss_marked AS s ON s.acct = c.acct AND s.o = b.o
            WHERE s.office
              AND b.strength > 0"""
        )
        log.info("shift_schedule: %d clusters tested", n_clusters)


register(ShiftSchedule())
