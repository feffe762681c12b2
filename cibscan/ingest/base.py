"""Adapter contract: one class per input format, registered by name.

An adapter does two small things, and the ingest pipeline does the rest:

1. ``sniff(head)`` looks at the first decompressed bytes of a file and says how sure it is
   (0..1) that the file is in its format. Formats are chosen by content, never by file name.
2. ``stage_sql(stream)`` is one SQL ``SELECT`` over the raw records (a relation named
   ``stream``, produced by the reader named in ``reader``) that returns canonical columns:

   - ``seq`` (passed through) and ``rec`` (``'post'`` or ``'account'``),
   - any of the post columns in :data:`cibscan.store.base.POST_COLUMNS` (raw forms: the
     pipeline normalises ``urls``, ``hashtags``, ``mentions`` and derives ``text_norm``,
     ``domains``, ``urls_raw``, the source columns and the run id),
   - account fields prefixed ``acct_`` (see :data:`cibscan.store.base.ACCOUNT_FIELDS`),
   - ``reject`` (a reason, or NULL) and ``severity`` for records the adapter itself refuses
     (for example a Bluesky "like" event, which is not a post), and ``raw`` (the record text).

   Everything runs inside the engine: the adapter never loops over records in Python.

Readers (``lines``, ``json``) are in :mod:`cibscan.ingest.readers`, ``csv`` and ``parquet``
in :mod:`cibscan.ingest.tabular`. JSON values are read with DuckDB's JSON functions. For
formats that must be fast, parse each record once with ``json_transform(raw, '<shape>')`` and
read struct fields (see ``twitter_v2``): every ``raw ->> '$.x'`` re-parses the JSON text, which
measured 5x slower on X API v2 lines. Shared SQL macros for timestamps, URLs and list columns
are in :mod:`cibscan.ingest.normalize`.

Built-in adapters register through :func:`register`, exactly as a third-party plugin would
(``cibscan.adapters`` entry points are loaded by :func:`load_plugins`).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from cibscan.ingest.shapes import array_head_as_lines, is_json_array
from cibscan.plugins import Registry

log = logging.getLogger(__name__)

ReaderKind = Literal["lines", "json", "csv", "parquet"]


class Adapter(ABC):
    """Base class of every input format."""

    #: registry name, used by ``--format`` and listed by ``cibscan formats``
    name: ClassVar[str]
    #: platform written to ``posts.platform`` (an adapter may also compute it per record)
    platform: ClassVar[str]
    #: one line for humans
    title: ClassVar[str]
    #: how raw records are read
    reader: ClassVar[ReaderKind]
    #: canonical fields the format fills; leave empty to have them read off ``stage_sql``
    #: (:func:`cibscan.ingest.catalog.filled_fields`), so the list cannot drift from the SQL
    fills: tuple[str, ...] = ()
    #: for csv/parquet readers: every column the SQL uses (absent ones are filled with NULL)
    columns: tuple[str, ...] = ()
    #: for csv/parquet readers: columns without which no record can be read
    required_columns: tuple[str, ...] = ()
    #: for csv: the field delimiter
    delimiter: ClassVar[str] = ","
    #: example of the source (tool, API endpoint) for the docs
    source_hint: ClassVar[str] = ""

    @abstractmethod
    def sniff(self, head: bytes) -> float:
        """Confidence in [0, 1] that a file starting with ``head`` is in this format."""

    @abstractmethod
    def stage_sql(self, stream: str) -> str:
        """One SELECT over ``stream`` returning canonical columns (see module docstring)."""

    def json_prefix(self, head: bytes) -> str:
        """For the ``json`` reader: the ijson prefix of the record array in this document."""
        return "item"

    def for_file(self, head: bytes) -> Adapter:
        """Return the adapter to use for one file, given its head (default: itself).

        For formats whose records need file-level context (a Telegram export's chat id and
        name precede its messages), return a copy that carries it into ``stage_sql``.
        """
        return self

    def configure(self, options: Mapping[str, str]) -> Adapter:
        """Return an adapter set up with user options (the generic format's column map)."""
        if options:
            raise ValueError(f"format {self.name!r} takes no options")
        return self


ADAPTERS: Registry[Adapter] = Registry(
    "format", "cibscan.adapters", "cibscan.ingest", "DEFAULT_ADAPTERS"
)
#: add an adapter (built-ins and plugins alike)
register = ADAPTERS.register
#: load the built-in adapters and any third-party ones declared as entry points
load_plugins = ADAPTERS.load_plugins
#: the adapter of that name, or a ValueError listing the known names
get_adapter = ADAPTERS.get


def adapters() -> dict[str, Adapter]:
    """All registered adapters by name, sorted."""
    return dict(sorted(ADAPTERS.all().items()))


class ArrayOfLines(Adapter):
    """A ``lines`` format whose records were saved as one JSON array instead of lines.

    Researchers' tools do this often (``jq -s``, a scraper that dumps a list, a Jetstream
    capture pretty-printed for reading). Every record is the same as the line it would have
    been, so the inner adapter's SQL runs unchanged over the ``json`` reader's items: no
    adapter handles the array shape itself. Name, platform and title are the inner one's.
    """

    reader = "json"

    def __init__(self, inner: Adapter) -> None:
        self.inner = inner
        self.fills = inner.fills

    def __getattr__(self, attribute: str) -> Any:
        # name, platform, title, source_hint: the inner adapter's (class variables that
        # this wrapper does not define, so lookups that fail here reach the inner one)
        if attribute == "inner":  # not yet set (a copy in the making): no recursion
            raise AttributeError(attribute)
        return getattr(self.inner, attribute)

    def sniff(self, head: bytes) -> float:
        lines = array_head_as_lines(head)
        return self.inner.sniff(lines) if lines is not None else 0.0

    def stage_sql(self, stream: str) -> str:
        return self.inner.stage_sql(stream)

    def json_prefix(self, head: bytes) -> str:
        return "item"

    def for_file(self, head: bytes) -> Adapter:
        return ArrayOfLines(self.inner.for_file(array_head_as_lines(head) or b""))

    def configure(self, options: Mapping[str, str]) -> Adapter:
        return ArrayOfLines(self.inner.configure(options))


def for_shape(adapter: Adapter, head: bytes) -> Adapter:
    """The adapter to read a file with, given its head: a ``lines`` adapter meeting a JSON
    array reads it as an :class:`ArrayOfLines` (one decision, for every format)."""
    if adapter.reader == "lines" and is_json_array(head):
        return ArrayOfLines(adapter)
    return adapter


def sniff_format(head: bytes) -> tuple[Adapter | None, float]:
    """The adapter most confident about ``head``, and its confidence.

    A head that opens a JSON array is shown to the ``lines`` adapters as its first records,
    one a line (:func:`cibscan.ingest.shapes.array_head_as_lines`), so that each format is
    recognised in both shapes without knowing of the other.
    """
    best: Adapter | None = None
    best_score = 0.0
    as_lines = array_head_as_lines(head)
    for adapter in adapters().values():
        try:
            if adapter.reader == "lines" and as_lines is not None:
                score = adapter.sniff(as_lines)
            else:
                score = adapter.sniff(head)
        except Exception:  # a sniffer must never crash detection of the others
            log.exception("sniffer of %s failed", adapter.name)
            continue
        if score > best_score:
            best, best_score = adapter, score
    return best, best_score
