"""The one co-action mechanism shared by most signals.

A co-action signal states, in one SELECT over ``cib_posts``, its **actions**: rows
``(acct, obj, t, post_id)`` meaning "account ``acct`` acted on object ``obj`` at time ``t`` in
post ``post_id``". The object is whatever the signal is about: the reposted post, the
normalised text, a URL, a domain, a hashtag sequence, a reply target, a media hash, a text
family, a time bin. Everything else is shared, parametrised code, so eleven signals do not
become eleven near-copies of the same join:

1. **Episodes.** Time is cut into buckets of the window's width; an (object, bucket) is an
   *episode*. Two accounts co-act when they act on the same object at most ``window`` apart
   (a self-join on the object and on buckets ``b-1, b, b+1``). A pair's ``n_shared`` counts
   distinct episodes, so two accounts that mention the same dissident in five separate bursts
   have five shared items, not one. ``window = None`` means one episode per object (anywhere
   in the case).
2. **Crowded objects.** Objects acted on by more than ``max_accounts`` accounts produce no
   pairs (their rarity weight is near zero and they would cost a quadratic join); they still
   count in the null model.
3. **Per pair**: ``n_shared``, the rarity-weighted ``weight`` (each object weighs
   ``ln(N/k)/ln(N/2)``), the smallest time gap, the first and last time, and the null
   expectation ``expected = (d_b * K_a + d_a * K_b) / (2 S)``: a configuration model over
   episodes, in which ``a`` keeps its episodes and ``b`` joins each with probability
   ``d_b * (k_e - 1) / S``. ``d`` counts an account's episodes, ``k_e`` the accounts acting on
   the episode's object within one bucket of it, ``K_a`` sums ``k_e - 1`` over ``a``'s
   episodes and ``S`` counts all (account, episode) incidences. Busy moments of popular
   objects (a viral post's first minutes) are expected to be shared; quiet objects are not.
   See ``docs/signals.md``.
4. **Evidence**: the ``evidence_per_pair`` rarest (then closest in time) shared items of
   each pair, with the two posts and their times.

Everything is plain SQL (joins, GROUP BY, window functions, ``min_by``) so that it
transpiles to Spark SQL.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.statistics import register_poisson_tail
from cibscan.engine import Engine
from cibscan.signals.base import Param, Signal, SignalContext

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

    @abstractmethod
    def actions_sql(self, params: Mapping[str, Any]) -> str:
        """SELECT acct, obj, t, post_id FROM cib_posts ... (obj a VARCHAR; NULLs are dropped)."""

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
        try:
            self.prepare(ctx, params)
            co_action_pairs(
                ctx,
                signal=self.name,
                actions_sql=self.actions_sql(params),
                window=params.get("window"),
                max_accounts=int(params.get("max_accounts", 0)),
                candidates=self.candidates_table(ctx, params),
                tie_kind=self.tie_kind_sql(params),
            )
        finally:
            for table in self.scratch_tables:
                ctx.engine.execute(f"DROP TABLE IF EXISTS {table}")


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
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_acts AS
        SELECT acct, hash(obj) AS oid, t, post_id, {episode} AS ep, any_value(obj) AS obj
        FROM (SELECT acct, CAST(obj AS VARCHAR) AS obj, CAST(t AS DOUBLE) AS t,
                     CAST(post_id AS VARCHAR) AS post_id
              FROM ({actions_sql}) AS actions
              WHERE acct IS NOT NULL AND obj IS NOT NULL AND t IS NOT NULL) AS a
        GROUP BY acct, hash(obj), t, post_id"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_objs AS
        SELECT oid, count(DISTINCT acct) AS k, any_value(obj) AS obj
        FROM {p}_acts GROUP BY oid"""
    )
    (n_accounts,) = engine.fetchall(f"SELECT count(DISTINCT acct) FROM {p}_acts")[0]
    try:
        if n_accounts < 2:
            log.info("%s: fewer than two accounts act; no pairs", signal)
            return
        session = _session_sql(window, ctx.session)
        incidences = _null_model(engine, p, _bucket_shifts(window), session, ctx.repeat_correlation)
        _co_actions(engine, p, window, max_accounts, candidates)
        _evidence_units(engine, p)
        _pair_stats(engine, p, int(n_accounts), session, ctx.repeat_correlation)
        _pair_rows(ctx, p, signal, incidences, tie_kind)
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
            engine.execute(f"DROP TABLE IF EXISTS {p}_{suffix}")


