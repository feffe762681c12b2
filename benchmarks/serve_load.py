"""Load on the workbench: requests per second and latency percentiles per endpoint.

Starts ``cibscan serve`` on a case (its own process, on 127.0.0.1 only), then sends
``--requests`` requests per endpoint from ``--clients`` concurrent clients (threads with
urllib) and prints, per endpoint, the answered count, requests per second, p50 and p95
latency. Bounded: at most 2,000 requests per endpoint and 200 clients, loopback only.

    .venv/bin/python benchmarks/serve_load.py --case out/demo/case.duckdb --clients 50

The endpoints are the overview's API calls plus the best cluster's page and API, and the
page and API of that cluster's best member.
"""

from __future__ import annotations

import argparse
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
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while _get(f"{base}/api/health")[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("cibscan serve did not start")
            time.sleep(0.2)
        top = json.loads(
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}/api/clusters?limit=1", headers={"Authorization": f"Bearer {TOKEN}"}
                )
            ).read()
        )["items"][0]["cluster_id"]
        detail = json.loads(
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}/api/clusters/{top}", headers={"Authorization": f"Bearer {TOKEN}"}
                )
            ).read()
        )
        member = detail["members"][0]
        account = f"{quote(member['platform'], safe='')}/{quote(member['account_id'], safe='')}"
        endpoints = [
            "/api/case",
            "/api/clusters?sort=size",
            f"/api/clusters/{top}",
            f"/clusters/{top}",
            f"/api/accounts/{account}",
            f"/accounts/{account}",
            "/api/search?q=the&kind=text",
        ]
        print(f"{args.case}: {clients} clients, {count} requests per endpoint")
        print(f"{'endpoint':44} {'ok':>6} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
        for path in endpoints:
            start = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                results = list(pool.map(_get, [base + path] * count))
            elapsed = time.perf_counter() - start
            ok = [t for s, t in results if s == 200]
            print(
                f"{path[:44]:44} {len(ok):>6} {count / elapsed:>8.1f} "
                f"{1000 * statistics.median(ok) if ok else 0:>8.0f} "
                f"{1000 * _percentile(ok, 0.95) if ok else 0:>8.0f}"
            )
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
