"""``Findings``: the latest detect run of a case as tables, for notebooks and scripts.

A notebook user wants to look at one account or one cluster without writing SQL against the
case. :class:`Findings` hands back the same tables the exports write (accounts, clusters,
edges, evidence: columns in docs/outputs.md), read by the same queries
(:data:`cibscan.export.tables.QUERIES`), as Arrow tables, pandas or polars DataFrames.
pandas and polars are optional (``pip install cibscan[pandas]`` or ``[polars]``) and
imported only when asked for.

In Jupyter a Findings object shows itself as a summary of the run, its clusters and its
best flagged accounts (:meth:`Findings._repr_html_`). Handles, reasons and texts are written
by the accounts under investigation, so every string goes through the report's escaping
(:func:`cibscan.report.escape.text`): HTML-escaped, invisible and direction-changing
characters made visible, long strings cut.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa

from cibscan.export.base import require_findings
from cibscan.export.tables import QUERIES
from cibscan.report.escape import text
from cibscan.store import Case, CaseError, open_case

log = logging.getLogger(__name__)

#: the forms a table can be handed back in
FORMS = ("arrow", "pandas", "polars")
#: clusters and accounts shown by ``_repr_html_``
REPR_ROWS = 10


def convert(table: pa.Table, to: str = "arrow") -> Any:
    """``table`` as an Arrow table, a pandas DataFrame or a polars DataFrame.

    pandas keeps integer columns with missing values as nullable integers (``Int32``,
    ``Int64``), so that ``cluster_id`` does not turn into a float."""
    if to == "arrow":
        return table
    if to == "pandas":
        try:
            import pandas as pd
        except ImportError as exc:  # an optional extra
            raise ImportError("pandas is not installed: pip install 'cibscan[pandas]'") from exc
        nullable = {
            pa.int8(): pd.Int8Dtype(),
            pa.int16(): pd.Int16Dtype(),
            pa.int32(): pd.Int32Dtype(),
            pa.int64(): pd.Int64Dtype(),
            pa.bool_(): pd.BooleanDtype(),
        }
        return table.to_pandas(types_mapper=nullable.get)
    if to == "polars":
        try:
            import polars as pl
        except ImportError as exc:
            raise ImportError("polars is not installed: pip install 'cibscan[polars]'") from exc
        return pl.from_arrow(table)
    raise ValueError(f"unknown form {to!r}; known: {', '.join(FORMS)}")


class Findings:
    """The findings of a case's latest detect run.

    ``Findings(case)`` reads an open case (it stays the caller's to close);
    :meth:`Findings.open` opens a case file read-only and closes it with the Findings
    (``with Findings.open("case.duckdb") as f: ...``). Every table method takes ``to``:
    ``"arrow"`` (default), ``"pandas"`` or ``"polars"``.
    """

    def __init__(self, case: Case, *, owns_case: bool = False) -> None:
        require_findings(case)
        self.case = case
        self._owns_case = owns_case
        # the tables are read through ordered subqueries; a detect run on the same
        # connection turns order preservation off to save memory
        case.engine.configure(preserve_order=True)

    @classmethod
    def open(cls, path: str | Path) -> Findings:
        """The findings of the case file at ``path``, opened read-only."""
        case = open_case(path, create=False, read_only=True)
        try:
            return cls(case, owns_case=True)
        except BaseException:
            case.close()
            raise

    def close(self) -> None:
        """Close the case if this object opened it."""
        if self._owns_case:
            self.case.close()

    def __enter__(self) -> Findings:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _table(self, name: str, where: str = "", params: list[Any] | None = None) -> pa.Table:
        sql = f"SELECT * FROM ({QUERIES[name](self.case.engine)}) AS t {where}"
        return self.case.engine.fetch_arrow(sql, params)

    def accounts(self, to: str = "arrow", *, flagged: bool = False) -> Any:
        """One row per scored account, best first (``flagged=True``: flagged ones only)."""
        return convert(self._table("accounts", "WHERE t.flagged" if flagged else ""), to)

    def clusters(self, to: str = "arrow") -> Any:
        """One row per cluster, ranked by score."""
        return convert(self._table("clusters"), to)

    def edges(self, to: str = "arrow") -> Any:
        """One row per significant account pair."""
        return convert(self._table("edges"), to)

    def evidence(self, account: str | None = None, to: str = "arrow") -> Any:
        """The shared items behind the significant ties: all of them, or those of one
        account (``"platform:account_id"``, an account id, or a handle with or without
        ``@``; a ValueError names the candidates when several accounts fit)."""
        if account is None:
            return convert(self._table("evidence"), to)
        platform, account_id = self.resolve(account)
        where = (
            "WHERE (t.platform_a = ? AND t.account_id_a = ?) "
            "OR (t.platform_b = ? AND t.account_id_b = ?)"
        )
        return convert(self._table("evidence", where, [platform, account_id] * 2), to)

    def resolve(self, account: str) -> tuple[str, str]:
        """(platform, account_id) of an account named as in :meth:`evidence`."""
        name = account.strip()
        platform, _, rest = name.partition(":")
        rows = self.case.engine.fetchall(
            """SELECT DISTINCT i.platform, i.account_id FROM account_index AS i
               LEFT JOIN accounts AS a USING (platform, account_id)
               WHERE (i.platform = ? AND i.account_id = ?) OR i.account_id = ?
                  OR lower(a.handle) = lower(?)
               ORDER BY i.platform, i.account_id""",
            [platform.lower(), rest, name, name.removeprefix("@")],
        )
        exact = [r for r in rows if f"{r[0]}:{r[1]}" == name]
        if exact or len(rows) == 1:
            return str((exact or rows)[0][0]), str((exact or rows)[0][1])
        if not rows:
            raise ValueError(f"no account {account!r} in the findings")
        listed = ", ".join(f"{p}:{a}" for p, a in rows[:10])
        raise ValueError(f"{account!r} names several accounts ({listed}): write platform:id")

    def cluster(self, cluster_id: int) -> dict[str, Any]:
        """Everything the workbench's cluster page shows, as a dict: the cluster's row,
        members, ties between them, tells, activity and its rarest evidence
        (:func:`cibscan.browse.cluster_detail`); a ValueError for an unknown cluster."""
        from cibscan.browse import cluster_detail

        detail = cluster_detail(self.case.engine, cluster_id)
        if detail is None:
            raise ValueError(f"no cluster {cluster_id} in the latest detect run")
        return detail

    def account(self, account: str) -> dict[str, Any]:
        """Everything the workbench's account page shows, as a dict: profile, names over
        time, scores and reasons, tells, ties, evidence, activity and the first posts
        (:func:`cibscan.browse.account_detail`); the account named as in :meth:`evidence`."""
        from cibscan.browse import account_detail

        platform, account_id = self.resolve(account)
        detail = account_detail(self.case.engine, platform, account_id)
        if detail is None:  # resolve found it in the findings, so the case has it
            raise ValueError(f"no account {account!r} in the case")
        return detail

    def summary(self) -> dict[str, Any]:
        """The latest detect run: its id, when it ended, its counts."""
        rows = self.case.engine.fetch_arrow(
            """SELECT run_id, ended_at, cibscan_version, n_posts, n_accounts, n_edges,
                      n_clusters, n_flagged
               FROM detect_runs ORDER BY run_id DESC LIMIT 1"""
        ).to_pylist()
        if not rows:
            raise CaseError("this case has no findings yet: run 'cibscan detect' first")
        return dict(rows[0])

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<Findings of {self.case.path or 'an in-memory case'}: detect run {s['run_id']}, "
            f"{s['n_flagged']} flagged accounts, {s['n_clusters']} clusters>"
        )

    def _repr_html_(self) -> str:
        """A notebook's view: the run, its best clusters and flagged accounts (escaped)."""
        s = self.summary()
        ended = s["ended_at"].strftime("%Y-%m-%d %H:%M UTC") if s["ended_at"] else ""
        head = (
            f"<p><b>cibscan findings</b>, detect run {s['run_id']} ({text(ended)}, cibscan "
            f"{text(s['cibscan_version'])}): {s['n_flagged']:,} flagged accounts, "
            f"{s['n_clusters']:,} clusters, {s['n_edges']:,} significant ties among "
            f"{s['n_accounts']:,} accounts ({s['n_posts']:,} posts)</p>"
        )
        clusters = self._table("clusters", f"WHERE t.n_flagged > 0 LIMIT {REPR_ROWS}")
        accounts = self._table("accounts", f"WHERE t.flagged LIMIT {REPR_ROWS}")
        parts = [head]
        cols = ("cluster_id", "size", "n_flagged", "score", "footprint", "layers")
        parts.append(_html_table("flagged clusters", clusters, cols))
        cols = ("platform", "account_id", "handle", "score", "cluster_id", "reasons")
        parts.append(_html_table("flagged accounts", accounts, cols))
        return "<div>" + "".join(parts) + "</div>"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    return text(value, limit=200)


def _html_table(title: str, table: pa.Table, columns: tuple[str, ...]) -> str:
    """An HTML table of ``columns`` of ``table`` (best rows first), every value escaped."""
    if table.num_rows == 0:
        return f"<p>no {title}</p>"
    head = "".join(f"<th>{text(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>"
        for row in table.select([c for c in columns if c in table.column_names]).to_pylist()
    )
    return (
        f"<p>{text(title)} (best {table.num_rows})</p><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
