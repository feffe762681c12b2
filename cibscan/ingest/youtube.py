"""YouTube Data API v3: commentThreads and videos list responses.

A comment replies to its video (``reply_to_post`` = the video id, which is also the post id
the videos adapter gives that video, so comments and videos link up in one case); a reply in
``replies.comments`` replies to its parent comment. Channel-level threads have no video: they
reply to nothing and their venue is the channel. Text: ``textOriginal`` (plain) when the
request asked for it, else ``textDisplay`` with its HTML removed. Video items often lack
``statistics`` or ``contentDetails`` (only the parts requested come back): missing parts
leave their columns empty. Old responses quote their ETags; nothing here depends on them.
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_URLS = r"""regexp_extract_all(coalesce({t}, ''), 'https?://[^\s)\]>"''<]+')"""


def _comment_columns(c: str, reply_to: str) -> str:
    """Canonical columns of the youtube#comment JSON ``c`` replying to ``reply_to``."""
    s = f"({c} -> '$.snippet')"
    text = f"coalesce({s} ->> '$.textOriginal', cib_html_text({s} ->> '$.textDisplay'))"
    return f"""
        {c} ->> '$.id' AS post_id,
        {s} ->> '$.authorChannelId.value' AS account_id,
        cib_ts({s} ->> '$.publishedAt') AS created_at,
        'comment' AS kind,
        {text} AS text,
        {reply_to} AS reply_to_post,
        {_URLS.format(t=text)} AS urls,
        cib_int({s} ->> '$.likeCount') AS like_count,
        {s} ->> '$.authorDisplayName' AS acct_display_name,
        regexp_extract({s} ->> '$.authorChannelUrl', '/@([^/?]+)', 1) AS acct_handle,
        {s} ->> '$.authorChannelUrl' AS acct_url,
        {s} ->> '$.authorProfileImageUrl' AS acct_profile_image_url"""


class YouTubeCommentThreads(Adapter):
    name = "youtube_comment_threads"
    platform = "youtube"
    title = "YouTube Data API v3 commentThreads responses (top-level comments and replies)"
    reader = "json"
    source_hint = "GET youtube/v3/commentThreads (python-youtube, google-api-python-client)"
    fills = (
        "post_id",
        "account_id",
        "created_at",
        "kind",
        "text",
        "reply_to_post",
        "conversation_id",
        "venue",
        "urls",
        "like_count",
        "reply_count",
        "acct_display_name",
        "acct_handle",
        "acct_url",
        "acct_profile_image_url",
    )

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        return 0.95 if text.startswith("{") and "youtube#commentThread" in text else 0.0

    def json_prefix(self, head: bytes) -> str:
        return "items.item"

    def stage_sql(self, stream: str) -> str:
        top = "(raw -> '$.snippet.topLevelComment')"
        video = "(raw ->> '$.snippet.videoId')"
        return f"""
        WITH replies AS (
            SELECT seq, raw, unnest(json_extract(raw, '$.replies.comments[*]')) AS c
            FROM {stream} WHERE json_exists(raw, '$.replies.comments')
        )
        SELECT seq, 'post' AS rec, {_comment_columns(top, video)},
            raw ->> '$.id' AS conversation_id,
            coalesce({video}, raw ->> '$.snippet.channelId') AS venue,
            cib_int(raw ->> '$.snippet.totalReplyCount') AS reply_count
        FROM {stream}
        UNION ALL BY NAME
        SELECT seq, 'post' AS rec,
            {_comment_columns("c", "c ->> '$.snippet.parentId'")},
            raw ->> '$.id' AS conversation_id,
            coalesce({video}, raw ->> '$.snippet.channelId') AS venue,
            'item ' || seq || ' reply ' || (c ->> '$.id') AS source_locator
        FROM replies"""


class YouTubeVideos(Adapter):
    name = "youtube_videos"
    platform = "youtube"
    title = "YouTube Data API v3 videos responses (snippet, statistics when requested)"
    reader = "json"
    source_hint = "GET youtube/v3/videos, search results resolved to videos"
    fills = (
        "post_id",
        "account_id",
        "created_at",
        "kind",
        "text",
        "language",
        "urls",
        "hashtags",
        "media",
        "like_count",
        "reply_count",
        "view_count",
        "acct_display_name",
    )

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        return 0.95 if text.startswith("{") and '"youtube#video' in text else 0.0

    def json_prefix(self, head: bytes) -> str:
        return "items.item"

    def stage_sql(self, stream: str) -> str:
        text = "concat_ws(chr(10) || chr(10), s ->> '$.title', nullif(s ->> '$.description', ''))"
        return f"""
        WITH v AS (SELECT seq, raw, raw -> '$.snippet' AS s FROM {stream})
        SELECT seq, 'post' AS rec,
            CASE json_type(raw, '$.id') WHEN 'OBJECT' THEN raw ->> '$.id.videoId'
                 ELSE raw ->> '$.id' END AS post_id,
            s ->> '$.channelId' AS account_id,
            cib_ts(s ->> '$.publishedAt') AS created_at,
            'post' AS kind,
            {text} AS text,
            coalesce(s ->> '$.defaultAudioLanguage', s ->> '$.defaultLanguage') AS language,
            {_URLS.format(t=text)} AS urls,
            coalesce(json_extract_string(s, '$.tags[*]'), []) AS hashtags,
            list_filter([{{'url': coalesce(s ->> '$.thumbnails.high.url',
                                          s ->> '$.thumbnails.default.url'),
                          'type': 'thumbnail', 'hash': NULL}}], lambda m: m.url IS NOT NULL)
                AS media,
            cib_int(raw ->> '$.statistics.likeCount') AS like_count,
            cib_int(raw ->> '$.statistics.commentCount') AS reply_count,
            cib_int(raw ->> '$.statistics.viewCount') AS view_count,
            s ->> '$.channelTitle' AS acct_display_name
        FROM v"""


register(YouTubeCommentThreads())
register(YouTubeVideos())
