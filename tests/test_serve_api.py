"""The workbench's JSON API against a real case, over real HTTP (uvicorn on a loopback port).

Known answers come from the scene of tests/workbench.py: 25 flagged accounts in 6
clusters (the retweet ring, 6 accounts, and its seed linked to it; the copypasta personas,
5; the shift workers, 5; the hostile ring, 4; the cross-platform pair, 2; the javascript:
pair, 2).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from cibscan.serve import ServeOptions, build_app
from cibscan.serve.auth import host_name, redact
from cibscan.store import open_case
from cibscan.store.labels import list_labels
from tests.conftest import ROOT
from tests.workbench import ODD_ID, TOKEN, build_case, get_json, http, running


@pytest.fixture(scope="module")
def case_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_case(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="module")
def base(case_path: Path) -> Iterator[str]:
    """The workbench with --write, on the case above, its pages and answers prepared (a
    cluster's or account's JSON then comes from the page store, its verdicts live)."""
    app = build_app(ServeOptions(case_path, token=TOKEN, write=True))
    assert app.state.workbench.wait_for_index(120) and app.state.workbench.pages is not None
    with running(app) as url:
        yield url


def _cluster_of(base: str, account_id: str) -> dict[str, Any]:
    found = get_json(f"{base}/api/accounts/twitter/{account_id}")
    return dict(get_json(f"{base}/api/clusters/{found['score']['cluster_id']}"))


def test_health_needs_no_token_and_everything_else_does(base: str) -> None:
    assert get_json(f"{base}/api/health", token=None)["status"] == "ok"
    for path in ("/api/case", "/api/clusters", "/api/openapi.json", "/api/labels", "/"):
        status, headers, _ = http(base + path, token=None)
        assert status == 401, path
        status, _, _ = http(base + path, token="wrong-token-0123456789")
        assert status == 401, path
    status, headers, _ = http(f"{base}/api/case", token=None)
    assert headers["www-authenticate"] == "Bearer"


def test_the_token_in_a_link_becomes_a_strict_http_only_cookie(base: str) -> None:
    status, headers, _ = http(f"{base}/clusters?sort=size&token={TOKEN}", token=None)
    assert status == 303
    assert headers["location"] == "/clusters?sort=size"  # the token leaves the address bar
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"cibscan_token={TOKEN};")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    status, _, page = http(f"{base}/clusters", token=None, headers={"Cookie": cookie.split(";")[0]})
    assert status == 200 and b"<h1>Clusters</h1>" in page
    # the redirect stays on this site whatever the path
    status, headers, _ = http(f"{base}//evil.example/x?token={TOKEN}", token=None)
    assert status == 303 and headers["location"] == "/evil.example/x"
    # a wrong token in the link sets nothing
    status, headers, _ = http(f"{base}/?token=nope-nope-nope-nope", token=None)
    assert status == 401 and "set-cookie" not in headers


def test_only_loopback_names_are_answered(base: str) -> None:
    """A page of evil.example whose name points at 127.0.0.1 (DNS rebinding) is refused."""
    status, _, _ = http(f"{base}/api/case", headers={"Host": "evil.example"})
    assert status == 400
    port = base.rsplit(":", 1)[1]
    for name in (f"localhost:{port}", f"127.0.0.1:{port}", "localhost"):
        assert http(f"{base}/api/case", headers={"Host": name})[0] == 200, name
    assert host_name("[::1]:8000") == "::1" and host_name("example.org:80") == "example.org"


def test_every_response_carries_the_security_headers(base: str) -> None:
    for path in ("/", "/api/case", "/api/health"):
        _, headers, _ = http(base + path)
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_case_summary(base: str) -> None:
    case = get_json(f"{base}/api/case")
    assert case["has_findings"] and case["writable"] and case["has_matches"] and case["has_hunt"]
    assert case["runs"][0]["n_clusters"] == 6 and case["runs"][0]["n_flagged"] == 25
    assert {p["platform"] for p in case["info"]["by_platform"]} == {"twitter", "reddit", "mastodon"}


def test_clusters_are_paged_sorted_and_filtered(base: str) -> None:
    page = get_json(f"{base}/api/clusters?sort=size&limit=2")
    assert page["total"] == 6 and page["limit"] == 2 and len(page["items"]) == 2
    assert [c["size"] for c in page["items"]] == [6, 5]  # the ring first
    rest = get_json(f"{base}/api/clusters?sort=size&limit=2&offset=4")["items"]
    assert [c["size"] for c in rest] == [2, 2]
    ascending = get_json(f"{base}/api/clusters?sort=size&order=asc")["items"]
    assert [c["size"] for c in ascending] == [2, 2, 4, 5, 5, 6]
    # only the cross-platform pair has a Reddit member
    (reddit,) = get_json(f"{base}/api/clusters?platform=reddit")["items"]
    assert reddit["size"] == 2 and "reddit" in reddit["platforms"]
    assert get_json(f"{base}/api/clusters?flagged=false")["total"] == 0
    assert get_json(f"{base}/api/clusters?min_size=5")["total"] == 3
    assert get_json(f"{base}/api/clusters?signal=no_such_signal")["total"] == 0
    status, _, body = http(f"{base}/api/clusters?sort=nonsense")
    assert status == 400 and b"unknown sort" in body
    assert http(f"{base}/api/clusters?limit=5000")[0] == 422


def test_cluster_detail_holds_members_ties_tells_and_evidence(base: str) -> None:
    ring = _cluster_of(base, "ring_0")
    members = {m["account_id"] for m in ring["members"]}
    assert members == {f"ring_{k}" for k in range(6)} | {"ring_seed"}
    # the seed is in no tie of the ring's network (size 6) but flagged through its link to
    # the ring, so it is listed with the members, as in the report and `cibscan label`
    assert ring["cluster"]["size"] == 6
    # every internal tie joins two members, named platform:account_id
    assert ring["edges"] and all(
        {e["source"], e["target"]} <= {f"twitter:{m}" for m in members} for e in ring["edges"]
    )
    assert ring["n_evidence"] >= len(ring["evidence"]) > 0
    assert sum(d["n"] for d in ring["activity"]) == sum(sum(r) for r in ring["weekly"])
    assert http(f"{base}/api/clusters/999")[0] == 404


def test_account_detail(base: str) -> None:
    acct = get_json(f"{base}/api/accounts/twitter/persona_0?posts_limit=2")
    assert acct["profile"]["handle"] == "persona_0"
    assert acct["score"]["flagged"] is True and acct["score"]["reasons"]
    assert acct["n_ties"] == 4  # the four other personas
    assert {t["account_id"] for t in acct["ties"]} == {f"persona_{k}" for k in range(1, 5)}
    assert acct["posts"]["limit"] == 2 and len(acct["posts"]["items"]) == 2
    assert acct["posts"]["total"] == sum(d["n"] for d in acct["activity"])
    assert all(
        "twitter:persona_0"
        in (f"{e['platform_a']}:{e['account_id_a']}", f"{e['platform_b']}:{e['account_id_b']}")
        for e in acct["evidence"]
    )
    # the evidence of one tie: only items shared with that partner
    tie = get_json(f"{base}/api/accounts/twitter/persona_0?partner=twitter:persona_3")
    assert tie["partner"] == "twitter:persona_3" and 0 < tie["n_evidence"] < acct["n_evidence"]
    assert all(
        {e["account_id_a"], e["account_id_b"]} == {"persona_0", "persona_3"}
        for e in tie["evidence"]
    )
    assert http(f"{base}/api/accounts/twitter/persona_0?partner=twitter:nobody")[0] == 400
    # an organic account: a profile and posts, no ties
    person = get_json(f"{base}/api/accounts/twitter/person_0")
    assert person["score"]["flagged"] is False and person["n_ties"] == 0
    assert http(f"{base}/api/accounts/twitter/nobody")[0] == 404
    # an id with a slash, a query and a fragment, quoted in the path, reaches its account
    odd = get_json(f"{base}/api/accounts/mastodon/{quote(ODD_ID, safe='')}")
    assert odd["profile"]["account_id"] == ODD_ID and odd["posts"]["total"] == 1
    status, _, page = http(f"{base}/accounts/mastodon/{quote(ODD_ID, safe='')}")
    assert status == 200 and b"masto.example/users/odd?x=1#f" in page


def test_search_by_handle_text_url_domain_hashtag(base: str) -> None:
    found = get_json(f"{base}/api/search?q=@PERSONA_&kind=handle")
    assert found["total"] == 5  # case-insensitive, the @ ignored
    hostile = get_json(f"{base}/api/search?q=<script>document.title&kind=text")
    assert hostile["total"] == 4 and all(p["flagged"] for p in hostile["items"])
    links = get_json(f"{base}/api/search?q=javascript:&kind=url")
    assert links["total"] == 6
    # % is a literal, not a wildcard
    assert get_json(f"{base}/api/search?q=%25%25%25&kind=text")["total"] == 0
    assert http(f"{base}/api/search?q=x&kind=nope")[0] == 400
    assert http(f"{base}/api/search?kind=text")[0] == 422


def test_exports_are_the_cli_exports(base: str) -> None:
    status, headers, body = http(f"{base}/api/exports/csv?table=clusters")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == 6
    status, _, body = http(f"{base}/api/exports/stix?tlp=green")
    assert status == 200 and json.loads(body)["type"] == "bundle"
    assert http(f"{base}/api/exports/csv")[0] == 400  # a tabular format needs a table
    assert http(f"{base}/api/exports/exe")[0] == 404


def test_matches_and_hunt_hits(base: str, tmp_path: Path) -> None:
    """The library holds the five personas, so exactly they match it; the indicators name
    persona_0's handle (one hit) and the hostile ring's domain (its four accounts)."""
    matched = get_json(f"{base}/api/matches?matched=true")
    assert sorted(m["account_id"] for m in matched["items"]) == [f"persona_{k}" for k in range(5)]
    assert {m["network"] for m in matched["items"]} == {"personas"}
    hits = get_json(f"{base}/api/hunt")
    assert hits["total"] == 5
    (handle,) = get_json(f"{base}/api/hunt?indicator_type=handle")["items"]
    assert handle["account_id"] == "persona_0" and handle["match"] == "exact"
    domain = get_json(f"{base}/api/hunt?indicator_type=domain")["items"]
    assert sorted(h["account_id"] for h in domain) == [f"hostile_{k}" for k in range(4)]
    # a case never matched nor hunted says so
    bare = tmp_path / "bare.duckdb"
    with open_case(bare):
        pass
    with running(build_app(ServeOptions(bare, token=TOKEN))) as other:
        assert http(f"{other}/api/matches")[0] == 404
        assert http(f"{other}/api/hunt")[0] == 404
        status, _, body = http(f"{other}/api/clusters")
        assert status == 409 and b"no findings" in body
        assert get_json(f"{other}/api/case")["has_findings"] is False


def test_concurrent_requests_are_all_answered_alike(base: str) -> None:
    """200 requests from 50 threads over four endpoints: every one answered, and each
    endpoint's answers identical (each server thread reads through its own cursor)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [
        "/api/clusters?sort=size",
        "/api/accounts/twitter/persona_0",
        "/api/search?q=truth&kind=text",
        "/api/labels",
    ]
    urls = [base + paths[k % 4] for k in range(200)]
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(http, urls))
    assert [status for status, _, _ in answers] == [200] * 200
    for path in paths:
        bodies = {
            body for url, (_, _, body) in zip(urls, answers, strict=True) if url.endswith(path)
        }
        assert len(bodies) == 1, path


