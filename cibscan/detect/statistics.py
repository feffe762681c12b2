"""Testing each account pair against its null model.

Every signal states, per pair, the number of shared items ``n`` and the number its null model
expects by chance, ``lambda``. The test is the same for all: the Poisson tail
``p = P(X >= n | lambda)``, then a Bonferroni correction by the number ``m`` of pairs tested
in the run (every layer together), ``q = min(1, p * m)``. The pair's **strength** is
``-log10(q)`` (0 when nothing is surprising, 2 at q = 0.01, capped at 300). A pair is
significant when it shares at least ``min_shared`` items and ``q <= alpha``.

The Poisson tail is the one numerical step SQL lacks (a regularised incomplete gamma
function). It runs as a vectorised function over the pair table, after every co-action has
been aggregated, so it costs one call per batch of pairs and never touches posts.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from cibscan.engine import Engine

MAX_STRENGTH = 300.0


def poisson_tail(n: pa.Array, expected: pa.Array) -> pa.Array:
    """P(X >= n) for X ~ Poisson(expected), vectorised."""
    from scipy.special import pdtrc  # imported here: 0.4 s that most commands never need

    counts = np.asarray(n.to_numpy(zero_copy_only=False), dtype=np.float64)
    lam = np.maximum(np.asarray(expected.to_numpy(zero_copy_only=False), dtype=np.float64), 1e-300)
    tail = np.where(counts <= 0, 1.0, pdtrc(np.maximum(counts - 1.0, 0.0), lam))
    return pa.array(np.clip(tail, 0.0, 1.0))


def register_poisson_tail(engine: Engine) -> None:
    """Make ``cib_poisson_tail(n, expected)`` (:func:`poisson_tail`) callable in SQL."""
    engine.create_function("cib_poisson_tail", poisson_tail, ["BIGINT", "DOUBLE"], "DOUBLE")


def strength_sql(p: str, m: int) -> str:
    """SQL for the strength ``-log10(q)`` of p-value expression ``p`` corrected by ``m``
    tests (``q = min(1, p m)``), capped at :data:`MAX_STRENGTH`: one scale for pairs and
    tells alike."""
    return f"least({MAX_STRENGTH}, -log10(greatest(least(1.0, ({p}) * {int(m)}), 1e-300)))"


def assess_pairs(engine: Engine, *, alpha: float, min_shared: int) -> int:
    """Fill ``p``, ``q``, ``strength`` and ``significant`` in ``pairs``; return the pair count."""
    register_poisson_tail(engine)
    (n_pairs,) = engine.fetchall("SELECT count(*) FROM pairs")[0]
    m = max(int(n_pairs), 1)
    engine.execute("UPDATE pairs SET p = cib_poisson_tail(n_shared, expected)")
    engine.execute(
        f"""UPDATE pairs SET
            q = least(1.0, p * {m}),
            strength = {strength_sql("p", m)}"""
    )
    engine.execute(
        f"UPDATE pairs SET significant = n_shared >= {int(min_shared)} AND q <= {float(alpha)!r}"
    )
    return int(n_pairs)


def strength_threshold(alpha: float) -> float:
    """The strength at which a pair becomes significant."""
    return -math.log10(alpha)
