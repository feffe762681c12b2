"""Bluesky: Jetstream firehose events, and AppView postViews (API search and feeds).

Both shapes carry the same ``app.bsky.feed.post`` record, so one parametrised SQL fragment
reads its text, language, reply parent, quoted record, facets (links, #tags, mentions: facets
hold the exact values, unlike the text) and images (the blob CID is a real content hash, which
co-media detection can match). Post ids are ``at://`` URIs and accounts are DIDs, both
global. Times: ``createdAt`` is set by the client and can be forged, so the server time is
preferred: Jetstream's ``time_us`` (microseconds) and AppView's ``indexedAt``.

Jetstream events that are not posts or reposts (likes, follows, blocks, deletes, identity and
account events, other lexicons) are quarantined as unsupported; profile updates become
account records (display name, description, avatar CID as the profile image hash).
AppView ``feedViewPost`` wrappers (``{post, reason}``) are stored as the post itself: the
repost action in ``reason`` has no id of its own (documented limit).
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head

_DID = r"regexp_extract({uri}, '^at://([^/]+)/', 1)"


def _did_of(uri: str) -> str:
    return _DID.format(uri=uri)


def _post_record_columns(rec: str) -> str:
    """Columns read from an ``app.bsky.feed.post`` record held in the JSON expression ``rec``."""
    quote = (
        f"CASE {rec} ->> '$.embed.$type' WHEN 'app.bsky.embed.record' "
        f"THEN {rec} ->> '$.embed.record.uri' WHEN 'app.bsky.embed.recordWithMedia' "
        f"THEN {rec} ->> '$.embed.record.record.uri' END"
    )
    features = f"coalesce(json_extract({rec}, '$.facets[*].features[*]'), [])"
    images = (
        f"list_concat(coalesce(json_extract({rec}, '$.embed.images[*]'), []), "
        f"coalesce(json_extract({rec}, '$.embed.media.images[*]'), []))"
    )
    return f"""
        {rec} ->> '$.text' AS text,
        {rec} ->> '$.langs[0]' AS language,
        {rec} ->> '$.reply.parent.uri' AS reply_to_post,
        {_did_of(f"{rec} ->> '$.reply.parent.uri'")} AS reply_to_account,
        {rec} ->> '$.reply.root.uri' AS conversation_id,
        {quote} AS quote_of_post,
        {_did_of(quote)} AS quote_of_account,
        list_concat(
            list_transform(list_filter({features},
                lambda f: f ->> '$."$type"' = 'app.bsky.richtext.facet#link'),
                lambda f: f ->> '$.uri'),
            list_filter([{rec} ->> '$.embed.external.uri',
                         {rec} ->> '$.embed.media.external.uri'],
                        lambda u: u IS NOT NULL)) AS urls,
        list_transform(list_filter({features},
            lambda f: f ->> '$."$type"' = 'app.bsky.richtext.facet#tag'),
            lambda f: f ->> '$.tag') AS hashtags,
        list_transform(list_filter({features},
            lambda f: f ->> '$."$type"' = 'app.bsky.richtext.facet#mention'),
            lambda f: f ->> '$.did') AS mentions,
        list_transform({images}, lambda i: {{'url': NULL, 'type': 'image',
            'hash': coalesce(i ->> '$.image.ref."$link"', i ->> '$.image.cid')}}) AS media"""


class BlueskyJetstream(Adapter):
    name = "bluesky_jetstream"
    platform = "bluesky"
    title = "Bluesky Jetstream events (posts, reposts, profile updates)"
    reader = "lines"
    source_hint = "wss://jetstream*.bsky.network/subscribe captures"
    fills = (
        "post_id",
        "account_id",
        "created_at",
        "time_precision",
        "kind",
        "text",
        "language",
        "repost_of_post",
        "repost_of_account",
        "reply_to_post",
        "reply_to_account",
        "quote_of_post",
        "quote_of_account",
        "conversation_id",
        "urls",
        "hashtags",
        "mentions",
        "media",
        "acct_display_name",
        "acct_description",
        "acct_profile_image_hash",
    )

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if text.startswith("{") and '"did"' in text and '"time_us"' in text and '"kind"' in text:
            return 0.9
        return 0.0

    def stage_sql(self, stream: str) -> str:
        return f"""
        WITH e AS (
            SELECT seq, raw, raw ->> '$.commit.collection' AS col,
                   raw ->> '$.commit.operation' AS op, raw -> '$.commit.record' AS r
            FROM {stream}
        ), k AS (
            SELECT *, CASE
                WHEN col = 'app.bsky.feed.post' AND op = 'create' THEN 'post'
                WHEN col = 'app.bsky.feed.repost' AND op = 'create' THEN 'repost'
                WHEN col = 'app.bsky.actor.profile' AND op IN ('create', 'update')
                    THEN 'profile' END AS what
            FROM e
        )
        SELECT seq,
            CASE WHEN what = 'profile' THEN 'account' ELSE 'post' END AS rec,
            CASE WHEN what IS NULL THEN 'not a post: ' ||
                coalesce(col || ' ' || op, raw ->> '$.kind', 'unknown event') END AS reject,
            CASE WHEN what IS NULL THEN 'unsupported' END AS severity,
            'at://' || (raw ->> '$.did') || '/' || col || '/' || (raw ->> '$.commit.rkey')
                AS post_id,
            raw ->> '$.did' AS account_id,
            cib_ts_epoch_us(raw ->> '$.time_us') AS created_at,
            'microsecond' AS time_precision,
            CASE WHEN what = 'repost' THEN 'repost'
                 WHEN r ->> '$.reply.parent.uri' IS NOT NULL THEN 'reply'
                 WHEN r ->> '$.embed.$type' LIKE 'app.bsky.embed.record%' THEN 'quote'
                 ELSE 'post' END AS kind,
            CASE WHEN what = 'repost' THEN r ->> '$.subject.uri' END AS repost_of_post,
            CASE WHEN what = 'repost' THEN {_did_of("r ->> '$.subject.uri'")} END
                AS repost_of_account,
            {_post_record_columns("r")},
            CASE WHEN what = 'profile' THEN r ->> '$.displayName' END AS acct_display_name,
            CASE WHEN what = 'profile' THEN r ->> '$.description' END AS acct_description,
            CASE WHEN what = 'profile' THEN r ->> '$.avatar.ref."$link"' END
                AS acct_profile_image_hash
        FROM k"""


class BlueskyPostViews(Adapter):
    name = "bluesky_postviews"
    platform = "bluesky"
    title = "Bluesky AppView postView / feedViewPost arrays (search, feeds, timelines)"
    reader = "json"
    source_hint = "app.bsky.feed.searchPosts, getAuthorFeed, getTimeline (twitwi, atproto SDK)"
    fills = (
        "post_id",
        "account_id",
        "created_at",
        "time_precision",
        "kind",
        "text",
        "language",
        "reply_to_post",
        "reply_to_account",
        "quote_of_post",
        "quote_of_account",
        "conversation_id",
        "urls",
        "hashtags",
        "mentions",
        "media",
        "like_count",
        "repost_count",
        "reply_count",
        "quote_count",
        "acct_handle",
        "acct_display_name",
        "acct_created_at",
        "acct_profile_image_url",
    )

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if text.startswith("[") and '"at://' in text and '"indexedAt"' in text:
            return 0.9
        return 0.0

    def stage_sql(self, stream: str) -> str:
        return f"""
        WITH v AS (
            SELECT seq, CASE WHEN json_type(raw, '$.post') = 'OBJECT' THEN raw -> '$.post'
                             ELSE raw END AS p
            FROM {stream}
        )
        SELECT seq, 'post' AS rec,
            p ->> '$.uri' AS post_id,
            p ->> '$.author.did' AS account_id,
            coalesce(cib_ts(p ->> '$.indexedAt'), cib_ts(p ->> '$.record.createdAt'))
                AS created_at,
            'millisecond' AS time_precision,
            CASE WHEN p ->> '$.record.reply.parent.uri' IS NOT NULL THEN 'reply'
                 WHEN p ->> '$.record.embed.$type' LIKE 'app.bsky.embed.record%' THEN 'quote'
                 ELSE 'post' END AS kind,
            {_post_record_columns("(p -> '$.record')")},
            cib_int(p ->> '$.likeCount') AS like_count,
            cib_int(p ->> '$.repostCount') AS repost_count,
            cib_int(p ->> '$.replyCount') AS reply_count,
            cib_int(p ->> '$.quoteCount') AS quote_count,
            p ->> '$.author.handle' AS acct_handle,
            cib_str(p ->> '$.author.displayName') AS acct_display_name,
            cib_ts(p ->> '$.author.createdAt') AS acct_created_at,
            p ->> '$.author.avatar' AS acct_profile_image_url
        FROM v"""


register(BlueskyJetstream())
register(BlueskyPostViews())
