"""The engine layer: the only place that talks to a SQL engine (DuckDB now, Spark later)."""

from cibscan.engine.base import Engine
from cibscan.engine.duckdb_engine import DuckDBEngine

__all__ = ["DuckDBEngine", "Engine"]
