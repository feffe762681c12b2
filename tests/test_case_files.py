"""The case file among other processes: a lock held elsewhere, a spill folder left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.engine.base import EngineResourceError, scratch
from cibscan.engine.limits import MIN_MEMORY_LIMIT
from cibscan.store import CaseError, open_case

#: a second process that opens the case for writing and holds it until its stdin closes
HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_case_held_by_another_process_names_that_process(tmp_path: Path) -> None:
    """DuckDB's lock error ('Could not set lock ... Conflicting lock is held in ...') used to
    come out as 'not a cibscan case'; it now says which process holds the case."""
    path = tmp_path / "case.duckdb"
    with open_case(path):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(CaseError, match=rf"in use by process {holder.pid} \("):
            open_case(path)
        result = CliRunner().invoke(main, ["info", "--case", str(path)])
        assert result.exit_code == 1
        assert f"in use by process {holder.pid}" in result.output
        assert "not a cibscan case" not in result.output
    finally:
        holder.communicate("")
    with open_case(path):  # free again
        pass


def test_a_spill_folder_left_by_a_killed_run_is_removed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "case.duckdb"
    with open_case(path):
        pass
    spill = tmp_path / "case.duckdb.tmp"
    spill.mkdir()
    (spill / "duckdb_temp_storage-0.tmp").write_bytes(b"\0" * 4096)
    with open_case(path, read_only=True):
        assert spill.exists()  # a reader may share the file with a running writer
    with open_case(path):
        assert not spill.exists()


def test_a_failed_statement_is_the_error_reported_not_the_cleanup(tmp_path: Path) -> None:
    """Inside a transaction a failed statement aborts it, and a cleanup DROP then raised
    'Current transaction is aborted', hiding the first error (an out-of-memory, a full
    disk). scratch() reports the first error and drops its tables on success."""
    with open_case(tmp_path / "case.duckdb") as case:
        engine = case.engine
        with (
            pytest.raises(duckdb.CatalogException, match="no_such_table"),
            engine.transaction(),
            scratch(engine, "_x"),
        ):
            engine.execute("CREATE TEMP TABLE _x AS SELECT 1 AS one")
            engine.execute("SELECT * FROM no_such_table")
        with scratch(engine, "_y"):
            engine.execute("CREATE TEMP TABLE _y AS SELECT 1 AS one")
        assert not engine.table_exists("_x") and not engine.table_exists("_y")


def test_out_of_memory_is_one_line_naming_the_limit(tmp_path: Path) -> None:
    """A list of 100M numbers cannot be spilled: at the 128MB floor the engine runs out of
    memory, reported as one line with the limit and what to do (not the engine's advice
    about its threads), and, under the CLI, exit status 1."""
    with open_case(tmp_path / "case.duckdb") as case:
        case.engine.configure(memory_limit=MIN_MEMORY_LIMIT)
        with pytest.raises(EngineResourceError, match=r"out of memory at 128MB: raise --memory"):
            case.engine.fetchall("SELECT len(list(i)) FROM range(100000000) AS t(i)")
        case.engine.configure(memory_limit="1GB")
        assert case.engine.fetchall("SELECT 1")[0][0] == 1  # the case is usable again
