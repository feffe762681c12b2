"""TikTok Research API: video query and comment list responses.

Video and comment ids are 19-digit JSON numbers, beyond the 2^53 that doubles hold exactly;
the JSON reader keeps Python integers and DuckDB reads them as 64-bit integers, so ids stay
exact. The API gives videos a ``username`` but no user id, so the username is the account id.
``region_code`` is the poster's registration region: it goes to the account's location.
A username may hold NUL characters (seen in real responses): they are kept as they are
(DuckDB text holds them) rather than silently altered.

Comments carry no author at all in the Research API, so they cannot be attributed to an
account: they are quarantined as unsupported ("comment without author") with their text kept
in the quarantine, rather than invented an owner.
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head


def _tiktok(text: str, array: str) -> bool:
    return text.startswith("{") and f'"{array}"' in text and '"create_time"' in text


class TikTokVideos(Adapter):
    name = "tiktok_videos"
    platform = "tiktok"
    title = "TikTok Research API video query responses"
    reader = "json"
    source_hint = "POST /v2/research/video/query/ (tiktok-research-api-helper)"
    fills = (
        "post_id",
        "account_id",
        "created_at",
        "kind",
        "text",
        "hashtags",
        "mentions",
        "like_count",
        "repost_count",
        "reply_count",
        "view_count",
        "acct_handle",
        "acct_location",
    )

    def sniff(self, head: bytes) -> float:
        return 0.9 if _tiktok(text_head(head), "videos") else 0.0

    def json_prefix(self, head: bytes) -> str:
        return "data.videos.item"

    def stage_sql(self, stream: str) -> str:
        return f"""
        SELECT seq, 'post' AS rec,
            raw ->> '$.id' AS post_id,
            raw ->> '$.username' AS account_id,
            cib_ts(raw ->> '$.create_time') AS created_at,
            'post' AS kind,
            raw ->> '$.video_description' AS text,
            coalesce(json_extract_string(raw, '$.hashtag_names[*]'), []) AS hashtags,
            regexp_extract_all(coalesce(raw ->> '$.video_description', ''),
                               '@([A-Za-z0-9_.]+)', 1) AS mentions,
            cib_int(raw ->> '$.like_count') AS like_count,
            cib_int(raw ->> '$.share_count') AS repost_count,
            cib_int(raw ->> '$.comment_count') AS reply_count,
            cib_int(raw ->> '$.view_count') AS view_count,
            raw ->> '$.username' AS acct_handle,
            raw ->> '$.region_code' AS acct_location
        FROM {stream}"""


class TikTokComments(Adapter):
    name = "tiktok_comments"
    platform = "tiktok"
    title = "TikTok Research API comment list responses (no author: quarantined, see docs)"
    reader = "json"
    source_hint = "POST /v2/research/video/comment/list/"
    fills = ("post_id", "created_at", "kind", "text", "reply_to_post", "venue", "like_count")

    def sniff(self, head: bytes) -> float:
        return 0.9 if _tiktok(text_head(head), "comments") else 0.0

    def json_prefix(self, head: bytes) -> str:
        return "data.comments.item"

    def stage_sql(self, stream: str) -> str:
        return f"""
        SELECT seq, 'post' AS rec,
            CASE WHEN raw ->> '$.username' IS NULL THEN 'comment without author' END
                AS reject,
            CASE WHEN raw ->> '$.username' IS NULL THEN 'unsupported' END AS severity,
            raw ->> '$.id' AS post_id,
            raw ->> '$.username' AS account_id,
            cib_ts(raw ->> '$.create_time') AS created_at,
            'comment' AS kind,
            raw ->> '$.text' AS text,
            coalesce(raw ->> '$.parent_comment_id', raw ->> '$.video_id') AS reply_to_post,
            raw ->> '$.video_id' AS venue,
            cib_int(raw ->> '$.like_count') AS like_count,
            raw::VARCHAR AS raw
        FROM {stream}"""


register(TikTokVideos())
register(TikTokComments())
