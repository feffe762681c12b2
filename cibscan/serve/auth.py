"""The token check, the cookie hand-over, and the headers every response carries.

A browser opens the link ``cibscan serve`` prints (``/?token=T``) once: the token is moved
into an HttpOnly, SameSite=Strict cookie and the browser is redirected to the same page
without it, so the token leaves the address bar, the history and any Referer. The cookie
is never sent by another site's page (SameSite=Strict), which with the Origin check on
writes keeps a malicious page from labelling through the analyst's browser.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from cibscan.serve.base import COOKIE, CSP

log = logging.getLogger(__name__)

#: paths anyone may fetch: the liveness probe and the shipped static files
PUBLIC = ("/api/health",)
PUBLIC_PREFIXES = ("/static/",)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

_TOKEN_IN_QUERY = re.compile(r"(?i)(token=)[^&\s\"]*")

Handler = Callable[[Request], Awaitable[Response]]


def redact(line: str) -> str:
    """``line`` with the value of every ``token=`` query parameter replaced by ``***``."""
    return _TOKEN_IN_QUERY.sub(r"\1***", line)


class RedactTokens(logging.Filter):
    """Keeps tokens out of the access log (uvicorn logs each request line with its query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        record.msg = redact(str(record.msg))
        return True


def _given_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE)


def _matches(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def _without_token(request: Request) -> str:
    query = [
        (k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True) if k != "token"
    ]
    # one leading slash: "//host" would send the browser to another site
    path = "/" + request.url.path.lstrip("/\\")
    return path + (f"?{urlencode(query)}" if query else "")


def _unauthorised(request: Request) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse(
            {"detail": "a token is needed: send 'Authorization: Bearer <token>'"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return PlainTextResponse(
        "cibscan workbench: open the link 'cibscan serve' printed (it ends in ?token=...)",
        status_code=401,
    )


def _same_origin(request: Request) -> bool:
    """Whether a write comes from the workbench's own pages (or from a client that is no
    browser). Browsers say where a request comes from in ``Sec-Fetch-Site``, and older
    ones in ``Origin``; either must name this site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None:  # not a browser: no other site's page is involved
        return True
    host = request.headers.get("host", "")
    return origin in (f"http://{host}", f"https://{host}")


#: the names a workbench listening on loopback answers to
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def host_name(header: str) -> str:
    """The host of a ``Host`` header, without its port (``[::1]:8000`` -> ``::1``)."""
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def guard(
    token: str | None, hosts: frozenset[str] | None = LOOPBACK_NAMES
) -> Callable[[Request, Handler], Awaitable[Response]]:
    """The HTTP middleware: the Host check (``hosts``: the names the workbench answers to;
    None answers to any), the token check (none when ``token`` is None), the Origin check
    on writes, and the security headers.

    The Host check stops DNS rebinding: a page of evil.example whose name its owner points
    at 127.0.0.1 could otherwise read a workbench started with ``--no-auth``."""

    async def middleware(request: Request, call_next: Handler) -> Response:
        path = request.url.path
        if hosts is not None and host_name(request.headers.get("host", "")) not in hosts:
            return _secured(PlainTextResponse("unknown host", status_code=400), path)
        public = path in PUBLIC or path.startswith(PUBLIC_PREFIXES)
        if token is not None and not public and not _matches(_given_token(request), token):
            offered = request.query_params.get("token")
            if offered is not None and request.method == "GET" and _matches(offered, token):
                response: Response = RedirectResponse(_without_token(request), status_code=303)
                response.set_cookie(
                    COOKIE,
                    token,
                    httponly=True,
                    samesite="strict",
                    path="/",
                    secure=request.url.scheme == "https",
                )
                return _secured(response, path)
            return _secured(_unauthorised(request), path)
        if request.method not in SAFE_METHODS and not _same_origin(request):
            return _secured(
                JSONResponse({"detail": "cross-origin writes are refused"}, status_code=403), path
            )
        return _secured(await call_next(request), path)

    return middleware


def _secured(response: Response, path: str) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    # same-origin: another site gets no Referer, and a form post keeps its Origin
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if not path.startswith(PUBLIC_PREFIXES):
        headers["Cache-Control"] = "no-store"
    return response
