"""Scale: the same signals on DuckDB and on Spark local[2], side by side, from one Parquet copy.

For each ``--posts`` size: synthetic posts in coordination-network-toolkit's CSV (the
generator of ``benchmarks/detect.py``: organic users and planted coordinated groups) are
ingested into a DuckDB case and exported with ``cibscan export posts --format parquet
--partition-by platform,date`` (the layout a cluster reads). Then each engine, in its own
child process, reads that Parquet folder as its ``posts`` table and runs every chosen signal
on the shared SQL (``build_inputs`` and the signal's pairs, as tests/test_engines.py does).
Printed per engine and signal: seconds, pairs found, the Jaccard of its account pairs with
DuckDB's (1.000: the same edges), and for the whole child its peak memory (the process tree
sampled from /proc every 0.2 s: the JVM is a child of the Python process) and its peak
spill (the bytes in its temporary folder: DuckDB's ``temp_directory``, Spark's
``spark.local.dir``). Timings depend on the machine's load, printed with them.

    .venv/bin/python benchmarks/scale.py --posts 1000000
    .venv/bin/python benchmarks/scale.py --posts 1000000 10000000 --engines duckdb spark
    .venv/bin/python benchmarks/scale.py --posts 50000000 --engines duckdb --signals co_repost

Only the signals both engines run are compared (docs/scale.md says which); the steps after
the signals (pair test of groups, fusion, Leiden, tells, scores) do not run on Spark yet, so
whole-detect figures come from ``benchmarks/detect.py`` (DuckDB).
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from detect import generate

log = logging.getLogger("bench.scale")
ROOT = Path(__file__).resolve().parents[1]
CIBSCAN = [sys.executable, "-m", "cibscan.cli"]
#: the default signals: the five measured first on both engines (all eleven run on both
#: now, tests/test_engines.py; name them with --signals)
BOTH = ("co_repost", "co_reply", "co_post", "hashtag_sequence", "fast_repost")


def prepare(work: Path, n_posts: int, seed: int) -> tuple[Path, dict[str, float]]:
    """Generate, ingest and export the posts once per size; the Parquet folder and the
    seconds each step took."""
    work.mkdir(parents=True, exist_ok=True)
    csv, case, folder = work / "posts.csv", work / "case.duckdb", work / "posts"
    took: dict[str, float] = {}
    if not folder.exists():
        for stale in (case, csv):
            stale.unlink(missing_ok=True)
        started = time.perf_counter()
        generate(csv, n_posts, seed, days=30)
        took["generate"] = time.perf_counter() - started
        for step, cmd in (
            ("ingest", ["ingest", str(csv), "--case", str(case), "--format", "cnt_csv"]),
            ("export parquet", ["export", "posts", "--case", str(case), "--format", "parquet",
                                "--partition-by", "platform,date", "--out", str(folder)]),
        ):  # fmt: skip
            started = time.perf_counter()
            subprocess.run([*CIBSCAN, *cmd], check=True, cwd=ROOT, capture_output=True)
            took[step] = time.perf_counter() - started
        csv.unlink()
    return folder, took


def run_engine(engine_name: str, folder: str, signals: list[str], scratch: str) -> dict[str, Any]:
    """In a child process: read the Parquet posts, run each signal, keep its pairs."""
    from cibscan.detect.base import FINDINGS_DDL
    from cibscan.detect.inputs import build_inputs, input_columns
    from cibscan.engine import DuckDBEngine, Engine
    from cibscan.signals.base import SignalContext, get_signal

    engine: Engine
    started = time.perf_counter()
    files = f"{folder}/**/*.parquet"
    if engine_name == "duckdb":
        engine = DuckDBEngine(f"{scratch}/bench.duckdb")
        engine.execute(f"SET temp_directory = '{scratch}/tmp'")
        engine.execute(
            f"CREATE TABLE posts AS SELECT * FROM read_parquet('{files}', hive_partitioning = true)"
        )
    else:
        from cibscan.engine.spark_engine import SparkEngine, local_session

        conf = {"spark.driver.memory": "8g", "spark.local.dir": f"{scratch}/tmp"}
        engine = SparkEngine(local_session("local[2]", conf=conf, warehouse=f"{scratch}/wh"))
        engine.spark.read.parquet(folder).createOrReplaceTempView("posts")  # type: ignore[attr-defined]
    out: dict[str, Any] = {"load_s": time.perf_counter() - started, "signals": {}}
    for name in signals:
        signal = get_signal(name)
        started = time.perf_counter()
        build_inputs(engine, input_columns([signal.reads]))
        for table in ("pairs", "evidence"):
            engine.drop_table(table)
            engine.execute(FINDINGS_DDL[table])
        signal.pairs(SignalContext(engine), signal.resolve({}))
        seconds = time.perf_counter() - started
        pairs = engine.fetchall(
            """SELECT ia.account_id, ib.account_id FROM pairs AS p
            JOIN account_index AS ia ON ia.acct = p.a JOIN account_index AS ib ON ib.acct = p.b"""
        )
        out["signals"][name] = {"s": seconds, "pairs": sorted({tuple(sorted(p)) for p in pairs})}
        log.info("%s %s: %.1f s, %d pairs", engine_name, name, seconds, len(pairs))
    return out


class Sampler:
    """Peak resident memory of a process tree and peak bytes under a folder, sampled."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.rss, self.spill = folder, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            self.rss = max(self.rss, _tree_rss(os.getpid()) - _own_rss())
            self.spill = max(self.spill, _bytes_under(self.folder))


