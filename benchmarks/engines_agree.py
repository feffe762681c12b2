"""The acceptance check of issue 16: a simulated case detected on DuckDB and on Spark.

A Spamouflage-like world of ``--accounts`` accounts (``cibscan simulate``) is ingested
into one DuckDB case, copied once per run, and detected through the command line:

- ``duckdb``: ``cibscan detect`` (the default engine);
- ``spark``: ``cibscan detect --engine spark --master local[2]``, the posts copied from
  the case (every step and tell on Spark: docs/scale.md);
- ``spark-parquet`` (with ``--parquet``): the posts exported first with ``cibscan export
  posts --format parquet --partition-by platform,date`` and read by Spark from that folder.

Printed per run: its wall time (the whole command: a Spark run includes starting the JVM),
the flagged accounts and edges, and their Jaccard with DuckDB's (issue 16 asks >= 0.99).
Runs are sequential, one command each; timings depend on the machine's load, printed too.

    .venv/bin/python benchmarks/engines_agree.py
    .venv/bin/python benchmarks/engines_agree.py --accounts 2000 --seed 7 --parquet
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

log = logging.getLogger("bench.engines_agree")
CIBSCAN = [sys.executable, "-m", "cibscan.cli", "-q"]


def cibscan(*args: str) -> float:
    """Run one cibscan command; its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run([*CIBSCAN, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def prepare(work: Path, accounts: int, seed: int) -> Path:
    """Simulate and ingest once; the case every run starts from."""
    base = work / "base.duckdb"
    if base.exists():
        return base
    sim = work / "sim"
    shutil.rmtree(sim, ignore_errors=True)
    cibscan("simulate", "--scenario", "spamouflage", "--out", str(sim), "--seed", str(seed),
            "--accounts", str(accounts))  # fmt: skip
    files = sorted(str(p) for p in sim.iterdir() if p.name != "truth.csv")
    cibscan("ingest", "--case", str(base), *files)
    return base


def findings(case: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str, str]]]:
    """The flagged accounts and the edges (as platform:account_id pairs) of a case."""
    con = duckdb.connect(str(case), read_only=True)
    try:
        flagged = set(
            con.execute("SELECT platform, account_id FROM account_scores WHERE flagged").fetchall()
        )
        edges = set(
            con.execute(
                """SELECT ia.platform, ia.account_id, ib.platform || ':' || ib.account_id
                FROM edges AS e JOIN account_index AS ia ON ia.acct = e.a
                JOIN account_index AS ib ON ib.acct = e.b"""
            ).fetchall()
        )
    finally:
        con.close()
    return flagged, edges


def jaccard(x: set[object], y: set[object]) -> float:
    return 1.0 if not (x or y) else len(x & y) / len(x | y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--work", type=Path, default=Path("/tmp/cib-engines-agree"))
    parser.add_argument("--parquet", action="store_true", help="also read posts from Parquet")
    parser.add_argument("--tell-none", action="store_true", help="detect without tells")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args.work.mkdir(parents=True, exist_ok=True)
    base = prepare(args.work, args.accounts, args.seed)
    tells = ["--tell", "none"] if args.tell_none else []
    runs: dict[str, list[str]] = {
        "duckdb": [],
        "spark": ["--engine", "spark", "--master", args.master],
    }
    if args.parquet:
        folder = args.work / "posts"
        shutil.rmtree(folder, ignore_errors=True)
        cibscan("export", "posts", "--case", str(base), "--format", "parquet",
                "--partition-by", "platform,date", "--out", str(folder))  # fmt: skip
        runs["spark-parquet"] = [*runs["spark"], "--posts-parquet", str(folder)]
    print(f"load average {os.getloadavg()[0]:.1f}; {args.accounts} accounts, seed {args.seed}")
    print("| run | seconds | flagged | edges | Jaccard flagged | Jaccard edges |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    reference: tuple[set[tuple[str, str]], set[tuple[str, str, str]]] | None = None
    for name, options in runs.items():
        case = args.work / f"{name}.duckdb"
        shutil.copy(base, case)
        seconds = cibscan("detect", "--case", str(case), *tells, *options)
        flagged, edges = findings(case)
        reference = reference or (flagged, edges)
        print(
            f"| {name} | {seconds:.1f} | {len(flagged)} | {len(edges)} "
            f"| {jaccard(flagged, reference[0]):.3f} | {jaccard(edges, reference[1]):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
