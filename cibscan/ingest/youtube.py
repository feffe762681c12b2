"""YouTube Data API v3: commentThreads (and comments) and videos list responses.

A top-level comment replies to its video (``reply_to_post`` = the video id, which is also the
post id the videos adapter gives that video, so comments and videos link up in one case) and
to the video's channel (``snippet.channelId``); a reply in ``replies.comments`` (or a
``youtube#comment`` item of a ``comments.list`` page) replies to its parent comment and that
comment's author. Channel-level threads have no video: they reply to no post, and their venue
is the channel. The thread id groups a thread (``conversation_id``); the video id is the venue
of its comments and of the video itself.

Text: ``textOriginal`` (plain) when the request asked for it, else ``textDisplay`` with its
HTML removed. ``textDisplay`` also holds the links YouTube made of bare domains
(``Google.com`` -> ``href="http://google.com/"``), so its ``href`` targets join the URLs
found in the text. Newer responses put the ``@handle`` in ``authorDisplayName`` and
``authorChannelUrl``; older ones a display name. Video ``snippet.tags`` are uploader keywords
(often several words): they go to the hashtags with the ``#tags`` of title and description,
because identical keyword sets across channels are a known coordination trace. Video items
often lack ``statistics`` (only the parts requested come back): missing parts leave their
columns empty. Old responses quote their ETags; nothing here depends on them.
"""

from __future__ import annotations

import re

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_URL_RE = r"""'https?://[^\s<>"]+[^\s<>".,;:!?)\]]'"""
_TAG_RE = r"'(?:^|\s)[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)'"


def _urls(text: str, html: str = "NULL") -> str:
    """URLs in plain ``text`` plus the http(s) ``href`` targets of ``html``, in order, once."""
    return f"""cib_unique(list_concat(
        list_transform(regexp_extract_all(coalesce({html}, ''), 'href="(https?://[^"]+)"', 1),
                       lambda u: replace(u, '&amp;', '&')),
        regexp_extract_all(coalesce({text}, ''), {_URL_RE})))"""


def _tags(text: str, extra: str = "[]") -> str:
    """``#tags`` of ``text`` then the ``extra`` list, each once (ignoring case), in order."""
    found = f"list_concat(regexp_extract_all(coalesce({text}, ''), {_TAG_RE}, 1), {extra})"
    return f"""list_transform([list_filter({found}, lambda x: nullif(trim(x), '') IS NOT NULL)],
        lambda l: list_filter(l, lambda x, i:
            list_position(list_transform(l, lambda y: lower(trim(y))), lower(trim(x))) = i))[1]"""


def _comment_columns(c: str) -> str:
    """Canonical columns of the ``youtube#comment`` JSON ``c`` (reply targets aside)."""
    s = f"({c} -> '$.snippet')"
    text = f"coalesce({s} ->> '$.textOriginal', cib_html_text({s} ->> '$.textDisplay'))"
    name = f"({s} ->> '$.authorDisplayName')"
    return f"""
        {c} ->> '$.id' AS post_id,
        coalesce({s} ->> '$.authorChannelId.value', {s} ->> '$.authorChannelId') AS account_id,
        cib_ts({s} ->> '$.publishedAt') AS created_at,
        'second' AS time_precision,
        'comment' AS kind,
        {text} AS text,
        {_urls(text, f"{s} ->> '$.textDisplay'")} AS urls,
        {_tags(text)} AS hashtags,
        cib_int({s} ->> '$.likeCount') AS like_count,
        CASE WHEN NOT starts_with({name}, '@') THEN cib_str({name}) END AS acct_display_name,
        coalesce(nullif(regexp_extract({s} ->> '$.authorChannelUrl', '/@([^/?#]+)', 1), ''),
                 CASE WHEN starts_with({name}, '@') THEN substr({name}, 2) END) AS acct_handle,
        cib_str({s} ->> '$.authorChannelUrl') AS acct_url,
        cib_str({s} ->> '$.authorProfileImageUrl') AS acct_profile_image_url"""


def _list_prefix(head: bytes, item_kind: str) -> str:
    """``items.item`` for a list response, ``item`` for a bare array, ``""`` for one item."""
    text = text_head(head)
    if text.startswith("["):
        return "item"
    if re.search(rf'"youtube#{item_kind}ListResponse"', text):
        return "items.item"
    return ""


