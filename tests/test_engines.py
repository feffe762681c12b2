"""One test suite for both engines: the same SQL run on DuckDB and on Spark (local[2]) over
the same hand-built case must give the same pairs and evidence (issue 16, docs/scale.md).

Proof by running, not by transpiling (tests/test_portability.py shows how a transpiler
passes while silently changing meaning). One SparkSession (tests/conftest.py's ``spark``)
serves the three engine modules: its start takes much of the time they add to the suite.

What runs on both today: the detect inputs (``build_inputs``), the shared co-action
machinery with its null model and pair test, and five signals (SIGNAL_CASES). A signal
not yet ported carries the explicit mark ``not_on_spark_yet`` with what it lacks; the
steps after the signals are listed in docs/scale.md.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cibscan.detect.base import FINDINGS_DDL
from cibscan.detect.inputs import build_inputs, input_columns
from cibscan.engine import DuckDBEngine, Engine
from cibscan.engine.spark_engine import SparkEngine
from cibscan.signals.base import SignalContext, get_signal, signals
from cibscan.store import Case, open_case
from tests import scenes
from tests.conftest import load

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def ring_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    """A six-account retweet ring and three accounts posting the same words over an organic
    background of 40 people who retweet a celebrity and reply to each other at human pace
    (tests/scenes.py), ingested into a DuckDB case."""
    folder = tmp_path_factory.mktemp("ring")
    posts = (
        scenes.organic_background(people=40, days=6)
        + scenes.retweet_ring()
        + tagged_copies()
        + scenes.cross_platform_pair()
        + scenes.copypasta_personas()
        + scenes.shift_workers()
    )
    case = open_case(folder / "case.duckdb")
    load(case, scenes.write(folder / "posts.jsonl", posts), format="generic_jsonl")
    add_media(case)
    yield case
    case.close()


def tagged_copies() -> list[scenes.Post]:
    """Three accounts post the same three talking points within 20 s, each copy wrapped in
    other @mentions and #hashtags: identical own words (``text_words``), different texts."""
    points = [
        "the new bridge project is a waste of public money and everyone knows it",
        "ask yourself who profits from the bridge contracts before you vote",
        "our town deserves better roads, not a vanity bridge for the mayor",
    ]
    return [
        scenes.post(
            f"tag_{m}_{k}",
            f"tagger_{m}",
            3 * scenes.DAY + k * 7200 + 10 * m,
            f"@mayor @council @press {point} #nobridge{m} #vote",
            # three objects a post, two of them equally rare: the tie is broken by the text
            mentions=["mayor", "council", "press"],
        )
        for k, point in enumerate(points)
        for m in range(3)
    ]


def add_media(case: Case) -> None:
    """Media hashes (derived at ingest, so set here): the three taggers attach the same
    image to each talking point, tagger_2's copy re-encoded (its perceptual hash one bit
    off, and written with a ``p:`` prefix); a hundred organic posts carry unrelated images
    (16 hex digits, a quarter of them above 2^63: negative as BIGINT) and a few an exact
    content hash that is no perceptual hash."""
    rng = random.Random(5)
    media = "STRUCT(url VARCHAR, type VARCHAR, hash VARCHAR)"
    rows = []
    for k in range(3):
        h = rng.getrandbits(64) | (1 << 63)
        for m in range(3):
            rows.append((f"tag_{m}_{k}", f"p:{h ^ 1:016x}" if m == 2 else f"{h:016x}"))
    organic = case.engine.fetchall(
        "SELECT post_id FROM posts WHERE account_id LIKE 'person_%' ORDER BY post_id LIMIT 100"
    )
    for n, (pid,) in enumerate(organic):
        rows.append((pid, f"sha256:{n:04d}" if n % 10 == 0 else f"{rng.getrandbits(64):016x}"))
    values = ", ".join(f"('{pid}', '{h}')" for pid, h in rows)
    case.engine.execute(
        f"""UPDATE posts SET media = [CAST(ROW('https://img.example/' || v.h, 'image', v.h)
                                          AS {media})]
        FROM (VALUES {values}) AS v(pid, h) WHERE posts.post_id = v.pid"""
    )


def run_signal(engine: Engine, name: str, params: dict[str, Any]) -> dict[str, list[Any]]:
    """Build the detect inputs, run one signal into fresh pairs and evidence tables, and
    return both tables' rows (sorted, with account ids in place of engine-local keys)."""
    signal = get_signal(name)
    build_inputs(engine, input_columns([signal.reads]))
    for table in ("pairs", "evidence"):
        engine.drop_table(table)
        engine.execute(FINDINGS_DDL[table])
    signal.pairs(SignalContext(engine), signal.resolve(params))
    named = """SELECT ia.account_id AS a_id, ib.account_id AS b_id, x.*
        FROM {table} AS x JOIN account_index AS ia ON ia.acct = x.a
        JOIN account_index AS ib ON ib.acct = x.b"""
    out = {}
    for table in ("pairs", "evidence"):
        rows = engine.fetch_arrow(named.format(table=table)).to_pylist()
        out[table] = sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))
    return out


