"""The whack-a-mole loop of ``cibscan demo``: confirm, fingerprint, regrow, match.

A network detected in period 1 is confirmed by an analyst, fingerprinted into a library of
known networks, and recognised when it returns in period 2 with new accounts (plus a few
old ones), beside an unrelated network and organic accounts that share some of its topics.
Each step is the library function behind one CLI command (``label``, ``library add``,
``run --library``, ``match --out``, ``evaluate --matches``); this module only strings them
together, so the demo, ``benchmarks/match_accuracy.py`` and the tests run the same loop.

The analyst is simulated: the flagged accounts that the simulation's truth says belong to
the campaign are confirmed and the other flagged accounts dismissed, which is what a careful
review of the evidence would conclude. The figures that matter, matching in period 2, are
measured against period 2's own truth, which nothing in the loop reads before scoring.
"""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cibscan.detect.base import DetectOptions
from cibscan.evaluate.matching import MatchEvaluation, NetworkMatchScore, evaluate_matching
from cibscan.match.library import NetworkSummary, add_network, network_members
from cibscan.match.scoring import write_matches_csv
from cibscan.match.stix import export_network
from cibscan.store import Case, open_case
from cibscan.store.labels import label
from cibscan.workflow import run_pipeline

log = logging.getLogger(__name__)


@dataclass
class Verdicts:
    """The simulated analyst's labels on period 1's flagged accounts."""

    confirmed: int
    dismissed: int


@dataclass
class RegrowthResult:
    """What the loop wrote and measured."""

    verdicts: Verdicts
    library: Path
    network: NetworkSummary
    stix: Path
    matches: Path
    evaluation: MatchEvaluation
    #: regrown accounts of period 2 that its detect run flagged (with the known_network tell)
    flagged_regrown: int

    @property
    def score(self) -> NetworkMatchScore:
        return self.evaluation.networks[self.network.network]


def confirm_from_truth(case: Case, truth: str | Path, analyst: str = "demo") -> Verdicts:
    """Label the flagged accounts of the latest run as a reviewing analyst would: the
    campaign's (per ``truth``) confirmed, the others dismissed."""
    with Path(truth).open(encoding="utf-8", newline="") as f:
        campaign = {(r["platform"], r["account_id"]) for r in csv.DictReader(f)
                    if r["label"] == "campaign"}  # fmt: skip
    flagged = case.engine.fetchall("SELECT platform, account_id FROM account_scores WHERE flagged")
    good = [f"{p}:{a}" for p, a in flagged if (p, a) in campaign]
    bad = [f"{p}:{a}" for p, a in flagged if (p, a) not in campaign]
    note = "confirmed by the demo's stand-in analyst (simulation truth)"
    if good:
        label(case.engine, "confirmed", accounts=good, analyst=analyst, note=note)
    if bad:
        label(case.engine, "dismissed", accounts=bad, analyst=analyst, note=note)
    return Verdicts(len(good), len(bad))


def fingerprint_confirmed(
    case: Case, library: str | Path, name: str, description: str | None = None
) -> NetworkSummary:
    """``cibscan library add --confirmed``: the confirmed accounts as network ``name``."""
    members = network_members(case.engine, confirmed=True)
    if not members:
        raise ValueError("no confirmed account in the case: nothing to fingerprint")
    return add_network(case.engine, library, name, members, description=description, replace=True)


def regrowth_loop(
    period1_case: Path,
    period1_truth: Path,
    period2_files: Sequence[str | Path],
    period2_truth: Path,
    out_dir: str | Path,
    *,
    network: str = "spamouflage",
) -> RegrowthResult:
    """Confirm period 1's flagged campaign, fingerprint it into ``out_dir/library.duckdb``
    (and ``out_dir/NETWORK.stix.json``), run period 2 with that library into
    ``out_dir/period2/`` (case, findings, report with the matches, ``matches.csv``), and
    score the matches against ``period2_truth`` (``out_dir/period2/matching.json``)."""
    out = Path(out_dir)
    library = out / "library.duckdb"
    with open_case(period1_case, create=False) as case:
        verdicts = confirm_from_truth(case, period1_truth)
        summary = fingerprint_confirmed(
            case, library, network, "the campaign confirmed in period 1 of the demo"
        )
    stix = out / f"{network}.stix.json"
    export_network(library, network, stix)
    period2 = run_pipeline(
        period2_files,
        out / "period2",
        detect_options=DetectOptions(library=str(library)),
        overwrite=True,  # the loop's own folder, made afresh on every run
    )
    matches = out / "period2" / "matches.csv"
    with open_case(period2.case_path, create=False) as case:
        write_matches_csv(case.engine, matches)
        flagged = {
            (str(p), str(a))
            for p, a in case.engine.fetchall(
                "SELECT platform, account_id FROM account_scores WHERE flagged"
            )
        }
    evaluation = evaluate_matching(matches, period2_truth)
    with period2_truth.open(encoding="utf-8", newline="") as f:
        regrown = {(r["platform"], r["account_id"]) for r in csv.DictReader(f)
                   if r["regrew_from"] == network}  # fmt: skip
    (out / "period2" / "matching.json").write_text(
        json.dumps(evaluation.as_dict(), indent=2) + "\n", encoding="utf-8"
    )
    log.info("whack-a-mole loop: %d confirmed, matched in period 2: %s", verdicts.confirmed,
             evaluation.networks.get(network))  # fmt: skip
    return RegrowthResult(
        verdicts, library, summary, stix, matches, evaluation, len(regrown & flagged)
    )
