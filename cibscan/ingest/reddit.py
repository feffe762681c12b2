"""Reddit: Pushshift and Arctic Shift NDJSON dumps (submissions and comments, ``.zst`` too).

One adapter reads both record kinds, told apart by content (comments have ``body`` and
``link_id``). Ids are Reddit fullnames (``t3_`` submission, ``t1_`` comment) so that a
comment's ``parent_id`` is directly the post it replies to, whichever kind that is; the
thread (``link_id``) is the conversation. Accounts are keyed by username, which is unique and
permanent on Reddit and present in every dump generation (``author_fullname`` is not).

``[deleted]`` authors are not one account: such records cannot be attributed, so they are
quarantined as unsupported (reason "deleted author") rather than merged into a giant fake
account. ``created_utc`` is an integer or a string depending on the dump month.
"""

from __future__ import annotations

import json

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_FIELDS = (
    "id",
    "author",
    "author_fullname",
    "author_created_utc",
    "created_utc",
    "body",
    "link_id",
    "parent_id",
    "title",
    "selftext",
    "is_self",
    "url",
    "subreddit",
    "score",
    "num_comments",
)
_SHAPE = json.dumps(dict.fromkeys(_FIELDS, "VARCHAR"))
_URL_IN_TEXT = r"""https?://[^\s)\]>"''<]+"""  # '' is a quote inside the SQL literal


class RedditPushshift(Adapter):
    name = "reddit_pushshift"
    platform = "reddit"
    title = "Reddit Pushshift / Arctic Shift NDJSON, submissions and comments"
    reader = "lines"
    source_hint = "Pushshift API and RS_/RC_ monthly dumps, Arctic Shift dumps, pmaw"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith("{") or '"subreddit"' not in text or '"created_utc"' not in text:
            return 0.0
        return 0.9 if ('"link_id"' in text or '"selftext"' in text) else 0.6

    def stage_sql(self, stream: str) -> str:
        # Dumps run to hundreds of GB: each line is parsed once into a struct of the fields
        # used (every field as text, whatever JSON type a dump month gave it).
        return f"""
        WITH r AS (
            SELECT seq, c, c.body IS NOT NULL AND c.link_id IS NOT NULL AS is_comment
            FROM (SELECT seq, json_transform(raw, '{_SHAPE}') AS c FROM {stream})
        ), t AS (
            SELECT *, CASE WHEN is_comment THEN c.body
                      ELSE concat_ws(chr(10) || chr(10), c.title, nullif(c.selftext, ''))
                      END AS body
            FROM r
        )
        SELECT seq, 'post' AS rec,
            CASE WHEN c.author IN ('[deleted]', '[removed]') THEN 'deleted author' END
                AS reject,
            CASE WHEN c.author IN ('[deleted]', '[removed]') THEN 'unsupported' END
                AS severity,
            CASE WHEN is_comment THEN 't1_' ELSE 't3_' END || c.id AS post_id,
            c.author AS account_id,
            cib_ts(c.created_utc) AS created_at,
            CASE WHEN is_comment THEN 'comment' ELSE 'post' END AS kind,
            body AS text,
            CASE WHEN NOT is_comment THEN NULL
                 WHEN regexp_full_match(c.parent_id, '\\d+') THEN
                     CASE WHEN 't3_' || cib_base36(c.parent_id) = c.link_id THEN c.link_id
                          ELSE 't1_' || cib_base36(c.parent_id) END
                 ELSE coalesce(c.parent_id, c.link_id) END AS reply_to_post,
            CASE WHEN is_comment THEN c.link_id ELSE 't3_' || c.id END AS conversation_id,
            c.subreddit AS venue,
            cib_unique(list_concat(
                CASE WHEN NOT is_comment AND NOT coalesce(cib_bool(c.is_self), false)
                     AND cib_str(c.url) IS NOT NULL THEN [c.url] ELSE [] END,
                regexp_extract_all(coalesce(body, ''), '{_URL_IN_TEXT}'))) AS urls,
            regexp_extract_all(coalesce(body, ''),
                               '(?:^|[^A-Za-z0-9_/])/?u/([A-Za-z0-9_-]{{3,20}})', 1)
                AS mentions,
            cib_int(c.score) AS like_count,
            cib_int(c.num_comments) AS reply_count,
            c.author AS acct_handle,
            cib_ts(c.author_created_utc) AS acct_created_at,
            list_filter([CASE WHEN c.author_fullname IS NOT NULL
                              THEN 'fullname:' || c.author_fullname END],
                        lambda f: f IS NOT NULL) AS acct_flags
        FROM t"""


register(RedditPushshift())
