"""Bluesky (AT Protocol): Jetstream v1 event lines, and AppView postView / feedViewPost arrays.

Jetstream (``wss://jetstream*.bsky.network/subscribe``) writes one event per line: a repo
``commit`` (create/update/delete of a record of any lexicon), an ``identity`` or an
``account`` event. Only post and repost creates are posts; profile creates/updates and
identity events that carry a handle become account snapshots; everything else (likes,
follows, blocks, deletes, statuses, other lexicons, account status) is quarantined as
``unsupported`` with a stable reason (``not a post: app.bsky.feed.like create``; lexicons
outside ``app.bsky`` share one reason, with collection and operation as the detail, so that
the reasons stay few however many lexicons the network grows). Times come from the server
``time_us`` (microseconds, kept exact) because a record's ``createdAt`` is set by the client
and can be forged or back-dated; ``createdAt`` is only the fallback. Lines are not
time-ordered: nothing here relies on order.

AppView output (``getPosts``, ``searchPosts``, ``getAuthorFeed``, ``getTimeline``; twitwi's
test file) is a JSON array, or ``{"posts": [...]}`` / ``{"feed": [...]}``, mixing plain
``postView`` objects and ``feedViewPost`` wrappers ``{post, reply?, reason?}``. The time is
the server ``indexedAt``. A wrapper whose ``reason`` is ``#reasonRepost`` yields the post
itself *and* a repost by ``reason.by``: the AppView does not expose that repost record's own
URI, so its id is synthesised as ``repost:<by did>:<post uri>@<reason indexedAt>`` (stable
across re-fetches, and never mistaken for a real ``at://`` URI). Author labels (e.g.
``bridged-from-bridgy-fed-activitypub``, ``!no-unauthenticated``) become account flags;
``viewer`` fields describe the collecting account and are ignored.

Both shapes share the post-record mapping: post ids are ``at://`` URIs and accounts DIDs;
facets give links, tags (plus the record's hidden ``tags``) and mention DIDs (facet offsets
are UTF-8 *byte* offsets, so the features are read, never slices of the text; ``#tags``
typed without a facet by tools that skip facets are read from the text too, and so are
``http(s)://`` links when a record has no link facet at all); a link card
(``embed.external``) adds its URI; an ``app.bsky.embed.record`` (or ``recordWithMedia``)
pointing at a *post* makes a quote (one pointing at a feed or list does not); image and video
blobs become media whose hash is the blob CID, a content hash that identical files share,
with the CDN URL built from DID and CID. Legacy blobs (``{"cid": ...}``) are read too.
"""

from __future__ import annotations

import json
import re

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import first_line, text_head

_CDN_IMAGE = "'https://cdn.bsky.app/img/feed_fullsize/plain/'"
_CDN_AVATAR = "'https://cdn.bsky.app/img/avatar/plain/'"
_CDN_VIDEO = "'https://video.bsky.app/watch/'"
# Tags and links typed in the text without a facet (tools that skip facets): a tag needs one
# non-digit; text URLs are only used when the record has no link facet, because clients
# that write facets shorten the visible URL ("example.com/long-pa...").
_TEXT_TAG = r"'(?:^|\s)[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}_][\p{L}\p{M}\p{N}_]*)'"
_TEXT_URL = r"'https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]'"


def _did_of(uri: str) -> str:
    """The repository DID of an ``at://did/collection/rkey`` URI."""
    return f"nullif(regexp_extract({uri}, '^at://([^/]+)/', 1), '')"


def _blob_cid(blob: str) -> str:
    """CID of a blob: ``{"ref": {"$link": cid}}`` (current) or ``{"cid": cid}`` (legacy)."""
    return f"""coalesce({blob} ->> '$.ref."$link"', {blob} ->> '$.cid')"""


