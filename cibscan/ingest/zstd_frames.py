"""zstd frames read one after another, each verified to its end (see :class:`ZstdFrames`)."""

from __future__ import annotations

import io
from typing import IO, Any

import zstandard


class ZstdFrames(io.RawIOBase):
    """The zstd frames of a stream, one after another, verified to their end.

    zstandard's stream reader ends quietly when its input stops between two blocks of a
    frame: a file cut short there read as a shorter, valid file (half of it lost without a
    word). Here each frame must reach its end (and its checksum, when it has one) before
    the input does; otherwise the stream raises ``EOFError``, as gzip, bz2 and lzma do for a
    file cut short, and the source records the cut.
    """

    #: compressed bytes decompressed at a time: what one call can expand to stays bounded
    #: (a run-length block of 4 bytes expands to 128 KiB, so 4 KiB to 128 MiB at worst)
    PIECE = 4 << 10

    def __init__(self, raw: IO[bytes], default_read: int = 4 << 20) -> None:
        self._raw = raw
        self._default_read = default_read
        self._decompressor = zstandard.ZstdDecompressor()
        self._frame: Any = None  # the decompressor of the frame being read
        self._out = bytearray()
        self._at = 0
        self._done = False
        self._fault: Exception | None = None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all with -1), fewer only at the end. A fault met after some
        bytes were gathered is raised by the next call, so those bytes are not lost."""
        if self._fault is not None:
            fault, self._fault = self._fault, None
            raise fault
        wanted = self._default_read if size is None or size < 0 else size
        got = bytearray()
        while len(got) < wanted:
            if self._at >= len(self._out):
                try:
                    if not self._refill():
                        break
                except (zstandard.ZstdError, EOFError) as exc:
                    if not got:
                        raise
                    self._fault = exc
                    break
            take = min(wanted - len(got), len(self._out) - self._at)
            got += self._out[self._at : self._at + take]
            self._at += take
        return bytes(got)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _refill(self) -> bool:
        """Decompress the next piece of input; False at the end of the last frame."""
        while not self._done:
            self._out, self._at = bytearray(), 0
            chunk = self._raw.read(self.PIECE)
            if not chunk:
                self._done = True
                if self._frame is not None and not self._frame.eof:
                    raise EOFError(
                        "premature end of the zstd stream: its last frame is incomplete "
                        "(the file was cut short)"
                    )
                return False
            self._feed(chunk)
            if self._out:
                return True
        return False

    def _feed(self, data: bytes) -> None:
        while data:
            if self._frame is None or self._frame.eof:
                self._frame = self._decompressor.decompressobj()
            self._out += self._frame.decompress(data)
            data = self._frame.unused_data if self._frame.eof else b""
