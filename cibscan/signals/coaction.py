"""The one co-action mechanism shared by most signals.

A co-action signal states, in one SELECT over ``cib_posts``, its **actions**: rows
``(acct, obj, t, post_id)`` meaning "account ``acct`` acted on object ``obj`` at time ``t`` in
post ``post_id``". The object is whatever the signal is about: the reposted post, the
normalised text, a URL, a domain, a hashtag sequence, a reply target, a media hash, a text
family, a time bin. Everything else is shared, parametrised code, so eleven signals do not
become eleven near-copies of the same join:

1. **Episodes.** Time is cut into buckets of the window's width; an (object, bucket) is an
   *episode*. Two accounts co-act when they act on the same object at most ``window`` apart
   (a self-join on the object and on buckets ``b-1, b, b+1``), one row per (pair, object,
   episode) shown by its closest pair of posts. ``window = None`` means one episode per
   object (anywhere in the case).
2. **Crowded objects.** Objects acted on by more than ``max_accounts`` accounts produce no
   pairs (their rarity weight is near zero and they would cost a quadratic join); they still
   count in the null model.
3. **One item per pair of posts.** Each co-action keeps only the rarest object of its post
   on both sides (a retweet tagging five accounts is one item, not five).
4. **Per pair**: ``n_shared`` (items), ``n_objects``, ``n_effective`` (the episodes of one
   object in one session discounted), the rarity-weighted ``weight`` (each object weighs
   ``ln(N/k)/ln(N/2)``), the smallest and mean time gaps, the first and last time, and the
   test inputs ``trials`` and ``expected`` of :mod:`cibscan.signals.null_model`; its
   ``tie_kind`` (lockstep or target) from :meth:`CoActionSignal.tie_kind_sql`.
5. **Evidence**: the ``evidence_per_pair`` rarest (then closest in time) shared items of
   each pair, with the two posts and their times.

Everything is plain SQL (joins, GROUP BY, window functions, ``min_by``) in the dialect
DuckDB and Spark SQL share, with the engine's dialect helpers where they differ (the 64-bit
object hash, scratch tables): one definition runs on both engines (tests/test_engines.py).
Object hashes differ between engines, so no order or tie-break here depends on them:
``o.obj``, the object's text, breaks ties (a post's equally rare objects, the evidence).
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.engine import Engine
from cibscan.engine.base import Dialect, real, scratch
from cibscan.signals.base import Param, Signal, SignalContext
from cibscan.signals.null_model import (
    account_terms,
    design_effect_sql,
    session_sql,
    test_pairs,
)

log = logging.getLogger(__name__)


def window_param(default: float | None, doc: str = "") -> Param:
    return Param(
        "window",
        "duration",
        default,
        doc
        or "Largest time gap between two accounts' actions on the same object "
        "('case' = anywhere in the case).",
    )


def max_accounts_param(default: int) -> Param:
    return Param(
        "max_accounts",
        "int",
        default,
        "Objects acted on by more accounts than this make no pairs (they carry almost no "
        "evidence and cost a quadratic join); 0 = no limit. They still count in the null model.",
        minimum=0,
    )


def lockstep_param(default: float, doc: str) -> Param:
    """The largest mean gap between a pair's co-actions at which its tie is *lockstep*
    (docs/signals.md, the combination rule); slower pairs are ties on a shared target."""
    return Param("lockstep", "duration", default, doc)


class CoActionSignal(Signal):
    """A signal defined by its actions; the pairing, weighting and null model are shared."""

    #: helper tables :meth:`prepare` makes; dropped after the signal has run
    scratch_tables: ClassVar[tuple[str, ...]] = ()
    #: whether one post can act on several objects (links, domains, mentions, media): then
    #: its objects are merged into one item and one trial (the merge costs a GROUP BY)
    several_objects: ClassVar[bool] = False

    @abstractmethod
    def actions_sql(self, params: Mapping[str, Any]) -> str:
        """SELECT acct, obj, t, post_id FROM cib_posts ... (obj a VARCHAR; NULLs are dropped)."""

    def actions(self, dialect: Dialect, params: Mapping[str, Any]) -> str:
        """The actions SELECT in an engine's dialect: :meth:`actions_sql` unless the signal
        needs one of the dialect helpers (then it overrides this to build its one SQL with
        them, and its ``actions_sql`` returns this in DuckDB's dialect)."""
        return self.actions_sql(params)

    def prepare(self, ctx: SignalContext, params: Mapping[str, Any]) -> None:
        """Build helper tables the actions need (for example text families). Default: none."""

    def candidates_table(self, ctx: SignalContext, params: Mapping[str, Any]) -> str | None:
        """A table (a, b) restricting which pairs are examined, or None for all co-actors."""
        return None

    def tie_kind_sql(self, params: Mapping[str, Any]) -> str:
        """SQL over a pair's statistics (``g``: ``n_shared``, ``n_objects``, ``mean_dt``,
        ``min_dt``...) giving its ``tie_kind``: with a ``lockstep`` parameter
        (:func:`lockstep_param`), lockstep when the pair's co-actions are that close on
        average, else a shared target; otherwise the signal's own kind."""
        if not any(p.name == "lockstep" for p in self.params):
            return f"'{self.tie_kind}'"
        lockstep = float(params.get("lockstep", self.param("lockstep").default) or 0.0)
        return f"CASE WHEN g.mean_dt <= {lockstep!r} THEN 'lockstep' ELSE 'target' END"

    def pairs(self, ctx: SignalContext, params: Mapping[str, Any]) -> None:
        with scratch(ctx.engine, *self.scratch_tables):
            self.prepare(ctx, params)
            co_action_pairs(
                ctx,
                signal=self.name,
                actions_sql=self.actions(ctx.engine, params),
                window=params.get("window"),
                max_accounts=int(params.get("max_accounts", 0)),
                candidates=self.candidates_table(ctx, params),
                tie_kind=self.tie_kind_sql(params),
                several_objects=self.several_objects,
            )


def _bucket_shifts(window: float | None) -> str:
    """The bucket offsets an action can meet: its own and both neighbours when windowed."""
    return "(VALUES (-1), (0), (1))" if window else "(VALUES (0))"


def co_action_pairs(
    ctx: SignalContext,
    *,
    signal: str,
    actions_sql: str,
    window: float | None,
    max_accounts: int = 0,
    candidates: str | None = None,
    tie_kind: str = "'lockstep'",
    several_objects: bool = True,
) -> None:
    """Turn a signal's actions into rows of ``ctx.pairs_table`` and ``ctx.evidence_table``;
    ``tie_kind`` is SQL over the pair's statistics ``g`` (see
    :meth:`CoActionSignal.tie_kind_sql`)."""
    engine = ctx.engine
    p = f"_ca_{signal}"
    episode = f"CAST(floor(t / {window!r}) AS BIGINT)" if window else "CAST(0 AS BIGINT)"
    # Objects are joined and grouped by a 64-bit hash (``oid``): a copypasta text or a URL is
    # a long string, and hashing it once makes every later join an integer join. The text
    # itself is kept once per object, for the evidence.
    oid = engine.hash64("obj")
    engine.create_scratch(
        f"{p}_acts",
        f"""SELECT acct, {oid} AS oid, t, post_id, {episode} AS ep, any_value(obj) AS obj
        FROM (SELECT acct, CAST(obj AS STRING) AS obj, CAST(t AS DOUBLE) AS t,
                     CAST(post_id AS STRING) AS post_id
              FROM ({actions_sql}) AS actions
              WHERE acct IS NOT NULL AND obj IS NOT NULL AND t IS NOT NULL) AS a
        GROUP BY acct, {oid}, t, post_id""",
    )
    engine.create_scratch(
        f"{p}_objs",
        f"""SELECT oid, count(DISTINCT acct) AS k, any_value(obj) AS obj
        FROM {p}_acts GROUP BY oid""",
    )
    (n_accounts,) = engine.fetchall(f"SELECT count(DISTINCT acct) FROM {p}_acts")[0]
    try:
        if n_accounts < 2:
            log.info("%s: fewer than two accounts act; no pairs", signal)
            return
        session = session_sql(window, ctx.session)
        incidences = account_terms(
            engine, p, _bucket_shifts(window), session, ctx.repeat_correlation, several_objects
        )
        _co_actions(engine, p, window, max_accounts, candidates)
        # With one object a post and one episode an object, a post is in one co-action of a
        # pair at most: nothing to merge.
        _evidence_units(engine, p, merge=several_objects or window is not None)
        _pair_stats(engine, p, int(n_accounts), session, ctx.repeat_correlation)
        test_pairs(ctx, p, signal, incidences, tie_kind)
        _evidence_rows(ctx, p, signal)
    finally:
        for suffix in (
            "acts",
            "objs",
            "accts",
            "kept",
            "near",
            "co",
            "rows",
            "units",
            "g",
            "partners",
        ):
            engine.drop_table(f"{p}_{suffix}")


def _co_actions(
    engine: Engine, p: str, window: float | None, max_accounts: int, candidates: str | None
) -> None:
    """One row per (a, b, episode): the closest pair of actions of a and b on that object."""
    cap = f"AND o.k <= {int(max_accounts)}" if max_accounts > 0 and candidates is None else ""
    engine.create_scratch(
        f"{p}_kept",
        f"""SELECT a.acct, a.oid, a.t, a.post_id, a.ep
        FROM {p}_acts AS a JOIN {p}_objs AS o USING (oid)
        WHERE o.k >= 2 {cap}""",
    )
    within = f"AND abs(x.t - y.t) <= {window!r}" if window is not None else ""
    if candidates is None:
        # y's actions under the keys of the three buckets they can meet: a plain equi-join
        # on (object, bucket) then follows. Materialised, so that the planner never joins on
        # the object alone (measured: 0.3 s against 30 s on 1M posts with a popular URL).
        shifts = _bucket_shifts(window)
        engine.create_scratch(
            f"{p}_near",
            f"""SELECT y.acct, y.oid, y.t, y.post_id, y.ep, y.ep + s.shift AS ep_key
            FROM {p}_kept AS y CROSS JOIN {shifts} AS s(shift)""",
        )
        source = f"""{p}_kept AS x
            JOIN {p}_near AS y ON y.oid = x.oid AND y.ep_key = x.ep"""
    else:
        # Candidate pairs with a's actions first, materialised, so that the planner cannot
        # join all actions on the object before restricting to the candidates.
        engine.create_scratch(
            f"{p}_near",
            f"""SELECT c.b AS other, x.*
            FROM {candidates} AS c JOIN {p}_kept AS x ON x.acct = c.a""",
        )
        source = f"""{p}_near AS x
            JOIN {p}_kept AS y ON y.acct = x.other AND y.oid = x.oid"""
    # The episode of a co-action is the earlier action's; the tie-break key makes the chosen
    # evidence posts independent of input order.
    key = "(abs(x.t - y.t), x.post_id, y.post_id)"
    engine.create_scratch(
        f"{p}_co",
        f"""SELECT x.acct AS a, y.acct AS b, x.oid,
               CASE WHEN x.t <= y.t THEN x.ep ELSE y.ep END AS ep,
               min(abs(x.t - y.t)) AS dt,
               min_by(x.post_id, {key}) AS post_a, min_by(y.post_id, {key}) AS post_b,
               min_by(x.t, {key}) AS t_a, min_by(y.t, {key}) AS t_b,
               min(least(x.t, y.t)) AS first_t, max(greatest(x.t, y.t)) AS last_t
        FROM {source}
        WHERE x.acct < y.acct {within}
        GROUP BY x.acct, y.acct, x.oid, CASE WHEN x.t <= y.t THEN x.ep ELSE y.ep END""",
    )


def rarity_sql(k: str, n_accounts: int) -> str:
    """Rarity weight of an object acted on by ``k`` of ``n_accounts`` accounts, in [0, 1].

    ``ln(N / k) / ln(N / 2)``: 1 for an object only the pair shares, 0 for one every account
    shares (an inverse-document-frequency, normalised so that weights read as "rare objects").
    """
    if n_accounts <= 2:
        return "1.0"
    n = real(n_accounts)
    return f"greatest(0.0, least(1.0, ln({n} / {k}) / ln({n} / 2)))"


def _evidence_units(engine: Engine, p: str, *, merge: bool) -> None:
    """Keep one co-action per post of each side: the items of one pair of posts (a retweet
    of a post tagging five accounts, a post with three links) are one piece of evidence,
    not five. Each kept row is the rarest object for its post on both sides; a row that is
    the rarest for one side only is dropped, which can only undercount (a pair's best row by
    the same order is the best for both its posts, so every pair keeps at least one)."""
    order = "o.k, c.dt, o.obj, c.ep"
    if not merge:
        engine.create_scratch(
            f"{p}_rows",
            "SELECT CAST(NULL AS BIGINT) AS a, CAST(NULL AS BIGINT) AS b, 0 AS n_rows",
        )
        engine.drop_table(f"{p}_units")
        engine.rename_table(f"{p}_co", f"{p}_units")
        return
    # Every co-action, before the merge, still says how much the other account adds to the
    # reach of one's episodes (each of a post's objects).
    engine.create_scratch(f"{p}_rows", f"SELECT a, b, count(*) AS n_rows FROM {p}_co GROUP BY a, b")
    # Only pairs with several co-actions can use a post twice: the ranking (two window
    # sorts) runs on those alone, most pairs share one item.
    engine.create_scratch(
        f"{p}_units",
        f"""SELECT c.* FROM {p}_co AS c
        JOIN {p}_rows AS r USING (a, b) WHERE r.n_rows = 1
        UNION ALL
        SELECT * FROM (
            SELECT c.* FROM {p}_co AS c JOIN {p}_objs AS o USING (oid)
            JOIN {p}_rows AS r USING (a, b) WHERE r.n_rows > 1
            QUALIFY row_number() OVER (PARTITION BY c.a, c.b, c.post_a ORDER BY {order}) = 1
                AND row_number() OVER (PARTITION BY c.a, c.b, c.post_b ORDER BY {order}) = 1
        ) AS merged""",
    )
    engine.drop_table(f"{p}_co")


def _pair_stats(engine: Engine, p: str, n_accounts: int, session: str, rho: float) -> None:
    """Per pair: shared items, distinct objects, the effective evidence (repeated episodes
    of one object discounted, :func:`design_effect_sql`), rarity weight and timing."""
    if session == "ep":
        # Each session is one episode: no repeats to discount, one aggregation suffices.
        engine.create_scratch(
            f"{p}_g",
            f"""SELECT a, b, count(*) AS n_shared, count(DISTINCT oid) AS n_objects,
                   CAST(count(*) AS DOUBLE) AS n_effective,
                   sum({rarity_sql("k", n_accounts)}) AS weight, min(dt) AS min_dt,
                   avg(dt) AS mean_dt, min(first_t) AS first_t, max(last_t) AS last_t,
                   coalesce(any_value(r.n_rows), count(*)) AS n_rows
            FROM {p}_units JOIN {p}_objs USING (oid) LEFT JOIN {p}_rows AS r USING (a, b)
            GROUP BY a, b""",
        )
        return
    engine.create_scratch(
        f"{p}_g",
        f"""WITH per_object AS (
            SELECT a, b, oid, count(*) AS j, sum({rarity_sql("k", n_accounts)}) AS weight,
                   min(dt) AS min_dt, sum(dt) AS sum_dt, min(first_t) AS first_t,
                   max(last_t) AS last_t
            FROM {p}_units JOIN {p}_objs USING (oid) GROUP BY a, b, oid, {session})
        SELECT a, b, sum(j) AS n_shared, count(DISTINCT oid) AS n_objects,
               sum({design_effect_sql("j", rho)}) AS n_effective, sum(weight) AS weight,
               min(min_dt) AS min_dt, sum(sum_dt) / sum(j) AS mean_dt,
               min(first_t) AS first_t, max(last_t) AS last_t,
               coalesce(any_value(r.n_rows), sum(j)) AS n_rows
        FROM per_object LEFT JOIN {p}_rows AS r USING (a, b) GROUP BY a, b""",
    )


def _evidence_rows(ctx: SignalContext, p: str, signal: str) -> None:
    ctx.engine.execute(
        f"""INSERT INTO {ctx.evidence_table} BY NAME
        SELECT '{signal}' AS signal, a, b, obj AS object, post_a, post_b, t_a, t_b, dt,
               k AS object_accounts
        FROM (
            SELECT c.*, o.obj, o.k,
                   row_number() OVER (PARTITION BY c.a, c.b ORDER BY o.k, c.dt, o.obj, c.ep)
                       AS rank
            FROM {p}_units AS c JOIN {p}_objs AS o USING (oid)
            SEMI JOIN (SELECT a, b FROM {p}_g
                       WHERE n_shared >= {int(ctx.min_shared)}) AS s USING (a, b)
        ) AS ranked
        WHERE rank <= {int(ctx.evidence_per_pair)}"""
    )
