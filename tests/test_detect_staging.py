"""A detect run commits its work as it goes into a staging schema and replaces the case's
findings in one short transaction at the end (DuckDBEngine.staging; docs/scale.md: one
transaction over the whole run kept every dropped scratch table until the commit and
spilled tens of GB). These tests hold the promise that made the one transaction worth
having: a run that fails leaves the previous findings exactly as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import detect
from cibscan.engine.duckdb_engine import STAGING_SCHEMA, DuckDBEngine
from cibscan.store import Case
from cibscan.tells.base import Tell, TellContext, tells
from tests import scenes
from tests.conftest import load, rows

# the retweet ring alone over the organic crowd: six accounts found by co_repost, a small
# case that runs in a second
FAST = DetectOptions(signals=["co_repost"], tells=["creation_burst"])


def snapshot(case: Case) -> dict[str, list[dict[str, Any]]]:
    """The findings a reader of the case sees, in a fixed order."""
    return {
        "pairs": rows(case, "SELECT * FROM pairs ORDER BY ALL"),
        "account_scores": rows(case, "SELECT * FROM account_scores ORDER BY ALL"),
        "account_tells": rows(case, "SELECT * FROM account_tells ORDER BY ALL"),
        "detect_runs": rows(case, "SELECT run_id FROM detect_runs ORDER BY ALL"),
    }


def schemas(case: Case) -> set[str]:
    return {r[0] for r in case.engine.fetchall("SELECT schema_name FROM duckdb_schemas()")}


@pytest.fixture
def detected(case: Case, tmp_path: Path) -> Case:
    posts = scenes.organic_background() + scenes.retweet_ring()
    load(case, scenes.write(tmp_path / "ring.jsonl", posts), format="generic_jsonl")
    report = detect(case, FAST)
    assert report.flagged == 6  # the ring, nobody else (tests/scenes.py)
    return case


def test_a_run_that_fails_after_its_signals_leaves_the_previous_findings(
    detected: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(detected)
    burst = type(tells()["creation_burst"])

    def fail(self: Tell, ctx: TellContext, params: Any) -> None:
        # the signals have written their pairs by now (into the staging schema), and the
        # scratch work has committed: none of it may reach the case's tables
        assert ctx.engine.fetchall("SELECT count(*) FROM pairs")[0][0] > 0
        raise RuntimeError("the tell broke")

    monkeypatch.setattr(burst, "accounts", fail)
    with pytest.raises(RuntimeError, match="the tell broke"):
        detect(detected, DetectOptions(signals=["co_repost", "co_post"], tells=["creation_burst"]))
    assert snapshot(detected) == before
    assert STAGING_SCHEMA not in schemas(detected)
    monkeypatch.undo()
    # and the case takes the next run as usual
    report = detect(detected, FAST)
    assert report.flagged == 6
    assert len(snapshot(detected)["detect_runs"]) == 2


def test_a_killed_runs_leftovers_are_cleared_by_the_next_run(detected: Case) -> None:
    """A process killed mid-run leaves its staging schema in the file; the case's own
    tables are untouched, and the next run starts by dropping what was left."""
    engine = detected.engine
    engine.execute(f"CREATE SCHEMA {STAGING_SCHEMA}")
    engine.execute(f"CREATE TABLE {STAGING_SCHEMA}.pairs AS SELECT 'junk' AS signal")
    engine.execute(f"CREATE TABLE {STAGING_SCHEMA}.half_done AS SELECT 1 AS x")
    assert rows(detected, "SELECT count(*) AS n FROM pairs WHERE signal = 'junk'") == [{"n": 0}]
    report = detect(detected, FAST)
    assert report.flagged == 6
    assert STAGING_SCHEMA not in schemas(detected)
    tables = {r[0] for r in engine.fetchall("SELECT table_name FROM duckdb_tables()")}
    assert "half_done" not in tables


def test_inside_staging_drops_and_renames_cannot_reach_the_case_tables(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "c.duckdb")
    engine.execute("CREATE TABLE posts AS SELECT 1 AS x")
    engine.execute("CREATE TABLE pairs AS SELECT 'old' AS v")
    with engine.staging() as publish:
        # a drop of a name only the case has is a no-op (unqualified, DuckDB would have
        # found main.pairs and dropped it for good, outside any transaction)
        engine.drop_table("pairs")
        assert engine.fetchall("SELECT v FROM main.pairs") == [("old",)]
        # reads fall through to the case; new tables are staged
        engine.execute("CREATE TABLE pairs AS SELECT 'new' || x AS v FROM posts")
        engine.execute("CREATE TABLE _fresh AS SELECT 2 AS y")
        engine.rename_table("_fresh", "edges")
        assert engine.table_exists("edges") and engine.table_exists("posts")
        engine.create_scratch("_scratch", "SELECT 3 AS z")
        engine.drop_table("_scratch")  # scratch tables are dropped as they are
        assert not engine.table_exists("_scratch")
        assert engine.fetchall("SELECT v FROM main.pairs") == [("old",)]
        with engine.transaction():
            assert publish() == ["edges", "pairs"]
    assert engine.fetchall("SELECT v FROM pairs") == [("new1",)]
    assert engine.fetchall("SELECT y FROM edges") == [(2,)]
    assert engine.fetchall(
        "SELECT count(*) FROM duckdb_schemas() WHERE schema_name = ?", [STAGING_SCHEMA]
    ) == [(0,)]
    engine.close()


def test_publishing_needs_a_transaction_and_staging_does_not_nest(tmp_path: Path) -> None:
    engine = DuckDBEngine(tmp_path / "c.duckdb")
    with engine.staging() as publish:
        with pytest.raises(RuntimeError, match="inside a transaction"):
            publish()
        with pytest.raises(RuntimeError, match="cannot start"), engine.staging():
            pass
    with engine.transaction(), pytest.raises(RuntimeError, match="cannot start"), engine.staging():
        pass
    engine.close()
