"""``cibscan serve``: the analyst workbench over a case (parses options, calls
:func:`cibscan.serve.serve`)."""

from __future__ import annotations

from pathlib import Path

import click

from cibscan.cli import case_option, out
from cibscan.cli import main as cli_main
from cibscan.store import CaseError


@cli_main.command("serve")
@case_option("The case to open in the workbench.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--token",
    envvar="CIBSCAN_SERVE_TOKEN",
    help="The token every request needs (default: a new random one, printed; also read "
    "from CIBSCAN_SERVE_TOKEN, which keeps it out of the process list).",
)
@click.option("--no-auth", is_flag=True, help="No token (refused on a non-loopback --host).")
@click.option(
    "--write", is_flag=True, help="Allow labelling (confirm or dismiss) from the workbench."
)
@click.option(
    "--no-index",
    is_flag=True,
    help="Do not build the browse index at start (pages are then asked of the case).",
)
@click.option(
    "--no-prepared-pages",
    is_flag=True,
    help="Do not render every account's and cluster's page (and API answer) ahead once the "
    "index is built (each is then made at its request).",
)
@click.option(
    "--cache-entries",
    default=128,
    show_default=True,
    type=click.IntRange(min=0),
    help="Answers remembered until the next label (0: none).",
)
def serve_command(
    case_path: str,
    host: str,
    port: int,
    token: str | None,
    no_auth: bool,
    write: bool,
    no_index: bool,
    no_prepared_pages: bool,
    cache_entries: int,
) -> None:
    """Open a case in the analyst workbench: a local web app and a JSON API.

    Prints the address to open (with the token once; the browser then keeps it in a
    cookie). API clients send 'Authorization: Bearer TOKEN'; the API is described at
    /api/openapi.json. Read-only unless --write. Stop with Ctrl-C.

    \b
    Example:
      cibscan serve --case out/demo/case.duckdb
      cibscan serve --case case.duckdb --write --port 8080
    """
    try:
        from cibscan.serve import ServeOptions, build_app, new_token, serve
    except ImportError as exc:  # an optional extra
        raise click.ClickException(
            f"the workbench needs its extra: pip install 'cibscan[serve]' ({exc})"
        ) from exc

    if no_auth and token:
        raise click.UsageError("give --token or --no-auth, not both")
    chosen = None if no_auth else (token or new_token())
    options = ServeOptions(
        Path(case_path),
        host=host,
        port=port,
        token=chosen,
        write=write,
        cache_entries=cache_entries,
        browse_index=not no_index,
        prepare_pages=not no_prepared_pages,
    )
    try:
        app = build_app(options)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    except CaseError as exc:
        raise click.ClickException(str(exc)) from exc
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    address = f"http://{shown if ':' not in shown else f'[{shown}]'}:{port}/"
    mode = "labels can be set (--write)" if write else "read-only"
    if chosen is None:
        out.print(
            f"cibscan workbench ({mode}, no token): open {address}", highlight=False, soft_wrap=True
        )
    else:
        out.print(
            f"cibscan workbench ({mode}): open {address}?token={chosen}",
            highlight=False,
            soft_wrap=True,
        )
        out.print(
            f"API: curl -H 'Authorization: Bearer {chosen}' {address}api/case",
            highlight=False,
            soft_wrap=True,
        )
    serve(options, app)
