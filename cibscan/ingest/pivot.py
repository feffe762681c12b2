"""The peer tools' input tables, so that the same data can be run through cibscan and them.

- ``coortweet``: CooRTweet / CSDS input (``account_id, content_id, object_id,
  timestamp_share``). ``object_id`` is the shared object; option ``object`` says what it is:
  ``repost`` (default: the reposted post, as in the Russian coordinated-retweet data), ``url``,
  ``hashtag`` or ``text`` (a hash of normalised text). Option ``platform`` (default twitter).
- ``coortweet_prepared``: the anonymised German-election table shipped with CooRTweet
  (``account_id, post_id, url_id, hashtag_id, domain_id, phash_id, timestamp``); the ``tw_`` /
  ``fb_`` account prefix gives the platform. Anonymised URL ids become opaque URLs
  ``https://d<domain_id>.invalid/u<url_id>`` under the reserved ``.invalid`` top-level domain,
  so that equal ids stay equal after URL normalisation and the domain id survives as the
  domain; perceptual-hash ids become image media hashes. A post with several URLs or hashtags
  is one row per value: every row carries the post's full lists, and rows beyond the first
  count as duplicates.
- ``cnt_csv``: coordination-network-toolkit's CSV (``message_id, user_id, username,
  repost_id, reply_id, message, timestamp, urls``; URLs space-separated).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.sniffing import csv_score

_OBJECTS = ("repost", "url", "hashtag", "text")


class CooRTweet(Adapter):
    name = "coortweet"
    platform = "twitter"
    title = "CooRTweet/CSDS input table (account_id, content_id, object_id, timestamp_share)"
    reader = "csv"
    source_hint = "CooRTweet prep_data() output, CSDS input"
    columns: tuple[str, ...] = (
        "account_id",
        "content_id",
        "object_id",
        "timestamp_share",
    )
    required_columns: tuple[str, ...] = columns
    object_kind: str = "repost"
    platform_name: str = "twitter"

    def sniff(self, head: bytes) -> float:
        return csv_score(head, {"account_id", "content_id", "object_id", "timestamp_share"})

    def configure(self, options: Mapping[str, str]) -> Adapter:
        unknown = set(options) - {"object", "platform"}
        if unknown:
            raise ValueError(f"format coortweet takes options object, platform; not {unknown}")
        configured = copy.copy(self)
        configured.object_kind = options.get("object", "repost")
        if configured.object_kind not in _OBJECTS:
            raise ValueError(f"object must be one of {', '.join(_OBJECTS)}")
        configured.platform_name = options.get("platform", "twitter").lower()
        return configured

    def stage_sql(self, stream: str) -> str:
        obj = "cib_str(object_id)"
        kind = self.object_kind
        platform = self.platform_name.replace("'", "''")
        return f"""
        SELECT seq, 'post' AS rec, '{platform}' AS platform,
            cib_str(content_id) AS post_id,
            cib_str(account_id) AS account_id,
            cib_ts(timestamp_share) AS created_at,
            {"'repost'" if kind == "repost" else "'post'"} AS kind,
            {obj if kind == "repost" else "NULL"} AS repost_of_post,
            {f"[{obj}]" if kind == "url" else "[]"} AS urls,
            {f"[{obj}]" if kind == "hashtag" else "[]"} AS hashtags,
            {obj if kind == "text" else "NULL"} AS text
        FROM {stream}"""


class CooRTweetPrepared(Adapter):
    name = "coortweet_prepared"
    platform = "twitter"
    title = "CooRTweet's anonymised multi-platform table (German election 2021 data)"
    reader = "csv"
    source_hint = "CooRTweet package data german_elections"
    columns: tuple[str, ...] = (
        "account_id",
        "post_id",
        "url_id",
        "hashtag_id",
        "domain_id",
        "phash_id",
        "timestamp",
    )
    required_columns: tuple[str, ...] = ("account_id", "post_id", "timestamp")

    def sniff(self, head: bytes) -> float:
        return csv_score(
            head,
            {"account_id", "post_id", "url_id", "hashtag_id", "timestamp"},
            {"phash_id", "domain_id"},
        )

    def stage_sql(self, stream: str) -> str:
        lists = "PARTITION BY platform, post_id"
        return f"""
        SELECT * REPLACE (
            cib_unique(flatten(list(urls) OVER ({lists}))) AS urls,
            cib_unique(flatten(list(hashtags) OVER ({lists}))) AS hashtags,
            cib_unique(flatten(list(media) OVER ({lists}))) AS media)
        FROM (SELECT seq, 'post' AS rec,
            CASE WHEN account_id LIKE 'fb\\_%' ESCAPE '\\' THEN 'facebook'
                 WHEN account_id LIKE 'tw\\_%' ESCAPE '\\' THEN 'twitter'
                 ELSE 'unknown' END AS platform,
            cib_str(post_id) AS post_id,
            cib_str(account_id) AS account_id,
            cib_ts(timestamp) AS created_at,
            'post' AS kind,
            CASE WHEN cib_str(url_id) IS NULL THEN []::VARCHAR[]
                 ELSE ['https://d' || coalesce(cib_str(domain_id), 'x') || '.invalid/u'
                       || cib_str(url_id)] END AS urls,
            CASE WHEN cib_str(hashtag_id) IS NULL THEN []::VARCHAR[]
                 ELSE ['h' || cib_str(hashtag_id)] END AS hashtags,
            CASE WHEN cib_str(phash_id) IS NULL
                 THEN []::STRUCT(url VARCHAR, type VARCHAR, hash VARCHAR)[]
                 ELSE [{{'url': NULL, 'type': 'image', 'hash': 'p' || cib_str(phash_id)}}]
                 END AS media
        FROM {stream})"""


class CoordinationNetworkToolkitCsv(Adapter):
    name = "cnt_csv"
    platform = "twitter"
    title = "coordination-network-toolkit CSV (message_id, user_id, ..., urls)"
    reader = "csv"
    source_hint = "compute_networks preprocess --formatter csv input"
    columns: tuple[str, ...] = (
        "message_id",
        "user_id",
        "username",
        "repost_id",
        "reply_id",
        "message",
        "timestamp",
        "urls",
    )
    required_columns: tuple[str, ...] = ("message_id", "user_id", "timestamp")

    def sniff(self, head: bytes) -> float:
        return csv_score(head, {"message_id", "user_id", "repost_id", "reply_id", "timestamp"})

    def stage_sql(self, stream: str) -> str:
        return f"""
        SELECT seq, 'post' AS rec,
            cib_str(message_id) AS post_id,
            cib_str(user_id) AS account_id,
            cib_ts(timestamp) AS created_at,
            CASE WHEN cib_str(repost_id) IS NOT NULL THEN 'repost'
                 WHEN cib_str(reply_id) IS NOT NULL THEN 'reply' ELSE 'post' END AS kind,
            message AS text,
            cib_str(repost_id) AS repost_of_post,
            cib_str(reply_id) AS reply_to_post,
            list_filter(string_split(coalesce(urls, ''), ' '), lambda u: u <> '') AS urls,
            cib_str(username) AS acct_handle
        FROM {stream}"""


register(CooRTweet())
register(CooRTweetPrepared())
register(CoordinationNetworkToolkitCsv())
