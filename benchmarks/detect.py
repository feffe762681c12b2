"""Detection speed and edge agreement, side by side with coordination-network-toolkit 1.5.2.

Generates N synthetic posts in the peer's own CSV format (message_id, user_id, username,
repost_id, reply_id, message, timestamp, urls), loads the same file into both tools, and for
each signal the two share (co-retweet, co-tweet, co-link, near-duplicate text) times the load
and the computation of each and compares the edge sets. Each per-signal cibscan run is a
whole `cibscan detect --signal S --tell none` command (null model, network, clusters, scores
and evidence included; the account tells are left out, as the peer has none). Then it times
cibscan's whole multi-signal detect (all eleven signals, the nine tells and the combination
rule, default parameters). Every tool runs in its own child process, so wall time and peak
memory are that process's. Two ratios are printed: load included, (peer load + peer
network) / (cibscan ingest + cibscan detect), and the computation alone, peer network /
cibscan detect.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/detect.py --posts 1000000 --window 60
    .venv/bin/python benchmarks/detect.py --posts 10000000 --no-peer
    .venv/bin/python benchmarks/detect.py --real german_elections      # real CooRTweet data
    .venv/bin/python benchmarks/detect.py --real russian_coord_tweets

With ``--real NAME`` the input is one of the real CooRTweet data sets (``../shared/data/
coortweet``) written once in the peer's CSV, so both tools read the same file: the German
election shares as posts with their URLs (co_url against co_link), the Russian retweets as
retweets (co_repost against co_retweet). The sets carry no text, so text signals are not run.

Where the definitions coincide (co_repost = co_retweet, co_post = co_tweet, co_url = co_link,
with no crowded-object cap), the unordered account pairs must be equal; the script prints
the differences. Known, deliberate differences (docs/signals.md):
- the peer counts a user paired with itself (every message matches itself); we do not;
- the peer stores the empty URL of a link-less post as a URL shared by all link-less posts;
  the script deletes those rows from its table before co_link, to compare fairly;
- the peer's weights count matching messages per direction (user_1 -> user_2); ours count
  shared episodes once per unordered pair, so weights are not compared, only edge sets;
- near-duplicate text: the peer compares word-set Jaccard of every pair of posts within the
  window (Python, O(posts x posts in window)); we use character-shingle MinHash LSH. The
  edge sets are compared by overlap, not equality.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from cibscan.ingest.base import get_adapter

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT.parent / "shared" / "data" / "coortweet"
# real set -> (the peer-format SELECT over read_csv of the set, the signals it supports)
REAL_SETS = {
    # one message per post: a post shared with several URLs has several rows; rows without
    # a post id (3 in the file) are left out of both tools' input. Post ids are prefixed by
    # the platform of their account, as Facebook and Twitter ids may coincide.
    "german_elections": (
        """SELECT split_part(account_id, '_', 1) || '_' || post_id AS message_id,
                  account_id AS user_id, account_id AS username, '' AS repost_id,
                  '' AS reply_id, '' AS message, CAST(min(timestamp) AS BIGINT) AS timestamp,
                  coalesce(string_agg(DISTINCT 'https://d' || coalesce(domain_id, 'x')
                      || '.invalid/u' || url_id, ' ' ORDER BY 'https://d'
                      || coalesce(domain_id, 'x') || '.invalid/u' || url_id), '') AS urls
           FROM data WHERE post_id IS NOT NULL AND account_id IS NOT NULL
           GROUP BY account_id, post_id""",
        ("co_url",),
    ),
    # each row a retweet: object_id is the retweeted tweet, content_id the retweet itself;
    # 40 content ids occur twice (39 with different rows): the earliest row is kept
    "russian_coord_tweets": (
        """SELECT content_id AS message_id, account_id AS user_id,
                  account_id AS username, object_id AS repost_id, '' AS reply_id,
                  '' AS message, CAST(timestamp_share AS BIGINT) AS timestamp, '' AS urls
           FROM data
           QUALIFY row_number() OVER (PARTITION BY content_id
                                      ORDER BY timestamp_share, account_id, object_id) = 1""",
        ("co_repost",),
    ),
}
CIBSCAN = [sys.executable, "-m", "cibscan.cli"]
EPOCH = 1_700_000_000  # 2023-11-14: timestamps are epoch seconds from here
# (cibscan signal, peer network, peer compute function)
SHARED_SIGNALS = (
    ("co_repost", "co_retweet", "compute_co_retweet_parallel"),
    ("co_post", "co_tweet", "compute_co_tweet_network"),
    ("co_url", "co_link", "compute_co_link_network"),
    ("near_duplicate", "co_similar_tweet", "compute_co_similar_tweet"),
)


def convert_real(name: str, path: Path) -> int:
    """Write real set ``name`` as the peer's CSV at ``path``; return its number of rows."""
    import duckdb

    select, _ = REAL_SETS[name]
    con = duckdb.connect()
    source = REAL_DATA / f"{name}.csv.gz"
    con.execute(f"CREATE TABLE data AS SELECT * FROM read_csv('{source}', all_varchar = true)")
    con.execute(f"COPY ({select} ORDER BY timestamp, message_id) TO '{path}' (HEADER)")
    (rows,) = con.execute(f"SELECT count(*) FROM read_csv('{path}')").fetchone() or (0,)
    con.close()
    return int(rows)


