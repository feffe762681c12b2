"""Opening, creating and guarding a case file."""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from cibscan import __version__
from cibscan.engine import DuckDBEngine, Engine
from cibscan.store.schema import DDL, SCHEMA_VERSION

log = logging.getLogger(__name__)


class CaseError(Exception):
    """A case cannot be opened or used as asked (missing, newer schema, not a case)."""


@dataclass
class Case:
    """An open investigation: its engine connection and where it lives."""

    engine: Engine
    path: Path | None

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        rows = self.engine.fetchall("SELECT value FROM meta WHERE key = 'schema_version'")
        return int(rows[0][0]) if rows else 0


def open_case(path: str | Path | None, *, create: bool = True, read_only: bool = False) -> Case:
    """Open (and, if ``create``, initialise) the case at ``path``; None means in memory.

    Raises CaseError for a missing case when ``create`` is false, for a file that is not a
    DuckDB database, and for a case written by a newer cibscan schema.
    """
    case_path = None if path is None else Path(path)
    if case_path is not None and not case_path.exists():
        if not create or read_only:
            raise CaseError(f"{case_path}: no such case (create one with 'cibscan ingest')")
        case_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = DuckDBEngine(case_path, read_only=read_only)
    except Exception as exc:  # duckdb raises IOException / InvalidInputException subclasses
        holder = _LOCK_HOLDER.search(str(exc))
        if holder:
            raise CaseError(
                f"{case_path}: the case is in use by process {holder.group('pid')} "
                f"({holder.group('program')}); close it there first"
            ) from exc
        raise CaseError(f"{case_path}: not a cibscan case ({exc})") from exc
    if case_path is not None and not read_only:
        _remove_stale_spill(case_path)
    case = Case(engine, case_path)
    try:
        _check_or_init_schema(case, read_only=read_only)
    except Exception:
        engine.close()
        raise
    from cibscan.ingest.normalize import install_macros

    install_macros(engine)
    return case


#: DuckDB's message when another process holds the file's write lock
_LOCK_HOLDER = re.compile(
    r"Could not set lock on file.*Conflicting lock is held in (?P<program>\S+) "
    r"\(PID (?P<pid>\d+)\)",
    re.DOTALL,
)


def _remove_stale_spill(case_path: Path) -> None:
    """Remove the spill folder a killed run left beside the case (``case.duckdb.tmp/``,
    gigabytes after a large detect). Called once the write lock is held, so no other
    process can be spilling into it."""
    spill = case_path.with_name(case_path.name + ".tmp")
    if spill.is_dir():
        size = sum(f.stat().st_size for f in spill.rglob("*") if f.is_file())
        shutil.rmtree(spill, ignore_errors=True)
        log.info("removed %s, %d bytes left by an interrupted run", spill, size)


def _check_or_init_schema(case: Case, *, read_only: bool) -> None:
    engine = case.engine
    if engine.table_exists("meta"):
        version = case.schema_version()
        if version > SCHEMA_VERSION:
            created_by = engine.fetchall("SELECT value FROM meta WHERE key = 'created_by_version'")
            by = created_by[0][0] if created_by else "a newer cibscan"
            raise CaseError(
                f"{case.path}: case schema version {version} was written by cibscan {by}; "
                f"this cibscan {__version__} reads schema version {SCHEMA_VERSION} and older. "
                "Upgrade cibscan to open it."
            )
        if version == SCHEMA_VERSION or read_only:
            return
    elif read_only:
        raise CaseError(f"{case.path}: not a cibscan case (no meta table)")
    with engine.transaction():
        for statement in DDL:
            engine.execute(statement)
        engine.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?), "
            "('created_by_version', coalesce((SELECT value FROM meta "
            "WHERE key = 'created_by_version'), ?))",
            [str(SCHEMA_VERSION), __version__],
        )
    log.info("initialised case schema version %d", SCHEMA_VERSION)
