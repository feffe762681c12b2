"""4CAT's CSV exports of Zeeschuimer datasets: TikTok, Instagram, Pinterest, X and Douyin.

4CAT maps each captured item to a flat row (its data sources' ``map_item``) and writes the
rows as CSV: lists joined with commas, booleans as ``yes``/``no``, ``timestamp`` as the
4CAT server's local time (so ``unix_timestamp`` is read instead), and missing values empty.
That is the generic CSV format with a fixed column map a data source, so each one is a
:class:`~cibscan.ingest.generic.GenericCsv` with its map preset and a sniffer on the columns
only that data source writes. ``--option FIELD=COLUMN`` still overrides a preset mapping.

The flat rows hold less than the NDJSON captures: no media hashes (TikTok's sound id is a
column, but the CSV has no media field), no reposted post's id for X retweets (only the
retweeted user's name: the retweet is known by ``is_retweet`` and keeps the ``RT @user:``
text 4CAT writes). Instagram rows are keyed by ``author_id``, X rows by ``author_id``,
Douyin rows by ``author_user_id``, TikTok and Pinterest rows by the username, as the NDJSON
adapters key them, so both exports of one dataset merge. RedNote's CSV names its authors by
nickname only and is not read (use the NDJSON capture).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from cibscan.ingest.base import Adapter, register
from cibscan.ingest.generic import GenericCsv
from cibscan.ingest.sniffing import csv_score


class FourCatCsv(GenericCsv):
    """A 4CAT CSV export of one data source (see the module docstring)."""

    #: canonical field -> 4CAT column
    preset: ClassVar[dict[str, str]]
    #: columns every export of the data source has, and some only it has
    required: ClassVar[frozenset[str]]
    distinctive: ClassVar[frozenset[str]] = frozenset()
    #: 4CAT columns saying "yes" for a repost, a quote, a reply (X only)
    kind_flags: ClassVar[tuple[str, str, str] | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.mapping = dict(self.preset)
        self.separator = ","
        self.fills = (*self.preset, "kind")
        self._set_columns()

    def sniff(self, head: bytes) -> float:
        return csv_score(head, set(self.required), self.distinctive)

    def configure(self, options: Mapping[str, str]) -> Adapter:
        merged = {**self.preset, "list_separator": ",", **options}
        return super().configure(merged)

    def _expr(self, field: str, source: str) -> str:
        if field == "kind" and self.kind_flags is not None and source == "__kind__":
            repost, quote, reply = (self._value(c) for c in self.kind_flags)
            return (
                f"CASE WHEN cib_bool({repost}) THEN 'repost' WHEN cib_bool({quote}) "
                f"THEN 'quote' WHEN cib_bool({reply}) THEN 'reply' ELSE 'post' END"
            )
        return super()._expr(field, source)

    def _set_columns(self) -> None:
        super()._set_columns()
        if self.kind_flags is not None:  # the kind is computed from three flag columns
            self.columns = tuple(c for c in self.columns if c != "__kind__") + self.kind_flags


class FourCatTikTok(FourCatCsv):
    name = "fourcat_tiktok_csv"
    platform = "tiktok"
    title = "4CAT CSV export of a TikTok (Zeeschuimer) dataset"
    source_hint = "4CAT tiktok data source, Download CSV"
    preset: ClassVar[dict[str, str]] = {
        "post_id": "id",
        "account_id": "author",
        "created_at": "unix_timestamp",
        "text": "body",
        "hashtags": "hashtags",
        "like_count": "likes",
        "reply_count": "comments",
        "repost_count": "shares",
        "view_count": "plays",
        "acct_handle": "author",
        "acct_display_name": "author_full",
        "acct_followers": "author_followers",
    }
    required = frozenset({"id", "author", "body", "unix_timestamp", "tiktok_url", "music_id"})
    distinctive = frozenset({"author_full", "plays", "is_duet"})


class FourCatInstagram(FourCatCsv):
    name = "fourcat_instagram_csv"
    platform = "instagram"
    title = "4CAT CSV export of an Instagram (Zeeschuimer) dataset"
    source_hint = "4CAT instagram data source, Download CSV"
    preset: ClassVar[dict[str, str]] = {
        "post_id": "id",
        "account_id": "author_id",
        "created_at": "unix_timestamp",
        "text": "body",
        "hashtags": "hashtags",
        "mentions": "usertags",
        "like_count": "num_likes",
        "reply_count": "num_comments",
        "view_count": "play_count",
        "acct_handle": "author",
        "acct_display_name": "author_fullname",
        "acct_verified": "verified",
    }
    required = frozenset({"id", "author", "body", "unix_timestamp", "num_likes", "media_type"})
    distinctive = frozenset({"author_id", "usertags", "likes_hidden", "location_name"})


class FourCatPinterest(FourCatCsv):
    name = "fourcat_pinterest_csv"
    platform = "pinterest"
    title = "4CAT CSV export of a Pinterest (Zeeschuimer) dataset"
    source_hint = "4CAT pinterest data source, Download CSV"
    preset: ClassVar[dict[str, str]] = {
        "post_id": "id",
        "account_id": "author",
        "created_at": "unix_timestamp",
        "text": "body",
        "venue": "board_url",
        "acct_handle": "author",
        "acct_display_name": "author_fullname",
    }
    required = frozenset({"id", "author", "body", "board", "idea_tags", "unix_timestamp"})
    distinctive = frozenset({"pinner_original", "pinner_via", "dominant_colour"})


class FourCatX(FourCatCsv):
    name = "fourcat_x_csv"
    platform = "twitter"
    title = "4CAT CSV export of an X/Twitter (Zeeschuimer) dataset"
    source_hint = "4CAT twitter-import data source, Download CSV"
    preset: ClassVar[dict[str, str]] = {
        "post_id": "id",
        "account_id": "author_id",
        "created_at": "unix_timestamp",
        "kind": "__kind__",
        "text": "body",
        "language": "language_guess",
        "conversation_id": "thread_id",
        "quote_of_post": "quote_tweet_id",
        "client": "source",
        "urls": "urls",
        "hashtags": "hashtags",
        "mentions": "mentions",
        "like_count": "like_count",
        "repost_count": "retweet_count",
        "reply_count": "reply_count",
        "quote_count": "quote_count",
        "view_count": "impression_count",
        "acct_handle": "author",
        "acct_display_name": "author_fullname",
    }
    kind_flags = ("is_retweet", "is_quote_tweet", "is_reply")
    required = frozenset({"id", "author_id", "body", "unix_timestamp", "is_retweet"})
    distinctive = frozenset({"retweeted_user", "quote_tweet_id", "impression_count"})


class FourCatDouyin(FourCatCsv):
    name = "fourcat_douyin_csv"
    platform = "douyin"
    title = "4CAT CSV export of a Douyin (Zeeschuimer) dataset"
    source_hint = "4CAT douyin data source, Download CSV"
    preset: ClassVar[dict[str, str]] = {
        "post_id": "id",
        "account_id": "author_user_id",
        "created_at": "unix_timestamp",
        "text": "body",
        "hashtags": "hashtags",
        "like_count": "digg_count",
        "reply_count": "comment_count",
        "repost_count": "share_count",
        "view_count": "play_count",
        "acct_display_name": "author_nickname",
        "acct_url": "author_profile_url",
    }
    required = frozenset({"id", "author_user_id", "body", "unix_timestamp", "post_url"})
    distinctive = frozenset({"digg_count", "collect_count", "part_of_collection"})


for _adapter in (FourCatTikTok, FourCatInstagram, FourCatPinterest, FourCatX, FourCatDouyin):
    register(_adapter())
