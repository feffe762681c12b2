"""Co-mention: two accounts mention the same account within the window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.engine.base import Dialect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class CoMention(CoActionSignal):
    name = "co_mention"
    title = "Co-mention"
    description = (
        "Both accounts mentioned (tagged, @-ed) the same account within the window, outside "
        "reposts (known by their kind, whether or not the reposted id survived): harassment "
        "or promotion aimed at one target. Popular targets (a head of state, a celebrity) "
        "are discounted by the null model and capped by max_accounts; the tags of one post "
        "are one item, and an hour of tagging one account counts less than many targets."
    )
    tie_kind = "target"
    several_objects = True
    reads = ("platform", "post_id", "kind", "repost_of_post", "mentions")
    params: ClassVar[tuple[Param, ...]] = (window_param(300.0), max_accounts_param(500))

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return self.actions(DuckDBDialect(), params)

    def actions(self, dialect: Dialect, params: Mapping[str, Any]) -> str:
        return f"""SELECT acct, platform || '|' || mention AS obj, t, post_id
            FROM (SELECT acct, platform, t, post_id, {dialect.explode("mentions")} AS mention
                  FROM cib_posts WHERE NOT {is_repost_sql()}) AS m
            WHERE mention <> ''"""


register(CoMention())
