"""Vimeo API v3: videos and comments pages (``GET /videos``, ``/users/{id}/videos``,
``/videos/{id}/comments``).

A page is ``{"total", "page", "per_page", "paging", "data": [...]}``; a bare array of
objects or one object is read too. Objects name themselves by ``uri``: a video
``/videos/76979871``, a user ``/users/152184``, a comment ``/videos/76979871/comments/123``.
The numbers are the ids (post ids are the video or comment number, account ids the user
number). Video times are ``created_time`` (upload; ``release_time`` is when it was made
public and is preferred when present, since that is when the audience could see it),
comment times ``created_on``, all ISO 8601 with an offset.

A video's ``tags`` are uploader keywords (hashtags, as YouTube's). A comment replies to its
video. A reply to a comment is fetched from ``/videos/{v}/comments/{c}/replies`` and its own
object does not name that parent: it is stored as a comment on the video (the thread is
lost, the reply is not). A handle is the last path part of ``user.link`` unless that is the
default ``user<digits>``.
"""

from __future__ import annotations

import re

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_URL_RE = r"""'https?://[^\s<>"]+[^\s<>".,;:!?)\]]'"""
_TAG_RE = r"'(?:^|\s)[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)'"
_VIDEO_URI = re.compile(r'"uri"\s*:\s*"/videos/\d+"')
_COMMENT_URI = re.compile(r'"uri"\s*:\s*"/videos/\d+/comments/\d+"')


def _prefix(head: bytes) -> str:
    text = text_head(head)
    if text.startswith("["):
        return "item"
    return "data.item" if re.search(r'"data"\s*:\s*\[', text) else ""


def _user(u: str) -> str:
    """Account columns of the Vimeo user JSON ``u``."""
    handle = f"regexp_extract({u} ->> '$.link', 'vimeo\\.com/([^/?#]+)$', 1)"
    return f"""
        CASE WHEN NOT regexp_full_match({handle}, 'user[0-9]+') THEN nullif({handle}, '')
             END AS acct_handle,
        cib_str({u} ->> '$.name') AS acct_display_name,
        cib_str({u} ->> '$.bio') AS acct_description,
        cib_str({u} ->> '$.location') AS acct_location,
        cib_str({u} ->> '$.link') AS acct_url,
        cib_ts({u} ->> '$.created_time') AS acct_created_at,
        cib_str({u} ->> '$.pictures.base_link') AS acct_profile_image_url,
        cib_int({u} ->> '$.metadata.connections.followers.total') AS acct_followers,
        cib_int({u} ->> '$.metadata.connections.following.total') AS acct_following,
        cib_int({u} ->> '$.metadata.connections.videos.total') AS acct_posts_count"""


class VimeoVideos(Adapter):
    name = "vimeo_videos"
    platform = "vimeo"
    title = "Vimeo API v3 video pages (/videos, /users/{id}/videos)"
    reader = "json"
    source_hint = "GET https://api.vimeo.com/videos (PyVimeo, vimeo.js)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        ok = text.startswith(("[", "{")) and '"created_time"' in text
        return 0.9 if ok and _VIDEO_URI.search(text) and not _COMMENT_URI.search(text) else 0.0

    def json_prefix(self, head: bytes) -> str:
        return _prefix(head)

    def stage_sql(self, stream: str) -> str:
        text = (
            "nullif(concat_ws(chr(10) || chr(10), nullif(raw ->> '$.name', ''), "
            "nullif(raw ->> '$.description', '')), '')"
        )
        return f"""
        SELECT seq, 'post' AS rec,
            nullif(regexp_extract(raw ->> '$.uri', '^/videos/([0-9]+)$', 1), '') AS post_id,
            nullif(regexp_extract(raw ->> '$.user.uri', '^/users/([0-9]+)$', 1), '')
                AS account_id,
            cib_ts(coalesce(raw ->> '$.release_time', raw ->> '$.created_time')) AS created_at,
            'second' AS time_precision,
            'post' AS kind,
            {text} AS text,
            cib_str(raw ->> '$.language') AS language,
            nullif(regexp_extract(raw ->> '$.uri', '^/videos/([0-9]+)$', 1), '') AS venue,
            cib_unique(regexp_extract_all(coalesce({text}, ''), {_URL_RE})) AS urls,
            cib_unique(list_concat(regexp_extract_all(coalesce({text}, ''), {_TAG_RE}, 1),
                coalesce(json_extract_string(raw, '$.tags[*].name'), []))) AS hashtags,
            list_filter([{{'url': cib_str(raw ->> '$.link'), 'type': 'video', 'hash': NULL}}],
                lambda m: m.url IS NOT NULL) AS media,
            cib_int(raw ->> '$.metadata.connections.likes.total') AS like_count,
            cib_int(raw ->> '$.metadata.connections.comments.total') AS reply_count,
            cib_int(raw ->> '$.stats.plays') AS view_count,
            {_user("raw -> '$.user'")}
        FROM {stream}"""


class VimeoComments(Adapter):
    name = "vimeo_comments"
    platform = "vimeo"
    title = "Vimeo API v3 comment pages (/videos/{id}/comments and replies)"
    reader = "json"
    source_hint = "GET https://api.vimeo.com/videos/{video_id}/comments (PyVimeo)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        ok = text.startswith(("[", "{")) and '"created_on"' in text
        return 0.9 if ok and _COMMENT_URI.search(text) else 0.0

    def json_prefix(self, head: bytes) -> str:
        return _prefix(head)

    def stage_sql(self, stream: str) -> str:
        video = "nullif(regexp_extract(raw ->> '$.uri', '^/videos/([0-9]+)/comments/', 1), '')"
        return f"""
        SELECT seq, 'post' AS rec,
            nullif(regexp_extract(raw ->> '$.uri', '/comments/([0-9]+)$', 1), '') AS post_id,
            nullif(regexp_extract(raw ->> '$.user.uri', '^/users/([0-9]+)$', 1), '')
                AS account_id,
            cib_ts(raw ->> '$.created_on') AS created_at,
            'second' AS time_precision,
            'comment' AS kind,
            raw ->> '$.text' AS text,
            {video} AS reply_to_post,
            {video} AS conversation_id,
            {video} AS venue,
            cib_unique(regexp_extract_all(coalesce(raw ->> '$.text', ''), {_URL_RE})) AS urls,
            regexp_extract_all(coalesce(raw ->> '$.text', ''), {_TAG_RE}, 1) AS hashtags,
            cib_int(raw ->> '$.metadata.connections.replies.total') AS reply_count,
            {_user("raw -> '$.user'")},
            CASE WHEN raw ->> '$.type' NOT IN ('video') THEN 'comment on something else'
                 END AS reject,
            CASE WHEN raw ->> '$.type' NOT IN ('video') THEN 'unsupported' END AS severity,
            CASE WHEN raw ->> '$.type' NOT IN ('video') THEN raw ->> '$.type' END AS detail
        FROM {stream}"""


register(VimeoVideos())
register(VimeoComments())
