"""Pages of rows, and the small helpers every browse query shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cibscan.engine import Engine
from cibscan.export.tables import evidence_sql
from cibscan.store.labels import current_labels_sql

Row = dict[str, Any]

#: the most rows one page holds: a client that wants everything uses the exports
MAX_LIMIT = 1000
#: rows per page when the caller does not say
DEFAULT_LIMIT = 50


@dataclass
class Page:
    """One page of a longer list: ``items`` from ``offset``, ``total`` rows in all."""

    items: list[Row]
    total: int
    limit: int
    offset: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "limit": self.limit,
            "offset": self.offset,
            "items": self.items,
        }


def check_page(limit: int, offset: int) -> None:
    """Refuse a page that is empty by construction or larger than :data:`MAX_LIMIT`."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if offset < 0:
        raise ValueError(f"offset must be 0 or more, got {offset}")


def rows(engine: Engine, sql: str, params: list[Any] | None = None) -> list[Row]:
    """The rows of ``sql`` as dicts."""
    result: list[Row] = engine.fetch_arrow(sql, params or None).to_pylist()
    return result


def page(engine: Engine, sql: str, params: list[Any] | None, limit: int, offset: int) -> Page:
    """Rows ``offset`` to ``offset + limit`` of ``sql`` (which fixes its own order), and the
    count of all its rows."""
    check_page(limit, offset)
    total = int(engine.fetchall(f"SELECT count(*) FROM ({sql}) AS q", params or None)[0][0])
    items = rows(engine, f"SELECT * FROM ({sql}) AS q LIMIT {limit} OFFSET {offset}", params)
    return Page(items, total, limit, offset)


def labels_join(engine: Engine, alias: str) -> tuple[str, str]:
    """(column, join) adding the current analyst verdict of the account ``alias.platform``,
    ``alias.account_id`` as ``verdict`` (NULL when none, or when the case has no labels)."""
    if not engine.table_exists("labels"):
        return "CAST(NULL AS VARCHAR) AS verdict", ""
    return (
        "lab.verdict",
        f"""LEFT JOIN ({current_labels_sql()}) AS lab
            ON lab.platform = {alias}.platform AND lab.account_id = {alias}.account_id""",
    )


#: the evidence order of the workbench: rarest shared item first (an item few accounts
#: shared says the most), then the shortest gap
_EVIDENCE_ORDER = "object_accounts, {gap}, signal, post_a, post_b"


def evidence_page(
    engine: Engine, condition: str, params: list[Any], limit: int
) -> tuple[int, list[Row]]:
    """(count, first ``limit`` rows) of the evidence of significant pairs whose evidence row
    ``v`` meets ``condition`` (on the engine keys ``v.a``, ``v.b``), in the export's
    columns. The rows are chosen before the joins with posts and accounts, which then run
    on ``limit`` rows, not on every shared item of the case."""
    chosen = f"""SELECT v.* FROM evidence AS v
        JOIN pairs AS s ON s.signal = v.signal AND s.a = v.a AND s.b = v.b AND s.significant
        WHERE ({condition})"""
    total = int(engine.fetchall(f"SELECT count(*) FROM ({chosen})", params)[0][0])
    first = f"""({chosen} ORDER BY {_EVIDENCE_ORDER.format(gap="v.dt")}
        LIMIT {int(limit)})"""
    found = rows(
        engine,
        f"""SELECT * FROM ({evidence_sql(engine, first)}) AS e
            ORDER BY {_EVIDENCE_ORDER.format(gap="gap_seconds")}""",
        params,
    )
    return total, found


def bare_account_detail(
    profile: Row, names: list[Row], activity: list[Row], posts: Page
) -> dict[str, Any]:
    """An account's page before the findings are added (or when it has none): the same
    keys whether it is read from the case or from the browse index."""
    return {
        "profile": profile,
        "names": names,
        "score": None,
        "signals": [],
        "tells": [],
        "ties": [],
        "n_ties": 0,
        "evidence": [],
        "n_evidence": 0,
        "activity": activity,
        "posts": posts.as_dict(),
    }
