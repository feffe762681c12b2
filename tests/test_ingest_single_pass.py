"""The single-pass ingest of CSV and Parquet (cibscan/ingest/loading.py).

A tabular file is staged in the statement that reads it; its rejected rows are read again
for the quarantine's raw row, and only when there are some. The CSV byte pre-pass finds
the last record end with C scans where the held bytes are within the record limit; it
must agree with the vectorised search it shortcuts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cibscan.engine.base import scratch
from cibscan.ingest import loading, merge
from cibscan.ingest.base import get_adapter
from cibscan.ingest.csv_records import _believed_ends, _last_believed_end
from cibscan.ingest.readers import UnreadableFileError, expand_sources, read_head
from cibscan.store import Case
from tests.conftest import load, rows
from tests.test_ingest_core import _csv, _row


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b",", b'"', b"\n", b"\r", b"\r\n", b'""']), max_size=80))
def test_last_believed_end_agrees_with_the_vectorised_search(parts: list[bytes]) -> None:
    data = bytearray(b"".join(parts))
    ends = _believed_ends(data)
    assert _last_believed_end(data) == (int(ends[-1]) if len(ends) else 0)


def test_last_believed_end_past_many_quoted_newlines() -> None:
    """A stray quote makes every count odd: past a few line ends the arrays decide."""
    data = bytearray(b'a\n"' + b"x\n" * 500)
    ends = _believed_ends(data)
    assert _last_believed_end(data) == int(ends[-1]) == 2
    assert _last_believed_end(bytearray(b'"\n' * 3)) == int(np.max(_believed_ends(b'"\n' * 3)))


def test_clean_csv_is_read_once_and_rejects_show_their_raw_row(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = loading.load_source

    def counted(*args: object, **kwargs: object) -> loading.Loaded:
        reads.append("read")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(loading, "load_source", counted)
    (clean,) = load(case, _csv(tmp_path, _row("1"), _row("2"), name="clean.csv")).files
    assert (clean.read, clean.stored, reads) == (2, 2, ["read"])
    reads.clear()
    bad = _csv(tmp_path, _row("3"), _row("", text="no id"), _row("4", when="x"), name="bad.csv")
    (f,) = load(case, bad).files
    assert (f.read, f.stored, f.quarantined, reads) == (3, 1, 2, ["read", "read"])
    raws = rows(case, "SELECT locator, raw FROM quarantine ORDER BY locator")
    assert [r["locator"] for r in raws] == ["row 2", "row 3"]
    assert '"tweet_text":"no id"' in raws[0]["raw"] and '"tweet_time":"x"' in raws[1]["raw"]


def test_a_file_changed_between_its_two_reads_is_refused(case: Case, tmp_path: Path) -> None:
    """The rejected rows are found again by their row numbers: in another file they would
    be other rows, so a changed file fails rather than quarantining the wrong raw rows."""
    path = _csv(tmp_path, _row("1"), _row(""))
    (source,) = expand_sources(path)
    head = read_head(source)
    adapter = get_adapter("twitter_io_tweets")
    engine = case.engine
    with scratch(engine, "_raw", "_stage"):
        merge.create_stage(engine)
        engine.execute("INSERT INTO _stage (seq, rec, reject) VALUES (2, 'post', 'x')")
        with pytest.raises(UnreadableFileError, match="changed while it was read"):
            loading.load_rejected_rows(engine, adapter, source, head, (16 << 20, 1 << 20), "0")
