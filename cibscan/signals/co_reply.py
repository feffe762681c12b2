"""Co-reply: two accounts reply to the same post within the window (swarming a target)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class CoReply(CoActionSignal):
    name = "co_reply"
    title = "Co-reply"
    description = (
        "Both accounts replied to (or commented on) the same post within the window: the "
        "swarming of a dissident's or journalist's posts by a network."
    )
    tie_kind = "target"
    reads = ("platform", "post_id", "reply_to_post")
    params: ClassVar[tuple[Param, ...]] = (window_param(300.0), max_accounts_param(1000))

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return """SELECT acct, platform || '|' || reply_to_post AS obj, t, post_id
            FROM cib_posts WHERE reply_to_post IS NOT NULL"""


register(CoReply())
