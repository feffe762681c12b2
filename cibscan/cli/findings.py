"""CLI commands on the findings: ``detect``, ``run``, ``export`` and ``signals``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from cibscan.cli import (
    F,
    _cell,
    _parse_options,
    _print_report,
    _report_dict,
    case_option,
    exit_if_partial,
    input_format_options,
    main,
    out,
)
from cibscan.cli.display import live_phases
from cibscan.detect.base import DEFAULT_ALPHA, DEFAULT_MIN_SHARED, ENGINES, DetectOptions
from cibscan.detect.pipeline import DetectReport, detect, resolve_signals, resolve_tells
from cibscan.export import CASE_TABLES, TABLES, export, get_exporter
from cibscan.export.stix_objects import DEFAULT_TLP, TLP_LEVELS
from cibscan.ingest.pipeline import IngestOptions
from cibscan.report.html import write_report
from cibscan.signals.base import Signal, signals
from cibscan.store import CaseError, open_case
from cibscan.tells.base import Tell, tells
from cibscan.workflow import run_pipeline


def _signal_params(pairs: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``--param co_repost.window=30s`` -> {"co_repost": {"window": "30s"}}."""
    parsed: dict[str, dict[str, str]] = {}
    for key, value in _parse_options(pairs).items():
        if "." not in key:
            raise click.BadParameter(
                f"expected SIGNAL.NAME=VALUE, got {key!r}", param_hint="--param"
            )
        signal, name = key.split(".", 1)
        parsed.setdefault(signal, {})[name] = value
    return parsed


def detect_options(fn: F) -> F:
    """The options shared by ``detect`` and ``run``."""
    decorators = [
        click.option(
            "--signal",
            "signal_names",
            multiple=True,
            help="Run only this signal (repeatable; see 'cibscan signals'). Default: all.",
        ),
        click.option(
            "--tell",
            "tell_names",
            multiple=True,
            help="Run only this tell (repeatable; see 'cibscan tells'); 'none' runs no tell, "
            "so coordination alone decides. Default: all.",
        ),
        click.option(
            "--window",
            help="Time window of every time-windowed signal, e.g. 60s, 5m, 1h or 'case' "
            "(default: each signal's own). Case-wide signals (near_duplicate) keep theirs: "
            "set it with --param near_duplicate.window=.",
        ),
        click.option(
            "--param",
            "signal_params",
            multiple=True,
            metavar="SIGNAL.NAME=VALUE",
            help="A signal parameter, e.g. --param near_duplicate.threshold=0.7 (repeatable).",
        ),
        click.option(
            "--alpha",
            type=float,
            default=DEFAULT_ALPHA,
            show_default=True,
            help="Family-wise error rate of a flag: a tie is significant when its corrected "
            "p-value is at most this.",
        ),
        click.option(
            "--corroborated",
            type=float,
            default=DetectOptions.corroborated,
            show_default=True,
            help="Cluster evidence (-log10 p of coordination plus tells) at which tied "
            "accounts are flagged (docs/signals.md, combination rule).",
        ),
        click.option(
            "--tell-alone",
            type=float,
            default=DetectOptions.tell_alone,
            show_default=True,
            help="Tell strength that flags an account with no tie to a flagged cluster.",
        ),
        click.option(
            "--min-shared",
            type=int,
            default=DEFAULT_MIN_SHARED,
            show_default=True,
            help="Fewest shared items a pair needs before it is tested.",
        ),
        click.option(
            "--resolution",
            type=float,
            default=1.0,
            show_default=True,
            help="Leiden resolution: higher gives smaller clusters.",
        ),
        click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
        click.option(
            "--library",
            type=click.Path(),
            help="A library of known networks: match the case against it first, so that the "
            "known_network tell counts the matches (docs/matching.md).",
        ),
        click.option(
            "--memory-limit",
            default="6GB",
            show_default=True,
            help="Memory ceiling of the engine while detecting; past it, scratch data spills "
            "to disk.",
        ),
        click.option(
            "--engine",
            "engine_name",
            type=click.Choice(ENGINES),
            default="duckdb",
            show_default=True,
            help="The engine that detects: duckdb (the case's own) or spark (Apache Spark, "
            "the findings copied back into the case; needs cibscan[spark], docs/scale.md).",
        ),
        click.option(
            "--master",
            "spark_master",
            default="local[2]",
            show_default=True,
            help="With --engine spark: Spark's master URL (local[N], spark://HOST:PORT, yarn).",
        ),
        click.option(
            "--spark-conf",
            multiple=True,
            metavar="KEY=VALUE",
            help="With --engine spark: a Spark setting, e.g. spark.driver.memory=8g (repeatable).",
        ),
        click.option(
            "--posts-parquet",
            type=click.Path(),
            help="With --engine spark: read the posts from this Parquet folder ('cibscan "
            "export posts --format parquet --partition-by platform,date') instead of the case.",
        ),
    ]
    for decorate in reversed(decorators):
        fn = decorate(fn)
    return fn


