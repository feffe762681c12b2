"""Golden files for the tabular exports, on a small scene whose findings never change.

The scene (a retweet ring of six and five copypasta personas on a small organic background,
see tests/scenes.py) is detected with the defaults; each table is exported as CSV and JSON
and compared byte for byte with tests/golden/. When a change to detection or to a column
contract is intended, regenerate with ``CIBSCAN_REGEN_GOLDEN=1 pytest
tests/test_export_tables.py``, review the diff, and note the change in CHANGELOG.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cibscan.detect.pipeline import detect
from cibscan.export import TABLES, export
from cibscan.store import Case, open_case
from tests import scenes
from tests.conftest import load

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def small_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    folder = tmp_path_factory.mktemp("small")
    posts = (
        scenes.organic_background(seed=3, people=30, days=6)
        + scenes.retweet_ring()
        + scenes.copypasta_personas()
    )
    case = open_case(folder / "case.duckdb")
    load(case, scenes.write(folder / "small.jsonl", posts), format="generic_jsonl")
    detect(case)
    yield case
    case.close()


def check_golden(name: str, produced: Path) -> None:
    """Compare a produced file with its golden copy (or rewrite it when regenerating)."""
    golden = GOLDEN / name
    if os.environ.get("CIBSCAN_REGEN_GOLDEN"):
        golden.write_bytes(produced.read_bytes())
    assert produced.read_bytes() == golden.read_bytes(), f"{name} differs from its golden file"


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_table_exports_match_their_golden_files(
    small_case: Case, table: str, file_format: str, tmp_path: Path
) -> None:
    produced = tmp_path / f"{table}.{file_format}"
    count = export(small_case, file_format, produced, table)
    assert count > 0
    check_golden(f"small_{table}.{file_format}", produced)


def test_a_table_format_needs_a_table_name(small_case: Case, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="one table at a time"):
        export(small_case, "csv", tmp_path / "x.csv")
    with pytest.raises(ValueError, match="unknown export format"):
        export(small_case, "docx", tmp_path / "x.docx", "accounts")


@pytest.mark.parametrize("table", TABLES)
def test_parquet_holds_the_same_rows_as_the_golden_json(
    small_case: Case, table: str, tmp_path: Path
) -> None:
    """Parquet files carry writer metadata, so they are compared by content: the rows read
    back equal the golden JSON's (times compared as ISO text)."""
    import json

    import pyarrow.parquet as pq

    produced = tmp_path / f"{table}.parquet"
    export(small_case, "parquet", produced, table)
    golden = json.loads((GOLDEN / f"small_{table}.json").read_text(encoding="utf-8"))
    read = pq.read_table(produced).to_pylist()
    assert len(read) == len(golden)
    for got, want in zip(read, golden, strict=True):
        assert list(got) == list(want)
        for key, value in got.items():
            if hasattr(value, "isoformat"):
                assert value.isoformat(sep=" ").startswith(want[key].replace("+00", "")[:19])
            elif isinstance(value, float):
                assert value == pytest.approx(want[key])
            else:
                assert value == want[key], key


#: (cell, what a CSV must hold): a spreadsheet runs the first group, not the second
FORMULA_CELLS = [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),  # DDE: a pipe
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("-2+SUM(A1:A9)", "'-2+SUM(A1:A9)"),  # a function call after a sign
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("@x|y", "'@x|y"),
    ("\tTAB", "'\tTAB"),
    ("\rCR", "'\rCR"),
    ("@alice thanks for this (really)", "@alice thanks for this (really)"),  # a reply
    ("@bob @carol look", "@bob @carol look"),
    ("- first point", "- first point"),  # a bullet
    ("-4.5", "-4.5"),
    ("+1 agreed", "+1 agreed"),
    ("@SUM (1)", "@SUM (1)"),  # a space: a mention followed by text, not a call
    ("plain =1+1", "plain =1+1"),
    ("", ""),
]


