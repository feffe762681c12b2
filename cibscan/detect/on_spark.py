"""``detect --engine spark``: the detect steps on Apache Spark, the findings in the case.

The case stays a DuckDB file: the report, the exports and the workbench read it as ever.
Spark gets the posts (the case's own, or a Parquet folder written by ``cibscan export posts
--format parquet --partition-by platform,date``, which a cluster reads from shared
storage), runs the same SQL as DuckDB (the one definition of every step, with the
engine's dialect helpers), and the findings tables are copied back into the case inside
the detect transaction, so a failed run leaves the previous findings in place.

**The tells.** Every built-in tell is proven identical on both engines (listed in
:data:`TELLS_ON_SPARK`, compared in tests/test_engines_tells.py) and runs on Spark. A tell
not listed (a plugin's, say) runs on DuckDB: the
network (pairs, evidence, edges, clusters) is copied back first, then the tells, the
scores and the combination rule run on the case as in a DuckDB run, so the flags follow
the same rule. That reads the case's posts on this machine; a run with ``posts_parquet``
whose case holds no posts cannot run them, and says so (a warning, and the run's params
list them under ``tells_skipped``), never silently. When every chosen tell runs on Spark
(or none is chosen, ``--tell none``) the whole run stays on Spark.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cibscan.detect.base import FINDINGS_DDL, DetectOptions
from cibscan.detect.inputs import DERIVED_COLUMNS, build_inputs, input_columns
from cibscan.engine import Engine
from cibscan.progress import phase

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from cibscan.detect.pipeline import DetectReport
    from cibscan.engine.spark_engine import SparkEngine
    from cibscan.signals.base import Signal
    from cibscan.tells.base import Tell

log = logging.getLogger(__name__)

#: tells proven identical on both engines (tests/test_engines_tells.py compares each one
#: and fails when this list and its comparisons differ); any other tell runs on DuckDB
#: after the network is copied back
TELLS_ON_SPARK: frozenset[str] = frozenset(
    {
        "amplifies_cluster",
        "camouflage",
        "creation_burst",
        "cross_platform",
        "impersonation",
        "insular_engagement",
        "known_network",
        "persona_names",
        "repurposed",
        "shift_schedule",
    }
)

#: the tables a Spark run copies into the case: the network first, then what the tells
#: and the scores write (``account_index`` maps the integer keys back to account ids)
NETWORK_TABLES: tuple[str, ...] = (
    "account_index",
    "pairs",
    "evidence",
    "edges",
    "account_clusters",
    "clusters",
)
JUDGED_TABLES: tuple[str, ...] = ("account_tells", "account_signal_scores", "account_scores")
#: the case's tables the tells read besides posts and accounts (earlier names of the
#: accounts; the matches ``--library`` made on the case before the run), when present
TELL_CASE_TABLES: tuple[str, ...] = ("account_names", "matches")
#: the accounts' columns the combination rule reads (a disclosed entity's names)
NAME_COLUMNS: tuple[str, ...] = ("platform", "account_id", "handle", "display_name")


def detect_on_spark(
    case_engine: Engine,
    options: DetectOptions,
    chosen: list[tuple[Signal, dict[str, Any]]],
    chosen_tells: list[tuple[Tell, dict[str, Any]]],
    report: DetectReport,
) -> dict[str, Any]:
    """Run the detect steps on Spark and copy the findings into the case (``case_engine``,
    inside its open transaction); return what the run record says about the engines."""
    from cibscan.detect.pipeline import create_findings, find_network, judge_accounts

    try:
        from cibscan.engine.spark_engine import SparkEngine
    except ImportError as exc:
        raise ValueError(
            f"--engine spark needs pyspark 4.1 and Java 17 or 21: pip install "
            f"'cibscan[spark]' ({exc})"
        ) from exc

    on_spark = all(tell.name in TELLS_ON_SPARK for tell, _ in chosen_tells)
    where: dict[str, Any] = {
        "engine": "spark",
        "spark": {
            "master": options.spark_master,
            "conf": dict(options.spark_conf),
            "posts": options.posts_parquet or "case",
            "tells_on_duckdb": [] if on_spark else [t.name for t, _ in chosen_tells],
            "tells_skipped": [],
        },
    }
    session, own = _session(options)
    spark = SparkEngine(session)
    try:
        with phase("spark: posts") as loading:
            tells_there = chosen_tells if on_spark else []
            columns = input_columns(item.reads for item, _ in [*chosen, *tells_there])
            # tells also read the posts table itself (a repost's original, a text's script
            # and language, who engaged whom): every column then
            load_posts(spark, case_engine, options.posts_parquet, None if tells_there else columns)
            loading.say(f"posts from {options.posts_parquet or 'the case'}")
        create_findings(spark)
        find_network(spark, options, chosen, tells_there, report)
        if on_spark:
            # tells read the accounts' profiles; the combination rule reads their names
            load_table(spark, case_engine, "accounts", ("*",) if chosen_tells else NAME_COLUMNS)
            for table in TELL_CASE_TABLES if chosen_tells else ():
                if case_engine.table_exists(table):
                    load_table(spark, case_engine, table)
                else:  # a reused session may hold another case's: never read it
                    spark.drop_table(table)
            judge_accounts(spark, options, chosen_tells)
        with phase("spark: findings into the case"):
            create_findings(case_engine)
            copied = NETWORK_TABLES + (JUDGED_TABLES if on_spark else ())
            _copy_back(spark, case_engine, copied)
    finally:
        spark.close()
        if own:
            warehouse = session.conf.get("spark.sql.warehouse.dir")
            session.stop()
            shutil.rmtree(str(warehouse).removeprefix("file:"), ignore_errors=True)
    if not on_spark:
        skipped = judge_on_duckdb(case_engine, options, chosen_tells, report)
        where["spark"]["tells_skipped"] = skipped
    return where


def _session(options: DetectOptions) -> tuple[SparkSession, bool]:
    """A new Spark session for the run (its warehouse a temporary folder, removed after),
    or the one already running in this process (a notebook's, a test module's), which is
    left running: ``spark_master`` and ``spark_conf`` then do not apply, and the log says so."""
    from pyspark.sql import SparkSession

    from cibscan.engine.spark_engine import local_session

    active = SparkSession.getActiveSession()
    if active is not None:
        log.info(
            "spark: using the session already running (master %s); the run's master and "
            "settings apply to a new session only",
            active.sparkContext.master,
        )
        return active, False
    warehouse = tempfile.mkdtemp(prefix="cib-spark-")
    return local_session(options.spark_master, options.spark_conf, warehouse=warehouse), True


def judge_on_duckdb(
    case_engine: Engine,
    options: DetectOptions,
    chosen_tells: list[tuple[Tell, dict[str, Any]]],
    report: DetectReport,
) -> list[str]:
    """The tells, scores and combination rule on the case, over the network copied from
    Spark (the same keys: ``account_index`` is Spark's); return the tells skipped."""
    from cibscan.detect.pipeline import judge_accounts

    names = [tell.name for tell, _ in chosen_tells]
    log.warning(
        "spark: the tells %s do not run on Spark yet: they run on DuckDB over the case's "
        "posts, after the network found on Spark is copied into the case",
        ", ".join(names),
    )
    columns = input_columns(tell.reads for tell, _ in chosen_tells)
    posts, _ = build_inputs(case_engine, columns, index=False)
    skipped: list[str] = []
    if posts == 0 and report.posts > 0:
        skipped = names
        log.warning(
            "spark: the case holds none of the posts Spark read (%s): the tells %s are "
            "skipped; ingest the posts into the case to run them",
            options.posts_parquet,
            ", ".join(names),
        )
        chosen_tells = []
    judge_accounts(case_engine, options, chosen_tells)
    return skipped


def load_posts(
    spark: SparkEngine, case_engine: Engine, parquet: str | None, columns: tuple[str, ...] | None
) -> None:
    """``posts`` on Spark: a view over the Parquet folder, or the case's posts copied
    through Arrow, the columns the inputs read (``columns``; None for every column, which
    the tells need). The driver holds them once: at scale, export them as Parquet and pass
    the folder."""
    spark.drop_table("posts")
    if parquet is not None:
        if not Path(parquet).exists() and "://" not in parquet:
            raise FileNotFoundError(f"no posts folder {parquet}")
        spark.read_parquet("posts", parquet)
        return
    wanted = "*"
    if columns is not None:  # the posts columns the inputs read (a derived one reads text_norm)
        stored = ["text_norm" if c in DERIVED_COLUMNS else c for c in columns]
        wanted = ", ".join(dict.fromkeys(["platform", "account_id", "created_at", *stored]))
    spark.insert_arrow("posts", case_engine.fetch_arrow(f"SELECT {wanted} FROM posts"), temp=True)


def load_table(
    spark: SparkEngine, case_engine: Engine, table: str, columns: tuple[str, ...] = ("*",)
) -> None:
    """``table`` on Spark: the case's table of that name, ``columns`` of it, through Arrow."""
    wanted = ", ".join(columns)
    spark.drop_table(table)
    spark.insert_arrow(table, case_engine.fetch_arrow(f"SELECT {wanted} FROM {table}"), temp=True)


def _copy_back(spark: SparkEngine, case_engine: Engine, tables: tuple[str, ...]) -> None:
    """Copy Spark's tables into the case's fresh findings tables (``account_index`` is
    replaced whole: it is made by the inputs, not declared in ``FINDINGS_DDL``)."""
    for table in tables:
        data = spark.fetch_arrow(f"SELECT * FROM {table}")
        if table not in FINDINGS_DDL:
            case_engine.drop_table(table)
        case_engine.insert_arrow(table, data)
        log.info("spark: %s: %d rows into the case", table, data.num_rows)
