"""The catalogue of input formats: what each reads and which canonical fields it fills.

The fields are read off the adapter's own SQL (its output columns, found by binding the
query over an empty stream), so the list ``cibscan formats`` prints can never drift from what
the adapter really does. An adapter may still declare ``fills`` by hand (the generic formats,
whose columns depend on the user's mapping, do).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from cibscan.engine import DuckDBEngine
from cibscan.ingest.base import Adapter, adapters
from cibscan.ingest.normalize import install_macros, install_pseudonymizer
from cibscan.ingest.readers import LINE_SCHEMA

_INTERNAL = {"seq", "rec", "reject", "detail", "severity", "raw", "source_locator"}


@dataclass(frozen=True)
class FormatInfo:
    """One row of ``cibscan formats``."""

    name: str
    platform: str
    reader: str
    title: str
    source_hint: str
    fills: tuple[str, ...]


def _empty_stream(adapter: Adapter) -> pa.Table:
    if adapter.reader in ("lines", "json"):
        return LINE_SCHEMA.empty_table()
    fields = [pa.field("seq", pa.int64())] + [pa.field(c, pa.string()) for c in adapter.columns]
    return pa.schema(fields).empty_table()


def filled_fields(adapter: Adapter, engine: DuckDBEngine | None = None) -> tuple[str, ...]:
    """The canonical fields the adapter's SQL fills, in the order it selects them."""
    if adapter.fills:
        return adapter.fills
    own = engine is None
    engine = engine or DuckDBEngine(None)
    try:
        if own:
            install_macros(engine)
            install_pseudonymizer(engine, None)
        engine.execute("DROP TABLE IF EXISTS _empty_stream")
        engine.insert_arrow("_empty_stream", _empty_stream(adapter), temp=True)
        rows = engine.fetchall(f"DESCRIBE {adapter.stage_sql('_empty_stream')}")
        return tuple(r[0] for r in rows if r[0] not in _INTERNAL)
    finally:
        if own:
            engine.close()


def describe_formats() -> list[FormatInfo]:
    """Every registered format with the fields it fills."""
    engine = DuckDBEngine(None)
    install_macros(engine)
    install_pseudonymizer(engine, None)
    try:
        return [
            FormatInfo(
                a.name, a.platform, a.reader, a.title, a.source_hint, filled_fields(a, engine)
            )
            for a in adapters().values()
        ]
    finally:
        engine.close()
