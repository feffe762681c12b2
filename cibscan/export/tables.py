"""Tabular exports of the findings: accounts, edges, clusters and evidence as CSV, Parquet, JSON.

The column contracts are documented in ``docs/outputs.md`` and checked by tests; change them
only with a CHANGELOG entry. Accounts and posts are named by the platform's own ids as
ingested (for example the IO archive's ``userid``), never by cibscan's internal keys.

Post text, handles, objects and ids are attacker-written (an account id is free text in
Telegram exports and generic CSV). In CSV files every text cell that a spreadsheet would run
as a formula (:data:`FORMULA_PATTERN`) is prefixed with a single quote, whatever its column
(:func:`csv_safe_sql`); Parquet, JSON and JSON Lines keep the exact values.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from cibscan.engine import Engine
from cibscan.export.base import Exporter, register
from cibscan.score.scores import signal_score_columns, tell_score_columns
from cibscan.store import Case

log = logging.getLogger(__name__)

#: characters of post text kept in evidence exports
TEXT_CHARS = 280


#: the cells a spreadsheet would run as a formula (RE2): one starting with ``=``, a tab or
#: a carriage return; one starting with ``+`` or ``-`` that calls a function (``-2+SUM(``,
#: ``+HYPERLINK(``) or holds a pipe (DDE: ``+cmd|' /C calc'!A0``); one starting with ``@``
#: followed at once by a function call (``@SUM(1+1)``) or holding a pipe. A reply or a
#: mention-led post (``@alice thanks``), a bullet (``- first``) or a number (``-4.5``)
#: stays as written: guarding every ``@`` cell changed 517 evidence texts of the demo.
FORMULA_PATTERN = (
    r"^(?s:[=\t\r]|[+\-].*(?:[A-Za-z_][A-Za-z0-9_.]*\(|\|)"
    r"|@(?:[A-Za-z_][A-Za-z0-9_.]*\(|.*\|))"
)


def _formula_guard(expr: str) -> str:
    """``expr`` (text) with a leading single quote when a spreadsheet would run it
    (:data:`FORMULA_PATTERN`)."""
    pattern = FORMULA_PATTERN.replace("'", "''")
    return f"CASE WHEN regexp_matches({expr}, '{pattern}') THEN '''' || {expr} ELSE {expr} END"


def csv_safe_sql(engine: Engine, sql: str) -> str:
    """``sql`` with every text column guarded against spreadsheet formulas.

    Every CSV cibscan writes goes through it (findings tables, matches, hunt hits), so that
    ids, handles, URLs and objects are guarded as post text is, and a column added later is
    guarded too. Numbers, booleans and times cannot start a formula and are left as they are.
    """
    schema = engine.fetch_arrow(f"SELECT * FROM ({sql}) AS q LIMIT 0").schema
    columns = []
    for f in schema:
        name = '"' + f.name.replace('"', '""') + '"'
        text = pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        columns.append(f"{_formula_guard('q.' + name)} AS {name}" if text else f"q.{name}")
    return f"SELECT {', '.join(columns)} FROM ({sql}) AS q"


def _run_params(engine: Engine) -> dict[str, Any]:
    rows = engine.fetchall("SELECT params FROM detect_runs ORDER BY run_id DESC LIMIT 1")
    return dict(json.loads(rows[0][0])) if rows else {}


def run_signal_names(engine: Engine) -> list[str]:
    """The signals of the latest detect run, in run order."""
    return list(_run_params(engine).get("signal_order", []))


def run_tell_names(engine: Engine) -> list[str]:
    """The tells of the latest detect run, in run order (none before cibscan 0.3)."""
    if not engine.table_exists("account_tells"):
        return []
    return list(_run_params(engine).get("tell_order", []))


def accounts_sql(engine: Engine) -> str:
    """platform, account_id, handle, score, flagged, cluster_id, reasons, score_<signal>...,
    score_<tell>..."""
    tell_names = run_tell_names(engine)
    pivots = ", ".join(
        c
        for c in (
            signal_score_columns(run_signal_names(engine)),
            tell_score_columns(tell_names),
        )
        if c
    )
    tells_join = "LEFT JOIN account_tells AS tt ON tt.acct = s.acct" if tell_names else ""
    return f"""SELECT s.platform, s.account_id, any_value(a.handle) AS handle,
               round(s.score, 6) + 0.0 AS score, s.flagged, s.cluster_id,
               s.reasons AS reasons{", " + pivots if pivots else ""}
        FROM account_scores AS s
        LEFT JOIN accounts AS a USING (platform, account_id)
        LEFT JOIN account_signal_scores AS ss ON ss.acct = s.acct
        {tells_join}
        GROUP BY s.acct, s.platform, s.account_id, s.score, s.flagged, s.cluster_id, s.reasons
        ORDER BY s.score DESC, s.platform, s.account_id"""


def _account_columns(side: str) -> str:
    return f"""i{side}.platform AS platform_{side}, i{side}.account_id AS account_id_{side},
               h{side}.handle AS handle_{side}"""


def _account_joins(side: str, pair_alias: str = "e") -> str:
    return f"""JOIN account_index AS i{side} ON i{side}.acct = {pair_alias}.{side}
        LEFT JOIN accounts AS h{side}
          ON h{side}.platform = i{side}.platform AND h{side}.account_id = i{side}.account_id"""


def edges_sql(engine: Engine) -> str:
    """One row per significant account pair, with its layers and timing."""
    return f"""SELECT {_account_columns("a")}, {_account_columns("b")},
               round(e.strength, 6) AS strength, CAST(printf('%.6g', e.q) AS DOUBLE) AS p_value,
               round(e.weight, 6) AS weight,
               e.n_shared, array_to_string(e.layers, ';') AS layers, e.n_layers,
               e.min_dt AS min_gap_seconds, to_timestamp(e.first_t) AS first_time,
               to_timestamp(e.last_t) AS last_time,
               CASE WHEN ca.cluster_id = cb.cluster_id THEN ca.cluster_id END AS cluster_id
        FROM edges AS e {_account_joins("a")} {_account_joins("b")}
        LEFT JOIN account_clusters AS ca ON ca.acct = e.a
        LEFT JOIN account_clusters AS cb ON cb.acct = e.b
        ORDER BY e.strength DESC, platform_a, account_id_a, platform_b, account_id_b"""


def clusters_sql(engine: Engine) -> str:
    """One row per cluster, ranked by score: size, footprint per platform, layers, timing."""
    return """WITH footprint AS (
            SELECT cluster_id, string_agg(platform || ': ' || n, '; ' ORDER BY n DESC, platform)
                   AS footprint
            FROM (SELECT c.cluster_id, i.platform, count(*) AS n
                  FROM account_clusters AS c JOIN account_index AS i USING (acct)
                  GROUP BY c.cluster_id, i.platform) AS per_platform
            GROUP BY cluster_id)
        SELECT c.cluster_id, c.size, round(c.score, 6) AS score, c.n_flagged,
               f.footprint, array_to_string(c.platforms, ';') AS platforms,
               array_to_string(c.layers, ';') AS layers, c.n_edges, round(c.density, 6) AS density,
               round(c.synchrony, 6) AS synchrony, c.median_min_dt AS median_min_gap_seconds,
               to_timestamp(c.first_t) AS first_time, to_timestamp(c.last_t) AS last_time
        FROM clusters AS c LEFT JOIN footprint AS f USING (cluster_id)
        ORDER BY c.score DESC, c.size DESC, c.cluster_id"""


def _post_columns(side: str) -> str:
    return f"""v.post_{side}, to_timestamp(v.t_{side}) AS time_{side},
               left(p{side}.text, {TEXT_CHARS}) AS text_{side},
               array_to_string(p{side}.urls, ' ') AS urls_{side}"""


def evidence_sql(engine: Engine, source: str = "evidence", carry: tuple[str, ...] = ()) -> str:
    """The shared items behind every significant pair: both posts, their texts, the gap.

    ``source`` is where the evidence rows come from: the whole ``evidence`` table, or a
    parenthesised subquery of it. The workbench passes the few rows one page shows, so that
    the joins with posts and accounts run on those rows only, not on every item. ``carry``
    names columns of ``source`` passed through after the export's (the browse index keeps
    which account a row is shown for)."""
    carried = "".join(f", v.{column}" for column in carry)
    return f"""SELECT v.signal, {_account_columns("a")}, {_account_columns("b")},
               left(v.object, {TEXT_CHARS}) AS object,
               v.object_accounts, v.dt AS gap_seconds,
               {_post_columns("a")}, {_post_columns("b")}{carried}
        FROM {source} AS v
        JOIN pairs AS s ON s.signal = v.signal AND s.a = v.a AND s.b = v.b AND s.significant
        {_account_joins("a", "v")} {_account_joins("b", "v")}
        LEFT JOIN posts AS pa ON pa.platform = ia.platform AND pa.post_id = v.post_a
        LEFT JOIN posts AS pb ON pb.platform = ib.platform AND pb.post_id = v.post_b
        ORDER BY s.strength DESC, v.signal, platform_a, account_id_a, platform_b, account_id_b,
                 v.object_accounts, v.dt, v.object, v.post_a, v.post_b"""


def evidence_clusters_sql(engine: Engine) -> str:
    """:func:`evidence_sql`'s rows with the cluster of each side (``cluster_a``,
    ``cluster_b``) and whether account a is flagged (``flagged_a``): what the report and the
    STIX bundle scope evidence by."""
    return f"""SELECT sa.cluster_id AS cluster_a, sb.cluster_id AS cluster_b,
               sa.flagged AS flagged_a, e.*
        FROM ({evidence_sql(engine)}) AS e
        JOIN account_scores AS sa
          ON sa.platform = e.platform_a AND sa.account_id = e.account_id_a
        JOIN account_scores AS sb
          ON sb.platform = e.platform_b AND sb.account_id = e.account_id_b"""


def nodes_sql(engine: Engine) -> str:
    """The accounts of the network: every account with a significant tie, or flagged.

    One row per account with what Gephi users and the report expect of a node: platform,
    ids, names, creation date, cluster, score and flag. ``node_id`` is ``platform:account_id``
    (unique across platforms; the edges of :func:`network_edges_sql` use the same ids);
    ``acct`` is the engine's account key, for joins with ``edges`` (not exported).
    """
    return """WITH members AS (
            SELECT a AS acct FROM edges UNION SELECT b FROM edges
            UNION SELECT acct FROM account_scores WHERE flagged)
        SELECT s.platform || ':' || s.account_id AS node_id, s.platform, s.account_id,
               any_value(h.handle) AS handle, any_value(h.display_name) AS display_name,
               any_value(h.created_at) AS created_at, s.cluster_id, s.score, s.flagged,
               s.reasons, s.acct
        FROM members AS m JOIN account_scores AS s USING (acct)
        LEFT JOIN accounts AS h USING (platform, account_id)
        GROUP BY s.acct, s.platform, s.account_id, s.cluster_id, s.score, s.flagged, s.reasons
        ORDER BY s.score DESC, s.platform, s.account_id"""


def network_edges_sql(engine: Engine) -> str:
    """The significant ties between :func:`nodes_sql` nodes, with layers and timing."""
    return """SELECT ia.platform || ':' || ia.account_id AS source,
               ib.platform || ':' || ib.account_id AS target,
               e.strength, e.q AS p_value, e.weight, e.n_shared, e.layers, e.n_layers,
               e.min_dt AS min_gap_seconds, to_timestamp(e.first_t) AS first_time,
               to_timestamp(e.last_t) AS last_time
        FROM edges AS e
        JOIN account_index AS ia ON ia.acct = e.a
        JOIN account_index AS ib ON ib.acct = e.b
        ORDER BY e.strength DESC, source, target"""


def matches_sql(engine: Engine) -> str:
    """The case's matches against known networks (``cibscan match``; docs/matching.md)."""
    return """SELECT platform, account_id, handle, network,
                      round(similarity, 4) AS similarity, matched, round(score, 3) AS score,
                      families, identity, facets
               FROM matches ORDER BY matched DESC, similarity DESC, platform, account_id,
                                     network"""


