"""Whack-a-mole accuracy on simulated regrowth: detect, confirm, fingerprint, regrow, match.

For each seed: ``simulate --regrowth`` writes period 1 (the network) and period 2 (four
months after a takedown: new accounts reusing the operator's habits imperfectly, a few
known members back, a distractor network, organic accounts sharing a domain, hashtag or
slogan). Period 1 is ingested and detected; the analyst's verdicts are simulated by
confirming the flagged accounts that the truth says are campaign accounts (and dismissing
the rest); the confirmed accounts go into a library. Period 2 is ingested and matched, and
the matches are scored against period 2's truth (``regrew_from``). For comparison, detect
from scratch on period 2 is scored on the same regrown accounts.

Run: .venv/bin/python benchmarks/match_accuracy.py --seeds 1 2 3 --workdir /tmp/mxa
(``--threshold 2 3 4 6 --min-families 1 2`` scores every setting on the same cases: the
calibration table of docs/matching.md)
"""

from __future__ import annotations

import argparse
import csv
import logging
import shutil
from pathlib import Path
from typing import Any

from cibscan.detect.pipeline import detect
from cibscan.evaluate.matching import evaluate_matching
from cibscan.ingest.pipeline import IngestOptions, ingest
from cibscan.match.scoring import MatchOptions, match
from cibscan.simulate import simulate
from cibscan.store import open_case
from cibscan.whackamole import confirm_from_truth, fingerprint_confirmed

log = logging.getLogger("match_accuracy")


def _files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.iterdir() if p.name != "truth.csv")


def run_seed(seed: int, work: Path, settings: list[MatchOptions]) -> list[dict[str, Any]]:
    """One seed's whole loop, the match scored at each of ``settings``; the figures."""
    sim = work / f"seed{seed}"
    shutil.rmtree(sim, ignore_errors=True)
    simulate("spamouflage", sim, seed, regrowth=True)
    library = sim / "known.duckdb"
    with open_case(sim / "period1.duckdb") as case:
        ingest(case, _files(sim / "period1"), IngestOptions())
        detect(case)
        verdicts = confirm_from_truth(case, sim / "period1" / "truth.csv")
        fingerprint_confirmed(case, library, "spamouflage")
    truth2 = sim / "period2" / "truth.csv"
    regrown = {
        (r["platform"], r["account_id"])
        for r in csv.DictReader(truth2.open())
        if r["regrew_from"] == "spamouflage"
    }
    out = []
    with open_case(sim / "period2.duckdb") as case:
        ingest(case, _files(sim / "period2"), IngestOptions())
        detect(case)  # from scratch: no library
        flagged2 = {
            (str(p), str(a))
            for p, a in case.engine.fetchall(
                "SELECT platform, account_id FROM account_scores WHERE flagged"
            )
        }
        for options in settings:
            report = match(case.engine, library, options)
            rows = case.engine.fetch_arrow("SELECT * FROM matches").to_pylist()
            score = evaluate_matching(rows, truth2).networks["spamouflage"]
            out.append(
                {
                    "seed": seed,
                    "threshold": options.threshold,
                    "min_families": options.min_families,
                    "confirmed": verdicts.confirmed,
                    "regrown": score.positives,
                    "matched": score.predicted,
                    "precision": score.precision,
                    "recall": score.recall,
                    "recall_new": score.recall_new,
                    "recall_known": score.recall_reappeared,
                    "f1": score.f1,
                    "pr_auc": score.pr_auc,
                    "fp_by_role": score.fp_by_role,
                    "detect_recall": len(regrown & flagged2) / max(len(regrown), 1),
                    "seconds": report.seconds,
                }
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-match-accuracy"))
    parser.add_argument(
        "--threshold", type=float, nargs="+", default=[MatchOptions.threshold],
        help="match thresholds to score (each on the same cases)",
    )  # fmt: skip
    parser.add_argument(
        "--min-families", type=int, nargs="+", default=[MatchOptions.min_families],
        help="families that must agree (each on the same cases)",
    )  # fmt: skip
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    args.workdir.mkdir(parents=True, exist_ok=True)
    settings = [
        MatchOptions(threshold=t, min_families=f) for f in args.min_families for t in args.threshold
    ]
    header = (
        "| seed | threshold | min families | confirmed in P1 | regrown in P2 | matched | "
        "precision | recall | recall new | recall known | F1 | PR-AUC | false matches | "
        "detect-from-scratch recall |"
    )
    lines = [header, "|" + "---|" * 14]
    for seed in args.seeds:
        for r in run_seed(seed, args.workdir, settings):
            fps = ", ".join(f"{k} {v}" for k, v in r["fp_by_role"].items()) or "none"
            lines.append(
                f"| {r['seed']} | {r['threshold']:g} | {r['min_families']} | {r['confirmed']} | "
                f"{r['regrown']} | {r['matched']} | {r['precision']:.3f} | {r['recall']:.3f} | "
                f"{r['recall_new']:.3f} | {r['recall_known']:.3f} | {r['f1']:.3f} | "
                f"{r['pr_auc']:.3f} | {fps} | {r['detect_recall']:.3f} |"
            )
            log.warning(lines[-1])
    print("\n".join(lines))


if __name__ == "__main__":
    main()