def design_effect_sql(count: str, rho: float) -> str:
    """Effective number of independent items among ``count`` episodes of one object in one
    session (:func:`_session_sql`).

    Episodes of the same object close in time are not independent evidence: an account that
    floods one target for an hour is in each of that hour's episodes because of the first.
    With an intra-session correlation ``rho`` the ``j`` episodes count as
    ``j / (1 + (j - 1) rho)`` (Kish's design effect): 1 for one episode, at most ``1 / rho``
    however many. The same object on another day is a new decision and counts in full.
    """
    return f"({count}) / (1.0 + (({count}) - 1) * {float(rho)!r})"


def _session_sql(window: float | None, session: float) -> str:
    """SQL of an episode's session: the block of ``session`` seconds its bucket ``ep`` falls
    in (one block per bucket when the window is as long; the whole case without a window)."""
    if not window or window >= session:
        return "ep"
    return f"CAST(floor(ep * {float(window)!r} / {float(session)!r}) AS BIGINT)"


def _null_model(engine: Engine, p: str, shifts: str, session: str, rho: float) -> int:
    """Per account ``d`` (its trials: episodes of its posts), ``d_eff`` (the same with the
    repeated episodes of one object discounted) and ``sum_k`` (the summed reach of all its
    episodes); returns ``S``, the number of (account, episode) incidences.

    An episode's reach ``k_e`` counts the accounts acting on its object in its bucket or the
    two next to it: exactly the accounts it could be paired with, itself included. A post
    acting on several objects (a post tagging five accounts) is one trial, counted under its
    rarest object, and reaches the accounts of all of them.
    """
    # Only objects shared by two or more accounts have a reach above 1; most objects (a
    # unique text, a URL posted once) only add to d, so they skip the reach computation.
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_accts AS
        WITH episodes AS (SELECT DISTINCT acct, oid, ep FROM {p}_acts),
        shared AS (SELECT e.* FROM episodes AS e JOIN {p}_objs AS o USING (oid) WHERE o.k >= 2),
        reach AS (
            SELECT e.oid, e.ep + s.shift AS ep, count(DISTINCT e.acct) AS k_e
            FROM shared AS e CROSS JOIN {shifts} AS s(shift)
            GROUP BY e.oid, e.ep + s.shift),
        big AS (
            SELECT e.acct, sum(r.k_e - 1) AS big_k
            FROM shared AS e JOIN reach AS r USING (oid, ep) GROUP BY e.acct),
        incidences AS (SELECT acct, count(*) AS n FROM episodes GROUP BY acct),
        posts AS (
            SELECT a.acct, min_by(a.oid, (o.k, a.oid)) AS oid, any_value(a.ep) AS ep
            FROM {p}_acts AS a JOIN {p}_objs AS o USING (oid)
            GROUP BY a.acct, a.post_id),
        per_object AS (
            SELECT acct, count(DISTINCT ep) AS j FROM posts GROUP BY acct, oid, {session}),
        trials AS (
            SELECT acct, sum(j) AS d, sum({design_effect_sql("j", rho)}) AS d_eff
            FROM per_object GROUP BY acct)
        SELECT t.acct, t.d, t.d_eff, i.n AS incidences, coalesce(b.big_k, 0) AS others
        FROM trials AS t JOIN incidences AS i USING (acct) LEFT JOIN big AS b USING (acct)"""
    )
    return int(engine.fetchall(f"SELECT coalesce(sum(incidences), 0) FROM {p}_accts")[0][0])


def _co_actions(
    engine: Engine, p: str, window: float | None, max_accounts: int, candidates: str | None
) -> None:
    """One row per (a, b, episode): the closest pair of actions of a and b on that object."""
    cap = f"AND o.k <= {int(max_accounts)}" if max_accounts > 0 and candidates is None else ""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_kept AS
        SELECT a.acct, a.oid, a.t, a.post_id, a.ep
        FROM {p}_acts AS a JOIN {p}_objs AS o USING (oid)
        WHERE o.k >= 2 {cap}"""
    )
    within = f"AND abs(x.t - y.t) <= {window!r}" if window is not None else ""
    if candidates is None:
        # y's actions under the keys of the three buckets they can meet: a plain equi-join
        # on (object, bucket) then follows. Materialised, so that the planner never joins on
        # the object alone (measured: 0.3 s against 30 s on 1M posts with a popular URL).
        shifts = _bucket_shifts(window)
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE {p}_near AS
            SELECT y.acct, y.oid, y.t, y.post_id, y.ep, y.ep + s.shift AS ep_key
            FROM {p}_kept AS y CROSS JOIN {shifts} AS s(shift)"""
        )
        source = f"""{p}_kept AS x
            JOIN {p}_near AS y ON y.oid = x.oid AND y.ep_key = x.ep"""
    else:
        # Candidate pairs with a's actions first, materialised, so that the planner cannot
        # join all actions on the object before restricting to the candidates.
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE {p}_near AS
            SELECT c.b AS other, x.* FROM {candidates} AS c JOIN {p}_kept AS x ON x.acct = c.a"""
        )
        source = f"""{p}_near AS x
            JOIN {p}_kept AS y ON y.acct = x.other AND y.oid = x.oid"""
    # The episode of a co-action is the earlier action's; the tie-break key makes the chosen
    # evidence posts independent of input order.
    key = "(abs(x.t - y.t), x.post_id, y.post_id)"
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_co AS
        SELECT x.acct AS a, y.acct AS b, x.oid,
               CASE WHEN x.t <= y.t THEN x.ep ELSE y.ep END AS ep,
               min(abs(x.t - y.t)) AS dt,
               min_by(x.post_id, {key}) AS post_a, min_by(y.post_id, {key}) AS post_b,
               min_by(x.t, {key}) AS t_a, min_by(y.t, {key}) AS t_b,
               min(least(x.t, y.t)) AS first_t, max(greatest(x.t, y.t)) AS last_t
        FROM {source}
        WHERE x.acct < y.acct {within}
        GROUP BY x.acct, y.acct, x.oid, CASE WHEN x.t <= y.t THEN x.ep ELSE y.ep END"""
    )


def rarity_sql(k: str, n_accounts: int) -> str:
    """Rarity weight of an object acted on by ``k`` of ``n_accounts`` accounts, in [0, 1].

    ``ln(N / k) / ln(N / 2)``: 1 for an object only the pair shares, 0 for one every account
    shares (an inverse-document-frequency, normalised so that weights read as "rare objects").
    """
    if n_accounts <= 2:
        return "1.0"
    return f"greatest(0.0, least(1.0, ln({n_accounts}.0 / {k}) / ln({n_accounts}.0 / 2)))"


def _evidence_units(engine: Engine, p: str) -> None:
    """Keep one co-action per post of each side: the items of one pair of posts (a retweet
    of a post tagging five accounts, a post with three links) are one piece of evidence,
    not five. Each kept row is the rarest object for its post on both sides; a row that is
    the rarest for one side only is dropped, which can only undercount (a pair's best row by
    the same order is the best for both its posts, so every pair keeps at least one)."""
    order = "o.k, c.dt, c.oid, c.ep"
    # Every co-action, before the merge, still says how much the other account adds to the
    # reach of one's episodes (each of a post's objects).
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_rows AS
        SELECT a, b, count(*) AS n_rows FROM {p}_co GROUP BY a, b"""
    )
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_units AS
        SELECT c.*, o.k FROM {p}_co AS c JOIN {p}_objs AS o USING (oid)
        QUALIFY row_number() OVER (PARTITION BY c.a, c.b, c.post_a ORDER BY {order}) = 1
            AND row_number() OVER (PARTITION BY c.a, c.b, c.post_b ORDER BY {order}) = 1"""
    )
    engine.execute(f"DROP TABLE IF EXISTS {p}_co")


def _pair_stats(engine: Engine, p: str, n_accounts: int, session: str, rho: float) -> None:
    """Per pair: shared items, distinct objects, the effective evidence (repeated episodes
    of one object discounted, :func:`design_effect_sql`), rarity weight and timing."""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_g AS
        WITH per_object AS (
            SELECT a, b, oid, count(*) AS j, sum({rarity_sql("k", n_accounts)}) AS weight,
                   min(dt) AS min_dt, sum(dt) AS sum_dt, min(first_t) AS first_t,
                   max(last_t) AS last_t
            FROM {p}_units GROUP BY a, b, oid, {session})
        SELECT a, b, sum(j) AS n_shared, count(DISTINCT oid) AS n_objects,
               sum({design_effect_sql("j", rho)}) AS n_effective, sum(weight) AS weight,
               min(min_dt) AS min_dt, sum(sum_dt) / sum(j) AS mean_dt,
               min(first_t) AS first_t, max(last_t) AS last_t, any_value(r.n_rows) AS n_rows
        FROM per_object JOIN {p}_rows AS r USING (a, b) GROUP BY a, b"""
    )


