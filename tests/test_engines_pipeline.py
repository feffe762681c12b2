"""The steps after the signals on both engines (issue 16, third increment): the pair and
group tests, the fused edges, the clusters (Leiden on the driver), the account scores and
the combination rule give the same rows on DuckDB and on Spark (local[2]) over the same
hand-built case, and ``detect(engine='spark')`` puts the same findings into the case as a
DuckDB run.

The case and the comparison are tests/test_engines.py's (imported, not copied): a
six-account retweet ring, three taggers posting the same talking points under other tags,
copypasta personas and shift workers over 40 organic people. One SparkSession
(tests/conftest.py) serves the engine modules. The whole detect, every tell included, runs
once on each engine and its tables in the case are compared; a run with a tell not proven
on Spark shows the fallback (the tells on DuckDB over the network found on Spark, recorded in the
run's params).
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.inputs import build_inputs
from cibscan.detect.on_spark import load_posts
from cibscan.detect.pipeline import (
    DetectReport,
    detect,
)
from cibscan.engine import DuckDBEngine
from cibscan.engine.base import replace_table
from cibscan.engine.spark_engine import SparkEngine
from cibscan.export import export
from cibscan.store import Case
from tests.test_engines import assert_same_rows, ring_case

pytestmark = pytest.mark.spark

__all__ = ["ring_case"]  # the imported fixture, one instance for this module

#: the signals compared: the ring (co_repost), the taggers tied on three layers (co_post,
#: co_mention: edges with several layers, ordered by strength), the personas
#: (near_duplicate, MinHash); four keep the module's time down
SIGNALS = ["co_repost", "co_post", "co_mention", "near_duplicate"]

#: each findings table with its account keys shown as account ids (keys are the engines'
#: own row numbers; they agree, but a difference should read as ids)
NAMED = {
    "pairs": """SELECT ia.account_id AS a_id, ib.account_id AS b_id, x.* FROM pairs AS x
        JOIN account_index AS ia ON ia.acct = x.a JOIN account_index AS ib ON ib.acct = x.b""",
    "edges": """SELECT ia.account_id AS a_id, ib.account_id AS b_id, x.* FROM edges AS x
        JOIN account_index AS ia ON ia.acct = x.a JOIN account_index AS ib ON ib.acct = x.b""",
    "account_clusters": """SELECT i.account_id, x.* FROM account_clusters AS x
        JOIN account_index AS i USING (acct)""",
    "clusters": "SELECT * FROM clusters",
    "account_signal_scores": """SELECT i.account_id, x.* FROM account_signal_scores AS x
        JOIN account_index AS i USING (acct)""",
    "account_scores": "SELECT * FROM account_scores",
    "account_tells": """SELECT i.account_id, x.* FROM account_tells AS x
        JOIN account_index AS i USING (acct)""",
}


@dataclass
class Run:
    """One detect run's report and the tables it left in the case, rows sorted."""

    report: DetectReport
    tables: dict[str, list[dict[str, Any]]]
    params: dict[str, Any]


def detect_and_read(case: Case, options: DetectOptions) -> Run:
    """``detect`` on ``case`` with ``options``, then its findings read back from the case."""
    report = detect(case, options)
    tables = {}
    for table, sql in NAMED.items():
        rows = case.engine.fetch_arrow(sql).to_pylist()
        tables[table] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
    (params,) = case.engine.fetchall(
        "SELECT params FROM detect_runs WHERE run_id = ?", [report.run_id]
    )[0]
    return Run(report, tables, json.loads(params))


@pytest.fixture(scope="module")
def both(spark: SparkEngine, ring_case: Case) -> dict[str, Run]:
    """The whole detect, every step and tell, on DuckDB and then with ``engine='spark'`` (the
    session of tests/conftest.py reused) over the same case: one Spark run serves the step
    by step comparison, the known answer and the end-to-end checks (a second run of the
    steps alone cost a minute of the suite and compared nothing more)."""
    return {
        engine: detect_and_read(ring_case, DetectOptions(signals=SIGNALS, engine=engine))
        for engine in ("duckdb", "spark")
    }


