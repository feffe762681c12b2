"""The ``cibscan`` command line: each command parses options and calls one library function."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cibscan import __version__
from cibscan.cli.display import QUIET, live_phases
from cibscan.engine.base import EngineResourceError
from cibscan.engine.limits import memory_bytes
from cibscan.ingest.catalog import describe_formats
from cibscan.ingest.pipeline import IngestOptions, IngestReport, check_inputs, ingest
from cibscan.store import CaseError, open_case
from cibscan.store.info import case_info

F = Callable[..., Any]

# soft_wrap: a line of text (a path, a count) is never broken at the terminal's width, so
# a file name can be copied whole and read by scripts; tables still fit the width
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--option")
        key, value = pair.split("=", 1)
        parsed[key.strip()] = value.strip()
    return parsed


def case_option(help_text: str) -> Callable[[F], F]:
    """The ``--case CASE`` option every command on a case takes."""
    return click.option(
        "--case", "case_path", required=True, type=click.Path(dir_okay=False), help=help_text
    )


def _record_size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        return memory_bytes(value)
    except ValueError as exc:
        raise click.BadParameter(f"a size such as 64MB or 1GiB, not {value!r}") from exc


def input_format_options(fn: F) -> F:
    """``--format``, ``--option`` and ``--max-record-bytes``, shared by ``ingest`` and ``run``."""
    fn = click.option(
        "--max-record-bytes",
        default="64MiB",
        show_default=True,
        callback=_record_size,
        metavar="SIZE",
        help="Quarantine any record (CSV row, JSON line or item) longer than this and ingest "
        "the rest of its file (1MiB to 1GiB).",
    )(fn)
    fn = click.option(
        "--option",
        "format_options",
        multiple=True,
        metavar="NAME=VALUE",
        help="A format option (repeatable), e.g. a column mapping for the generic formats.",
    )(fn)
    return click.option(
        "--format",
        "format_name",
        default=None,
        help="Skip content sniffing and read every file in this format.",
    )(fn)


class _Main(click.Group):
    """The command group: an engine out of memory or disk is one line and exit status 1
    in every command, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EngineResourceError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cibscan")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No live progress display; log errors only.")
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False, writable=True),
    help="Append the log, with the time of every phase, to this file.",
)
def main(verbose: int, quiet: bool, log_file: str | None) -> None:
    """cibscan: find coordinated inauthentic behaviour in social media data.

    \b
    Example:
      cibscan run tweets.csv reddit_comments.ndjson.zst --out results/
      cibscan ingest tweets.csv --case case.duckdb
      cibscan detect --case case.duckdb --window 60s
      cibscan export accounts --case case.duckdb --format csv --out accounts.csv
    """
    QUIET["on"] = quiet
    level = logging.ERROR if quiet else max(logging.WARNING - 10 * verbose, logging.DEBUG)
    _configure_logging(level, log_file)


#: the log handlers the command group installed (replaced on each invocation)
_HANDLERS: list[logging.Handler] = []


def _configure_logging(level: int, log_file: str | None) -> None:
    """Log to standard error at ``level``, and with ``log_file`` to that file at INFO or
    lower (every phase with its time)."""
    root = logging.getLogger()
    for handler in _HANDLERS:
        root.removeHandler(handler)
        handler.close()
    _HANDLERS.clear()
    stream = logging.StreamHandler()
    stream.setLevel(level)
    stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    _HANDLERS.append(stream)
    if log_file:
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setLevel(min(level, logging.INFO))
        to_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        _HANDLERS.append(to_file)
    for handler in _HANDLERS:
        root.addHandler(handler)
    root.setLevel(min(h.level for h in _HANDLERS))


@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@case_option("The case file (DuckDB); created if absent.")
@input_format_options
@click.option(
    "--pseudonymize",
    "pseudonymize_key",
    default=None,
    metavar="KEY",
    envvar="CIBSCAN_PSEUDONYMIZE_KEY",
    help="Replace account ids, handles and names by keyed HMACs (also from "
    "$CIBSCAN_PSEUDONYMIZE_KEY).",
)
@click.option(
    "--memory-limit",
    default="1GB",
    show_default=True,
    help="Memory ceiling of the engine while ingesting (scratch data spills to disk).",
)
@click.option(
    "--no-text-index",
    is_flag=True,
    help="Do not digest the new texts for matching (the first 'cibscan match' will).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def ingest_command(
    paths: tuple[str, ...],
    case_path: str,
    format_name: str | None,
    format_options: tuple[str, ...],
    pseudonymize_key: str | None,
    memory_limit: str,
    max_record_bytes: int,
    no_text_index: bool,
    as_json: bool,
) -> None:
    """Load files (or folders, or zip archives) of any supported format into a case.

    Formats are recognised by content. Every record is stored, counted as a duplicate, or
    quarantined with its reason: read = stored + duplicates + quarantined. An input that
    cannot be read (missing, format not recognised) stops the command before any work
    (status 1); a file that fails midway, or has every record quarantined, makes it exit
    with status 3 after the others are loaded. The new posts' texts are then digested into
    the case's text index, which 'cibscan match' reads (--no-text-index skips it).

    \b
    Example:
      cibscan ingest io_tweets.csv.gz io_users.csv RS_2024-01.zst --case case.duckdb
      cibscan ingest export.csv --format generic_csv \\
          --option post_id=id --option account_id=user --case case.duckdb
    """
    try:
        options = IngestOptions(
            format_name,
            _parse_options(format_options),
            pseudonymize_key,
            memory_limit,
            max_record_bytes,
            text_index=not no_text_index,
        )
        check_inputs(paths, options)  # before any work
        with open_case(case_path) as case, live_phases():
            report = ingest(case, paths, options)
    except (CaseError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(_report_dict(report), indent=2))
    else:
        _print_report(report)
    exit_if_partial(report)


