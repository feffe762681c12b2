"""Engine contract: run SQL, move Arrow data in and out, group statements in transactions.

Everything above this layer speaks SQL and Arrow through this protocol and never imports an
engine's client library, so that the same pipeline can later run on Apache Spark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Any, Protocol

import pyarrow as pa


class StreamReadError(Exception):
    """Reading an input stream failed while the engine was pulling it (bad source data)."""


class EngineResourceError(RuntimeError):
    """The engine ran out of a resource (memory, disk): one line saying which and what to
    do, instead of the engine's own message and advice about its settings."""


class Engine(Protocol):
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

    def copy_to(self, sql: str, path: str, file_format: str) -> int:
        """Write a query's result to a file: ``csv`` (with header), ``parquet`` or ``json``;
        return the number of rows written."""

    def transaction(self) -> AbstractContextManager[None]:
        """A context in which statements commit together or not at all."""

    def table_exists(self, table: str) -> bool:
        """Whether a table (or temporary table) of that name exists."""

    def cursor(self) -> Engine:
        """Another connection to the same open database, for use by another thread."""

    def close(self) -> None:
        """Release the engine (flushes a file-backed case)."""


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
                engine.execute(f"DROP TABLE IF EXISTS {table}")
        raise
    for table in tables:
        engine.execute(f"DROP TABLE IF EXISTS {table}")


def iter_rows_as_dicts(engine: Engine, sql: str) -> Iterator[dict[str, Any]]:
    """Rows of a query as dicts, streamed batch by batch (memory stays bounded)."""
    for batch in engine.fetch_batches(sql):
        yield from batch.to_pylist()
