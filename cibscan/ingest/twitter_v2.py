"""X/Twitter API v2: response pages (twarc2 JSONL), flattened tweets, single JSON responses.

Three shapes reach analysts: twarc2 writes one whole API response page per line
(``{"data": [...], "includes": {"users", "tweets", "media"}, "meta", "__twarc"}``);
``twarc2 flatten`` writes one tweet per line with its ``author`` and referenced tweets inlined;
other tools save a single (often pretty-printed) response. One SQL handles all three: each
record becomes a list of tweets plus the lookup tables of its page, so a tweet's author
profile, the author of the tweet it retweets or quotes, and its media come from ``includes``
when the shape has them, and from the inlined objects otherwise.

Ids are strings in v2 (exact). ``created_at`` has millisecond precision. A page without any
tweet (an ``errors``-only response) is quarantined as such so that counts reconcile.
"""

from __future__ import annotations

import json
from typing import ClassVar

from cibscan.ingest.base import Adapter, ReaderKind, register
from cibscan.ingest.sniffing import first_line, text_head

_V2_MARKERS = ('"author_id"', '"edit_history_tweet_ids"', '"__twarc"', '"conversation_id"')


def _looks_v2(text: str) -> bool:
    markers = sum(1 for m in _V2_MARKERS if m in text)
    return markers >= 2 and '"id_str"' not in text


def _first_line_is_json(head: bytes) -> bool:
    try:
        return isinstance(json.loads(first_line(head)), dict)
    except ValueError:
        return False


_USER = {
    "id": "VARCHAR",
    "username": "VARCHAR",
    "name": "VARCHAR",
    "created_at": "VARCHAR",
    "description": "VARCHAR",
    "location": "VARCHAR",
    "url": "VARCHAR",
    "entities": {"url": {"urls": [{"expanded_url": "VARCHAR"}]}},
    "profile_image_url": "VARCHAR",
    "verified": "BOOLEAN",
    "verified_type": "VARCHAR",
    "protected": "BOOLEAN",
    "public_metrics": {
        "followers_count": "BIGINT",
        "following_count": "BIGINT",
        "tweet_count": "BIGINT",
    },
}
_MEDIA = {
    "media_key": "VARCHAR",
    "type": "VARCHAR",
    "url": "VARCHAR",
    "preview_image_url": "VARCHAR",
}
# A line is a tweet (flattened), or a page whose data/includes/errors are filled: one shape
# serves both, so each line is parsed once into a struct (measured 5x faster than reading
# fields one by one with ->>, which re-parses the JSON text for every field).
_LINE = {
    "id": "VARCHAR",
    "text": "VARCHAR",
    "author_id": "VARCHAR",
    "created_at": "VARCHAR",
    "lang": "VARCHAR",
    "conversation_id": "VARCHAR",
    "source": "VARCHAR",
    "in_reply_to_user_id": "VARCHAR",
    "note_tweet": {"text": "VARCHAR"},
    "referenced_tweets": [{"type": "VARCHAR", "id": "VARCHAR", "author_id": "VARCHAR"}],
    "entities": {
        "urls": [{"url": "VARCHAR", "expanded_url": "VARCHAR", "unwound_url": "VARCHAR"}],
        "hashtags": [{"tag": "VARCHAR"}],
        "mentions": [{"username": "VARCHAR"}],
    },
    "attachments": {"media_keys": ["VARCHAR"], "media": [_MEDIA]},
    "public_metrics": {
        "like_count": "BIGINT",
        "retweet_count": "BIGINT",
        "reply_count": "BIGINT",
        "quote_count": "BIGINT",
        "impression_count": "BIGINT",
    },
    "author": _USER,
    "data": "JSON",
    "errors": "JSON",
    "includes": {
        "users": [_USER],
        "tweets": [{"id": "VARCHAR", "author_id": "VARCHAR"}],
        "media": [_MEDIA],
    },
}
_LINE_SHAPE = json.dumps(_LINE)
_TWEETS_SHAPE = json.dumps([_LINE])


