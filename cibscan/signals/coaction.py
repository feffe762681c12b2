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
) -> None:
    """Turn a signal's actions into rows of ``ctx.pairs_table`` and ``ctx.evidence_table``."""
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
        incidences = _null_model(engine, p, _bucket_shifts(window))
        _co_actions(engine, p, window, max_accounts, candidates)
        _pair_rows(ctx, p, signal, int(n_accounts), incidences)
        _evidence_rows(ctx, p, signal)
    finally:
        for suffix in ("acts", "objs", "accts", "kept", "near", "co"):
            engine.execute(f"DROP TABLE IF EXISTS {p}_{suffix}")


def _null_model(engine: Engine, p: str, shifts: str) -> int:
    """Per account ``d`` (episodes) and ``big_k`` (sum of ``k_e - 1``); returns ``S``.

    ``k_e`` counts the accounts acting on the episode's object in its bucket or the two next
    to it: exactly the accounts it could be paired with.
    """
    # Only objects shared by two or more accounts add to K; most objects (a unique text, a
    # URL posted once) only add to d, so they skip the reach computation.
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
        counts AS (SELECT acct, count(*) AS d FROM episodes GROUP BY acct)
        SELECT c.acct, c.d, coalesce(b.big_k, 0) AS big_k
        FROM counts AS c LEFT JOIN big AS b USING (acct)"""
    )
    return int(engine.fetchall(f"SELECT coalesce(sum(d), 0) FROM {p}_accts")[0][0])


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


def _pair_rows(ctx: SignalContext, p: str, signal: str, n_accounts: int, incidences: int) -> None:
    engine = ctx.engine
    # Aggregate the co-actions first, then join the accounts' null-model terms to the pairs:
    # carrying them through the GROUP BY as any_value() took twice as long (5M posts, co_url
    # without a cap, 5.1M co-actions in 3.7M pairs: 4.3 s -> 2.2 s).
    engine.execute(
        f"""INSERT INTO {ctx.pairs_table} BY NAME
        WITH g AS (
            SELECT c.a, c.b, count(*) AS n_shared,
                   sum({rarity_sql("o.k", n_accounts)}) AS weight,
                   min(c.dt) AS min_dt, min(c.first_t) AS first_t, max(c.last_t) AS last_t
            FROM {p}_co AS c JOIN {p}_objs AS o USING (oid)
            GROUP BY c.a, c.b)
        SELECT '{signal}' AS signal, g.*,
               (sb.d * sa.big_k + sa.d * sb.big_k) / (2.0 * {max(incidences, 1)}) AS expected
        FROM g
        JOIN {p}_accts AS sa ON sa.acct = g.a
        JOIN {p}_accts AS sb ON sb.acct = g.b"""
    )


def _evidence_rows(ctx: SignalContext, p: str, signal: str) -> None:
    ctx.engine.execute(
        f"""INSERT INTO {ctx.evidence_table} BY NAME
        SELECT '{signal}' AS signal, a, b, obj AS object, post_a, post_b, t_a, t_b, dt,
               k AS object_accounts
        FROM (
            SELECT c.*, o.k, o.obj,
                   row_number() OVER (PARTITION BY c.a, c.b ORDER BY o.k, c.dt, o.obj, c.ep)
                       AS rank
            FROM {p}_co AS c JOIN {p}_objs AS o USING (oid)
            SEMI JOIN (SELECT a, b FROM {p}_co GROUP BY a, b
                       HAVING count(*) >= {int(ctx.min_shared)}) AS s USING (a, b)
        ) AS ranked
        WHERE rank <= {int(ctx.evidence_per_pair)}"""
    )
