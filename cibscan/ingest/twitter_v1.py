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

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head


def _text(t: str) -> str:
    return (
        f"coalesce({t} ->> '$.extended_tweet.full_text', {t} ->> '$.full_text', {t} ->> '$.text')"
    )


def _ext(t: str, path: str, fn: str = "json_extract_string") -> str:
    """``path`` under extended_tweet when the tweet has one, else at the top level.

    (A [*] path on a missing object gives an empty list, not NULL, so coalesce won't do.)
    """
    return (
        f"CASE WHEN json_exists({t}, '$.extended_tweet') "
        f"THEN {fn}({t}, '$.extended_tweet.{path}') ELSE {fn}({t}, '$.{path}') END"
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
        rt = "(raw -> '$.retweeted_status')"
        return f"""
        SELECT seq, 'post' AS rec,
            CASE WHEN NOT json_exists(raw, '$.id_str') AND NOT json_exists(raw, '$.user')
                 THEN 'not a post: ' || coalesce(json_keys(raw)[1], 'empty object') END
                AS reject,
            CASE WHEN NOT json_exists(raw, '$.id_str') AND NOT json_exists(raw, '$.user')
                 THEN 'unsupported' END AS severity,
            raw ->> '$.id_str' AS post_id,
            raw ->> '$.user.id_str' AS account_id,
            cib_ts(raw ->> '$.created_at') AS created_at,
            CASE WHEN {rt} IS NOT NULL THEN 'repost'
                 WHEN raw ->> '$.quoted_status_id_str' IS NOT NULL THEN 'quote'
                 WHEN raw ->> '$.in_reply_to_status_id_str' IS NOT NULL THEN 'reply'
                 ELSE 'post' END AS kind,
            CASE WHEN {rt} IS NOT NULL
                 THEN 'RT @' || ({rt} ->> '$.user.screen_name') || ': ' || {_text(rt)}
                 ELSE {_text("raw")} END AS text,
            raw ->> '$.lang' AS language,
            {rt} ->> '$.id_str' AS repost_of_post,
            {rt} ->> '$.user.id_str' AS repost_of_account,
            raw ->> '$.in_reply_to_status_id_str' AS reply_to_post,
            raw ->> '$.in_reply_to_user_id_str' AS reply_to_account,
            raw ->> '$.quoted_status_id_str' AS quote_of_post,
            raw ->> '$.quoted_status.user.id_str' AS quote_of_account,
            list_transform({_ext("raw", "entities.urls[*]", "json_extract")},
                lambda u: coalesce(u ->> '$.unwound.url', u ->> '$.expanded_url',
                                   u ->> '$.url')) AS urls,
            {_ext("raw", "entities.hashtags[*].text")} AS hashtags,
            {_ext("raw", "entities.user_mentions[*].screen_name")} AS mentions,
            list_transform({_ext("raw", "extended_entities.media[*]", "json_extract")},
                lambda m: {{'url': m ->> '$.media_url_https', 'type': m ->> '$.type',
                           'hash': m ->> '$.id_str'}}) AS media,
            coalesce(regexp_extract(raw ->> '$.source', '>([^<]*)<', 1), raw ->> '$.source')
                AS client,
            cib_int(raw ->> '$.favorite_count') AS like_count,
            cib_int(raw ->> '$.retweet_count') AS repost_count,
            cib_int(raw ->> '$.reply_count') AS reply_count,
            cib_int(raw ->> '$.quote_count') AS quote_count,
            raw ->> '$.user.screen_name' AS acct_handle,
            raw ->> '$.user.name' AS acct_display_name,
            cib_ts(raw ->> '$.user.created_at') AS acct_created_at,
            raw ->> '$.user.description' AS acct_description,
            cib_str(raw ->> '$.user.location') AS acct_location,
            coalesce(raw ->> '$.user.entities.url.urls[0].expanded_url',
                     cib_str(raw ->> '$.user.url')) AS acct_url,
            coalesce(raw ->> '$.user.profile_image_url_https',
                     raw ->> '$.user.profile_image_url') AS acct_profile_image_url,
            cib_int(raw ->> '$.user.followers_count') AS acct_followers,
            cib_int(raw ->> '$.user.friends_count') AS acct_following,
            cib_int(raw ->> '$.user.statuses_count') AS acct_posts_count,
            raw ->> '$.user.lang' AS acct_language,
            cib_bool(raw ->> '$.user.verified') AS acct_verified,
            list_filter([
                CASE WHEN cib_bool(raw ->> '$.user.protected') THEN 'protected' END,
                CASE WHEN cib_bool(raw ->> '$.user.default_profile_image')
                     THEN 'default_profile_image' END],
                lambda f: f IS NOT NULL) AS acct_flags
        FROM {stream}"""


register(TwitterV1())
