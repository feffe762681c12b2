"""The JSON API (``/api``): thin routes over :mod:`cibscan.browse`, the labels and the exports.

Each route parses its query, holds the case for the length of one library call and hands
back what the library returned; errors become status codes in :func:`build_app`
(a ValueError is 400, a case without findings 409). OpenAPI: ``/api/openapi.json``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from cibscan import __version__, browse
from cibscan.browse.common import DEFAULT_LIMIT, MAX_LIMIT
from cibscan.export.base import export, get_exporter
from cibscan.serve import reads
from cibscan.serve.app import Workbench
from cibscan.serve.base import EXPORT_MEDIA, FastJSON
from cibscan.serve.pagestore import Key, account_key, cluster_key
from cibscan.serve.render import PAGE_ROWS
from cibscan.store.labels import VERDICTS, label, list_labels

router = APIRouter(prefix="/api", tags=["api"])


def _limit() -> Any:
    # a new Query each time: FastAPI names a parameter's Query object after its first use
    return Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="rows per page")


def _offset() -> Any:
    return Query(0, ge=0, description="rows to skip")


def _bench(request: Request) -> Workbench:
    bench: Workbench = request.app.state.workbench
    return bench


@router.get("/health")
def health(request: Request) -> dict[str, str]:
    """Liveness: answers without a token; ``index`` says whether the browse index is
    ``building``, ``ready``, ``failed`` or ``off``, ``pages`` the same of the pages
    prepared ahead."""
    bench = _bench(request)
    return {
        "status": "ok",
        "version": __version__,
        "index": bench.index_state,
        "pages": bench.pages_state,
    }


@router.get("/case", response_class=FastJSON)
def case_summary(request: Request) -> Response:
    """The case: posts, accounts, platforms, formats, detect runs, labels, matches."""
    return Response(_bench(request).overview()[1], media_type="application/json")


@router.get("/clusters")
def clusters(
    request: Request,
    sort: str = Query("score", description=f"one of {', '.join(browse.CLUSTER_SORTS)}"),
    order: str = Query("desc", pattern="^(asc|desc)$"),
    platform: str | None = None,
    signal: str | None = Query(None, description="a signal among the cluster's ties"),
    tell: str | None = Query(None, description="a tell carried by a member"),
    flagged: bool | None = Query(None, description="clusters with flagged members, or none"),
    min_size: int | None = Query(None, ge=1),
    limit: int = _limit(),
    offset: int = _offset(),
) -> dict[str, Any]:
    """A page of the latest run's clusters, sorted and filtered."""
    page = reads.clusters(
        _bench(request),
        sort=sort,
        descending=order == "desc",
        platform=platform,
        signal=signal,
        tell=tell,
        flagged=flagged,
        min_size=min_size,
        limit=limit,
        offset=offset,
    )
    return page.as_dict()


def _prepared(bench: Workbench, key: Key) -> Response | None:
    """The answer prepared ahead with the pages (:mod:`cibscan.serve.pagestore`), with the
    current verdicts; None when there is none."""
    body = bench.pages.answer(key, bench.verdicts()) if bench.pages is not None else None
    return None if body is None else Response(body, media_type="application/json")


@router.get("/clusters/{cluster_id}", response_class=FastJSON)
def cluster(request: Request, cluster_id: int) -> Response:
    """One cluster: members, internal ties, tells, activity, evidence."""
    bench = _bench(request)
    prepared = _prepared(bench, cluster_key(cluster_id))
    if prepared is not None:
        return prepared
    detail = reads.cluster(bench, cluster_id)
    if detail is None:
        raise HTTPException(404, f"no cluster {cluster_id} in the latest detect run")
    return FastJSON(detail)  # written as it is: FastAPI's encoder is the slow part


@router.get("/accounts/{platform}/{account_id:path}", response_class=FastJSON)
def account(
    request: Request,
    platform: str,
    account_id: str,
    posts_limit: int = _limit(),
    posts_offset: int = _offset(),
    partner: str | None = Query(
        None, description="platform:account_id: only the evidence of the tie with it"
    ),
) -> Response:
    """One account: profile, names, scores, signals, tells, ties, evidence, posts."""
    bench = _bench(request)
    if posts_offset == 0 and posts_limit == PAGE_ROWS and partner is None:
        prepared = _prepared(bench, account_key(platform, account_id))
        if prepared is not None:
            return prepared
    detail = reads.account(
        bench,
        platform,
        account_id,
        posts_limit=posts_limit,
        posts_offset=posts_offset,
        partner=partner,
    )
    if detail is None:
        raise HTTPException(404, f"no account {platform}:{account_id} in the case")
    return FastJSON(detail)