def _post_ctes(source: str) -> str:
    """CTEs ``e`` and ``f`` over ``source`` (which has ``did``, ``uri`` and the record ``r``)."""
    return f"""
    e AS (
        SELECT *,
            split_part(r ->> '$.embed."$type"', '#', 1) AS et,
            json_extract(r, '$.facets[*].features[*]') AS feats
        FROM {source}
    ), f AS (
        SELECT *,
            CASE WHEN et = 'app.bsky.embed.recordWithMedia' THEN r -> '$.embed.media'
                 ELSE r -> '$.embed' END AS em,
            CASE WHEN et = 'app.bsky.embed.recordWithMedia' THEN r ->> '$.embed.record.record.uri'
                 WHEN et = 'app.bsky.embed.record' THEN r ->> '$.embed.record.uri'
                 END AS embedded_uri
        FROM e
    ), g AS (
        SELECT *, CASE WHEN embedded_uri LIKE 'at://%/app.bsky.feed.post/%'
                       THEN embedded_uri END AS quote_uri
        FROM f
    )"""


def _feature(kind: str, field: str) -> str:
    """Values of ``field`` of the facet features of type ``app.bsky.richtext.facet#<kind>``."""
    return f"""list_transform(list_filter(coalesce(feats, []),
            lambda x: x ->> '$."$type"' = 'app.bsky.richtext.facet#{kind}'),
            lambda x: x ->> '$.{field}')"""


# Columns of a post row, computed over CTE ``g`` (see _post_ctes).
_POST_COLUMNS = f"""
        uri AS post_id,
        did AS account_id,
        CASE WHEN quote_uri IS NOT NULL THEN 'quote'
             WHEN r ->> '$.reply.parent.uri' IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
        r ->> '$.text' AS text,
        r ->> '$.langs[0]' AS language,
        r ->> '$.reply.parent.uri' AS reply_to_post,
        {_did_of("r ->> '$.reply.parent.uri'")} AS reply_to_account,
        quote_uri AS quote_of_post,
        {_did_of("quote_uri")} AS quote_of_account,
        coalesce(r ->> '$.reply.root.uri', uri) AS conversation_id,
        cib_unique(list_filter(list_concat({_feature("link", "uri")},
            [em ->> '$.external.uri'],
            CASE WHEN len({_feature("link", "uri")}) = 0
                 THEN regexp_extract_all(coalesce(r ->> '$.text', ''), {_TEXT_URL}) END),
            lambda x: x IS NOT NULL)) AS urls,
        list_transform([list_filter(list_transform(list_concat({_feature("tag", "tag")},
            coalesce(json_extract_string(r, '$.tags[*]'), []),
            regexp_extract_all(coalesce(r ->> '$.text', ''), {_TEXT_TAG}, 1)),
            lambda x: nullif(trim(x), '')), lambda x: x IS NOT NULL)],
            lambda l: list_filter(l, lambda x, i:
                list_position(list_transform(l, lambda y: lower(y)), lower(x)) = i))[1]
            AS hashtags,
        list_filter({_feature("mention", "did")}, lambda x: x IS NOT NULL) AS mentions,
        list_filter(list_concat(
            list_transform(coalesce(json_extract(em, '$.images[*]'), []), lambda i: {{
                'url': {_CDN_IMAGE} || did || '/' || {_blob_cid("(i -> '$.image')")} || '@jpeg',
                'type': 'image', 'hash': {_blob_cid("(i -> '$.image')")}}}),
            CASE WHEN {_blob_cid("(em -> '$.video')")} IS NOT NULL THEN [{{
                'url': {_CDN_VIDEO} || replace(did, ':', '%3A') || '/'
                       || {_blob_cid("(em -> '$.video')")} || '/playlist.m3u8',
                'type': 'video', 'hash': {_blob_cid("(em -> '$.video')")}}}] END),
            lambda m: m.hash IS NOT NULL) AS media"""