def assert_same_rows(
    left: list[dict[str, Any]], right: list[dict[str, Any]], rel_tol: float = 1e-12
) -> None:
    """Equal row for row; floats to ``rel_tol`` relative (sums of doubles in another order,
    the engines' only licence), everything else exactly."""
    assert len(left) == len(right)
    for x, y in zip(left, right, strict=True):
        assert x.keys() == y.keys()
        for key in x:
            if isinstance(x[key], float) and isinstance(y[key], float):
                assert math.isclose(x[key], y[key], rel_tol=rel_tol, abs_tol=rel_tol), (key, x, y)
            else:
                assert x[key] == y[key], (key, x, y)


def not_on_spark_yet(signal: str, reason: str) -> Any:
    """A signal Spark cannot run yet: an explicit, named mark with what it lacks
    (docs/scale.md), not run (a failing Spark statement would only cost time)."""
    mark = pytest.mark.xfail(run=False, strict=True, reason=f"spark: {reason}")
    return pytest.param(signal, {}, marks=mark, id=signal)


SIGNAL_CASES = [
    # the defaults: 15-minute window, sessions of an hour, episodes merged
    pytest.param("co_repost", {}, id="co_repost-15m"),
    # one episode per object: the unmerged path, no sessions
    pytest.param("co_repost", {"window": "case"}, id="co_repost-case"),
    # replies to the same post within 6 h (the organic people reply to each other, minutes
    # to hours apart); a window past the hour-long session: one session an episode
    pytest.param("co_reply", {"window": "6h"}, id="co_reply-6h"),
    # identical own words: the derived text_words column and its regex
    pytest.param("co_post", {}, id="co_post"),
    # several objects a post (explode); a day's window pairs organic news readers too
    pytest.param("co_url", {"window": "1d"}, id="co_url-1d"),
    pytest.param("co_domain", {}, id="co_domain"),
    # three mentions a tagger post, two equally rare: the trial's object is the text's first
    pytest.param("co_mention", {}, id="co_mention"),
    pytest.param("co_media", {}, id="co_media"),
    # perceptual hashes within 2 bits: hex parsing, Hamming distance, families
    pytest.param("co_media", {"max_hamming": 2}, id="co_media-hamming2"),
    # the same ordered tags: list columns and the list helpers (the organic people pick
    # from a few tag strings; a day's window pairs some of them)
    pytest.param("hashtag_sequence", {"window": "1d"}, id="hashtag_sequence-1d"),
    # MinHash LSH on stable (MD5) token hashes; the personas' edited copies (with emoji)
    pytest.param("near_duplicate", {}, id="near_duplicate"),
    # the signatures in four batches of texts (about 860 texts): appended scratch tables
    pytest.param("near_duplicate", {"batch_texts": 250}, id="near_duplicate-batched"),
    # MinHash candidates over active minutes: the shift workers
    pytest.param("sync_activity", {}, id="sync_activity"),
    # reposts of an account's posts within a minute (the ring reposts the seed account's
    # posts 30 to 45 s after them: six pairs of 8 fast reposts)
    pytest.param("fast_repost", {"max_delay": "1m"}, id="fast_repost-1m"),
]


def test_every_signal_states_its_state_on_spark() -> None:
    """A new signal must be added to SIGNAL_CASES: compared on both engines, or marked."""
    listed = {case.values[0] for case in SIGNAL_CASES}
    assert listed == set(signals())


