"""The case file among other processes: a lock held elsewhere, a spill folder left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cibscan.cli import main
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
