"""Tabular readers: CSV (pyarrow's streaming reader, every column as text) and Parquet.

A CSV file is cleaned of invalid UTF-8 line by line on the way in (pyarrow would fail a whole
block on one bad byte); rows with the wrong number of fields become rejects with their text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from cibscan.ingest.csv_records import DEFAULT_MAX_RECORD_BYTES, RecordLimiter
from cibscan.ingest.readers import (
    CHUNK_BYTES,
    ReadState,
    Reject,
    UnreadableFileError,
    shorten_raw,
)


class _CheckedStream(io.RawIOBase):
    """Passes CSV bytes through, cutting out (and rejecting) what Arrow must not see:
    records over the size limit (:class:`RecordLimiter`) and physical lines with invalid
    UTF-8 (pyarrow fails a whole block on one bad byte; cutting the line out here keeps the
    rest of the file and quarantines exactly what was bad).
    """

    def __init__(self, inner: IO[bytes], state: ReadState, limiter: RecordLimiter) -> None:
        self._inner = inner
        self._state = state
        self._limiter = limiter
        self._buffer = b""
        self._offset = 0  # bytes of ``_buffer`` already handed on
        self._eof = False

    def readable(self) -> bool:
        return True

    def _fill(self) -> None:
        chunk = self._inner.read(CHUNK_BYTES)
        self._eof = not chunk
        for line, data in self._limiter.feed(chunk, final=self._eof):
            self._buffer += self._valid_utf8(line, data)

    def _valid_utf8(self, first_line: int, data: bytes) -> bytes:
        if _is_utf8(data):
            return data
        kept = []
        for number, line in enumerate(data.splitlines(keepends=True), start=first_line):
            try:
                line.decode("utf-8")
                kept.append(line)
            except UnicodeDecodeError as exc:
                self._state.rejects.append(
                    Reject(
                        f"line {number}",
                        "invalid UTF-8",
                        shorten_raw(line),
                        detail=f"at byte {exc.start}",
                    )
                )
        return b"".join(kept)

    def readinto(self, buffer: Any) -> int:
        while self._offset >= len(self._buffer) and not self._eof:
            self._buffer, self._offset = b"", 0
            self._fill()
        n = min(len(buffer), len(self._buffer) - self._offset)
        # a moving offset, not a slice of what is left: each slice copied the rest again
        with memoryview(self._buffer) as view:
            buffer[:n] = view[self._offset : self._offset + n]
        self._offset += n
        return n


def _is_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow without building a Python string
    (4x faster than ``bytes.decode`` on mixed-script text; Arrow's CSV reader applies the
    same rules, so what passes here passes there)."""
    offsets = np.array([0, len(data)], dtype=np.int64)
    text = pa.Array.from_buffers(
        pa.large_string(), 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    try:
        text.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def csv_header(head: bytes, delimiter: str = ",") -> list[str]:
    """Column names from the first line(s) of a CSV file."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [name.strip() for name in next(reader)]
    except (StopIteration, csv.Error):
        return []


#: Arrow's first CSV block size: a record (a row with its quoted newlines) must fit in one
#: block, so a file with a longer one is read again in blocks that hold the longest record
#: kept (see :func:`csv_blocks`)
CSV_BLOCK_BYTES = 16 << 20


def csv_blocks(max_record_bytes: int) -> tuple[int, ...]:
    """The block sizes a CSV file is read with, in turn, when its records are at most
    ``max_record_bytes`` long (longer ones were cut out before Arrow)."""
    largest = max_record_bytes + (1 << 20)
    return (CSV_BLOCK_BYTES,) if largest <= CSV_BLOCK_BYTES else (CSV_BLOCK_BYTES, largest)


def read_csv(
    stream: IO[bytes],
    header: list[str],
    state: ReadState,
    delimiter: str = ",",
    block_bytes: int = CSV_BLOCK_BYTES,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
) -> Iterator[pa.RecordBatch]:
    """Batches of (row number, every column as text) from a CSV stream with a header row;
    records over ``max_record_bytes`` become rejects."""
    if not header:
        return
    names = unique_names(header)

    def on_invalid(row: Any) -> str:
        where = f"line {row.number}" if row.number is not None else "row ?"
        state.rejects.append(
            Reject(
                where,
                "wrong number of CSV fields",
                shorten_raw(row.text or ""),
                detail=f"{row.actual_columns} fields, expected {row.expected_columns}",
            )
        )
        return "skip"

    limiter = RecordLimiter(max_record_bytes, delimiter, state)
    checked = io.BufferedReader(_CheckedStream(stream, state, limiter), buffer_size=CHUNK_BYTES)
    # The file object Arrow reads from is closed however the read ends: after a failed read
    # (a field larger than a block: "straddling object") Arrow still held it, and releasing
    # it at interpreter exit aborted the process (Fatal Python error: PyGILState_Release).
    try:
        yield from _csv_batches(checked, names, delimiter, on_invalid, state, block_bytes)
    finally:
        checked.close()


def _csv_batches(
    checked: io.BufferedReader[_CheckedStream],
    names: list[str],
    delimiter: str,
    on_invalid: Any,
    state: ReadState,
    block_bytes: int,
) -> Iterator[pa.RecordBatch]:
    if not checked.peek(1):  # nothing left once invalid lines were cut out
        return
    reader = pacsv.open_csv(
        checked,
        read_options=pacsv.ReadOptions(
            column_names=names, skip_rows=1, block_size=block_bytes, use_threads=True
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    seq = 0
    for batch in reader:
        n = batch.num_rows
        seqs = pa.array(range(seq + 1, seq + n + 1), pa.int64())
        seq += n
        state.rows += n
        yield pa.RecordBatch.from_arrays([seqs, *batch.columns], names=["seq", *names])


def unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(header):
        base = name or f"column_{i + 1}"
        if base in seen:
            seen[base] += 1
            base = f"{base}_{seen[base]}"
        else:
            seen[base] = 0
        out.append(base)
    return out


def read_parquet(path: Path, state: ReadState) -> Iterator[pa.RecordBatch]:
    """Batches (row number, columns) of a Parquet file, streamed by row group."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise UnreadableFileError(f"{path}: not a readable Parquet file ({exc})") from exc
    seq = 0
    for batch in pf.iter_batches(batch_size=65_536):
        n = batch.num_rows
        seqs = pa.array(range(seq + 1, seq + n + 1), pa.int64())
        seq += n
        state.rows += n
        yield pa.RecordBatch.from_arrays([seqs, *batch.columns], names=["seq", *batch.schema.names])