def formula_guard_option(fn: F) -> F:
    """``--no-formula-guard``: CSV cells exactly as stored, for a CSV reader rather than a
    spreadsheet (docs/outputs.md)."""
    return click.option(
        "--formula-guard/--no-formula-guard",
        default=True,
        show_default=True,
        help="In CSV, quote cells a spreadsheet would run as a formula "
        "(--no-formula-guard: every cell exact).",
    )(fn)


def tlp_option(default: str | None) -> Callable[[F], F]:
    """``--tlp``: the TLP 2.0 marking of the STIX bundles a command writes."""
    return click.option(
        "--tlp",
        type=click.Choice(tuple(TLP_LEVELS)),
        default=default,
        show_default=True,
        help=f"TLP 2.0 marking of the STIX bundle (default {DEFAULT_TLP}): clear, green, "
        "amber (share within the recipient's organisation) or red.",
    )


def _chosen_tells(names: tuple[str, ...]) -> list[str] | None:
    """``--tell`` values: none given means the defaults, ``none`` means no tell at all."""
    if not names:
        return None
    if "none" in names:
        if len(names) > 1:
            raise click.BadParameter("'none' cannot be combined with tells", param_hint="--tell")
        return []
    return list(names)


def _detect_options(kwargs: dict[str, Any]) -> DetectOptions:
    """The options of the command line, every parameter checked before any work (a signal
    parameter too: ``--param near_duplicate.threshold=nan`` is refused here)."""
    options = DetectOptions(
        signals=list(kwargs.pop("signal_names")) or None,
        tells=_chosen_tells(kwargs.pop("tell_names")),
        params=_signal_params(kwargs.pop("signal_params")),
        window=kwargs.pop("window"),
        alpha=kwargs.pop("alpha"),
        min_shared=kwargs.pop("min_shared"),
        resolution=kwargs.pop("resolution"),
        corroborated=kwargs.pop("corroborated"),
        tell_alone=kwargs.pop("tell_alone"),
        seed=kwargs.pop("seed"),
        library=kwargs.pop("library"),
        memory_limit=kwargs.pop("memory_limit"),
        **_engine_options(kwargs),
    )
    resolve_signals(options)
    resolve_tells(options)
    return options


