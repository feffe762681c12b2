"""DuckDB implementation of the engine contract (the embedded default)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import duckdb.func
import pyarrow as pa

from cibscan.engine.base import EngineResourceError, StreamReadError, require_empty_folder
from cibscan.engine.limits import memory_bytes

log = logging.getLogger(__name__)


class DuckDBDialect:
    """The dialect helpers that are SQL text alone (cibscan.engine.base): usable without a
    connection, e.g. to show a signal's SQL as DuckDB runs it."""

    def hash64(self, expr: str) -> str:
        return f"hash({expr})"  # UBIGINT

    def epoch(self, expr: str) -> str:
        return f"epoch({expr})"

    def regexp_replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        if "$" in replacement or "\\" in replacement:
            raise ValueError(f"not a literal replacement: {replacement!r}")
        quoted, repl = pattern.replace("'", "''"), replacement.replace("'", "''")
        return f"regexp_replace({expr}, '{quoted}', '{repl}', 'g')"

    def list_join(self, expr: str, separator: str) -> str:
        quoted = separator.replace("'", "''")
        return f"array_to_string({expr}, '{quoted}')"

    def list_length(self, expr: str) -> str:
        return f"len({expr})"

    def explode(self, expr: str) -> str:
        return f"unnest({expr})"

    def regexp_full_match(self, expr: str, pattern: str) -> str:
        quoted = pattern.replace("'", "''")
        return f"regexp_full_match({expr}, '{quoted}')"

    def hex_to_int64(self, expr: str) -> str:
        # no cast from UBIGINT to BIGINT wraps: the high half, signed, times 2^32 plus the
        # low half stays within BIGINT and gives the same bits
        hi = f"CAST(('0x' || substr({expr}, 1, 8)) AS BIGINT)"
        lo = f"CAST(('0x' || substr({expr}, 9, 8)) AS BIGINT)"
        signed_hi = f"({hi} - CASE WHEN {hi} >= 2147483648 THEN 4294967296 ELSE 0 END)"
        return f"({signed_hi} * 4294967296 + {lo})"

    def int_range(self, start: str, stop: str) -> str:
        return f"range({start}, {stop})"

    def format_epoch(self, expr: str) -> str:
        return f"strftime(to_timestamp({expr}), '%Y-%m-%d %H:%M:%S') || '+00'"

    def hamming_distance(self, x: str, y: str) -> str:
        return f"bit_count(xor({x}, {y}))"

    # --- string and tell helpers (issue 16e) ---------------------------------------------

    def printf(self, fmt: str, *args: str) -> str:
        return f"printf({_quote(fmt)}{''.join(', ' + a for a in args)})"

    def format_epoch_date(self, expr: str) -> str:
        return f"strftime(to_timestamp({expr}), '%Y-%m-%d')"

    def regexp_contains(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {_quote(pattern)})"

    def regexp_split(self, expr: str, pattern: str) -> str:
        return f"regexp_split_to_array({expr}, {_quote(pattern)})"

    def round_to_int64(self, expr: str) -> str:
        return f"CAST({expr} AS BIGINT)"

    def regexp_extract(self, expr: str, pattern: str, group: int) -> str:
        return f"regexp_extract({expr}, {_quote(pattern)}, {int(group)})"

    def strip_accents(self, expr: str) -> str:
        return f"strip_accents({expr})"

    def edit_distance(self, a: str, b: str) -> str:
        return f"damerau_levenshtein({a}, {b})"

    def jaro_winkler(self, a: str, b: str) -> str:
        return f"jaro_winkler_similarity({a}, {b})"

    def list_get(self, expr: str, index: int) -> str:
        return f"({expr})[{int(index)}]"

    def string_split(self, expr: str, separator: str) -> str:
        return f"string_split({expr}, {_quote(separator)})"

    def list_contains(self, expr: str, value: str) -> str:
        return f"list_contains({expr}, {value})"

    def regexp_extract_all(self, expr: str, pattern: str, group: int) -> str:
        return f"regexp_extract_all({expr}, {_quote(pattern)}, {int(group)})"

    def string_agg_sorted(self, expr: str, separator: str) -> str:
        return f"string_agg(DISTINCT {expr}, {_quote(separator)} ORDER BY {expr})"

    # --- pipeline helpers (issue 16d) ----------------------------------------------------

    def ordered_list(self, expr: str, order_by: Sequence[str], *, distinct: bool = False) -> str:
        keyword = "DISTINCT " if distinct else ""
        return f"list({keyword}{expr} ORDER BY {', '.join(order_by)})"

    def ordered_string_agg(self, expr: str, separator: str, order_by: Sequence[str]) -> str:
        quoted = separator.replace("'", "''")
        return f"string_agg({expr}, '{quoted}' ORDER BY {', '.join(order_by)})"

    def list_head(self, expr: str, n: int) -> str:
        return f"({expr})[1:{int(n)}]"

    def list_type(self, element: str) -> str:
        return f"{element}[]"

    def empty_list(self) -> str:
        return "[]"


