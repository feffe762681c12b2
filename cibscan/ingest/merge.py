"""Set-based SQL that stages an adapter's output and merges it into the case tables."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from cibscan import __version__
from cibscan.engine.base import Engine
from cibscan.ingest.base import Adapter
from cibscan.ingest.readers import RAW_KEEP_CHARS, Reject, Source
from cibscan.store.base import ACCOUNT_FIELDS, POST_COLUMNS, staged_type

if TYPE_CHECKING:
    from cibscan.ingest.pipeline import FileReport

log = logging.getLogger(__name__)

# Fields that identify a person and are dropped (not hashed) under --pseudonymize.
_DROPPED_WHEN_PSEUDONYMOUS = ("description", "location", "url", "profile_image_url")
_ACCOUNT_REFS = ("account_id", "repost_of_account", "reply_to_account", "quote_of_account")

_LOCATOR_WORD = {"lines": "line", "json": "item", "csv": "row", "parquet": "row"}
#: why a post without a usable time is quarantined (the range is cib_ts in normalize.py)
BAD_TIME = "missing, unparseable or implausible timestamp (before 1990 or after tomorrow)"


def _stage_ddl() -> str:
    cols = [f"{c} {staged_type(c)}" for c in POST_COLUMNS]
    cols += [f"acct_{c} {staged_type('acct_' + c)}" for c in ACCOUNT_FIELDS]
    cols += [
        "seq BIGINT",
        "rec VARCHAR",
        "reject VARCHAR",
        "detail VARCHAR",
        "severity VARCHAR",
        "raw VARCHAR",
    ]
    return f"CREATE TEMP TABLE _stage ({', '.join(cols)})"


def next_run_id(engine: Engine) -> int:
    return int(engine.fetchall("SELECT coalesce(max(run_id), 0) + 1 FROM ingest_runs")[0][0])


def _adapter_columns(engine: Engine, sql: str) -> set[str]:
    return {row[0] for row in engine.fetchall(f"DESCRIBE {sql}")}


def create_stage(engine: Engine) -> None:
    """Create the empty ``_stage`` table (dropping one left by a failed read)."""
    engine.execute("DROP TABLE IF EXISTS _stage")
    engine.execute(_stage_ddl())


def stage_select(
    engine: Engine,
    adapter: Adapter,
    relation: str,
    run_id: int,
    source_name: str,
    pseudonymous: bool,
) -> str:
    """The SELECT of normalised ``_stage`` rows: the adapter's SQL over ``relation`` (the
    raw records: the reader's stream or ``_raw``), wrapped by :func:`_normalising_select`.
    The adapter's columns are read off its SQL over the view ``_valid`` (over ``_raw``,
    which may be empty), since describing a query over a stream would need the stream."""
    engine.execute("CREATE OR REPLACE TEMP VIEW _valid AS SELECT * EXCLUDE (ok) FROM _raw WHERE ok")
    cols = _adapter_columns(engine, adapter.stage_sql("_valid"))
    missing = {"seq", "rec"} - cols
    if missing:
        raise ValueError(f"adapter {adapter.name} did not select {sorted(missing)}")
    select = _normalising_select(adapter, cols, run_id, source_name, pseudonymous)
    return f"SELECT {select} FROM ({adapter.stage_sql(relation)}) a"


def stage(
    engine: Engine, adapter: Adapter, run_id: int, source_name: str, pseudonymous: bool
) -> None:
    """Run the adapter over the valid records of ``_raw`` into ``_stage``, and stage the
    invalid JSON ones as rejects (the raw-first sources; see cibscan/ingest/loading.py)."""
    create_stage(engine)
    select = stage_select(engine, adapter, "_valid", run_id, source_name, pseudonymous)
    engine.execute(f"INSERT INTO _stage BY NAME {select}")
    engine.execute(
        "INSERT INTO _stage BY NAME SELECT seq, 'post' AS rec, 'invalid JSON' AS reject, "
        f"'error' AS severity, '{_LOCATOR_WORD[adapter.reader]} ' || seq AS source_locator "
        "FROM _raw WHERE NOT ok"
    )


#: each distinct URL list of the file's new posts, normalised (``n``), with its domains
#: (``d``), built by :func:`merge_posts` and joined back to the posts as they are stored
_URL_LISTS = """CREATE TEMP TABLE _urls AS
    WITH normed AS (
        SELECT raw, cib_norm_urls(raw) AS n FROM (
            SELECT DISTINCT urls_raw AS raw FROM _stage
            WHERE rec = 'post' AND reject IS NULL AND urls IS NULL AND len(urls_raw) > 0) d)
    SELECT raw, n, cib_unique(list_filter(list_transform(n,
        lambda x: cib_url_domain(x)), lambda x: x IS NOT NULL)) AS d FROM normed"""


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _normalising_select(
    adapter: Adapter, cols: set[str], run_id: int, source_name: str, pseudonymous: bool
) -> str:
    """The select list that wraps an adapter's output (columns ``cols``) for ``_stage``.

    It applies what every format shares, so that no adapter repeats it: URL, hashtag and
    mention normalisation, ``text_norm``, pseudonyms, the source columns, empty lists for
    absent list columns, typed NULLs for columns the adapter does not fill, and the generic
    reject rules (no post id, no account, no usable timestamp).
    """
    out: dict[str, str] = {"seq": "a.seq", "rec": "a.rec"}
    for c in POST_COLUMNS:
        if c in cols:
            out[c] = f"a.{c}"
    for c in ACCOUNT_FIELDS:
        if f"acct_{c}" in cols:
            out[f"acct_{c}"] = f"a.acct_{c}"
    out["platform"] = "a.platform" if "platform" in cols else _sql_literal(adapter.platform)
    for c in _ACCOUNT_REFS:
        if c in cols:
            out[c] = f"cib_pseudo(a.{c})"
    if "urls" in cols:
        # NULL until merge_posts: each distinct list is normalised once, not once a post
        # (URLs repeat: a viral link, a campaign's landing page; the URL regexes were the
        # stage's largest cost, 0.9 s of 2.1 s on 1M posts with a URL on a quarter of them)
        out["urls"] = "NULL"
        out["domains"] = "NULL"
        out["urls_raw"] = "a.urls"
    if "hashtags" in cols:
        out["hashtags"] = "cib_norm_tags(a.hashtags)"
    if "mentions" in cols:
        out["mentions"] = "list_transform(cib_norm_mentions(a.mentions), lambda x: cib_pseudo(x))"
    if "text" in cols and "text_norm" not in cols:
        out["text_norm"] = "cib_text_norm(a.text)"
    if "acct_handle" in cols and pseudonymous:
        out["acct_handle"] = "cib_pseudo(lower(a.acct_handle))"
    if "acct_display_name" in cols and pseudonymous:
        out["acct_display_name"] = "cib_pseudo(a.acct_display_name)"
    if pseudonymous:
        for c in _DROPPED_WHEN_PSEUDONYMOUS:
            out.pop(f"acct_{c}", None)
    # List columns are never NULL: an absent list is an empty one (simpler, safer SQL later).
    for name in ("urls", "urls_raw", "domains", "hashtags", "mentions", "media"):
        kind = (
            "STRUCT(url VARCHAR, type VARCHAR, hash VARCHAR)[]" if name == "media" else "VARCHAR[]"
        )
        if out.get(name) != "NULL":
            out[name] = f"coalesce({out[name]}, []::{kind})" if name in out else f"[]::{kind}"
    out["time_precision"] = "a.time_precision" if "time_precision" in cols else "'second'"
    word = _LOCATOR_WORD[adapter.reader]
    out["source_locator"] = (
        "a.source_locator" if "source_locator" in cols else f"'{word} ' || a.seq"
    )
    out["source_file"] = _sql_literal(source_name)
    out["source_format"] = _sql_literal(adapter.name)
    out["ingest_run_id"] = str(run_id)
    out["raw"] = "a.raw" if "raw" in cols else "NULL"
    out["detail"] = "a.detail" if "detail" in cols else "NULL"
    out["severity"] = "coalesce(a.severity, 'error')" if "severity" in cols else "'error'"
    adapter_reject = "a.reject" if "reject" in cols else "NULL"
    acct = "a.account_id" if "account_id" in cols else "NULL"
    post_id = "a.post_id" if "post_id" in cols else "NULL"
    created = "a.created_at" if "created_at" in cols else "NULL"
    out["reject"] = (
        f"coalesce({adapter_reject}, CASE "
        f"WHEN a.rec = 'post' AND nullif(trim({post_id}), '') IS NULL THEN 'missing post id' "
        f"WHEN nullif(trim({acct}), '') IS NULL THEN 'missing account id' "
        f"WHEN a.rec = 'post' AND {created} IS NULL THEN '{BAD_TIME}' "
        "END)"
    )
    return ", ".join(f"{expr} AS {name}" for name, expr in out.items())


def quarantine(
    engine: Engine,
    run_id: int,
    source_name: str,
    adapter: Adapter,
    sha256: str,
    reader_rejects: Sequence[Reject],
) -> None:
    """Replace earlier quarantine rows of the same file, then add this run's rejects."""
    engine.execute(
        "DELETE FROM quarantine WHERE ingest_run_id IN "
        "(SELECT run_id FROM ingest_runs WHERE sha256 = ? AND format = ?)",
        [sha256, adapter.name],
    )
    format_name = adapter.name
    # JSON readers keep each record's text in _raw.raw; tabular ones are shown as JSON rows.
    raw_text = "r.raw" if adapter.reader in ("lines", "json") else "to_json(r)::VARCHAR"
    if reader_rejects:
        engine.insert_arrow("_rejects", reader_rejects_table(reader_rejects), temp=True)
        engine.execute(
            "INSERT INTO quarantine SELECT ?, ?, locator, ?, reason, detail, severity, raw "
            "FROM _rejects",
            [run_id, source_name, format_name],
        )
    engine.execute(
        f"""INSERT INTO quarantine
        SELECT ?, ?, s.source_locator, ?, s.reject, s.detail, s.severity,
               left(coalesce(s.raw, {raw_text}), {RAW_KEEP_CHARS})
        FROM _stage s LEFT JOIN _raw r ON r.seq = s.seq
        WHERE s.reject IS NOT NULL""",
        [run_id, source_name, format_name],
    )


