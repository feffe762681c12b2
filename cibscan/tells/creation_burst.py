"""Creation bursts: a cluster's accounts were created together, unlike the case's population.

Operators register accounts in batches (Meta and Graphika on Spamouflage; Twitter's 2020
takedown). A cluster whose members' creation dates crowd around one moment, when the rest of
the case's accounts were rarely created then, is such a batch. Per cluster with at least
``min_members`` dated members: the centre is the median creation time; ``k`` members were
created within ``±window`` of it; among the *other* accounts of the case a share ``p`` were
created in that same interval, so chance expects ``n p``; the Poisson tail ``P(X >= k)`` is
corrected by the number of clusters tested. Members inside the burst get the strength
``-log10(q)``; members outside it, and clusters with fewer than ``min_members`` members
inside it, get no row (the median member alone is no burst). Organic look-alikes stay
quiet: a cluster of fans who all joined during a platform's launch week is tested against
everyone else who joined that week.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cibscan.detect.statistics import register_poisson_tail, strength_sql
from cibscan.score.base import score_sql
from cibscan.signals.base import Param, format_duration
from cibscan.tells.base import Tell, TellContext, register

log = logging.getLogger(__name__)


class CreationBurst(Tell):
    name = "creation_burst"
    title = "Accounts of a cluster created together"
    description = (
        "A cluster's members were created within a short span around one moment, while few "
        "other accounts of the case were created then (Poisson test, corrected by the number "
        "of clusters)."
    )
    reads = ()
    params = (
        Param(
            "window",
            "duration",
            3 * 86400.0,
            "Half-width of the burst around the median creation time.",
            minimum=1,
        ),
        Param(
            "min_members", "int", 3, "Fewest members created together that make a burst.", minimum=2
        ),
    )

    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        half = float(params["window"])
        register_poisson_tail(engine)
        created_at = engine.epoch("any_value(a.created_at)")
        engine.create_scratch(
            "_cb_bursts",
            f"""WITH created AS (
                SELECT i.acct, {created_at} AS t
                FROM account_index AS i JOIN accounts AS a USING (platform, account_id)
                WHERE a.created_at IS NOT NULL GROUP BY i.acct),
            members AS (
                SELECT c.cluster_id, k.acct, k.t
                FROM account_clusters AS c JOIN created AS k USING (acct)),
            centres AS (
                SELECT cluster_id, median(t) AS mid, count(*) AS n FROM members
                GROUP BY cluster_id HAVING count(*) >= {int(params["min_members"])}),
            inside AS (
                SELECT c.cluster_id, count(*) AS k FROM centres AS c
                JOIN members AS m ON m.cluster_id = c.cluster_id
                 AND m.t BETWEEN c.mid - {half} AND c.mid + {half}
                GROUP BY c.cluster_id),
            population AS (
                SELECT c.cluster_id, count(k.acct) AS in_window
                FROM centres AS c LEFT JOIN created AS k
                  ON k.t BETWEEN c.mid - {half} AND c.mid + {half}
                GROUP BY c.cluster_id),
            total AS (SELECT count(*) AS total FROM created)
            SELECT c.cluster_id, c.mid, c.n, i.k,
                   greatest(p.in_window - i.k, 0) / greatest(t.total - c.n, 1) AS share,
                   c.n * greatest(greatest(p.in_window - i.k, 0) / greatest(t.total - c.n, 1),
                                  1e-9) AS expected
            FROM centres AS c JOIN inside AS i USING (cluster_id)
            JOIN population AS p USING (cluster_id) CROSS JOIN total AS t""",
        )
        m = max(int(engine.fetchall("SELECT count(*) FROM _cb_bursts")[0][0]), 1)
        strength = strength_sql("cib_poisson_tail(b.k, b.expected)", m)
        detail = engine.printf(
            "%d of %d dated cluster members created within %s of %s; "
            "%.2f%% of the other accounts of the case were created then",
            "b.k",
            "b.n",
            f"'±{format_duration(half)}'",
            engine.format_epoch_date("b.mid"),
            "100 * b.share",
        )
        engine.execute(
            f"""INSERT INTO {ctx.table} BY NAME
            WITH tested AS (SELECT b.*, {strength} AS strength FROM _cb_bursts AS b)
            SELECT c.acct, '{self.name}' AS tell, b.strength,
                   {score_sql("b.strength")} AS score, {detail} AS detail
            FROM tested AS b
            JOIN account_clusters AS c ON c.cluster_id = b.cluster_id
            JOIN account_index AS i ON i.acct = c.acct
            JOIN accounts AS a ON a.platform = i.platform AND a.account_id = i.account_id
            WHERE b.k >= {int(params["min_members"])}
              AND b.strength > 0
              AND {engine.epoch("a.created_at")} BETWEEN b.mid - {half} AND b.mid + {half}"""
        )
        engine.drop_table("_cb_bursts")
        log.info("creation_burst: %d clusters tested", m)


register(CreationBurst())