def _expectation_sql(incidences: int, base: float, removed_a: str, removed_b: str) -> str:
    """SELECT list items ``trials`` and ``expected`` of pair ``g`` with sides ``sa``/``sb``.

    Configuration model, conditional on one side: b places its ``d_b`` episodes at random
    in proportion to how crowded episodes are, so it joins a given episode of a with
    probability ``d_b * k / S``, ``k`` the episode's reach without b (and without whatever
    else ``removed_a`` takes out of a's summed reach; never below 1, a itself). Summed over
    a's ``d_a`` episodes that is ``lambda_a``, and a's ``d_eff`` episodes are the trials.
    The two sides are two valid tests; ``Bin(max trials, max lambda)`` has a heavier upper
    tail than either (at a fixed mean the binomial tail grows with the trials), so one tail
    serves both, conservatively.
    """
    s = max(incidences, 1)

    def side(x: str, y: str, removed: str) -> str:
        k = f"(greatest({x}.others - ({removed}), 0) + {float(base)!r} * {x}.incidences)"
        return f"{k} * {y}.d / {s}.0 * {x}.d_eff / {x}.d"

    lam_a, lam_b = side("sa", "sb", removed_a), side("sb", "sa", removed_b)
    return f"greatest(sa.d_eff, sb.d_eff) AS trials, greatest({lam_a}, {lam_b}) AS expected"


