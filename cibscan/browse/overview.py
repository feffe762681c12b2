"""The case at a glance, and its matches against known networks."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from cibscan.browse.common import DEFAULT_LIMIT, Page, page, rows
from cibscan.engine import Engine
from cibscan.export.tables import matches_sql
from cibscan.store import Case
from cibscan.store.info import case_info


def case_overview(case: Case) -> dict[str, Any]:
    """What the overview shows: the case's contents (``info``: posts, accounts, platforms,
    formats, as ``cibscan info``), its detect runs newest first (``runs``, parameters
    parsed), whether it has findings, labels and matches."""
    engine = case.engine
    info = case_info(case).as_dict()
    runs: list[dict[str, Any]] = []
    if engine.table_exists("detect_runs"):
        runs = rows(engine, "SELECT * FROM detect_runs ORDER BY run_id DESC")
        for run in runs:
            # an old or hand-edited run row is shown as it is
            with contextlib.suppress(ValueError):
                run["params"] = json.loads(run["params"] or "{}")
    labels = 0
    if engine.table_exists("labels"):
        labels = int(
            engine.fetchall("SELECT count(DISTINCT (platform, account_id)) FROM labels")[0][0]
        )
    return {
        "info": info,
        "runs": runs,
        "has_findings": engine.table_exists("account_scores") and bool(runs),
        "has_matches": engine.table_exists("matches"),
        "labelled_accounts": labels,
    }


def list_matches(
    engine: Engine,
    *,
    network: str | None = None,
    matched: bool | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page:
    """A page of the case's matches against known networks (``cibscan match``), matched
    ones first; a LookupError when the case was never matched."""
    if not engine.table_exists("matches"):
        raise LookupError("this case has no matches: run 'cibscan match' first")
    where, params = [], []
    if network:
        where.append("m.network = ?")
        params.append(network)
    if matched is not None:
        where.append("m.matched" if matched else "NOT m.matched")
    condition = "WHERE " + " AND ".join(where) if where else ""
    sql = f"SELECT * FROM ({matches_sql(engine)}) AS m {condition}"
    return page(engine, sql, params, limit, offset)
