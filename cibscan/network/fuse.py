"""Fuse the significant pairs of every signal into one weighted multi-layer edge table."""

from __future__ import annotations

from cibscan.engine import Engine


def fuse_edges(engine: Engine) -> int:
    """Write ``edges`` from the significant rows of ``pairs``; return the edge count.

    Strength is the strongest layer's (the q-values are already corrected for every pair of
    every layer, so taking the maximum needs no further correction); the layers are listed
    strongest first, so an analyst reads the main reason first (ties by name: the list's
    order is the engine's :meth:`~cibscan.engine.base.Dialect.ordered_list`, never the
    order rows happen to arrive in).
    """
    layers = engine.ordered_list("signal", ["strength DESC", "signal"])
    engine.execute("TRUNCATE TABLE edges")  # DELETE, which Spark's catalog lacks
    engine.execute(
        f"""INSERT INTO edges BY NAME
        SELECT a, b, max(strength) AS strength, min(q) AS q, sum(weight) AS weight,
               sum(n_shared) AS n_shared, {layers} AS layers,
               CAST(count(*) AS INTEGER) AS n_layers,
               min(min_dt) AS min_dt, min(first_t) AS first_t, max(last_t) AS last_t
        FROM pairs WHERE significant
        GROUP BY a, b"""
    )
    return int(engine.fetchall("SELECT count(*) FROM edges")[0][0])
