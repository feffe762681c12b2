"""Analyst labels: the verdicts a person gave on clusters and accounts of a case.

A verdict is ``confirmed`` (the analyst judged the accounts part of an inauthentic network)
or ``dismissed`` (a false alarm). Labels live in the ``labels`` table of the case, which no
detect run touches, so a later run with other parameters keeps them: they are the case's
ground truth as the analyst knows it (``cibscan evaluate --labels``), what a known network
is built from (``cibscan library add``), and what the workbench shows.

A cluster id is only meaningful within one detect run (the next run numbers its clusters
anew), so labelling a cluster stores one row per member account, each with the cluster id
and run it was labelled from. Rows are never rewritten: a new verdict on an account is a new
row, and the account's current verdict is its latest row (:func:`current_labels_sql`), so
the history of who changed their mind, and when, stays in the case.
"""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from cibscan.engine import Engine
from cibscan.store.schema import DDL

log = logging.getLogger(__name__)

VERDICTS = ("confirmed", "dismissed")


@dataclass
class LabelResult:
    """What one ``label`` call stored."""

    label_id: int
    verdict: str
    accounts: int
    cluster_id: int | None = None
    detect_run_id: int | None = None


def parse_account_ref(ref: str) -> tuple[str, str]:
    """``PLATFORM:ID`` as (platform, id); the id may itself hold colons (Mastodon)."""
    platform, sep, ident = ref.partition(":")
    if not sep or not platform.strip() or not ident.strip():
        raise ValueError(f"expected PLATFORM:ACCOUNT_ID (e.g. twitter:12345), got {ref!r}")
    return platform.strip().lower(), ident.strip()


def ensure_labels(engine: Engine) -> None:
    """Create the labels table in a case written before labels existed."""
    engine.execute(next(ddl for ddl in DDL if "EXISTS labels" in ddl))


def _latest_run(engine: Engine) -> int | None:
    if not engine.table_exists("detect_runs"):
        return None
    value = engine.fetchall("SELECT max(run_id) FROM detect_runs")[0][0]
    return None if value is None else int(value)


def resolve_accounts(engine: Engine, refs: list[str]) -> list[tuple[str, str]]:
    """Each ``PLATFORM:ID`` as a stored account key; the id may also be a handle (with or
    without ``@``, any case). Unknown accounts are an error naming them."""
    found: list[tuple[str, str]] = []
    missing: list[str] = []
    for ref in refs:
        platform, ident = parse_account_ref(ref)
        rows = engine.fetchall(
            """SELECT platform, account_id FROM accounts WHERE platform = ? AND account_id = ?
               UNION ALL
               SELECT * FROM (SELECT platform, account_id FROM accounts
                              WHERE platform = ? AND lower(handle) = lower(?) LIMIT 1)""",
            [platform, ident, platform, ident.lstrip("@")],
        )
        if rows:
            found.append((str(rows[0][0]), str(rows[0][1])))
        else:
            missing.append(ref)
    if missing:
        raise ValueError(f"no such account in the case: {', '.join(missing)}")
    return list(dict.fromkeys(found))


def cluster_members(engine: Engine, cluster_id: int) -> list[tuple[str, str]]:
    """The accounts of a cluster of the latest detect run (flagged through a link included,
    as the report shows them)."""
    if not engine.table_exists("account_scores"):
        raise ValueError("the case has no detect run: run 'cibscan detect' first")
    rows = engine.fetchall(
        """SELECT platform, account_id FROM account_scores WHERE cluster_id = ?
           ORDER BY platform, account_id""",
        [cluster_id],
    )
    if not rows:
        known = engine.fetchall("SELECT count(DISTINCT cluster_id) FROM account_scores")[0][0]
        raise ValueError(f"no cluster {cluster_id} in the latest detect run ({known} clusters)")
    return [(str(p), str(a)) for p, a in rows]


def label(
    engine: Engine,
    verdict: str,
    *,
    cluster_id: int | None = None,
    accounts: list[str] | None = None,
    note: str | None = None,
    analyst: str | None = None,
) -> LabelResult:
    """Store a verdict on a cluster's members and/or on accounts given as ``PLATFORM:ID``."""
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, got {verdict!r}")
    if cluster_id is None and not accounts:
        raise ValueError("give a cluster or at least one account to label")
    keys: list[tuple[str, str, int | None]] = []
    if cluster_id is not None:
        keys += [(p, a, cluster_id) for p, a in cluster_members(engine, cluster_id)]
    if accounts:
        keys += [(p, a, None) for p, a in resolve_accounts(engine, accounts)]
    ensure_labels(engine)
    label_id = int(engine.fetchall("SELECT coalesce(max(label_id), 0) + 1 FROM labels")[0][0])
    run_id = _latest_run(engine)
    who = analyst or _whoami()
    now = datetime.now(UTC)
    unique = list({(p, a): (p, a, c) for p, a, c in keys}.values())
    with engine.transaction():
        for platform, account_id, cluster in unique:
            engine.execute(
                "INSERT INTO labels VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [label_id, platform, account_id, verdict, cluster, run_id, note, who, now],
            )
    log.info("label %d: %s %d accounts", label_id, verdict, len(unique))
    return LabelResult(label_id, verdict, len(unique), cluster_id, run_id)


def _whoami() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def current_labels_sql() -> str:
    """Each labelled account's latest verdict: ``(platform, account_id, verdict, note,
    analyst, labelled_at, label_id, cluster_id, detect_run_id)``."""
    return """SELECT platform, account_id,
                     arg_max(verdict, (labelled_at, label_id)) AS verdict,
                     arg_max(note, (labelled_at, label_id)) AS note,
                     arg_max(analyst, (labelled_at, label_id)) AS analyst,
                     max(labelled_at) AS labelled_at,
                     max(label_id) AS label_id,
                     arg_max(cluster_id, (labelled_at, label_id)) AS cluster_id,
                     arg_max(detect_run_id, (labelled_at, label_id)) AS detect_run_id
              FROM labels GROUP BY platform, account_id"""


def current_verdicts(engine: Engine) -> dict[tuple[str, str], str]:
    """Each labelled account's latest verdict, by ``(platform, account_id)`` (what a page
    shows beside an account; empty when nothing was labelled)."""
    if not engine.table_exists("labels"):
        return {}
    return {
        (str(platform), str(account_id)): str(verdict)
        for platform, account_id, verdict in engine.fetchall(
            f"SELECT platform, account_id, verdict FROM ({current_labels_sql()})"
        )
    }


def list_labels(engine: Engine) -> list[dict[str, object]]:
    """The current verdicts, newest first (empty when nothing was labelled)."""
    if not engine.table_exists("labels"):
        return []
    table = engine.fetch_arrow(
        f"SELECT * FROM ({current_labels_sql()}) ORDER BY labelled_at DESC, platform, account_id"
    )
    rows: list[dict[str, object]] = table.to_pylist()
    return rows
