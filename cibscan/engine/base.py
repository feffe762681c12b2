"""Engine contract: run SQL, move Arrow data in and out, group statements in transactions.

Everything above this layer speaks SQL and Arrow through this protocol and never imports an
engine's client library, so that the same pipeline runs on DuckDB and on Apache Spark.

**Dialect helpers.** Most SQL is written once in the dialect both engines share (joins,
GROUP BY, window functions, ``min_by``, ``QUALIFY``, ``INSERT ... BY NAME``). Where the two
differ in meaning and not just in spelling, the statement asks the engine for the piece it
needs (``hash64``, ``epoch``) or lets it do the step its own way (``create_scratch``,
``drop_table``), so a signal keeps one definition and is proven by running it on both
(tests/test_engines.py), not by transpiling it. See docs/scale.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa


class StreamReadError(Exception):
    """Reading an input stream failed while the engine was pulling it (bad source data)."""


class EngineResourceError(RuntimeError):
    """The engine ran out of a resource (memory, disk): one line saying which and what to
    do, instead of the engine's own message and advice about its settings."""


class Dialect(Protocol):
    """The dialect helpers that are SQL text alone (docs/scale.md): where DuckDB and Spark
    differ in meaning, a statement asks for the piece it needs."""

    def hash64(self, expr: str) -> str:
        """SQL of a 64-bit hash of ``expr``, for joining and grouping on long strings by an
        integer key. Never a 32-bit hash: at a billion objects it would collide constantly.
        The values differ between engines, so SQL may join, group and compare on them but
        must not order or break ties by them when results must agree across engines."""

    def epoch(self, expr: str) -> str:
        """SQL of a timestamp's seconds since 1970-01-01 UTC as a DOUBLE (with fractions)."""

    def regexp_replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        """SQL replacing every match of the regular expression ``pattern`` (as written, no
        SQL quoting) in ``expr`` by the literal ``replacement``. DuckDB (RE2) replaces the
        first match unless told 'g', Spark (Java) all of them, and Spark's string literals
        eat backslashes: each engine quotes the pattern its own way. Patterns must keep to
        the syntax RE2 and Java share (``\\s`` is one exception: Java's includes the vertical
        tab); the replacement may hold no ``$`` or backslash (group references differ)."""

    def list_join(self, expr: str, separator: str) -> str:
        """SQL of a list's elements joined by ``separator`` (NULL elements skipped)."""

    def list_length(self, expr: str) -> str:
        """SQL of a list's number of elements (NULL for a NULL list, never -1)."""

    def explode(self, expr: str) -> str:
        """SQL of one row per element of the list ``expr``, written in a SELECT list (``SELECT
        acct, {explode} AS url FROM t``: the shape DuckDB's ``unnest`` and Spark's ``explode``
        both accept; one per SELECT). A NULL or empty list gives no row."""

    def regexp_full_match(self, expr: str, pattern: str) -> str:
        """SQL of whether the whole of ``expr`` matches ``pattern`` (RE2 and Java syntax
        alike, as written: no SQL quoting). Spark's ``RLIKE`` finds a match anywhere."""

    def hex_to_int64(self, expr: str) -> str:
        """SQL of 16 hex digits as a signed BIGINT with the same 64 bits (two's complement):
        Spark has no unsigned integers, so 64-bit hashes live in BIGINT on both engines."""

    def int_range(self, start: str, stop: str) -> str:
        """SQL of the list of integers ``start, ..., stop - 1`` (``stop > start``: Spark's
        ``sequence`` is inclusive and counts down when ``stop`` is smaller)."""

    def format_epoch(self, expr: str) -> str:
        """SQL of whole epoch seconds as ``YYYY-MM-DD HH:MM:SS+00`` (UTC): a cast of a
        timestamp to text reads differently in each engine."""

    def hamming_distance(self, x: str, y: str) -> str:
        """SQL of the number of bits in which the BIGINTs ``x`` and ``y`` differ (``xor`` is
        a function in DuckDB, where ``^`` is a power; Spark's xor is ``^``)."""

    # --- string and tell helpers (issue 16e) ---------------------------------------------

    def printf(self, fmt: str, *args: str) -> str:
        """SQL of C's ``printf`` of the SQL expressions ``args`` by ``fmt`` (as written, no
        SQL quoting; ``%d``, ``%+d``, ``%s`` of text only, ``%.Nf``, ``%.Ng``, ``%%``; NULL
        when an argument is NULL): the tells' detail sentences. Java's formatter rounds halves
        up on the shortest decimal and has another ``%g``, so the texts would differ between
        engines at 12.5% or 1.5e-05."""

    def format_epoch_date(self, expr: str) -> str:
        """SQL of epoch seconds (with fractions) as the UTC date ``YYYY-MM-DD``."""

    def regexp_contains(self, expr: str, pattern: str) -> str:
        """SQL of whether ``pattern`` (RE2 syntax as written, no SQL quoting) matches
        anywhere in ``expr``. ``\\b`` is ASCII-only in RE2 and Unicode-aware in Java 17, so a
        word next to an accented letter would match on one engine only."""

    def regexp_split(self, expr: str, pattern: str) -> str:
        """SQL of the list of pieces of ``expr`` between matches of ``pattern`` (RE2 syntax
        as written; empty pieces kept)."""

    def round_to_int64(self, expr: str) -> str:
        """SQL of a DOUBLE as the nearest BIGINT, halves to even: DuckDB's cast rounds so,
        Spark's truncates."""

    def regexp_extract(self, expr: str, pattern: str, group: int) -> str:
        """SQL of the text of capture ``group`` of the first match of ``pattern`` (RE2
        syntax as written) in ``expr``; '' when nothing matches."""

    def strip_accents(self, expr: str) -> str:
        """SQL of ``expr`` without its combining marks (DuckDB's ``strip_accents``; Spark
        has none: an Arrow UDF, to be used over accounts, never posts)."""

    def edit_distance(self, a: str, b: str) -> str:
        """SQL of the Damerau-Levenshtein distance of ``a`` and ``b`` (unrestricted, over
        characters: a transposed pair is one typo). Spark's ``levenshtein`` would count it
        twice: an Arrow UDF there, to be used over candidate pairs only."""

    def jaro_winkler(self, a: str, b: str) -> str:
        """SQL of the Jaro-Winkler similarity of ``a`` and ``b`` as DuckDB computes it
        (an Arrow UDF on Spark, over candidate pairs only)."""

    def list_get(self, expr: str, index: int) -> str:
        """SQL of element ``index`` of a list, 1-based, negative from the end (-1 the
        last); NULL out of range (Spark's ``[]`` is 0-based and fails out of range)."""

    def string_split(self, expr: str, separator: str) -> str:
        """SQL of the list of pieces of ``expr`` between occurrences of the literal
        ``separator`` (Spark's ``split`` takes a regular expression)."""

    def list_contains(self, expr: str, value: str) -> str:
        """SQL of whether the list ``expr`` holds the value ``value`` (an SQL expression)."""

    def regexp_extract_all(self, expr: str, pattern: str, group: int) -> str:
        """SQL of the list of capture ``group`` of every match of ``pattern`` (RE2 syntax
        as written) in ``expr``, in order."""

    def string_agg_sorted(self, expr: str, separator: str) -> str:
        """SQL of an aggregate: the distinct non-NULL values of ``expr`` in ascending order,
        joined by ``separator`` (DuckDB's ``string_agg(DISTINCT x, sep ORDER BY x)``; an
        unordered ``string_agg`` would give another order on each engine)."""

    # --- pipeline helpers (issue 16d) ----------------------------------------------------

    def ordered_list(self, expr: str, order_by: Sequence[str], *, distinct: bool = False) -> str:
        """SQL of an aggregate: the list of ``expr`` over the group's rows, ordered by
        ``order_by`` (items as in SQL's ORDER BY, each optionally ending in ``DESC``; ties
        must be broken by the items, NULL keys are not allowed). DuckDB's ``list(x ORDER BY
        y)``; Spark's ``collect_list`` has no order (a transpiler dropped it silently, see
        docs/scale.md). ``distinct`` keeps each value once (the keys must then be ``expr``)."""

    def ordered_string_agg(self, expr: str, separator: str, order_by: Sequence[str]) -> str:
        """SQL of an aggregate: the non-NULL values of ``expr`` joined by ``separator`` in
        the order of ``order_by`` (as in :meth:`ordered_list`); NULL when there are none."""

    def list_head(self, expr: str, n: int) -> str:
        """SQL of the first ``n`` elements of a list (DuckDB slices 1-based and inclusive,
        Spark's ``slice`` takes a start and a length)."""

    def list_type(self, element: str) -> str:
        """The SQL type of a list of ``element`` in a column definition (``STRING[]`` in
        DuckDB, ``ARRAY<STRING>`` in Spark; neither reads the other's)."""

    def empty_list(self) -> str:
        """SQL of an empty list literal (typed by its context, e.g. a ``coalesce``)."""


