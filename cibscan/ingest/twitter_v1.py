"""X/Twitter API v1.1 JSON lines (REST, streaming and Gnip/PowerTrack "original format").

Why the details matter: ``id`` exceeds 2^53, so only ``id_str`` is exact; long tweets keep
their text and entities in ``extended_tweet`` (or ``full_text`` with tweet_mode=extended); a
retweet's own ``text`` is truncated ("RT @x: ..."), so we store the original's full text
prefixed "RT @x: " as the retweet's text (what copy-paste detection should compare, and how the
IO archive writes retweets); ``source`` is an HTML anchor whose text is the client name.
Stream notices (``delete``, ``limit``, ``status_withheld``...) are not posts: they are
quarantined as unsupported records so that counts reconcile.
"""

from __future__ import annotations

import json

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_V = "VARCHAR"
_ENTITIES = {
    "urls": [{"url": _V, "expanded_url": _V, "unwound": {"url": _V}}],
    "hashtags": [{"text": _V}],
    "user_mentions": [{"screen_name": _V}],
}
_MEDIA = {"media": [{"media_url_https": _V, "type": _V, "id_str": _V}]}
_TEXTS = {
    "text": _V,
    "full_text": _V,
    "extended_tweet": {"full_text": _V, "entities": _ENTITIES, "extended_entities": _MEDIA},
}
_USER = {
    "id_str": _V,
    "screen_name": _V,
    "name": _V,
    "created_at": _V,
    "description": _V,
    "location": _V,
    "url": _V,
    "entities": {"url": {"urls": [{"expanded_url": _V}]}},
    "profile_image_url_https": _V,
    "profile_image_url": _V,
    "followers_count": _V,
    "friends_count": _V,
    "statuses_count": _V,
    "lang": _V,
    "verified": _V,
    "protected": _V,
    "default_profile_image": _V,
}
# Each line is parsed once into this struct (every ->> would re-parse the JSON text).
_SHAPE = json.dumps(
    {
        "id_str": _V,
        "created_at": _V,
        "lang": _V,
        "source": _V,
        "in_reply_to_status_id_str": _V,
        "in_reply_to_user_id_str": _V,
        "quoted_status_id_str": _V,
        "quoted_status": {"user": {"id_str": _V}},
        "favorite_count": _V,
        "retweet_count": _V,
        "reply_count": _V,
        "quote_count": _V,
        "entities": _ENTITIES,
        "extended_entities": _MEDIA,
        **_TEXTS,
        "user": _USER,
        "retweeted_status": {"id_str": _V, "user": {"id_str": _V, "screen_name": _V}, **_TEXTS},
    }
)


def _text(t: str) -> str:
    return f"coalesce({t}.extended_tweet.full_text, {t}.full_text, {t}.text)"


def _ext(field: str) -> str:
    """The entity list under extended_tweet when the tweet has one, else at the top level."""
    return (
        f"CASE WHEN t.extended_tweet IS NOT NULL THEN t.extended_tweet.{field} ELSE t.{field} END"
    )


class TwitterV1(Adapter):
    name = "twitter_v1"
    platform = "twitter"
    title = "X/Twitter API v1.1 JSON lines (REST, streaming, Gnip original format)"
    reader = "lines"
    source_hint = "twarc 1.x, tweepy, Gnip/PowerTrack, Twitter streaming API"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith("{"):
            return 0.0
        if '"id_str"' in text and '"user"' in text and '"screen_name"' in text:
            return 0.9
        if text.startswith(('{"delete"', '{"limit"')):
            return 0.6
        return 0.0

    def stage_sql(self, stream: str) -> str:
        rt = "t.retweeted_status"
        return f"""
        SELECT seq, 'post' AS rec,
            CASE WHEN t.id_str IS NULL AND t.user IS NULL
                 THEN 'not a post: ' || coalesce(json_keys(raw)[1], 'empty object') END
                AS reject,
            CASE WHEN t.id_str IS NULL AND t.user IS NULL THEN 'unsupported' END AS severity,
            t.id_str AS post_id,
            t.user.id_str AS account_id,
            cib_ts(t.created_at) AS created_at,
            CASE WHEN {rt}.id_str IS NOT NULL THEN 'repost'
                 WHEN t.quoted_status_id_str IS NOT NULL THEN 'quote'
                 WHEN t.in_reply_to_status_id_str IS NOT NULL THEN 'reply'
                 ELSE 'post' END AS kind,
            CASE WHEN {rt}.id_str IS NOT NULL
                 THEN 'RT @' || {rt}.user.screen_name || ': ' || {_text(rt)}
                 ELSE {_text("t")} END AS text,
            t.lang AS language,
            {rt}.id_str AS repost_of_post,
            {rt}.user.id_str AS repost_of_account,
            t.in_reply_to_status_id_str AS reply_to_post,
            t.in_reply_to_user_id_str AS reply_to_account,
            t.quoted_status_id_str AS quote_of_post,
            t.quoted_status.user.id_str AS quote_of_account,
            list_transform({_ext("entities.urls")},
                lambda u: coalesce(u.unwound.url, u.expanded_url, u.url)) AS urls,
            list_transform({_ext("entities.hashtags")}, lambda h: h.text) AS hashtags,
            list_transform({_ext("entities.user_mentions")}, lambda m: m.screen_name)
                AS mentions,
            list_transform({_ext("extended_entities.media")},
                lambda m: {{'url': m.media_url_https, 'type': m.type, 'hash': m.id_str}})
                AS media,
            coalesce(regexp_extract(t.source, '>([^<]*)<', 1), t.source) AS client,
            cib_int(t.favorite_count) AS like_count,
            cib_int(t.retweet_count) AS repost_count,
            cib_int(t.reply_count) AS reply_count,
            cib_int(t.quote_count) AS quote_count,
            t.user.screen_name AS acct_handle,
            t.user.name AS acct_display_name,
            cib_ts(t.user.created_at) AS acct_created_at,
            t.user.description AS acct_description,
            cib_str(t.user.location) AS acct_location,
            coalesce(t.user.entities.url.urls[1].expanded_url, cib_str(t.user.url)) AS acct_url,
            coalesce(t.user.profile_image_url_https, t.user.profile_image_url)
                AS acct_profile_image_url,
            cib_int(t.user.followers_count) AS acct_followers,
            cib_int(t.user.friends_count) AS acct_following,
            cib_int(t.user.statuses_count) AS acct_posts_count,
            t.user.lang AS acct_language,
            cib_bool(t.user.verified) AS acct_verified,
            list_filter([
                CASE WHEN cib_bool(t.user.protected) THEN 'protected' END,
                CASE WHEN cib_bool(t.user.default_profile_image)
                     THEN 'default_profile_image' END],
                lambda f: f IS NOT NULL) AS acct_flags
        FROM (SELECT seq, raw, json_transform(raw, '{_SHAPE}') AS t FROM {stream})"""


register(TwitterV1())
