"""CSV records longer than ``--max-record-bytes`` are cut out before Arrow reads the stream.

Arrow's CSV reader needs every record (a row with its quoted newlines) inside one block;
a longer one fails the whole file ("straddling object"), and a gigabyte-long field would
be buffered whole. So the bytes pass through a :class:`RecordLimiter` first, which hands on
complete records and replaces any record over the limit by a reject naming its line, its
size and its first bytes; the rest of the file ingests.

Finding record ends exactly needs CSV's quoting rules, which a Python loop over every field
would make slow. The common path instead counts quote characters with ``bytes.count``: in
a file where quotes appear only in quoted fields (what every CSV writer produces) a newline
after an even number of quotes since the last record end is a record end. Only when bytes
since the last such point pile up past the limit does :class:`RecordCursor` walk them with
the exact rules (Arrow's: a quote opens a quoted field only at the start of a field, ``""``
inside one is a quote, a quote elsewhere is a plain character). A stray quote in an
unquoted field makes the count odd for a while; the exact walk then corrects it, at the
cost of one slower pass over ``limit`` bytes (docs/formats.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from cibscan.ingest.readers import MAX_LINE_BYTES, ReadState, Reject, shorten_raw

#: the default of ``--max-record-bytes`` (docs/formats.md), for CSV records, JSON lines
#: and the items of JSON documents alike
DEFAULT_MAX_RECORD_BYTES = MAX_LINE_BYTES
#: the range accepted: a header row must never be cut (cibscan reads it from the first
#: 256 KB), and Arrow's block must hold the longest record kept
MIN_MAX_RECORD_BYTES = 1 << 20
MAX_MAX_RECORD_BYTES = 1 << 30

_QUOTE = ord('"')
_CR = ord("\r")
#: the rest of a quoted field up to and including its closing quote; possessive, so that
#: an escaped quote (``""``) is never taken apart to end the field early
_QUOTED_REST = re.compile(rb'[^"]*+(?:""[^"]*+)*+"')

_START, _QUOTED, _FIELD = 0, 1, 2


class RecordCursor:
    """Exact record ends of a CSV byte stream, fed piece by piece.

    It jumps from quote to separator with compiled patterns, so its cost grows with the
    number of fields rather than of bytes; it is used where the quote count cannot decide.
    """

    def __init__(self, delimiter: str) -> None:
        self._separator = re.compile(b"[" + re.escape(delimiter.encode()) + b"\r\n]")
        self._delimiter = ord(delimiter.encode())
        self._state = _START

    def ends(self, data: bytes, final: bool, first_only: bool = False) -> tuple[list[int], int]:
        """Offsets just past each record end in ``data``, and how many bytes were taken.

        Bytes past the second number (a closing quote at the very end, which the next byte
        may turn into an escaped quote) must be given again in front of the next piece.
        """
        ends: list[int] = []
        pos, n = 0, len(data)
        while pos < n:
            if self._state == _START:
                if data[pos] == _QUOTE:
                    self._state, pos = _QUOTED, pos + 1
                    continue
                self._state = _FIELD
            if self._state == _QUOTED:
                match = _QUOTED_REST.match(data, pos)
                if match is None:
                    return ends, n  # still inside the quotes
                if match.end() == n and not final:
                    return ends, n - 1  # the closing quote may be half of ``""``
                self._state, pos = _FIELD, match.end()
                continue
            found = self._separator.search(data, pos)
            if found is None:
                return ends, n
            pos = found.end()
            if data[found.start()] == _CR:  # CR LF is one line end
                if pos == n and not final:
                    return ends, found.start()  # the next piece may begin with LF
                pos += data.startswith(b"\n", pos)
            self._state = _START
            if data[found.start()] != self._delimiter:
                ends.append(pos)
                if first_only:
                    return ends, pos
        return ends, n


def _believed_ends(data: bytearray) -> np.ndarray:
    """Offsets just past each line end that follows an even number of quotes: the record
    ends of a file whose quotes are all in quoted fields (vectorised: no loop over lines)."""
    view = np.frombuffer(data, dtype=np.uint8)
    line_ends = np.flatnonzero((view == 10) | (view == 13) if b"\r" in data else view == 10)
    if not len(line_ends):
        return line_ends
    quotes = np.flatnonzero(view == _QUOTE)
    before = np.searchsorted(quotes, line_ends)  # quotes before each line end
    ends: np.ndarray = line_ends[before % 2 == 0] + 1
    return ends


def _last_believed_end(data: bytearray) -> int:
    """The last of :func:`_believed_ends` (0 if none), found backwards from the end: the
    quotes are counted once (``bytearray.count`` runs at memory speed), then line by line
    back while the count before a line end is odd (a newline inside a quoted field). Past
    a few such lines (a stray quote makes every count odd) the arrays are cheaper."""
    cr = b"\r" in data
    quotes = data.count(b'"')
    stop = len(data)
    for _ in range(_STEPS_BACK):
        end = max(data.rfind(b"\n", 0, stop), data.rfind(b"\r", 0, stop) if cr else -1)
        if end < 0:
            return 0
        quotes -= data.count(b'"', end, stop)
        if quotes % 2 == 0:
            return end + 1
        stop = end
    ends = _believed_ends(data)
    return int(ends[-1]) if len(ends) else 0


#: line ends walked back by :func:`_last_believed_end` before it takes the arrays
_STEPS_BACK = 64


@dataclass
class _Skip:
    """A record over the limit whose end is still ahead: its bytes are counted, not kept."""

    cursor: RecordCursor
    line: int  # where the record starts
    head: bytes  # its first bytes, for the reject
    size: int  # its bytes walked so far
    newlines: int  # and the newlines among them
    pending: bytes  # bytes to walk again in front of the next piece


#: how much of a record over the limit is kept in its reject (shortened again there)
_HEAD_BYTES = 4096


@dataclass
class RecordLimiter:
    """Passes a CSV byte stream on as (first line number, bytes) pieces of whole records,
    with records over ``limit`` bytes cut out and rejected (see the module docstring)."""

    limit: int
    delimiter: str
    state: ReadState
    #: bytes since the last record end believed from the quote count, not yet handed on
    _held: bytearray = field(default_factory=bytearray)
    _held_line: int = 1  # the line number of the first held byte
    _skip: _Skip | None = None

    def feed(self, data: bytes, final: bool = False) -> list[tuple[int, bytes]]:
        """Take the next bytes of the file (``final`` with its last piece, maybe empty)."""
        out: list[tuple[int, bytes]] = []
        if self._skip is not None:
            data = self._skipped(data, final)
            if self._skip is not None:
                return out
        self._held += data
        if len(self._held) <= self.limit:
            # no record within the held bytes can be over the limit: only the last end
            # matters, found with two C scans instead of arrays of every line end and quote
            last = _last_believed_end(self._held)
            if last:
                out.append(self._take(last))
            if final and self._held:
                out.extend(self._resolve(final))
            return [piece for piece in out if piece[1]]
        ends = _believed_ends(self._held)
        if len(ends) and int(np.diff(ends, prepend=0).max()) > self.limit:
            out.extend(self._resolve(final))  # a record over the limit among them
        elif len(ends):
            out.append(self._take(int(ends[-1])))
        if len(self._held) > self.limit or (final and self._held):
            out.extend(self._resolve(final))
        return [piece for piece in out if piece[1]]

    def _take(self, n: int) -> tuple[int, bytes]:
        """Hand on the first ``n`` held bytes."""
        with memoryview(self._held) as view:
            piece = bytes(view[:n])  # one copy (a slice of the bytearray would make two)
        line = self._held_line
        self._drop(n)
        return line, piece

    def _drop(self, n: int) -> None:
        self._held_line += self._held.count(b"\n", 0, n)
        del self._held[:n]

    def _resolve(self, final: bool) -> list[tuple[int, bytes]]:
        """Walk the held bytes with the exact rules: hand on records within the limit,
        reject those over it, and keep (or start skipping) the open record at the end."""
        if final and len(self._held) <= self.limit:
            return [self._take(len(self._held))]
        cursor = RecordCursor(self.delimiter)
        ends, taken = cursor.ends(bytes(self._held), final)
        out: list[tuple[int, bytes]] = []
        done = start = 0  # held bytes gone so far; where the current record starts
        for end in ends:
            if end - start > self.limit:
                out.append(self._take(start - done))
                self._reject(self._held_line, bytes(self._held[:_HEAD_BYTES]), end - start)
                self._drop(end - start)
                done = end
            start = end
        out.append(self._take(start - done))
        open_size, taken = len(self._held), taken - start
        if final and open_size > self.limit:  # the last record, ended by the end of file
            self._reject(self._held_line, bytes(self._held[:_HEAD_BYTES]), open_size)
            self._drop(open_size)
        elif final:
            out.append(self._take(open_size))
        elif open_size > self.limit:
            self._skip = _Skip(
                cursor,
                self._held_line,
                bytes(self._held[:_HEAD_BYTES]),
                taken,
                self._held.count(b"\n", 0, taken),
                bytes(self._held[taken:]),
            )
            self._held.clear()
        return out

    def _skipped(self, data: bytes, final: bool) -> bytes:
        """Go on through a record over the limit; the bytes after its end, if it ended."""
        skip = self._skip
        assert skip is not None
        data = skip.pending + data
        ends, taken = skip.cursor.ends(data, final, first_only=True)
        if ends or final:
            end = ends[0] if ends else len(data)
            self._reject(skip.line, skip.head, skip.size + end)
            self._held_line = skip.line + skip.newlines + data.count(b"\n", 0, end)
            self._skip = None
            return data[end:]
        skip.size += taken
        skip.newlines += data.count(b"\n", 0, taken)
        skip.pending = data[taken:]
        return b""

    def _reject(self, line: int, head: bytes, size: int) -> None:
        self.state.rejects.append(
            Reject(
                f"line {line}",
                "record too long",
                shorten_raw(head),
                detail=f"{size:,} bytes, over the limit of {self.limit:,} (--max-record-bytes)",
            )
        )
