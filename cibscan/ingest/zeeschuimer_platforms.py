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

_IG_TEXT = "coalesce(d ->> '$.caption.text', d ->> '$.edge_media_to_caption.edges[0].node.text')"
INSTAGRAM = Mapping(
    platform="instagram",
    prepare="""coalesce(d -> '$.user', d -> '$.owner') AS u,
        CASE WHEN json_type(d, '$.carousel_media') = 'ARRAY'
             THEN json_extract(d, '$.carousel_media[*]')
             WHEN json_type(d, '$.edge_sidecar_to_children.edges') = 'ARRAY'
             THEN json_extract(d, '$.edge_sidecar_to_children.edges[*].node')
             ELSE [d] END AS items,
        cib_ts(coalesce(d ->> '$.taken_at', d ->> '$.taken_at_timestamp')) AS taken,
        d ->> '$.product_type' = 'ad'
            OR starts_with(d ->> '$.link', 'https://www.facebook.com/ads/') AS is_ad""",
    columns=f"""coalesce(d ->> '$.code', d ->> '$.shortcode') AS post_id,
        coalesce(u ->> '$.pk', u ->> '$.id', d ->> '$.owner.id') AS account_id,
        taken AS created_at,
        'second' AS time_precision,
        'post' AS kind,
        {_IG_TEXT} AS text,
        {_text_tags(_IG_TEXT)} AS hashtags,
        cib_unique(list_concat(
            regexp_extract_all(coalesce({_IG_TEXT}, ''), {_MENTION_RE}, 1),
            {_strings("d", "$.usertags.in[*].user.username")},
            {_strings("d", "$.edge_media_to_tagged_user.edges[*].node.user.username")}))
            AS mentions,
        list_filter(list_transform(items, lambda m: {{
            'url': coalesce(m ->> '$.video_versions[0].url',
                            m ->> '$.image_versions2.candidates[0].url',
                            m ->> '$.video_url', m ->> '$.display_url', m ->> '$.display_uri'),
            'type': CASE WHEN m ->> '$.media_type' = '2' OR m ->> '$.__typename' LIKE '%Video%'
                         OR json_exists(m, '$.video_versions[0]') THEN 'video'
                         ELSE 'image' END,
            'hash': NULL}}), lambda m: m.url IS NOT NULL) AS media,
        cib_int(coalesce(d ->> '$.like_count', d ->> '$.edge_media_preview_like.count'))
            AS like_count,
        cib_int(coalesce(d ->> '$.comment_count', d ->> '$.edge_media_preview_comment.count'))
            AS reply_count,
        cib_int(coalesce(d ->> '$.view_count', d ->> '$.play_count')) AS view_count,
        cib_str(u ->> '$.username') AS acct_handle,
        cib_str(u ->> '$.full_name') AS acct_display_name,
        cib_str(u ->> '$.profile_pic_url') AS acct_profile_image_url,
        cib_bool(u ->> '$.is_verified') AS acct_verified""",
    reject="""CASE WHEN is_ad THEN 'advertisement'
        WHEN taken IS NULL AND cib_bool(d ->> '$._zs_partial') THEN 'partial item without a time'
        END""",
    severity="""CASE WHEN is_ad OR (taken IS NULL AND cib_bool(d ->> '$._zs_partial'))
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

_X_LEGACY_SRC = "coalesce(rt -> '$.legacy', l)"
X = Mapping(
    platform="twitter",
    prepare="""CASE WHEN json_type(d, '$.tweet') = 'OBJECT' THEN d -> '$.tweet' ELSE d END AS t,
        t -> '$.legacy' AS l,
        t -> '$.core.user_results.result' AS ur,
        coalesce(t -> '$.legacy.retweeted_status_result.result.tweet',
                 t -> '$.legacy.retweeted_status_result.result') AS rt,
        coalesce(t -> '$.quoted_status_result.result.tweet',
                 t -> '$.quoted_status_result.result') AS qt""",
    columns=f"""coalesce(t ->> '$.rest_id', l ->> '$.id_str') AS post_id,
        coalesce(l ->> '$.user_id_str', ur ->> '$.rest_id') AS account_id,
        cib_ts(l ->> '$.created_at') AS created_at,
        'second' AS time_precision,
        CASE WHEN rt IS NOT NULL THEN 'repost'
             WHEN l ->> '$.quoted_status_id_str' IS NOT NULL THEN 'quote'
             WHEN l ->> '$.in_reply_to_status_id_str' IS NOT NULL THEN 'reply'
             ELSE 'post' END AS kind,
        CASE WHEN rt IS NOT NULL THEN 'RT @' || coalesce(
                rt ->> '$.core.user_results.result.core.screen_name',
                rt ->> '$.core.user_results.result.legacy.screen_name', '') || ': '
                || coalesce(rt ->> '$.note_tweet.note_tweet_results.result.text',
                            rt ->> '$.legacy.full_text')
             ELSE coalesce(t ->> '$.note_tweet.note_tweet_results.result.text',
                           l ->> '$.full_text') END AS text,
        cib_str(l ->> '$.lang') AS language,
        rt ->> '$.rest_id' AS repost_of_post,
        rt ->> '$.legacy.user_id_str' AS repost_of_account,
        l ->> '$.in_reply_to_status_id_str' AS reply_to_post,
        l ->> '$.in_reply_to_user_id_str' AS reply_to_account,
        CASE WHEN rt IS NULL THEN l ->> '$.quoted_status_id_str' END AS quote_of_post,
        CASE WHEN rt IS NULL THEN qt ->> '$.legacy.user_id_str' END AS quote_of_account,
        l ->> '$.conversation_id_str' AS conversation_id,
        {_strings(_X_LEGACY_SRC, "$.entities.urls[*].expanded_url")} AS urls,
        {_strings(_X_LEGACY_SRC, "$.entities.hashtags[*].text")} AS hashtags,
        {_strings(_X_LEGACY_SRC, "$.entities.user_mentions[*].screen_name")} AS mentions,
        list_transform(coalesce(json_extract(l, '$.extended_entities.media[*]'), []),
            lambda m: {{'url': m ->> '$.media_url_https', 'type': m ->> '$.type',
                        'hash': m ->> '$.media_key'}}) AS media,
        cib_str(cib_html_text(t ->> '$.source')) AS client,
        cib_int(l ->> '$.favorite_count') AS like_count,
        cib_int(l ->> '$.retweet_count') AS repost_count,
        cib_int(l ->> '$.reply_count') AS reply_count,
        cib_int(l ->> '$.quote_count') AS quote_count,
        cib_int(t ->> '$.views.count') AS view_count,
        cib_str(coalesce(ur ->> '$.core.screen_name', ur ->> '$.legacy.screen_name'))
            AS acct_handle,
        cib_str(coalesce(ur ->> '$.core.name', ur ->> '$.legacy.name')) AS acct_display_name,
        cib_ts(coalesce(ur ->> '$.core.created_at', ur ->> '$.legacy.created_at'))
            AS acct_created_at,
        cib_str(ur ->> '$.legacy.description') AS acct_description,
        cib_str(coalesce(ur ->> '$.location.location', ur ->> '$.legacy.location'))
            AS acct_location,
        cib_str(coalesce(ur ->> '$.avatar.image_url', ur ->> '$.legacy.profile_image_url_https'))
            AS acct_profile_image_url,
        cib_int(ur ->> '$.legacy.followers_count') AS acct_followers,
        cib_int(ur ->> '$.legacy.friends_count') AS acct_following,
        cib_int(ur ->> '$.legacy.statuses_count') AS acct_posts_count,
        cib_bool(coalesce(ur ->> '$.verification.verified', ur ->> '$.legacy.verified',
                          ur ->> '$.is_blue_verified')) AS acct_verified""",
    reject="""CASE WHEN d ->> '$.__typename' IN ('TweetTombstone', 'TweetUnavailable')
        THEN 'tweet tombstone (withheld, deleted or unavailable)' END""",
    severity="""CASE WHEN d ->> '$.__typename' IN ('TweetTombstone', 'TweetUnavailable')
        THEN 'unsupported' END""",
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
