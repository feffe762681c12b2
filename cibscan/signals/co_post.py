"""Co-post: two accounts publish the same normalised text within the window (copypasta)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.signals.base import Param, register
from cibscan.signals.coaction import CoActionSignal, max_accounts_param, window_param


class CoPost(CoActionSignal):
    name = "co_post"
    title = "Co-post (identical text)"
    description = (
        "Both accounts published the same text, after normalisation (lower case, URLs, "
        "@mentions, #hashtags and a leading 'RT @user:' removed, blanks collapsed), within "
        "the window: the same words, whatever tags surround them. Reposts (known by their "
        "kind) are left out: their text is the original's. Texts shorter than min_chars are "
        "ignored, since 'good morning' proves nothing."
    )
    reads = ("post_id", "kind", "repost_of_post", "text_words")
    params: ClassVar[tuple[Param, ...]] = (
        window_param(60.0),
        max_accounts_param(1000),
        Param("min_chars", "int", 10, "Shortest normalised text that counts.", minimum=0),
    )

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        return f"""SELECT acct, text_words AS obj, t, post_id FROM cib_posts
            WHERE NOT {is_repost_sql()} AND length(text_words) >= {int(params["min_chars"])}"""


register(CoPost())
