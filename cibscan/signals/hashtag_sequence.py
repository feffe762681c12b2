"""Hashtag sequence: two accounts use the same ordered list of hashtags within the window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.engine.base import Dialect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class HashtagSequence(CoActionSignal):
    name = "hashtag_sequence"
    title = "Hashtag sequence"
    description = (
        "Both accounts posted the same ordered sequence of at least min_tags hashtags within "
        "the window. People pick one trending tag; scripted accounts paste the same string of "
        "several tags in the same order."
    )
    tie_kind = "target"
    reads = ("post_id", "kind", "repost_of_post", "hashtags")
    params: ClassVar[tuple[Param, ...]] = (
        window_param(3600.0),
        max_accounts_param(500),
        Param("min_tags", "int", 2, "Fewest hashtags a sequence must have.", minimum=1),
    )

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return self.actions(DuckDBDialect(), params)

    def actions(self, dialect: Dialect, params: Mapping[str, Any]) -> str:
        # list functions differ by name between engines (array_to_string/len in DuckDB,
        # array_join/size in Spark): asked of the engine
        tags, n = dialect.list_join("hashtags", " "), dialect.list_length("hashtags")
        return f"""SELECT acct, {tags} AS obj, t, post_id
            FROM cib_posts
            WHERE NOT {is_repost_sql()} AND {n} >= {int(params["min_tags"])}"""


register(HashtagSequence())
