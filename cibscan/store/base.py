"""Store contract: what a case file holds and how its schema version is guarded.

A case is a DuckDB file with the tables in :mod:`cibscan.store.schema`. Its ``meta`` table
records ``schema_version`` and the cibscan version that created it. Opening a case whose
schema is newer than this cibscan understands fails with :class:`CaseError` rather than
risking a silent misread; an older schema is migrated forward in place.

Tables owned by ingest:
- ``accounts``: one row per (platform, account_id), latest snapshot of the profile.
- ``account_names``: every (handle, display_name) an account was seen with, and when.
- ``posts``: one row per (platform, post_id), the canonical post model.
- ``quarantine``: every record that was not stored, with its reason and raw text.
- ``ingest_runs``: one row per file ingested, with its sha256 and reconciled counts.
"""

from __future__ import annotations

# Canonical post columns in table order. Adapters produce a subset of them (by name); the
# ingest pipeline fills the rest with NULL and derives the normalised ones.
POST_COLUMNS: tuple[str, ...] = (
    "platform",
    "post_id",
    "account_id",
    "created_at",
    "time_precision",
    "kind",
    "text",
    "text_norm",
    "language",
    "repost_of_post",
    "repost_of_account",
    "reply_to_post",
    "reply_to_account",
    "quote_of_post",
    "quote_of_account",
    "conversation_id",
    "venue",
    "urls",
    "urls_raw",
    "domains",
    "hashtags",
    "mentions",
    "media",
    "client",
    "like_count",
    "repost_count",
    "reply_count",
    "quote_count",
    "view_count",
    "source_file",
    "source_locator",
    "source_format",
    "ingest_run_id",
)

# Account fields an adapter may fill, prefixed ``acct_`` in the staged rows.
ACCOUNT_FIELDS: tuple[str, ...] = (
    "handle",
    "display_name",
    "created_at",
    "description",
    "location",
    "url",
    "profile_image_url",
    "profile_image_hash",
    "followers",
    "following",
    "posts_count",
    "language",
    "verified",
    "flags",
)

POST_KINDS: tuple[str, ...] = ("post", "repost", "reply", "quote", "comment")
TIME_PRECISIONS: tuple[str, ...] = ("microsecond", "millisecond", "second", "minute", "day")

MEDIA_TYPE = "STRUCT(url VARCHAR, type VARCHAR, hash VARCHAR)[]"

# SQL types of the canonical columns that are not VARCHAR (one place: the stage table, the
# generic formats' casts and the DDL agree through these).
POST_TYPES: dict[str, str] = {
    "created_at": "TIMESTAMPTZ",
    "urls": "VARCHAR[]",
    "urls_raw": "VARCHAR[]",
    "domains": "VARCHAR[]",
    "hashtags": "VARCHAR[]",
    "mentions": "VARCHAR[]",
    "media": MEDIA_TYPE,
    "like_count": "BIGINT",
    "repost_count": "BIGINT",
    "reply_count": "BIGINT",
    "quote_count": "BIGINT",
    "view_count": "BIGINT",
    "ingest_run_id": "INTEGER",
}
ACCOUNT_TYPES: dict[str, str] = {
    "created_at": "TIMESTAMPTZ",
    "followers": "BIGINT",
    "following": "BIGINT",
    "posts_count": "BIGINT",
    "verified": "BOOLEAN",
    "flags": "VARCHAR[]",
}


def staged_type(column: str) -> str:
    """The SQL type of a staged column: a post column, or an ``acct_`` account field."""
    if column.startswith("acct_"):
        return ACCOUNT_TYPES.get(column[5:], "VARCHAR")
    return POST_TYPES.get(column, "VARCHAR")
