"""Detect contract: what a detect run reads, the options it takes and the tables it writes.

A detect run reads the ingest tables (``posts``, ``accounts``) and replaces the findings
tables below; ``detect_runs`` keeps one row per run with its parameters and the cibscan
version, so a finding can always say how it was made. Account keys inside the findings are
integers (``acct``, from ``account_index``, assigned in (platform, account_id) order) because
integer joins are several times faster than string joins; exports map them back to the
platform's own ids.

Stages, each a module that reads the previous stage's tables and writes its own:
``inputs`` (account_index, cib_posts) -> signals (pairs, evidence) -> ``statistics`` (p-values)
-> :mod:`cibscan.network` (edges, clusters) -> :mod:`cibscan.score` (account_scores, cluster
scores).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cibscan.engine.base import Dialect
from cibscan.engine.duckdb_engine import DuckDBDialect
from cibscan.engine.limits import check_memory_limit, check_number
from cibscan.tells.base import ACCOUNT_TELLS_DDL

# Findings tables, replaced by every detect run (``account_index`` too, made by
# :func:`cibscan.detect.inputs.build_inputs` from the posts).
_FINDINGS_TEMPLATE: dict[str, str] = {
    # STRING, DuckDB's alias of VARCHAR, is what Spark calls it (Spark's VARCHAR needs a
    # length); lists of strings are spelt by the engine (Dialect.list_type)
    "pairs": """CREATE TABLE pairs (
        signal STRING, a BIGINT, b BIGINT, n_shared BIGINT, weight DOUBLE,
        min_dt DOUBLE, first_t DOUBLE, last_t DOUBLE, expected DOUBLE,
        p DOUBLE, q DOUBLE, strength DOUBLE, significant BOOLEAN,
        n_objects BIGINT, n_effective DOUBLE, trials DOUBLE, mean_dt DOUBLE,
        tie_kind STRING, p_alone DOUBLE, q_group DOUBLE, group_size INTEGER)""",
    "evidence": """CREATE TABLE evidence (
        signal STRING, a BIGINT, b BIGINT, object STRING, post_a STRING, post_b STRING,
        t_a DOUBLE, t_b DOUBLE, dt DOUBLE, object_accounts BIGINT)""",
    "edges": """CREATE TABLE edges (
        a BIGINT, b BIGINT, strength DOUBLE, q DOUBLE, weight DOUBLE, n_shared BIGINT,
        layers {string_list}, n_layers INTEGER, min_dt DOUBLE, first_t DOUBLE, last_t DOUBLE)""",
    "clusters": """CREATE TABLE clusters (
        cluster_id INTEGER, size INTEGER, n_edges BIGINT, density DOUBLE, score DOUBLE,
        n_flagged INTEGER, platforms {string_list}, layers {string_list}, first_t DOUBLE,
        last_t DOUBLE, median_min_dt DOUBLE, synchrony DOUBLE)""",
    "account_clusters": """CREATE TABLE account_clusters (acct BIGINT, cluster_id INTEGER)""",
    "account_scores": """CREATE TABLE account_scores (
        acct BIGINT, platform STRING, account_id STRING, score DOUBLE, flagged BOOLEAN,
        cluster_id INTEGER, reasons STRING, strength DOUBLE, n_partners BIGINT,
        tied BOOLEAN)""",
    # tied: a significant coordination tie; flagged: the combination rule (score/combine.py)
    # n_shared: the most items shared with one significant partner
    "account_tells": ACCOUNT_TELLS_DDL,
    "account_signal_scores": """CREATE TABLE account_signal_scores (
        acct BIGINT, signal STRING, score DOUBLE, strength DOUBLE, n_partners BIGINT,
        n_shared BIGINT, best_q DOUBLE, n_tested BIGINT, most_shared BIGINT,
        group_size INTEGER)""",
}


def findings_ddl(dialect: Dialect, table: str) -> str:
    """The CREATE TABLE statement of a findings table in ``dialect``'s spelling."""
    return _FINDINGS_TEMPLATE[table].format(string_list=dialect.list_type("STRING"))


