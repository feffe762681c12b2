"""Load on the workbench: requests per second and latency percentiles per endpoint.

Starts ``cibscan serve`` on a case (its own process, on 127.0.0.1 only), then sends
``--requests`` requests per endpoint from ``--clients`` concurrent clients (threads with
urllib) and prints, per endpoint, the answered count, requests per second, p50 and p95
latency. Bounded: at most 2,000 requests per endpoint and 200 clients, loopback only.

    .venv/bin/python benchmarks/serve_load.py --case out/demo/case.duckdb --clients 50

The endpoints: the case summary, the clusters list, the best cluster's page and API and the
best flagged account's page and API, each asked ``--requests`` times (the workbench
remembers recent answers, so repeats are cheap), searches (``the``, a word and a phrase of
one of that account's posts, a domain it linked), and rows whose requests
each ask for another cluster (cycling through all of them) or another flagged account
(every request a new one): what an analyst clicking through the case costs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

TOKEN = "bench-token-0123456789abcdef"
MAX_REQUESTS = 2000
MAX_CLIENTS = 200


def _get(url: str) -> tuple[int, float]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def _text(url: str) -> str:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=300) as response:
        return str(response.read().decode("utf-8"))


def _json(url: str) -> Any:
    return json.loads(_text(url))


def _account_path(platform: str, account_id: str) -> str:
    return f"{quote(platform, safe='')}/{quote(account_id, safe='')}"


def _building(base: str) -> bool:
    """Whether the browse index or the pages prepared ahead are still being built."""
    try:
        health = json.loads(urllib.request.urlopen(f"{base}/api/health").read())
    except (OSError, ValueError):
        return True
    return "building" in (health.get("index"), health.get("pages"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, type=Path)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=200, help="per endpoint")
    parser.add_argument(
        "--no-index", action="store_true", help="serve without the browse index (to compare)"
    )
    parser.add_argument(
        "--no-prepared-pages",
        action="store_true",
        help="serve without the pages prepared ahead (to compare)",
    )
    parser.add_argument(
        "--only", default="", help="measure only the endpoints whose name holds this text"
    )
    parser.add_argument(
        "--cache-entries",
        type=int,
        default=128,
        help="the workbench's memory of answers (0: every request computed)",
    )
    args = parser.parse_args()
    clients = min(args.clients, MAX_CLIENTS)
    count = min(args.requests, MAX_REQUESTS)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, CIBSCAN_SERVE_TOKEN=TOKEN)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cibscan.cli",
            "serve",
            "--case",
            str(args.case),
            "--port",
            str(port),
            "--cache-entries",
            str(args.cache_entries),
            *(["--no-index"] if args.no_index else []),
            *(["--no-prepared-pages"] if args.no_prepared_pages else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 300
        # up, the browse index built and the pages prepared (or off): the figures are theirs
        while _get(f"{base}/api/health")[0] != 200 or _building(base):
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("cibscan serve did not start")
            time.sleep(0.2)
        ranked = _json(f"{base}/api/clusters?limit=1000")["items"]
        top = ranked[0]["cluster_id"]
        accounts = list(
            csv.DictReader(io.StringIO(_text(f"{base}/api/exports/csv?table=accounts")))
        )
        flagged = [r for r in accounts if r["flagged"] == "true"]
        # ordinary accounts, spread over the whole list (heavy posters and light ones)
        organic = [r for r in accounts if r["flagged"] != "true"]
        organic = organic[:: max(1, len(organic) // count)][:count]
        first = flagged[0]
        account = _account_path(first["platform"], first["account_id"])
        # each request of a "distinct" row asks for another cluster or account, so the
        # workbench's memory of recent answers cannot help (clusters repeat past the last)
        distinct_clusters = [
            f"/clusters/{ranked[k % len(ranked)]['cluster_id']}" for k in range(count)
        ]
        distinct_accounts = [
            f"/accounts/{_account_path(r['platform'], r['account_id'])}"
            for r in flagged[1 : count + 1]
        ]
        endpoints: list[tuple[str, list[str]]] = [
            (path, [path] * count)
            for path in (
                "/api/case",
                "/api/clusters?sort=size",
                f"/api/clusters/{top}",
                f"/clusters/{top}",
                f"/api/accounts/{account}",
                f"/accounts/{account}",
                "/api/search?q=the&kind=text",
            )
        ]
        # searches for what the case holds: a word and a phrase of a post, a domain linked
        sample = _json(f"{base}/api/accounts/{account}")["posts"]["items"]
        words = next((p["text"].split() for p in sample if len((p["text"] or "").split()) > 1), [])
        domain = next((d for p in sample for d in p["domains"] or []), "example.com")
        for q, kind in ((words[:1], "text"), (words[:2], "text"), ([domain], "domain")):
            if q:
                path = f"/api/search?q={quote(' '.join(q))}&kind={kind}"
                endpoints.append((path, [path] * count))
        endpoints.append((f"/clusters/ ({len(ranked)} distinct, cycled)", distinct_clusters))
        endpoints.append((f"/accounts/ ({len(distinct_accounts)} distinct)", distinct_accounts))
        endpoints.append(
            (
                f"/accounts/ ({len(organic)} distinct unflagged)",
                [f"/accounts/{_account_path(r['platform'], r['account_id'])}" for r in organic],
            )
        )
        print(
            f"{args.case}: {clients} clients, {count} requests per endpoint; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        print(f"{'endpoint':44} {'ok':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
        for name, paths in [e for e in endpoints if args.only in e[0]]:
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                results = list(pool.map(_get, [base + p for p in paths]))
            elapsed = time.perf_counter() - start
            ok = [t for s, t in results if s == 200]
            print(
                f"{name[:44]:44} {len(ok):>6} {len(paths) / elapsed:>8.1f} "
                f"{1000 * statistics.median(ok) if ok else 0:>8.0f} "
                f"{1000 * _percentile(ok, 0.95) if ok else 0:>8.0f}"
                f"   load {os.getloadavg()[0]:.1f}"
            )
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
