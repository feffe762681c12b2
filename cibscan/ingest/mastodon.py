"""Mastodon REST API: arrays of Status entities (timelines, account statuses, search).

Statuses come from many servers, so identities are made global: a post is its ``uri`` (unique
across the fediverse) and an account is ``user@host`` (a local account's ``acct`` has no host,
so the host of its profile URL is added: two people named alice on two servers stay two
accounts). ``content`` is HTML and becomes plain text; links exclude mention and hashtag
anchors. A reblog is a repost whose text is the reblogged status's text. ``in_reply_to_id``
is an id local to the server the data came from, so replies point at that id (caveat: it will
not match the ``uri`` of the parent when both are ingested).
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import text_head


def _acct(a: str) -> str:
    """SQL for the global handle of the account object ``a``."""
    return (
        f"CASE WHEN contains({a} ->> '$.acct', '@') THEN {a} ->> '$.acct' "
        f"ELSE ({a} ->> '$.acct') || '@' || regexp_extract({a} ->> '$.url', "
        f"'^https?://([^/]+)', 1) END"
    )


class Mastodon(Adapter):
    name = "mastodon"
    platform = "mastodon"
    title = "Mastodon REST API status arrays (timelines, account statuses)"
    reader = "json"
    source_hint = "GET /api/v1/timelines/*, /api/v1/accounts/:id/statuses (Mastodon.py, rtoot)"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if not text.startswith("["):
            return 0.0
        keys = ('"uri"', '"content"', '"reblog"', '"account"', '"acct"', '"visibility"')
        return 0.9 if all(k in text for k in keys) else 0.0

    def stage_sql(self, stream: str) -> str:
        # the status whose content is displayed ('$.reblog' is JSON null, not SQL NULL)
        shown = (
            "CASE WHEN json_type(raw, '$.reblog') = 'OBJECT' THEN raw -> '$.reblog' ELSE raw END"
        )
        return f"""
        WITH s AS (SELECT seq, raw, {shown} AS shown FROM {stream})
        SELECT seq, 'post' AS rec,
            coalesce(raw ->> '$.uri', raw ->> '$.url') AS post_id,
            {_acct("raw -> '$.account'")} AS account_id,
            cib_ts(raw ->> '$.created_at') AS created_at,
            'millisecond' AS time_precision,
            CASE WHEN json_type(raw, '$.reblog') = 'OBJECT' THEN 'repost'
                 WHEN raw ->> '$.in_reply_to_id' IS NOT NULL THEN 'reply'
                 ELSE 'post' END AS kind,
            concat_ws(chr(10) || chr(10), nullif(shown ->> '$.spoiler_text', ''),
                      cib_html_text(shown ->> '$.content')) AS text,
            shown ->> '$.language' AS language,
            CASE WHEN json_type(raw, '$.reblog') = 'OBJECT' THEN raw ->> '$.reblog.uri' END
                AS repost_of_post,
            CASE WHEN json_type(raw, '$.reblog') = 'OBJECT'
                 THEN {_acct("raw -> '$.reblog.account'")} END AS repost_of_account,
            raw ->> '$.in_reply_to_id' AS reply_to_post,
            raw ->> '$.in_reply_to_account_id' AS reply_to_account,
            cib_unique(list_concat(
                list_transform(list_filter(
                    regexp_extract_all(coalesce(shown ->> '$.content', ''), '<a [^>]*>'),
                    lambda a: NOT regexp_matches(a, 'class="[^"]*(mention|hashtag)')),
                    lambda a: regexp_extract(a, 'href="([^"]+)"', 1)),
                CASE WHEN shown ->> '$.card.url' IS NOT NULL THEN [shown ->> '$.card.url']
                     ELSE [] END)) AS urls,
            json_extract_string(shown, '$.tags[*].name') AS hashtags,
            json_extract_string(shown, '$.mentions[*].acct') AS mentions,
            list_transform(coalesce(json_extract(shown, '$.media_attachments[*]'), []),
                lambda m: {{'url': coalesce(m ->> '$.remote_url', m ->> '$.url'),
                           'type': m ->> '$.type', 'hash': m ->> '$.blurhash'}}) AS media,
            raw ->> '$.application.name' AS client,
            cib_int(raw ->> '$.favourites_count') AS like_count,
            cib_int(raw ->> '$.reblogs_count') AS repost_count,
            cib_int(raw ->> '$.replies_count') AS reply_count,
            {_acct("raw -> '$.account'")} AS acct_handle,
            cib_str(raw ->> '$.account.display_name') AS acct_display_name,
            cib_ts(raw ->> '$.account.created_at') AS acct_created_at,
            cib_str(cib_html_text(raw ->> '$.account.note')) AS acct_description,
            raw ->> '$.account.url' AS acct_url,
            raw ->> '$.account.avatar' AS acct_profile_image_url,
            cib_int(raw ->> '$.account.followers_count') AS acct_followers,
            cib_int(raw ->> '$.account.following_count') AS acct_following,
            cib_int(raw ->> '$.account.statuses_count') AS acct_posts_count,
            list_filter([CASE WHEN cib_bool(raw ->> '$.account.bot') THEN 'bot' END,
                         CASE WHEN cib_bool(raw ->> '$.account.group') THEN 'group' END],
                        lambda f: f IS NOT NULL) AS acct_flags
        FROM s"""


register(Mastodon())
