"""Raw record readers: turn any file (plain, gzip, zstd, bz2, xz, zip) into Arrow batches.

Three shapes cover every platform export we know:

- ``lines``: one JSON value per line (NDJSON/JSONL, twarc pages). Batches ``(seq, raw)``.
- ``json``: one JSON document holding an array of records (Telegram, YouTube, TikTok,
  Mastodon...). Streamed with ijson, so a multi-gigabyte export stays in bounded memory.
  Batches ``(seq, raw)`` where ``raw`` is each record re-serialised.
- a ``lines`` format saved as one JSON array (a Jetstream capture pretty-printed with
  ``jq -s``, a scraper that writes arrays) is told apart once for every format:
  :mod:`cibscan.ingest.shapes` lets the sniffers see the array's
  first records as lines, and the pipeline reads the file with the ``json`` reader.
- ``csv`` and ``parquet``: tabular files, in :mod:`cibscan.ingest.tabular`.

Every stream is decompressed on the fly, hashed (sha256 of the bytes on disk) as it passes,
and tolerant of a file that breaks off midway: what came before the fault is kept.

Readers never drop a record silently: what they cannot turn into a row (invalid UTF-8, a CSV
row with the wrong number of fields, an over-long line, a JSON document cut short) becomes a
:class:`Reject` with its reason and raw bytes, so that ingest can quarantine it.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import logging
import lzma
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import zstandard

from cibscan.ingest.zstd_frames import ZstdFrames

log = logging.getLogger(__name__)

LINE_BATCH_BYTES = 8 << 20  # decompressed bytes per batch of lines
CHUNK_BYTES = 4 << 20
MAX_LINE_BYTES = 64 << 20  # a longer "line" is quarantined, not buffered
RAW_KEEP_CHARS = 20_000  # how much of a rejected record the quarantine keeps
HEAD_BYTES = 256 << 10

ProgressHook = Callable[[int], None]


class UnreadableFileError(Exception):
    """The file cannot be read at all (missing, permission, corrupt compression)."""


@dataclass
class Reject:
    """A record the reader could not turn into a row."""

    locator: str
    reason: str  # a stable category, for grouping ("invalid UTF-8")
    raw: str
    severity: str = "error"
    detail: str = ""  # the specifics ("at byte 17")


def shorten_raw(data: bytes | str) -> str:
    """A printable, bounded copy of a rejected record for the quarantine table."""
    if isinstance(data, bytes):
        text = data[: RAW_KEEP_CHARS * 4].decode("utf-8", errors="backslashreplace")
    else:
        text = data
    text = text.replace("\x00", "\\x00")
    if len(text) > RAW_KEEP_CHARS:
        text = text[:RAW_KEEP_CHARS] + f"... [truncated, {len(data)} bytes/chars in all]"
    return text


# --------------------------------------------------------------------------- byte sources
@dataclass
class Source:
    """One logical input: a file, or one member of a zip archive."""

    path: Path
    member: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path}!{self.member}" if self.member else str(self.path)


class _CountingReader(io.RawIOBase):
    """Wraps the on-disk file: hashes and counts the bytes read, reports progress."""

    def __init__(self, raw: IO[bytes], progress: ProgressHook | None) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.bytes_read = 0
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        read_into = getattr(self._raw, "readinto", None)
        if read_into is not None:
            n = read_into(view) or 0
        else:
            data = self._raw.read(len(view))
            n = len(data)
            view[:n] = data
        self.sha256.update(view[:n])
        self.bytes_read += n
        if self._progress and n:
            self._progress(n)
        return int(n)

    def drain(self) -> None:
        """Read to the end so that the hash covers the whole file."""
        while self.readinto(bytearray(CHUNK_BYTES)):
            pass


def _compression(magic: bytes) -> str:
    if magic.startswith(b"\x1f\x8b"):
        return "gzip"
    if magic.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if magic.startswith(b"BZh"):
        return "bz2"
    if magic.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if magic.startswith(b"PK\x03\x04"):
        return "zip"
    return "none"


def _is_documentation(path: Path) -> bool:
    """Files that travel with data sets but are not data (skipped inside folders only).

    ``truth.csv`` is the ground truth beside a simulated or labelled case (``cibscan
    simulate`` writes one): it describes accounts, it holds no posts.
    """
    stem = path.stem.upper()
    return (
        path.name.startswith(".")
        or path.suffix.lower() in {".md", ".txt", ".rst", ".pdf", ".html"}
        or stem in {"LICENSE", "LICENCE", "README", "NOTICE", "COPYING", "CHANGELOG"}
        or path.name.lower() == "truth.csv"
    )


def expand_sources(path: Path) -> list[Source]:
    """The logical inputs behind a path: files in a folder, members of a zip archive."""
    if not path.exists():
        raise UnreadableFileError(f"{path}: no such file or folder")
    if path.is_dir():
        found: list[Source] = []
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if _is_documentation(child):
                continue
            found.extend(expand_sources(child))
        return found
    try:
        with path.open("rb") as f:
            magic = f.read(8)
    except OSError as exc:
        raise UnreadableFileError(f"{path}: {exc.strerror or exc}") from exc
    if _compression(magic) == "zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = [i.filename for i in zf.infolist() if not i.is_dir()]
        except zipfile.BadZipFile as exc:
            raise UnreadableFileError(f"{path}: corrupt zip archive ({exc})") from exc
        return [Source(path, name) for name in names]
    return [Source(path)]


_STREAM_FAULTS = (
    OSError,
    EOFError,
    zlib.error,
    zstandard.ZstdError,
    lzma.LZMAError,
    zipfile.BadZipFile,
)


class _FaultTolerantStream(io.RawIOBase):
    """Ends the stream where decompression fails instead of losing everything read so far.

    A download cut short or a damaged archive is common; what was read before the fault is
    kept, and the fault is recorded on the source so that ingest can quarantine the rest.
    """

    def __init__(self, inner: IO[bytes], owner: OpenSource) -> None:
        self._inner = inner
        self._owner = owner

    def readable(self) -> bool:
        return True

    PIECE = 64 << 10  # a decompressor that fails loses at most the piece being read

    def read(self, size: int | None = -1) -> bytes:
        wanted = CHUNK_BYTES if size is None or size < 0 else size
        pieces: list[bytes] = []
        got = 0
        while got < wanted and self._owner.fault is None:
            try:
                piece = self._inner.read(min(self.PIECE, wanted - got))
            except _STREAM_FAULTS as exc:
                self._owner.fault = f"{type(exc).__name__}: {exc}"
                # EOFError: a file cut short, whose beginning is true (every decompressor
                # says so, ZstdFrames too); anything else is damage, and what came before
                # may be garbage (a flipped byte decodes wrong until the checksum says so)
                self._owner.corrupt = not isinstance(exc, EOFError)
                break
            if not piece:
                break
            pieces.append(piece)
            got += len(piece)
        return b"".join(pieces)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class OpenSource:
    """A decompressed byte stream over a source, hashing the bytes on disk as they pass."""

    def __init__(self, source: Source, progress: ProgressHook | None = None) -> None:
        self.source = source
        self._zip: zipfile.ZipFile | None = None
        #: set when the stream broke off (a truncated or corrupt compressed file)
        self.fault: str | None = None
        #: the break is damage, not a cut: nothing read from the stream can be trusted
        self.corrupt = False
        try:
            self._file = source.path.open("rb")
        except OSError as exc:
            raise UnreadableFileError(f"{source.path}: {exc.strerror or exc}") from exc
        if source.member is not None:
            # A zip member is hashed as its own (decompressed) bytes: it is the logical file.
            try:
                self._zip = zipfile.ZipFile(self._file)
                member: IO[bytes] = self._zip.open(source.member)
            except (zipfile.BadZipFile, KeyError) as exc:
                raise UnreadableFileError(f"{source.name}: cannot open ({exc})") from exc
            self.counter = _CountingReader(member, progress)
            self.compression = "zip"
            self._plain: IO[bytes] = io.BufferedReader(self.counter, buffer_size=CHUNK_BYTES)
            self.stream: IO[bytes] = _FaultTolerantStream(self._plain, self)  # type: ignore[assignment]
            return
        self.counter = _CountingReader(self._file, progress)
        buffered: IO[bytes] = io.BufferedReader(self.counter, buffer_size=CHUNK_BYTES)
        self.compression = _compression(buffered.peek(8)[:8])  # type: ignore[attr-defined]
        self._plain = self._decompressed(buffered)
        self.stream = _FaultTolerantStream(self._plain, self)  # type: ignore[assignment]

    def _decompressed(self, raw: IO[bytes]) -> IO[bytes]:
        kind = self.compression
        if kind == "gzip":
            return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
        if kind == "zstd":
            return ZstdFrames(raw, CHUNK_BYTES)  # type: ignore[return-value]
        if kind == "bz2":
            return bz2.BZ2File(raw)
        if kind == "xz":
            return lzma.LZMAFile(raw)
        return raw

    def read_head(self, n: int = HEAD_BYTES) -> bytes:
        """The first ``n`` decompressed bytes (for sniffing); a fault here is fatal."""
        try:
            return self._plain.read(n)
        except _STREAM_FAULTS as exc:  # zlib.error too (found by tests/test_fuzz_ingest.py)
            raise UnreadableFileError(f"{self.source.name}: cannot decompress ({exc})") from exc

    def finish(self) -> str:
        """Hash the rest of the file and return its sha256."""
        self.counter.drain()
        return self.counter.sha256.hexdigest()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
        self._file.close()


def read_head(source: Source) -> bytes:
    """The first decompressed bytes of a source, for format sniffing."""
    opened = OpenSource(source)
    try:
        return opened.read_head()
    finally:
        opened.close()


# --------------------------------------------------------------------------- readers
@dataclass
class ReadState:
    """What a reader learned while streaming: its rejects and counts."""

    rejects: list[Reject] = field(default_factory=list)
    rows: int = 0


LINE_SCHEMA = pa.schema([("seq", pa.int64()), ("raw", pa.string())])


def _chunks_of_whole_lines(
    stream: IO[bytes], state: ReadState, max_line: int
) -> Iterator[tuple[int, bytes]]:
    """Yield (number of the first line, bytes of whole lines without the last newline).

    A line longer than ``max_line`` bytes is not buffered: it becomes a reject and is skipped.
    """
    pending = b""
    line_no = 0  # lines completed before ``pending``
    skipping = False
    while True:
        chunk = stream.read(LINE_BATCH_BYTES)
        if skipping:
            cut = chunk.find(b"\n")
            if cut < 0 and chunk:
                continue
            skipping = False
            line_no += 1
            chunk = chunk[cut + 1 :] if cut >= 0 else b""
        data = pending + chunk
        if not chunk:
            if data:
                yield line_no + 1, data
            return
        cut = data.rfind(b"\n")
        if cut < 0:
            if len(data) > max_line:
                state.rejects.append(
                    Reject(
                        f"line {line_no + 1}",
                        "line too long",
                        shorten_raw(data),
                        detail=f"longer than {max_line:,} bytes (--max-record-bytes)",
                    )
                )
                pending, skipping = b"", True
            else:
                pending = data
            continue
        body, pending = data[:cut], data[cut + 1 :]
        yield line_no + 1, body
        line_no += body.count(b"\n") + 1


def _decode_lines_slowly(first: int, body: bytes, state: ReadState) -> tuple[list[int], list[str]]:
    """Line-by-line decoding, for a chunk that holds invalid UTF-8: bad lines are rejected."""
    seqs: list[int] = []
    texts: list[str] = []
    for i, line in enumerate(body.split(b"\n")):
        if not line.strip():
            continue
        try:
            texts.append(line.rstrip(b"\r").decode("utf-8"))
            seqs.append(first + i)
        except UnicodeDecodeError as exc:
            state.rejects.append(
                Reject(
                    f"line {first + i}",
                    "invalid UTF-8",
                    shorten_raw(line),
                    detail=f"at byte {exc.start}",
                )
            )
    return seqs, texts


def _lines_array(body: bytes) -> pa.StringArray:
    """The lines of ``body`` (which ends with a newline) as an Arrow string array, no copy.

    Each string keeps its line end ('\\n', or '\\r' before it), which JSON treats as
    whitespace. Raises ArrowInvalid when the bytes are not valid UTF-8.
    """
    data = np.frombuffer(body, dtype=np.uint8)
    breaks = np.flatnonzero(data == 10) + 1
    offsets = np.concatenate(([0], breaks))  # body ends with a newline: breaks[-1] == len
    offsets = offsets.astype(np.int32 if len(body) < 2**31 else np.int64)
    kind = pa.string() if offsets.dtype == np.int32 else pa.large_string()
    arr = pa.Array.from_buffers(
        kind, len(offsets) - 1, [None, pa.py_buffer(offsets), pa.py_buffer(body)]
    )
    arr.validate(full=True)
    return arr


def read_lines(
    stream: IO[bytes], state: ReadState, max_line: int = MAX_LINE_BYTES
) -> Iterator[pa.RecordBatch]:
    """Batches of (line number, text) from a line-oriented stream; blank lines are skipped,
    lines over ``max_line`` bytes rejected.

    Lines are cut and numbered with NumPy over whole chunks and handed to Arrow without a
    copy: a Python loop over lines would cap ingest at a few hundred thousand lines a second.
    """
    for first, body in _chunks_of_whole_lines(stream, state, max_line):
        try:
            lines = _lines_array(body + b"\n")
        except pa.ArrowInvalid:
            seqs, texts = _decode_lines_slowly(first, body, state)
            batch = pa.record_batch(
                [pa.array(seqs, pa.int64()), pa.array(texts, pa.string())], schema=LINE_SCHEMA
            )
        else:
            seq = pa.array(np.arange(first, first + len(lines), dtype=np.int64))
            keep = pc.greater(pc.binary_length(pc.utf8_trim_whitespace(lines)), 0)
            lines = pc.filter(lines, keep)
            if lines.type != pa.string():
                lines = lines.cast(pa.string())
            batch = pa.record_batch([pc.filter(seq, keep), lines], schema=LINE_SCHEMA)
        state.rows += batch.num_rows
        if batch.num_rows:
            yield batch


def read_json_items(
    stream: IO[bytes],
    prefix: str,
    state: ReadState,
    max_item: int = MAX_LINE_BYTES,
    batch_rows: int = 20_000,
) -> Iterator[pa.RecordBatch]:
    """Batches of (item index, item JSON) for the array at ``prefix`` of one JSON document.

    ``prefix`` is an ijson prefix such as ``"messages.item"``; an empty prefix yields the
    whole document as one record. A document that breaks off or is malformed midway keeps the
    items before the fault and quarantines the rest with the parser's message; an item whose
    JSON is over ``max_item`` bytes is quarantined alone.
    """
    seqs: list[int] = []
    raws: list[str] = []
    index = 0
    try:
        for item in ijson.items(stream, prefix, use_float=True):
            raw = orjson.dumps(item)
            index += 1
            if len(raw) > max_item:
                state.rejects.append(
                    Reject(
                        f"item {index - 1}",
                        "record too long",
                        shorten_raw(raw),
                        detail=f"{len(raw):,} bytes, over the limit of {max_item:,} "
                        "(--max-record-bytes)",
                    )
                )
                continue
            seqs.append(index - 1)
            raws.append(raw.decode("utf-8"))
            if len(seqs) >= batch_rows:
                state.rows += len(seqs)
                yield pa.record_batch(
                    [pa.array(seqs, pa.int64()), pa.array(raws)], schema=LINE_SCHEMA
                )
                seqs, raws = [], []
    except (ijson.JSONError, UnicodeDecodeError, ValueError, orjson.JSONEncodeError) as exc:
        rest = stream.read(RAW_KEEP_CHARS)
        state.rejects.append(
            Reject(
                f"item {index}" if prefix else "document",
                "malformed JSON document",
                shorten_raw(rest),
                detail=f"after {index} records: {exc}",
            )
        )
    if seqs:
        state.rows += len(seqs)
        yield pa.record_batch([pa.array(seqs, pa.int64()), pa.array(raws)], schema=LINE_SCHEMA)
