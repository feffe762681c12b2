"""Records over ``--max-record-bytes``: cut out of a CSV stream with a reject, the rest kept.

The unit tests feed :class:`RecordLimiter` hand-written and generated CSV in pieces of any
size and compare what it hands on with the records the test wrote itself; the ingest
tests show the reject in the quarantine and the rest of the file stored.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cibscan.cli import main
from cibscan.ingest.csv_records import RecordCursor, RecordLimiter
from cibscan.ingest.pipeline import IngestOptions, ingest
from cibscan.ingest.readers import ReadState
from cibscan.store import Case, open_case
from tests.test_ingest_core import HEADER, _row


def run_limiter(data: bytes, limit: int, cuts: list[int]) -> tuple[bytes, list[str], ReadState]:
    """Feed ``data`` cut at ``cuts``; what was handed on, the reject locators, the state."""
    state = ReadState()
    limiter = RecordLimiter(limit, ",", state)
    pieces: list[tuple[int, bytes]] = []
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        pieces += limiter.feed(data[start:cut])
        start = max(start, cut)
    pieces += limiter.feed(b"", final=True)
    lines = [line for line, _ in pieces]
    assert lines == sorted(lines)  # pieces come in order, numbered by their first line
    return b"".join(piece for _, piece in pieces), [r.locator for r in state.rejects], state


def test_a_long_quoted_record_is_cut_and_the_records_around_it_kept() -> None:
    """Line 3 opens a quoted field holding three newlines and 200 x's (a 208-byte record
    over the 100-byte limit): it is cut whole, from its first line to its closing quote,
    and its reject names line 3, where it starts. Line 7 (after the record's 4 lines),
    line 2 and the header stay, in whatever pieces the bytes arrive."""
    long = b'2,"' + b"x" * 50 + b"\n" + b"x" * 50 + b"\n" + b"x" * 50 + b"\n" + b"x" * 50 + b'"\n'
    data = b"id,text\n1,short\n" + long + b"3,after\n"
    for cuts in ([], [5], [20, 21, 22], list(range(0, len(data), 7))):
        kept, where, state = run_limiter(data, 100, cuts)
        assert kept == b"id,text\n1,short\n3,after\n"
        assert where == ["line 3"]
        assert state.rejects[0].reason == "record too long"
        assert state.rejects[0].detail.startswith(f"{len(long):,} bytes")


def test_escaped_quotes_and_separators_inside_quotes_do_not_end_a_record() -> None:
    """A doubled quote is a quote inside a quoted field, and a newline or comma there is
    text: the first record's quoted field holds a, a quote, a newline, a comma, b and a
    quote, and ends only after the quote that follows. With a limit of 12 bytes that
    record (13 bytes) is cut and the next, 10 bytes, is kept."""
    data = b'2,"a""\n,b"""\n3,abcdefg\n'
    for cuts in ([], [4], [5], [6], [10], [11], [12]):
        kept, where, _ = run_limiter(data, 12, cuts)
        assert (kept, where) == (b"3,abcdefg\n", ["line 1"])


def test_a_line_of_zeros_without_an_end_is_cut_at_the_end_of_the_file() -> None:
    """A header, then a megabyte of zeros and no newline (a damaged file): the limiter
    holds no more than the limit plus one piece, and the open record becomes one reject at
    the end."""
    data = b"id,text\n" + b"\0" * (1 << 20)
    kept, where, state = run_limiter(data, 4096, list(range(0, len(data), 65536)))
    assert kept == b"id,text\n"
    assert where == ["line 2"]
    assert state.rejects[0].detail.startswith(f"{1 << 20:,} bytes")


def test_a_stray_quote_in_an_unquoted_field_loses_nothing() -> None:
    """``5 "inch"`` is an unquoted field holding quotes (Arrow reads them as text): the
    quote count turns odd after it and stays odd, so the bytes pile up past the limit and
    the exact walk runs, finds every record short and hands everything on."""
    rows = [b'1,5 "inch,x'] + [b"%d,short text here" % i for i in range(2, 400)]
    data = b"\n".join(rows) + b"\n"
    kept, where, _ = run_limiter(data, 200, list(range(0, len(data), 97)))
    assert (kept, where) == (data, [])


def test_the_cursor_waits_for_the_byte_after_a_closing_quote() -> None:
    """A quote at the very end of a piece may be the first half of ``""``; the cursor
    gives it back to be read again with the next piece."""
    cursor = RecordCursor(",")
    assert cursor.ends(b'1,"ab"', final=False) == ([], 5)
    assert cursor.ends(b'""c"\n', final=False) == ([5], 5)


# ----------------------------------------------------------------------------- properties
_PLAIN = st.text(alphabet="abc xyz", max_size=12)
_QUOTED = st.text(alphabet='ab,"\n\r ', max_size=12)
_LONG = st.integers(min_value=70, max_value=400).map(lambda n: "L" * n)


def _field(kind_text: tuple[str, str]) -> bytes:
    kind, text = kind_text
    if kind == "plain":
        return text.encode()
    return b'"' + text.encode().replace(b'"', b'""') + b'"'


_FIELDS = st.one_of(
    st.tuples(st.just("plain"), _PLAIN),
    st.tuples(st.just("quoted"), _QUOTED),
    st.tuples(st.sampled_from(["plain", "quoted"]), _LONG),
)
_RECORDS = st.lists(st.lists(_FIELDS, min_size=1, max_size=4), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(
    records=_RECORDS,
    ending=st.sampled_from([b"\n", b"\r\n"]),
    last_ended=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
)
def test_records_over_the_limit_are_cut_and_all_others_kept(
    records: list[list[tuple[str, str]]], ending: bytes, last_ended: bool, cuts: list[int]
) -> None:
    """Generated CSV (quoted fields with commas, quotes, CR and LF inside; fields of up to
    400 bytes) against a 64-byte limit, fed in random pieces: what comes out is exactly
    the records of 64 bytes or less, in order, and each longer one is one reject naming
    the line it starts on."""
    written = [b",".join(_field(f) for f in fields) + ending for fields in records]
    if not last_ended:
        written[-1] = written[-1][: -len(ending)]
    expected, rejected, line = b"", [], 1
    for record in written:
        if len(record) > 64:
            rejected.append(f"line {line}")
        else:
            expected += record
        line += record.count(b"\n")
    kept, where, _ = run_limiter(b"".join(written), 64, cuts)
    assert (kept, where) == (expected, rejected)


# --------------------------------------------------------------------------------- ingest
def test_an_oversized_record_is_quarantined_and_the_file_ingests(tmp_path: Path) -> None:
    """2,000 IO-archive rows in a .gz with a 3 MB tweet_text on line 1,002 (the header is
    line 1): at --max-record-bytes 1MiB that row is quarantined with its line and size and
    the other 2,000 are stored; counts reconcile."""
    lines = [_row(str(i), text=f"tweet number {i}") for i in range(2000)]
    lines.insert(1000, _row("long", text="y" * (3 << 20)))
    path = tmp_path / "long.csv.gz"
    path.write_bytes(gzip.compress(b"\n".join([HEADER, *lines]) + b"\n", compresslevel=1))
    with open_case(None) as case:
        options = IngestOptions(format="twitter_io_tweets", max_record_bytes=1 << 20)
        (f,) = ingest(case, [path], options).files
        assert (f.read, f.stored, f.quarantined) == (2001, 2000, 1)
        ((where, reason, detail),) = quarantine(case)
    assert (where, reason) == ("line 1002", "record too long")
    assert detail.startswith(f"{len(lines[1000]) + 1:,} bytes, over the limit of 1,048,576")


def quarantine(case: Case) -> list[tuple[str, str, str]]:
    return [
        (str(a), str(b), str(c))
        for a, b, c in case.engine.fetchall("SELECT locator, reason, detail FROM quarantine")
    ]


def test_json_lines_and_items_over_the_limit_are_quarantined(tmp_path: Path) -> None:
    """The same limit holds for a JSON line (Bluesky Jetstream) and for an item of a
    JSON document (a Telegram export message): each is quarantined alone."""
    sample = Path(__file__).parent.parent.parent / "shared/data/formats/05_telegram_desktop"
    if not sample.exists():
        pytest.skip("../shared is not beside the project")
    path = tmp_path / "result.json"
    text = next(sample.glob("*.json")).read_text(encoding="utf-8")
    padded = text.replace('"text": "', '"text": "' + "z" * (2 << 20), 1)
    assert padded != text
    path.write_text(padded, encoding="utf-8")
    with open_case(None) as case:
        (f,) = ingest(case, [path], IngestOptions(max_record_bytes=1 << 20)).files
        assert f.quarantined == 1 and f.read == f.stored + f.duplicates + f.quarantined
        ((where, reason, _),) = quarantine(case)
    assert where.startswith("item ") and reason == "record too long"


@pytest.mark.parametrize(
    ("value", "message"),
    [("10KB", "max_record_bytes must be in [1.04858e+06"), ("lots", "a size such as 64MB")],
)
def test_the_cli_refuses_a_bad_record_limit(tmp_path: Path, value: str, message: str) -> None:
    """A limit under a mebibyte (a header row could be cut) or not a size is one line."""
    path = tmp_path / "t.csv"
    path.write_bytes(HEADER + b"\n" + _row("1", text="hello") + b"\n")
    args = ["ingest", str(path), "--case", str(tmp_path / "c.duckdb")]
    result = CliRunner().invoke(main, [*args, "--max-record-bytes", value])
    assert result.exit_code != 0
    assert message in result.output


_STRAY = st.text(alphabet='ab "', min_size=1, max_size=8).map(lambda t: "s" + t)


@settings(max_examples=200, deadline=None)
@given(
    records=st.lists(
        st.lists(
            st.one_of(st.tuples(st.just("plain"), _STRAY), st.tuples(st.just("quoted"), _QUOTED)),
            min_size=1,
            max_size=4,
        ),
        min_size=1,
        max_size=60,
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=3000), max_size=8),
)
def test_stray_quotes_in_unquoted_fields_lose_nothing(
    records: list[list[tuple[str, str]]], cuts: list[int]
) -> None:
    """Unquoted fields holding quotes (``sa"b``: text to Arrow) make the quote count lie
    about where records end; when no record is over the limit (here 200 bytes, the
    records at most 72) the exact walk finds none to cut, and every byte is handed on."""
    data = b"".join(b",".join(_field(f) for f in fields) + b"\n" for fields in records)
    kept, where, _ = run_limiter(data, 200, cuts)
    assert (kept, where) == (data, [])


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from([b'"', b",", b"\n", b"\r", b"a", b"bb", b'""']), max_size=300),
    limit=st.integers(min_value=1, max_value=40),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_every_byte_is_handed_on_or_counted_in_a_reject(
    data: list[bytes], limit: int, cuts: list[int]
) -> None:
    """Any bytes at all (unbalanced quotes, lone CRs, empty records), any limit and any
    pieces: the bytes handed on plus the sizes of the rejects are the input's length, and
    no reject is within the limit. Nothing is lost or counted twice."""
    raw = b"".join(data)
    kept, _, state = run_limiter(raw, limit, cuts)
    sizes = [int(r.detail.split(" bytes")[0].replace(",", "")) for r in state.rejects]
    assert len(kept) + sum(sizes) == len(raw)
    assert all(size > limit for size in sizes)
