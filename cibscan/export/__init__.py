"""Exports of the findings: tables (CSV, Parquet, JSON), networks (GEXF, GraphML), STIX 2.1.

``DEFAULT_EXPORTERS`` lists the built-in exporter modules; each registers its formats through
:func:`cibscan.export.base.register`, the call a third-party plugin makes (entry point group
``cibscan.exporters``).
"""

from cibscan.export.base import (
    CASE_TABLES,
    TABLES,
    Exporter,
    export,
    exporters,
    get_exporter,
    register,
)

DEFAULT_EXPORTERS: tuple[str, ...] = (
    "cibscan.export.tables",
    "cibscan.export.graph",
    "cibscan.export.stix",
)

__all__ = [
    "CASE_TABLES",
    "DEFAULT_EXPORTERS",
    "TABLES",
    "Exporter",
    "export",
    "exporters",
    "get_exporter",
    "register",
]