def test_openapi_lists_the_endpoints(base: str) -> None:
    spec = get_json(f"{base}/api/openapi.json")
    for path in (
        "/api/case",
        "/api/clusters",
        "/api/clusters/{cluster_id}",
        "/api/search",
        "/api/labels",
        "/api/exports/{file_format}",
        "/api/matches",
    ):
        assert path in spec["paths"], path
    assert "post" in spec["paths"]["/api/labels"]


def test_a_label_posted_is_in_the_case_as_cibscan_label_stores_it(base: str) -> None:
    shift = _cluster_of(base, "shift_0")
    cid = shift["cluster"]["cluster_id"]
    status, _, body = http(
        f"{base}/api/labels",
        method="POST",
        body={"verdict": "confirmed", "cluster_id": cid, "note": "shift <b>workers</b>"},
    )
    assert status == 201, body
    assert json.loads(body)["accounts"] == 5
    labels = {(r["account_id"], r["verdict"]) for r in get_json(f"{base}/api/labels")["items"]}
    assert {(f"shift_{k}", "confirmed") for k in range(5)} <= labels
    confirmed = get_json(f"{base}/api/labels?verdict=confirmed&limit=2")
    assert confirmed["total"] >= 5 and len(confirmed["items"]) == 2
    status, _, _ = http(
        f"{base}/api/labels",
        method="POST",
        body={"verdict": "dismissed", "accounts": ["twitter:person_3"]},
    )
    assert status == 201
    assert (
        http(f"{base}/api/labels", method="POST", body={"verdict": "maybe", "cluster_id": cid})[0]
        == 400
    )
    assert http(f"{base}/api/labels", method="POST", body={"verdict": "confirmed"})[0] == 400
    # a page of another site cannot post a label with the analyst's browser
    status, _, _ = http(
        f"{base}/api/labels",
        method="POST",
        body={"verdict": "dismissed", "cluster_id": cid},
        headers={"Origin": "http://evil.example"},
    )
    assert status == 403
    status, _, _ = http(
        f"{base}/api/labels",
        method="POST",
        body={"verdict": "dismissed", "cluster_id": cid},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert status == 403
    assert get_json(f"{base}/api/clusters/{cid}")["members"][0]["verdict"] == "confirmed"


def test_cli_serve_is_read_only_and_keeps_the_token_out_of_its_log(
    case_path: Path, tmp_path: Path
) -> None:
    """The real command in a subprocess, on a copy of the case (the module's server holds
    the original for writing): it prints the link once, refuses labels without --write,
    and its access log shows ``token=***``."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(case_path, copy)
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cibscan.cli",
            "serve",
            "--case",
            str(copy),
            "--port",
            str(port),
            "--token",
            TOKEN,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _up(base):
            assert proc.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.1)
        assert http(f"{base}/?token={TOKEN}", token=None)[0] == 303
        status, _, body = http(
            f"{base}/api/labels", method="POST", body={"verdict": "confirmed", "cluster_id": 1}
        )
        assert status == 403 and b"--write" in body
        assert get_json(f"{base}/api/case")["writable"] is False
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=20)
    printed, _, log = output.partition("Started server process")
    assert f"?token={TOKEN}" in printed  # the link, printed once for the analyst
    assert '"GET /?token=*** HTTP/1.1" 303' in log
    assert TOKEN not in log
    with open_case(copy, create=False, read_only=True) as case:
        assert list_labels(case.engine) == []


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _up(base: str) -> bool:
    try:
        return http(f"{base}/api/health", token=None)[0] == 200
    except OSError:  # not listening yet
        return False


def test_redact_hides_tokens_in_log_lines() -> None:
    assert redact('"GET /clusters?sort=size&token=abc HTTP/1.1"') == (
        '"GET /clusters?sort=size&token=*** HTTP/1.1"'
    )


def test_no_auth_is_refused_off_loopback(case_path: Path) -> None:
    with pytest.raises(ValueError, match="--no-auth is refused"):
        build_app(ServeOptions(case_path, host="0.0.0.0", token=None))
    with pytest.raises(ValueError, match="at least 16"):
        build_app(ServeOptions(case_path, token="short"))


def test_the_vendored_cytoscape_is_the_one_its_readme_names() -> None:
    """The minified file shipped is npm's cytoscape 3.34.4 byte for byte (the README beside
    it gives the checksum and how it was obtained), with its licence."""
    import hashlib

    vendor = ROOT / "cibscan" / "serve" / "static" / "vendor"
    digest = hashlib.sha256((vendor / "cytoscape.min.js").read_bytes()).hexdigest()
    assert digest in (vendor / "README.md").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in (vendor / "cytoscape.LICENSE").read_text()


def test_answers_are_remembered_until_a_label_is_written(case_path: Path, tmp_path: Path) -> None:
    """Ten threads asking the same question at once cost one computation; a label write
    forgets every answer, so the next read sees the new verdict."""
    import threading

    from cibscan.serve.app import Workbench

    copy = tmp_path / "copy.duckdb"
    shutil.copy(case_path, copy)
    bench = Workbench(copy, write=True)
    calls: list[int] = []
    gate = threading.Event()

    def slow_count(case: Any) -> int:
        calls.append(1)
        gate.wait(5)
        return int(case.engine.fetchall("SELECT count(*) FROM labels")[0][0])

    try:
        threads = [
            threading.Thread(target=bench.read, args=("n", slow_count), kwargs={"findings": False})
            for _ in range(10)
        ]
        for t in threads:
            t.start()
        time.sleep(0.3)
        gate.set()
        for t in threads:
            t.join(10)
        assert len(calls) == 1 and bench.read("n", slow_count) == 0 and len(calls) == 1
        with bench.writing() as case:
            case.engine.execute(
                "INSERT INTO labels VALUES (1, 'twitter', 'person_0', 'dismissed', NULL, 1, "
                "NULL, 'test', now())"
            )
        assert bench.read("n", slow_count) == 1 and len(calls) == 2
    finally:
        bench.close()


def test_serve_fails_before_printing_a_link(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cibscan.cli import main

    result = CliRunner().invoke(main, ["serve", "--case", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "no such case" in result.output
    assert "token=" not in result.output
    result = CliRunner().invoke(
        main, ["serve", "--case", str(tmp_path / "none.duckdb"), "--no-auth", "--token", "x" * 20]
    )
    assert result.exit_code == 2 and "not both" in result.output


def test_plots_are_svg_images_behind_the_token(base: str) -> None:
    """The pages' plots (the report's matplotlib plots) are SVG images of their own: an
    image may carry matplotlib's inline styles that the page's CSP refuses. They need the
    token like everything else; an unknown cluster is 404; an account id with a slash, a
    query and a fragment reaches its plot."""
    ring = _cluster_of(base, "ring_0")["cluster"]["cluster_id"]
    paths = [
        "/plots/overview/daily.svg",
        f"/plots/clusters/{ring}/daily.svg",
        f"/plots/clusters/{ring}/weekly.svg",
        "/plots/accounts/twitter/persona_0",
        f"/plots/accounts/mastodon/{quote(ODD_ID, safe='')}",
    ]
    for path in paths:
        status, headers, body = http(base + path)
        assert status == 200, path
        assert headers["content-type"].startswith("image/svg+xml"), path
        assert b'xmlns="http://www.w3.org/2000/svg"' in body[:600] and b"<path" in body, path
        assert http(base + path, token=None)[0] == 401, path
    assert http(f"{base}/plots/clusters/999999/daily.svg")[0] == 404


def test_cluster_and_account_json_are_the_bytes_fastapi_would_write(
    case_path: Path, tmp_path: Path
) -> None:
    """The cluster and account routes write their answer with orjson directly (FastAPI's
    encoder is slow): for every cluster and account of the case, and for values orjson
    cannot write itself, the bytes are those of FastAPI's encoder then orjson."""
    from datetime import timedelta
    from decimal import Decimal

    from fastapi.encoders import jsonable_encoder

    from cibscan import browse
    from cibscan.serve.base import FastJSON

    def both(content: Any) -> tuple[bytes, bytes]:
        encoded = orjson.dumps(jsonable_encoder(content), option=orjson.OPT_NON_STR_KEYS)
        return FastJSON(None).render(content), encoded

    copy = tmp_path / "copy.duckdb"  # the module's server holds the case
    shutil.copy(case_path, copy)
    with open_case(copy, create=False, read_only=True) as case:
        engine = case.engine
        clusters = engine.fetchall("SELECT cluster_id FROM clusters")
        details = [browse.cluster_detail(engine, int(c)) for (c,) in clusters]
        details += [
            browse.account_detail(engine, str(p), str(a))
            for p, a in engine.fetchall("SELECT platform, account_id FROM accounts")
        ]
    assert len(details) > 60
    for detail in details:
        direct, encoded = both(detail)
        assert direct == encoded
    direct, encoded = both({"d": Decimal("2.50"), "i": Decimal("3"), "t": timedelta(seconds=90)})
    assert direct == encoded == b'{"d":2.5,"i":3,"t":90.0}'


