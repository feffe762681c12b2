"""The case at a glance, its matches against known networks and its hunt hits."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from cibscan.browse.common import DEFAULT_LIMIT, Page, page, rows
from cibscan.engine import Engine
from cibscan.export.tables import matches_sql
from cibscan.match.hunt import HUNT_COLUMNS
from cibscan.store import Case
from cibscan.store.info import case_info


def case_overview(case: Case) -> dict[str, Any]:
    """What the overview shows: the case's contents (``info``: posts, accounts, platforms,
    formats, as ``cibscan info``), its detect runs newest first (``runs``, parameters
    parsed), posts per day (``activity``), whether it has findings, labels, matches and
    hunt hits."""
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
        "has_hunt": engine.table_exists("hunt_hits"),
        "activity": rows(
            engine,
            """SELECT CAST(timezone('UTC', created_at) AS DATE) AS day, count(*) AS n
               FROM posts WHERE created_at IS NOT NULL GROUP BY day ORDER BY day""",
        ),
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


def list_hunt_hits(
    engine: Engine,
    *,
    match: str | None = None,
    indicator_type: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Page:
    """A page of the case's hunt hits (``cibscan hunt``, docs/hunting.md), exact hits
    first; a LookupError when the case was never hunted."""
    if not engine.table_exists("hunt_hits"):
        raise LookupError("this case has no hunt hits: run 'cibscan hunt' first")
    where, params = [], []
    if match:
        where.append("h.match = ?")
        params.append(match)
    if indicator_type:
        where.append("h.indicator_type = ?")
        params.append(indicator_type)
    condition = "WHERE " + " AND ".join(where) if where else ""
    sql = f"""SELECT {", ".join(HUNT_COLUMNS)} FROM hunt_hits AS h {condition}
        ORDER BY h.match, h.source, h.indicator_type, h.platform, h.account_id, h.indicator"""
    return page(engine, sql, params, limit, offset)
