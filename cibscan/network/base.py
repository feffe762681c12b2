"""Network contract: from significant pairs to a fused graph and clusters.

- :func:`cibscan.network.fuse.fuse_edges` reads ``pairs`` (significant rows) and writes
  ``edges``: one row per account pair with the layers (signals) that tie it, its strength
  (the strongest layer's ``-log10 q``), summed rarity-weighted weight and shared items, and
  the time span and smallest gap of its co-actions.
- :func:`cibscan.network.communities.find_communities` runs Leiden (igraph) on ``edges`` and
  writes ``account_clusters`` and ``clusters`` (size, density, synchrony, layers, platforms,
  time span). The graph is small (only significant edges), so it crosses into Python once as
  Arrow arrays; no per-post work happens here.
"""

# Edges whose smallest co-action gap is at most this many seconds count as synchronous in
# the cluster's ``synchrony`` share.
SYNCHRONOUS_SECONDS = 60.0
# Leiden's edge weight is the pair's strength, capped so that one overwhelming pair does not
# swallow the modularity of the others.
MAX_EDGE_WEIGHT = 50.0