@router.get("/search")
def search(
    request: Request,
    q: str = Query(..., min_length=1, max_length=500, description="what to look for"),
    kind: str = Query("handle", description=f"one of {', '.join(browse.SEARCH_KINDS)}"),
    limit: int = _limit(),
    offset: int = _offset(),
) -> dict[str, Any]:
    """Accounts by handle or name, or posts by text, URL, domain or hashtag."""
    bench = _bench(request)
    with bench.case(findings=False) as case:
        return browse.search(case.engine, q, kind, limit=limit, offset=offset, index=bench.index)


@router.get("/matches")
def matches(
    request: Request,
    network: str | None = None,
    matched: bool | None = None,
    limit: int = _limit(),
    offset: int = _offset(),
) -> dict[str, Any]:
    """The case's matches against known networks (``cibscan match``)."""
    with _bench(request).case(findings=False) as case:
        try:
            page = browse.list_matches(
                case.engine, network=network, matched=matched, limit=limit, offset=offset
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    return page.as_dict()


@router.get("/hunt")
def hunt_hits(
    request: Request,
    match: str | None = Query(None, description="exact or pattern"),
    indicator_type: str | None = Query(None, description="handle, url, domain, text, ..."),
    limit: int = _limit(),
    offset: int = _offset(),
) -> dict[str, Any]:
    """The case's hits of published indicators (``cibscan hunt``)."""
    with _bench(request).case(findings=False) as case:
        try:
            page = browse.list_hunt_hits(
                case.engine,
                match=match,
                indicator_type=indicator_type,
                limit=limit,
                offset=offset,
            )
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    return page.as_dict()


@router.get("/labels")
def labels(
    request: Request,
    verdict: str | None = Query(None, description="confirmed or dismissed"),
    limit: int = _limit(),
    offset: int = _offset(),
) -> dict[str, Any]:
    """Each labelled account's current verdict, newest first."""
    with _bench(request).case(findings=False) as case:
        rows = list_labels(case.engine)  # one row per labelled account: small
    if verdict is not None:
        rows = [r for r in rows if r["verdict"] == verdict]
    return {
        "total": len(rows),
        "limit": limit,
        "offset": offset,
        "items": rows[offset : offset + limit],
    }


class LabelRequest(BaseModel):
    """A verdict on a cluster's members and/or accounts (``PLATFORM:ID`` or handle)."""

    verdict: str = Field(description=f"one of {', '.join(VERDICTS)}")
    cluster_id: int | None = None
    accounts: list[str] = Field(default_factory=list, max_length=1000)
    note: str | None = Field(None, max_length=5000)
    analyst: str | None = Field(None, max_length=200)


def store_label(bench: Workbench, body: LabelRequest) -> dict[str, Any]:
    """Store a verdict (the API's and the label form's one path to the labels table)."""
    if not bench.write:
        raise HTTPException(403, "the workbench is read-only: restart 'cibscan serve' with --write")
    with bench.writing() as case:
        result = label(
            case.engine,
            body.verdict,
            cluster_id=body.cluster_id,
            accounts=body.accounts,
            note=body.note,
            analyst=body.analyst,
        )
    return {
        "label_id": result.label_id,
        "verdict": result.verdict,
        "accounts": result.accounts,
        "cluster_id": result.cluster_id,
        "detect_run_id": result.detect_run_id,
    }


@router.post("/labels", status_code=201)
def add_label(request: Request, body: LabelRequest) -> dict[str, Any]:
    """Confirm or dismiss a cluster or accounts, with a note (needs ``--write``)."""
    return store_label(_bench(request), body)


@router.get("/exports/{file_format}", response_class=FileResponse)
def export_file(
    request: Request,
    file_format: str,
    table: str | None = Query(None, description="accounts, edges, clusters or evidence"),
    tlp: str | None = Query(None, description="STIX only: the TLP marking"),
) -> FileResponse:
    """The findings in one export format, as ``cibscan export`` writes them."""
    if file_format not in EXPORT_MEDIA:
        raise HTTPException(
            404, f"unknown format {file_format!r}; known: {', '.join(EXPORT_MEDIA)}"
        )
    exporter = get_exporter(file_format)
    options = {"tlp": tlp} if tlp is not None else {}
    folder = Path(tempfile.mkdtemp(prefix="cibscan-export-"))
    name = f"{table or 'network'}{exporter.suffix}"
    target = folder / name
    try:
        with _bench(request).case() as case:
            export(case, file_format, target, table, **options)
    except BaseException:
        _remove(folder)
        raise
    return FileResponse(
        target,
        media_type=EXPORT_MEDIA[file_format],
        filename=name,
        background=BackgroundTask(_remove, folder),
    )


def _remove(folder: Path) -> None:
    for f in folder.iterdir():
        f.unlink()
    folder.rmdir()