def _jetstream_sql(stream: str) -> str:
    event_time = "coalesce(t_us, cib_ts(r ->> '$.createdAt'))"
    precision = "CASE WHEN t_us IS NOT NULL THEN 'microsecond' ELSE 'millisecond' END"
    malformed = (
        "ek NOT IN ('commit', 'identity', 'account') OR (ek = 'commit' AND (coll IS NULL "
        "OR op IS NULL OR (op IN ('create', 'update') AND json_type(r) IS DISTINCT FROM "
        "'OBJECT')))"
    )
    return f"""
    WITH ev AS (
        SELECT seq, raw, raw ->> '$.did' AS did, raw ->> '$.kind' AS ek,
            raw ->> '$.commit.collection' AS coll, raw ->> '$.commit.operation' AS op,
            raw -> '$.commit.record' AS r,
            'at://' || (raw ->> '$.did') || '/' || (raw ->> '$.commit.collection') || '/'
                || (raw ->> '$.commit.rkey') AS uri,
            CASE WHEN try_cast(raw ->> '$.time_us' AS BIGINT)
                      BETWEEN 0 AND 253402300799000000
                 THEN make_timestamp(try_cast(raw ->> '$.time_us' AS BIGINT))::TIMESTAMPTZ
                 END AS t_us
        FROM {stream}
    ), cls AS (
        SELECT *, CASE
            WHEN ek = 'commit' AND json_type(r) = 'OBJECT' AND op = 'create'
                 AND coll IN ('app.bsky.feed.post', 'app.bsky.feed.repost') THEN coll
            WHEN ek = 'commit' AND json_type(r) = 'OBJECT' AND op IN ('create', 'update')
                 AND coll = 'app.bsky.actor.profile' THEN 'profile'
            WHEN ek = 'identity' AND raw ->> '$.identity.handle' IS NOT NULL THEN 'identity'
            END AS what
        FROM ev
    ),
    {_post_ctes("(SELECT * FROM cls WHERE what = 'app.bsky.feed.post')")}
    SELECT seq, 'post' AS rec, {_POST_COLUMNS},
        {event_time} AS created_at, {precision} AS time_precision
    FROM g
    UNION ALL BY NAME
    SELECT seq, 'post' AS rec, uri AS post_id, did AS account_id, 'repost' AS kind,
        {event_time} AS created_at, {precision} AS time_precision,
        r ->> '$.subject.uri' AS repost_of_post,
        {_did_of("r ->> '$.subject.uri'")} AS repost_of_account
    FROM cls WHERE what = 'app.bsky.feed.repost'
    UNION ALL BY NAME
    SELECT seq, 'account' AS rec, did AS account_id, t_us AS created_at,
        cib_str(r ->> '$.displayName') AS acct_display_name,
        cib_str(r ->> '$.description') AS acct_description,
        cib_ts(r ->> '$.createdAt') AS acct_created_at,
        {_CDN_AVATAR} || did || '/' || {_blob_cid("(r -> '$.avatar')")} || '@jpeg'
            AS acct_profile_image_url,
        {_blob_cid("(r -> '$.avatar')")} AS acct_profile_image_hash
    FROM cls WHERE what = 'profile'
    UNION ALL BY NAME
    SELECT seq, 'account' AS rec, did AS account_id, t_us AS created_at,
        raw ->> '$.identity.handle' AS acct_handle
    FROM cls WHERE what = 'identity'
    UNION ALL BY NAME
    SELECT seq, 'post' AS rec, CASE
            WHEN ek IS NULL THEN 'not a Jetstream event'
            WHEN {malformed} THEN 'malformed Jetstream event'
            WHEN ek <> 'commit' THEN 'not a post: ' || ek
            WHEN coll NOT LIKE 'app.bsky.%' THEN 'not a post: non-Bluesky lexicon'
            ELSE 'not a post: ' || coll || ' ' || op END AS reject,
        coalesce(coll || ' ' || op, ek) AS detail,
        CASE WHEN ek IS NULL OR {malformed} THEN 'error' ELSE 'unsupported' END AS severity
    FROM cls WHERE what IS NULL
    """


