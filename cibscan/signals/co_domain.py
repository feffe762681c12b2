"""Co-domain: two accounts link to the same (rare) web domain within the window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.engine.base import Dialect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class CoDomain(CoActionSignal):
    name = "co_domain"
    title = "Co-domain"
    description = (
        "Both accounts linked to the same web domain within the window. Only rare domains "
        "matter: a domain linked by more than max_accounts accounts (youtube.com, a national "
        "newspaper) makes no pairs, and the null model discounts the rest by popularity. "
        "Catches a network promoting its own little websites under varying URLs."
    )
    tie_kind = "target"
    several_objects = True
    reads = ("post_id", "kind", "repost_of_post", "domains")
    params: ClassVar[tuple[Param, ...]] = (window_param(3600.0), max_accounts_param(50))

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return self.actions(DuckDBDialect(), params)

    def actions(self, dialect: Dialect, params: Mapping[str, Any]) -> str:
        return f"""SELECT DISTINCT acct, domain AS obj, t, post_id
            FROM (SELECT acct, t, post_id, {dialect.explode("domains")} AS domain FROM cib_posts
                  WHERE NOT {is_repost_sql()}) AS d
            WHERE domain <> ''"""


register(CoDomain())