def test_the_case_summary_is_kept_until_a_label_is_written(
    case_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no memory of answers at all, the summary is still computed once (ten threads
    asking at once included), and again after a label is written, which it then counts;
    its JSON is the bytes FastAPI's encoder would write."""
    import threading

    from fastapi.encoders import jsonable_encoder

    from cibscan import browse
    from cibscan.serve.app import Workbench

    copy = tmp_path / "copy.duckdb"
    shutil.copy(case_path, copy)
    calls: list[int] = []
    computed = browse.case_overview

    def counted(case: Any) -> dict[str, Any]:
        calls.append(1)
        time.sleep(0.2)
        return computed(case)

    monkeypatch.setattr(browse, "case_overview", counted)
    bench = Workbench(copy, write=True, cache_entries=0, browse_index=False)
    try:
        threads = [threading.Thread(target=bench.overview) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        summary, body = bench.overview()
        before = summary["labelled_accounts"]  # the module's server may have labelled some
        assert len(calls) == 1
        expected = {**summary, "writable": True}
        assert body == orjson.dumps(jsonable_encoder(expected), option=orjson.OPT_NON_STR_KEYS)
        with bench.writing() as case:
            case.engine.execute(
                "INSERT INTO labels SELECT coalesce(max(label_id), 0) + 1, 'twitter', "
                "'summary_test', 'dismissed', NULL, 1, NULL, 'test', now() FROM labels"
            )
        for _ in range(2):
            assert bench.overview()[0]["labelled_accounts"] == before + 1 and len(calls) == 2
    finally:
        bench.close()
