"""DDL of the case file. Bump SCHEMA_VERSION whenever a table changes shape."""

from __future__ import annotations

from cibscan.store.base import MEDIA_TYPE

SCHEMA_VERSION = 1

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS ingest_runs (
        run_id INTEGER PRIMARY KEY,
        path VARCHAR, file_name VARCHAR, sha256 VARCHAR, format VARCHAR, platform VARCHAR,
        pseudonymized BOOLEAN,
        n_read BIGINT, n_stored BIGINT, n_duplicates BIGINT, n_quarantined BIGINT,
        n_accounts BIGINT,
        started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, cibscan_version VARCHAR,
        status VARCHAR
    )""",
    f"""CREATE TABLE IF NOT EXISTS posts (
        platform VARCHAR NOT NULL,
        post_id VARCHAR NOT NULL,
        account_id VARCHAR,
        created_at TIMESTAMPTZ,
        time_precision VARCHAR,
        kind VARCHAR,
        text VARCHAR,
        text_norm VARCHAR,
        language VARCHAR,
        repost_of_post VARCHAR, repost_of_account VARCHAR,
        reply_to_post VARCHAR, reply_to_account VARCHAR,
        quote_of_post VARCHAR, quote_of_account VARCHAR,
        conversation_id VARCHAR,
        venue VARCHAR,
        urls VARCHAR[], urls_raw VARCHAR[], domains VARCHAR[],
        hashtags VARCHAR[], mentions VARCHAR[],
        media {MEDIA_TYPE},
        client VARCHAR,
        like_count BIGINT, repost_count BIGINT, reply_count BIGINT, quote_count BIGINT,
        view_count BIGINT,
        source_file VARCHAR, source_locator VARCHAR, source_format VARCHAR,
        ingest_run_id INTEGER
    )""",
    """CREATE TABLE IF NOT EXISTS accounts (
        platform VARCHAR NOT NULL,
        account_id VARCHAR NOT NULL,
        handle VARCHAR, display_name VARCHAR,
        created_at TIMESTAMPTZ,
        description VARCHAR, location VARCHAR, url VARCHAR,
        profile_image_url VARCHAR, profile_image_hash VARCHAR,
        followers BIGINT, following BIGINT, posts_count BIGINT,
        language VARCHAR, verified BOOLEAN, flags VARCHAR[],
        first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ,
        n_posts BIGINT,
        snapshot_at TIMESTAMPTZ,
        source_format VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS account_names (
        platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        handle VARCHAR, display_name VARCHAR,
        first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, source_format VARCHAR
    )""",
    # analyst verdicts (cibscan.store.labels); no detect run touches them
    """CREATE TABLE IF NOT EXISTS labels (
        label_id BIGINT, platform VARCHAR NOT NULL, account_id VARCHAR NOT NULL,
        verdict VARCHAR NOT NULL, cluster_id INTEGER, detect_run_id INTEGER,
        note VARCHAR, analyst VARCHAR, labelled_at TIMESTAMPTZ
    )""",
    """CREATE TABLE IF NOT EXISTS quarantine (
        ingest_run_id INTEGER, source_file VARCHAR, locator VARCHAR, format VARCHAR,
        reason VARCHAR, detail VARCHAR, severity VARCHAR, raw VARCHAR
    )""",
)

# Unique keys are enforced by the ingest merge (an anti-join), not by ART indexes: bulk
# loads into an indexed DuckDB table are several times slower, and the merge must count
# duplicates anyway.
