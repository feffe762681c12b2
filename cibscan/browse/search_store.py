"""The search terms' postings and the posts' texts in flat files read by offset.

A search of several words (``hmlrc kqwhwlbxc``) or of a word with punctuation has to check
the texts of its candidate posts, since the terms only say which words a post holds, not
that they are adjacent. In DuckDB that check read the whole column of texts (it has no
point reads): about 160 ms of one core a query on a 1M-post case, p95 18 s under fifty
clients. So the index also writes, beside its DuckDB file, two Arrow files that are memory
mapped when it is opened:

- ``*.texts.arrow``: row ``sk - 1`` holds the post's text and its URLs (joined by a line
  feed), both lower-cased by DuckDB, as the scan compares them;
- ``*.postings.arrow``: every term's posts (their ``sk``, ascending), one run after the
  other in ``term_id`` order, so a term's posts are the slice ``start`` .. ``start + n``
  that ``search_terms`` records;
- ``*.rows.arrow``: row ``sk - 1`` holds what a result shows (the scan's own query,
  :func:`cibscan.browse.search_index.post_rows_sql`), since fetching a page of results from
  the index's table by ``sk`` was a scan too (20-50 ms of a search on a 1M-post case).

A query then reads only the slices of its terms, the texts of its candidates (Arrow
``take`` and ``match_substring`` on memory-mapped buffers, outside the GIL) and a page of
rows, never a column. The files are written before the index's fingerprint, so an index
cut short is rebuilt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cibscan.engine import Engine

#: rows written per Arrow batch
BATCH_ROWS = 65_536


def store_paths(index_path: Path) -> tuple[Path, Path, Path]:
    """(the texts file, the postings file, the result rows file) of the browse index in
    ``index_path``; the last is absent when the rows could not be numbered as the posts."""
    return (
        index_path.with_name(f"{index_path.name}.texts.arrow"),
        index_path.with_name(f"{index_path.name}.postings.arrow"),
        index_path.with_name(f"{index_path.name}.rows.arrow"),
    )


#: the files' columns (DuckDB may hand strings over as views or large strings)
TEXTS = pa.schema([("text", pa.string()), ("urls", pa.string())])
POSTINGS = pa.schema([("sk", pa.uint32())])


def _write(engine: Engine, sql: str, path: Path, schema: pa.Schema | None = None) -> None:
    """``sql``'s rows into the Arrow file ``path``, as ``schema`` (by default, as DuckDB
    gives them)."""
    if schema is None:
        schema = engine.fetch_arrow(f"SELECT * FROM ({sql}) LIMIT 0").schema
    with pa.ipc.new_file(str(path), schema) as writer:
        for batch in engine.fetch_batches(sql, BATCH_ROWS):
            writer.write_table(pa.Table.from_batches([batch]).cast(schema))


def write_store(engine: Engine, work: str, index_path: Path, rows_sql: str) -> None:
    """Write the texts and postings files of the index being built as ``work`` (its
    ``search_posts`` and ``search_postings`` tables) beside ``index_path``, and the
    results' rows (``rows_sql``, one per post in ``sk`` order) when there is one a post."""
    texts, postings, result_rows = store_paths(index_path)
    for old in store_paths(index_path):  # a reader may still map one: never overwrite it
        old.unlink(missing_ok=True)
    posts, found = engine.fetchall(
        f"SELECT (SELECT count(*) FROM {work}.search_posts), (SELECT count(*) FROM ({rows_sql}))"
    )[0]
    if posts == found:  # else an account listed twice: rows read from the index's table
        _write(engine, rows_sql, result_rows)
    _write(
        engine,
        f"""SELECT lower(text) AS text, lower(array_to_string(urls, chr(10))) AS urls
            FROM {work}.search_posts ORDER BY sk""",
        texts,
        TEXTS,
    )
    _write(
        engine,
        f"SELECT CAST(sk AS UINTEGER) AS sk FROM {work}.search_postings ORDER BY term_id, sk",
        postings,
        POSTINGS,
    )


def _read(path: Path) -> pa.Table:
    """The Arrow file ``path``, memory mapped (its buffers are read when touched)."""
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


class SearchStore:
    """The texts and postings files of an index, memory mapped. Thread-safe: reads only."""

    def __init__(self, index_path: Path) -> None:
        texts, postings, result_rows = store_paths(index_path)
        self._rows = _read(result_rows).to_batches() if result_rows.exists() else None
        #: the first row of each batch of the rows, and the end
        self._row_bounds = np.cumsum([0, *(len(b) for b in self._rows or [])])
        table = _read(texts)
        self._text = table.column("text")
        self._urls = table.column("urls")
        self._postings = _read(postings).column("sk")
        lengths = [len(chunk) for chunk in self._text.chunks]
        #: the first row of each chunk of the texts, and the end
        self._bounds = np.cumsum([0, *lengths])

    def __len__(self) -> int:
        """The number of posts."""
        return int(self._bounds[-1])

    def rows(self, sks: list[int]) -> list[dict[str, Any]] | None:
        """The result rows of the posts ``sks`` (ascending), as the index's table gives
        them; None when the store has none."""
        if self._rows is None:
            return None
        rows = np.asarray(sks, dtype=np.int64) - 1
        cuts = np.searchsorted(rows, self._row_bounds)
        parts = [
            batch.take(pa.array(rows[cuts[k] : cuts[k + 1]] - self._row_bounds[k]))
            for k, batch in enumerate(self._rows)
            if cuts[k] < cuts[k + 1]
        ]
        found: list[dict[str, Any]] = [r for part in parts for r in part.to_pylist()]
        return found

    def postings(self, ranges: list[tuple[int, int]]) -> np.ndarray:
        """The ``sk`` of the posts under any of the terms whose postings are the slices
        ``(start, n)``: sorted, each once."""
        parts: list[np.ndarray] = [
            np.asarray(self._postings.slice(start, n).to_numpy(), dtype=np.int64)
            for start, n in ranges
            if n
        ]
        if not parts:
            return np.empty(0, dtype=np.int64)
        if len(parts) == 1:
            return parts[0]  # one term's posts are stored ascending and distinct
        return np.unique(np.concatenate(parts))

    def containing(self, field: str, sks: np.ndarray, needle: str) -> np.ndarray:
        """Those of the posts ``sks`` (sorted) whose lower-cased text (``field`` ``w``) or
        one of whose lower-cased URLs (``u``) contains ``needle`` (already lower-cased;
        for URLs without a line feed)."""
        column = self._text if field == "w" else self._urls
        rows = sks - 1
        found: list[np.ndarray] = []
        cuts = np.searchsorted(rows, self._bounds)
        for chunk_no, chunk in enumerate(column.chunks):
            lo, hi = int(cuts[chunk_no]), int(cuts[chunk_no + 1])
            if lo == hi:
                continue
            local = rows[lo:hi] - self._bounds[chunk_no]
            hit = pc.match_substring(chunk.take(pa.array(local)), needle)
            mask = hit.fill_null(False).to_numpy(zero_copy_only=False)
            found.append(sks[lo:hi][mask])
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)