def posts_sql(engine: Engine) -> str:
    """The case's posts as stored, every column, with ``date``: the UTC day of
    ``created_at``, the second key of the partitioned layout (``--partition-by
    platform,date``) that keeps a windowed self-join inside few partitions."""
    return """SELECT *, CAST(timezone('UTC', created_at) AS DATE) AS date FROM posts
        ORDER BY platform, created_at, post_id"""


QUERIES: dict[str, Callable[[Engine], str]] = {
    "accounts": accounts_sql,
    "edges": edges_sql,
    "clusters": clusters_sql,
    "evidence": evidence_sql,
    "posts": posts_sql,
}


class TableExporter(Exporter):
    """One findings table in a file format the engine writes itself (``COPY ... TO``)."""

    tabular = True

    def __init__(self, name: str, description: str) -> None:
        self.name = name
        self.suffix = f".{name}"
        self.description = description

    def write(self, case: Case, path: Path, table: str | None = None, **options: Any) -> int:
        if table not in QUERIES:
            raise ValueError(f"unknown table {table!r}; known: {', '.join(QUERIES)}")
        sql = QUERIES[table](case.engine)
        partition_by = tuple(options.pop("partition_by", None) or ())
        if partition_by:
            columns = case.engine.fetch_arrow(f"SELECT * FROM ({sql}) AS q LIMIT 0").schema.names
            unknown = [c for c in partition_by if c not in columns]
            if unknown:
                raise ValueError(
                    f"cannot partition {table} by {', '.join(unknown)}: not a column of it "
                    f"({', '.join(columns)})"
                )
        guarded = self._guarded(case.engine, sql, **options)
        return case.engine.copy_to(guarded, str(path), self.name, partition_by)

    def _guarded(self, engine: Engine, sql: str, **options: Any) -> str:
        return sql


class PartitionedTableExporter(TableExporter):
    """A table the engine can also write as a folder partitioned by columns
    (``partition_by=("platform", "date")``): the layout Spark reads a large case from."""

    options: ClassVar[tuple[str, ...]] = ("partition_by",)


class CsvTableExporter(PartitionedTableExporter):
    """A findings table as CSV, formula cells guarded unless ``formula_guard=False`` (an
    analyst who opens it with a CSV reader, not a spreadsheet, and wants every cell exact)."""

    options: ClassVar[tuple[str, ...]] = ("formula_guard", "partition_by")

    def _guarded(self, engine: Engine, sql: str, **options: Any) -> str:
        return csv_safe_sql(engine, sql) if options.get("formula_guard", True) else sql


register(CsvTableExporter("csv", "one findings table as CSV (formula cells neutralised)"))
register(PartitionedTableExporter("parquet", "one findings table as Parquet"))
for _name, _description in (
    ("json", "one findings table as a JSON array"),
    ("jsonl", "one findings table as JSON Lines (one object a row)"),
):
    register(TableExporter(_name, _description))
