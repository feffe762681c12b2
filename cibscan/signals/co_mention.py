"""Co-mention: two accounts mention the same account within the window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class CoMention(CoActionSignal):
    name = "co_mention"
    title = "Co-mention"
    description = (
        "Both accounts mentioned (tagged, @-ed) the same account within the window, outside "
        "reposts: harassment or promotion aimed at one target. Popular targets (a head of "
        "state, a celebrity) are discounted by the null model and capped by max_accounts."
    )
    reads = ("platform", "post_id", "repost_of_post", "mentions")
    params: ClassVar[tuple[Param, ...]] = (window_param(300.0), max_accounts_param(500))

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return """SELECT acct, platform || '|' || mention AS obj, t, post_id
            FROM (SELECT acct, platform, t, post_id, unnest(mentions) AS mention
                  FROM cib_posts WHERE repost_of_post IS NULL) AS m
            WHERE mention <> ''"""


register(CoMention())