@pytest.mark.parametrize("table", list(NAMED))
def test_a_step_gives_the_same_rows_on_both_engines(both: dict[str, Run], table: str) -> None:
    """Row for row, every column (floats to 1e-12 relative: sums of doubles in another
    order). Clusters: Leiden, seeded, on the same edges in the same order, gives the same
    partition, and clusters are numbered by size and smallest key on both."""
    assert both["duckdb"].tables[table], "a comparison of nothing proves nothing"
    assert_same_rows(both["duckdb"].tables[table], both["spark"].tables[table])


def test_the_ring_is_one_flagged_cluster_and_the_crowd_is_not(both: dict[str, Run]) -> None:
    """The known answer, on Spark: the six ring members retweeted the same eight posts
    seconds apart (a group of six, far past the corroboration level without any tell), so
    they form one cluster and are flagged; none of the 40 organic people is flagged."""
    got = both["spark"].tables
    ring = {f"ring_{m}" for m in range(6)}
    clusters = {r["account_id"]: r["cluster_id"] for r in got["account_clusters"]}
    assert len({clusters[a] for a in ring}) == 1
    flagged = {r["account_id"] for r in got["account_scores"] if r["flagged"]}
    assert ring <= flagged
    assert not {a for a in flagged if a.startswith("person_")}
    # the taggers' edge has two layers (their own words are the same, and so are their
    # texts up to the tags), listed strongest first, ties by name
    tagger = [e for e in got["edges"] if e["a_id"] == "tagger_0" and e["b_id"] == "tagger_1"]
    layers = [
        (-p["strength"], p["signal"])
        for p in got["pairs"]
        if (p["a_id"], p["b_id"]) == ("tagger_0", "tagger_1") and p["significant"]
    ]
    assert len(tagger) == 1 and {s for _, s in layers} == {"co_post", "near_duplicate"}
    assert tagger[0]["layers"] == [s for _, s in sorted(layers)]
    reasons = {r["account_id"]: r["reasons"] for r in got["account_scores"]}
    assert reasons["ring_0"].startswith("co_repost: tied to ")


def test_detect_on_spark_writes_the_same_findings_into_the_case(both: dict[str, Run]) -> None:
    """``detect(engine='spark')`` end to end: the findings land in the case's tables (compared
    table by table above), the run's counts equal a DuckDB run's, and its params say that
    every step and tell ran on Spark."""
    duck, spark = both["duckdb"], both["spark"]
    assert (spark.report.pairs, spark.report.edges, spark.report.clusters) == (
        duck.report.pairs,
        duck.report.edges,
        duck.report.clusters,
    )
    assert spark.report.flagged == duck.report.flagged > 0
    assert spark.params["engine"] == "spark" and spark.params["tell_order"] != []
    assert spark.params["spark"]["tells_on_duckdb"] == []
    assert spark.params["spark"]["tells_skipped"] == []


