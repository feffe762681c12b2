"""Communities of the fused graph (Leiden, igraph) and their metrics."""

from __future__ import annotations

import logging
import random

import numpy as np
import pyarrow as pa

from cibscan.engine import Engine
from cibscan.engine.base import real, scratch
from cibscan.network.base import MAX_EDGE_WEIGHT, SYNCHRONOUS_SECONDS

log = logging.getLogger(__name__)


def find_communities(engine: Engine, *, resolution: float = 1.0, seed: int = 0) -> int:
    """Write ``account_clusters`` and ``clusters`` from ``edges``; return the cluster count.

    Leiden maximises weighted modularity (edge weight: the pair's strength, capped). Its
    random choices come from a generator seeded with ``seed``, and edges are fed in account
    key order, so a run is reproducible. Cluster ids are numbered by size (largest first),
    ties broken by the smallest account key.
    """
    import igraph as ig  # imported here: only detect needs it

    # TRUNCATE: Spark's catalog has no DELETE (docs/scale.md)
    engine.execute("TRUNCATE TABLE account_clusters")
    engine.execute("TRUNCATE TABLE clusters")
    edges = engine.fetch_arrow(
        f"SELECT a, b, least(strength, {MAX_EDGE_WEIGHT}) AS w FROM edges ORDER BY a, b"
    )
    if edges.num_rows == 0:
        return 0
    a = edges.column("a").to_numpy()
    b = edges.column("b").to_numpy()
    nodes = np.unique(np.concatenate([a, b]))
    graph = ig.Graph(
        n=len(nodes),
        edges=np.column_stack([np.searchsorted(nodes, a), np.searchsorted(nodes, b)]).tolist(),
    )
    graph.es["weight"] = edges.column("w").to_numpy().tolist()
    ig.set_random_number_generator(random.Random(seed))
    try:
        partition = graph.community_leiden(
            objective_function="modularity",
            weights="weight",
            resolution=resolution,
            n_iterations=-1,
        )
    finally:
        ig.set_random_number_generator(random)
    membership = pa.table(
        {"acct": pa.array(nodes, pa.int64()), "raw": pa.array(partition.membership, pa.int64())}
    )
    engine.insert_arrow("_membership", membership, temp=True)
    with scratch(engine, "_membership"):
        engine.execute(
            """INSERT INTO account_clusters
            SELECT m.acct, CAST(r.cluster_id AS INTEGER) FROM _membership AS m JOIN (
                SELECT raw, row_number() OVER (ORDER BY count(*) DESC, min(acct)) AS cluster_id
                FROM _membership GROUP BY raw) AS r USING (raw)"""
        )
    _cluster_metrics(engine)
    return int(engine.fetchall("SELECT count(*) FROM clusters")[0][0])


def _cluster_metrics(engine: Engine) -> None:
    """Size, internal edges, density, layers, platforms, time span and synchrony per cluster.

    Fractions are computed in doubles (``real``): a decimal literal would keep Spark's
    arithmetic in rounded decimals."""
    platforms = engine.ordered_list("i.platform", ["i.platform"], distinct=True)
    layers = engine.ordered_list("layer", ["n DESC", "layer"])
    one, zero, two = real(1.0), real(0.0), real(2.0)
    engine.execute(
        f"""INSERT INTO clusters BY NAME
        WITH inner_edges AS (
            SELECT ma.cluster_id, e.*
            FROM edges AS e
            JOIN account_clusters AS ma ON ma.acct = e.a
            JOIN account_clusters AS mb ON mb.acct = e.b
            WHERE ma.cluster_id = mb.cluster_id),
        members AS (
            SELECT m.cluster_id, CAST(count(*) AS INTEGER) AS size, {platforms} AS platforms
            FROM account_clusters AS m JOIN account_index AS i USING (acct)
            GROUP BY m.cluster_id),
        edge_stats AS (
            SELECT cluster_id, count(*) AS n_edges, min(first_t) AS first_t,
                   max(last_t) AS last_t, median(min_dt) AS median_min_dt,
                   avg(CASE WHEN min_dt <= {SYNCHRONOUS_SECONDS} THEN {one} ELSE {zero} END)
                       AS synchrony
            FROM inner_edges GROUP BY cluster_id),
        layer_counts AS (
            SELECT cluster_id, layer, count(*) AS n
            FROM (SELECT cluster_id, {engine.explode("layers")} AS layer FROM inner_edges) AS l
            GROUP BY cluster_id, layer),
        layer_lists AS (
            SELECT cluster_id, {layers} AS layers FROM layer_counts GROUP BY cluster_id)
        SELECT m.cluster_id, m.size, coalesce(s.n_edges, 0) AS n_edges,
               CASE WHEN m.size > 1
                    THEN coalesce(s.n_edges, 0) / (m.size * (m.size - 1) / {two}) END AS density,
               m.platforms, coalesce(l.layers, {engine.empty_list()}) AS layers, s.first_t,
               s.last_t, s.median_min_dt, s.synchrony
        FROM members AS m
        LEFT JOIN edge_stats AS s USING (cluster_id)
        LEFT JOIN layer_lists AS l USING (cluster_id)"""
    )
