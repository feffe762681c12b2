"""Testing each account pair against its null model.

Every signal states, per pair, the evidence ``n`` (``n_effective``: shared items, repeated
episodes of one object discounted), the number of items the pair could have shared at most,
``trials``, and the number its null model expects by chance, ``lambda`` (``expected``). The
test is the same for all: the binomial tail ``p = P(X >= n)`` for ``X ~ Bin(trials,
lambda / trials)``, exact when every trial is equally likely and conservative otherwise (of
all sums of independent trials with mean ``lambda``, the binomial has the heaviest upper tail:
Hoeffding 1956). A signal that cannot bound its trials leaves ``trials`` NULL and gets the
Poisson tail ``P(X >= n | lambda)``, the binomial's limit. The tail is then corrected by the
number ``m`` of pairs tested in the run (every layer together, Bonferroni),
``q = min(1, p * m)``. The pair's **strength** is ``-log10(q)`` (0 when nothing is
surprising, 2 at q = 0.01, capped at 300). A pair is significant when it shares at least
``min_shared`` items and ``q <= alpha``.

Why not the Poisson tail for all: it ignores that a pair cannot share more items than its
less active member has, and is coarse at small counts. Eight accounts' worth of identical
posts in a case of a thousand posts is ``P = 2.9e-4`` under Poisson(1.63) but ``2.6e-6``
under the exact ``Bin(8, 0.2)``.

The tails are the one numerical step SQL lacks (regularised incomplete beta and gamma
functions). They run as a vectorised function over the pair table, after every co-action
has been aggregated, so they cost one call per batch of pairs and never touch posts.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from cibscan.detect.groups import group_tests
from cibscan.engine import Engine
from cibscan.engine.base import real, replace_table, rewrite_columns, table_columns

MAX_STRENGTH = 300.0


def poisson_tail(n: pa.Array, expected: pa.Array) -> pa.Array:
    """P(X >= n) for X ~ Poisson(expected), vectorised."""
    from scipy.special import pdtrc  # imported here: 0.4 s that most commands never need

    counts = np.asarray(n.to_numpy(zero_copy_only=False), dtype=np.float64)
    lam = np.maximum(np.asarray(expected.to_numpy(zero_copy_only=False), dtype=np.float64), 1e-300)
    tail = np.where(counts <= 0, 1.0, pdtrc(np.maximum(counts - 1.0, 0.0), lam))
    return pa.array(np.clip(tail, 0.0, 1.0))


def pair_tail(n: pa.Array, trials: pa.Array, expected: pa.Array) -> pa.Array:
    """P(X >= n) for X ~ Bin(trials, expected / trials), vectorised; Poisson(expected) where
    ``trials`` is NULL or not positive.

    ``n`` and ``trials`` may be fractional (effective counts): the tail is the regularised
    incomplete beta function ``I_p(n, trials - n + 1)``, which is the binomial tail at whole
    numbers and grows smoothly between them.
    """
    from scipy.special import betainc, pdtrc

    counts = np.asarray(n.to_numpy(zero_copy_only=False), dtype=np.float64)
    lam = np.maximum(np.asarray(expected.to_numpy(zero_copy_only=False), dtype=np.float64), 1e-300)
    size = np.asarray(trials.to_numpy(zero_copy_only=False), dtype=np.float64)
    bounded = np.isfinite(size) & (size > 0)
    size = np.where(bounded, np.maximum(size, counts), 1.0)
    prob = np.clip(lam / size, 0.0, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        binomial = betainc(np.maximum(counts, 1e-12), size - counts + 1.0, prob)
        poisson = pdtrc(np.maximum(np.ceil(counts) - 1.0, 0.0), lam)
    tail = np.where(bounded, binomial, poisson)
    tail = np.where(counts <= 0, 1.0, np.where(bounded & (prob >= 1.0), 1.0, tail))
    return pa.array(np.clip(np.nan_to_num(tail, nan=1.0), 0.0, 1.0))


def register_poisson_tail(engine: Engine) -> None:
    """Make ``cib_poisson_tail(n, expected)`` (:func:`poisson_tail`) and
    ``cib_pair_tail(n, trials, expected)`` (:func:`pair_tail`) callable in SQL."""
    engine.create_function("cib_poisson_tail", poisson_tail, ["BIGINT", "DOUBLE"], "DOUBLE")
    engine.create_function("cib_pair_tail", pair_tail, ["DOUBLE", "DOUBLE", "DOUBLE"], "DOUBLE")


def strength_sql(p: str, m: int) -> str:
    """SQL for the strength ``-log10(q)`` of p-value expression ``p`` corrected by ``m``
    tests (``q = min(1, p m)``), capped at :data:`MAX_STRENGTH`: one scale for pairs and
    tells alike."""
    return f"least({MAX_STRENGTH}, -log10(greatest(least(1.0, ({p}) * {int(m)}), 1e-300)))"


def assess_pairs(engine: Engine, *, alpha: float, min_shared: int, partner_p: float) -> int:
    """Fill ``p``, ``q``, ``strength`` and ``significant`` in ``pairs``; return the pair count.

    ``q`` is the smaller of the pair's own corrected p-value and its group's
    (:mod:`cibscan.detect.groups`), each corrected for what was tested. The table is
    rewritten, not updated (:func:`~cibscan.engine.base.replace_table`: Spark has no UPDATE).
    """
    register_poisson_tail(engine)
    (n_pairs,) = engine.fetchall("SELECT count(*) FROM pairs")[0]
    m = max(int(n_pairs), 1)
    group_tests(engine, partner_p)
    columns = table_columns(engine, "pairs")
    tail = "cib_pair_tail(coalesce(n_effective, n_shared), trials, expected)"
    tested = rewrite_columns(columns, {"p": tail})
    corrected = rewrite_columns(columns, {"q": f"least(1.0, p * {m}, coalesce(q_group, 1.0))"})
    judged = rewrite_columns(
        columns,
        {
            "strength": f"least({MAX_STRENGTH}, -log10(greatest(q, 1e-300)))",
            "significant": f"n_shared >= {int(min_shared)} AND q <= {real(alpha)}",
        },
    )
    replace_table(
        engine,
        "pairs",
        f"""WITH tested AS (SELECT {tested} FROM pairs),
        corrected AS (SELECT {corrected} FROM tested)
        SELECT {judged} FROM corrected""",
    )
    return int(n_pairs)


def strength_threshold(alpha: float) -> float:
    """The strength at which a pair becomes significant."""
    return -math.log10(alpha)