def test_a_tell_not_proven_on_spark_runs_on_duckdb(
    spark: SparkEngine, ring_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback: when a chosen tell is not listed as proven on Spark (a plugin's tell),
    the network is found on Spark, the tells run on DuckDB over it, the scores equal a
    DuckDB run's, and the run's params say which ran where. One signal and one tell: the
    path is the same for ten, and each costs Spark time."""
    # (by the module: ``cibscan.detect`` as an attribute is the detect function)
    monkeypatch.setattr(
        importlib.import_module("cibscan.detect.on_spark"), "TELLS_ON_SPARK", frozenset()
    )
    options = {"signals": ["co_repost"], "tells": ["insular_engagement"]}
    duck = detect_and_read(ring_case, DetectOptions(**options))
    got = detect_and_read(ring_case, DetectOptions(**options, engine="spark"))
    assert duck.tables["account_scores"]
    assert_same_rows(duck.tables["account_scores"], got.tables["account_scores"])
    assert got.report.flagged == duck.report.flagged > 0
    assert got.params["spark"]["tells_on_duckdb"] == ["insular_engagement"]
    assert got.params["spark"]["tells_skipped"] == []


def test_ordered_aggregates_and_replace_table(spark: SparkEngine) -> None:
    """The pipeline helpers on both engines over four rows: keys descending then ascending
    (the tie between 'b' and 'c' at n = 2 goes to the name), a NULL value kept in the list
    (Spark's collect_list would drop it) and left out of the joined string, distinct values
    once; then a table rewritten in place keeps its declared types."""
    rows = "VALUES ('a', 1, 'x'), ('c', 2, NULL), ('b', 2, 'y'), ('b', 2, 'y') AS v(k, n, s)"
    duck = DuckDBEngine()
    for engine in (duck, spark):
        ordered = engine.ordered_list("k", ["n DESC", "k"])
        values = engine.ordered_list("s", ["n DESC", "k"])
        distinct = engine.ordered_list("k", ["k"], distinct=True)
        joined = engine.ordered_string_agg("s", "; ", ["n DESC", "k"])
        head = engine.list_head(engine.ordered_list("k", ["k DESC"]), 2)
        table = rows if engine is spark else f"({rows.replace(' AS v', ') AS v')}"
        got = engine.fetchall(
            f"SELECT {ordered}, {values}, {distinct}, {joined}, {head} FROM {table}"
        )
        assert got == [
            (["b", "b", "c", "a"], ["y", "y", None, "x"], ["a", "b", "c"], "y; y; x", ["c", "b"])
        ], engine.name
        engine.drop_table("_t_swap")
        engine.execute(f"CREATE TABLE _t_swap (a BIGINT, f DOUBLE, l {engine.list_type('STRING')})")
        engine.execute("INSERT INTO _t_swap VALUES (1, 0.5, NULL), (2, 1.5, NULL)")
        # the SELECT gives a DECIMAL and no list: the table keeps its DOUBLE and its list
        replace_table(engine, "_t_swap", "SELECT a, 2.25 AS f FROM _t_swap WHERE a = 2")
        schema = engine.fetch_arrow("SELECT * FROM _t_swap").schema
        assert [str(t) for t in schema.types[:2]] == ["int64", "double"]
        assert pa.types.is_list(schema.types[2]) and schema.types[2].value_type == pa.string()
        assert engine.fetchall("SELECT a, f, l FROM _t_swap") == [(2, 2.25, None)]
        engine.drop_table("_t_swap")


def test_posts_read_from_parquet_give_the_same_inputs(
    spark: SparkEngine, ring_case: Case, tmp_path: Path
) -> None:
    """``--posts-parquet``: the case's posts exported as Spark reads them at scale
    (``cibscan export posts --format parquet --partition-by platform,date``: folders
    platform=x/date=y, the partition columns read back from the paths) give Spark the same
    detect inputs as the case's own posts: the same keys, times to the microsecond, and
    derived own words (``text_words``)."""
    folder = tmp_path / "posts"
    export(ring_case, "parquet", folder, table="posts", partition_by=("platform", "date"))
    assert {p.name.split("=")[0] for p in folder.iterdir()} == {"platform"}
    columns = ("post_id", "repost_of_post", "mentions", "text_words")
    load_posts(spark, ring_case.engine, str(folder), columns)
    # read from the folder (every column and the partitions' date), not copied from the case
    assert "date" in spark.fetch_arrow("SELECT * FROM posts LIMIT 0").schema.names
    inputs = "SELECT * FROM cib_posts"
    got = {}
    for engine in (ring_case.engine, spark):
        build_inputs(engine, columns)
        rows = engine.fetch_arrow(inputs).to_pylist()
        got[engine.name] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
    assert len(got["duckdb"]) > 1000
    assert_same_rows(got["duckdb"], got["spark"])