@pytest.mark.parametrize(("signal", "params"), SIGNAL_CASES)
def test_a_signal_gives_the_same_pairs_and_evidence_on_both_engines(
    spark: SparkEngine, ring_case: Case, signal: str, params: dict[str, Any]
) -> None:
    duck = ring_case.engine
    spark.drop_table("posts")
    reads = input_columns([get_signal(signal).reads])
    # the posts columns the signal's inputs read (text_words is derived from text_norm)
    stored = [c.replace("text_words", "text_norm") for c in reads]
    wanted = ", ".join(dict.fromkeys(["platform", "account_id", "created_at", *stored]))
    spark.insert_arrow("posts", duck.fetch_arrow(f"SELECT {wanted} FROM posts"))
    expected = run_signal(duck, signal, params)
    got = run_signal(spark, signal, params)
    assert_same_rows(expected["pairs"], got["pairs"])
    assert_same_rows(expected["evidence"], got["evidence"])
    assert got["pairs"], "a comparison of nothing proves nothing"
    if (signal, params) == ("co_repost", {}):
        assert_ring(got)
    if signal == "fast_repost":
        seeded = {(r["a_id"], r["b_id"], r["n_shared"]) for r in got["pairs"]}
        assert {(f"ring_{m}", "ring_seed", 8) for m in range(6)} <= seeded
    if signal == "co_media":
        taggers = {(r["a_id"], r["b_id"]) for r in got["pairs"] if r["a_id"] == "tagger_0"}
        tied = {("tagger_0", "tagger_1")} | (
            {("tagger_0", "tagger_2")} if params.get("max_hamming") else set()
        )
        assert taggers == tied
    if signal in ("near_duplicate", "sync_activity"):
        prefix = "persona_" if signal == "near_duplicate" else "shift_"
        found = {(r["a_id"], r["b_id"]) for r in got["pairs"] if r["a_id"].startswith(prefix)}
        assert len(found) == 10, found
    if signal == "co_post":
        # the three taggers' own words are the same three times: 3 pairs of 3 shared items
        taggers = {
            (r["a_id"], r["b_id"], r["n_shared"]) for r in got["pairs"] if r["a_id"] == "tagger_0"
        }
        assert taggers == {("tagger_0", "tagger_1", 3), ("tagger_0", "tagger_2", 3)}
        assert {r["object"] for r in got["evidence"] if r["a_id"] == "tagger_1"} == {
            "the new bridge project is a waste of public money and everyone knows it",
            "ask yourself who profits from the bridge contracts before you vote",
            "our town deserves better roads, not a vanity bridge for the mayor",
        }


def assert_ring(got: dict[str, list[Any]]) -> None:
    """The known answer: the six ring members retweeted the same eight posts within 20 s of
    each other, so each of their 15 pairs shares 8 items (and 5 evidence rows, the default
    cap), 3 s apart at the closest (members retweet 3 s after one another)."""
    ring = [
        r for r in got["pairs"] if r["a_id"].startswith("ring_") and r["b_id"].startswith("ring_")
    ]
    assert len(ring) == 15
    gaps = {(r["n_shared"], r["min_dt"]) for r in ring}
    assert gaps == {(8, 3.0), (8, 6.0), (8, 9.0), (8, 12.0), (8, 15.0)}
    ring_evidence = [r for r in got["evidence"] if r["a_id"].startswith("ring_")]
    assert len(ring_evidence) == 15 * 5
    # the organic retweeters of the celebrity pair up too (that is the null model's job),
    # so the comparison is over more than the ring alone
    assert len(got["pairs"]) > len(ring)


# --- the engine contract on Spark ---------------------------------------------------------


def test_scratch_tables_are_computed_once_and_dropped(spark: SparkEngine) -> None:
    # rand() would give new values on every read of a view; a scratch table keeps the first
    spark.create_scratch("_t_once", "SELECT id, rand() AS r FROM range(100)")
    first = spark.fetchall("SELECT sum(r) FROM _t_once")
    assert spark.fetchall("SELECT sum(r) FROM _t_once") == first
    spark.insert_arrow("_t_once", pa.table({"id": [1000], "r": [0.5]}))
    assert spark.fetchall("SELECT count(*) FROM _t_once") == [(101,)]
    spark.rename_table("_t_once", "_t_twice")
    assert not spark.table_exists("_t_once") and spark.table_exists("_t_twice")
    spark.drop_table("_t_twice")
    assert not spark.table_exists("_t_twice")


def test_numbering_is_the_same_rank_on_both_engines_across_partitions(
    spark: SparkEngine,
) -> None:
    # 20,000 distinct (word, number) keys, the number descending: Spark sorts them in five
    # range partitions (coalescing off, so that small data does not collapse into one) and
    # must add each partition's offset, or ids would restart at 1 in every partition
    rng = random.Random(3)
    words = ["ábc", "abc", "zz", "Zz", "中文", "a b", ""]
    keys = {
        (rng.choice(words) + str(rng.randrange(50)), rng.randrange(10**6)) for _ in range(20000)
    }
    data = pa.table({"w": [k[0] for k in keys], "n": [k[1] for k in keys]})
    duck = DuckDBEngine()
    ranked = {}
    settings = {
        "spark.sql.shuffle.partitions": "5",
        "spark.sql.adaptive.coalescePartitions.enabled": "false",
    }
    saved = {key: spark.spark.conf.get(key) for key in settings}
    try:
        for key, value in settings.items():
            spark.spark.conf.set(key, value)
        for engine in (spark, duck):
            engine.insert_arrow("_t_keys", data, temp=True)
            engine.create_numbered("_t_ranked", "SELECT w, n FROM _t_keys", ["w", "n DESC"], "k")
            ranked[engine.name] = engine.fetchall("SELECT k, w, n FROM _t_ranked ORDER BY k")
            engine.drop_table("_t_keys")
            engine.drop_table("_t_ranked")
    finally:
        for key, value in saved.items():
            spark.spark.conf.set(key, value)
    assert [r[0] for r in ranked["spark"]] == list(range(1, len(keys) + 1))
    assert ranked["spark"] == ranked["duckdb"]
    assert ranked["duckdb"] == [
        (i + 1, w, n) for i, (w, n) in enumerate(sorted(keys, key=lambda k: (k[0].encode(), -k[1])))
    ]


