"""Browse a case's findings one cluster, one account, one search at a time.

The report and the exports show the whole of a run; an analyst at the workbench
(``cibscan serve``, docs/workbench.md) or in a notebook asks narrower questions: the next
page of clusters sorted by synchrony, everything about one account, the posts that mention
a URL. These functions answer them with a few queries each, built on the same SQL as the
exports (:data:`cibscan.export.tables.QUERIES`) so that a number on a page is the number in
the CSV. They return plain dicts and lists (JSON-ready apart from datetimes) and never
escape: escaping is the job of whatever renders them (the workbench's templates escape
every attacker-written string).
"""

from __future__ import annotations

from cibscan.browse.accounts import account_detail, account_posts
from cibscan.browse.clusters import CLUSTER_SORTS, cluster_detail, list_clusters
from cibscan.browse.common import MAX_LIMIT, Page
from cibscan.browse.overview import case_overview, list_hunt_hits, list_matches
from cibscan.browse.search import SEARCH_KINDS, search

__all__ = [
    "CLUSTER_SORTS",
    "MAX_LIMIT",
    "SEARCH_KINDS",
    "Page",
    "account_detail",
    "account_posts",
    "case_overview",
    "cluster_detail",
    "list_clusters",
    "list_hunt_hits",
    "list_matches",
    "search",
]
