"""Workbench contract: what ``cibscan serve`` offers, to whom, and what it promises.

The workbench is a local web app and a JSON API over one case (docs/workbench.md):

- **Where**: it listens on loopback (127.0.0.1) unless told otherwise; the case holds
  attacker-written text and an investigation's verdicts, so it is not a public site.
- **Who**: every request but ``GET /api/health`` and the static assets carries a token:
  ``Authorization: Bearer T`` for API clients, or a cookie for the browser, set (HttpOnly,
  SameSite=Strict) when a page is opened once as ``/?token=T`` and the token removed from
  the address bar by a redirect. A token is generated when none is given. ``--no-auth``
  turns this off and is refused on a non-loopback address. The token never reaches a log
  line: the access log shows ``token=***``.
- **Which names**: a request whose ``Host`` is not a loopback name or the ``--host``
  address is refused, so DNS rebinding cannot point another site's page at the workbench.
- **What it may change**: nothing, unless started with ``--write``; then only the labels
  table (``POST /api/labels`` or the label form), through the same function as
  ``cibscan label`` (:func:`cibscan.store.labels.label`). Without ``--write`` the case is
  opened read-only, so other read-only commands can use it meanwhile; with it the case is
  locked against other writers while the workbench runs.
- **What it shows**: the findings of the latest detect run, read by the functions of
  :mod:`cibscan.browse` (the same SQL as the exports and the report); no SQL lives in a
  route. Every attacker-written string is escaped by the templates (Jinja2 autoescape plus
  :func:`cibscan.report.escape.text` for invisible characters), links the case's accounts
  posted are shown as text, never followed, and every page carries a
  Content-Security-Policy that allows scripts only from the workbench's own static files.
- **How fast**: each server thread reads through its own DuckDB cursor; account and
  cluster pages come from the browse index (:mod:`cibscan.browse.index`) and, once
  rendered ahead, from the page store (:mod:`cibscan.serve.pagestore`), with verdicts
  filled in at each request; searches use the index's terms. The API pages its lists (at
  most :data:`cibscan.browse.MAX_LIMIT` rows) so no request reads a whole table into a
  page. One process (docs/workbench.md says why not several).
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from starlette.responses import JSONResponse

#: the cookie the browser keeps the token in
COOKIE = "cibscan_token"
#: every page's Content-Security-Policy: scripts, styles and fetches from the workbench only
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: export formats the API serves, and the media type of each
EXPORT_MEDIA = {
    "csv": "text/csv",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "gexf": "application/xml",
    "graphml": "application/xml",
    "stix": "application/json",
}


def new_token() -> str:
    """A fresh random token (32 bytes of entropy, URL-safe)."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class ServeOptions:
    """How to serve a case (the options of ``cibscan serve``)."""

    case: Path
    host: str = "127.0.0.1"
    port: int = 8000
    #: None: no authentication (``--no-auth``); otherwise the token every request needs
    token: str | None = None
    write: bool = False
    #: answers remembered until the next label (0: none; benchmarks measure that way)
    cache_entries: int = 128
    #: build the browse index at start (:mod:`cibscan.browse.index`)
    browse_index: bool = True
    #: render every account's and cluster's page once the index is built
    #: (:mod:`cibscan.serve.pagestore`)
    prepare_pages: bool = True

    def check(self) -> None:
        """Refuse an unauthenticated workbench reachable from other machines."""
        if self.token is None and not is_loopback(self.host):
            raise ValueError(
                f"--no-auth is refused on {self.host}: without a token anyone who can reach "
                "the address reads the case; serve on 127.0.0.1 or keep the token"
            )
        if self.token is not None and len(self.token) < 16:
            raise ValueError("the token must be at least 16 characters long")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        if self.cache_entries < 0:
            raise ValueError("cache entries must be 0 or more")


def _encode(value: Any) -> Any:
    """What orjson cannot write, as FastAPI's encoder writes it: a decimal as a number, a
    duration in seconds, anything else as its text."""
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return str(value)


class FastJSON(JSONResponse):
    """JSON through orjson: datetimes as ISO 8601, NaN and infinities as null (a p-value of
    NaN must not make a response invalid JSON).

    A route that returns one directly skips FastAPI's encoder, which walks every value in
    Python (about 4 ms for a flagged account's 45 kB); the bytes are the same
    (tests/test_serve_api.py)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS, default=_encode)
