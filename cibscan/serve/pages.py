"""The workbench's pages: server-rendered Jinja2 over the same library calls as the API.

Templates autoescape and run attacker-written strings through the ``t`` filter
(:mod:`cibscan.serve.render`). The only script is the workbench's own ``static/graph.js``
(the cluster network, drawn with the vendored cytoscape.js from the API's JSON); every page
works without it, by keyboard, through plain links and forms. An account's or cluster's
page comes from the page store when it was prepared ahead (:mod:`cibscan.serve.pagestore`),
rendered from the library's answer otherwise; either way its verdicts are the current ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from cibscan import browse
from cibscan.browse import Page
from cibscan.engine import Engine
from cibscan.serve import reads
from cibscan.serve.api import LabelRequest, store_label
from cibscan.serve.app import Workbench
from cibscan.serve.pagestore import account_key, cluster_key
from cibscan.serve.render import (
    CLUSTER_SCRIPTS,
    ENV,
    PAGE_ROWS,
    LiveSlots,
    account_main,
    account_url,
    cluster_main,
    img,
)
from cibscan.store.labels import list_labels

router = APIRouter(include_in_schema=False)


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


def _slots(bench: Workbench) -> LiveSlots:
    return LiveSlots(bench.verdicts(), bench.write)


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: int) -> HTMLResponse:
    bench = _bench(request)
    slots = _slots(bench)
    main = bench.pages.page(cluster_key(cluster_id), slots) if bench.pages else None
    if main is None:
        detail = reads.cluster(bench, cluster_id)
        if detail is None:
            raise HTTPException(404, f"no cluster {cluster_id}")
        main = cluster_main(detail, slots)
    return render(
        request, "page.html", main=main, scripts=CLUSTER_SCRIPTS, title=f"cluster {cluster_id}"
    )


@router.get("/accounts/{platform}/{account_id:path}", response_class=HTMLResponse)
def account(
    request: Request,
    platform: str,
    account_id: str,
    offset: int = 0,
    partner: str | None = None,
) -> HTMLResponse:
    bench = _bench(request)
    slots = _slots(bench)
    main = None
    if offset <= 0 and not partner and bench.pages is not None:  # the page prepared ahead
        main = bench.pages.page(account_key(platform, account_id), slots)
    if main is None:
        detail = reads.account(
            bench,
            platform,
            account_id,
            posts_limit=PAGE_ROWS,
            posts_offset=max(offset, 0),
            partner=partner or None,
        )
        if detail is None:
            raise HTTPException(404, f"no account {platform}:{account_id}")
        main = account_main(detail, slots)
    return render(
        request, "page.html", main=main, scripts=(), title=f"account {platform}:{account_id}"
    )


@router.get("/search", response_class=HTMLResponse)
def search(request: Request, q: str = "", kind: str = "handle", offset: int = 0) -> HTMLResponse:
    result = None
    error = None
    if q.strip():
        try:
            bench = _bench(request)
            with bench.case(findings=False) as case:
                result = browse.search(
                    case.engine,
                    q,
                    kind,
                    limit=PAGE_ROWS,
                    offset=max(offset, 0),
                    index=bench.index,
                )
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


def _listing(
    request: Request,
    template: str,
    title: str,
    read: Callable[[Engine], Page],
    **shown: str,
) -> HTMLResponse:
    """A page of ``read``'s rows (the matches, the hunt hits), or what to run first when
    the case has none (``read`` raises LookupError); ``shown`` are the filters' values."""
    page, missing = None, ""
    with _bench(request).case(findings=False) as case:
        try:
            page = read(case.engine).as_dict()
        except LookupError as exc:
            missing = str(exc)
    context: dict[str, Any] = {"page": page, "missing": missing, "title": title, **shown}
    return render(request, template, **context)


def _flag(value: str) -> bool | None:
    """A select's ``true``/``false``/empty as a filter."""
    return {"true": True, "false": False}.get(value)


@router.get("/matches", response_class=HTMLResponse)
def matches(
    request: Request, network: str = "", matched: str = "", offset: int = 0
) -> HTMLResponse:
    """The case's matches against known networks (:func:`cibscan.browse.list_matches`)."""
    return _listing(
        request,
        "matches.html",
        "matches",
        lambda engine: browse.list_matches(
            engine,
            network=network or None,
            matched=_flag(matched),
            limit=PAGE_ROWS,
            offset=max(offset, 0),
        ),
        network=network,
        matched=matched,
    )


@router.get("/hunt", response_class=HTMLResponse)
def hunt(
    request: Request, match: str = "", indicator_type: str = "", offset: int = 0
) -> HTMLResponse:
    """The case's hunt hits (:func:`cibscan.browse.list_hunt_hits`)."""
    return _listing(
        request,
        "hunt.html",
        "hunt hits",
        lambda engine: browse.list_hunt_hits(
            engine,
            match=match or None,
            indicator_type=indicator_type or None,
            limit=PAGE_ROWS,
            offset=max(offset, 0),
        ),
        match=match,
        indicator_type=indicator_type,
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
