"""CLI command ``hunt``: published indicators (Meta CSVs, STIX bundles, lists) against a case."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.table import Table
from rich.text import Text

from cibscan.cli import case_option, main, out
from cibscan.export.tables import csv_safe_sql
from cibscan.match.hunt import HUNT_COLUMNS, HuntReport, hunt
from cibscan.match.indicators import IndicatorSet, read_indicators
from cibscan.store import Case, CaseError, open_case


@main.command("hunt")
@case_option("The case to hunt in (made by 'cibscan ingest').")
@click.option(
    "--indicators",
    "indicator_paths",
    multiple=True,
    required=True,
    type=click.Path(exists=True),
    help="An indicator file or folder (read recursively); repeatable. Meta threat-research "
    "CSVs, STIX 2.1 bundles and plain lists are recognised by content.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="Also write the hits as CSV (formula cells neutralised).",
)
@click.option(
    "--no-patterns",
    is_flag=True,
    help="Exact matches only: skip the weaker handle-formula matches.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def hunt_command(
    case_path: str,
    indicator_paths: tuple[str, ...],
    out_path: str | None,
    no_patterns: bool,
    as_json: bool,
) -> None:
    """Find the accounts and posts of a case that published indicators name.

    Handles and account ids match accounts (also by former handles), URLs, domains (and
    their subdomains) and verbatim texts match posts; an indicator that names a platform only
    matches that platform. Handle formulas of a takedown (e.g. FirstLast + 8 digits) are
    reported apart as weaker 'pattern' matches. Hits replace the case's hunt_hits table.
    Rows that give no indicator are counted as rejected, with their reason.

    \b
    Example:
      cibscan hunt --case case.duckdb --indicators meta-threat-research/indicators/csv/
      cibscan hunt --case case.duckdb --indicators bundle.stix.json --out hits.csv
    """
    try:
        indicator_set = read_indicators(indicator_paths)
        with open_case(case_path, create=False) as case:
            report = hunt(case, indicator_set, patterns=not no_patterns)
            written = _write_csv(case, out_path) if out_path else None
    except (CaseError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        summary = report.as_dict() | {"files": len(indicator_set.files)}
        if out_path:
            summary["out"] = out_path
        click.echo(json.dumps(summary, indent=2))
        return
    _print_summary(indicator_set, report)
    if out_path:
        out.print(f"{written:,} hits written to {out_path}", highlight=False)


def _write_csv(case: Case, path: str) -> int:
    """hunt_hits as CSV; attacker-written cells that a spreadsheet would run are quoted."""
    sql = csv_safe_sql(case.engine, f"SELECT {', '.join(HUNT_COLUMNS)} FROM hunt_hits")
    return case.engine.copy_to(sql, str(Path(path)), "csv")


def _print_summary(indicator_set: IndicatorSet, report: HuntReport) -> None:
    types = ", ".join(f"{n:,} {t}" for t, n in indicator_set.by_type().items() if n)
    out.print(
        f"read {report.n_indicators:,} indicators ({types or 'none'}) from "
        f"{len(indicator_set.files)} files; {len(report.rejected):,} rows rejected",
        highlight=False,
    )
    reasons: dict[str, int] = {}
    for r in report.rejected:
        reasons[r.reason] = reasons.get(r.reason, 0) + 1
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
        out.print(Text(f"  rejected {n:,}: {reason}"))
    d = report.as_dict()
    out.print(
        f"{d['hits']:,} hits on {d['accounts']:,} accounts in {report.seconds:.2f} s",
        highlight=False,
    )
    if not report.hits:
        return
    table = Table(title="hits", title_justify="left")
    for col in ("source", "type", "exact", "pattern"):
        table.add_column(col, justify="left" if col in ("source", "type") else "right")
    grouped: dict[tuple[str, str], dict[str, int]] = {}
    for h in report.hits:
        key = (str(h["source"]), str(h["indicator_type"]))
        grouped.setdefault(key, {"exact": 0, "pattern": 0})[str(h["match"])] += 1
    for (source, kind), by_match in sorted(grouped.items()):
        exact, pattern = by_match["exact"], by_match["pattern"]
        table.add_row(Text(source), Text(kind), f"{exact:,}", f"{pattern:,}")
    out.print(table)
    for (source, platform), shapes in report.shapes.items():
        out.print(Text(f"formulas of {source} on {platform}: {', '.join(shapes)}"))
