"""Ingest throughput and peak memory on generated IO-archive CSV and X API v2 JSONL.

Usage:
    python benchmarks/ingest.py --posts 5000000 --workdir /tmp/cibscan-bench

Generates the two inputs once (vectorised with NumPy/pyarrow, cached in --workdir), then runs
``cibscan ingest`` on each in a fresh child process and reports posts per second (wall clock,
whole command including start-up, reading, normalisation and the merge into the case) and the
child's peak resident memory (ru_maxrss). Targets on 2 cores: >= 300k posts/s for CSV,
>= 100k posts/s for JSONL, peak memory under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from cibscan.ingest.twitter_io import IO_TWEET_COLUMNS

log = logging.getLogger("bench")

IO_COLUMNS = list(IO_TWEET_COLUMNS)
WORDS = np.array(
    [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "that",
        "for",
        "it",
        "as",
        "was",
        "with",
        "be",
        "by",
        "on",
        "not",
        "he",
        "this",
        "are",
        "or",
        "his",
        "from",
        "at",
        "which",
        "but",
        "have",
        "an",
        "they",
        "you",
        "were",
        "their",
        "one",
        "all",
        "we",
        "can",
        "her",
        "has",
        "there",
        "been",
        "if",
        "more",
        "when",
        "will",
        "would",
        "who",
        "so",
        "no",
        "中国",
        "香港",
        "新疆",
        "民主",
        "美国",
        "真相",
        "Россия",
        "правда",
    ]
)
CHUNK = 500_000


def _texts(rng: np.random.Generator, n: int) -> np.ndarray:
    picks = WORDS[rng.integers(0, len(WORDS), size=(n, 12))]
    return np.array([" ".join(row) for row in picks.tolist()], dtype=object)


def _io_chunk(rng: np.random.Generator, start: int, n: int, n_accounts: int) -> pa.Table:
    ids = np.arange(start, start + n, dtype=np.int64) + 10**17
    users = rng.integers(0, n_accounts, size=n)
    user_hex = np.array([f"{u:064x}" for u in users.tolist()], dtype=object)
    is_rt = rng.random(n) < 0.4
    minutes = rng.integers(0, 365 * 24 * 60, size=n)
    times = (np.datetime64("2020-01-01T00:00") + minutes.astype("timedelta64[m]")).astype(str)
    tags = np.where(rng.random(n) < 0.3, "['china', 'HongKong']", "[]")
    urls = np.where(
        rng.random(n) < 0.3,
        np.char.add(
            "['https://example.com/a?utm_source=x&id=", rng.integers(0, 1000, n).astype(str)
        ),
        "[]",
    )
    urls = np.char.add(
        urls.astype(str), np.where(np.char.startswith(urls.astype(str), "['"), "']", "")
    )
    cols = {c: pa.nulls(n, pa.string()) for c in IO_COLUMNS}
    cols.update(
        tweetid=pa.array(ids.astype(str)),
        userid=pa.array(user_hex),
        user_display_name=pa.array(user_hex),
        user_screen_name=pa.array(user_hex),
        follower_count=pa.array(rng.integers(0, 5000, n).astype(str)),
        following_count=pa.array(rng.integers(0, 5000, n).astype(str)),
        account_creation_date=pa.array(np.full(n, "2019-05-01")),
        account_language=pa.array(np.full(n, "en")),
        tweet_language=pa.array(np.full(n, "en")),
        tweet_text=pa.array(_texts(rng, n)),
        tweet_time=pa.array(times),
        tweet_client_name=pa.array(np.full(n, "Twitter Web App")),
        is_retweet=pa.array(np.where(is_rt, "true", "false")),
        retweet_tweetid=pa.array(
            np.where(is_rt, (rng.integers(0, 10**6, n) + 10**16).astype(str), "")
        ),
        retweet_userid=pa.array(np.where(is_rt, rng.integers(0, 10**6, n).astype(str), "")),
        hashtags=pa.array(tags),
        urls=pa.array(urls),
        user_mentions=pa.array(np.full(n, "[]")),
        like_count=pa.array(rng.integers(0, 50, n).astype(str)),
        retweet_count=pa.array(rng.integers(0, 50, n).astype(str)),
        quote_count=pa.array(np.full(n, "0")),
        reply_count=pa.array(np.full(n, "0")),
    )
    return pa.table([cols[c] for c in IO_COLUMNS], names=IO_COLUMNS)


def make_io_csv(path: Path, posts: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    n_accounts = max(posts // 50, 10)
    with pacsv.CSVWriter(path, _io_chunk(rng, 0, 1, n_accounts).schema) as writer:
        for start in range(0, posts, CHUNK):
            writer.write_table(_io_chunk(rng, start, min(CHUNK, posts - start), n_accounts))


def make_v2_jsonl(path: Path, posts: int, seed: int = 2) -> None:
    """Flattened X API v2 tweets (twarc2 flatten shape), one per line."""
    rng = np.random.default_rng(seed)
    n_accounts = max(posts // 50, 10)
    with path.open("w", encoding="utf-8") as out:
        for start in range(0, posts, CHUNK):
            n = min(CHUNK, posts - start)
            users = rng.integers(0, n_accounts, size=n).tolist()
            texts = _texts(rng, n).tolist()
            secs = rng.integers(0, 365 * 86400, size=n)
            stamps = np.datetime64("2021-01-01T00:00:00") + secs.astype("timedelta64[s]")
            stamps_s = [f"{s}.000Z" for s in stamps.astype(str).tolist()]
            rt = (rng.random(n) < 0.4).tolist()
            targets = rng.integers(0, 10**6, n).tolist()
            lines = []
            for i in range(n):
                tid = str(10**18 + start + i)
                tweet: dict[str, object] = {
                    "id": tid,
                    "text": texts[i],
                    "author_id": str(users[i]),
                    "created_at": stamps_s[i],
                    "conversation_id": tid,
                    "lang": "en",
                    "edit_history_tweet_ids": [tid],
                    "public_metrics": {
                        "retweet_count": 0,
                        "reply_count": 0,
                        "like_count": 1,
                        "quote_count": 0,
                    },
                    "entities": {"hashtags": [{"start": 0, "end": 6, "tag": "China"}]},
                    "author": {
                        "id": str(users[i]),
                        "username": f"user{users[i]}",
                        "name": f"User {users[i]}",
                        "created_at": "2020-01-01T00:00:00.000Z",
                    },
                }
                if rt[i]:
                    tweet["referenced_tweets"] = [
                        {"type": "retweeted", "id": str(10**17 + targets[i])}
                    ]
                lines.append(json.dumps(tweet, ensure_ascii=False))
            out.write("\n".join(lines) + "\n")


_MEASURE = (
    "import json, resource, subprocess, sys; "
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True); "
    "print(json.dumps({'out': p.stdout, "
    "'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))"
)


def run_ingest(path: Path, case: Path) -> tuple[float, float, dict[str, object]]:
    """Run the CLI in a fresh child; return (seconds, its peak RSS in MiB, the JSON report).

    A small wrapper process runs the command and reads its own RUSAGE_CHILDREN, so that
    each input's peak memory is measured on its own.
    """
    case.unlink(missing_ok=True)
    t0 = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "cibscan.cli",
        "ingest",
        str(path),
        "--case",
        str(case),
        "--json",
    ]
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - t0
    measured = json.loads(proc.stdout)
    return seconds, measured["rss"] / 1024, json.loads(measured["out"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=5_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-bench"))
    parser.add_argument("--only", choices=["csv", "jsonl"], default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    args.workdir.mkdir(parents=True, exist_ok=True)
    inputs = {
        "csv": (args.workdir / f"io_{args.posts}.csv", make_io_csv, 300_000),
        "jsonl": (args.workdir / f"v2_{args.posts}.jsonl", make_v2_jsonl, 100_000),
    }
    results = []
    for name, (path, make, target) in inputs.items():
        if args.only and name != args.only:
            continue
        if not path.exists():
            t0 = time.perf_counter()
            make(path, args.posts)
            log.info(
                "generated %s (%.0f MB) in %.0fs",
                path,
                path.stat().st_size / 1e6,
                time.perf_counter() - t0,
            )
        seconds, peak_mib, report = run_ingest(path, args.workdir / f"case_{name}.duckdb")
        totals = report["totals"]
        assert isinstance(totals, dict)
        rate = args.posts / seconds
        results.append((name, args.posts, seconds, rate, target, peak_mib, totals))
    print(
        f"{'input':6} {'posts':>10} {'seconds':>8} {'posts/s':>10} {'target':>8} "
        f"{'ratio':>6} {'peak MiB':>9}  counts"
    )
    for name, posts, seconds, rate, target, peak, totals in results:
        print(
            f"{name:6} {posts:>10,} {seconds:>8.1f} {rate:>10,.0f} {target:>8,} "
            f"{rate / target:>6.2f} {peak:>9,.0f}  {totals}"
        )


if __name__ == "__main__":
    main()
