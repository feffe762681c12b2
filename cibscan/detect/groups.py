"""Group tests: a ring is judged as a group, not only pair by pair.

Thirty accounts that each share the same eight episodes are far less likely than 435
independent pairs at the same level suggest: every pair's test is weak where the group's is
overwhelming. The test here is a *star* around each account (its *hub*), because that is
where independence holds: given the hub's actions, whether each other account joins the
hub's episodes is independent of every other account, under the null model of accounts
acting independently. So the hub's pair p-values can be combined.

For one signal and one hub ``h``:

1. Its partners ``P_h``: the accounts whose pair with ``h`` has ``p_alone <= c`` (``c`` the
   partner level, 1e-3 by default; ``p_alone`` is the pair's p-value with only the pair
   itself left out of the popularity of its episodes, so it depends on ``h`` and the other
   account alone). Given membership, ``p' = p_alone / c`` is again a valid p-value, and the
   partners' ``p'`` stay independent.
2. For ``j = 1 .. |P_h|`` the ``j`` smallest ``p'`` are combined by Fisher's method,
   ``X = -2 sum ln p'`` against chi-squared with ``2j`` degrees of freedom (conservative
   for discrete, super-uniform p-values).
3. Every choice is paid for (Bonferroni over a union bound): ``C(|P_h|, j)`` sets of size
   ``j``, ``|P_h|`` sizes, and ``H`` hubs, the (signal, account) pairs with partners in
   the run. ``q_h = min(1, tail * C(|P_h|, j) * |P_h| * H)`` at the best ``j``.

Every pair of the best star gets the star's ``q`` as ``q_group`` (the smallest over the
stars it belongs to) and ``group_size = j + 1``; its final ``q`` is the smaller of its own
and its group's (:func:`cibscan.detect.statistics.assess_pairs`). A significant group makes
each member's tie to the hub significant, as a significant cluster makes its members
suspicious: the evidence belongs to the group.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cibscan.engine import Engine
from cibscan.engine.base import real, replace_table, rewrite_columns, scratch, table_columns


def log10_star_tail(j: pa.Array, x: pa.Array, n: pa.Array) -> pa.Array:
    """log10 of the Fisher tail of the ``j`` smallest of ``n`` partner p-values times the
    ``C(n, j)`` sets of that size: the regularised upper incomplete gamma ``Q(j, x)`` (the
    chi-squared tail ``P(chi2_{2j} >= 2x)``, floored at 1e-300: strengths cap at 300) plus
    ``log10 C(n, j)`` from ``lgamma``. In Python because SQL has no incomplete gamma and
    Spark no ``lgamma``; both engines then compute the same numbers with the same code."""
    from scipy.special import gammaincc, gammaln

    shape = np.asarray(j.to_numpy(zero_copy_only=False), dtype=np.float64)
    half = np.asarray(x.to_numpy(zero_copy_only=False), dtype=np.float64)
    size = np.asarray(n.to_numpy(zero_copy_only=False), dtype=np.float64)
    tail = gammaincc(np.maximum(shape, 1e-12), np.maximum(half, 0.0))
    log_tail = np.log10(np.clip(np.nan_to_num(tail, nan=1.0), 1e-300, 1.0))
    log_sets = (gammaln(size + 1) - gammaln(shape + 1) - gammaln(size - shape + 1)) / np.log(10)
    return pa.array(log_tail + log_sets)


def group_tests(engine: Engine, level: float) -> int:
    """Fill ``q_group`` and ``group_size`` of ``pairs`` from the stars of partner pairs
    (those with ``p_alone``); return the number of pairs in a group whose ``q`` is below 1.

    Ties are broken by value, never left to the engine: the best size of a star is the
    smallest ``j`` among equal ``log_q``, and a pair in several stars takes the best star's
    size (the smaller size among equals), so DuckDB and Spark agree."""
    engine.create_function(
        "cib_log10_star_tail", log10_star_tail, ["DOUBLE", "DOUBLE", "DOUBLE"], "DOUBLE"
    )
    engine.create_scratch(
        "_groups",
        f"""WITH sides AS (
            SELECT signal, a AS hub, b AS other, p_alone FROM pairs WHERE p_alone IS NOT NULL
            UNION ALL
            SELECT signal, b, a, p_alone FROM pairs WHERE p_alone IS NOT NULL),
        hubs AS (SELECT count(*) AS h FROM (SELECT DISTINCT signal, hub FROM sides) AS t),
        ranked AS (
            SELECT signal, hub, other,
                   CAST(row_number() OVER w AS DOUBLE) AS j,
                   sum(-ln(greatest(p_alone, 1e-300) / {real(level)})) OVER w AS s,
                   CAST(count(*) OVER (PARTITION BY signal, hub) AS DOUBLE) AS n_h
            FROM sides
            WINDOW w AS (PARTITION BY signal, hub ORDER BY p_alone, other
                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)),
        scored AS (
            SELECT r.*,
                   cib_log10_star_tail(r.j, r.s, r.n_h) + log10(r.n_h) + log10(h.h) AS log_q
            FROM ranked AS r CROSS JOIN hubs AS h),
        best AS (
            SELECT signal, hub, min_by(j, (log_q, j)) AS size, min(log_q) AS log_q
            FROM scored GROUP BY signal, hub HAVING min(log_q) < 0)
        SELECT s.signal, least(s.hub, s.other) AS a, greatest(s.hub, s.other) AS b,
               min(t.log_q) AS log_q,
               CAST(min_by(t.size, (t.log_q, t.size)) + 1 AS INTEGER) AS size
        FROM scored AS s JOIN best AS t USING (signal, hub)
        WHERE s.j <= t.size
        GROUP BY 1, 2, 3""",
    )
    with scratch(engine, "_groups"):
        grouped = rewrite_columns(
            table_columns(engine, "pairs"),
            {
                "q_group": "CASE WHEN g.a IS NULL THEN x.q_group ELSE pow(10, g.log_q) END",
                "group_size": "CASE WHEN g.a IS NULL THEN x.group_size ELSE g.size END",
            },
            alias="x",
        )
        replace_table(
            engine,
            "pairs",
            f"""SELECT {grouped} FROM pairs AS x LEFT JOIN _groups AS g
            ON x.signal = g.signal AND x.a = g.a AND x.b = g.b""",
        )
        return int(engine.fetchall("SELECT count(*) FROM _groups")[0][0])
