"""Benchmark of ``cibscan hunt``: indicators against a case of 10M posts by 1M accounts.

The case is built directly with DuckDB SQL (generate_series) in a real case file made by
``open_case``, not by ingesting files: this measures hunting, not ingest. Accounts have
handles (a tenth follow the FirstLast + 8 digits formula), 40% of posts carry a URL on one
of 50,000 sites (a fifth on a subdomain), every post has a text. The indicators (a plain list
file, read by ``read_indicators``) mix handles, account ids, URLs, domains and texts, about a
tenth of each present in the case.

No open-source peer hunts published indicators, so the yardstick printed beside cibscan's
time is what an analyst's script would do: read the case's columns into Arrow and test them
against the indicator values with ``pyarrow.compute.is_in`` (exact values only: no
subdomains, former handles, platform checks or formulas), timed in the same process.

    .venv/bin/python benchmarks/hunt.py --posts 10000000 --indicators 10000 --workdir /tmp/hb
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import time
from pathlib import Path

from cibscan.match.hunt import hunt
from cibscan.match.indicators import read_indicators
from cibscan.store import open_case

FIRST = ["Zoe", "Karen", "John", "Maria", "Liam", "Ava", "Noah", "Mia", "Ethan", "Sofia"]
LAST = ["Rich", "Garcia", "Smith", "Jones", "Brown", "Khan", "Silva", "Rossi", "Tanaka"]


def build_case(path: Path, posts: int, accounts: int) -> float:
    """The case file with ``posts`` posts by ``accounts`` accounts; returns seconds."""
    started = time.perf_counter()
    first = "['" + "','".join(FIRST) + "']"
    last = "['" + "','".join(LAST) + "']"
    with open_case(path) as case:
        e = case.engine
        e.execute(
            f"""INSERT INTO accounts (platform, account_id, handle, n_posts)
            SELECT 'twitter', 'u' || i,
                   CASE WHEN i % 10 = 0
                        THEN {first}[1 + i % {len(FIRST)}] || {last}[1 + (i // 7) % {len(LAST)}]
                             || lpad(CAST(i * 7919 % 100000000 AS VARCHAR), 8, '0')
                        ELSE 'user_' || i END,
                   {posts // accounts}
            FROM range({accounts}) AS t(i)"""
        )
        e.execute(
            f"""INSERT INTO posts (platform, post_id, account_id, created_at, kind, text,
                                   text_norm, urls, domains)
            SELECT 'twitter', 'p' || i, 'u' || (i * 48271 % {accounts}),
                   TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i % 8640000),
                   'post', 'Post number ' || (i % 3000000), 'post number ' || (i % 3000000),
                   CASE WHEN i % 5 < 2 THEN [CASE WHEN i % 25 < 2
                        THEN 'https://www.site' || (i % 50000) || '.com/p/' || (i % 1000003)
                        ELSE 'https://site' || (i % 50000) || '.com/p/' || (i % 1000003) END]
                        ELSE [] END,
                   CASE WHEN i % 5 < 2 THEN [CASE WHEN i % 25 < 2
                        THEN 'www.site' || (i % 50000) || '.com'
                        ELSE 'site' || (i % 50000) || '.com' END] ELSE [] END
            FROM range({posts}) AS t(i)"""
        )
    return time.perf_counter() - started


def write_indicators(path: Path, n: int, posts: int, accounts: int, seed: int = 1) -> None:
    """A plain indicator list: ~10% of each type present in the case."""
    rng = random.Random(seed)
    lines = ["# benchmark indicators"]
    for k in range(n):
        present = rng.random() < 0.1
        kind = k % 5
        if kind == 0:
            i = rng.randrange(accounts) if present else accounts + k
            lines.append(f"twitter[.]com/user_{i}" if i % 10 else f"twitter:u{i}")
        elif kind == 1:
            lines.append(f"twitter:u{rng.randrange(accounts) if present else accounts + k}")
        elif kind == 2:
            i = rng.randrange(posts) if present else posts + k
            lines.append(f"hxxps://site{i % 50000}[.]com/p/{i % 1000003}?utm_source=x")
        elif kind == 3:
            lines.append(f"site{rng.randrange(50000) if present else 90000 + k}[.]com")
        else:
            i = rng.randrange(3000000) if present else 5000000 + k
            lines.append(f'"Post number {i}"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def arrow_baseline(case_path: Path, values: dict[str, set[str]]) -> tuple[float, int]:
    """Exact hits by reading columns into Arrow and ``is_in``; (seconds, hits)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    started = time.perf_counter()
    hits = 0
    with open_case(case_path, create=False, read_only=True) as case:
        e = case.engine
        accounts = e.fetch_arrow("SELECT account_id, lower(handle) AS handle FROM accounts")
        posts = e.fetch_arrow("SELECT urls, domains, text_norm FROM posts")
    for column, kind in (
        (accounts["account_id"], "account_id"),
        (accounts["handle"], "handle"),
        (posts["text_norm"], "text"),
        (pc.list_flatten(posts["urls"]), "url"),
        (pc.list_flatten(posts["domains"]), "domain"),
    ):
        wanted = pa.array(sorted(values.get(kind, set())), pa.string())
        hits += int(pc.sum(pc.is_in(column, value_set=wanted)).as_py() or 0)
    return time.perf_counter() - started, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000_000)
    parser.add_argument("--accounts", type=int, default=None, help="default: posts / 10")
    parser.add_argument("--indicators", type=int, default=10_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-hunt-bench"))
    parser.add_argument("--keep", action="store_true", help="reuse a case already built")
    parser.add_argument("--no-patterns", action="store_true", help="exact matches only")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    accounts = args.accounts or max(args.posts // 10, 1)
    case_path = args.workdir / "case.duckdb"
    if not (args.keep and case_path.exists()):
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        built = build_case(case_path, args.posts, accounts)
        print(f"built case: {args.posts:,} posts, {accounts:,} accounts in {built:.1f} s")
    listed = args.workdir / "indicators.txt"
    write_indicators(listed, args.indicators, args.posts, accounts)
    started = time.perf_counter()
    indicator_set = read_indicators([listed])
    read_s = time.perf_counter() - started
    with open_case(case_path, create=False) as case:
        started = time.perf_counter()
        report = hunt(case, indicator_set, patterns=not args.no_patterns)
        hunt_s = time.perf_counter() - started
    d = report.as_dict()
    values: dict[str, set[str]] = {}
    for ind in indicator_set.indicators:
        values.setdefault(ind.type, set()).add(ind.value)
    base_s, base_hits = arrow_baseline(case_path, values)
    print(
        f"read {len(indicator_set.indicators):,} indicators in {read_s:.2f} s "
        f"({len(indicator_set.rejected)} rejected)"
    )
    print(
        f"hunt: {hunt_s:.1f} s, {d['hits']:,} hits on {d['accounts']:,} accounts; "
        f"by type {d['by_type']}; by match {d['by_match']}"
    )
    print(
        f"Arrow is_in baseline (exact values only): {base_s:.1f} s, {base_hits:,} matching "
        f"values; cibscan hunt / baseline: {hunt_s / base_s:.2f}"
    )


if __name__ == "__main__":
    main()
