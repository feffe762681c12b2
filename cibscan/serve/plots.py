"""The workbench's plots: the report's matplotlib plots, served as SVG images.

They are ``<img>`` sources rather than inline ``<svg>``: matplotlib's SVG carries inline
styles, which the workbench's Content-Security-Policy (``style-src 'self'``) refuses in a
page but not in an image, and an image cannot run anything. Each is drawn by the report's
:class:`~cibscan.report.plots.Plotter` from the same library reads as the pages, so a plot
looks the same in the report and here. Matplotlib's settings are process-wide, so plots are
drawn one at a time (a lock) on the server's worker threads.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from cibscan.report.plots import Plotter, plot_style
from cibscan.serve import reads
from cibscan.serve.app import Workbench

router = APIRouter(include_in_schema=False)

_DRAWING = threading.Lock()
_EMPTY = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="24" role="img" '
    'aria-label="no data"><text x="4" y="16" font-size="13">no data</text></svg>'
)


def _svg(markup: str | None) -> Response:
    body = markup or _EMPTY
    if 'xmlns="http://www.w3.org/2000/svg"' not in body[:400]:
        body = body.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(body, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


def _daily(rows: list[dict[str, Any]], salt: str) -> Response:
    points: list[tuple[date, int]] = [(r["day"], int(r["n"])) for r in rows]
    with _DRAWING, plot_style():
        drawn = Plotter().daily_bars(points, "posts per day", salt)
    return _svg(drawn[0] if drawn else None)


def _bench(request: Request) -> Workbench:
    bench: Workbench = request.app.state.workbench
    return bench


@router.get("/plots/overview/daily.svg")
def overview_daily(request: Request) -> Response:
    return _daily(reads.overview(_bench(request))["activity"], "overview")


@router.get("/plots/clusters/{cluster_id}/daily.svg")
def cluster_daily(request: Request, cluster_id: int) -> Response:
    detail = reads.cluster(_bench(request), cluster_id)
    if detail is None:
        raise HTTPException(404, f"no cluster {cluster_id}")
    return _daily(detail["activity"], f"c{cluster_id}d")


@router.get("/plots/clusters/{cluster_id}/weekly.svg")
def cluster_weekly(request: Request, cluster_id: int) -> Response:
    detail = reads.cluster(_bench(request), cluster_id)
    if detail is None:
        raise HTTPException(404, f"no cluster {cluster_id}")
    with _DRAWING, plot_style():
        title = "posts by weekday and hour (UTC)"
        drawn = Plotter().heat_map(detail["weekly"], title, f"c{cluster_id}w")
    return _svg(drawn)


@router.get("/plots/accounts/{platform}/{account_id:path}")
def account_daily(request: Request, platform: str, account_id: str) -> Response:
    detail = reads.account(
        _bench(request), platform, account_id, posts_limit=1, posts_offset=0, partner=None
    )
    if detail is None:
        raise HTTPException(404, f"no account {platform}:{account_id}")
    return _daily(detail["activity"], "account")
