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
