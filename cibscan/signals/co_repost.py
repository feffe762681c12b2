"""Co-repost: two accounts repost the same original post within the window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class CoRepost(CoActionSignal):
    name = "co_repost"
    title = "Co-repost"
    description = (
        "Both accounts reposted (retweeted, shared, boosted) the same original post within the "
        "window: the classic amplification-ring signal. The object is the original post's id on "
        "its platform."
    )
    reads = ("platform", "post_id", "repost_of_post")
    params: ClassVar[tuple[Param, ...]] = (window_param(60.0), max_accounts_param(1000))

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return """SELECT acct, platform || '|' || repost_of_post AS obj, t, post_id
            FROM cib_posts WHERE repost_of_post IS NOT NULL"""


register(CoRepost())
