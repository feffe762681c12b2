"""What a case holds: counts per platform and format, time span, quarantine reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cibscan.store.case import Case


@dataclass
class CaseInfo:
    """A summary of a case, for ``cibscan info`` and the API."""

    path: str
    schema_version: int
    posts: int
    accounts: int
    quarantined: int
    first_post: datetime | None
    last_post: datetime | None
    by_platform: list[dict[str, Any]] = field(default_factory=list)
    by_format: list[dict[str, Any]] = field(default_factory=list)
    by_kind: list[dict[str, Any]] = field(default_factory=list)
    quarantine_reasons: list[dict[str, Any]] = field(default_factory=list)
    runs: int = 0

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["first_post"] = self.first_post.isoformat() if self.first_post else None
        out["last_post"] = self.last_post.isoformat() if self.last_post else None
        return out


def _rows(case: Case, sql: str) -> list[dict[str, Any]]:
    return list(case.engine.fetch_arrow(sql).to_pylist())


def case_info(case: Case) -> CaseInfo:
    """Summarise the case (every figure computed in the engine)."""
    e = case.engine
    posts, first, last = e.fetchall("SELECT count(*), min(created_at), max(created_at) FROM posts")[
        0
    ]
    return CaseInfo(
        path=str(case.path) if case.path else ":memory:",
        schema_version=case.schema_version(),
        posts=int(posts),
        accounts=int(e.fetchall("SELECT count(*) FROM accounts")[0][0]),
        quarantined=int(e.fetchall("SELECT count(*) FROM quarantine")[0][0]),
        first_post=first,
        last_post=last,
        runs=int(e.fetchall("SELECT count(*) FROM ingest_runs")[0][0]),
        by_platform=_rows(
            case,
            """SELECT p.platform, p.posts, coalesce(a.accounts, 0) AS accounts,
                      p.first_post, p.last_post
               FROM (SELECT platform, count(*) AS posts, min(created_at) AS first_post,
                            max(created_at) AS last_post FROM posts GROUP BY platform) p
               FULL JOIN (SELECT platform, count(*) AS accounts FROM accounts
                          GROUP BY platform) a USING (platform)
               ORDER BY posts DESC NULLS LAST""",
        ),
        by_format=_rows(
            case,
            """SELECT format, count(*) AS files, sum(n_read) AS read, sum(n_stored) AS stored,
                      sum(n_duplicates) AS duplicates, sum(n_quarantined) AS quarantined
               FROM ingest_runs GROUP BY format ORDER BY read DESC""",
        ),
        by_kind=_rows(
            case,
            "SELECT platform, kind, count(*) AS posts FROM posts GROUP BY ALL ORDER BY 3 DESC",
        ),
        quarantine_reasons=_rows(
            case,
            """SELECT format, severity, reason, count(*) AS records FROM quarantine
               GROUP BY ALL ORDER BY records DESC LIMIT 50""",
        ),
    )