class Engine(Dialect, Protocol):
    """What the pipeline needs from a SQL engine."""

    name: str

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement for its side effects."""

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run a query and return its rows as tuples."""

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a query and return an Arrow table."""

    def fetch_batches(self, sql: str, batch_rows: int = 50_000) -> Iterator[pa.RecordBatch]:
        """Run a query and yield its result in Arrow batches, so that a large result is
        never held whole in Python (exports of big networks stream through this)."""

    def insert_stream(self, table: str, batches: pa.RecordBatchReader, select_sql: str) -> None:
        """``INSERT INTO table`` the result of ``select_sql`` run over a stream of batches.

        ``select_sql`` names the stream as ``_stream``; the engine pulls batches one at a time
        so that memory stays bounded whatever the input size.
        """

    def insert_arrow(self, table: str, data: pa.Table, *, temp: bool = False) -> None:
        """Append an Arrow table to ``table``, creating it with the same columns if absent.

        ``temp`` creates a connection-local scratch table (kept in memory, spilled to disk
        past the memory limit, never written to the case file).
        """

    def create_function(
        self,
        name: str,
        fn: Callable[..., pa.Array],
        arg_types: Sequence[str],
        return_type: str,
    ) -> None:
        """Register an Arrow-vectorised scalar function (rare: prefer SQL)."""

    def configure(self, *, memory_limit: str | None = None, preserve_order: bool = True) -> None:
        """Set the memory ceiling (e.g. '2GB'; past it scratch data spills to disk) and
        whether results must keep insertion order (off lets the engine run faster)."""

    def copy_to(
        self, sql: str, path: str, file_format: str, partition_by: Sequence[str] = ()
    ) -> int:
        """Write a query's result to a file: ``csv`` (with header), ``parquet`` or ``json``;
        return the number of rows written. With ``partition_by`` (columns of the result),
        ``path`` is a folder written in the Hive layout (``platform=x/date=y/*.parquet``)
        that Spark, DuckDB and pyarrow read as one table; the folder must not exist yet or
        be empty, so that no file of an earlier export mixes in."""

    def transaction(self) -> AbstractContextManager[None]:
        """A context in which statements commit together or not at all."""

    def table_exists(self, table: str) -> bool:
        """Whether a table (or temporary table) of that name exists."""

    def staging(self) -> AbstractContextManager[Callable[[], list[str]]]:
        """A block whose statements commit one by one while the tables they create wait
        apart from the case's; the ``publish()`` it yields, called inside
        :meth:`transaction`, puts them in place of the case's tables of those names and
        returns their names. A long job (detect) thus frees its scratch work as it goes and
        still replaces its results all at once (DuckDB: a staging schema)."""

    def cursor(self) -> Engine:
        """Another connection to the same open database, for use by another thread."""

    def close(self) -> None:
        """Release the engine (flushes a file-backed case)."""

    # --- dialect helpers (docs/scale.md) -------------------------------------------------

    def create_scratch(self, table: str, select_sql: str) -> None:
        """``table`` (replaced if present) holds the result of ``select_sql``, computed once
        now: a connection-local scratch table, never a view that later reads recompute."""

    def create_numbered(
        self, table: str, select_sql: str, order_by: Sequence[str], column: str = "entity"
    ) -> None:
        """A scratch table (as :meth:`create_scratch`) of ``select_sql``'s rows, each with
        ``column`` first: its rank 1..n in the order of ``order_by`` (items as in
        :meth:`ordered_list`, a unique non-NULL key). What ``row_number() OVER (ORDER BY
        ...)`` gives on one machine, where on a cluster that window would send every row
        to one task: Spark sorts in range partitions and adds each partition's offset."""

    def append_scratch(self, table: str, select_sql: str) -> None:
        """Append the rows of ``select_sql`` (the same columns in the same order) to the
        scratch table ``table`` made by :meth:`create_scratch`: a result built in batches
        that each fit memory (near_duplicate's MinHash signatures)."""

    def memory_limit_bytes(self) -> int | None:
        """The engine's memory ceiling in bytes, for sizing such batches; None when the
        engine cannot tell (Spark's memory is its JVMs', fixed when they start)."""

    def drop_table(self, table: str) -> None:
        """Drop a table or scratch table if it exists (and free what the engine holds)."""

    def rename_table(self, old: str, new: str) -> None:
        """Rename a table or scratch table (``new`` must not exist)."""


@contextmanager
def scratch(engine: Engine, *tables: str) -> Iterator[None]:
    """Scratch tables dropped when the block ends, however it ends.

    On an error the drops are tried and their own failures ignored, so the first error is
    the one reported: after a failed statement the engine refuses further work in the
    transaction ("Current transaction is aborted"), and a cleanup in a ``finally`` raised
    that instead, hiding an out-of-memory or a full disk behind it.
    """
    try:
        yield
    except BaseException:
        for table in tables:
            with suppress(Exception):
                engine.drop_table(table)
        raise
    for table in tables:
        engine.drop_table(table)


# --- pipeline helpers (issue 16d) ----------------------------------------------------------


def replace_table(engine: Engine, table: str, select_sql: str) -> None:
    """``table`` (a case table) now holds the rows of ``select_sql``, which may read it.

    Spark's built-in catalog has no UPDATE or DELETE, and no transaction: a step that
    changes a result table computes the new rows into a fresh table and swaps it in (drop
    the old one, rename the new). The same statements serve DuckDB, where they run inside
    the detect transaction. The fresh table copies the old one's columns and types, and
    the rows are inserted by name, so the table keeps its declared schema (a column the
    SELECT leaves out is NULL) whatever types the SELECT's expressions have.
    """
    fresh = f"_new_{table}"
    engine.drop_table(fresh)
    engine.execute(f"CREATE TABLE {fresh} AS SELECT * FROM {table} LIMIT 0")
    engine.execute(f"INSERT INTO {fresh} BY NAME {select_sql}")
    engine.drop_table(table)
    engine.rename_table(fresh, table)


def table_columns(engine: Engine, table: str) -> list[str]:
    """The column names of ``table``, in order (for a SELECT that rewrites a few of them)."""
    return list(engine.fetch_arrow(f"SELECT * FROM {table} LIMIT 0").schema.names)


def rewrite_columns(columns: Sequence[str], changed: dict[str, str], alias: str = "") -> str:
    """A SELECT list of ``columns`` in order, each as it is (``alias.column``) or as the SQL
    expression ``changed`` gives it: the SET clause of an UPDATE, for :func:`replace_table`."""
    unknown = set(changed) - set(columns)
    if unknown:
        raise KeyError(f"no such column(s): {', '.join(sorted(unknown))}")
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{changed.get(c, prefix + c)} AS {c}" for c in columns)


def split_order_item(item: str) -> tuple[str, bool]:
    """An ORDER BY item as (expression, descending)."""
    words = item.rstrip()
    for suffix, desc in ((" DESC", True), (" ASC", False)):
        if words.upper().endswith(suffix):
            return words[: -len(suffix)].rstrip(), desc
    return words, False


def require_empty_folder(path: str, file_format: str) -> None:
    """Refuse a partitioned export into a folder that holds files already: a reader takes
    every file under it as part of the table, so rows of an earlier export would mix in."""
    folder = Path(path)
    if folder.is_file() or (folder.is_dir() and any(folder.iterdir())):
        raise ValueError(
            f"a partitioned {file_format} export writes a folder of files: {path} exists and "
            "is not an empty folder (remove it or name another)"
        )
    folder.mkdir(parents=True, exist_ok=True)


def real(value: float) -> str:
    """A float as a DOUBLE literal in every dialect: ``0.25`` is a DECIMAL in DuckDB and
    Spark alike, and Spark then keeps the arithmetic in decimals rounded to a few places
    (``j / (1 + (j - 1) * 0.25)`` would lose digits there and not in DuckDB)."""
    return f"CAST({float(value)!r} AS DOUBLE)"


def iter_rows_as_dicts(engine: Engine, sql: str) -> Iterator[dict[str, Any]]:
    """Rows of a query as dicts, streamed batch by batch (memory stays bounded)."""
    for batch in engine.fetch_batches(sql):
        yield from batch.to_pylist()
