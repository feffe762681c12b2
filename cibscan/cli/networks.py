"""Whack-a-mole commands: ``label``, ``labels``, ``library add|list|show|remove|export`` and
``match`` (each parses its options and calls one library function)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import click
from rich.table import Table

from cibscan.cli import F, case_option, console, out
from cibscan.cli import main as cli_main
from cibscan.cli.display import live_phases
from cibscan.cli.findings import tlp_option
from cibscan.export.stix_objects import DEFAULT_TLP
from cibscan.match.library import (
    LibraryError,
    add_network,
    list_networks,
    network_members,
    remove_network,
    show_network,
)
from cibscan.match.scoring import MatchOptions, MatchReport, match, write_matches_csv
from cibscan.store import CaseError, open_case
from cibscan.store.labels import VERDICTS, label, list_labels

_FAILURES = (CaseError, LibraryError, ValueError)


def library_option(help_text: str) -> Callable[[F], F]:
    """The ``--library LIB`` option (a DuckDB file, or a folder holding library.duckdb)."""
    return click.option(
        "--library", "library_path", required=True, type=click.Path(), help=help_text
    )


@cli_main.command("label")
@case_option("The case holding the cluster or accounts.")
@click.option("--cluster", "cluster_id", type=int, help="A cluster id of the latest detect run.")
@click.option(
    "--account",
    "accounts",
    multiple=True,
    metavar="PLATFORM:ID",
    help="An account (its id or handle); repeat for several.",
)
@click.option("--as", "verdict", required=True, type=click.Choice(VERDICTS), help="The verdict.")
@click.option("--note", help="Why: what the analyst saw (kept with the label).")
@click.option("--analyst", help="Who gives the verdict (default: the login name).")
def label_command(
    case_path: str,
    cluster_id: int | None,
    accounts: tuple[str, ...],
    verdict: str,
    note: str | None,
    analyst: str | None,
) -> None:
    """Confirm or dismiss a cluster or accounts; labels survive later detect runs.

    A cluster is labelled member by member, so the verdict stays when the next run numbers
    its clusters anew. The latest verdict on an account counts; the history is kept.

    \b
    Example:
      cibscan label --case case.duckdb --cluster 3 --as confirmed --note "Spamouflage, Q2"
      cibscan label --case case.duckdb --account twitter:12345 --as dismissed
    """
    try:
        with open_case(case_path, create=False) as case:
            result = label(
                case.engine,
                verdict,
                cluster_id=cluster_id,
                accounts=list(accounts),
                note=note,
                analyst=analyst,
            )
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    where = f" of cluster {result.cluster_id}" if result.cluster_id is not None else ""
    out.print(
        f"label {result.label_id}: {result.accounts} accounts{where} {result.verdict}",
        highlight=False,
    )


@cli_main.command("labels")
@case_option("The case whose labels to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the labels as JSON.")
def labels_command(case_path: str, as_json: bool) -> None:
    """List each labelled account's current verdict, newest first.

    \b
    Example:
      cibscan labels --case case.duckdb
    """
    try:
        with open_case(case_path, create=False, read_only=True) as case:
            rows = list_labels(case.engine)
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    table = Table(title=f"{len(rows)} labelled accounts")
    columns = ("platform", "account_id", "verdict", "analyst", "labelled_at", "note")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c] or "") for c in columns))
    out.print(table)


@cli_main.group("library")
def library_group() -> None:
    """Keep fingerprints of confirmed networks, to recognise them when they come back.

    A library is one portable DuckDB file (or a folder holding library.duckdb);
    docs/matching.md describes its tables and facets.

    \b
    Example:
      cibscan library add --case case.duckdb --cluster 3 --name spamouflage --library known.duckdb
      cibscan library list --library known.duckdb
    """


@library_group.command("add")
@click.option("--case", "case_path", type=click.Path(dir_okay=False), help="The case.")
@click.option("--cluster", "clusters", multiple=True, type=int, help="A cluster id (repeat).")
@click.option(
    "--account", "accounts", multiple=True, metavar="PLATFORM:ID", help="An account (repeat)."
)
@click.option("--confirmed", is_flag=True, help="Every account the analysts confirmed in the case.")
@click.option("--stix", "stix_path", type=click.Path(exists=True), help="Import a STIX bundle.")
@click.option("--name", required=True, help="The network's name in the library.")
@library_option("The library to write (created if absent).")
@click.option("--description", help="What the network is (kept in the library).")
@click.option("--replace", is_flag=True, help="Store a new version of an existing network.")
def library_add_command(
    case_path: str | None,
    clusters: tuple[int, ...],
    accounts: tuple[str, ...],
    confirmed: bool,
    stix_path: str | None,
    name: str,
    library_path: str,
    description: str | None,
    replace: bool,
) -> None:
    """Fingerprint a confirmed network into a library, from a case or a STIX bundle.

    \b
    Example:
      cibscan library add --case case.duckdb --cluster 3 --cluster 7 --name spamouflage \\
          --library known.duckdb
      cibscan library add --stix network.stix.json --name spamouflage --library known.duckdb
    """
    try:
        if stix_path is not None:
            from cibscan.match.stix import import_network

            summary = import_network(
                stix_path, library_path, name, description=description, replace=replace
            )
        elif case_path is None:
            raise click.UsageError("give --case (with --cluster, --account, --confirmed) or --stix")
        else:
            with open_case(case_path, create=False) as case:
                members = network_members(
                    case.engine,
                    clusters=list(clusters),
                    accounts=list(accounts),
                    confirmed=confirmed,
                )
                summary = add_network(
                    case.engine,
                    library_path,
                    name,
                    members,
                    description=description,
                    source=str(Path(case_path).resolve()),
                    replace=replace,
                )
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    out.print(
        f"{summary.network} v{summary.version}: {summary.n_members} members on "
        f"{', '.join(summary.platforms)} stored in {library_path}",
        highlight=False,
    )


@library_group.command("list")
@library_option("The library to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the networks as JSON.")
def library_list_command(library_path: str, as_json: bool) -> None:
    """List the networks of a library.

    \b
    Example:
      cibscan library list --library known.duckdb
    """
    try:
        with open_case(None) as scratch:
            rows = list_networks(scratch.engine, library_path)
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in rows], default=str, indent=2))
        return
    table = Table(title=f"{len(rows)} known networks")
    for column in ("network", "version", "members", "platforms", "updated", "description"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r.network,
            str(r.version),
            f"{r.n_members:,}",
            ", ".join(r.platforms),
            f"{r.updated_at:%Y-%m-%d %H:%M}",
            r.description or "",
        )
    out.print(table)


@library_group.command("show")
@click.argument("name")
@library_option("The library holding the network.")
@click.option("--top", default=8, show_default=True, help="Features shown per facet.")
@click.option("--json", "as_json", is_flag=True, help="Print the network as JSON.")
def library_show_command(name: str, library_path: str, top: int, as_json: bool) -> None:
    """Show a network's members and its strongest features facet by facet.

    \b
    Example:
      cibscan library show spamouflage --library known.duckdb
    """
    try:
        with open_case(None) as scratch:
            shown = show_network(scratch.engine, library_path, name, top=top)
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(shown, default=str, indent=2))
        return
    net = shown["network"]
    out.print(
        f"{net['network']} v{net['version']}: {net['n_members']:,} members on "
        f"{', '.join(net['platforms'])}",
        highlight=False,
    )
    table = Table(title="facets (features: members or posts having them)")
    table.add_column("facet")
    table.add_column("features", justify="right")
    table.add_column("strongest")
    for f in shown["facets"]:
        top_features = "; ".join(f"{t['example']} ({t['n']}/{f['total']})" for t in f["top"])
        table.add_row(f["facet"], str(f["features"]), top_features)
    out.print(table)


@library_group.command("remove")
@click.argument("name")
@library_option("The library holding the network.")
def library_remove_command(name: str, library_path: str) -> None:
    """Remove a network from a library.

    \b
    Example:
      cibscan library remove spamouflage --library known.duckdb
    """
    try:
        with open_case(None) as scratch:
            remove_network(scratch.engine, library_path, name)
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    out.print(f"removed {name} from {library_path}", highlight=False)


@library_group.command("export")
@click.argument("name")
@library_option("The library holding the network.")
@click.option(
    "--out", "out_path", required=True, type=click.Path(dir_okay=False), help="The STIX file."
)
@tlp_option(DEFAULT_TLP)
def library_export_command(name: str, library_path: str, out_path: str, tlp: str) -> None:
    """Write a network as a STIX 2.1 bundle (intrusion-set, indicators, user-accounts) that
    'cibscan hunt' and 'cibscan library add --stix' read on another machine.

    \b
    Example:
      cibscan library export spamouflage --library known.duckdb --out spamouflage.stix.json
    """
    from cibscan.match.stix import export_network

    try:
        n = export_network(library_path, name, out_path, tlp)
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    out.print(f"wrote {out_path}: {n} STIX objects", highlight=False)


@cli_main.command("match")
@case_option("The case to check.")
@library_option("The library of known networks.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), help="Write matches.csv.")
@click.option("--network", "networks", multiple=True, help="Only this network (repeat).")
@click.option(
    "--threshold",
    type=click.FloatRange(min=0, min_open=True),
    default=MatchOptions.threshold,
    show_default=True,
    help="Score (log10 odds) an account needs to match (docs/matching.md).",
)
@click.option(
    "--min-families",
    type=click.IntRange(min=1),
    default=MatchOptions.min_families,
    show_default=True,
    help="Content or persona families that must agree.",
)
@click.option(
    "--no-per-network",
    "per_network",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Do not raise the threshold by log10(networks) for a library of several networks.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def match_command(
    case_path: str,
    library_path: str,
    out_path: str | None,
    networks: tuple[str, ...],
    threshold: float,
    min_families: int,
    per_network: bool,
    as_json: bool,
) -> None:
    """Score every account of a case against every known network, facet by facet.

    Writes the case's matches table (shown in report.html and used by detect's
    known_network tell) and, with --out, matches.csv.

    \b
    Example:
      cibscan match --case new.duckdb --library known.duckdb --out matches.csv
    """
    try:
        options = MatchOptions(
            threshold=threshold,
            min_families=min_families,
            networks=networks or None,
            per_network=per_network,
        )
        with open_case(case_path, create=False) as case, live_phases():
            report = match(case.engine, library_path, options)
            if out_path:
                write_matches_csv(case.engine, out_path)
    except _FAILURES as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    print_match_summary(report, out_path)


def print_match_summary(report: MatchReport, out_path: str | None = None) -> None:
    """A match run in two lines."""
    by_network = ", ".join(f"{n} {c:,}" for n, c in report.matched_by_network.items())
    out.print(
        f"{report.accounts:,} accounts against {report.networks} networks in "
        f"{report.seconds:.1f}s: {report.matched:,} matched at score >= {report.threshold:.1f} "
        f"({report.by_identity:,} known members){': ' + by_network if by_network else ''}",
        highlight=False,
    )
    if out_path:
        console.print(f"wrote {out_path} ({report.rows:,} rows)", highlight=False)
