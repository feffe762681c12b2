"""Facebook and Instagram through CrowdTangle, as prepared by CooRnet / PyCooRnet.

``ct_shares`` (CSV) is the table CooRnet builds from CrowdTangle's ``/links`` endpoint: one
row per share of a link by a page, group or account, R-style (``TRUE``/``FALSE``, ``NA``),
``date`` in UTC. Accounts are keyed by ``account.platformId`` (the platform's own id; the
CrowdTangle-internal ``account.id`` is the fallback), and the account URL tells pages from
groups, which matters for reading a network's footprint. A post that shares several links
appears once per link; its rows beyond the first count as duplicates, and the stored post
carries every link. The JSON variant holds CrowdTangle
post objects flattened with dotted keys (``statistics.actual.likeCount``).
"""

from __future__ import annotations

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import csv_score, text_head

_KIND_FLAG = """list_filter([CASE
    WHEN {url} LIKE '%facebook.com/groups/%' THEN 'facebook_group'
    WHEN {url} LIKE '%facebook.com/%' THEN 'facebook_page_or_profile'
    WHEN {url} LIKE '%instagram.com/%' THEN 'instagram_account' END,
    CASE WHEN cib_bool({verified}) THEN 'verified' END], lambda f: f IS NOT NULL)"""


class CrowdTangleShares(Adapter):
    name = "crowdtangle_shares"
    platform = "facebook"
    title = "CrowdTangle link shares as written by CooRnet/PyCooRnet (ct_shares CSV)"
    reader = "csv"
    source_hint = "CooRnet get_ctshares() / PyCooRnet ct_shares.csv"
    columns: tuple[str, ...] = (
        "id",
        "is_orig",
        "expanded",
        "date",
        "account.url",
        "account.name",
        "account.handle",
        "account.subscriberCount",
        "account.id",
        "account.platform",
        "account.platformId",
        "account.verified",
    )
    required_columns: tuple[str, ...] = ("id", "expanded", "date")

    def sniff(self, head: bytes) -> float:
        return csv_score(
            head,
            {"id", "expanded", "date", "account.platformid"},
            {"is_orig", "account.subscribercount"},
        )

    def stage_sql(self, stream: str) -> str:
        flags = _KIND_FLAG.format(url='"account.url"', verified='"account.verified"')
        # A post that shares several links is one row per link: every row carries the
        # post's full URL list, so whichever row the dedup keeps holds them all.
        return f"""
        SELECT * REPLACE (cib_unique(flatten(list(urls) OVER (
            PARTITION BY platform, post_id))) AS urls)
        FROM (SELECT seq, 'post' AS rec,
            coalesce(lower(cib_str("account.platform")), 'facebook') AS platform,
            cib_str(id) AS post_id,
            coalesce(cib_str("account.platformId"), cib_str("account.id")) AS account_id,
            cib_ts(date) AS created_at,
            'post' AS kind,
            list_filter([cib_str(expanded)], lambda u: u IS NOT NULL) AS urls,
            cib_str("account.handle") AS acct_handle,
            cib_str("account.name") AS acct_display_name,
            cib_str("account.url") AS acct_url,
            cib_int("account.subscriberCount") AS acct_followers,
            cib_bool("account.verified") AS acct_verified,
            {flags} AS acct_flags
        FROM {stream})"""


class CrowdTanglePostsJson(Adapter):
    name = "crowdtangle_posts_json"
    platform = "facebook"
    title = "CrowdTangle posts flattened to dotted keys (CooRnet/PyCooRnet JSON)"
    reader = "json"
    source_hint = "PyCooRnet ct_shares.json"

    def sniff(self, head: bytes) -> float:
        text = text_head(head)
        if text.startswith("[") and '"account.platformId"' in text and '"postUrl"' in text:
            return 0.9
        return 0.0

    def stage_sql(self, stream: str) -> str:
        def k(key: str) -> str:
            return f"(raw ->> '$.\"{key}\"')"

        flags = _KIND_FLAG.format(url=k("account.url"), verified=k("account.verified"))
        text = (
            "concat_ws(chr(10) || chr(10), cib_str(raw ->> '$.message'), "
            "cib_str(raw ->> '$.title'), cib_str(raw ->> '$.description'))"
        )
        return f"""
        SELECT seq, 'post' AS rec,
            coalesce(lower(raw ->> '$.platform'), 'facebook') AS platform,
            coalesce(raw ->> '$.platformId', raw ->> '$.id') AS post_id,
            coalesce({k("account.platformId")}, {k("account.id")}) AS account_id,
            cib_ts(raw ->> '$.date') AS created_at,
            'post' AS kind,
            nullif({text}, '') AS text,
            list_filter([raw ->> '$.expanded'], lambda u: u IS NOT NULL) AS urls,
            list_transform(coalesce(json_extract(raw, '$.media[*]'), []),
                lambda m: {{'url': m ->> '$.url', 'type': m ->> '$.type', 'hash': NULL}})
                AS media,
            cib_int({k("statistics.actual.likeCount")}) AS like_count,
            cib_int({k("statistics.actual.shareCount")}) AS repost_count,
            cib_int({k("statistics.actual.commentCount")}) AS reply_count,
            {k("account.handle")} AS acct_handle,
            {k("account.name")} AS acct_display_name,
            {k("account.url")} AS acct_url,
            {k("account.profileImage")} AS acct_profile_image_url,
            cib_int({k("account.subscriberCount")}) AS acct_followers,
            cib_bool({k("account.verified")}) AS acct_verified,
            {flags} AS acct_flags
        FROM {stream}"""


register(CrowdTangleShares())
register(CrowdTanglePostsJson())
