"""What the API and the pages read, through the workbench's memory of recent answers.

The API and the pages ask the same questions (a cluster page, then its network's JSON), so
they share one key per question: the second asker gets the first one's answer
(:meth:`cibscan.serve.app.Workbench.read`). Answers are shared: never change one.
"""

from __future__ import annotations

from typing import Any

from cibscan import browse
from cibscan.browse import Page
from cibscan.serve.app import Workbench


def overview(bench: Workbench) -> dict[str, Any]:
    """:func:`cibscan.browse.case_overview`, kept by the workbench until a label is
    written (:meth:`~cibscan.serve.app.Workbench.overview`)."""
    return bench.overview()[0]


def clusters(bench: Workbench, **params: Any) -> Page:
    """:func:`cibscan.browse.list_clusters` with ``params``."""
    key = ("clusters", *sorted(params.items()))
    return bench.read(key, lambda case: browse.list_clusters(case.engine, **params))


def cluster(bench: Workbench, cluster_id: int) -> dict[str, Any] | None:
    """:func:`cibscan.browse.cluster_detail`."""
    return bench.read(
        ("cluster", cluster_id),
        lambda case: browse.cluster_detail(case.engine, cluster_id, index=bench.index),
    )


def account(
    bench: Workbench,
    platform: str,
    account_id: str,
    *,
    posts_limit: int,
    posts_offset: int,
    partner: str | None,
) -> dict[str, Any] | None:
    """:func:`cibscan.browse.account_detail`."""
    key = ("account", platform, account_id, posts_limit, posts_offset, partner)
    return bench.read(
        key,
        lambda case: browse.account_detail(
            case.engine,
            platform,
            account_id,
            posts_limit=posts_limit,
            posts_offset=posts_offset,
            partner=partner,
            index=bench.index,
        ),
        findings=False,
    )
