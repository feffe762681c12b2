"""The tells on both engines: the same tell over the same inputs must write the same rows
on DuckDB and on Spark (local[2]) (issue 16, docs/scale.md).

The inputs a tell reads (account_index, cib_posts, accounts, the clusters, ...) are made
once per scene by the DuckDB pipeline (``detect``) and copied to Spark through Arrow, so
that the comparison is of the tell alone: the steps before it are compared on their own
(tests/test_engines.py for the signals). Each scene is one whose tell is known to fire
(the known answer is asserted too), so that identical output is never trivially empty.

Every registered tell is compared today. A tell not yet ported would carry the explicit mark
``not_on_spark_yet`` naming what it lacks, and a test fails when a registered tell is
neither compared nor marked. The string helpers are also checked one by one, each on a
value where the engines' own functions differ.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.inputs import build_inputs, input_columns
from cibscan.detect.on_spark import TELLS_ON_SPARK
from cibscan.detect.pipeline import detect
from cibscan.engine import DuckDBEngine, Engine
from cibscan.engine.arrow_functions import damerau_levenshtein, jaro_winkler, strip_accents
from cibscan.engine.spark_engine import SparkEngine
from cibscan.store import Case, open_case
from cibscan.tells.base import ACCOUNT_TELLS_DDL, TellContext, get_tell, tells
from tests import scenes
from tests.conftest import load
from tests.test_engines import assert_same_rows
from tests.test_match import build_library, period2
from tests.test_tells import _burst_scene
from tests.test_tells_amplifier import core_and_relays, idol_fans, repost_crowd
from tests.test_tells_camo import _history, _organic_mixers, _personas_with
from tests.test_tells_insular import amplified_personas, friends, persona_scene
from tests.test_tells_names import _impersonation_scene, _persona_scene

pytestmark = pytest.mark.spark

#: the tables a tell may read besides cib_posts, copied from the DuckDB case when present
INPUT_TABLES = (
    "posts",
    "accounts",
    "account_index",
    "account_clusters",
    "clusters",
    "edges",
    "account_scores",
    "account_names",
    "matches",
)

#: scenes by name: the posts of each, built in a folder of their own (by the tests of the
#: tells, imported)
SCENES: dict[str, Callable[[Path], list[scenes.Post]]] = {
    # the retweet ring's six accounts created within two days, everyone else over ten years
    "burst": lambda _: _burst_scene(launch_week_share=0.0),
    # every campaign of tests/scenes.py: the shift workers post in UTC+8 office hours
    "full": lambda _: scenes.full_scene(),
    # a core cluster and eight relays passing its posts along, beside idol fans
    "relay": lambda _: (
        scenes.organic_background() + repost_crowd() + core_and_relays() + idol_fans()
    ),
    # the copypasta personas interleave politics with shared mundane spam; a news outlet
    # and a football fan mix too, alone
    "camouflage": lambda _: (
        scenes.organic_background() + _personas_with("camouflage") + _organic_mixers()
    ),
    # three ring members are old Bengali accounts back after nine years in English and
    # Chinese politics under a new handle (script, language and name changes)
    "hijacked": lambda _: (
        scenes.organic_background() + scenes.retweet_ring() + _history("hijacked")
    ),
    # six personas engaged by twenty amplifiers who engage nothing else (a closed group),
    # the retweet ring reposting its seed (cluster view), a celebrity's fans and friends
    "insular": lambda _: (
        scenes.organic_background()
        + scenes.viral_storm()
        + scenes.retweet_ring()
        + amplified_personas()
        + friends()
    ),
    # Meta's persona handles in the retweet ring, one display name for the copypasta
    # personas, organic look-alikes (jsmith1984, two John Smiths, brands)
    "personas": lambda _: _persona_scene(),
    # look-alikes of a protected journalist (its list written to protected.csv beside the
    # case) and a newer copy of an older account
    "impersonation": lambda folder: _impersonation_scene(folder)[0],
    # the retweet ring's twins on YouTube (handle), Reddit (a bio link) and TikTok (profile
    # image); the cross-platform pair tied by content; a brand on five platforms and two
    # John Smiths (compared by Jaro-Winkler, not linked)
    "cross_platform": lambda _: persona_scene(),
    # period 2 of tests/test_match.py, matched against the library of period 1 (written
    # beside the case): r1..r4 by their fingerprint, n1 by its id
    "known": lambda folder: (build_library(folder), period2())[1],
}

#: tables a tell writes besides its rows, compared too
SIDE_TABLES = {"cross_platform": "account_personas"}


class Scenes:
    """DuckDB cases detected once each, on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.cases: dict[str, Case] = {}

    def case(self, name: str) -> Case:
        if name not in self.cases:
            where = self.folder / name
            where.mkdir()
            case = open_case(where / "case.duckdb")
            posts = SCENES[name](where)
            load(case, scenes.write(where / "posts.jsonl", posts), format="generic_jsonl")
            detect(case, DetectOptions(library=self.library(name)))
            self.cases[name] = case
        return self.cases[name]

    def library(self, name: str) -> str | None:
        """The library a scene was matched against, if it has one."""
        path = self.folder / name / "known.duckdb"
        return str(path) if path.exists() else None

    def close(self) -> None:
        for case in self.cases.values():
            case.close()


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenes]:
    made = Scenes(tmp_path_factory.mktemp("tell-scenes"))
    yield made
    made.close()