#: why every row of a damaged compressed file is quarantined
CORRUPT_STREAM = "read from a corrupt compressed file (checksum or data error): not trusted"


def distrust(engine: Engine, fault: str) -> None:
    """Quarantine every staged row of the source (see :data:`CORRUPT_STREAM`)."""
    engine.execute(
        "UPDATE _stage SET reject = ?, detail = ?, severity = 'error' WHERE reject IS NULL",
        [CORRUPT_STREAM, fault],
    )


def merge_posts(engine: Engine, rep: FileReport) -> None:
    """Insert the file's new posts; count everything so that the totals reconcile.

    The in-file dedup (a window) and the anti-join against the case run only when needed:
    both cost more than the checks that decide whether they are needed.
    """
    valid_posts, distinct_posts = engine.fetchall(
        "SELECT count(*), count(DISTINCT (platform, post_id)) FROM _stage "
        "WHERE rec = 'post' AND reject IS NULL"
    )[0]
    engine.execute(_URL_LISTS)
    source = "SELECT * FROM _stage WHERE rec = 'post' AND reject IS NULL"
    if distinct_posts < valid_posts:
        source += " QUALIFY row_number() OVER (PARTITION BY platform, post_id ORDER BY seq) = 1"
    lists = {"urls": "u.n", "domains": "u.d"}
    columns = ", ".join(
        f"coalesce(s.{c}, {lists[c]}, []::VARCHAR[]) AS {c}" if c in lists else f"s.{c}"
        for c in POST_COLUMNS
    )
    source = f"SELECT {columns} FROM ({source}) s LEFT JOIN _urls u ON s.urls_raw = u.raw"
    if engine.fetchall("SELECT count(*) FROM posts")[0][0]:
        source = (
            f"SELECT q.* FROM ({source}) q ANTI JOIN posts p "
            "ON p.platform = q.platform AND p.post_id = q.post_id"
        )
    engine.execute(f"INSERT INTO posts BY NAME {source}")
    counts = engine.fetchall(
        """SELECT
            count(*) FILTER (WHERE reject IS NULL AND rec = 'account'),
            count(DISTINCT (platform, account_id)) FILTER (WHERE reject IS NULL
                                                           AND rec = 'account'),
            count(*) FILTER (WHERE reject IS NOT NULL),
            count(*) FILTER (WHERE reject IS NOT NULL AND severity = 'unsupported'),
            count(*)
        FROM _stage"""
    )[0]
    account_recs, account_keys, rejected, unsupported, staged = (int(x) for x in counts)
    n_new = int(
        engine.fetchall("SELECT count(*) FROM posts WHERE ingest_run_id = ?", [rep.run_id])[0][0]
    )
    # An account record about an account the case already holds updates its profile (see
    # merge_accounts) and counts as a duplicate; one about a new account counts as stored.
    known_accounts = int(
        engine.fetchall(
            """SELECT count(*) FROM (SELECT DISTINCT platform, account_id FROM _stage
               WHERE reject IS NULL AND rec = 'account') s
               SEMI JOIN accounts a ON a.platform = s.platform AND a.account_id = s.account_id"""
        )[0][0]
    )
    reader_rejects = (
        int(
            engine.fetchall(
                "SELECT count(*) FROM quarantine WHERE ingest_run_id = ?", [rep.run_id]
            )[0][0]
        )
        - rejected
    )
    rep.read = staged + reader_rejects
    rep.stored_posts = n_new
    rep.stored_accounts = account_keys - known_accounts
    rep.stored = rep.stored_posts + rep.stored_accounts
    rep.duplicates = (valid_posts - n_new) + (account_recs - account_keys) + known_accounts
    rep.quarantined = rejected + reader_rejects
    rep.unsupported = unsupported


