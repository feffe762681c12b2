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

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

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
        return f"""
        WITH r AS (
            SELECT seq, raw, json_exists(raw, '$.body') AND json_exists(raw, '$.link_id')
                   AS is_comment,
                   raw ->> '$.author' AS author
            FROM {stream}
        ), t AS (
            SELECT *, CASE WHEN is_comment THEN raw ->> '$.body'
                      ELSE concat_ws(E'\\n\\n', raw ->> '$.title',
                                     nullif(raw ->> '$.selftext', '')) END AS body
            FROM r
        )
        SELECT seq, 'post' AS rec,
            CASE WHEN author IN ('[deleted]', '[removed]') THEN 'deleted author' END AS reject,
            CASE WHEN author IN ('[deleted]', '[removed]') THEN 'unsupported' END AS severity,
            CASE WHEN is_comment THEN 't1_' ELSE 't3_' END || (raw ->> '$.id') AS post_id,
            author AS account_id,
            cib_ts(raw ->> '$.created_utc') AS created_at,
            CASE WHEN is_comment THEN 'comment' ELSE 'post' END AS kind,
            body AS text,
            CASE WHEN NOT is_comment THEN NULL
                 WHEN regexp_full_match(raw ->> '$.parent_id', '\\d+') THEN
                     CASE WHEN 't3_' || cib_base36(raw ->> '$.parent_id') = raw ->> '$.link_id'
                          THEN raw ->> '$.link_id'
                          ELSE 't1_' || cib_base36(raw ->> '$.parent_id') END
                 ELSE coalesce(raw ->> '$.parent_id', raw ->> '$.link_id') END
                AS reply_to_post,
            CASE WHEN is_comment THEN raw ->> '$.link_id' ELSE 't3_' || (raw ->> '$.id') END
                AS conversation_id,
            raw ->> '$.subreddit' AS venue,
            cib_unique(list_concat(
                CASE WHEN NOT is_comment AND NOT coalesce(cib_bool(raw ->> '$.is_self'), false)
                     AND cib_str(raw ->> '$.url') IS NOT NULL THEN [raw ->> '$.url']
                     ELSE [] END,
                regexp_extract_all(coalesce(body, ''), '{_URL_IN_TEXT}'))) AS urls,
            regexp_extract_all(coalesce(body, ''),
                               '(?:^|[^A-Za-z0-9_/])/?u/([A-Za-z0-9_-]{{3,20}})', 1)
                AS mentions,
            cib_int(raw ->> '$.score') AS like_count,
            cib_int(raw ->> '$.num_comments') AS reply_count,
            author AS acct_handle,
            cib_ts(raw ->> '$.author_created_utc') AS acct_created_at,
            list_filter([CASE WHEN raw ->> '$.author_fullname' IS NOT NULL
                              THEN 'fullname:' || (raw ->> '$.author_fullname') END],
                        lambda f: f IS NOT NULL) AS acct_flags
        FROM t"""


register(RedditPushshift())