def not_on_spark_yet(tell: str, scene: str, reason: str) -> Any:
    """A tell Spark cannot run yet: an explicit, named mark with what it lacks (not run: a
    failing Spark statement would only cost time)."""
    mark = pytest.mark.xfail(run=False, strict=True, reason=f"spark: {reason}")
    return pytest.param(tell, scene, {}, set(), marks=mark, id=tell)


#: (tell, scene, parameters, accounts known to get the tell)
TELL_CASES = [
    pytest.param(
        "creation_burst", "burst", {}, {f"ring_{m}" for m in range(6)}, id="creation_burst"
    ),
    pytest.param(
        "shift_schedule", "full", {}, {f"shift_{m}" for m in range(5)}, id="shift_schedule"
    ),
    # the relays of the core pass its posts along: linked to the core's cluster
    pytest.param(
        "amplifies_cluster",
        "relay",
        {},
        {f"relay_{r}" for r in range(8)},
        id="amplifies_cluster",
    ),
    pytest.param(
        "camouflage", "camouflage", {}, {f"persona_{m}" for m in range(5)}, id="camouflage"
    ),
    pytest.param("repurposed", "hijacked", {}, {f"ring_{m}" for m in range(3)}, id="repurposed"),
    # both views: the closed group of personas and amplifiers, the ring's seed
    pytest.param(
        "insular_engagement",
        "insular",
        {},
        {f"op_{p}" for p in range(6)} | {f"amp_{a}" for a in range(20)} | {"ring_seed"},
        id="insular_engagement",
    ),
    pytest.param(
        "cross_platform",
        "cross_platform",
        {},
        {"UCa1b2c3", "throwaway77", "tt_9911", "ring_0"},
        id="cross_platform",
    ),
    # the ring's persona handles and the personas' one display name; the lone persona-like
    # handle of person_3 is weak evidence
    pytest.param(
        "persona_names",
        "personas",
        {},
        {f"ring_{m}" for m in range(6)} | {f"persona_{m}" for m in range(5)} | {"person_3"},
        id="persona_names",
    ),
    # a photo, a 0-for-o handle and the name of the protected journalist; her name alone; a
    # digit appended; the newer copy of Li Ming (Damerau-Levenshtein, strip_accents)
    pytest.param(
        "impersonation",
        "impersonation",
        {"protected": "protected.csv"},
        {"person_11", "person_12", "person_13", "person_21"},
        id="impersonation",
    ),
    # the matches of `cibscan match` (DuckDB only) are the tell's input, copied
    pytest.param("known_network", "known", {}, {"r1", "r2", "r3", "r4", "n1"}, id="known_network"),
]


def test_every_tell_states_its_state_on_spark() -> None:
    """A new tell must be added to TELL_CASES: compared on both engines, or marked."""
    assert {case.values[0] for case in TELL_CASES} == set(tells())