#: exit statuses (docs/cli.md): 1 a user error (bad value, unreadable input, refused
#: case), found before any work; 2 a usage error (click's); 3 a partial result: the work
#: was done, but some files failed midway or had every record quarantined
EXIT_PARTIAL = 3


def exit_if_partial(report: IngestReport) -> None:
    """Exit with status 3 when some input did not get in (each said in one plain line)."""
    for problem in report.incomplete:
        click.echo(f"partial: {problem}", err=True)  # one plain line, never wrapped
    if report.incomplete:
        sys.exit(EXIT_PARTIAL)


#: the counts an ingest report adds up over its files (read = stored + duplicates +
#: quarantined; stored = stored_posts + stored_accounts)
TOTALS = ("read", "stored", "stored_posts", "stored_accounts", "duplicates", "quarantined")


def _report_dict(report: IngestReport) -> dict[str, Any]:
    return {
        "files": [dict(f.__dict__) for f in report.files],
        "errors": report.errors,
        "totals": {k: report.total(k) for k in TOTALS},
        "text_index": {"texts": report.indexed_texts, "seconds": report.index_seconds},
    }


def _print_report(report: IngestReport) -> None:
    table = Table(title="ingest", title_justify="left")
    # "posts" and "accounts": what was stored, apart; their sum is the summary's "stored"
    columns = ("file", "format", "read", "posts", "accounts", "duplicates", "quarantined", "s")
    for col in columns:
        textual = col in ("file", "format")
        table.add_column(
            col,
            justify="left" if textual else "right",
            overflow="fold",
            no_wrap=not textual,
            min_width=10 if textual else None,  # a file name is not folded to a few letters
        )
    for f in report.files:
        name = Path(f.source).name
        table.add_row(
            Text(name),
            Text(f.format),
            f"{f.read:,}",
            f"{f.stored_posts:,}",
            f"{f.stored_accounts:,}",
            f"{f.duplicates:,}",
            f"{f.quarantined:,}",
            f"{f.seconds:.2f}",
        )
    out.print(table)
    t = {k: report.total(k) for k in TOTALS}
    out.print(
        f"read {t['read']:,} = stored {t['stored']:,} ({t['stored_posts']:,} posts, "
        f"{t['stored_accounts']:,} accounts) + duplicates {t['duplicates']:,} "
        f"+ quarantined {t['quarantined']:,}",
        highlight=False,
    )
    if report.indexed_texts:
        out.print(
            f"text index: {report.indexed_texts:,} new texts in {report.index_seconds:.2f} s",
            highlight=False,
        )
    for f in report.files:
        for warning in f.warnings:
            click.echo(f"warning: {f.source}: {warning}", err=True)


@main.command("info")
@case_option("The case file to describe.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def info_command(case_path: str, as_json: bool) -> None:
    """Summarise a case: posts and accounts per platform and format, time span, and why
    records were quarantined.

    \b
    Example:
      cibscan info --case case.duckdb
    """
    try:
        with open_case(case_path, create=False, read_only=True) as case:
            info = case_info(case)
    except CaseError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(info.as_dict(), default=str, indent=2))
        return
    out.print(
        f"case {info.path} (schema {info.schema_version}): {info.posts:,} posts, "
        f"{info.accounts:,} accounts, {info.quarantined:,} quarantined, "
        f"{info.runs} ingest runs",
        highlight=False,
    )
    if info.first_post:
        out.print(
            f"posts from {info.first_post:%Y-%m-%d %H:%M} to {info.last_post:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )
    for title, rows in (
        ("platforms", info.by_platform),
        ("formats", info.by_format),
        ("post kinds", info.by_kind),
        ("quarantine reasons", info.quarantine_reasons),
    ):
        if rows:
            out.print(_table(title, rows))


def _table(title: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for col in rows[0]:
        table.add_column(col)
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    return table


def _cell(value: Any) -> Text:
    """Table cells as plain Text: values may come from hostile data, never markup."""
    if value is None:
        return Text("")
    if isinstance(value, int):
        return Text(f"{value:,}")
    if hasattr(value, "strftime"):
        return Text(str(value.strftime("%Y-%m-%d %H:%M")))
    return Text(str(value))


@main.command("formats")
@click.option("--json", "as_json", is_flag=True, help="Print the formats as JSON.")
def formats_command(as_json: bool) -> None:
    """List the input formats cibscan reads, and the canonical fields each one fills.

    \b
    Example:
      cibscan formats
    """
    listed = [
        {
            "name": f.name,
            "platform": f.platform,
            "reader": f.reader,
            "title": f.title,
            "source": f.source_hint,
            "fills": list(f.fills),
        }
        for f in describe_formats()
    ]
    if as_json:
        click.echo(json.dumps(listed, indent=2))
        return
    table = Table(
        title="formats (recognised by content; force one with --format)", title_justify="left"
    )
    for col in ("name", "platform", "reader", "description", "fills"):
        table.add_column(col, overflow="fold")
    for a in listed:
        table.add_row(
            *(
                Text(str(v))
                for v in (a["name"], a["platform"], a["reader"], a["title"], ", ".join(a["fills"]))
            )
        )
    out.print(table)


# Commands on the findings (detect, run, export, signals) live in their own module.
from cibscan.cli import evaluation as _evaluation  # noqa: E402, F401
from cibscan.cli import findings as _findings  # noqa: E402, F401
from cibscan.cli import hunt as _hunt  # noqa: E402, F401
from cibscan.cli import networks as _networks  # noqa: E402, F401
from cibscan.cli import simulate as _simulate  # noqa: E402, F401
from cibscan.cli import workbench as _workbench  # noqa: E402, F401
