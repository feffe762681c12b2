"""Co-URL: two accounts share the same normalised URL within the window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.engine.base import Dialect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class CoUrl(CoActionSignal):
    name = "co_url"
    title = "Co-URL"
    description = (
        "Both accounts shared the same URL (normalised at ingest: scheme, 'www.', tracking "
        "parameters and fragments removed) within the window. Posts without a URL share "
        "nothing (unlike a peer tool that pairs every link-less post)."
    )
    several_objects = True
    reads = ("post_id", "kind", "repost_of_post", "urls")
    params: ClassVar[tuple[Param, ...]] = (
        window_param(60.0),
        max_accounts_param(1000),
        Param(
            "include_reposts",
            "bool",
            False,
            "Count URLs inside reposts too (they are the original's, so off by default).",
        ),
    )

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return self.actions(DuckDBDialect(), params)

    def actions(self, dialect: Dialect, params: Mapping[str, Any]) -> str:
        where = "" if params["include_reposts"] else f"WHERE NOT {is_repost_sql()}"
        url = dialect.explode("urls")
        return f"""SELECT acct, url AS obj, t, post_id
            FROM (SELECT acct, t, post_id, {url} AS url FROM cib_posts {where}) AS u
            WHERE url <> ''"""


register(CoUrl())
