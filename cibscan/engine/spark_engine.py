"""Apache Spark implementation of the engine contract (``pip install 'cibscan[spark]'``).

The same SQL as on DuckDB runs here through Spark SQL; where the dialects differ in meaning
the statements call the dialect helpers of :class:`cibscan.engine.base.Engine`. What Spark
can and cannot guarantee compared with DuckDB:

- **Scratch tables** are session-local temp views over a *local checkpoint* (computed once,
  kept in the executors' memory and disk, lineage cut), not views that recompute: a view
  over ``row_number()`` or ``min_by`` ties could give a different row on each read.
- **Case tables** (``CREATE TABLE``, ``insert_arrow`` without ``temp``) are managed tables
  (Parquet) in the session's warehouse; UPDATE and DELETE on them are not supported by
  Spark's built-in catalog (they need Delta or Iceberg): findings are written by INSERT.
- **Transactions** do not exist: statements take effect one by one. :meth:`transaction`
  only promises that tables *created* in a failed block are dropped again (best effort);
  rows appended to existing tables stay. Run detect into fresh tables and swap them.
- **Python functions** (:meth:`create_function`) run as Arrow UDFs in Python workers: kept
  off the hot path (the pair tails run over pairs, never over posts).
- **Memory** is fixed when the JVM starts: :meth:`configure` logs a memory limit it cannot
  apply to a running session; pass ``spark.driver.memory`` in ``conf`` instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import BooleanType, DataType, DoubleType, IntegerType, LongType, StringType
from pyspark.sql.window import Window

from cibscan.engine.arrow_functions import FUNCTIONS
from cibscan.engine.base import require_empty_folder, split_order_item
from cibscan.engine.spark_text import PRINTF_SPEC, SparkDialect, literal

log = logging.getLogger(__name__)

#: settings that fit local mode on a small machine (2 cores, a few GB): few shuffle
#: partitions (the default 200 costs more in task overhead than tiny tables take), no UI,
#: UTC everywhere, and Arrow for every transfer between the JVM and Python
LOCAL_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "1g",
}

_SQL_TYPES: dict[str, DataType] = {
    "BIGINT": LongType(),
    "INTEGER": IntegerType(),
    "DOUBLE": DoubleType(),
    "VARCHAR": StringType(),
    "BOOLEAN": BooleanType(),
}


def local_session(
    master: str = "local[2]",
    conf: Mapping[str, str] | None = None,
    warehouse: str | Path | None = None,
) -> SparkSession:
    """A SparkSession with :data:`LOCAL_CONF` overlaid with ``conf``; the warehouse (where
    case tables are written) in ``warehouse`` or a new temporary folder."""
    settings = dict(LOCAL_CONF)
    settings["spark.sql.warehouse.dir"] = str(warehouse or tempfile.mkdtemp(prefix="cib-spark-"))
    # Python workers (the Arrow UDFs) run this interpreter, which has pyarrow and scipy, not
    # whatever ``python3`` is first on the PATH (pyspark reads the variable, not a setting,
    # when it starts the context; a cluster sets its own)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName("cibscan")
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(SparkDialect):
    """Spark SQL over one SparkSession (local mode, a standalone cluster or YARN)."""

    name = "spark"

    def __init__(
        self,
        session: SparkSession | None = None,
        *,
        master: str = "local[2]",
        conf: Mapping[str, str] | None = None,
    ) -> None:
        self._own_session = session is None
        self.spark = session or local_session(master, conf)
        # scratch tables: name -> the checkpointed DataFrame behind the temp view
        self._scratch: dict[str, DataFrame] = {}
        self._created: list[str] | None = None
        self._functions: set[str] = set()

    # --- statements ------------------------------------------------------------------------

    def _sql(self, sql: str, params: Sequence[Any] | None = None) -> DataFrame:
        # positional ``?`` markers, as in DuckDB
        return self.spark.sql(sql, args=list(params)) if params else self.spark.sql(sql)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        # Spark runs DDL and INSERT eagerly when the statement is parsed; a bare SELECT would
        # be lazy, so it is collected to run it (its side effects are none anyway).
        frame = self._sql(sql, params)
        if self._created is not None:
            self._note_created(sql)
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            frame.collect()

    def fetchall(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._sql(sql, params).collect()]

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        table: pa.Table = self._sql(sql, params).toArrow()
        return table

    def fetch_batches(self, sql: str, batch_rows: int = 50_000) -> Iterator[pa.RecordBatch]:
        # Collected whole on the driver, then cut: bounded only by the driver's memory
        # (streaming partition by partition is left for the exports at scale).
        yield from self.fetch_arrow(sql).to_batches(max_chunksize=batch_rows)

    def insert_stream(self, table: str, batches: pa.RecordBatchReader, select_sql: str) -> None:
        # Ingest on Spark reads files itself at scale; this path (small streams) goes
        # through one Arrow table on the driver.
        self.spark.createDataFrame(batches.read_all()).createOrReplaceTempView("_stream")
        try:
            self.execute(f"INSERT INTO {table} BY NAME {select_sql}")
        finally:
            self.spark.catalog.dropTempView("_stream")

    def insert_arrow(self, table: str, data: pa.Table, *, temp: bool = False) -> None:
        if data.num_rows:
            frame = self.spark.createDataFrame(data)
        else:  # pyspark cannot convert an empty Arrow timestamp column: by its schema
            frame = self.spark.createDataFrame([], schema=from_arrow_schema(data.schema))
        if table in self._scratch:
            self._keep(table, self._scratch[table].unionByName(frame))
        elif self.table_exists(table):
            view = f"_arrow_in_{uuid.uuid4().hex[:8]}"
            frame.createOrReplaceTempView(view)
            try:
                self.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
            finally:
                self.spark.catalog.dropTempView(view)
        elif temp:
            self._keep(table, frame)
        else:
            frame.write.saveAsTable(table)
            if self._created is not None:
                self._created.append(table)

    def create_function(
        self,
        name: str,
        fn: Callable[..., pa.Array],
        arg_types: Sequence[str],
        return_type: str,
    ) -> None:
        # An Arrow UDF: batches of rows reach ``fn`` as Arrow arrays, as DuckDB gives them.
        # Arguments are cast to the declared types by the caller's SQL on DuckDB; here the
        # wrapper casts, so that BIGINT counts arrive as integers whatever Spark inferred.
        targets = [_arrow_type(t) for t in arg_types]

        def call(*columns: pa.Array) -> pa.Array:
            cast = [c.cast(t) for c, t in zip(columns, targets, strict=True)]
            return fn(*cast)

        udf = sf.arrow_udf(call, _SQL_TYPES[return_type.upper()])  # type: ignore[attr-defined]
        self.spark.udf.register(name, udf)

    def configure(self, *, memory_limit: str | None = None, preserve_order: bool = True) -> None:
        # Spark's memory is fixed when its JVM starts, and no Spark result keeps an order
        # without ORDER BY: both settings are the session's, not the statement's.
        if memory_limit:
            log.warning(
                "spark: a memory limit (%s) cannot be applied to a running session; set "
                "spark.driver.memory / spark.executor.memory when it starts",
                memory_limit,
            )

    def copy_to(
        self, sql: str, path: str, file_format: str, partition_by: Sequence[str] = ()
    ) -> int:
        """One file at ``path``: Spark writes a folder of part files, so the result is
        written as one partition into a temporary folder and its single part moved. With
        ``partition_by``, the folder of part files in the Hive layout is the result."""
        writers = {"csv": "csv", "parquet": "parquet", "jsonl": "json"}
        if file_format not in writers:
            known = ", ".join(writers)
            raise ValueError(f"spark cannot write {file_format!r} as one file; known: {known}")
        if partition_by:
            require_empty_folder(path, file_format)
            writer = self._sql(sql).write.mode("overwrite").format(writers[file_format])
            if file_format == "csv":
                writer = writer.option("header", "true")
            writer.partitionBy(*partition_by).save(path)
            return int(self._sql(f"SELECT count(*) FROM ({sql}) AS q").collect()[0][0])
        frame = self._sql(sql).coalesce(1)
        target = Path(path)
        folder = Path(tempfile.mkdtemp(prefix=".cib-copy-", dir=target.parent))
        try:
            writer = frame.write.mode("overwrite").format(writers[file_format])
            if file_format == "csv":
                writer = writer.option("header", "true")
            elif file_format == "parquet":
                writer = writer.option("compression", "zstd")
            writer.save(str(folder / "out"))
            parts = sorted((folder / "out").glob("part-*"))
            if parts:
                shutil.move(str(parts[0]), target)
            else:  # an empty result writes no part file
                target.write_text("")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return int(self._sql(f"SELECT count(*) FROM ({sql}) AS q").collect()[0][0])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """No atomicity on Spark (see the module docstring): on an error, tables created in
        the block are dropped again; rows appended to existing tables are not undone."""
        if self._created is not None:  # nested: the outer block decides
            yield
            return
        self._created = []
        try:
            yield
        except BaseException:
            for table in reversed(self._created):
                with suppress(Exception):
                    self.drop_table(table)
            raise
        finally:
            self._created = None

    @contextmanager
    def staging(self) -> Iterator[Callable[[], list[str]]]:
        """Spark frees its scratch as it goes and has no schema to stage in: the block is
        :meth:`transaction`'s, and tables are written in place (publish moves nothing)."""
        with self.transaction():
            yield list

    def _note_created(self, sql: str) -> None:
        words = sql.split(None, 6)
        upper = [w.upper() for w in words]
        if upper[:2] == ["CREATE", "TABLE"] and len(words) > 2:
            name = words[5] if upper[2:5] == ["IF", "NOT", "EXISTS"] else words[2]
            assert self._created is not None
            self._created.append(name.split("(")[0])

    def table_exists(self, table: str) -> bool:
        return bool(self.spark.catalog.tableExists(table))

    def close(self) -> None:
        for table in list(self._scratch):
            self.drop_table(table)
        if self._own_session:
            self.spark.stop()

    # --- dialect helpers that register an Arrow function (the rest: SparkDialect) --------

    def printf(self, fmt: str, *args: str) -> str:
        # cut into pieces: literals, integers by Java's %d (the same as C's), texts as they
        # are, and floats by C's rules in Python (an Arrow UDF over the tell's output rows,
        # one per flagged account at most: Java rounds 12.5 to 13 where C gives 12)
        pieces: list[str] = []
        values = iter(args)
        at = 0
        for spec in PRINTF_SPEC.finditer(fmt):
            if spec.start() > at:
                pieces.append(literal(fmt[at : spec.start()]))
            at = spec.end()
            kind = spec.group("kind")
            if kind == "%":
                pieces.append("'%'")
                continue
            value = next(values)
            if kind == "d":
                # Java prints a NULL as "null"; C's printf of a NULL is NULL
                number = f"format_string({literal(spec.group(0))}, CAST({value} AS BIGINT))"
                pieces.append(f"CASE WHEN ({value}) IS NOT NULL THEN {number} END")
            elif kind == "s" and spec.group(0) == "%s":
                pieces.append(f"CAST({value} AS STRING)")
            elif kind in "fgeE":
                function = self._function("cib_format_double")
                pieces.append(f"{function}({literal(spec.group(0))}, {value})")
            else:
                raise ValueError(f"spark: printf cannot convert {spec.group(0)!r} in {fmt!r}")
        if at < len(fmt):
            pieces.append(literal(fmt[at:]))
        if next(values, None) is not None:
            raise ValueError(f"printf: more arguments than conversions in {fmt!r}")
        return f"concat({', '.join(pieces) or repr('')})"

    def strip_accents(self, expr: str) -> str:
        return f"{self._function('cib_strip_accents')}({expr})"

    def edit_distance(self, a: str, b: str) -> str:
        return f"{self._function('cib_damerau_levenshtein')}({a}, {b})"

    def jaro_winkler(self, a: str, b: str) -> str:
        return f"{self._function('cib_jaro_winkler')}({a}, {b})"

    def _function(self, name: str) -> str:
        """Register the Arrow UDF ``name`` of :mod:`cibscan.engine.arrow_functions` once."""
        if name not in self._functions:
            fn, args, result = FUNCTIONS[name]
            self.create_function(name, fn, args, result)
            self._functions.add(name)
        return name

    def cursor(self) -> SparkEngine:
        """The engine itself: a SparkSession takes jobs from several threads side by side
        (the protocol's other connection, which DuckDB needs per thread)."""
        return self

    def read_parquet(self, table: str, path: str) -> None:
        """Serve a Parquet folder (Hive-partitioned or not) as the view ``table``, read
        where it lies: a cluster's executors read their share of the files themselves
        (the path must be one they reach: HDFS, S3, a shared disk)."""
        self.drop_table(table)
        self.spark.read.parquet(path).createOrReplaceTempView(table)

    def create_scratch(self, table: str, select_sql: str) -> None:
        self._keep(table, self._sql(select_sql))

    def _keep(self, table: str, frame: DataFrame) -> None:
        """Compute ``frame`` once (memory, spilling to disk), cut its lineage, and serve it
        as the temp view ``table``; the previous scratch table of that name is freed."""
        kept = frame.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
        old = self._scratch.pop(table, None)
        kept.createOrReplaceTempView(table)
        self._scratch[table] = kept
        if old is not None:
            old.unpersist()

    def create_numbered(
        self, table: str, select_sql: str, order_by: Sequence[str], column: str = "entity"
    ) -> None:
        # a global sort runs in range partitions, in order; each row's id within its
        # partition (monotonically_increasing_id: partition << 33 | row) plus the rows of
        # the partitions before it (a window over one row per partition) is its rank
        frame = self._sql(select_sql)
        keys = [
            sf.expr(e).desc() if d else sf.expr(e).asc() for e, d in map(split_order_item, order_by)
        ]
        ordered = frame.orderBy(*keys).select(
            sf.spark_partition_id().alias("_part"),
            sf.monotonically_increasing_id().alias("_id"),
            *frame.columns,
        )
        ordered = ordered.localCheckpoint(eager=True, storageLevel=StorageLevel.MEMORY_AND_DISK)
        before = Window.orderBy("_part").rowsBetween(Window.unboundedPreceding, -1)
        offsets = (
            ordered.groupBy("_part")
            .agg(sf.count("*").alias("_n"), sf.min("_id").alias("_first"))
            .select(
                "_part", "_first", sf.coalesce(sf.sum("_n").over(before), sf.lit(0)).alias("_off")
            )
        )
        rank = sf.col("_off") + sf.col("_id") - sf.col("_first") + 1
        self._keep(
            table,
            ordered.join(sf.broadcast(offsets), "_part").select(rank.alias(column), *frame.columns),
        )
        ordered.unpersist()

    def append_scratch(self, table: str, select_sql: str) -> None:
        # the union of the kept rows and the new ones, kept in turn (the old copy is freed)
        self._keep(table, self._scratch[table].unionAll(self._sql(select_sql)))

    def memory_limit_bytes(self) -> int | None:
        return None

    def drop_table(self, table: str) -> None:
        frame = self._scratch.pop(table, None)
        if frame is not None:
            self.spark.catalog.dropTempView(table)
            frame.unpersist()
        elif not self.spark.catalog.dropTempView(table):  # a view of another engine object
            self.execute(f"DROP TABLE IF EXISTS {table}")

    def rename_table(self, old: str, new: str) -> None:
        if old in self._scratch:
            frame = self._scratch.pop(old)
            self.spark.catalog.dropTempView(old)
            frame.createOrReplaceTempView(new)
            self._scratch[new] = frame
        else:
            self.execute(f"ALTER TABLE {old} RENAME TO {new}")


def _arrow_type(sql_type: str) -> pa.DataType:
    types = {
        "BIGINT": pa.int64(),
        "INTEGER": pa.int32(),
        "DOUBLE": pa.float64(),
        "VARCHAR": pa.string(),
        "BOOLEAN": pa.bool_(),
    }
    return types[sql_type.upper()]