def _postviews_sql(stream: str) -> str:
    author = "p -> '$.author'"
    return f"""
    WITH src AS (
        SELECT seq, raw,
            CASE WHEN json_type(raw, '$.post') = 'OBJECT' THEN raw -> '$.post' ELSE raw END
                AS p,
            raw -> '$.reason' AS reason
        FROM {stream}
    ), pv AS (
        SELECT *, p ->> '$.uri' AS uri,
            coalesce(p ->> '$.author.did', {_did_of("p ->> '$.uri'")}) AS did,
            p -> '$.record' AS r
        FROM src
    ),
    {_post_ctes("pv")}
    SELECT seq, 'post' AS rec, {_POST_COLUMNS},
        coalesce(cib_ts(p ->> '$.indexedAt'), cib_ts(r ->> '$.createdAt')) AS created_at,
        'millisecond' AS time_precision,
        cib_int(p ->> '$.likeCount') AS like_count,
        cib_int(p ->> '$.repostCount') AS repost_count,
        cib_int(p ->> '$.replyCount') AS reply_count,
        cib_int(p ->> '$.quoteCount') AS quote_count,
        {_author_columns(author)},
        'item ' || seq AS source_locator,
        CASE WHEN json_type(raw) <> 'OBJECT' THEN 'record is not an object'
             WHEN split_part(p ->> '$."$type"', '#', 2) IN ('notFoundPost', 'blockedPost')
                THEN 'post not found or blocked' END AS reject,
        CASE WHEN split_part(p ->> '$."$type"', '#', 2) IN ('notFoundPost', 'blockedPost')
             THEN 'unsupported' END AS severity
    FROM g
    UNION ALL BY NAME
    SELECT seq, 'post' AS rec,
        'repost:' || (reason ->> '$.by.did') || ':' || uri || '@'
            || coalesce(reason ->> '$.indexedAt', '') AS post_id,
        reason ->> '$.by.did' AS account_id,
        'repost' AS kind,
        cib_ts(reason ->> '$.indexedAt') AS created_at,
        'millisecond' AS time_precision,
        uri AS repost_of_post, did AS repost_of_account,
        {_author_columns("reason -> '$.by'")},
        'item ' || seq || ' reason' AS source_locator
    FROM pv WHERE split_part(reason ->> '$."$type"', '#', 2) = 'reasonRepost'
    """


def _author_columns(a: str) -> str:
    """Account fields of an AppView ``profileViewBasic`` held in the JSON expression ``a``."""
    return f"""
        cib_str({a} ->> '$.handle') AS acct_handle,
        cib_str({a} ->> '$.displayName') AS acct_display_name,
        cib_ts({a} ->> '$.createdAt') AS acct_created_at,
        cib_str({a} ->> '$.avatar') AS acct_profile_image_url,
        nullif(regexp_extract({a} ->> '$.avatar', '/(baf[a-z0-9]+)(@[a-z]+)?$', 1), '')
            AS acct_profile_image_hash,
        list_sort(list_distinct(coalesce(json_extract_string({a}, '$.labels[*].val'), [])))
            AS acct_flags"""


def _first_event(head: bytes) -> dict[str, object] | None:
    try:
        obj = json.loads(first_line(head))
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None


class BlueskyJetstream(Adapter):
    name = "bluesky_jetstream"
    platform = "bluesky"
    title = "Bluesky Jetstream v1 events: posts, reposts, profile and handle updates"
    reader = "lines"
    source_hint = "wss://jetstream*.bsky.network/subscribe captures (websocat, jetstream client)"

    def sniff(self, head: bytes) -> float:
        event = _first_event(head)
        if event is None:  # a first line longer than the head: fall back on its keys
            text = text_head(head)
            keys = ('"did":"did:', '"time_us":', '"kind":"')
            return 0.6 if text.startswith("{") and all(k in text[:300] for k in keys) else 0.0
        did = event.get("did")
        if (
            isinstance(did, str)
            and did.startswith("did:")
            and "time_us" in event
            and event.get("kind") in ("commit", "identity", "account")
        ):
            return 0.95
        return 0.0

    def stage_sql(self, stream: str) -> str:
        return _jetstream_sql(stream)


class BlueskyPostViews(Adapter):
    name = "bluesky_postviews"
    platform = "bluesky"
    title = "Bluesky AppView postView / feedViewPost arrays (search, feeds, timelines)"
    reader = "json"
    source_hint = "app.bsky.feed.searchPosts, getPosts, getAuthorFeed, getTimeline (twitwi)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        event = _first_event(head)
        if not text.startswith(("[", "{")) or (event is not None and "time_us" in event):
            return 0.0  # a Jetstream line
        markers = ('"indexedAt"', '"author"', '"at://did:', '"app.bsky.feed.post')
        return 0.9 if all(m in text for m in markers) else 0.0

    def json_prefix(self, head: bytes) -> str:
        text = text_head(head)
        if text.startswith("["):
            return "item"
        match = re.search(r'"(feed|posts)"\s*:\s*\[', text)
        return f"{match.group(1)}.item" if match else "item"

    def stage_sql(self, stream: str) -> str:
        return _postviews_sql(stream)


register(BlueskyJetstream())
register(BlueskyPostViews())
