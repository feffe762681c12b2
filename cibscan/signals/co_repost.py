"""Co-repost: two accounts repost the same original post within the window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cibscan.detect.inputs import is_repost_sql
from cibscan.signals.base import Param, register
from cibscan.signals.coaction import (
    CoActionSignal,
    lockstep_param,
    max_accounts_param,
    window_param,
)


class CoRepost(CoActionSignal):
    name = "co_repost"
    title = "Co-repost"
    description = (
        "Both accounts reposted (retweeted, shared, boosted) the same original post within the "
        "window: the classic amplification-ring signal. The object is the original post's id on "
        "its platform or, for a repost without it (a collection that kept the kind and the "
        "text only), the reposted text, normalised."
    )
    reads = ("platform", "post_id", "kind", "repost_of_post", "text_norm")
    # 15 minutes, not one: a network's amplifiers relay its posts at human pace, minutes
    # apart (the IRA's hashtag gamers during the first 2016 debate, benchmarks/
    # real_accuracy.md); ties slower than ``lockstep`` are coordination on a target, which
    # flags only with tells or through amplifies_cluster, so fans within minutes stay unflagged.
    params: ClassVar[tuple[Param, ...]] = (
        window_param(900.0),
        max_accounts_param(1000),
        lockstep_param(
            20.0,
            "Largest mean gap between the two accounts' reposts at which their ties are "
            "lockstep (reposting at machine speed, an operated network's signature); slower "
            "co-reposts, fans passing on an idol's posts within minutes, are coordination on "
            "a target.",
        ),
    )

    def actions_sql(self, params: Mapping[str, Any]) -> str:
        # A repost whose reposted id the collection lost is still a repost: its object is
        # then the reposted text, normalised (kept apart from ids by the 'text|' prefix).
        return f"""SELECT acct, platform || '|' || coalesce(repost_of_post, 'text|' || text_norm)
                   AS obj, t, post_id
            FROM cib_posts WHERE {is_repost_sql()}"""


register(CoRepost())
