"""Exporter contract: one registered writer per output format.

An exporter turns the findings of a case's latest detect run into a file:
- *tabular* formats (csv, parquet, json) write one findings table at a time, named by
  ``table`` (accounts, edges, clusters, evidence; columns in ``docs/outputs.md``);
- *whole-network* formats (gexf, graphml, stix) write the accounts, their ties and clusters
  in one file and take no table.

Built-in exporters register through :func:`register` exactly as a third party does (entry
point group ``cibscan.exporters``); ``DEFAULT_EXPORTERS`` in :mod:`cibscan.export` lists the
built-in modules. ``write`` returns how many items it wrote (rows, or nodes + edges, or STIX
objects), so that the CLI and tests can reconcile it. An exporter that takes options (STIX:
``tlp``) names them in ``options`` and takes them as keyword arguments of ``write``;
:func:`export` refuses an option the format does not take.

Everything an exporter writes comes from attacker-written text: each format escapes it by
its own rules (XML escaping and stripping of characters XML 1.0 forbids; JSON encoding; CSV
formula neutralisation).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from cibscan.plugins import Registry
from cibscan.store import Case, CaseError

log = logging.getLogger(__name__)

#: the findings tables a tabular exporter can write
TABLES: tuple[str, ...] = ("accounts", "edges", "clusters", "evidence")
#: case tables a tabular exporter can write too (the input of detection: ``posts``, with
#: its UTC ``date``, for an engine that reads Parquet, such as Spark); they need no findings
CASE_TABLES: tuple[str, ...] = ("posts",)


class Exporter(ABC):
    """Writes the findings of a case in one file format."""

    #: the format's name on the command line (``--format gexf``)
    name: str
    #: the file suffix of a default output name, with its dot
    suffix: str
    #: one line for ``cibscan export --help`` and the docs
    description: str
    #: True when the format writes one findings table at a time (``table`` is required)
    tabular: bool = False
    #: the keyword options ``write`` takes (e.g. ``("tlp",)``)
    options: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def write(self, case: Case, path: Path, table: str | None = None, **options: Any) -> int:
        """Write the findings to ``path``; return how many items were written."""


EXPORTERS: Registry[Exporter] = Registry(
    "export format", "cibscan.exporters", "cibscan.export", "DEFAULT_EXPORTERS"
)


def register(exporter: Exporter) -> Exporter:
    """Register an exporter (built-in or third-party) under its name."""
    return EXPORTERS.register(exporter)


def exporters() -> dict[str, Exporter]:
    """Every registered exporter by name, built-ins first."""
    return EXPORTERS.all()


def get_exporter(name: str) -> Exporter:
    """The exporter of that name, or a ValueError listing the known formats."""
    return EXPORTERS.get(name)


def require_findings(case: Case) -> None:
    """Fail clearly when the case has no detect run to export."""
    engine = case.engine
    if not engine.table_exists("account_scores") or not engine.table_exists("detect_runs"):
        raise CaseError("this case has no findings yet: run 'cibscan detect' first")


def export(
    case: Case, file_format: str, path: str | Path, table: str | None = None, **options: Any
) -> int:
    """Write the findings in ``file_format`` to ``path``; return the items written.

    Tabular formats need ``table`` (one of :data:`TABLES`); whole-network formats refuse it.
    ``options`` go to the exporter (``tlp="red"`` for STIX); one it does not take is a
    ValueError, so that a marking asked for is never silently dropped.
    """
    exporter = get_exporter(file_format)
    unknown = sorted(set(options) - set(exporter.options))
    if unknown:
        takes = ", ".join(exporter.options) or "no option"
        raise ValueError(f"{file_format} does not take {', '.join(unknown)} (it takes {takes})")
    if exporter.tabular and table not in (*TABLES, *CASE_TABLES):
        raise ValueError(
            f"{file_format} writes one table at a time: name one of "
            f"{', '.join((*TABLES, *CASE_TABLES))}"
        )
    if not exporter.tabular and table is not None:
        raise ValueError(
            f"{file_format} writes the whole network in one file; leave out the table name"
        )
    if table not in CASE_TABLES:
        require_findings(case)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = exporter.write(case, target, table, **options)
    log.info("exported %d items as %s to %s", count, file_format, target)
    return count