def test_hash64_epoch_and_regexp_helpers(spark: SparkEngine) -> None:
    # 200,000 distinct strings: a 32-bit hash gives ~5 collisions by the birthday bound
    # (n^2 / 2^33), a 64-bit one none; values beyond 32 bits prove the width.
    h = spark.hash64("CAST(id AS STRING)")
    (distinct, wide) = spark.fetchall(
        f"SELECT count(DISTINCT {h}), max(abs({h})) > 4294967296 FROM range(200000)"
    )[0]
    assert (distinct, wide) == (200000, True)
    duck = DuckDBEngine()
    ts = "TIMESTAMP '2024-03-04 00:00:01.5'"
    assert spark.fetchall(f"SELECT {spark.epoch(ts)}") == [(1709510401.5,)]
    assert duck.fetchall(f"SELECT {duck.epoch(ts)}") == [(1709510401.5,)]
    # every match replaced, backslashes kept, on both
    text = "'hi @a there #b #c now'"
    for engine in (spark, duck):
        sql = engine.regexp_replace_all(text, r"\s*[@#]\S+", "")
        assert engine.fetchall(f"SELECT {sql}") == [("hi there now",)]
        # whole-string matches only; 16 hex digits as the same 64 bits, signed
        full = engine.regexp_full_match("s", "[0-9a-f]{2}")
        assert engine.fetchall(
            f"SELECT s, {full} FROM (VALUES ('ab'), ('abc'), ('ab\n')) AS v(s) ORDER BY s"
        ) == [("ab", True), ("ab\n", False), ("abc", False)]
        for digits in (
            "ffffffffffffffff",
            "8000000000000000",
            "7fffffffffffffff",
            "00ff00ff00ff00fe",
        ):
            expected = int.from_bytes(bytes.fromhex(digits), "big", signed=True)
            assert engine.fetchall(f"SELECT {engine.hex_to_int64(repr(digits))}") == [(expected,)]
        assert engine.fetchall(
            f"SELECT {engine.hamming_distance('CAST(-1 AS BIGINT)', 'CAST(5 AS BIGINT)')}"
        ) == [(62,)]
        exploded = f"SELECT {engine.explode('x')} AS e FROM (SELECT array(2, 1) AS x) AS l"
        if engine is duck:
            exploded = exploded.replace("array(2, 1)", "[2, 1]")
        assert sorted(engine.fetchall(exploded)) == [(1,), (2,)]


def test_arrow_round_trip_and_copy_to(spark: SparkEngine, tmp_path: Path) -> None:
    data = pa.table({"a": pa.array([1, 2, 3], pa.int64()), "s": ["x", "y", None]})
    spark.insert_arrow("_t_case", data)  # a case table: Parquet in the warehouse
    spark.insert_arrow("_t_case", data)  # appended by name
    assert spark.fetch_arrow("SELECT * FROM _t_case ORDER BY a, s").num_rows == 6
    assert spark.fetchall("SELECT count(*) FROM _t_case WHERE a = ?", [2]) == [(2,)]
    out = tmp_path / "out.parquet"
    assert spark.copy_to("SELECT * FROM _t_case", str(out), "parquet") == 6
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == 6
    csv = tmp_path / "out.csv"
    assert spark.copy_to("SELECT a FROM _t_case WHERE a = 1", str(csv), "csv") == 2
    assert csv.read_text().splitlines() == ["a", "1", "1"]
    with pytest.raises(ValueError, match="cannot write 'json'"):
        spark.copy_to("SELECT 1", str(tmp_path / "x.json"), "json")
    spark.drop_table("_t_case")


def test_transaction_drops_the_tables_a_failed_block_created(spark: SparkEngine) -> None:
    """Spark has no transactions: what the engine promises instead is that a failed block
    leaves no half-made new table behind (appends to existing tables stay)."""
    with pytest.raises(RuntimeError), spark.transaction():
        spark.execute("CREATE TABLE _t_new (a BIGINT)")
        assert spark.table_exists("_t_new")
        raise RuntimeError("the run failed")
    assert not spark.table_exists("_t_new")
    with spark.transaction():
        spark.execute("CREATE TABLE _t_kept (a BIGINT)")
    assert spark.table_exists("_t_kept")
    spark.drop_table("_t_kept")
