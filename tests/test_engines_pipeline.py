"""The steps after the signals on both engines (issue 16, third increment): the pair and
group tests, the fused edges, the clusters (Leiden on the driver), the account scores and
the combination rule give the same rows on DuckDB and on Spark (local[2]) over the same
hand-built case, and ``detect(engine='spark')`` puts the same findings into the case as a
DuckDB run.

The case and the comparison are tests/test_engines.py's (imported, not copied): a
six-account retweet ring, three taggers posting the same talking points under other tags,
copypasta personas and shift workers over 40 organic people. One SparkSession serves the
module. The tells do not run on Spark yet (the tells' port): the comparison runs without
them (``tells=[]``), and the end-to-end run shows them running on DuckDB over the network
found on Spark, recorded in the run's params.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.inputs import build_inputs, input_columns
from cibscan.detect.on_spark import NAME_COLUMNS, load_posts, load_table
from cibscan.detect.pipeline import (
    DetectReport,
    create_findings,
    detect,
    find_network,
    judge_accounts,
    resolve_signals,
)
from cibscan.engine import DuckDBEngine, Engine
from cibscan.engine.base import replace_table
from cibscan.engine.spark_engine import SparkEngine
from cibscan.export import export
from cibscan.store import Case
from tests.test_engines import assert_same_rows, ring_case, spark

pytestmark = pytest.mark.spark

__all__ = ["ring_case", "spark"]  # the imported fixtures, one instance for this module

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
}


def run_steps(engine: Engine, options: DetectOptions) -> dict[str, list[dict[str, Any]]]:
    """Every step of a detect run on ``engine`` (no tells), its tables' rows sorted."""
    create_findings(engine)
    report = DetectReport(run_id=0)
    find_network(engine, options, resolve_signals(options), [], report)
    judge_accounts(engine, options, [])
    out = {}
    for table, sql in NAMED.items():
        rows = engine.fetch_arrow(sql).to_pylist()
        out[table] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
    return out


@pytest.fixture(scope="module")
def both(spark: SparkEngine, ring_case: Case) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The pipeline's tables on DuckDB and on Spark, from the same posts."""
    options = DetectOptions(signals=SIGNALS, tells=[])
    duck = ring_case.engine
    columns = input_columns(signal.reads for signal, _ in resolve_signals(options))
    load_posts(spark, duck, None, columns)
    load_table(spark, duck, "accounts", NAME_COLUMNS)
    return {"duckdb": run_steps(duck, options), "spark": run_steps(spark, options)}


@pytest.mark.parametrize("table", list(NAMED))
def test_a_step_gives_the_same_rows_on_both_engines(
    both: dict[str, dict[str, list[dict[str, Any]]]], table: str
) -> None:
    """Row for row, every column (floats to 1e-12 relative: sums of doubles in another
    order). Clusters: Leiden, seeded, on the same edges in the same order, gives the same
    partition, and clusters are numbered by size and smallest key on both."""
    assert both["duckdb"][table], "a comparison of nothing proves nothing"
    assert_same_rows(both["duckdb"][table], both["spark"][table])


def test_the_ring_is_one_flagged_cluster_and_the_crowd_is_not(
    both: dict[str, dict[str, list[dict[str, Any]]]],
) -> None:
    """The known answer, on Spark: the six ring members retweeted the same eight posts
    seconds apart (a group of six, far past the corroboration level without any tell), so
    they form one cluster and are flagged; none of the 40 organic people is flagged."""
    got = both["spark"]
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


@pytest.mark.parametrize("tells_there", ["spark", "duckdb"])
def test_detect_on_spark_writes_the_same_findings_into_the_case(
    ring_case: Case, tells_there: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``detect(engine='spark')`` end to end (the session of this module is reused): the
    findings land in the case's tables, equal to a DuckDB run's, with every step and tell
    on Spark; and the same when no tell is listed as proven on Spark (a plugin's tell):
    the tells then run on DuckDB over the network found on Spark, and the run's params
    say which ran where."""
    if tells_there == "duckdb":
        # (by the module: ``cibscan.detect`` as an attribute is the detect function)
        monkeypatch.setattr(
            importlib.import_module("cibscan.detect.on_spark"), "TELLS_ON_SPARK", frozenset()
        )
    # the fallback with one tell (the path is the same for ten; each costs Spark time)
    chosen = None if tells_there == "spark" else ["insular_engagement"]
    duck_run = detect(ring_case, DetectOptions(signals=SIGNALS, tells=chosen))
    expected = ring_case.engine.fetch_arrow(
        "SELECT * FROM account_scores ORDER BY acct"
    ).to_pylist()
    spark_run = detect(ring_case, DetectOptions(signals=SIGNALS, tells=chosen, engine="spark"))
    got = ring_case.engine.fetch_arrow("SELECT * FROM account_scores ORDER BY acct").to_pylist()
    assert_same_rows(expected, got)
    assert (spark_run.pairs, spark_run.edges, spark_run.clusters, spark_run.flagged) == (
        duck_run.pairs,
        duck_run.edges,
        duck_run.clusters,
        duck_run.flagged,
    )
    assert spark_run.flagged > 0
    (params,) = ring_case.engine.fetchall(
        "SELECT params FROM detect_runs WHERE run_id = ?", [spark_run.run_id]
    )[0]
    record = json.loads(params)
    assert record["engine"] == "spark" and record["tell_order"] != []
    on_duckdb = record["tell_order"] if tells_there == "duckdb" else []
    assert record["spark"]["tells_on_duckdb"] == on_duckdb
    assert record["spark"]["tells_skipped"] == []


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