def _v2_sql(stream: str) -> str:
    """Tweets of every record (page, flattened tweet or response) in canonical columns."""
    line, tweets = f"'{_LINE_SHAPE}'", f"'{_TWEETS_SHAPE}'"
    return f"""
    WITH src AS (
        SELECT seq, l, l.data IS NOT NULL OR l.includes IS NOT NULL OR l.errors IS NOT NULL
               AS is_page
        FROM (SELECT seq, json_transform(raw, {line}) AS l FROM {stream})
    ), page_tweets AS (
        SELECT seq, l.errors::VARCHAR AS errors, l.includes AS inc,
               CASE json_type(l.data) WHEN 'ARRAY' THEN json_transform(l.data, {tweets})
                    WHEN 'OBJECT' THEN [json_transform(l.data, {line})]
                    ELSE [] END AS ts
        FROM src WHERE is_page
    ), tweets AS (
        SELECT seq, unnest(ts) AS t, unnest(range(len(ts))) AS i, true AS paged
        FROM page_tweets
        UNION ALL
        SELECT seq, l AS t, 0 AS i, false AS paged FROM src WHERE NOT is_page
    ), users AS (
        SELECT seq, u.id AS id, any_value(u) AS u
        FROM (SELECT seq, unnest(inc.users) AS u FROM page_tweets) GROUP BY ALL
    ), itweets AS (
        SELECT seq, x.id AS id, any_value(x.author_id) AS author_id
        FROM (SELECT seq, unnest(inc.tweets) AS x FROM page_tweets) GROUP BY ALL
    ), imedia AS (
        SELECT seq, map_from_entries(list_transform(inc.media,
                    lambda m: {{'k': m.media_key, 'v': m}})) AS mm
        FROM page_tweets WHERE len(inc.media) > 0
    ), refs AS (
        SELECT tw.*,
            list_filter(t.referenced_tweets, lambda r: r.type = 'retweeted')[1] AS rt,
            list_filter(t.referenced_tweets, lambda r: r.type = 'quoted')[1] AS qt,
            list_filter(t.referenced_tweets, lambda r: r.type = 'replied_to')[1] AS rp
        FROM tweets tw
    ), joined AS (
        SELECT r.*, coalesce(us.u, r.t.author) AS au,
               rta.author_id AS rt_author, qta.author_id AS qt_author, im.mm
        FROM refs r
        LEFT JOIN users us ON r.paged AND us.seq = r.seq AND us.id = r.t.author_id
        LEFT JOIN itweets rta ON r.paged AND rta.seq = r.seq AND rta.id = r.rt.id
        LEFT JOIN itweets qta ON r.paged AND qta.seq = r.seq AND qta.id = r.qt.id
        LEFT JOIN imedia im ON r.paged AND im.seq = r.seq
    )
    SELECT seq, 'post' AS rec,
        t.id AS post_id,
        t.author_id AS account_id,
        cib_ts(t.created_at) AS created_at,
        'millisecond' AS time_precision,
        CASE WHEN rt IS NOT NULL THEN 'repost' WHEN qt IS NOT NULL THEN 'quote'
             WHEN rp IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
        coalesce(t.note_tweet.text, t.text) AS text,
        t.lang AS language,
        rt.id AS repost_of_post,
        coalesce(rt.author_id, rt_author) AS repost_of_account,
        rp.id AS reply_to_post,
        t.in_reply_to_user_id AS reply_to_account,
        qt.id AS quote_of_post,
        coalesce(qt.author_id, qt_author) AS quote_of_account,
        t.conversation_id AS conversation_id,
        list_transform(t.entities.urls,
            lambda u: coalesce(u.unwound_url, u.expanded_url, u.url)) AS urls,
        list_transform(t.entities.hashtags, lambda h: h.tag) AS hashtags,
        list_transform(t.entities.mentions, lambda m: m.username) AS mentions,
        CASE WHEN len(t.attachments.media) > 0
            THEN list_transform(t.attachments.media, lambda m: {{
                'url': coalesce(m.url, m.preview_image_url), 'type': m.type,
                'hash': m.media_key}})
            ELSE list_transform(t.attachments.media_keys,
                lambda k: {{'url': coalesce(mm[k].url, mm[k].preview_image_url),
                           'type': mm[k].type, 'hash': k}})
            END AS media,
        t.source AS client,
        t.public_metrics.like_count AS like_count,
        t.public_metrics.retweet_count AS repost_count,
        t.public_metrics.reply_count AS reply_count,
        t.public_metrics.quote_count AS quote_count,
        t.public_metrics.impression_count AS view_count,
        CASE WHEN paged THEN 'line ' || seq || ' data[' || i || ']' END AS source_locator,
        au.username AS acct_handle,
        au.name AS acct_display_name,
        cib_ts(au.created_at) AS acct_created_at,
        au.description AS acct_description,
        cib_str(au.location) AS acct_location,
        coalesce(au.entities.url.urls[1].expanded_url, cib_str(au.url)) AS acct_url,
        au.profile_image_url AS acct_profile_image_url,
        au.public_metrics.followers_count AS acct_followers,
        au.public_metrics.following_count AS acct_following,
        au.public_metrics.tweet_count AS acct_posts_count,
        au.verified AS acct_verified,
        list_filter([CASE WHEN au.protected THEN 'protected' END,
                     CASE WHEN au.verified_type NOT IN ('none', '')
                          THEN 'verified_' || au.verified_type END],
                    lambda f: f IS NOT NULL) AS acct_flags
    FROM joined
    UNION ALL BY NAME
    SELECT seq, 'post' AS rec, 'no tweets in response page' AS reject,
           left(errors, 500) AS detail, 'error' AS severity
    FROM page_tweets WHERE len(ts) = 0
    """


class TwitterV2(Adapter):
    name: ClassVar[str] = "twitter_v2"
    platform = "twitter"
    title = "X/Twitter API v2 JSON lines: twarc2 response pages with includes, or flattened tweets"
    reader: ClassVar[ReaderKind] = "lines"
    source_hint = "twarc2 search/timeline output; twarc2 flatten"

    def sniff(self, head: bytes) -> float:
        if not text_head(head).startswith("{") or not _looks_v2(text_head(head)):
            return 0.0
        return 0.9 if _first_line_is_json(head) or len(first_line(head)) > 10_000 else 0.0

    def stage_sql(self, stream: str) -> str:
        return _v2_sql(stream)


class TwitterV2Response(TwitterV2):
    name = "twitter_v2_response"
    title = "X/Twitter API v2 response saved as one JSON document (pretty-printed or not)"
    reader = "json"
    source_hint = "raw /2/tweets/search responses, twitwi test payloads"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith("{") or not _looks_v2(text) or _first_line_is_json(head):
            return 0.0
        return 0.85 if '"data"' in text else 0.0

    def json_prefix(self, head: bytes) -> str:
        return ""


register(TwitterV2())
register(TwitterV2Response())