def generate(
    path: Path, n_posts: int, seed: int, days: int, start: int = EPOCH, prefix: str = ""
) -> dict[str, int]:
    """Write n_posts rows of the peer's CSV: organic posting plus coordinated groups.

    ``start`` (epoch seconds) and ``prefix`` (of every post id) let several files be one
    longer period of the same users and groups (benchmarks/scale_whole.py).

    Organic: users with heavy-tailed activity; 35% retweets of earlier posts (popularity
    Zipf-like); original texts of 8-16 words from a 5,000-word vocabulary, 8% of them copies
    of popular slogans and 4% slogans with one word changed; 25% of originals carry one URL
    from a 200k-URL pool with Zipf popularity. Coordinated: 1% of users in groups of 8, each
    group doing 40 bursts in which every member retweets the same post, posts the same text
    and shares the same URL within 20 seconds.
    """
    rng = np.random.default_rng(seed)
    n_users = max(1000, n_posts // 25)
    span = days * 86400
    # pseudo-words of 3-9 letters, so that unrelated texts share few character shingles
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = np.array(["".join(rng.choice(letters, rng.integers(3, 10))) for _ in range(5000)])
    slogans = [" ".join(rng.choice(vocab, 12)) for _ in range(3000)]
    url_pool = np.array([f"http://site{i % 5000}.example.com/p/{i}" for i in range(200_000)])

    group_size, bursts = 8, 40
    n_groups = max(1, n_users // 100 // group_size)
    coordinated = n_groups * group_size * bursts * 3
    n_organic = max(0, n_posts - coordinated)

    # half the posts from uniformly chosen users, half from a heavy-tailed few
    heavy = (rng.pareto(1.2, n_organic) * 50).astype(np.int64) % n_users
    users = np.where(rng.random(n_organic) < 0.5, rng.integers(0, n_users, n_organic), heavy)
    times = np.sort(rng.integers(0, span, n_organic)) + start
    is_rt = rng.random(n_organic) < 0.35
    is_rt[:1000] = False
    # a retweet points at an earlier post, popular ones far more often
    back = (rng.pareto(1.0, n_organic) * 20).astype(np.int64) + 1
    target = np.maximum(np.arange(n_organic) - back, 0)
    target = np.where(is_rt[target], np.maximum(target - 1, 0), target)
    kind = rng.random(n_organic)
    has_url = (rng.random(n_organic) < 0.25) & ~is_rt
    url_idx = np.minimum(rng.zipf(1.3, n_organic) - 1, len(url_pool) - 1)
    words = rng.integers(0, len(vocab), (n_organic, 16))
    lengths = rng.integers(8, 17, n_organic)
    slogan_idx = np.minimum(rng.zipf(1.5, n_organic) - 1, len(slogans) - 1)

    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        # the peer's CSV header, as our adapter for that format declares it
        out.writerow(get_adapter("cnt_csv").columns)
        for i in range(n_organic):
            user, post = f"u{users[i]}", f"{prefix}m{i}"
            if is_rt[i]:
                shared = f"{prefix}m{target[i]}"
                out.writerow([post, user, user, shared, "", "", int(times[i]), ""])
                continue
            if kind[i] < 0.08:
                text = slogans[slogan_idx[i]]
            elif kind[i] < 0.12:
                parts = slogans[slogan_idx[i]].split(" ")
                parts[int(kind[i] * 1000) % 12] = str(vocab[words[i, 0]])
                text = " ".join(parts)
            else:
                text = " ".join(vocab[words[i, : lengths[i]]])
            url = str(url_pool[url_idx[i]]) if has_url[i] else ""
            out.writerow([post, user, user, "", "", text, int(times[i]), url])
        pyrng = random.Random(seed)
        for g in range(n_groups):
            members = [f"c{g}_{m}" for m in range(group_size)]
            for b in range(bursts):
                t0 = start + pyrng.randrange(span)
                original = f"{prefix}m{pyrng.randrange(max(n_organic, 1))}"
                text = " ".join(pyrng.choices(list(vocab[:2000]), k=12))
                url = f"http://campaign{g}.example.net/a/{prefix}{b}"
                for m, member in enumerate(members):
                    dt = pyrng.randrange(20)
                    mid = f"{prefix}c{g}_{b}_{m}"
                    out.writerow([f"{mid}_rt", member, member, original, "", "", t0 + dt, ""])
                    out.writerow([f"{mid}_t", member, member, "", "", text, t0 + 60 + dt, ""])
                    out.writerow(
                        [f"{mid}_u", member, member, "", "", f"look {b} {m}", t0 + 120 + dt, url]
                    )
    return {"posts": n_organic + coordinated, "users": n_users, "coordinated_groups": n_groups}


def timed_child(cmd: list[str]) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak RSS in MiB, stdout)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - start
    rss = 0
    try:
        rss = int(os.wait4(proc.pid, 0)[2].ru_maxrss / 1024)
    except ChildProcessError:  # already reaped by communicate(); fall back below
        rss = _children_rss()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {stderr.decode()[-2000:]}")
    return seconds, rss, stdout.decode()


def _children_rss() -> int:
    import resource

    return int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def cibscan_pairs(case: Path, signal: str) -> set[tuple[str, str]]:
    from cibscan.store import open_case

    with open_case(case, create=False, read_only=True) as c:
        rows = c.engine.fetchall(
            """SELECT ia.account_id, ib.account_id FROM pairs AS p
            JOIN account_index AS ia ON ia.acct = p.a JOIN account_index AS ib ON ib.acct = p.b
            WHERE p.signal = ?""",
            [signal],
        )
    return {(min(a, b), max(a, b)) for a, b in rows}


_PEER_COMPUTE = """
import sqlite3, sys, time
from coordination_network_toolkit import compute_networks
db, function, window = sys.argv[1], sys.argv[2], float(sys.argv[3])
start = time.perf_counter()
if function == "compute_co_link_network":
    # work around the peer's empty-URL bug (see the module docstring), fairly
    con = sqlite3.connect(db)
    con.execute("DELETE FROM message_url WHERE url = ''")
    con.commit()
    con.close()
getattr(compute_networks, function)(db, window, n_threads=2)
print("SECONDS", time.perf_counter() - start)
"""

_PEER_LOAD = """
import sys, time
from coordination_network_toolkit.preprocess import preprocess_csv_files
start = time.perf_counter()
preprocess_csv_files(sys.argv[1], [sys.argv[2]])
print("SECONDS", time.perf_counter() - start)
"""


def peer_child(code: str, args: list[str], timeout: float) -> float | None:
    """Run peer code in a fresh interpreter; its own timing, or None past ``timeout``."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        raise RuntimeError(f"peer failed: {proc.stderr[-2000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SECONDS"))
    return float(line.split()[1])


def peer_pairs(db: Path, network: str) -> set[tuple[str, str]]:
    con = sqlite3.connect(db)
    rows = con.execute(f"SELECT user_1, user_2 FROM {network}_network").fetchall()
    con.close()
    return {(min(a, b), max(a, b)) for a, b in rows if a != b}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--window", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--days", type=int, default=7, help="Time span of the posts (density matters to the peer)."
    )
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-detect-bench"))
    ap.add_argument(
        "--real",
        choices=sorted(REAL_SETS),
        help="Use a real CooRTweet data set instead of synthetic posts (its signals only).",
    )
    ap.add_argument("--no-peer", action="store_true", help="Only time cibscan.")
    ap.add_argument("--peer-timeout", type=float, default=3600, help="Seconds per peer network.")
    ap.add_argument(
        "--signals",
        default=",".join(s for s, _, _ in SHARED_SIGNALS),
        help="Shared signals to compare one by one ('none': only the whole detect).",
    )
    args = ap.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"posts_{args.posts}_{args.seed}_{args.days}d.csv"
    tag = str(args.posts)
    if args.real:
        data, tag = work / f"real_{args.real}.csv", args.real
        print(f"{args.real}: {convert_real(args.real, data):,} messages -> {data}")
    elif not data.exists():
        start = time.perf_counter()
        facts = generate(data, args.posts, args.seed, args.days)
        print(f"generated {facts} in {time.perf_counter() - start:.0f}s -> {data}")
    case = work / f"cibscan_{tag}.duckdb"
    case.unlink(missing_ok=True)
    load_s, load_rss, _ = timed_child(
        [
            *CIBSCAN,
            "ingest",
            str(data),
            "--case",
            str(case),
            "--format",
            "cnt_csv",
            "--memory-limit",
            "4GB",
        ]
    )
    print(f"cibscan load: {load_s:.1f}s, peak {load_rss} MiB")

    peer_db = work / f"peer_{tag}.db"
    peer_load = None
    if not args.no_peer:
        for stale in (peer_db, Path(f"{peer_db}-wal"), Path(f"{peer_db}-shm")):
            stale.unlink(missing_ok=True)
        peer_load = peer_child(_PEER_LOAD, [str(peer_db), str(data)], 86400.0)
        print(f"peer load: {peer_load:.1f}s")

    rows = []
    chosen = [] if args.signals == "none" else args.signals.split(",")
    if args.real:
        chosen = [s for s in REAL_SETS[args.real][1] if s in chosen]
    for signal, network, function in SHARED_SIGNALS:
        if signal not in chosen:
            continue
        params = ["--param", f"{signal}.window={args.window}s"]
        params += ["--param", f"{signal}.max_accounts=0"]
        if signal == "co_post":
            params += ["--param", "co_post.min_chars=0"]
        seconds, rss, stdout = timed_child(
            [
                *CIBSCAN,
                "detect",
                "--case",
                str(case),
                "--signal",
                signal,
                "--tell",
                "none",
                *params,
                "--json",
            ]
        )
        ours = cibscan_pairs(case, signal)
        row: dict[str, Any] = {
            "signal": signal,
            "peer": network,
            "cibscan_s": seconds,
            "cibscan_rss": rss,
            "cibscan_edges": len(ours),
        }
        if not args.no_peer:
            peer_s = peer_child(
                _PEER_COMPUTE, [str(peer_db), function, str(args.window)], args.peer_timeout
            )
            row["peer_s"] = peer_s
            if peer_s is not None:
                theirs = peer_pairs(peer_db, network)
                row.update(
                    peer_edges=len(theirs),
                    only_ours=len(ours - theirs),
                    only_peer=len(theirs - ours),
                    common=len(ours & theirs),
                )
        rows.append(row)
        print(json.dumps(row))

    seconds, rss, stdout = timed_child([*CIBSCAN, "detect", "--case", str(case), "--json"])
    report = json.loads(stdout)
    print(
        f"\nwhole detect, all signals, defaults: {seconds:.1f}s wall (in-run "
        f"{report['seconds']:.1f}s), peak {rss} MiB; {report['pairs']:,} pairs tested, "
        f"{report['flagged']:,} flagged, {report['clusters']:,} clusters"
    )
    for s in report["signals"]:
        print(
            f"  {s['name']:<17} {s['seconds']:7.1f}s {s['pairs']:>12,} pairs "
            f"{s['significant']:>10,} significant"
        )

    print(
        f"\n{args.real or f'{args.posts:,} posts'}, window {args.window:g}s; "
        f"load: cibscan {load_s:.1f}s" + (f", peer {peer_load:.1f}s" if peer_load else "")
    )
    header = (
        f"{'signal':<16}{'cibscan s':>10}{'peer s':>10}{'ratio (load incl.)':>20}"
        f"{'ratio (alone)':>15}  edges"
    )
    print(header)
    for r in rows:
        peer_s = r.get("peer_s")
        if peer_s is not None and peer_load is not None:
            ratio = (peer_load + peer_s) / (load_s + r["cibscan_s"])
            ratio_s = f"{ratio:.1f}x"
            alone_s = f"{peer_s / r['cibscan_s']:.1f}x"
        else:
            ratio_s = "peer did not finish" if not args.no_peer else "-"
            alone_s = "-"
        edges = (
            (
                f"ours {r['cibscan_edges']:,} / peer {r['peer_edges']:,}, only ours "
                f"{r['only_ours']:,}, only peer {r['only_peer']:,}"
            )
            if "peer_edges" in r
            else (f"ours {r['cibscan_edges']:,}")
        )
        peer_txt = f"{peer_s:.1f}" if peer_s is not None else "-"
        print(
            f"{r['signal']:<16}{r['cibscan_s']:>10.1f}{peer_txt:>10}{ratio_s:>20}{alone_s:>15}"
            f"  {edges}"
        )


if __name__ == "__main__":
    main()
