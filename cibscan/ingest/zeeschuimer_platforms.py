"""How each platform's captured JSON (Zeeschuimer's ``data``) maps to the canonical columns.

Each :class:`Mapping` is SQL over ``d`` (the item's JSON) with helper columns computed once
in ``prepare``. The layouts were learnt from 4CAT's data sources (``datasources/*/
search_*.py``, which map the same items) and Zeeschuimer's modules; docs/formats.md says
which were also seen in real captures. Platform quirks, per family:

- TikTok: ``author`` is an object (API responses) or the bare username (items embedded in the
  page, with ``nickname`` beside it). The username is the account id, as in the Research API
  adapter, so both sources of one account merge. A duet (``duetInfo.duetFromId`` not "0")
  quotes the video it answers. The sound (``music.id``) is a media item of type ``audio``:
  a network reusing its own "original sound" shares it (popular sounds are capped by the
  co-media signal's ``max_accounts``).
- Instagram: three layouts (the web app's item list, the older GraphQL ``Graph*`` nodes and
  the 2026 "Polaris" grid items, which may be partial). The shortcode (``code``) is the post
  id, the numeric user id the account id. Items with ``product_type`` "ad" are
  advertisements (quarantined, unsupported); a partial item without ``taken_at`` too.
- Pinterest: the pin's outbound ``link`` is its URL; ``image_signature`` (or the 32-hex
  name of the image file, which identical images share) is the media hash. A pin saved from
  another pinner's (``originPinner``/``nativeCreator`` differs) is a repost of that account.
  Pins often lack ``created_at`` and pins read from HTML lack the pinner: quarantined.
- X: GraphQL tweet results (``rest_id``, ``legacy``, ``core.user_results``), sometimes
  wrapped in ``tweet`` (TweetWithVisibilityResults); ids and media keys as the v2 API's, so
  captures and API data of one account merge. Tombstones are quarantined.
- Douyin: API items (snake_case, ``aweme_id``) and items embedded in the page (camelCase,
  ``awemeId``); the numeric ``uid`` is the account id. Live streams are not posts.
- RedNote (Xiaohongshu): ``note_card`` from the web API or ``note`` from the page; times are
  epoch milliseconds; counts may be written "1.2万" (x 10,000). Feed tiles without a note
  (no text, no author, no time) are quarantined.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cibscan.ingest.pinterest import pin_image_hash

_TAG_RE = r"'(?:^|\s)[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)'"
_MENTION_RE = r"'(?:^|[^\w.])@([A-Za-z0-9_.]+)'"


@dataclass(frozen=True)
class Mapping:
    """One platform family: SQL over ``d`` (and the helper columns of ``prepare``)."""

    platform: str
    #: helper columns (a select list) computed from ``d`` (and ``parse``) before ``columns``
    prepare: str
    #: the canonical columns (a select list)
    columns: str
    #: the reason the platform's item is refused, or NULL
    reject: str = "NULL"
    #: its severity ('unsupported' for items that are not posts, else 'error')
    severity: str = "NULL"
    #: the item parsed once (``json_transform(d, ...) AS s``), before ``prepare``
    parse: str = "NULL AS s"


def _strings(expr: str, path: str) -> str:
    """Non-empty strings at the JSON path ``path`` (with ``[*]``) of ``expr``, or []."""
    return (
        f"list_filter(coalesce(json_extract_string({expr}, '{path}'), []), "
        "lambda x: nullif(trim(x), '') IS NOT NULL)"
    )


def _text_tags(text: str) -> str:
    return f"regexp_extract_all(coalesce({text}, ''), {_TAG_RE}, 1)"


def _cn_count(x: str) -> str:
    """A count written as digits or with the Chinese 万 (x 10,000) suffix."""
    return f"""CASE WHEN trim({x}) LIKE '%万'
        THEN CAST(round(try_cast(rtrim(trim({x}), '万+') AS DOUBLE) * 10000) AS BIGINT)
        ELSE cib_int(rtrim(trim({x}), '+')) END"""


def _shape(fields: dict[str, object]) -> str:
    """A ``json_transform`` structure as a SQL literal (the item is parsed once, into it)."""
    return "'" + json.dumps(fields, separators=(",", ":")) + "'"


_COUNTS = ("diggCount", "shareCount", "commentCount", "playCount")
_TT_ITEM = _shape(
    {
        "id": "VARCHAR",
        "desc": "VARCHAR",
        "createTime": "VARCHAR",
        "textLanguage": "VARCHAR",
        "nickname": "VARCHAR",
        "author": "JSON",
        "duetInfo": {"duetFromId": "VARCHAR"},
        "textExtra": [{"hashtagName": "VARCHAR", "userUniqueId": "VARCHAR"}],
        "challenges": [{"title": "VARCHAR"}],
        "music": {"id": "VARCHAR", "playUrl": "VARCHAR"},
        "stats": dict.fromkeys(_COUNTS, "VARCHAR"),
        "authorStats": dict.fromkeys(("followerCount", "followingCount", "videoCount"), "VARCHAR"),
    }
)
_TT_AUTHOR = _shape(
    dict.fromkeys(("uniqueId", "nickname", "signature", "avatarThumb", "verified"), "VARCHAR")
)
_TT_UNAME = "CASE WHEN author_obj THEN au.uniqueId ELSE s.author ->> '$' END"
# TikTok items are large (a video's every bitrate and cover): parsed once with
# json_transform into the fields read, which made the stage 2x faster than path lookups
TIKTOK = Mapping(
    platform="tiktok",
    parse=f"json_transform(d, {_TT_ITEM}) AS s",
    prepare=f"""json_type(s.author) = 'OBJECT' AS author_obj,
        CASE WHEN json_type(s.author) = 'OBJECT' THEN json_transform(s.author, {_TT_AUTHOR})
             END AS au,
        nullif(nullif(s.duetInfo.duetFromId, '0'), '') AS duet_of""",
    columns=f"""s.id AS post_id,
        {_TT_UNAME} AS account_id,
        cib_ts(s.createTime) AS created_at,
        'second' AS time_precision,
        CASE WHEN duet_of IS NOT NULL THEN 'quote' ELSE 'post' END AS kind,
        s.desc AS text,
        cib_str(s.textLanguage) AS language,
        duet_of AS quote_of_post,
        cib_unique(list_filter(list_concat(
            list_transform(coalesce(s.textExtra, []), lambda x: x.hashtagName),
            list_transform(coalesce(s.challenges, []), lambda x: x.title)),
            lambda x: nullif(trim(x), '') IS NOT NULL)) AS hashtags,
        list_filter(list_transform(coalesce(s.textExtra, []), lambda x: x.userUniqueId),
            lambda x: nullif(trim(x), '') IS NOT NULL) AS mentions,
        list_filter([
            {{'url': 'https://www.tiktok.com/@' || {_TT_UNAME} || '/video/' || s.id,
              'type': 'video', 'hash': NULL}},
            {{'url': s.music.playUrl, 'type': 'audio', 'hash': 'tiktok-music:' || s.music.id}}],
            lambda m: m.hash IS NOT NULL OR m.type = 'video') AS media,
        cib_int(s.stats.diggCount) AS like_count,
        cib_int(s.stats.shareCount) AS repost_count,
        cib_int(s.stats.commentCount) AS reply_count,
        cib_int(s.stats.playCount) AS view_count,
        {_TT_UNAME} AS acct_handle,
        cib_str(CASE WHEN author_obj THEN au.nickname ELSE s.nickname END) AS acct_display_name,
        cib_str(au.signature) AS acct_description,
        cib_str(au.avatarThumb) AS acct_profile_image_url,
        cib_bool(au.verified) AS acct_verified,
        cib_int(s.authorStats.followerCount) AS acct_followers,
        cib_int(s.authorStats.followingCount) AS acct_following,
        cib_int(s.authorStats.videoCount) AS acct_posts_count""",
    reject="""CASE WHEN json_type(s.author) NOT IN ('OBJECT', 'VARCHAR')
        THEN 'author is neither an object nor a username' END""",
)

_IG_MEDIA = {
    "media_type": "VARCHAR",
    "__typename": "VARCHAR",
    "video_versions": [{"url": "VARCHAR"}],
    "image_versions2": {"candidates": [{"url": "VARCHAR"}]},
    **dict.fromkeys(("video_url", "display_url", "display_uri"), "VARCHAR"),
}
_IG_USER = dict.fromkeys(
    ("pk", "id", "username", "full_name", "is_verified", "profile_pic_url"), "VARCHAR"
)
_IG_ITEM = _shape(
    {
        **_IG_MEDIA,
        **dict.fromkeys(("code", "shortcode", "taken_at", "taken_at_timestamp"), "VARCHAR"),
        **dict.fromkeys(("product_type", "link", "_zs_partial"), "VARCHAR"),
        **dict.fromkeys(("like_count", "comment_count", "view_count", "play_count"), "VARCHAR"),
        "caption": {"text": "VARCHAR"},
        "edge_media_to_caption": {"edges": [{"node": {"text": "VARCHAR"}}]},
        "user": _IG_USER,
        "owner": _IG_USER,
        "usertags": {"in": [{"user": {"username": "VARCHAR"}}]},
        "edge_media_to_tagged_user": {"edges": [{"node": {"user": {"username": "VARCHAR"}}}]},
        "edge_media_preview_like": {"count": "VARCHAR"},
        "edge_media_preview_comment": {"count": "VARCHAR"},
        "carousel_media": [_IG_MEDIA],
        "edge_sidecar_to_children": {"edges": [{"node": _IG_MEDIA}]},
    }
)
_IG_TEXT = "coalesce(s.caption.text, s.edge_media_to_caption.edges[1].node.text)"
_IG_ONE = ", ".join(f"'{k}': s.{k}" for k in _IG_MEDIA)
# items are parsed once (json_transform); a single photo or video is a carousel of one
INSTAGRAM = Mapping(
    platform="instagram",
    parse=f"json_transform(d, {_IG_ITEM}) AS s",
    prepare=f"""CASE WHEN s.user IS NOT NULL THEN s.user ELSE s.owner END AS u,
        coalesce(s.carousel_media,
                 list_transform(s.edge_sidecar_to_children.edges, lambda e: e.node),
                 [{{{_IG_ONE}}}]) AS items,
        cib_ts(coalesce(s.taken_at, s.taken_at_timestamp)) AS taken,
        s.product_type = 'ad' OR starts_with(s.link, 'https://www.facebook.com/ads/') AS is_ad""",
    columns=f"""coalesce(s.code, s.shortcode) AS post_id,
        coalesce(u.pk, u.id, s.owner.id) AS account_id,
        taken AS created_at,
        'second' AS time_precision,
        'post' AS kind,
        {_IG_TEXT} AS text,
        {_text_tags(_IG_TEXT)} AS hashtags,
        cib_unique(list_filter(list_concat(
            regexp_extract_all(coalesce({_IG_TEXT}, ''), {_MENTION_RE}, 1),
            list_transform(coalesce(s.usertags."in", []), lambda t: t.user.username),
            list_transform(coalesce(s.edge_media_to_tagged_user.edges, []),
                           lambda t: t.node.user.username)),
            lambda x: nullif(trim(x), '') IS NOT NULL)) AS mentions,
        list_filter(list_transform(items, lambda m: {{
            'url': coalesce(m.video_versions[1].url, m.image_versions2.candidates[1].url,
                            m.video_url, m.display_url, m.display_uri),
            'type': CASE WHEN m.media_type = '2' OR m.__typename LIKE '%Video%'
                         OR len(m.video_versions) > 0 THEN 'video' ELSE 'image' END,
            'hash': NULL}}), lambda m: m.url IS NOT NULL) AS media,
        cib_int(coalesce(s.like_count, s.edge_media_preview_like.count)) AS like_count,
        cib_int(coalesce(s.comment_count, s.edge_media_preview_comment.count)) AS reply_count,
        cib_int(coalesce(s.view_count, s.play_count)) AS view_count,
        cib_str(u.username) AS acct_handle,
        cib_str(u.full_name) AS acct_display_name,
        cib_str(u.profile_pic_url) AS acct_profile_image_url,
        cib_bool(u.is_verified) AS acct_verified""",
    reject="""CASE WHEN is_ad THEN 'advertisement'
        WHEN taken IS NULL AND cib_bool(s._zs_partial) THEN 'partial item without a time' END""",
    severity="""CASE WHEN is_ad OR (taken IS NULL AND cib_bool(s._zs_partial))
        THEN 'unsupported' END""",
)

_PIN_TEXT = (
    "nullif(concat_ws(chr(10) || chr(10), nullif(trim(d ->> '$.title'), ''), "
    "nullif(trim(d ->> '$.description'), '')), '')"
)
PINTEREST = Mapping(
    platform="pinterest",
    prepare="""cib_ts(try_strptime(coalesce(d ->> '$.created_at', d ->> '$.createdAt'),
            '%a, %d %b %Y %H:%M:%S %z')) AS created,
        coalesce(d ->> '$.imageSpec_orig.url', d ->> '$.images.orig.url',
                 d ->> '$.images.url', d ->> '$.image') AS image_url,
        nullif(coalesce(d ->> '$.originPinner.username', d ->> '$.nativeCreator.username'),
               d ->> '$.pinner.username') AS saved_from,
        d ->> '$."_zs-origin"' = 'html' AS from_html""",
    columns=f"""coalesce(d ->> '$.entityId', d ->> '$.id') AS post_id,
        d ->> '$.pinner.username' AS account_id,
        created AS created_at,
        'second' AS time_precision,
        CASE WHEN saved_from IS NOT NULL THEN 'repost' ELSE 'post' END AS kind,
        {_PIN_TEXT} AS text,
        saved_from AS repost_of_account,
        d ->> '$.board.url' AS venue,
        list_filter([cib_str(d ->> '$.link')], lambda x: x IS NOT NULL) AS urls,
        {_text_tags(_PIN_TEXT)} AS hashtags,
        list_filter([{{'url': image_url,
            'type': CASE WHEN cib_bool(d ->> '$.isVideo') OR json_exists(d, '$.videos.video_list')
                         THEN 'video' ELSE 'image' END,
            'hash': coalesce(d ->> '$.image_signature', {pin_image_hash("image_url")})
            }}], lambda m: m.url IS NOT NULL) AS media,
        cib_int(d ->> '$.aggregatedPinData.aggregatedStats.saves') AS repost_count,
        cib_str(d ->> '$.pinner.username') AS acct_handle,
        cib_str(coalesce(d ->> '$.pinner.fullName', d ->> '$.pinner.full_name'))
            AS acct_display_name,
        cib_int(coalesce(d ->> '$.pinner.followerCount', d ->> '$.pinner.follower_count'))
            AS acct_followers""",
    reject="""CASE WHEN from_html THEN 'pin read from the page HTML (no pinner, no time)'
        WHEN created IS NULL THEN 'pin without a creation time' END""",
    severity="CASE WHEN from_html OR created IS NULL THEN 'unsupported' END",
)

_V = "VARCHAR"
_X_ENTITIES = {
    "urls": [{"expanded_url": _V}],
    "hashtags": [{"text": _V}],
    "user_mentions": [{"screen_name": _V}],
}
_X_NOTE = {"note_tweet_results": {"result": {"text": _V}}}
_X_LEGACY = {
    **dict.fromkeys(("created_at", "id_str", "full_text", "user_id_str", "lang"), _V),
    **dict.fromkeys(("conversation_id_str", "quoted_status_id_str"), _V),
    **dict.fromkeys(("in_reply_to_status_id_str", "in_reply_to_user_id_str"), _V),
    **dict.fromkeys(("favorite_count", "retweet_count", "reply_count", "quote_count"), _V),
    "entities": _X_ENTITIES,
    "extended_entities": {"media": [{"media_url_https": _V, "type": _V, "media_key": _V}]},
    "retweeted_status_result": {"result": "JSON"},
}
_X_USER = {
    "rest_id": _V,
    "is_blue_verified": _V,
    "core": dict.fromkeys(("screen_name", "name", "created_at"), _V),
    "legacy": dict.fromkeys(
        (
            "screen_name",
            "name",
            "created_at",
            "description",
            "location",
            "profile_image_url_https",
            "followers_count",
            "friends_count",
            "statuses_count",
            "verified",
        ),
        _V,
    ),
    "location": {"location": _V},
    "avatar": {"image_url": _V},
    "verification": {"verified": _V},
}
_X_TWEET = _shape(
    {
        "rest_id": _V,
        "source": _V,
        "views": {"count": _V},
        "note_tweet": _X_NOTE,
        "legacy": _X_LEGACY,
        "core": {"user_results": {"result": _X_USER}},
        "quoted_status_result": {"result": "JSON"},
    }
)
_X_RETWEETED = _shape(
    {
        "rest_id": _V,
        "note_tweet": _X_NOTE,
        "legacy": {"user_id_str": _V, "full_text": _V, "entities": _X_ENTITIES},
        "core": {
            "user_results": {"result": {"core": {"screen_name": _V}, "legacy": {"screen_name": _V}}}
        },
    }
)
_X_RT = "s.legacy.retweeted_status_result.result"
_X_QT = "s.quoted_status_result.result"
_X_ENT = "coalesce(r.legacy.entities, s.legacy.entities)"
_X_TOMBSTONE = "d ->> '$.__typename' IN ('TweetTombstone', 'TweetUnavailable')"
# X tweet results are large (every counter, card, edit and view setting): parsed once into
# the fields read (json_transform), the retweeted tweet once more
X = Mapping(
    platform="twitter",
    parse=f"""json_transform(CASE WHEN json_type(d, '$.tweet') = 'OBJECT' THEN d -> '$.tweet'
                                  ELSE d END, {_X_TWEET}) AS s""",
    prepare=f"""json_transform(coalesce({_X_RT} -> '$.tweet', {_X_RT}), {_X_RETWEETED}) AS r,
        coalesce({_X_QT} -> '$.tweet', {_X_QT}) AS qt,
        s.core.user_results.result AS ur""",
    columns=f"""coalesce(s.rest_id, s.legacy.id_str) AS post_id,
        coalesce(s.legacy.user_id_str, ur.rest_id) AS account_id,
        cib_ts(s.legacy.created_at) AS created_at,
        'second' AS time_precision,
        CASE WHEN r.rest_id IS NOT NULL THEN 'repost'
             WHEN s.legacy.quoted_status_id_str IS NOT NULL THEN 'quote'
             WHEN s.legacy.in_reply_to_status_id_str IS NOT NULL THEN 'reply'
             ELSE 'post' END AS kind,
        CASE WHEN r.rest_id IS NOT NULL THEN 'RT @' || coalesce(
                r.core.user_results.result.core.screen_name,
                r.core.user_results.result.legacy.screen_name, '') || ': '
                || coalesce(r.note_tweet.note_tweet_results.result.text, r.legacy.full_text)
             ELSE coalesce(s.note_tweet.note_tweet_results.result.text, s.legacy.full_text)
             END AS text,
        cib_str(s.legacy.lang) AS language,
        r.rest_id AS repost_of_post,
        r.legacy.user_id_str AS repost_of_account,
        s.legacy.in_reply_to_status_id_str AS reply_to_post,
        s.legacy.in_reply_to_user_id_str AS reply_to_account,
        CASE WHEN r.rest_id IS NULL THEN s.legacy.quoted_status_id_str END AS quote_of_post,
        CASE WHEN r.rest_id IS NULL THEN qt ->> '$.legacy.user_id_str' END AS quote_of_account,
        s.legacy.conversation_id_str AS conversation_id,
        list_filter(list_transform(coalesce({_X_ENT}.urls, []), lambda u: u.expanded_url),
            lambda x: nullif(trim(x), '') IS NOT NULL) AS urls,
        list_filter(list_transform(coalesce({_X_ENT}.hashtags, []), lambda h: h.text),
            lambda x: nullif(trim(x), '') IS NOT NULL) AS hashtags,
        list_filter(list_transform(coalesce({_X_ENT}.user_mentions, []),
            lambda m: m.screen_name), lambda x: nullif(trim(x), '') IS NOT NULL) AS mentions,
        list_transform(coalesce(s.legacy.extended_entities.media, []),
            lambda m: {{'url': m.media_url_https, 'type': m.type, 'hash': m.media_key}})
            AS media,
        cib_str(cib_html_text(s.source)) AS client,
        cib_int(s.legacy.favorite_count) AS like_count,
        cib_int(s.legacy.retweet_count) AS repost_count,
        cib_int(s.legacy.reply_count) AS reply_count,
        cib_int(s.legacy.quote_count) AS quote_count,
        cib_int(s.views.count) AS view_count,
        cib_str(coalesce(ur.core.screen_name, ur.legacy.screen_name)) AS acct_handle,
        cib_str(coalesce(ur.core.name, ur.legacy.name)) AS acct_display_name,
        cib_ts(coalesce(ur.core.created_at, ur.legacy.created_at)) AS acct_created_at,
        cib_str(ur.legacy.description) AS acct_description,
        cib_str(coalesce(ur.location.location, ur.legacy.location)) AS acct_location,
        cib_str(coalesce(ur.avatar.image_url, ur.legacy.profile_image_url_https))
            AS acct_profile_image_url,
        cib_int(ur.legacy.followers_count) AS acct_followers,
        cib_int(ur.legacy.friends_count) AS acct_following,
        cib_int(ur.legacy.statuses_count) AS acct_posts_count,
        cib_bool(coalesce(ur.verification.verified, ur.legacy.verified, ur.is_blue_verified))
            AS acct_verified""",
    reject=f"""CASE WHEN {_X_TOMBSTONE}
        THEN 'tweet tombstone (withheld, deleted or unavailable)' END""",
    severity=f"CASE WHEN {_X_TOMBSTONE} THEN 'unsupported' END",
)

_DY_STREAM = (
    "(json_exists(d, '$.rawdata') OR json_exists(d, '$.cell_room.rawdata') "
    "OR json_type(d, '$.cellRoom.rawdata') = 'OBJECT')"
)
DOUYIN = Mapping(
    platform="douyin",
    prepare="""coalesce(d -> '$.author', d -> '$.authorInfo') AS a,
        coalesce(d -> '$.text_extra', d -> '$.textExtra') AS te,
        coalesce(d -> '$.statistics', d -> '$.stats') AS st""",
    columns=f"""coalesce(d ->> '$.aweme_id', d ->> '$.awemeId') AS post_id,
        coalesce(d ->> '$.author_user_id', d ->> '$.authorUserId', a ->> '$.uid', a ->> '$.id')
            AS account_id,
        cib_ts(coalesce(d ->> '$.create_time', d ->> '$.createTime')) AS created_at,
        'second' AS time_precision,
        'post' AS kind,
        d ->> '$.desc' AS text,
        cib_unique(list_concat({_strings("te", "$[*].hashtag_name")},
                               {_strings("te", "$[*].hashtagName")})) AS hashtags,
        cib_unique(list_concat({_strings("te", "$[*].sec_uid")},
                               {_strings("te", "$[*].secUid")})) AS mentions,
        list_filter([
            {{'url': 'https://www.douyin.com/video/'
                     || coalesce(d ->> '$.aweme_id', d ->> '$.awemeId'),
              'type': 'video', 'hash': NULL}},
            {{'url': NULL, 'type': 'audio', 'hash': 'douyin-music:' || (d ->> '$.music.id')}}],
            lambda m: m.hash IS NOT NULL OR m.type = 'video') AS media,
        cib_int(coalesce(st ->> '$.digg_count', st ->> '$.diggCount')) AS like_count,
        cib_int(coalesce(st ->> '$.share_count', st ->> '$.shareCount')) AS repost_count,
        cib_int(coalesce(st ->> '$.comment_count', st ->> '$.commentCount')) AS reply_count,
        cib_int(coalesce(st ->> '$.play_count', st ->> '$.playCount')) AS view_count,
        cib_str(coalesce(a ->> '$.unique_id', a ->> '$.uniqueId')) AS acct_handle,
        cib_str(a ->> '$.nickname') AS acct_display_name,
        'https://www.douyin.com/user/' || coalesce(a ->> '$.sec_uid', a ->> '$.secUid')
            AS acct_url,
        cib_str(a ->> '$.region') AS acct_location,
        cib_int(coalesce(a ->> '$.follower_count', a ->> '$.followerCount')) AS acct_followers""",
    reject=f"CASE WHEN {_DY_STREAM} THEN 'live stream, not a post' END",
    severity=f"CASE WHEN {_DY_STREAM} THEN 'unsupported' END",
)

_RN_TEXT = (
    "nullif(concat_ws(chr(10) || chr(10), nullif(coalesce(n ->> '$.title', "
    "n ->> '$.display_title'), ''), nullif(n ->> '$.desc', '')), '')"
)
_RN_STUB = (
    "(json_type(d, '$.note_card') IS NULL AND json_type(d, '$.note') IS NULL AND "
    "json_type(d, '$.user') IS NULL)"
)
REDNOTE = Mapping(
    platform="rednote",
    prepare="""CASE WHEN json_type(d, '$.note_card') = 'OBJECT' THEN d -> '$.note_card'
             WHEN json_type(d, '$.note') = 'OBJECT' THEN d -> '$.note' ELSE d END AS n,
        coalesce(n -> '$.interact_info', n -> '$.interactInfo') AS ii,
        d ->> '$."_zs-origin"' = 'html' AS from_html""",
    columns=f"""coalesce(d ->> '$.id', d ->> '$.note_id', n ->> '$.note_id', n ->> '$.noteId')
            AS post_id,
        coalesce(n ->> '$.user.user_id', n ->> '$.user.userId') AS account_id,
        cib_ts(n ->> '$.time') AS created_at,
        'millisecond' AS time_precision,
        'post' AS kind,
        {_RN_TEXT} AS text,
        cib_unique(list_concat({_strings("n", "$.tag_list[*].name")},
                               {_strings("n", "$.tagList[*].name")},
                               regexp_extract_all(coalesce(n ->> '$.desc', ''),
                                                  '#([^\\s#\\[\\]]+)', 1))) AS hashtags,
        list_filter(list_transform(coalesce(json_extract(n, '$.image_list[*]'),
                                            json_extract(n, '$.imageList[*]'), []),
            lambda i: {{'url': coalesce(i ->> '$.url_default', i ->> '$.urlDefault',
                                        i ->> '$.info_list[0].url'),
                        'type': 'image', 'hash': NULL}}), lambda m: m.url IS NOT NULL) AS media,
        {_cn_count("coalesce(ii ->> '$.liked_count', ii ->> '$.likedCount')")} AS like_count,
        {_cn_count("coalesce(ii ->> '$.share_count', ii ->> '$.shareCount')")} AS repost_count,
        {_cn_count("coalesce(ii ->> '$.comment_count', ii ->> '$.commentCount')")}
            AS reply_count,
        cib_str(coalesce(n ->> '$.user.nickname', n ->> '$.user.nick_name',
                         n ->> '$.user.nickName')) AS acct_display_name,
        cib_str(n ->> '$.user.avatar') AS acct_profile_image_url""",
    reject=f"""CASE WHEN from_html THEN 'note read from the page HTML'
        WHEN {_RN_STUB} THEN 'feed tile without post content'
        WHEN cib_ts(n ->> '$.time') IS NULL THEN 'note without a time (feed card)' END""",
    severity=f"""CASE WHEN from_html OR {_RN_STUB} OR cib_ts(n ->> '$.time') IS NULL
        THEN 'unsupported' END""",
)

MAPPINGS: dict[str, Mapping] = {
    "tiktok": TIKTOK,
    "instagram": INSTAGRAM,
    "pinterest": PINTEREST,
    "x": X,
    "douyin": DOUYIN,
    "rednote": REDNOTE,
}