def test_the_tells_a_spark_run_runs_on_spark_are_the_compared_ones() -> None:
    """``detect --engine spark`` runs on Spark exactly the tells compared here (the others,
    marked, on DuckDB over the network copied back): the list it reads is this file's."""
    compared = {case.values[0] for case in TELL_CASES if not case.marks}
    assert compared == set(TELLS_ON_SPARK)


def copy_inputs(duck: Engine, spark: SparkEngine) -> None:
    """The DuckDB case's input tables as Spark scratch tables (cib_posts included)."""
    for table in (*INPUT_TABLES, "cib_posts"):
        spark.drop_table(table)
        if duck.table_exists(table) or table == "cib_posts":
            spark.insert_arrow(table, duck.fetch_arrow(f"SELECT * FROM {table}"), temp=True)


def run_tell(
    engine: Engine, name: str, params: dict[str, Any], library: str | None = None
) -> list[dict[str, Any]]:
    """Run one tell into a fresh ``account_tells`` and return its rows, sorted, with the
    account id in place of the engine-local key."""
    tell = get_tell(name)
    engine.drop_table("account_tells")
    engine.execute(ACCOUNT_TELLS_DDL)
    ctx = TellContext(engine, library=library)
    tell.accounts(ctx, tell.resolve(params))
    for table in sorted(ctx.shared):
        engine.drop_table(table)
    rows = engine.fetch_arrow(
        """SELECT i.account_id, t.* FROM account_tells AS t
        JOIN account_index AS i ON i.acct = t.acct"""
    ).to_pylist()
    return sorted(rows, key=lambda r: tuple(str(v) for v in r.values()))


@pytest.mark.parametrize(("tell", "scene", "params", "known"), TELL_CASES)
def test_a_tell_gives_the_same_rows_on_both_engines(
    spark: SparkEngine,
    detected: Scenes,
    tell: str,
    scene: str,
    params: dict[str, Any],
    known: set[str],
) -> None:
    duck = detected.case(scene).engine
    if "protected" in params:  # written beside the scene's case
        params = {"protected": str(detected.folder / scene / params["protected"])}
    build_inputs(duck, input_columns([get_tell(tell).reads]))  # detect dropped cib_posts
    copy_inputs(duck, spark)
    library = detected.library(scene)
    expected = run_tell(duck, tell, params, library)
    got = run_tell(spark, tell, params, library)
    assert_same_rows(expected, got, rel_tol=1e-9)
    if tell in SIDE_TABLES:
        side = f"SELECT * FROM {SIDE_TABLES[tell]}"
        left, right = duck.fetch_arrow(side).to_pylist(), spark.fetch_arrow(side).to_pylist()
        assert left, "a comparison of nothing proves nothing"
        assert_same_rows(sorted(left, key=str), sorted(right, key=str))
    assert known <= {r["account_id"] for r in got}, "the known answer"


# --- the string and tell helpers, one by one ----------------------------------------------


