"""Reading a source into the engine: the reader's batches, loaded by one streaming statement.

Where the batches go is the caller's choice (a :data:`Plan`), so that one reading mechanism
serves both ways a source is taken in (docs/formats.md, cibscan/ingest/pipeline.py):

- **single pass** (CSV, Parquet): the adapter's SQL and the normalisation run over the
  stream itself and write ``_stage``; nothing else holds the records. Parsing, the
  adapter and the normalisation are one statement, and the records are written once
  before ``posts`` (three full copies were written before: ``_raw``, ``_stage``, ``posts``,
  and past the memory limit each of them spilled to disk).
- **raw first** (JSON lines and documents): the records go to ``_raw`` with a flag saying
  whether they are valid JSON, since the adapters' JSON functions fail on invalid text and
  a reject keeps its line; the adapter then reads the valid ones (``merge.stage``).

A rejected row of a single-pass source is shown in the quarantine as its raw row, which the
stage does not keep: :func:`load_rejected_rows` reads the source again for the rejected
rows alone when there are any (a file without rejects, the usual case, is read once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from cibscan.engine.base import Engine, StreamReadError
from cibscan.ingest.base import Adapter
from cibscan.ingest.readers import (
    LINE_SCHEMA,
    OpenSource,
    ProgressHook,
    ReadState,
    Reject,
    Source,
    UnreadableFileError,
    read_json_items,
    read_lines,
)
from cibscan.ingest.tabular import csv_header, read_csv, read_parquet, unique_names

#: given the schema of a source's batches, create the target table and return its name and
#: the SELECT over the batches (named ``_stream``) that fills it
Plan = Callable[[pa.Schema], tuple[str, str]]

#: readers whose adapters run over the stream itself (their records are plain columns)
SINGLE_PASS_READERS = ("csv", "parquet")


@dataclass
class Loaded:
    """What reading a source gave: the reader's state (rows, rejects), its closed stream
    (``corrupt``, ``fault``), the sha256 of its bytes, and warnings for the report."""

    state: ReadState
    opened: OpenSource
    sha256: str
    warnings: list[str]


def single_pass(adapter: Adapter) -> bool:
    """Whether ``adapter``'s records are staged straight from the reader's stream."""
    return adapter.reader in SINGLE_PASS_READERS


def raw_plan(engine: Engine, adapter: Adapter, where: str = "") -> Plan:
    """The plan that writes the raw records (those passing ``where``) to ``_raw``, with
    ``ok``: whether a JSON record is valid JSON (true for tabular ones)."""
    ok = "json_valid(raw)" if adapter.reader in ("lines", "json") else "true"

    def plan(schema: pa.Schema) -> tuple[str, str]:
        create_raw(engine, schema)
        return "_raw", f"SELECT *, {ok} AS ok FROM _stream {where}"

    return plan


def create_raw(engine: Engine, schema: pa.Schema) -> None:
    """Create ``_raw`` (if absent) with the columns of the raw records and ``ok``."""
    full = schema.append(pa.field("ok", pa.bool_()))
    engine.insert_arrow("_raw", full.empty_table(), temp=True)


def load_source(
    engine: Engine,
    adapter: Adapter,
    source: Source,
    head: bytes,
    sizes: tuple[int, int],
    plan: Plan,
    progress: ProgressHook | None = None,
) -> Loaded:
    """Read the source in one streaming statement (``sizes``: the CSV block size and the
    longest record kept) into the table ``plan`` makes."""
    state = ReadState()
    opened = OpenSource(source, progress)
    try:
        batches, warnings = _raw_batches(adapter, source, opened, head, state, sizes)
        table, select = plan(batches.schema)
        engine.insert_stream(table, batches, select)
        sha256 = opened.finish()
        if opened.fault:  # the stream broke off: keep what came before, quarantine the rest
            state.rejects.append(
                Reject(
                    f"byte {opened.counter.bytes_read}",
                    "truncated or corrupt file",
                    "",
                    detail=opened.fault,
                )
            )
            warnings.append(f"stream broke off: {opened.fault}")
    except (OSError, EOFError, pa.ArrowInvalid, StreamReadError) as exc:
        raise UnreadableFileError(f"{source.name}: cannot read ({exc})") from exc
    finally:
        opened.close()
    return Loaded(state, opened, sha256, warnings)


def load_rejected_rows(
    engine: Engine,
    adapter: Adapter,
    source: Source,
    head: bytes,
    sizes: tuple[int, int],
    sha256: str,
) -> int:
    """Read a single-pass source again into ``_raw`` for its staged rejects that carry no
    raw text (their quarantine rows show the raw row); how many there were. The file must
    be the one staged: a changed file is refused rather than quarantined with wrong rows."""
    wanted = "SELECT seq FROM _stage WHERE reject IS NOT NULL AND raw IS NULL"
    n = int(engine.fetchall(f"SELECT count(*) FROM ({wanted}) w")[0][0])
    if not n:
        return 0
    plan = raw_plan(engine, adapter, f"WHERE seq IN ({wanted})")
    if load_source(engine, adapter, source, head, sizes, plan).sha256 != sha256:
        raise UnreadableFileError(f"{source.name}: the file changed while it was read")
    return n


def _raw_batches(
    adapter: Adapter,
    source: Source,
    opened: OpenSource,
    head: bytes,
    state: ReadState,
    sizes: tuple[int, int],
) -> tuple[pa.RecordBatchReader, list[str]]:
    warnings: list[str] = []
    kind = adapter.reader
    block, limit = sizes
    iterator: Iterator[pa.RecordBatch]
    if kind == "lines":
        schema = LINE_SCHEMA
        iterator = read_lines(opened.stream, state, limit)
    elif kind == "json":
        schema = LINE_SCHEMA
        iterator = read_json_items(opened.stream, adapter.json_prefix(head), state, limit)
    elif kind == "csv":
        header = csv_header(head, adapter.delimiter)
        if not header or "\x00" in "".join(header):
            raise UnreadableFileError(f"{source.name}: no readable CSV header row")
        missing = [c for c in adapter.required_columns if c not in header]
        if missing:
            warnings.append(f"file lacks required column(s): {', '.join(missing)}")
        names = _padded_names(header, adapter)
        schema = pa.schema([("seq", pa.int64())] + [(n, pa.string()) for n in names])
        rows = read_csv(opened.stream, header, state, adapter.delimiter, block, limit)
        iterator = _pad(rows, schema)
    else:  # parquet: columns as they are, absent ones padded
        iterator = read_parquet(source.path, state)
        first = next(iterator, None)
        if first is None:
            return pa.RecordBatchReader.from_batches(pa.schema([("seq", pa.int64())]), []), []
        schema = first.schema
        for name in adapter.columns:
            if name not in schema.names:
                schema = schema.append(pa.field(name, pa.string()))
        iterator = _pad(_chain(first, iterator), schema)
    return pa.RecordBatchReader.from_batches(schema, iterator), warnings


def _chain(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


def _padded_names(header: list[str], adapter: Adapter) -> list[str]:
    names = unique_names(header)
    return names + [c for c in adapter.columns if c not in names]


def _pad(batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """Give every batch the full schema: columns the file lacks become NULL text."""
    for batch in batches:
        if batch.schema.names == schema.names:
            yield batch
            continue
        arrays = [
            batch.column(name)
            if name in batch.schema.names
            else pa.nulls(batch.num_rows, schema.field(name).type)
            for name in schema.names
        ]
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)
