"""TikTok Research API: video query and comment list responses.

Video and comment ids are 19-digit JSON numbers, beyond the 2^53 that doubles hold exactly;
the JSON reader keeps Python integers and DuckDB returns their digits as written, so ids stay
exact. The API gives videos a ``username`` but no user id, so the username is the account id
(a renamed account therefore looks like a new one: no id exists to tell). ``region_code`` is
the country the creator registered the account in (platform-assigned, not typed by the user):
it goes to the account's location. A username may hold NUL characters (seen in real
responses): DuckDB text holds them, so they are kept exactly (the id must match other pulls
of the same API) and the account is flagged ``nul_in_username`` so that exports that choke
on NUL (PostgreSQL, some CSV writers) can be anticipated. ``share_count`` is the repost count
and ``comment_count`` the reply count; ``music_id``, ``effect_ids`` and the machine
transcript ``voice_to_text`` are not mapped (the text is what the author typed).

Comments carry no author at all in the Research API (fields: id, video_id, parent_comment_id,
text, like_count, reply_count, create_time), so they cannot be attributed to an account: they
are quarantined as unsupported ("comment without author"), their text kept in the quarantine,
rather than given an invented owner that would merge strangers into one account. A comment
record that does name its ``username`` (some collectors add it) is stored. Empty comment text
is legal and kept.
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_VIDEO_MARKERS = ("video_description", "username", "hashtag_names", "region_code", "music_id")

# An account id must be the username text: an object or number there is a damaged record.
_WRONG_USERNAME = (
    "CASE WHEN json_type(raw, '$.username') NOT IN ('VARCHAR', 'NULL') "
    "THEN 'username is not a string' END"
)


def _tiktok(text: str, array: str, markers: tuple[str, ...]) -> bool:
    """A Research API response (``{"data": {"<array>": [...]}}``) or a bare array of records.

    Which fields come back depends on the request's ``fields``: any one marker will do.
    """
    if not ('"create_time"' in text and any(f'"{m}"' in text for m in markers)):
        return False
    return text.startswith("[") or (text.startswith("{") and f'"{array}"' in text)


class TikTokVideos(Adapter):
    name = "tiktok_videos"
    platform = "tiktok"
    title = "TikTok Research API video query responses"
    reader = "json"
    source_hint = "POST /v2/research/video/query/ (tiktok-research-api-helper)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        return 0.9 if _tiktok(text, "videos", _VIDEO_MARKERS) else 0.0

    def json_prefix(self, head: bytes) -> str:
        return "item" if text_head(head).startswith("[") else "data.videos.item"

    def stage_sql(self, stream: str) -> str:
        return f"""
        SELECT seq, 'post' AS rec,
            raw ->> '$.id' AS post_id,
            raw ->> '$.username' AS account_id,
            cib_ts(raw ->> '$.create_time') AS created_at,
            'second' AS time_precision,
            'post' AS kind,
            raw ->> '$.video_description' AS text,
            coalesce(json_extract_string(raw, '$.hashtag_names[*]'), []) AS hashtags,
            CASE WHEN json_type(raw, '$.video_mention_list') = 'ARRAY'
                 THEN json_extract_string(raw, '$.video_mention_list[*]')
                 ELSE regexp_extract_all(coalesce(raw ->> '$.video_description', ''),
                                         '(?:^|[^\\w.])@([A-Za-z0-9_.]+)', 1) END AS mentions,
            cib_int(raw ->> '$.like_count') AS like_count,
            cib_int(raw ->> '$.share_count') AS repost_count,
            cib_int(raw ->> '$.comment_count') AS reply_count,
            cib_int(raw ->> '$.view_count') AS view_count,
            raw ->> '$.username' AS acct_handle,
            cib_str(raw ->> '$.region_code') AS acct_location,
            CASE WHEN contains(raw ->> '$.username', chr(0)) THEN ['nul_in_username']
                 ELSE [] END AS acct_flags,
            {_WRONG_USERNAME} AS reject
        FROM {stream}"""


class TikTokComments(Adapter):
    name = "tiktok_comments"
    platform = "tiktok"
    title = "TikTok Research API comment list responses (no author: quarantined, see docs)"
    reader = "json"
    source_hint = "POST /v2/research/video/comment/list/ (tiktok-research-api-helper)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        return 0.9 if _tiktok(text, "comments", ("video_id", "parent_comment_id")) else 0.0

    def json_prefix(self, head: bytes) -> str:
        return "item" if text_head(head).startswith("[") else "data.comments.item"

    def stage_sql(self, stream: str) -> str:
        # parent_comment_id is the video id for a top-level comment: either way it is the post
        # replied to, so comments on comments and on the video both link up.
        return f"""
        SELECT seq, 'post' AS rec,
            coalesce({_WRONG_USERNAME}, CASE WHEN cib_str(raw ->> '$.username') IS NULL
                THEN 'comment without author' END) AS reject,
            CASE WHEN cib_str(raw ->> '$.username') IS NULL
                 THEN 'the Research API comment list names no author' END AS detail,
            CASE WHEN cib_str(raw ->> '$.username') IS NULL THEN 'unsupported' END AS severity,
            raw ->> '$.id' AS post_id,
            raw ->> '$.username' AS account_id,
            cib_ts(raw ->> '$.create_time') AS created_at,
            'second' AS time_precision,
            'comment' AS kind,
            raw ->> '$.text' AS text,
            coalesce(raw ->> '$.parent_comment_id', raw ->> '$.video_id') AS reply_to_post,
            raw ->> '$.video_id' AS conversation_id,
            raw ->> '$.video_id' AS venue,
            cib_int(raw ->> '$.like_count') AS like_count,
            cib_int(raw ->> '$.reply_count') AS reply_count,
            raw ->> '$.username' AS acct_handle
        FROM {stream}"""


register(TikTokVideos())
register(TikTokComments())
