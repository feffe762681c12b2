"""The whole detect on one machine at tens of millions of posts (issue 16: "50M posts
detected on one machine by at least one engine within 30 minutes and 16 GB").

The posts are the generator of ``benchmarks/detect.py`` (organic users with heavy-tailed
activity, retweets, slogans, URLs; 1% of users in coordinated groups of 8), written as
``--periods`` consecutive files of ``--posts-per-period`` posts each covering ``--days``
days: the same 400k-per-10M users and the same groups active period after period, so the
case grows in time at a constant density rather than piling every post into one month
(which would make every windowed self-join quadratically denser than real data). The files
are ingested into one DuckDB case, then ``cibscan detect`` runs in a child process with
every signal, tell and the combination rule at their defaults. Printed: the time and peak
RSS of each step (``/proc`` of the child tree, sampled every 0.2 s), the spill (the bytes
in DuckDB's temporary folder), the findings, and how many of the planted group accounts
were flagged (every planted account is ``c<group>_<member>``). Timings depend on the
machine's load, printed beside them.

    .venv/bin/python benchmarks/scale_whole.py --periods 5 --posts-per-period 10000000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detect import EPOCH, generate

ROOT = Path(__file__).resolve().parents[1]
CIBSCAN = [sys.executable, "-m", "cibscan.cli"]


def tree_rss_mib(pid: int) -> int:
    """Resident memory of a process and all its descendants, in MiB."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        rss = next((ln for ln in status.splitlines() if ln.startswith("VmRSS:")), "0 0")
        total += int(rss.split()[1])
        stack.extend(int(c) for c in children)
    return total // 1024


def folder_bytes(folder: Path) -> int:
    """Bytes under a folder now (files may vanish while walking)."""
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):
            total += path.stat().st_size if path.is_file() else 0
    return total


def measured(cmd: list[str], spill: Path | None = None) -> dict[str, Any]:
    """Run a command; its wall seconds, CPU seconds, peak tree RSS and peak spill (the
    spill folder walked every 2 s: walking it costs CPU the measured run would lose)."""
    peak = {"rss_mib": 0.0, "spill_mib": 0.0}
    start, cpu0 = time.perf_counter(), os.times()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    done = threading.Event()

    def sample() -> None:
        ticks = 0
        while not done.wait(0.2):
            peak["rss_mib"] = max(peak["rss_mib"], tree_rss_mib(proc.pid))
            ticks += 1
            if spill is not None and ticks % 10 == 0 and spill.exists():
                peak["spill_mib"] = max(peak["spill_mib"], folder_bytes(spill) / 2**20)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    done.set()
    sampler.join()
    cpu1 = os.times()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{output.decode()[-3000:]}")
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": (cpu1.children_user + cpu1.children_system)
        - (cpu0.children_user + cpu0.children_system),
        **peak,
        "load_after": os.getloadavg()[0],
        "log_tail": output.decode()[-4000:],
    }


def prepare(work: Path, periods: int, per_period: int, days: int) -> list[Path]:
    """The period files, generated once (kept between runs)."""
    files = []
    for k in range(periods):
        path = work / f"period_{k}_{per_period}_{days}d.csv"
        if not path.exists():
            clock = time.perf_counter()
            start = EPOCH + k * days * 86400
            facts = generate(path, per_period, seed=k + 1, days=days, start=start, prefix=f"p{k}")
            took = time.perf_counter() - clock
            print(f"generated period {k}: {facts} in {took:.0f}s", flush=True)
        files.append(path)
    return files


def flagged_planted(case: Path) -> dict[str, int]:
    """Flagged accounts, and how many of them and of all planted accounts are planted."""
    import duckdb

    with duckdb.connect(str(case), read_only=True) as con:
        row = con.execute(
            """SELECT count(*) FILTER (WHERE s.flagged),
                      count(*) FILTER (WHERE s.flagged AND s.account_id LIKE 'c%'),
                      (SELECT count(DISTINCT account_id) FROM posts WHERE account_id LIKE 'c%')
               FROM account_scores AS s"""
        ).fetchone()
    assert row is not None
    return {"flagged": row[0], "flagged_planted": row[1], "planted": row[2]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--periods", type=int, default=5)
    ap.add_argument("--posts-per-period", type=int, default=10_000_000)
    ap.add_argument("--days", type=int, default=30, help="Days each period covers.")
    ap.add_argument("--memory-limit", default="12GB", help="DuckDB's memory limit for both steps.")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-scale-whole"))
    ap.add_argument("--skip-ingest", action="store_true", help="Reuse the case of an earlier run.")
    args = ap.parse_args()
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    files = prepare(work, args.periods, args.posts_per_period, args.days)
    total = args.periods * args.posts_per_period
    case, spill = work / f"case_{total}.duckdb", work / f"case_{total}.duckdb.tmp"
    results: dict[str, object] = {"posts": total, "periods": args.periods, "days": args.days}
    if not args.skip_ingest:
        case.unlink(missing_ok=True)
        ingest = [*CIBSCAN, "ingest", *map(str, files), "--case", str(case)]
        ingest += ["--format", "cnt_csv", "--memory-limit", args.memory_limit]
        results["ingest"] = step = measured(ingest, spill)
        print(f"ingest: {json.dumps({k: v for k, v in step.items() if k != 'log_tail'})}")
    detect = [*CIBSCAN, "-v", "detect", "--case", str(case), "--memory-limit", args.memory_limit]
    results["detect"] = step = measured(detect, spill)
    print(f"detect: {json.dumps({k: v for k, v in step.items() if k != 'log_tail'})}")
    print(step["log_tail"])
    results["findings"] = flagged_planted(case)
    print(f"findings: {results['findings']}")
    (work / f"results_{total}.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