def helper_cases(engine: Engine) -> dict[str, str]:
    """SQL of one value per helper, each a case where the engines' own functions differ."""
    words = engine.string_split("'zoe  rich miller'", " ")
    return {
        # C rounds the exact binary value half to even (12.5 -> 12), Java the shortest
        # decimal half up (13); Java's %g keeps trailing zeros and has no e-05
        "printf": engine.printf(
            "%.0f%% %.1f %.2g %+d %d case's %s",
            *("CAST(12.5 AS DOUBLE)", "CAST(0.25 AS DOUBLE)", "CAST(1.5e-05 AS DOUBLE)"),
            *("-3", "7", "'x'"),
        ),
        "date": engine.format_epoch_date("CAST(1709510401.5 AS DOUBLE)"),
        # RE2's \b is ASCII: é is no word character, so a word starts at its e
        "boundary": engine.regexp_contains("'éelection day'", r"\belection\b"),
        # RE2's $ is the end of the text, Java's also before a final line break
        "end": engine.regexp_extract("'abc123' || chr(10)", "([0-9]*)$", 1),
        # a script class, RE2's \p{Han} (Java's \p{IsHan})
        "script": engine.regexp_replace_all("'日本 abc 語'", r"[^\p{Han}]", ""),
        "split": engine.list_join(engine.regexp_split("'a-b, c'", r"[^\p{L}]+"), "|"),
        "round": engine.printf(
            "%d %d %d",
            *(engine.round_to_int64(f"CAST({x} AS DOUBLE)") for x in (2.5, 3.5, 2.4999)),
        ),
        "accents": engine.strip_accents("'Crème Brûlée Zoë हिन्दी 한국어 ß'"),
        # a transposition is one edit; ca -> abc is 2 (unrestricted Damerau-Levenshtein)
        "distance": engine.printf(
            "%d %d",
            engine.edit_distance("'jonhsmith'", "'johnsmith'"),
            engine.edit_distance("'ca'", "'abc'"),
        ),
        # DuckDB's fused multiply-add: 0.805, not 0.8049999999999999
        "jaro": engine.printf("%.17g", engine.jaro_winkler("'dcba'", "'dbada'")),
        # out of range is NULL, and a NULL makes the whole text NULL (Java prints "null")
        "list": engine.printf("%s|%d", engine.list_get(words, 9), engine.list_length(words)),
        "null": engine.printf("%d %.1f", "CAST(NULL AS BIGINT)", "CAST(NULL AS DOUBLE)"),
        "contains": engine.list_contains(words, "'rich'"),
        "extract_all": engine.list_join(
            engine.regexp_extract_all("'x.com/aa and x.com/bb'", r"x\.com/([a-z]+)", 1), ";"
        ),
    }


def test_the_string_helpers_agree_on_both_engines(spark: SparkEngine) -> None:
    duck = DuckDBEngine()
    for name, expected in {
        "printf": "12% 0.2 1.5e-05 -3 7 case's x",
        "date": "2024-03-04",
        "boundary": True,
        "end": "",
        "script": "日本語",
        "split": "a|b|c",
        "round": "2 4 2",
        "accents": "Creme Brulee Zoe हनद 한국어 ß",
        "distance": "1 2",
        "jaro": "0.80500000000000005",
        "list": None,
        "null": None,
        "contains": True,
        "extract_all": "aa;bb",
    }.items():
        got = [e.fetchall(f"SELECT {helper_cases(e)[name]}")[0][0] for e in (duck, spark)]
        assert got == [expected, expected], name
    words = "'zoe  rich miller'"
    for engine in (duck, spark):
        pieces = engine.string_split(words, " ")
        got = engine.fetchall(
            f"SELECT {engine.list_get(pieces, 1)}, {engine.list_get(pieces, -1)}, "
            f"{engine.list_get(pieces, 2)}, {engine.list_length(pieces)}"
        )
        assert got == [("zoe", "miller", "", 4)]
        agg = engine.string_agg_sorted("s", ";")
        assert engine.fetchall(
            f"SELECT {agg} FROM (VALUES ('b'), ('a'), ('b'), (NULL)) AS v(s)"
        ) == [("a;b",)]
    # (a table rewritten from itself, replace_table: tests/test_engines_pipeline.py)


def test_the_python_string_functions_are_duckdbs() -> None:
    """The Arrow UDFs Spark runs give DuckDB's values on 20,000 random pairs (three letters
    and an accented one: many transpositions and near ties)."""
    rng = random.Random(1)
    pairs = [
        tuple("".join(rng.choice("abcé") for _ in range(rng.randint(0, 9))) for _ in "ab")
        for _ in range(20_000)
    ]
    duck = DuckDBEngine()
    duck.insert_arrow("p", pa.table({"a": [a for a, _ in pairs], "b": [b for _, b in pairs]}))
    found = duck.fetchall(
        "SELECT a, b, damerau_levenshtein(a, b), jaro_winkler_similarity(a, b), "
        "strip_accents(a) FROM p"
    )
    for a, b, distance, similarity, stripped in found:
        assert damerau_levenshtein(a, b) == distance, (a, b)
        assert jaro_winkler(a, b) == similarity, (a, b)
        assert strip_accents(a) == stripped, a