def _pair_rows(ctx: SignalContext, p: str, signal: str, incidences: int, tie_kind: str) -> None:
    """Test every pair twice. The first pass finds each account's *partners*: accounts it
    shares more with than popularity explains at the loose level ``ctx.partner_p``. The
    second pass judges every pair with the partners' own actions taken out of the reach of
    the episodes (a ring's members never make its objects look popular, however dense the
    ring), and writes the pair rows."""
    engine = ctx.engine
    register_poisson_tail(engine)
    base = ctx.base_reach
    first = _expectation_sql(incidences, base, "g.n_rows", "g.n_rows")
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE {p}_partners AS
        SELECT a, b, n_rows, p_alone FROM (
            SELECT *, cib_pair_tail(n_effective, trials, expected) AS p_alone FROM (
            SELECT g.a, g.b, g.n_rows, g.n_effective, {first}
            FROM {p}_g AS g
            JOIN {p}_accts AS sa ON sa.acct = g.a
            JOIN {p}_accts AS sb ON sb.acct = g.b
            WHERE g.n_shared >= {int(ctx.min_shared)}) AS tested) AS scored
        WHERE p_alone <= {float(ctx.partner_p)!r}"""
    )
    # Out of a's reach: its partners' co-actions (b's among them when b is a partner), else
    # at least b's own (the episode's reach without b).
    own = "CASE WHEN pp.a IS NULL THEN g.n_rows ELSE 0 END"
    second = _expectation_sql(
        incidences,
        base,
        f"coalesce(ra.removed, 0) + {own}",
        f"coalesce(rb.removed, 0) + {own}",
    )
    engine.execute(
        f"""INSERT INTO {ctx.pairs_table} BY NAME
        WITH removed AS (
            SELECT acct, sum(n_rows) AS removed FROM (
                SELECT a AS acct, n_rows FROM {p}_partners
                UNION ALL SELECT b, n_rows FROM {p}_partners) AS sides
            GROUP BY acct)
        SELECT '{signal}' AS signal, g.a, g.b, g.n_shared, g.n_objects, g.n_effective,
               g.weight, g.min_dt, g.mean_dt, g.first_t, g.last_t, {second},
               {tie_kind} AS tie_kind, pp.p_alone
        FROM {p}_g AS g
        JOIN {p}_accts AS sa ON sa.acct = g.a
        JOIN {p}_accts AS sb ON sb.acct = g.b
        LEFT JOIN removed AS ra ON ra.acct = g.a
        LEFT JOIN removed AS rb ON rb.acct = g.b
        LEFT JOIN {p}_partners AS pp ON pp.a = g.a AND pp.b = g.b"""
    )


def _evidence_rows(ctx: SignalContext, p: str, signal: str) -> None:
    ctx.engine.execute(
        f"""INSERT INTO {ctx.evidence_table} BY NAME
        SELECT '{signal}' AS signal, a, b, obj AS object, post_a, post_b, t_a, t_b, dt,
               k AS object_accounts
        FROM (
            SELECT c.*, o.obj,
                   row_number() OVER (PARTITION BY c.a, c.b ORDER BY c.k, c.dt, o.obj, c.ep)
                       AS rank
            FROM {p}_units AS c JOIN {p}_objs AS o USING (oid)
            SEMI JOIN (SELECT a, b FROM {p}_g
                       WHERE n_shared >= {int(ctx.min_shared)}) AS s USING (a, b)
        ) AS ranked
        WHERE rank <= {int(ctx.evidence_per_pair)}"""
    )
