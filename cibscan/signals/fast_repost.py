"""Fast repost: an account reposts another's posts within seconds of their publication."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.engine.base import real, scratch
from cibscan.signals.base import Param, Signal, SignalContext, register


class FastRepost(Signal):
    name = "fast_repost"
    title = "Fast repost"
    description = (
        "Account a reposted account b's posts within max_delay of their publication, more "
        "often than the case's share of fast reposts predicts (null model: each of the pair's "
        "reposts is fast with the case-wide probability, an exact binomial). Scripted "
        "amplifiers fire within "
        "seconds, again and again. Needs the original posts in the case (their time)."
    )
    reads = ("platform", "post_id", "repost_of_post")
    params: ClassVar[tuple[Param, ...]] = (
        Param("max_delay", "duration", 10.0, "Largest delay that counts as fast."),
    )

    def pairs(self, ctx: SignalContext, params: Mapping[str, Any]) -> None:
        engine = ctx.engine
        delay = float(params["max_delay"] or 0.0)
        engine.create_scratch(
            "_fr",
            """SELECT r.acct AS reposter, o.acct AS author, r.post_id AS repost_id,
                   o.post_id AS original_id, r.t AS t_repost, o.t AS t_original,
                   r.t - o.t AS delay, r.platform || '|' || o.post_id AS obj
            FROM cib_posts AS r
            JOIN cib_posts AS o ON o.platform = r.platform AND o.post_id = r.repost_of_post
            WHERE r.acct <> o.acct AND r.t >= o.t""",
        )
        with scratch(engine, "_fr"):
            # the share of fast reposts, k / n in doubles (Spark would average the decimal
            # literals 1.0 and 0.0 in decimals rounded to a few places)
            fast = f"CASE WHEN delay <= {delay!r} THEN {real(1)} ELSE {real(0)} END"
            (share,) = engine.fetchall(f"SELECT coalesce(avg({fast}), 0) FROM _fr")[0]
            engine.execute(
                f"""INSERT INTO {ctx.pairs_table} BY NAME
                SELECT '{self.name}' AS signal, least(reposter, author) AS a,
                       greatest(reposter, author) AS b,
                       count(*) FILTER (WHERE delay <= {delay!r}) AS n_shared,
                       count(*) FILTER (WHERE delay <= {delay!r}) AS weight,
                       min(delay) AS min_dt,
                       min(t_original) FILTER (WHERE delay <= {delay!r}) AS first_t,
                       max(t_repost) FILTER (WHERE delay <= {delay!r}) AS last_t,
                       count(*) * {float(share)!r} AS expected, count(*) AS trials,
                       'lockstep' AS tie_kind
                FROM _fr GROUP BY 2, 3
                HAVING count(*) FILTER (WHERE delay <= {delay!r}) > 0"""
            )
            engine.execute(
                f"""INSERT INTO {ctx.evidence_table} BY NAME
                SELECT '{self.name}' AS signal, a, b, obj AS object,
                       CASE WHEN reposter = a THEN repost_id ELSE original_id END AS post_a,
                       CASE WHEN reposter = a THEN original_id ELSE repost_id END AS post_b,
                       CASE WHEN reposter = a THEN t_repost ELSE t_original END AS t_a,
                       CASE WHEN reposter = a THEN t_original ELSE t_repost END AS t_b,
                       delay AS dt, 1 AS object_accounts
                FROM (SELECT *, least(reposter, author) AS a, greatest(reposter, author) AS b,
                             row_number() OVER (PARTITION BY least(reposter, author),
                                 greatest(reposter, author) ORDER BY delay, repost_id) AS rank,
                             count(*) OVER (PARTITION BY least(reposter, author),
                                 greatest(reposter, author)) AS n_fast
                      FROM _fr WHERE delay <= {delay!r}) AS f
                WHERE rank <= {int(ctx.evidence_per_pair)} AND n_fast >= {int(ctx.min_shared)}"""
            )


register(FastRepost())
