"""The null model of co-action pairs and their test inputs (docs/signals.md).

A pair's evidence is compared with what accounts acting independently would share: a
configuration model over episodes, conditional on one side of the pair, in which the other
side places its trials in proportion to how crowded each episode is. Three refinements
keep it honest at every case size:

- episodes of one object in one *session* are one burst, counted with a design effect
  (:func:`design_effect_sql`), in the pair's evidence and in its trials alike;
- the reach of an episode is counted without the pair and, in the second pass, without
  each account's *partners* (accounts whose overlap with it passes a loose level when only
  the pair itself is left out): a ring's members never make its objects look popular;
- the pair's first-pass p-value (``p_alone``) is kept for the group tests of
  :mod:`cibscan.detect.groups`, which need p-values that depend on the two accounts alone.

The tails themselves are computed by :mod:`cibscan.detect.statistics`.
"""

from __future__ import annotations

from cibscan.detect.statistics import register_poisson_tail
from cibscan.engine import Engine
from cibscan.engine.base import real
from cibscan.signals.base import SignalContext


def design_effect_sql(count: str, rho: float) -> str:
    """Effective number of independent items among ``count`` episodes of one object in one
    session (:func:`_session_sql`).

    Episodes of the same object close in time are not independent evidence: an account that
    floods one target for an hour is in each of that hour's episodes because of the first.
    With an intra-session correlation ``rho`` the ``j`` episodes count as
    ``j / (1 + (j - 1) rho)`` (Kish's design effect): 1 for one episode, at most ``1 / rho``
    however many. The same object on another day is a new decision and counts in full.
    """
    return f"({count}) / (1.0 + (({count}) - 1) * {real(rho)})"


def session_sql(window: float | None, session: float) -> str:
    """SQL of an episode's session: the block of ``session`` seconds its bucket ``ep`` falls
    in (one block per bucket when the window is as long; the whole case without a window)."""
    if not window or window >= session:
        return "ep"
    return f"CAST(floor(ep * {float(window)!r} / {float(session)!r}) AS BIGINT)"


def account_terms(
    engine: Engine, p: str, shifts: str, session: str, rho: float, several_objects: bool
) -> int:
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
    # Trials: a post's rarest object when a post may act on several (a GROUP BY over the
    # actions), else the episodes themselves; without sessions (one episode an object) each
    # trial is its own session.
    if several_objects:
        trial_episodes = f"""posts AS (
            SELECT a.acct, min_by(a.oid, (o.k, o.obj)) AS oid, any_value(a.ep) AS ep
            FROM {p}_acts AS a JOIN {p}_objs AS o USING (oid)
            GROUP BY a.acct, a.post_id),
        per_object AS (
            SELECT acct, count(DISTINCT ep) AS j FROM posts GROUP BY acct, oid, {session}),"""
    elif session == "ep":
        # every episode is its own session and its own trial: the trials are the incidences
        trial_episodes = ""
    else:
        trial_episodes = f"""per_object AS (
            SELECT acct, count(*) AS j FROM episodes GROUP BY acct, oid, {session}),"""
    trials = (
        "SELECT acct, n AS d, CAST(n AS DOUBLE) AS d_eff FROM incidences"
        if not trial_episodes
        else f"""SELECT acct, sum(j) AS d, sum({design_effect_sql("j", rho)}) AS d_eff
            FROM per_object GROUP BY acct"""
    )
    engine.create_scratch(
        f"{p}_accts",
        f"""WITH episodes AS (SELECT DISTINCT acct, oid, ep FROM {p}_acts),
        shared AS (SELECT e.* FROM episodes AS e JOIN {p}_objs AS o USING (oid) WHERE o.k >= 2),
        reach AS (
            SELECT e.oid, e.ep + s.shift AS ep, count(DISTINCT e.acct) AS k_e
            FROM shared AS e CROSS JOIN {shifts} AS s(shift)
            GROUP BY e.oid, e.ep + s.shift),
        big AS (
            SELECT e.acct, sum(r.k_e - 1) AS big_k
            FROM shared AS e JOIN reach AS r USING (oid, ep) GROUP BY e.acct),
        incidences AS (SELECT acct, count(*) AS n FROM episodes GROUP BY acct),
        {trial_episodes}
        trials AS ({trials})
        SELECT t.acct, t.d, t.d_eff, i.n AS incidences, coalesce(b.big_k, 0) AS others
        FROM trials AS t JOIN incidences AS i USING (acct) LEFT JOIN big AS b USING (acct)""",
    )
    return int(engine.fetchall(f"SELECT coalesce(sum(incidences), 0) FROM {p}_accts")[0][0])


def expectation_sql(incidences: int, base: float, removed_a: str, removed_b: str) -> str:
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
        k = f"(greatest({x}.others - ({removed}), 0) + {real(base)} * {x}.incidences)"
        return f"{k} * {y}.d / {real(s)} * {x}.d_eff / {x}.d"

    lam_a, lam_b = side("sa", "sb", removed_a), side("sb", "sa", removed_b)
    return f"greatest(sa.d_eff, sb.d_eff) AS trials, greatest({lam_a}, {lam_b}) AS expected"


def test_pairs(ctx: SignalContext, p: str, signal: str, incidences: int, tie_kind: str) -> None:
    """Test every pair twice. The first pass finds each account's *partners*: accounts it
    shares more with than popularity explains at the loose level ``ctx.partner_p``. The
    second pass judges every pair with the partners' own actions taken out of the reach of
    the episodes (a ring's members never make its objects look popular, however dense the
    ring), and writes the pair rows."""
    engine = ctx.engine
    register_poisson_tail(engine)
    base = ctx.base_reach
    first = expectation_sql(incidences, base, "g.n_rows", "g.n_rows")
    engine.create_scratch(
        f"{p}_partners",
        f"""SELECT a, b, n_rows, p_alone FROM (
            SELECT *, cib_pair_tail(n_effective, trials, expected) AS p_alone FROM (
            SELECT g.a, g.b, g.n_rows, g.n_effective, {first}
            FROM {p}_g AS g
            JOIN {p}_accts AS sa ON sa.acct = g.a
            JOIN {p}_accts AS sb ON sb.acct = g.b
            WHERE g.n_shared >= {int(ctx.min_shared)}) AS tested) AS scored
        WHERE p_alone <= {real(ctx.partner_p)}""",
    )
    # Out of a's reach: its partners' co-actions (b's among them when b is a partner), else
    # at least b's own (the episode's reach without b).
    own = "CASE WHEN pp.a IS NULL THEN g.n_rows ELSE 0 END"
    second = expectation_sql(
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
