"""Helpers of the workbench tests: a real case with known answers, and a real server.

The case is the full scene of tests/scenes.py (four campaigns on an organic background,
four organic hard negatives) plus the hostile-text ring and one account whose posts carry
``javascript:`` links: known answers are in tests/test_report.py (23 flagged accounts in 5
clusters; the ring's four accounts are one cluster).
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from cibscan.detect.pipeline import detect
from cibscan.ingest.pipeline import IngestOptions, ingest
from cibscan.match.hunt import hunt
from cibscan.match.indicators import read_indicators
from cibscan.match.library import add_network, network_members
from cibscan.match.scoring import match
from cibscan.store import open_case
from tests import scenes

TOKEN = "test-token-0123456789abcdef"
#: a post whose text and link would run script if rendered as markup or followed
JS_TEXT = 'click javascript:window.__pwned=1 <a href="javascript:window.__pwned=1">here</a>'
JS_URL = "javascript:window.__pwned=1"


def javascript_posts() -> list[scenes.Post]:
    """Two accounts post the same javascript: link seconds apart, three times."""
    return [
        scenes.post(
            f"js_{m}_{k}",
            f"jsuser_{m}",
            4 * scenes.DAY + k * 3600 + 3 * m,
            JS_TEXT,
            urls=[JS_URL],
            handle=f"js{m}",
        )
        for k in range(3)
        for m in range(2)
    ]


#: a Mastodon-like account id: a URL with a slash, a query and a fragment, to be quoted
ODD_ID = "https://masto.example/users/odd?x=1#f"


def odd_id_posts() -> list[scenes.Post]:
    """One post by an account whose id needs quoting in a path."""
    return [scenes.post("odd_1", ODD_ID, 5 * scenes.DAY, "hello", platform="mastodon")]


def build_case(folder: Path) -> Path:
    """The scene above, ingested and detected, closed: a case file ready to serve. It is
    also hunted (the indicators name persona_0's handle and the hostile ring's domain) and
    matched against a library holding the copypasta personas as the network ``personas``."""
    posts = scenes.full_scene() + scenes.hostile_ring() + javascript_posts() + odd_id_posts()
    source = scenes.write(folder / "scene.jsonl", posts)
    path = folder / "case.duckdb"
    indicators = folder / "indicators.txt"
    indicators.write_text("@persona_0\nevil.example\n", encoding="utf-8")
    with open_case(path) as case:
        ingest(case, [str(source)], IngestOptions(format="generic_jsonl"))
        detect(case)
        hunt(case, read_indicators([indicators]))
        members = network_members(case.engine, accounts=[f"twitter:persona_{k}" for k in range(5)])
        add_network(case.engine, folder / "known.duckdb", "personas", members)
        match(case.engine, folder / "known.duckdb")
    return path


@contextmanager
def running(app: Any, **config: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()


def http(
    url: str,
    *,
    token: str | None = TOKEN,
    method: str = "GET",
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A real HTTP request (urllib, no redirects followed): status, headers (names in
    lower case), body."""
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, _lower(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, _lower(exc.headers.items()), exc.read()


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers}


def get_json(url: str, **kwargs: Any) -> Any:
    status, _, body = http(url, **kwargs)
    assert status == 200, (url, status, body[:300])
    return json.loads(body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