def _snapshot_value(field: str) -> str:
    return (
        f"CASE WHEN a.snapshot_at IS NULL OR n.snapshot_at >= a.snapshot_at "
        f"THEN coalesce(n.{field}, a.{field}) ELSE coalesce(a.{field}, n.{field}) END"
    )


def merge_accounts(engine: Engine, run_id: int) -> int:
    """Merge account snapshots (latest wins, field by field) and name history."""
    # the latest snapshot's value; of two records of the same time the later in the file
    # (seq): arg_max over the time alone picked either, and two ingests of one file could
    # store different follower counts (benchmarks/compare_cases.py found one in 20,000)
    picks = ", ".join(
        f"arg_max(acct_{f}, {{'snap': snap, 'seq': seq}}) "
        f"FILTER (WHERE acct_{f} IS NOT NULL AND snap IS NOT NULL) AS {f}"
        for f in ACCOUNT_FIELDS
    )
    engine.execute(
        f"""CREATE TEMP TABLE _acct AS
        WITH v AS (
            SELECT *, CASE WHEN rec = 'account' THEN coalesce(created_at, now())
                           ELSE created_at END AS snap
            FROM _stage WHERE reject IS NULL
        ), fresh AS (
            SELECT platform, account_id, count(*) AS n_posts FROM posts
            WHERE ingest_run_id = {run_id} GROUP BY ALL
        )
        SELECT v.platform, v.account_id, {picks},
               max(snap) AS snapshot_at,
               min(v.created_at) FILTER (WHERE rec = 'post') AS first_seen,
               max(v.created_at) FILTER (WHERE rec = 'post') AS last_seen,
               coalesce(any_value(fresh.n_posts), 0) AS n_posts,
               any_value(source_format) AS source_format
        FROM v LEFT JOIN fresh USING (platform, account_id)
        GROUP BY v.platform, v.account_id"""
    )
    updates = ", ".join(f"{f} = {_snapshot_value(f)}" for f in ACCOUNT_FIELDS)
    engine.execute(
        f"""MERGE INTO accounts a USING _acct n
        ON a.platform = n.platform AND a.account_id = n.account_id
        WHEN MATCHED THEN UPDATE SET {updates},
            first_seen = least(a.first_seen, n.first_seen),
            last_seen = greatest(a.last_seen, n.last_seen),
            n_posts = coalesce(a.n_posts, 0) + n.n_posts,
            snapshot_at = greatest(a.snapshot_at, n.snapshot_at)
        WHEN NOT MATCHED THEN INSERT BY NAME"""
    )
    engine.execute(
        """CREATE TEMP TABLE _names AS
        SELECT platform, account_id, acct_handle AS handle, acct_display_name AS display_name,
               min(CASE WHEN rec = 'post' THEN created_at END) AS first_seen,
               max(CASE WHEN rec = 'post' THEN created_at END) AS last_seen,
               any_value(source_format) AS source_format
        FROM _stage
        WHERE reject IS NULL AND (acct_handle IS NOT NULL OR acct_display_name IS NOT NULL)
        GROUP BY ALL"""
    )
    engine.execute(
        """MERGE INTO account_names a USING _names n
        ON a.platform = n.platform AND a.account_id = n.account_id
           AND a.handle IS NOT DISTINCT FROM n.handle
           AND a.display_name IS NOT DISTINCT FROM n.display_name
        WHEN MATCHED THEN UPDATE SET first_seen = least(a.first_seen, n.first_seen),
                                     last_seen = greatest(a.last_seen, n.last_seen)
        WHEN NOT MATCHED THEN INSERT BY NAME"""
    )
    return int(engine.fetchall("SELECT count(*) FROM _acct")[0][0])


def record_run(
    engine: Engine, rep: FileReport, source: Source, started: datetime, pseudonymized: bool
) -> None:
    engine.execute(
        "INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            rep.run_id,
            str(source.path),
            source.member or source.path.name,
            rep.sha256,
            rep.format,
            rep.platform,
            pseudonymized,
            rep.read,
            rep.stored,
            rep.duplicates,
            rep.quarantined,
            rep.accounts,
            started,
            datetime.now(UTC),
            __version__,
            "complete",
        ],
    )


def reader_rejects_table(rejects: Sequence[Reject]) -> pa.Table:
    """Reader rejects as an Arrow table for the quarantine insert."""
    names = ("locator", "reason", "detail", "severity", "raw")
    return pa.table({n: pa.array([getattr(r, n) for r in rejects], pa.string()) for n in names})