def _engine_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``--engine``, ``--master``, ``--spark-conf`` and ``--posts-parquet``; the Spark ones
    are refused with DuckDB rather than ignored."""
    engine = kwargs.pop("engine_name")
    master, conf = kwargs.pop("spark_master"), _parse_options(kwargs.pop("spark_conf"))
    parquet = kwargs.pop("posts_parquet")
    if engine != "spark" and (conf or parquet or master != "local[2]"):
        raise click.BadParameter(
            "--master, --spark-conf and --posts-parquet need --engine spark",
            param_hint="--engine",
        )
    return {"engine": engine, "spark_master": master, "spark_conf": conf, "posts_parquet": parquet}


@main.command("detect")
@case_option("The case file to analyse (made by 'cibscan ingest').")
@detect_options
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
def detect_command(case_path: str, as_json: bool, **kwargs: Any) -> None:
    """Find coordinated accounts in a case: run the signals, test every pair against its
    null model, build the network, find clusters (Leiden) and score every account.

    Findings replace the previous ones in the case; each run is recorded in detect_runs
    with its parameters. Export them with 'cibscan export'.

    \b
    Example:
      cibscan detect --case case.duckdb
      cibscan detect --case case.duckdb --window 30s --signal co_repost --signal co_url
      cibscan detect --case case.duckdb --param near_duplicate.threshold=0.8
      cibscan detect --case case.duckdb --engine spark --spark-conf spark.driver.memory=4g
    """
    try:
        options = _detect_options(kwargs)
        with open_case(case_path, create=False) as case, live_phases():
            report = detect(case, options)
    except (CaseError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.as_dict(), default=str, indent=2))
    else:
        print_detect_summary(report)


@main.command("run")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the case (case.duckdb) and accounts/edges/clusters/evidence files.",
)
@input_format_options
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace a case already in OUT (its labels and earlier runs are lost).",
)
@click.option("--append", is_flag=True, help="Add the files to a case already in OUT.")
@click.option(
    "--export-format",
    type=click.Choice(("csv", "parquet", "json", "jsonl")),
    default="csv",
    show_default=True,
    help="File format of the four findings tables.",
)
@tlp_option(DEFAULT_TLP)
@formula_guard_option
@detect_options
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
def run_command(
    paths: tuple[str, ...],
    out_dir: str,
    format_name: str | None,
    format_options: tuple[str, ...],
    max_record_bytes: int,
    overwrite: bool,
    append: bool,
    export_format: str,
    tlp: str,
    formula_guard: bool,
    as_json: bool,
    **kwargs: Any,
) -> None:
    """Ingest files, detect coordinated accounts and write the findings, in one go.

    Writes OUT/case.duckdb (created afresh); OUT/accounts.csv, edges.csv, clusters.csv,
    evidence.csv (columns documented in docs/outputs.md); and the network in every
    whole-network format (network.gexf, network.graphml, network.stix.json); and
    OUT/report.html, the self-contained report.

    \b
    Example:
      cibscan run io_tweets.csv.gz RC_2024-01.zst --out results/
      cibscan run export.jsonl --format generic_jsonl --out results/ --window 30s
    """
    try:
        options = _detect_options(kwargs)
        with live_phases():
            result = run_pipeline(
                paths,
                out_dir,
                ingest_options=IngestOptions(
                    format_name,
                    _parse_options(format_options),
                    max_record_bytes=max_record_bytes,
                ),
                detect_options=options,
                export_format=export_format,
                overwrite=overwrite,
                append=append,
                tlp=tlp,
                formula_guard=formula_guard,
            )
    except (CaseError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        report = {
            "ingest": _report_dict(result.ingest),
            "detect": result.detect.as_dict(),
            "outputs": {k: str(v) for k, v in result.outputs.items()},
        }
        click.echo(json.dumps(report, default=str, indent=2))
    else:
        _print_report(result.ingest)
        print_detect_summary(result.detect)
        out.print(f"findings written to {result.out_dir}/", highlight=False)
    exit_if_partial(result.ingest)  # the findings miss those files: not a success


@main.command("export")
@click.argument("what", type=click.Choice((*TABLES, *CASE_TABLES)), required=False)
@case_option("The case whose findings to export.")
@click.option(
    "--format",
    "file_format",
    default="csv",
    show_default=True,
    help="csv, parquet or json (one table: name WHAT); gexf, graphml or stix (the whole "
    "network: no WHAT); or a plugin's format.",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="Output file (default: WHAT.FORMAT, or network.FORMAT, in the current folder); "
    "with --partition-by, a folder.",
)
@click.option(
    "--partition-by",
    "partition_by",
    default=None,
    metavar="COLUMNS",
    help="Comma-separated columns (csv, parquet): write a folder partitioned by them "
    "(platform=x/date=y/...), e.g. posts by platform,date for Spark.",
)
@tlp_option(None)
@formula_guard_option
def export_command(
    what: str | None,
    case_path: str,
    file_format: str,
    out_path: str | None,
    partition_by: str | None,
    tlp: str | None,
    formula_guard: bool,
) -> None:
    """Write the findings of the latest detect run in a file format.

    Tables (accounts, edges, clusters, evidence) as CSV, Parquet or JSON, with the columns
    of docs/outputs.md (in CSV, cells a spreadsheet would run as a formula are prefixed with
    a quote); the case's posts too (no detect run needed), as one file or, with
    --partition-by, a folder in the layout Spark reads; the network for Gephi as GEXF or
    GraphML; a STIX 2.1 bundle with DISARM and Meta kill-chain techniques, marked TLP:AMBER
    unless --tlp says otherwise. Formats are described in docs/outputs.md.

    \b
    Example:
      cibscan export accounts --case case.duckdb --format csv --out accounts.csv
      cibscan export evidence --case case.duckdb --format parquet
      cibscan export posts --case case.duckdb --format parquet --partition-by platform,date \\
          --out posts/
      cibscan export --case case.duckdb --format gexf --out network.gexf
      cibscan export --case case.duckdb --format stix --tlp green --out bundle.json
    """
    try:
        exporter = get_exporter(file_format)
        target = out_path or f"{what or 'network'}{exporter.suffix}"
        options: dict[str, Any] = {} if tlp is None else {"tlp": tlp}  # refused by csv...
        if not formula_guard:  # ... and this by every format but csv
            options["formula_guard"] = False
        if partition_by:  # ... and this by the formats that write one file only
            options["partition_by"] = tuple(c.strip() for c in partition_by.split(",") if c.strip())
        with open_case(case_path, create=False, read_only=True) as case:
            count = export(case, file_format, target, what, **options)
    except (CaseError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    unit = f"{what} rows" if what else "items"
    out.print(f"{count:,} {unit} written to {target}", highlight=False)


@main.command("report")
@case_option("The case whose findings to report.")
@click.option(
    "--out",
    "out_path",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The HTML file to write.",
)
@click.option("--title", help="Page title (default: names the case file).")
@click.option(
    "--clusters",
    "max_clusters",
    default=30,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the best clusters get a full section.",
)
@click.option(
    "--accounts",
    "max_accounts",
    default=300,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the best flagged accounts get a section.",
)
def report_command(
    case_path: str, out_path: str, title: str | None, max_clusters: int, max_accounts: int
) -> None:
    """Write a self-contained HTML report of the latest detect run.

    One file that opens offline: a takedown-style summary (footprint per platform, time
    span, the signals behind the ties, the likely operator time zone), the clusters ranked
    by score with network maps, weekly heat maps, activity and account-creation plots,
    members and evidence, and a section per flagged account. Post text is shown escaped,
    with invisible and direction-changing characters made visible; the page runs no script.

    \b
    Example:
      cibscan report --case case.duckdb --out report.html
    """
    try:
        with open_case(case_path, create=False, read_only=True) as case:
            result = write_report(
                case,
                out_path,
                title=title,
                max_clusters=max_clusters,
                max_accounts=max_accounts,
            )
    except (CaseError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    out.print(
        f"report of {result.clusters} clusters and {result.accounts} flagged accounts "
        f"written to {result.path} ({result.bytes / 1e6:.1f} MB)",
        highlight=False,
    )


def _print_parametrised(items: Iterable[Signal | Tell], title: str, as_json: bool) -> None:
    """List signals or tells with their parameters, as a table or as JSON."""
    listed: list[dict[str, Any]] = [
        {
            "name": s.name,
            "title": s.title,
            "default_enabled": s.default_enabled,
            "description": s.description,
            "params": [
                {"name": p.name, "kind": p.kind, "default": p.describe_default(), "doc": p.doc}
                for p in s.params
            ],
        }
        for s in items
    ]
    if as_json:
        click.echo(json.dumps(listed, indent=2))
        return
    table = Table(title=title, title_justify="left")
    for col in ("name", "description", "parameters (default)"):
        table.add_column(col, overflow="fold")
    for s in listed:
        params = "\n".join(f"{p['name']}={p['default']}" for p in s["params"])
        table.add_row(Text(s["name"]), Text(s["description"]), Text(params))
    out.print(table)


@main.command("signals")
@click.option("--json", "as_json", is_flag=True, help="Print the signals as JSON.")
def signals_command(as_json: bool) -> None:
    """List the coordination signals with their parameters and defaults.

    \b
    Example:
      cibscan signals
      cibscan detect --case case.duckdb --param co_repost.window=30s
    """
    _print_parametrised(
        signals().values(), "signals (choose with --signal, tune with --param)", as_json
    )


@main.command("tells")
@click.option("--json", "as_json", is_flag=True, help="Print the tells as JSON.")
def tells_command(as_json: bool) -> None:
    """List the account tells (traits of inauthentic accounts scored per account, after the
    clusters) with their parameters and defaults. Every detect run computes them.

    \b
    Example:
      cibscan tells
      cibscan detect --case case.duckdb --param creation_burst.window=7d
    """
    _print_parametrised(tells().values(), "tells (tune with --param)", as_json)


def print_detect_summary(report: DetectReport) -> None:
    """The terminal summary of a detect run: signals, then the top clusters."""
    table = Table(title="signals", title_justify="left")
    for col in ("signal", "pairs", "significant", "seconds"):
        table.add_column(col, justify="left" if col == "signal" else "right")
    for run in report.signals:
        table.add_row(
            Text(run.name), f"{run.pairs:,}", f"{run.significant:,}", f"{run.seconds:.2f}"
        )
    out.print(table)
    out.print(
        f"{report.posts:,} posts by {report.accounts:,} accounts: {report.clusters:,} clusters, "
        f"{report.flagged:,} flagged accounts (score >= {report.flag_threshold:.2f}), "
        f"{report.edges:,} significant ties, in {report.seconds:.1f}s",
        highlight=False,
    )
    if not report.top_clusters:
        return
    top = Table(title="top clusters", title_justify="left")
    for col in ("cluster", "size", "score", "platforms", "main signals", "dates", "members"):
        top.add_column(col, overflow="fold")
    for c in report.top_clusters:
        top.add_row(
            _cell(c["cluster_id"]),
            _cell(c["size"]),
            Text(f"{c['score']:.2f}"),
            Text(", ".join(c["platforms"])),
            Text(", ".join(c["layers"][:3])),
            Text(_span(c["first_time"], c["last_time"])),
            Text(_members(c["sample_members"] or [], c["size"])),
        )
    out.print(top)


def _span(first: Any, last: Any) -> str:
    if first is None or last is None:
        return ""
    return f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"


def _members(sample: list[Any], size: int) -> str:
    shown = ", ".join(str(m) for m in sample[:3])
    return shown + (f" +{size - 3}" if size > 3 else "")
