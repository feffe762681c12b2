"""Compare what two cases hold after ingesting the same files: rows of one not in the other.

Used to check that a change to the ingest stores exactly what the code before it stored:
ingest the same files with both versions into two case files, then

    .venv/bin/python benchmarks/compare_cases.py OLD.duckdb NEW.duckdb

Each table is compared with ``EXCEPT ALL`` both ways (duplicates count), leaving out what
differs from run to run by design: run ids, the times a run started and ended, the cibscan
version and the path of the file. Prints one line a table and exits 1 on any difference.
Give both versions the same paths (``source_file`` is the path as given). An account whose
posts share their latest time but not their profile values may differ even between two
runs of the same code (``merge_accounts`` breaks that tie either way).
"""

from __future__ import annotations

import argparse
import logging
import sys

import duckdb

log = logging.getLogger("compare_cases")

#: the ingest's tables and the columns that differ between two runs by design
TABLES: dict[str, tuple[str, ...]] = {
    "posts": ("ingest_run_id",),
    "accounts": (),
    "account_names": (),
    "quarantine": ("ingest_run_id",),
    "ingest_runs": ("run_id", "path", "started_at", "ended_at", "cibscan_version"),
}


def compare(old: str, new: str) -> int:
    """Log each table's row counts and differences; the number of differing rows."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{old}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{new}' AS b (READ_ONLY)")
    total = 0
    for table, ignored in TABLES.items():
        columns = [r[0] for r in con.execute(f"DESCRIBE a.{table}").fetchall()]
        kept = ", ".join(f'"{c}"' for c in columns if c not in ignored)
        only_old, only_new = (
            con.execute(
                f"SELECT count(*) FROM (SELECT {kept} FROM {x}.{table} "
                f"EXCEPT ALL SELECT {kept} FROM {y}.{table})"
            ).fetchall()[0][0]
            for x, y in (("a", "b"), ("b", "a"))
        )
        n_old, n_new = (
            con.execute(f"SELECT count(*) FROM {x}.{table}").fetchall()[0][0] for x in "ab"
        )
        log.info(
            "%-14s rows %d / %d, only in the first %d, only in the second %d",
            table,
            n_old,
            n_new,
            only_old,
            only_new,
        )
        total += only_old + only_new
    return int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="a case file (the code before the change)")
    parser.add_argument("new", help="a case file (the code after it)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    differing = compare(args.old, args.new)
    log.info("identical" if not differing else f"{differing} rows differ")
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
