"""Per-account and per-cluster scores, sub-scores per signal, and readable reasons."""

from __future__ import annotations

from collections.abc import Sequence

from cibscan.engine import Engine
from cibscan.engine.base import replace_table, rewrite_columns, table_columns
from cibscan.score.base import score_sql


def score_accounts(engine: Engine, *, min_shared: int) -> int:
    """Write ``account_signal_scores`` and ``account_scores`` from coordination alone
    (``flagged`` = ``tied``, until :func:`cibscan.score.combine.combine` applies the rule);
    return the tied count. The tables are emptied with TRUNCATE (Spark's catalog has no
    DELETE) and reasons listed in the engine's ordered aggregate (strongest first)."""
    engine.execute("TRUNCATE TABLE account_signal_scores")
    engine.execute(
        f"""INSERT INTO account_signal_scores BY NAME
        WITH tested AS (
            SELECT *, CASE WHEN significant AND q_group <= q THEN group_size END AS grouped
            FROM pairs WHERE n_shared >= {int(min_shared)}),
        sides AS (
            SELECT a AS acct, signal, strength, significant, n_shared, q, grouped FROM tested
            UNION ALL
            SELECT b, signal, strength, significant, n_shared, q, grouped FROM tested)
        SELECT acct, signal, max(strength) AS strength,
               {score_sql("max(strength)")} AS score,
               count(*) FILTER (WHERE significant) AS n_partners,
               coalesce(max(n_shared) FILTER (WHERE significant), 0) AS n_shared,
               min(q) AS best_q, count(*) AS n_tested, max(n_shared) AS most_shared,
               max(grouped) AS group_size
        FROM sides GROUP BY acct, signal"""
    )
    engine.execute("TRUNCATE TABLE account_scores")
    tied = engine.ordered_string_agg(
        """printf('%s: tied to %d account(s), up to %d shared items each (q=%.1e%s)',
                  signal, n_partners, n_shared, best_q,
                  CASE WHEN group_size IS NOT NULL
                       THEN printf(', as a group of %d', group_size) ELSE '' END)""",
        "; ",
        ["strength DESC", "signal"],
    )
    untied = engine.ordered_string_agg(
        """printf('%s: shared items with %d account(s), at most %d with one, as the '
                  || 'popularity of the objects predicts (best q=%.1e)',
                  signal, n_tested, most_shared, best_q)""",
        "; ",
        ["strength DESC", "signal"],
    )
    engine.execute(
        f"""INSERT INTO account_scores BY NAME
        WITH best AS (SELECT acct, max(strength) AS strength FROM account_signal_scores
                      GROUP BY acct),
        partners AS (SELECT acct, count(*) AS n_partners FROM (
                          SELECT a AS acct FROM edges UNION ALL SELECT b FROM edges) AS e
                      GROUP BY acct),
        tied_reasons AS (
            SELECT acct, {tied} AS reasons
            FROM account_signal_scores WHERE n_partners > 0 GROUP BY acct),
        -- why an account that shared items with others is not tied: what it shared was no
        -- more than the popularity of the objects predicts (a fan among fans)
        untied_reasons AS (
            SELECT acct, 'not tied: ' || {untied} AS reasons
            FROM account_signal_scores GROUP BY acct HAVING max(n_partners) = 0),
        reasons AS (SELECT * FROM tied_reasons UNION ALL SELECT * FROM untied_reasons)
        SELECT i.acct, i.platform, i.account_id,
               coalesce({score_sql("b.strength")}, 0.0) AS score,
               coalesce(p.n_partners, 0) > 0 AS flagged,
               c.cluster_id, coalesce(r.reasons, '') AS reasons,
               coalesce(b.strength, 0.0) AS strength,
               coalesce(p.n_partners, 0) AS n_partners,
               coalesce(p.n_partners, 0) > 0 AS tied
        FROM account_index AS i
        LEFT JOIN best AS b USING (acct)
        LEFT JOIN partners AS p USING (acct)
        LEFT JOIN account_clusters AS c USING (acct)
        LEFT JOIN reasons AS r USING (acct)"""
    )
    return int(engine.fetchall("SELECT count(*) FROM account_scores WHERE flagged")[0][0])


def score_clusters(engine: Engine) -> None:
    """Fill each cluster's ``score`` (mean member score) and ``n_flagged`` (the table is
    rewritten, not updated: :func:`~cibscan.engine.base.replace_table`)."""
    scored = rewrite_columns(
        table_columns(engine, "clusters"),
        {
            "score": "CASE WHEN s.cluster_id IS NULL THEN c.score ELSE s.score END",
            "n_flagged": "CASE WHEN s.cluster_id IS NULL THEN c.n_flagged ELSE s.n_flagged END",
        },
        alias="c",
    )
    replace_table(
        engine,
        "clusters",
        f"""SELECT {scored} FROM clusters AS c LEFT JOIN (
            SELECT cluster_id, avg(score) AS score,
                   CAST(count(*) FILTER (WHERE flagged) AS INTEGER) AS n_flagged
            FROM account_scores WHERE cluster_id IS NOT NULL GROUP BY cluster_id) AS s
        ON c.cluster_id = s.cluster_id""",
    )


def signal_score_columns(signal_names: Sequence[str]) -> str:
    """SELECT-list items pivoting ``account_signal_scores`` into ``score_<signal>`` columns.

    For use in a query grouping ``account_signal_scores AS ss`` by account. Rounded to six
    decimals: exports must not change with the order a parallel aggregate summed in; adding
    0.0 turns a -0.0 (minus the logarithm of 1) into 0.0.
    """
    return ", ".join(
        f"round(coalesce(max(ss.score) FILTER (WHERE ss.signal = '{name}'), 0.0), 6) + 0.0 "
        f"AS score_{name}"
        for name in signal_names
    )


def tell_score_columns(tell_names: Sequence[str]) -> str:
    """SELECT-list items pivoting ``account_tells AS tt`` into ``score_<tell>`` columns."""
    return ", ".join(
        f"round(coalesce(max(tt.score) FILTER (WHERE tt.tell = '{name}'), 0.0), 6) + 0.0 "
        f"AS score_{name}"
        for name in tell_names
    )
