"""The workbench's pages: server-rendered Jinja2 over the same library calls as the API.

Templates autoescape, and every attacker-written string also goes through the ``t`` filter
(:func:`cibscan.report.escape.text`: invisible and direction-changing characters made
visible, very long strings cut). The only script is the workbench's own
``static/graph.js`` (the cluster network, drawn with the vendored cytoscape.js from the
API's JSON); every page works without it, by keyboard, through plain links and forms.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from cibscan import __version__, browse
from cibscan.report.escape import text
from cibscan.serve import reads
from cibscan.serve.api import LabelRequest, store_label
from cibscan.serve.app import Workbench
from cibscan.serve.plots import account_path, img
from cibscan.store.labels import VERDICTS, list_labels

router = APIRouter(include_in_schema=False)

#: rows per page of the clusters table, a search, an account's posts
PAGE_ROWS = 50


def _t(value: object, limit: int | None = 600) -> Markup:
    return Markup(text(value, limit))


def _num(value: object, digits: int = 3) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _when(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def account_url(platform: object, account_id: object) -> str:
    """The account page of ``platform:account_id`` (both quoted: ids are free text)."""
    return f"/accounts/{quote(str(platform), safe='')}/{quote(str(account_id), safe='')}"


def _node_url(node_id: str) -> str:
    platform, _, account_id = node_id.partition(":")
    return account_url(platform, account_id)


ENV = Environment(
    loader=PackageLoader("cibscan.serve", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters.update(t=_t, num=_num, when=_when, node_url=_node_url)
ENV.globals.update(account_url=account_url, version=__version__, verdicts=VERDICTS)


def _bench(request: Request) -> Workbench:
    bench: Workbench = request.app.state.workbench
    return bench


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with the workbench's common context."""
    context.update(writable=_bench(request).write, path=request.url.path)
    return HTMLResponse(ENV.get_template(template).render(**context), status_code=status)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    info = reads.overview(_bench(request))
    top = reads.clusters(_bench(request), limit=10).items if info["has_findings"] else []
    plot = img("overview/daily.svg", "posts per day")
    return render(request, "overview.html", info=info, clusters=top, plot=plot, title="overview")


@router.get("/clusters", response_class=HTMLResponse)
def clusters(
    request: Request,
    sort: str = "score",
    order: str = "desc",
    platform: str | None = None,
    signal: str | None = None,
    tell: str | None = None,
    flagged: bool | None = None,
    offset: int = 0,
) -> HTMLResponse:
    filters = {"platform": platform or None, "signal": signal or None, "tell": tell or None}
    page = reads.clusters(
        _bench(request),
        sort=sort,
        descending=order != "asc",
        flagged=flagged,
        limit=PAGE_ROWS,
        offset=max(offset, 0),
        platform=filters["platform"],
        signal=filters["signal"],
        tell=filters["tell"],
    )
    return render(
        request,
        "clusters.html",
        page=page,
        sort=sort,
        order=order,
        filters=filters,
        sorts=list(browse.CLUSTER_SORTS),
        title="clusters",
    )


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: int) -> HTMLResponse:
    detail = reads.cluster(_bench(request), cluster_id)
    if detail is None:
        raise HTTPException(404, f"no cluster {cluster_id}")
    plots = [
        img(f"clusters/{cluster_id}/weekly.svg", "posts by weekday and hour (UTC)"),
        img(f"clusters/{cluster_id}/daily.svg", "posts per day"),
    ]
    return render(
        request,
        "cluster.html",
        d=detail,
        c=detail["cluster"],
        plots=plots,
        title=f"cluster {cluster_id}",
    )


@router.get("/accounts/{platform}/{account_id:path}", response_class=HTMLResponse)
def account(
    request: Request,
    platform: str,
    account_id: str,
    offset: int = 0,
    partner: str | None = None,
) -> HTMLResponse:
    detail = reads.account(
        _bench(request),
        platform,
        account_id,
        posts_limit=PAGE_ROWS,
        posts_offset=max(offset, 0),
        partner=partner or None,
    )
    if detail is None:
        raise HTTPException(404, f"no account {platform}:{account_id}")
    plot = img(f"accounts/{account_path(platform, account_id)}", "posts per day")
    return render(
        request,
        "account.html",
        d=detail,
        p=detail["profile"],
        plot=plot,
        ref=f"{platform}:{account_id}",
        title=f"account {platform}:{account_id}",
    )


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = "", kind: str = "handle", offset: int = 0) -> HTMLResponse:
    result = None
    error = None
    if q.strip():
        try:
            with _bench(request).case(findings=False) as case:
                result = browse.search(case.engine, q, kind, limit=PAGE_ROWS, offset=max(offset, 0))
        except ValueError as exc:
            error = str(exc)
    return render(
        request,
        "search.html",
        q=q,
        kind=kind,
        kinds=browse.SEARCH_KINDS,
        result=result,
        error=error,
        title="search",
    )


@router.get("/labels", response_class=HTMLResponse)
def labels(request: Request) -> HTMLResponse:
    with _bench(request).case(findings=False) as case:
        rows = list_labels(case.engine)
    return render(request, "labels.html", rows=rows, title="labels")


@router.post("/labels")
async def add_label(request: Request) -> RedirectResponse:
    """The label form: a verdict on a cluster or one account, then back where it was set."""
    form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
    cluster_id = form.get("cluster_id") or None
    accounts = [form["account"]] if form.get("account") else []
    try:
        body = LabelRequest(
            verdict=form.get("verdict", ""),
            cluster_id=int(cluster_id) if cluster_id else None,
            accounts=accounts,
            note=form.get("note") or None,
            analyst=None,
        )
    except ValueError as exc:
        raise HTTPException(400, f"a bad label form: {exc}") from exc
    await run_in_threadpool(store_label, _bench(request), body)  # off the event loop
    back = form.get("back", "/labels")
    # only a path of this site: a form field must not redirect anywhere else
    if not back.startswith("/") or back.startswith(("//", "/\\")):
        back = "/labels"
    return RedirectResponse(back, status_code=303)


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """A page for a failed page request (the API's errors stay JSON)."""
    return render(request, "error.html", status=status, detail=detail, title=f"error {status}")


__all__ = ["account_url", "error_page", "router"]