def test_the_formula_guard_quotes_only_what_a_spreadsheet_runs() -> None:
    """Each cell of the table above through the guard of every CSV cibscan writes: the
    formulas (a leading =, tab or CR; a sign or @ that calls a function or holds a DDE
    pipe) gain a quote, the replies, mentions, bullets and numbers stay exact (guarding
    every @ changed 517 evidence texts of the demo)."""
    from cibscan.export.tables import csv_safe_sql

    with open_case(None) as case:
        engine = case.engine
        engine.execute("CREATE TEMP TABLE cells (i INTEGER, cell VARCHAR)")
        for i, (cell, _) in enumerate(FORMULA_CELLS):
            engine.execute("INSERT INTO cells VALUES (?, ?)", [i, cell])
        guarded = engine.fetchall(csv_safe_sql(engine, "SELECT i, cell FROM cells ORDER BY i"))
    assert [cell for _, cell in guarded] == [want for _, want in FORMULA_CELLS]


@pytest.mark.parametrize("table", TABLES)
def test_json_lines_hold_the_rows_of_the_json_array(
    small_case: Case, table: str, tmp_path: Path
) -> None:
    """``--format jsonl``: one object a line, the same rows and exact values as the JSON
    array (the golden file), integers as integers."""
    import json

    count = export(small_case, "jsonl", tmp_path / "t.jsonl", table)
    lines = (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    golden = json.loads((GOLDEN / f"small_{table}.json").read_text(encoding="utf-8"))
    assert count == len(lines) == len(golden)
    assert [json.loads(line) for line in lines] == golden
    if table == "clusters":
        assert all(isinstance(json.loads(line)["cluster_id"], int) for line in lines)


def test_posts_export_partitioned_by_platform_and_date_holds_every_post(
    tmp_path: Path,
) -> None:
    """The layout Spark reads a large case from: one folder per platform and UTC day. Three
    posts on two platforms over two UTC days (one at 23:30 UTC on the 1st, which is the 2nd
    in Beijing: the day must be UTC's) make three partitions; read back as one hive-partitioned
    table they are the case's posts, every column, no detect run needed."""
    import pyarrow.dataset as ds

    posts = [
        {"platform": "x", "post_id": "1", "account_id": "a", "created_at": "2023-05-01T23:30:00Z",
         "text": "=cmd|' /C calc'!A0 first", "hashtags": ["one"]},
        {"platform": "x", "post_id": "2", "account_id": "b", "created_at": "2023-05-02T01:00:00Z",
         "text": "second"},
        {"platform": "facebook", "post_id": "3", "account_id": "c",
         "created_at": "2023-05-01T08:00:00+08:00", "text": "third"},
    ]  # fmt: skip
    with open_case(tmp_path / "case.duckdb") as case:
        load(case, scenes.write(tmp_path / "p.jsonl", posts), format="generic_jsonl")
        out = tmp_path / "posts"
        count = export(case, "parquet", out, "posts", partition_by=("platform", "date"))
        assert count == 3
        folders = sorted(p.parent.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
        assert folders == [
            "platform=facebook/date=2023-05-01",
            "platform=x/date=2023-05-01",
            "platform=x/date=2023-05-02",
        ]
        back = case.engine.fetchall(
            f"""SELECT platform, post_id, text, hashtags, CAST(date AS VARCHAR)
            FROM read_parquet('{out}/**/*.parquet', hive_partitioning = true) ORDER BY post_id"""
        )
        assert back == [
            ("x", "1", "=cmd|' /C calc'!A0 first", ["one"], "2023-05-01"),
            ("x", "2", "second", [], "2023-05-02"),
            ("facebook", "3", "third", [], "2023-05-01"),
        ]
        # pyarrow reads the same folder as one table with every column of the case's posts
        table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
        stored = case.engine.fetch_arrow("SELECT * FROM posts LIMIT 0").schema.names
        assert table.num_rows == 3 and set(stored) <= set(table.schema.names)
        # a second export into the same folder would mix two exports: refused
        with pytest.raises(ValueError, match="not an empty folder"):
            export(case, "parquet", out, "posts", partition_by=("platform", "date"))
        with pytest.raises(ValueError, match="not a column"):
            export(case, "parquet", tmp_path / "x", "posts", partition_by=("country",))
        # one CSV file of posts guards formula cells as every cibscan CSV does
        assert export(case, "csv", tmp_path / "posts.csv", "posts") == 3
        assert "'=cmd|" in (tmp_path / "posts.csv").read_text()