class YouTubeCommentThreads(Adapter):
    name = "youtube_comment_threads"
    platform = "youtube"
    title = "YouTube Data API v3 commentThreads/comments responses (comments and replies)"
    reader = "json"
    source_hint = "GET youtube/v3/commentThreads, comments (python-youtube, google-api-client)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith(("{", "[")):
            return 0.0
        if re.search(r'"youtube#comment(Thread)?ListResponse"', text):
            return 0.95
        return 0.8 if re.search(r'"kind"\s*:\s*"youtube#comment(Thread)?"', text[:2000]) else 0.0

    def json_prefix(self, head: bytes) -> str:
        text = text_head(head)
        if re.search(r'"youtube#comment(Thread)?ListResponse"', text):
            return "items.item"
        return "item" if text.startswith("[") else ""

    def stage_sql(self, stream: str) -> str:
        # A thread item holds its top-level comment and maybe some replies; a bare comment item
        # (comments.list) is a comment by itself, a reply when it has a parentId.
        return f"""
        WITH t AS (
            SELECT seq, raw, raw ->> '$.kind' = 'youtube#comment' AS bare,
                CASE WHEN raw ->> '$.kind' = 'youtube#comment' THEN raw
                     ELSE raw -> '$.snippet.topLevelComment' END AS top,
                coalesce(raw ->> '$.snippet.videoId',
                         raw ->> '$.snippet.topLevelComment.snippet.videoId') AS video,
                coalesce(raw ->> '$.snippet.channelId',
                         raw ->> '$.snippet.topLevelComment.snippet.channelId') AS channel
            FROM {stream}
        ), replies AS (
            SELECT seq, raw, video, channel, top,
                unnest(json_extract(raw, '$.replies.comments[*]')) AS c
            FROM t WHERE NOT bare AND json_exists(raw, '$.replies.comments')
        )
        SELECT seq, 'post' AS rec, {_comment_columns("top")},
            coalesce(top ->> '$.snippet.parentId', video) AS reply_to_post,
            CASE WHEN top ->> '$.snippet.parentId' IS NULL THEN channel END AS reply_to_account,
            CASE WHEN bare THEN coalesce(top ->> '$.snippet.parentId', top ->> '$.id')
                 ELSE raw ->> '$.id' END AS conversation_id,
            coalesce(video, channel) AS venue,
            cib_int(raw ->> '$.snippet.totalReplyCount') AS reply_count,
            CASE WHEN json_type(top) IS DISTINCT FROM 'OBJECT'
                 THEN 'thread without a top-level comment' END AS reject,
            'item ' || seq AS source_locator
        FROM t
        UNION ALL BY NAME
        SELECT seq, 'post' AS rec, {_comment_columns("c")},
            c ->> '$.snippet.parentId' AS reply_to_post,
            CASE WHEN c ->> '$.snippet.parentId' = top ->> '$.id'
                 THEN top ->> '$.snippet.authorChannelId.value' END AS reply_to_account,
            raw ->> '$.id' AS conversation_id,
            coalesce(video, channel) AS venue,
            'item ' || seq || ' reply ' || (c ->> '$.id') AS source_locator
        FROM replies"""


class YouTubeVideos(Adapter):
    name = "youtube_videos"
    platform = "youtube"
    title = "YouTube Data API v3 videos responses (snippet, statistics when requested)"
    reader = "json"
    source_hint = "GET youtube/v3/videos (python-youtube, google-api-python-client)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith(("{", "[")):
            return 0.0
        if '"youtube#videoListResponse"' in text:
            return 0.95
        return 0.8 if re.search(r'"kind"\s*:\s*"youtube#video"', text[:2000]) else 0.0

    def json_prefix(self, head: bytes) -> str:
        return _list_prefix(head, "video")

    def stage_sql(self, stream: str) -> str:
        text = "concat_ws(chr(10) || chr(10), s ->> '$.title', nullif(s ->> '$.description', ''))"
        video_id = (
            "CASE json_type(raw, '$.id') WHEN 'OBJECT' THEN raw ->> '$.id.videoId' "
            "ELSE raw ->> '$.id' END"
        )
        return f"""
        WITH v AS (SELECT seq, raw, raw -> '$.snippet' AS s FROM {stream})
        SELECT seq, 'post' AS rec,
            {video_id} AS post_id,
            s ->> '$.channelId' AS account_id,
            cib_ts(s ->> '$.publishedAt') AS created_at,
            'second' AS time_precision,
            'post' AS kind,
            {text} AS text,
            coalesce(s ->> '$.defaultAudioLanguage', s ->> '$.defaultLanguage') AS language,
            {video_id} AS venue,
            {_urls(text)} AS urls,
            {_tags(text, "coalesce(json_extract_string(s, '$.tags[*]'), [])")} AS hashtags,
            list_filter([{{'url': coalesce(s ->> '$.thumbnails.high.url',
                                          s ->> '$.thumbnails.medium.url',
                                          s ->> '$.thumbnails.default.url'),
                          'type': 'thumbnail', 'hash': NULL}}], lambda m: m.url IS NOT NULL)
                AS media,
            cib_int(raw ->> '$.statistics.likeCount') AS like_count,
            cib_int(raw ->> '$.statistics.commentCount') AS reply_count,
            cib_int(raw ->> '$.statistics.viewCount') AS view_count,
            cib_str(s ->> '$.channelTitle') AS acct_display_name
        FROM v"""


register(YouTubeCommentThreads())
register(YouTubeVideos())