#: the findings tables' statements in DuckDB's spelling (``findings_ddl`` for an engine)
FINDINGS_DDL: dict[str, str] = {
    table: findings_ddl(DuckDBDialect(), table) for table in _FINDINGS_TEMPLATE
}

RUNS_DDL = """CREATE TABLE IF NOT EXISTS detect_runs (
    run_id INTEGER, started_at TIMESTAMPTZ, ended_at TIMESTAMPTZ, cibscan_version VARCHAR,
    params VARCHAR, n_posts BIGINT, n_accounts BIGINT, n_pairs BIGINT, n_edges BIGINT,
    n_clusters BIGINT, n_flagged BIGINT)"""

#: the engines a detect run can use (DetectOptions.engine)
ENGINES: tuple[str, ...] = ("duckdb", "spark")

#: family-wise error rate of an account's strongest tie at the default flag threshold
DEFAULT_ALPHA = 0.01
#: fewest shared items a pair needs before it is tested (one coincidence is an anecdote)
DEFAULT_MIN_SHARED = 2


@dataclass
class DetectOptions:
    """Everything a detect run can be told; recorded in ``detect_runs.params``."""

    #: signals to run (None: every signal enabled by default)
    signals: list[str] | None = None
    #: tells to run (None: every tell enabled by default; []: none, coordination alone)
    tells: list[str] | None = None
    #: per-signal parameter overrides, e.g. {"co_repost": {"window": "30s"}}
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: one window for every windowed signal (overridden by a signal's own ``window``)
    window: Any = None
    alpha: float = DEFAULT_ALPHA
    min_shared: int = DEFAULT_MIN_SHARED
    #: Leiden resolution (higher: smaller clusters)
    resolution: float = 1.0
    seed: int = 0
    evidence_per_pair: int = 5
    #: cluster evidence (-log10 p) at which tied accounts are flagged (docs/signals.md)
    corroborated: float = 6.0
    #: tell strength that flags an account with no tie to a suspicious cluster
    tell_alone: float = 12.0
    #: loose, uncorrected level at which two accounts are *partners* (docs/signals.md): their
    #: actions leave the popularity of what they share, and their tie enters the group tests
    partner_p: float = 1e-3
    #: the engine's memory ceiling while detecting; past it, scratch tables spill to disk
    memory_limit: str | None = "6GB"
    #: a library of known networks: the case is matched against it first and the
    #: known_network tell reads the matches (docs/matching.md)
    library: str | None = None
    #: the engine that detects: ``duckdb`` (the case's own) or ``spark`` (the posts copied
    #: to Apache Spark, the findings copied back into the case: docs/scale.md)
    engine: str = "duckdb"
    #: Spark's master URL when ``engine`` is spark: local[2], spark://host:7077, yarn
    spark_master: str = "local[2]"
    #: Spark settings when ``engine`` is spark, e.g. {"spark.driver.memory": "8g"}
    spark_conf: dict[str, str] = field(default_factory=dict)
    #: a folder of posts as Parquet (``cibscan export posts --format parquet``) that Spark
    #: reads instead of the case's posts (``engine`` spark only)
    posts_parquet: str | None = None

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"unknown engine {self.engine!r}; known: {', '.join(ENGINES)}")
        if self.engine != "spark" and (self.posts_parquet or self.spark_conf):
            raise ValueError("posts_parquet and spark_conf need engine='spark'")
        check_number("alpha", self.alpha, low=0, high=1, low_open=True, high_open=True)
        check_number("partner_p", self.partner_p, low=0, high=1, low_open=True, high_open=True)
        check_number("corroborated", self.corroborated, low=0)
        check_number("tell_alone", self.tell_alone, low=0, low_open=True)
        check_number("resolution", self.resolution, low=0, low_open=True)
        check_number("min_shared", self.min_shared, low=1)
        check_number("evidence_per_pair", self.evidence_per_pair, low=1)
        check_memory_limit(self.memory_limit)