#: the schema of the case file a detect run writes into before publishing (``staging``)
STAGING_SCHEMA = "cib_staging"


def _ident(name: str) -> str:
    """A quoted SQL identifier (a database is named after its file, which may hold any
    character)."""
    return '"' + name.replace('"', '""') + '"'


def _quote(text: str) -> str:
    """A SQL string literal (DuckDB's literals keep backslashes)."""
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine(DuckDBDialect):
    """A DuckDB connection to one case file (or to memory when ``path`` is None)."""

    name = "duckdb"

    def __init__(
        self, path: str | Path | None = None, *, read_only: bool = False, threads: int | None = None
    ) -> None:
        self.path = None if path is None else Path(path)
        database = ":memory:" if path is None else str(path)
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        self._con = duckdb.connect(database, read_only=read_only, config=config)
        self._in_transaction = False
        self._memory_limit: str | None = None
        #: the schema a :meth:`staging` block creates its tables in (None: ``main``)
        self._staging: str | None = None
        # Naive timestamps in sources are read as UTC, and TIMESTAMPTZ values print as UTC.
        self._con.execute("SET TimeZone = 'UTC'")
        # DuckDB draws a progress bar on stdout for long queries; it would corrupt --json
        # output and CSV written to stdout.
        self._con.execute("SET enable_progress_bar = false")

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        with self._resources():
            self._con.execute(sql, params)

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        with self._resources():
            return self._con.execute(sql, params).fetchall()

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        with self._resources():
            return self._con.sql(sql, params=params).to_arrow_table()

    @contextmanager
    def _resources(self) -> Iterator[None]:
        """Out of memory and a full disk become :class:`EngineResourceError`."""
        try:
            yield
        except duckdb.OutOfMemoryException as exc:
            limit = self._memory_limit or "the engine's default limit"
            raise EngineResourceError(
                f"out of memory at {limit}: raise --memory-limit, or free disk space for the "
                f"engine to spill to ({str(exc).splitlines()[0]})"
            ) from exc
        except duckdb.IOException as exc:
            if "No space left on device" not in str(exc):
                raise
            where = f" beside {self.path}" if self.path else ""
            raise EngineResourceError(
                f"the disk is full{where}: free space for the case and its spill folder "
                f"({str(exc).splitlines()[0]})"
            ) from exc

    def fetch_batches(self, sql: str, batch_rows: int = 50_000) -> Iterator[pa.RecordBatch]:
        reader: pa.RecordBatchReader = self._con.sql(sql).to_arrow_reader(batch_rows)
        yield from reader

    def insert_stream(self, table: str, batches: pa.RecordBatchReader, select_sql: str) -> None:
        # DuckDB scans a RecordBatchReader lazily, batch by batch, when it is registered as a
        # view; the stream is consumed exactly once by this single statement.
        self._con.register("_stream", batches)
        try:
            self._con.execute(f"INSERT INTO {table} BY NAME {select_sql}")
        except duckdb.InvalidInputException as exc:
            if "reading the stream" in str(exc):
                raise StreamReadError(str(exc).split("Detail:")[0].strip()) from exc
            raise
        finally:
            self._con.unregister("_stream")

    def insert_arrow(self, table: str, data: pa.Table, *, temp: bool = False) -> None:
        self._con.register("_arrow_in", data)
        try:
            if self.table_exists(table):
                self._con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _arrow_in")
            else:
                kind = "TEMP TABLE" if temp else "TABLE"
                self._con.execute(f"CREATE {kind} {table} AS SELECT * FROM _arrow_in")
        finally:
            self._con.unregister("_arrow_in")

    def create_function(
        self,
        name: str,
        fn: Callable[..., pa.Array],
        arg_types: Sequence[str],
        return_type: str,
    ) -> None:
        with suppress(duckdb.InvalidInputException):
            self._con.remove_function(name)
        self._con.create_function(
            name,
            fn,
            list(arg_types),
            return_type,
            type=duckdb.func.ARROW,
            side_effects=False,
        )

    def configure(self, *, memory_limit: str | None = None, preserve_order: bool = True) -> None:
        if memory_limit:
            # validated (it is spliced into SQL) and given in bytes
            self._con.execute(f"SET memory_limit = '{memory_bytes(memory_limit)}B'")
            self._memory_limit = memory_limit.strip()
        self._con.execute(f"SET preserve_insertion_order = {str(preserve_order).lower()}")

    def copy_to(
        self, sql: str, path: str, file_format: str, partition_by: Sequence[str] = ()
    ) -> int:
        options = {
            "csv": "FORMAT csv, HEADER true",
            "parquet": "FORMAT parquet, COMPRESSION zstd",
            "json": "FORMAT json, ARRAY true",
            "jsonl": "FORMAT json, ARRAY false",
        }
        if file_format not in options:
            raise ValueError(f"unknown file format {file_format!r}; known: {', '.join(options)}")
        target = path.replace("'", "''")
        how = options[file_format]
        if partition_by:
            require_empty_folder(path, file_format)
            columns = ", ".join('"' + c.replace('"', '""') + '"' for c in partition_by)
            how += f", PARTITION_BY ({columns}), OVERWRITE_OR_IGNORE true"
        with self._resources():
            written = self._con.execute(f"COPY ({sql}) TO '{target}' ({how})")
            return int(written.fetchall()[0][0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._in_transaction:  # nested: the outer transaction decides
            yield
            return
        self._con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        else:
            self._con.execute("COMMIT")
        finally:
            self._in_transaction = False

    def table_exists(self, table: str) -> bool:
        rows = self.fetchall(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name IN ('main', ?) AND table_name = ?",
            [self._staging or "main", table],
        )
        return bool(rows)

    @contextmanager
    def staging(self) -> Iterator[Callable[[], list[str]]]:
        """Statements in the block commit one by one, and the tables they create land in a
        staging schema; the block's ``publish()``, called inside :meth:`transaction`,
        replaces ``main``'s tables of those names with them. The staging schema is dropped
        when the block ends, however it ends (and at the start, after a killed run).

        Why: DuckDB frees a dropped table's blocks only when its transaction commits. A
        detect run inside one transaction kept every scratch table it had dropped: at 10M
        posts the spill folder grew signal by signal to 10.5 GB and emptied only at the
        commit (docs/scale.md). Here the scratch work commits as it goes, while ``main``
        keeps the previous findings until the short publishing transaction, so a failed
        run still leaves them in place. Reads of a name the run has not created fall
        through to ``main`` (DuckDB's search path); drops and renames are confined to the
        staging schema and scratch tables, so they cannot touch ``main``.
        """
        if self._in_transaction or self._staging:
            raise RuntimeError("a staging block cannot start inside a transaction or another")
        database = self.fetchall("SELECT current_database()")[0][0]
        self.execute(f"DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE")
        self.execute(f"CREATE SCHEMA {STAGING_SCHEMA}")
        self.execute(f"USE {_ident(database)}.{STAGING_SCHEMA}")
        self._staging = STAGING_SCHEMA
        try:
            yield self._publish_staged
        finally:
            self._staging = None
            self._con.execute(f"USE {_ident(database)}.main")
            self._con.execute(f"DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE")

    def _publish_staged(self) -> list[str]:
        """Copy every table of the staging schema over ``main``'s table of that name (one
        copy each: DuckDB cannot move a table between schemas); return their names."""
        if not self._in_transaction:
            raise RuntimeError("publish staged tables inside a transaction")
        tables = [
            row[0]
            for row in self.fetchall(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"
                " AND schema_name = ? ORDER BY table_name",
                [self._staging],
            )
        ]
        for table in tables:
            self.execute(f"DROP TABLE IF EXISTS main.{table}")
            self.execute(f"CREATE TABLE main.{table} AS SELECT * FROM {self._staging}.{table}")
        return tables

    def _staged_name(self, table: str) -> str:
        """``table`` as a drop or rename must name it: a scratch (temporary) table as it
        is, a case table qualified by the staging schema inside :meth:`staging` (unqualified,
        DuckDB would find ``main``'s table of that name and drop it at once)."""
        if self._staging is None or "." in table:
            return table
        temporary = self.fetchall(
            "SELECT 1 FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ?",
            [table],
        )
        return table if temporary else f"{self._staging}.{table}"

    def cursor(self) -> DuckDBEngine:
        """Another connection to the same open database, for another thread (a DuckDB
        connection serves one thread at a time; its cursors run queries side by side).
        Session settings are set anew; temporary tables and macros are not shared."""
        twin = DuckDBEngine.__new__(DuckDBEngine)
        twin.path = self.path
        twin._con = self._con.cursor()
        twin._in_transaction = False
        twin._staging = None
        twin._memory_limit = self._memory_limit
        twin._con.execute("SET TimeZone = 'UTC'")
        return twin

    def close(self) -> None:
        self._con.close()

    # --- dialect helpers (see cibscan.engine.base) ---------------------------------------

    def create_scratch(self, table: str, select_sql: str) -> None:
        self.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {select_sql}")

    def create_numbered(
        self, table: str, select_sql: str, order_by: Sequence[str], column: str = "entity"
    ) -> None:
        self.create_scratch(
            table,
            f"SELECT row_number() OVER (ORDER BY {', '.join(order_by)}) AS {column}, q.* "
            f"FROM ({select_sql}) AS q",
        )

    def append_scratch(self, table: str, select_sql: str) -> None:
        self.execute(f"INSERT INTO {table} {select_sql}")

    def memory_limit_bytes(self) -> int | None:
        if self._memory_limit:
            return memory_bytes(self._memory_limit)
        # DuckDB's default (80% of the RAM), read as it prints it ("12.5 GiB")
        return memory_bytes(str(self.fetchall("SELECT current_setting('memory_limit')")[0][0]))

    def drop_table(self, table: str) -> None:
        self.execute(f"DROP TABLE IF EXISTS {self._staged_name(table)}")

    def rename_table(self, old: str, new: str) -> None:
        self.execute(f"ALTER TABLE {self._staged_name(old)} RENAME TO {new}")