def _own_rss() -> int:
    return _status_kib(os.getpid()) * 1024


def _status_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _tree_rss(pid: int) -> int:
    """Bytes resident in ``pid`` and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _status_kib(p) * 1024
        for task in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                stack += [int(c) for c in task.read_text().split()]
            except FileNotFoundError:
                continue
    return total


def _bytes_under(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for f in files:
            try:
                total += os.stat(os.path.join(root, f)).st_size
            except FileNotFoundError:
                continue
    return total


def jaccard(a: list[Any], b: list[Any]) -> float:
    x, y = {tuple(p) for p in a}, {tuple(p) for p in b}
    return 1.0 if not x | y else len(x & y) / len(x | y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--engines", nargs="+", default=["duckdb", "spark"])
    ap.add_argument("--signals", nargs="+", default=list(BOTH))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-scale-bench"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    columns = ("posts", "engine", "step", "s", "pairs", "Jaccard with DuckDB", "peak memory",
               "peak spill", "load")  # fmt: skip
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.posts:
        folder, took = prepare(args.workdir / f"posts_{n}", n, args.seed)
        for step, s in took.items():
            print(f"| {n:,} | duckdb | {step} | {s:.1f} | | | | | {os.getloadavg()[0]:.1f} |")
        results: dict[str, dict[str, Any]] = {}
        for engine in args.engines:
            scratch = args.workdir / f"scratch_{engine}"
            shutil.rmtree(scratch, ignore_errors=True)
            (scratch / "tmp").mkdir(parents=True)
            context = multiprocessing.get_context("spawn")
            with Sampler(scratch) as sampler, ProcessPoolExecutor(1, mp_context=context) as pool:
                r = pool.submit(run_engine, engine, str(folder), args.signals, str(scratch))
                results[engine] = r.result()
            shutil.rmtree(scratch, ignore_errors=True)
            peak = f"{sampler.rss / 2**20:,.0f} MiB"
            spill = f"{sampler.spill / 2**20:,.0f} MiB"
            load = f"{os.getloadavg()[0]:.1f}"
            print(f"| {n:,} | {engine} | read Parquet | {results[engine]['load_s']:.1f} | | "
                  f"| {peak} | {spill} | {load} |")  # fmt: skip
            for name, got in results[engine]["signals"].items():
                base = results.get("duckdb", {}).get("signals", {}).get(name)
                same = f"{jaccard(got['pairs'], base['pairs']):.3f}" if base else ""
                print(f"| {n:,} | {engine} | {name} | {got['s']:.1f} | {len(got['pairs']):,} "
                      f"| {same} | | | {load} |", flush=True)  # fmt: skip
        (args.workdir / f"results_{n}.json").write_text(
            json.dumps({e: {k: v["s"] for k, v in r["signals"].items()}
                        for e, r in results.items()}, indent=1)
        )  # fmt: skip


if __name__ == "__main__":
    main()
